"""Possible call targets, for call-graph edges only: what a call *may* reach.

The checker's `Resolver` answers all-or-nothing: one unknown and the call stays silent. A call
graph wants the opposite trade: every target we can see, unknowns dropped instead of spoiling the
set. `PossibleResolver` is the same `Resolver` with `lenient` set, so both share every rule; what
is here are the value flows only edges follow, behind the resolver's hooks: functions returned or
yielded (`yield from` too) and called, passed as arguments and called through the parameter
(`*args`/`**kwargs` too), held in dict/list/tuple displays or written into them (`d[k] = f`,
`.append(f)`; read by subscript, `.get()`, `.values()`, `for`, comprehensions), bound by
`with ... as`, `except ... as` and unpacking, stored in `self.attr`, lambdas, decorators of unknown
effect (through what they return, else the function itself), and callbacks of known higher-order
callees (`map`, `sorted(key=)`, `Thread(target=)`, `loop.call_soon`...). Its targets become edges
marked `possible`; `checks` never reads them, so no finding can come from here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .index import Index
from ..facts.model import Binding, BindingKind, CallSite, Decorator, FlowKind, FunctionFact, ParamKind, ScopeKind
from .resolver import (
    _NOT_BOUND,
    DEFAULT_PRESERVING,
    Mode,
    Resolver,
    Target,
    TargetKind,
    Value,
    ValueKind,
    _accessed,
)

Ref = tuple[str, ...]
# (module, scope of the call, its arguments as (keyword, Ref or list of Values), implicit leading args)
CallerEntry = tuple[str, str, tuple, int]


class BudgetExceeded(Exception):
    """The lenient resolution took more lookups than its budget: stop adding possible edges."""


class Container:
    """A dict/list/tuple/set display bound to a name: its elements, as references in `scope`."""

    kind = None  # no ValueKind: the checker's code paths treat it as unknown
    __slots__ = ("module", "scope", "elements")

    def __init__(self, module: str, scope: str, elements: tuple) -> None:
        self.module, self.scope, self.elements = module, scope, elements


class PossibleResolver(Resolver):
    """The shared `Resolver` in its lenient mode, plus the flows only call graphs follow."""

    lenient = True

    def __init__(self, index: Index, *, preserving: frozenset[str] = DEFAULT_PRESERVING, budget: int = 2_000_000) -> None:
        super().__init__(index, preserving=preserving)
        self._callers: dict[int, list[CallerEntry]] | None = None
        self._building = False
        self._guard: set[tuple] = set()
        # Every lookup is cached, even one a cycle guard cut short: such a result may miss edges,
        # never invent one, and caching is what keeps long chains of flows linear.
        self._cache: dict[tuple, list] = {}
        self.steps = 0  # lookups made: a budget stops pathological projects
        self.budget = budget
        self._flows: dict[tuple, list] | None = None

    def flows(self) -> dict[tuple, list]:
        """The modules' value flows, keyed for lookup: ("yield", module, function), ("item", module,
        binding scope, name), ("bind", module, scope, name), ("attr", attr)."""
        if self._flows is None:
            table: dict[tuple, list] = defaultdict(list)
            for module, src in self.index.modules.items():
                for f in src.facts.flows:
                    if f.kind is FlowKind.YIELD:
                        table[("yield", module, f.scope)].append((f.key, f.ref))
                    elif f.kind is FlowKind.BIND:
                        table[("bind", module, f.scope, f.name)].append((f.key, f.ref))
                    elif f.kind is FlowKind.ATTR:
                        table[("attr", f.name)].append((module, f.scope, f.base, f.ref))
                    else:  # an item written into the container the name holds where the name is bound
                        table[("item", module, self._binding_scope(module, f.scope, f.name), f.name)].append(
                            (f.scope, f.key, f.ref)
                        )
            self._flows = table
        return self._flows

    def _binding_scope(self, module: str, scope: str, name: str) -> str:
        current, first = scope, True
        while current:
            kind = self.index.scope_kind.get((module, current), ScopeKind.MODULE)
            if (first or kind is not ScopeKind.CLASS) and self.index.scope_bindings(module, current, name):
                return current
            current, first = self.index.parent.get((module, current), ""), False
        return ""

    # -- entry points ----------------------------------------------------------------------------
    def targets(self, module: str, call: CallSite) -> tuple[Target, ...]:
        """Every function the call may reach, as far as the source shows."""
        if call.callee is not None and call.callee[0] == "super()":
            values = self._super_values(module, call.scope, call.callee)
        elif call.callee_ref is not None:
            values = self.ref_values(module, call.scope, call.callee_ref)
        else:
            values = []
        return self._targets_of(values)

    def callback_targets(self, module: str, call: CallSite) -> tuple[Target, ...]:
        """What a known higher-order callee runs of the functions handed to it (`map(f, xs)`,
        `sorted(xs, key=f)`, `Thread(target=f)`, `loop.call_soon(f)`): edges from the caller."""
        if call.callee is None or not call.args:
            return ()
        slots = _CALLBACKS.get(self.qualify(module, call.scope, ".".join(call.callee)) or "")
        if slots is None and len(call.callee) > 1 and call.callee[-1] in _CALLBACK_METHODS and not self.targets(module, call):
            slots = _CALLBACK_METHODS[call.callee[-1]]  # a method of an object outside the project
        if slots is None:
            return ()
        positions, keywords = slots
        refs: list = []
        n = 0
        for kw, ref in call.args:
            if kw is None:
                if n in positions and ref is not None:
                    refs.append(ref)
                n += 1
            elif kw in keywords and ref is not None:
                refs.append(ref)
        values = [v for ref in refs for v in self.ref_values(module, call.scope, ref)]
        return self._targets_of(values)

    def ref_targets(self, module: str, scope: str, ref: Ref) -> tuple[Target, ...]:
        """What calling the value a reference names may reach."""
        return self._targets_of(self.ref_values(module, scope, ref))

    def with_contexts(self, module: str) -> list[tuple[str, Ref]]:
        """(scope, context manager reference) of every `with ctx as name:` in the module."""
        out = []
        for f in self.index.facts(module).flows:
            if f.kind is FlowKind.BIND and f.key == "" and f.ref[-2:] == ("__enter__", "()"):
                out.append((f.scope, f.ref[:-2]))
        return list(dict.fromkeys(out))

    def decorator_targets(self, module: str, scope: str, decorator: Decorator) -> tuple[Target, ...]:
        """What applying a decorator calls: the decorator, or for `@f(...)` what `f(...)` returned."""
        return self._targets_of(self._decorator_values(module, scope, decorator))

    def callers(self) -> dict[int, list[CallerEntry]]:
        """id(function) -> every call (and decorator application) that may reach it, with its arguments.

        Built once, with parameter flow off (a call through a parameter does not feed the table),
        then the name cache is dropped so later lookups see parameter flow.
        """
        if self._callers is None:
            self._building = True
            table: dict[int, list[CallerEntry]] = defaultdict(list)
            try:
                for module, src in self.index.modules.items():
                    for call in src.facts.calls:
                        for t in self.targets(module, call):
                            if t.function is not None:
                                table[id(t.function)].append((module, call.scope, call.args, t.implicit))
                    for fn in src.facts.functions:
                        current: list = [Value(ValueKind.FUNCTION, module, fn=fn)]
                        for d in reversed(fn.decorators):
                            applied: list = []
                            for deco in self._decorator_values(module, fn.scope, d):
                                if deco.kind is ValueKind.FUNCTION:
                                    table[id(deco.fn)].append((module, fn.scope, ((None, current),), deco.implicit))
                                    applied.extend(self._apply(deco, current))
                            current = applied or current
            finally:
                self._building = False
                self._memo.clear()
                self._cache.clear()
            self._callers = table
        return self._callers

    def _targets_of(self, values: list) -> tuple[Target, ...]:
        return tuple(dict.fromkeys(self.targets_of(values)[0]))

    # -- references --------------------------------------------------------------------------------
    def name_values(self, module: str, scope: str, name: str):
        key = ("name", module, scope, name)
        found = self._cache.get(key)
        if found is None:
            if key in self._guard:
                return []
            self._guard.add(key)
            try:
                found = self._cache[key] = self._name_values(module, scope, name) or []
            finally:
                self._guard.discard(key)
        return found

    def module_attr(self, module: str, attr: str):
        key = ("attr", module, attr)
        found = self._cache.get(key)
        if found is None:
            if key in self._guard:
                return []
            self._guard.add(key)
            try:
                found = self._cache[key] = super().module_attr(module, attr) or []
            finally:
                self._guard.discard(key)
        return found

    def ref_values(self, module: str, scope: str, ref: Ref) -> list:
        key = ("ref", module, scope, ref)
        found = self._cache.get(key)
        if found is None:
            if key in self._guard:
                return []
            self._guard.add(key)
            try:
                found = self._cache[key] = list(dict.fromkeys(self._ref_values(module, scope, ref)))
            finally:
                self._guard.discard(key)
        return found

    def _ref_values(self, module: str, scope: str, ref: Ref) -> list:
        self.steps += 1
        if self.steps > self.budget:
            raise BudgetExceeded
        head = ref[0]
        if head.startswith("<lambda>#"):
            lambdas = self.index.facts(module).lambdas
            n = int(head[9:])
            values: list = [Value(ValueKind.FUNCTION, module, fn=lambdas[n])] if n < len(lambdas) else []
        else:
            values = self.name_values(module, scope, head) or []
        skip = False
        for i, step in enumerate(ref[1:], 1):
            if not values:
                return []
            if skip:
                skip = False
                continue
            if step in _CONTAINER_METHODS and i + 1 < len(ref) and ref[i + 1] == "()":
                held = [c for c in values if isinstance(c, Container)]
                if held:  # `d.values()`, `d.copy()`: the container; `d.get(k)`, `d.pop(k)`: an element
                    values = self._subscript(held, "[?]") if _CONTAINER_METHODS[step] else held
                    skip = True
                    continue
            if step == "()":
                values = self.call_result(values) or []
            elif step.startswith("["):
                values = self._subscript(values, step)
            elif step in ("@staticmethod", "@classmethod"):
                if self.qualify(module, scope, step[1:]) != "builtins." + step[1:]:
                    return []
                mode = Mode.STATIC if step == "@staticmethod" else Mode.CLASS
                values = [replace(v, mode=mode) for v in values if v.kind is ValueKind.FUNCTION]
            else:
                values = self.attr_values(values, step) or []
        return values

    def _subscript(self, values: list, step: str, seen: frozenset = frozenset()) -> list:
        out: list = []
        for c in values:
            if isinstance(c, Container) and id(c) not in seen:
                for key, ref in c.elements:
                    if ref is None:
                        continue
                    if key == "[*]":  # `yield from ref`, a spread: the elements of ref (a cycle: no more)
                        inner = self.ref_values(c.module, c.scope, ref)
                        out.extend(self._subscript(inner, "[?]", seen | {id(c)}))
                    elif step == "[?]" or key == "[?]" or key == step:
                        out.extend(self.ref_values(c.module, c.scope, ref))
        return out

    def _decorator_values(self, module: str, scope: str, d: Decorator) -> list:
        if not d.name:
            return []
        values = self.ref_values(module, scope, tuple(d.name.split(".")))
        return (self.call_result(values) or []) if d.is_call else values

    def _apply(self, deco: Value, args: list) -> list:
        """What a decorator function returns when given `args`: its parameter back, or a wrapper."""
        fn = deco.fn
        positional = [p for p in fn.signature.params if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
        first = positional[deco.implicit].name if len(positional) > deco.implicit else None
        out: list = []
        for r in fn.returns:
            if r == (first,):
                out.extend(args)
            elif not self._flows_from_argument(deco.module, fn, r):
                out.extend(self.ref_values(deco.module, _body_scope(fn), r))
        return out

    def _flows_from_argument(self, module: str, fn: FunctionFact, ref: Ref) -> bool:
        """A returned value read from a parameter (not self/cls/annotated) depends on the call's
        arguments: without them, every caller's argument would leak into every call's result."""
        if fn.name == "<lambda>" or not any(p.name == ref[0] for p in fn.signature.params):
            return False
        return not Resolver._param_values(self, module, fn.qualname, ref[0])

    # -- the hooks the shared rules call in lenient mode --------------------------------------------
    def _returned(self, v: Value) -> list:
        out: list = []
        for r in v.fn.returns:
            if not self._flows_from_argument(v.module, v.fn, r):
                out.extend(self._in_body(v, r))
        yields = self.flows().get(("yield", v.module, v.fn.qualname))
        if yields:  # a generator: what iterating it (or next()) gives
            out.append(Container(v.module, v.fn.qualname, tuple(yields)))
        return out

    def _in_body(self, v: Value, ref: Ref) -> list:
        return self.ref_values(v.module, _body_scope(v.fn), ref)

    def _attr_flows(self, v: Value, attr: str) -> list:
        """`self.attr = ref` in a method of the value's class, a base's or a subclass's."""
        writes = self.flows().get(("attr", attr))
        if not writes:
            return []
        related = {id(c) for _, c in (self.classes.mro(v.module, v.cls) or [(v.module, v.cls)])}
        related |= {id(c) for _, c in (self.classes.dispatch_classes(v.module, v.cls, False) or [])}
        out: list = []
        for module, scope, base, ref in writes:
            owners = self.index.class_by_qualname.get((module, self.index.parent.get((module, scope), "")), [])
            if len(owners) == 1 and id(owners[0]) in related and base is not None and base == (self._first_param(module, scope),):
                out.extend(self.ref_values(module, scope, ref))
        return out

    def _decorated(self, module: str, scope: str, d: Decorator, values: list) -> list:
        applied: list = []
        for deco in self._decorator_values(module, scope, d):
            if deco.kind is ValueKind.FUNCTION:
                applied.extend(self._apply(deco, values))
        return applied

    def _flow_binding(self, module: str, scope: str, b: Binding):
        # OTHER with a reference: `global x` / `nonlocal x` then `x = REF` in an inner scope,
        # evaluated here (names it reads from its own locals are missed: fewer edges, never wrong ones)
        if b.elements is not None and b.kind in (BindingKind.ASSIGN, BindingKind.OTHER) and b.iterates is None:
            items = self.flows().get(("item", module, scope, b.name), ())  # `d[k] = f`, `l.append(f)`
            return [Container(module, scope, b.elements)] + [Container(module, s, ((k, r),)) for s, k, r in items]
        if b.kind in (BindingKind.ASSIGN, BindingKind.OTHER) and b.ref is not None and b.iterates is None:
            if b.ref[0] == b.name and self.index.scope_kind.get((module, scope)) is ScopeKind.CLASS:
                # `f = staticmethod(f)` in a class body reads the f bound outside it
                return self.ref_values(module, self.index.parent.get((module, scope), ""), b.ref)
            return self.ref_values(module, scope, b.ref)
        if b.kind is BindingKind.OTHER and b.iterates is not None:
            return self._subscript(self.ref_values(module, scope, b.iterates), "[?]")
        if b.kind is BindingKind.OTHER:  # with-as, except-as, unpacking: what the flows bind
            out: list = []
            for key, ref in self.flows().get(("bind", module, scope, b.name), ()):
                found = self.ref_values(module, scope, ref)
                out.extend(self._subscript(found, "[?]") if key == "[*]" else found)
            return out
        return None

    def _param_values(self, module: str, scope: str, name: str):
        found = super()._param_values(module, scope, name)
        if found or self._building:
            return found or []
        key = ("param", module, scope, name)
        if key in self._cache:
            return self._cache[key]
        if key in self._guard:
            return []
        self._guard.add(key)
        try:
            out: list = []
            for fn in self.index.functions_by_qualname.get((module, scope), []):
                params = fn.signature.params
                idx = next((i for i, p in enumerate(params) if p.name == name), None)
                if idx is None:
                    continue
                for cmod, cscope, args, implicit in self.callers().get(id(fn), []):
                    if params[idx].kind in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD):
                        out.append(Container(cmod, cscope, _rest(args, params, idx, implicit)))
                        continue
                    arg = _pick(args, params, idx, implicit)
                    if isinstance(arg, list):
                        out.extend(arg)
                    elif arg is not None:
                        out.extend(self.ref_values(cmod, cscope, arg))
            out = self._cache[key] = list(dict.fromkeys(out))
            return out
        finally:
            self._guard.discard(key)


