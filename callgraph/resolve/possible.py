"""Possible call targets, for call-graph edges only: what a call *may* reach.

The checker's `Resolver` answers all-or-nothing: one unknown and the call stays silent. A call
graph wants the opposite trade: every target we can see, unknowns dropped instead of spoiling the
set. `PossibleResolver` is that lenient twin. It also follows flows the checker does not trust:
lambdas, functions returned by functions, functions passed as arguments and called through the
parameter, functions held in dict/list/tuple displays (subscripts and `for` loops), class
attributes bound to functions, and decorators of unknown effect (through what they return, else
the function itself). Its targets become edges marked `possible`; `checks` never reads them, so
no finding can come from here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .index import Index
from ..facts.model import Binding, BindingKind, CallSite, Decorator, FunctionFact, ParamKind, ScopeKind
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
        for step in ref[1:]:
            if not values:
                return []
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

    def _subscript(self, values: list, step: str) -> list:
        out: list = []
        for c in values:
            if isinstance(c, Container):
                for key, ref in c.elements:
                    if ref is not None and (step == "[?]" or key == "[?]" or key == step):
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
                out.extend(self.ref_values(v.module, _body_scope(v.fn), r))
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
        if b.kind in (BindingKind.ASSIGN, BindingKind.OTHER) and b.ref is not None and b.iterates is None:
            if b.elements is not None:
                return [Container(module, scope, b.elements)]
            return self.ref_values(module, scope, b.ref)
        if b.kind is BindingKind.ASSIGN and b.elements is not None:
            return [Container(module, scope, b.elements)]
        if b.kind is BindingKind.OTHER and b.iterates is not None:
            out: list = []
            for c in self.ref_values(module, scope, b.iterates):
                if isinstance(c, Container):
                    for _, ref in c.elements:
                        if ref is not None:
                            out.extend(self.ref_values(c.module, c.scope, ref))
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
                    arg = _pick(args, params, idx, implicit)
                    if isinstance(arg, list):
                        out.extend(arg)
                    elif arg is not None:
                        out.extend(self.ref_values(cmod, cscope, arg))
            out = self._cache[key] = list(dict.fromkeys(out))
            return out
        finally:
            self._guard.discard(key)


def _body_scope(fn: FunctionFact) -> str:
    """Where a function's return expressions are evaluated: its own body; a lambda's, its enclosing scope."""
    return fn.scope if fn.name == "<lambda>" else fn.qualname


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