# Callees that call the functions handed to them: (positional indexes, keywords) holding them.
_CALLBACKS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "builtins.map": ((0,), ()),
    "builtins.filter": ((0,), ()),
    "builtins.sorted": ((), ("key",)),
    "builtins.min": ((), ("key",)),
    "builtins.max": ((), ("key",)),
    "functools.reduce": ((0,), ()),
    "itertools.starmap": ((0,), ()),
    "itertools.filterfalse": ((0,), ()),
    "itertools.takewhile": ((0,), ()),
    "itertools.dropwhile": ((0,), ()),
    "itertools.groupby": ((1,), ("key",)),
    "itertools.accumulate": ((1,), ("func",)),
    "threading.Thread": ((1,), ("target",)),
    "threading.Timer": ((1,), ("function",)),
    "multiprocessing.Process": ((1,), ("target",)),
    "atexit.register": ((0,), ()),
    "signal.signal": ((1,), ()),
    "contextlib.ExitStack.callback": ((0,), ()),
    "asyncio.run": ((0,), ()),
}
# Methods of outside objects (event loops, executors, futures, lists) that run what they are given.
_CALLBACK_METHODS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "call_soon": ((0,), ()),
    "call_soon_threadsafe": ((0,), ()),
    "call_later": ((1,), ()),
    "call_at": ((1,), ()),
    "run_in_executor": ((1,), ()),
    "add_done_callback": ((0,), ()),
    "submit": ((0,), ()),
    "sort": ((), ("key",)),
}

# container methods followed for edges: True when the call gives an element, False the container
_CONTAINER_METHODS = {"values": False, "copy": False, "get": True, "pop": True, "setdefault": True}


def _body_scope(fn: FunctionFact) -> str:
    """Where a function's return expressions are evaluated: its own body; a lambda's, its enclosing scope."""
    return fn.scope if fn.name == "<lambda>" else fn.qualname


def _rest(args: tuple, params: tuple, idx: int, implicit: int) -> tuple:
    """What `*args` (a tuple) or `**kwargs` (a dict) at `idx` collects from a call, as container elements."""
    named = {p.name for p in params if p.kind in (ParamKind.POSITIONAL_OR_KEYWORD, ParamKind.KEYWORD_ONLY)}
    before = sum(p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD) for p in params) - implicit
    out: list = []
    n = 0
    for kw, ref in args:
        if isinstance(ref, list):
            continue
        if params[idx].kind is ParamKind.VAR_POSITIONAL:
            if kw is None:
                if n >= before:
                    out.append((f"[{n - before!r}]", ref))
                n += 1
            elif kw == "*":
                out.append(("[*]", ref))
        elif kw == "**":
            out.append(("[*]", ref))
        elif kw not in (None, "*") and kw not in named:
            out.append((f"[{kw!r}]", ref))
    return tuple(out)


def _pick(args: tuple, params: tuple, idx: int, implicit: int):
    """The argument a call passes for parameter `idx`: a Ref, a list of Values, or None."""
    p = params[idx]
    if p.kind in (ParamKind.POSITIONAL_OR_KEYWORD, ParamKind.KEYWORD_ONLY):
        for kw, ref in args:
            if kw == p.name:
                return ref
    if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD):
        position = idx - implicit
        if position < 0:
            return None
        n = 0
        for kw, ref in args:
            if kw == "*":
                return None
            if kw is None:
                if n == position:
                    return ref
                n += 1
    return None
