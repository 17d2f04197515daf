"""Join call sites to every function they may reach, across modules.

The resolver answers with the *complete* set of possible targets or admits it
does not know (`Resolution.complete` is False). Checks only ever report on
complete resolutions: unknown means silent.

One set of rules, two readings of "unknown": `lenient` False (the checker's) makes any unknown
part spoil the whole answer (None); `lenient` True (the call graph's, `possible.PossibleResolver`)
drops the unknown part and keeps every target it can see. Every rule here serves both, so the
checker and the graph never drift apart; the flows only the graph follows hang off the hooks
`_flow_binding`, `_returned`, `_decorated` and `_attr_flows`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .builtin_values import STUB_MARKERS, builtin_value_class, builtin_values, literal_values, with_builtin
from .classes import ClassModel
from .index import Index
from ..facts.model import Binding, BindingKind, CallSite, ClassFact, FunctionFact, ParamKind, ScopeKind, Signature

# Decorators trusted to hand calls through to the function unchanged, so the
# function's own TypeError is what the caller sees.
DEFAULT_PRESERVING = frozenset(
    {
        "functools.cache",
        "functools.lru_cache",
        "abc.abstractmethod",
        "typing.final",
        "typing_extensions.final",
        "typing.override",
        "typing_extensions.override",
        "typing.no_type_check",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "atexit.register",
    }
)


class Mode(enum.Enum):
    PLAIN = "plain"
    STATIC = "staticmethod"
    CLASS = "classmethod"


class ValueKind(enum.Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    INSTANCE = "instance"
    PARTIAL = "partial"  # a functools.partial/partialmethod object (`partials.Bound`)


@dataclass(frozen=True, slots=True)
class Value:
    """What a name may hold at runtime, as far as the project's source shows."""

    kind: ValueKind
    module: str
    fn: FunctionFact | None = None
    cls: ClassFact | None = None
    exact: bool = True  # CLASS/INSTANCE: False when it may be any subclass too
    mode: Mode = Mode.PLAIN  # FUNCTION found in a class body
    implicit: int = 0  # FUNCTION: leading positionals passed for it (bound self/cls); PARTIAL: 1 through an instance
    partial: object = None  # PARTIAL: a `partials.Bound` (typed loosely: partials imports this module)


class TargetKind(enum.Enum):
    FUNCTION = "function"
    DATACLASS_INIT = "dataclass-init"
    NO_ARGUMENTS = "no-arguments"
    NO_KEYWORDS = "no-keywords"  # BaseException's constructor: any positionals, no keyword
    NATIVE = "native"  # a C function, its signature from a stub (`native.bind_native`)


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    module: str
    qualname: str  # as CPython names it in messages
    signature: Signature | None
    implicit: int = 0
    function: FunctionFact | None = None
    cls: ClassFact | None = None
    # A function that hands its whole call on (`return f(*a, **kw)`): the call binds as these do.
    forwards_to: tuple[Target, ...] = ()
    forward_leading: tuple[str, ...] = ()  # its parameters handed on by name before `*args`
    version: tuple[int, int] | None = None  # the target interpreter's, for its words (None: 3.11's)
    bound_keywords: tuple[str, ...] = ()  # stored by a functools.partial: first in the call's keywords

    @property
    def full_name(self) -> str:
        return f"{self.module}.{self.qualname}" if self.module else self.qualname


@dataclass(frozen=True, slots=True)
class Resolution:
    targets: tuple[Target, ...]
    complete: bool  # True when targets are every function the call can reach


UNRESOLVED = Resolution((), False)
Values = list[Value] | None  # None: unknown


class Resolver:
    lenient = False  # True: unknown parts contribute nothing instead of spoiling the answer

    def __init__(
        self, index: Index, *, preserving: frozenset[str] = DEFAULT_PRESERVING, mutators: frozenset[str] = frozenset()
    ) -> None:
        self.index = index
        self.preserving = preserving - mutators  # a mutator is unknown even when otherwise trusted
        self.classes = ClassModel(index, self)
        self._active: set[tuple] = set()
        self._memo: dict[tuple[str, str, str], Values] = {}
        self._memo_reads: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
        # Beside `index.reads`: the project-wide answers (subclasses, attribute writes, dynamic
        # classes: `resolve.answers`) the resolution under way used, by key.
        self.keys: set[str] = set()
        self.file_reads: dict[str, tuple[set[str], set[str]]] = {}  # by path, filled by `resolve_calls`
        self._patched = {a for a, items in index.attr_assigns.items() if items}  # by name: lenient edges, infer
        from .decorators import ProjectDecorators  # they read Values and Targets: imported late
        from .partials import Partials
        from .answers import Answers

        self.answers = Answers(self)
        from .writes import AttributeWrites

        self.writes = AttributeWrites(index, self)
        self.decorators = ProjectDecorators(self, mutators)
        self.partials = Partials(self)

    # -- entry point ---------------------------------------------------------
    def resolve_call(self, module: str, call: CallSite) -> Resolution:
        if call.callee is None:
            return UNRESOLVED
        if call.callee[0] == "super()":
            values = self._super_values(module, call.scope, call.callee)
        else:
            values = self.path_values(module, call.scope, call.callee)
        if not values:
            return UNRESOLVED
        targets, complete = self.targets_of(values)
        if not complete:
            return Resolution(targets, False)
        # Deduplicate by identity: hashing a Target would hash its whole FunctionFact.
        unique = {(t.kind, t.module, t.qualname, t.implicit, id(t.function), id(t.cls), t.bound_keywords): t for t in targets}
        if self.index.version is not None:
            unique = {k: replace(t, version=self.index.version) for k, t in unique.items()}
        if call.environment_guarded and any(self.index.is_outside(t.module) for t in unique.values()):
            return Resolution(tuple(unique.values()), False)  # code for another interpreter or version
        return Resolution(tuple(unique.values()), True)

    def targets_of(self, values: list[Value]) -> tuple[tuple[Target, ...], bool]:
        """What calling these values reaches, and whether that is all of it."""
        targets: list[Target] = []
        complete = True
        for v in values:
            self.index.reads.add(v.module)
            if v.kind is ValueKind.FUNCTION:
                fn = v.fn
                kind = TargetKind.NATIVE if self.index.is_stub(v.module) else TargetKind.FUNCTION
                # what a forwarding function hands its call on to matters to binding only
                forwards, leading = (None if self.lenient else self.decorators.forward_targets(v)) or ((), ())
                targets.append(Target(kind, v.module, fn.qualname, fn.signature, v.implicit, fn, None, forwards, leading))
                continue
            if v.kind is ValueKind.CLASS:
                made = self.classes.constructors(v.module, v.cls, v.exact)
                if made is not None:
                    targets.extend(made)
                    continue
            elif v.kind is ValueKind.PARTIAL:
                made, whole = self.partials.targets(v)
                if whole or self.lenient:
                    targets.extend(made)
                if whole:
                    continue
            elif v.kind is ValueKind.INSTANCE and self.lenient:  # calling an instance calls its class's __call__
                for f in self._class_member(v, "__call__", through_instance=True) or []:
                    if f.kind is ValueKind.FUNCTION:
                        targets.extend(self.targets_of([f])[0])
                continue
            if not self.lenient:
                return tuple(targets), False
            complete = False
        return tuple(targets), complete

    # -- what a resolution read --------------------------------------------------
    def tracked(self, compute: Callable[..., Any], *args: Any, merge: bool = True) -> tuple[Any, tuple[set[str], set[str]]]:
        """compute(*args) with its own record of modules read and answers used, returned beside its
        value (a memo entry keeps it, and gives it to every later hit); with `merge`, the record
        is added to the current one too. Without, it is a project-wide answer's own (shielded)."""
        index = self.index
        outer = index.reads, self.keys
        index.reads, self.keys = set(), set()
        try:
            value = compute(*args)
        finally:
            record = index.reads, self.keys
            index.reads, self.keys = outer
            if merge:
                outer[0].update(record[0])
                outer[1].update(record[1])
        return value, record

    def replay(self, record: tuple[set[str], set[str]] | None) -> None:
        """A memo hit: what computing it read is read now."""
        if record is not None:
            self.index.reads.update(record[0])
            self.keys.update(record[1])

    # -- names -----------------------------------------------------------------
    def path_values(self, module: str, scope: str, path: tuple[str, ...]) -> Values:
        """Values of a dotted path; an element ending in "()" is called on the way."""
        values: Values = None
        for i, element in enumerate(path):
            name = element.removesuffix("()")
            values = self.name_values(module, scope, name) if i == 0 else self.attr_values(values, name)
            if values is not None and element.endswith("()"):
                values = self.call_result(values)
            if values is None:
                return None
        return values

    def call_result(self, values: list[Value]) -> Values:
        """What calling these values returns: instances of plainly constructed classes, else unknown.

        Lenient: an instance of any class called (a metaclass or `__new__` may make another one,
        which stays unseen), and what a function's `return`s name (`_returned`)."""
        out: list[Value] = []
        for v in values:
            if v.kind is ValueKind.CLASS and builtin_value_class(self.index, v):
                out.append(Value(ValueKind.INSTANCE, v.module, cls=v.cls, exact=True))
                continue
            if v.kind is ValueKind.CLASS and (self.lenient or self.classes.constructs_plainly(v.module, v.cls, v.exact)):
                out.append(Value(ValueKind.INSTANCE, v.module, cls=v.cls, exact=v.exact))
                continue
            if not self.lenient:
                return None
            if v.kind is ValueKind.FUNCTION:
                out.extend(self._returned(v))
        return out

    def _returned(self, v: Value) -> list[Value]:
        """Lenient only: what a function value's body may return (possible.PossibleResolver)."""
        return []

    def name_values(self, module: str, scope: str, name: str) -> Values:
        """Python's LEGB lookup; class bodies are visible only from directly inside them."""
        if name.startswith("<"):
            return literal_values(self, name)  # "<str>": the class a literal makes, never shadowed
        if self._active:  # inside a lookup: a cycle guard may have cut it short, so no caching
            return self._name_values(module, scope, name)
        key = (module, scope, name)
        if key in self._memo:
            self.replay(self._memo_reads.get(key))
            return self._memo[key]
        found, self._memo_reads[key] = self.tracked(self._name_values, module, scope, name)
        self._memo[key] = found
        return found

    def _name_values(self, module: str, scope: str, name: str) -> Values:
        index = self.index
        current, first = scope, True
        while True:
            kind = index.scope_kind.get((module, current), ScopeKind.MODULE)
            if current == "" and index.facts(module).dynamic_globals:
                return None
            if first or kind is not ScopeKind.CLASS:
                bindings = index.scope_bindings(module, current, name)
                if bindings:
                    found = self._bindings_values(module, current, name, bindings, same_scope=first)
                    if found is not _NOT_BOUND:
                        if current == "" and found is not None and all(b.conditional for b in bindings):
                            return with_builtin(self, name, found)  # maybe never bound: then the builtin
                        return found
            if current == "":
                return builtin_values(self, module, name)  # a builtin, or undefined
            current = index.parent.get((module, current), "")
            first = False

    def _bindings_values(self, module: str, scope: str, name: str, bindings: list[Binding], same_scope: bool):
        key = ("name", module, scope, name)
        if key in self._active:
            return [] if self.lenient else None
        self._active.add(key)
        try:
            kind = self.index.scope_kind.get((module, scope), ScopeKind.MODULE)
            # Code in another scope runs after this one finished binding: the last
            # unconditional binding wins, conditional ones after it may too. Code in
            # the same scope (or a function's locals) may see any of them.
            # A stub's repeated names are overloads or alternatives: all of them stay possible.
            flow_insensitive = same_scope or kind is ScopeKind.FUNCTION or self.index.is_stub(module)
            live: list[Values] = []
            for b in bindings:
                if b.kind is BindingKind.GLOBAL:
                    return self.name_values(module, "", name)
                if b.kind is BindingKind.NONLOCAL:
                    return self.name_values(module, self.index.parent.get((module, scope), ""), name)
                if b.name == "*":
                    vals = self._star_values(module, b, name)
                    if vals is _NOT_BOUND:
                        continue
                else:
                    vals = self._binding_values(module, scope, b)
                if not flow_insensitive and not b.conditional:
                    live = []
                live.append(vals)
            if not live:
                return _NOT_BOUND
            out: list[Value] = []
            for vals in live:
                if vals is None:
                    if self.lenient:
                        continue
                    return None
                out.extend(vals)
            return out
        finally:
            self._active.discard(key)

    def _binding_values(self, module: str, scope: str, b: Binding) -> Values:
        index = self.index
        if self.lenient:
            flowed = self._flow_binding(module, scope, b)
            if flowed is not None:
                return flowed
        if b.kind is BindingKind.DEF:
            return self.function_values(module, index.function(module, b))
        if b.kind is BindingKind.CLASS:
            cls = index.klass(module, b)
            if not self.lenient and not self.classes.plainly_decorated(module, cls):
                return None  # a class decorator may return anything (lenient: the class stays possible)
            return [Value(ValueKind.CLASS, module, cls=cls)]
        if b.kind is BindingKind.IMPORT:
            return self._import_values(module, index.import_(module, b))
        if b.kind is BindingKind.ASSIGN:
            if b.partial is not None and (made := self.partials.made(module, scope, b.partial)) is not self.partials.NOT:
                return made
            if b.value is not None:
                return self.path_values(module, scope, (*b.value[:-1], b.value[-1] + "()"))
            if b.value_name is not None:
                return self.path_values(module, scope, b.value_name)
            return None
        if b.kind is BindingKind.PARAM:
            return self._param_values(module, scope, b.name)
        return None

    def _flow_binding(self, module: str, scope: str, b: Binding) -> Values:
        """Lenient only: a binding's values through flows the checker does not follow (None: none)."""
        return None

    def _import_values(self, module: str, imp) -> Values:
        index = self.index
        if imp.name is None:
            target = imp.module if imp.alias else imp.module.split(".")[0]
            return [Value(ValueKind.MODULE, target)] if index.is_module(target) else None
        base = index.absolute_module(module, imp)
        if base is None or not index.is_module(base):
            return None
        return self.module_attr(base, imp.name)

    def _star_values(self, module: str, b: Binding, name: str):
        index = self.index
        imp = index.import_(module, b)
        base = index.absolute_module(module, imp)
        if base is None or not index.has_facts(base):
            return None  # a module we cannot read may export anything
        facts = index.facts(base)
        if facts.dunder_all_dynamic:
            return None
        if facts.dunder_all is not None:
            if name not in facts.dunder_all:
                return _NOT_BOUND
        elif name.startswith("_"):
            return _NOT_BOUND
        vals = self.module_attr(base, name)
        if vals is None and facts.dunder_all is None and not index.scope_bindings(base, "", name):
            return _NOT_BOUND
        return vals

    def module_attr(self, module: str, attr: str) -> Values:
        index = self.index
        if index.has_facts(module):
            if index.facts(module).dynamic_globals:
                return None
            if self.writes.touches_module(module, attr, outside=index.is_outside(module)):
                return None  # `json.loads = ...` somewhere: the function may not be the one defined
            if index.is_outside(module) and attr in index.outside_writes(module):
                return None
            bindings = index.scope_bindings(module, "", attr)
            if bindings:
                found = self._bindings_values(module, "", attr, bindings, same_scope=False)
                if found is not _NOT_BOUND:
                    return found
        sub = f"{module}.{attr}"
        if index.is_module(sub):
            return [Value(ValueKind.MODULE, sub)]
        return None

    def qualify(self, module: str, scope: str, dotted: str | None) -> str | None:
        """The outside-world dotted name an expression refers to ("functools.wraps"), if it is one."""
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        current = scope
        while True:
            bindings = self.index.scope_bindings(module, current, head)
            if bindings:
                if len(bindings) != 1 or bindings[0].kind is not BindingKind.IMPORT:
                    return None
                imp = self.index.import_(module, bindings[0])
                base = self.index.absolute_module(module, imp)
                if base is None or self.index.in_project(base):
                    return None
                if imp.name is None:
                    full = imp.module if imp.alias else head
                else:
                    full = f"{base}.{imp.name}"
                return f"{full}.{rest}" if rest else full
            if current == "":
                return f"builtins.{dotted}"
            current = self.index.parent.get((module, current), "")

    # -- functions and parameters --------------------------------------------
    def function_values(self, module: str, fn: FunctionFact) -> Values:
        self.index.reads.add(module)
        mode = Mode.PLAIN
        if fn.scope_kind is ScopeKind.CLASS:
            if fn.name == "__new__":
                mode = Mode.STATIC
            elif fn.name in ("__init_subclass__", "__class_getitem__"):
                mode = Mode.CLASS
        stub = self.index.is_stub(module)
        values = [Value(ValueKind.FUNCTION, module, fn=fn)]
        for d in reversed(fn.decorators):  # the innermost decorator is applied first
            q = self.qualify(module, fn.scope, d.name)
            if q == "builtins.staticmethod" and not d.is_call:
                mode = Mode.STATIC
            elif q == "builtins.classmethod" and not d.is_call:
                mode = Mode.CLASS
            elif stub and q in STUB_MARKERS:
                continue  # a stub's overload/final/deprecated marks a C function, never wraps it
            elif q in self.preserving:
                continue
            elif self.lenient:  # what the decorator returns, else the function itself
                values = self._decorated(module, fn.scope, d, values) or values
            elif q is not None or mode is not Mode.PLAIN:
                return None  # an outside decorator, or a project one given a staticmethod/classmethod
            else:
                values = self.decorators.apply(module, fn.scope, d, values)
                if values is None:
                    return None
        return [Value(v.kind, v.module, v.fn, v.cls, v.exact, mode) for v in values]

    def _decorated(self, module: str, scope: str, d, values: list[Value]) -> list[Value]:
        """Lenient only: what applying decorator `d` to `values` may give ([]: unknown)."""
        return []

    def _param_values(self, module: str, scope: str, name: str) -> Values:
        self.index.reads.add(module)
        fns = self.index.functions_by_qualname.get((module, scope), [])
        out: list[Value] = []
        for fn in fns:
            params = fn.signature.params
            param = next((p for p in params if p.name == name), None)
            if param is None:
                return None
            positional = [p for p in params if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
            if fn.scope_kind is ScopeKind.CLASS and positional and positional[0] is param:
                owners = self.index.class_by_qualname.get((module, fn.scope), [])
                vals = self.function_values(module, fn)
                mode = vals[0].mode if vals else Mode.PLAIN
                if len(owners) != 1 or mode is Mode.STATIC:
                    return None
                kind = ValueKind.CLASS if mode is Mode.CLASS else ValueKind.INSTANCE
                out.append(Value(kind, module, cls=owners[0], exact=False))
            elif param.annotation and param.kind in (
                ParamKind.POSITIONAL_ONLY,
                ParamKind.POSITIONAL_OR_KEYWORD,
                ParamKind.KEYWORD_ONLY,
            ):
                made = self.path_values(module, fn.scope, tuple(param.annotation.split(".")))
                if not made or not all(v.kind is ValueKind.CLASS for v in made):
                    return None
                out.extend(Value(ValueKind.INSTANCE, v.module, cls=v.cls, exact=False) for v in made)
            else:
                return None
        return out or None

    # -- attributes ------------------------------------------------------------
    def attr_values(self, values: list[Value], attr: str) -> Values:
        out: list[Value] = []
        for v in values:
            if v.kind is ValueKind.MODULE:
                found = self.module_attr(v.module, attr)
            elif v.kind is ValueKind.CLASS:
                found = self._class_member(v, attr, through_instance=False)
            elif v.kind is ValueKind.INSTANCE:
                found = self._instance_attr(v, attr)
            else:
                found = None
            if found is None:
                if self.lenient:
                    continue
                return None
            out.extend(found)
        return out

    def _class_member(self, v: Value, attr: str, *, through_instance: bool) -> Values:
        # Lenient: what the class bodies define stays possible whatever else writes the attribute.
        strict = not self.lenient
        if strict and not through_instance and self.writes.reaching(v, attr, through_instance=False) != []:
            return None  # `C.attr = ...` on this class, a base's or a subclass's, or on an unknown object
        out: list[Value] = []
        classes = self.classes.dispatch_classes(v.module, v.cls, v.exact)
        if classes is None or (not strict and not classes):
            if strict:
                return None
            classes = [(v.module, v.cls)]
        for module, cls in classes:
            if strict and self.classes.has_dynamic_members(module, cls, through_instance):
                return None
            if strict and self.classes.written_outside(module, cls, attr):
                return None
            found = self.classes.lookup(module, cls, attr)
            if found is None:
                if not strict:
                    continue
                return None
            for f in found:
                out.append(_accessed(f, through_instance))
        return out

    def _instance_attr(self, v: Value, attr: str) -> Values:
        key = ("instance attr", id(v.cls), attr)
        if key in self._active:  # `self.a = self.a.b()`: a cycle, unknown (lenient: adds nothing new)
            return [] if self.lenient else None
        self._active.add(key)
        try:
            return self._instance_attr_values(v, attr)
        finally:
            self._active.discard(key)

    def _instance_attr_values(self, v: Value, attr: str) -> Values:
        if self.lenient:  # the class's member, and what any method assigns to the attribute by name
            out = self._class_member(v, attr, through_instance=True) or []
            if attr in self._patched:
                out.extend(self._assigned_instances(v, attr) or [])
            out.extend(self._attr_flows(v, attr))
            return out
        reaching = self.writes.reaching(v, attr, through_instance=True)
        if reaching is None:
            return None
        if reaching:
            return self._assigned_instances(v, attr, [w.source for w in reaching])
        return self._class_member(v, attr, through_instance=True)

    def _attr_flows(self, v: Value, attr: str) -> list[Value]:
        """Lenient only: what the class's own methods store in `self.attr` (possible.PossibleResolver)."""
        return []

    def _assigned_instances(self, v: Value, attr: str, writes: list | None = None) -> Values:
        """`self.attr = Cls(...)` in the class's own methods is the only way attr gets its value."""
        classes = self.classes.dispatch_classes(v.module, v.cls, False)
        if classes is None:
            return None
        related = {id(c) for _, c in classes}
        mro = self.classes.mro(v.module, v.cls)
        if mro is None:
            return None
        related |= {id(c) for _, c in mro}
        self.index.reads.update(m for m, _ in classes)
        for module, cls in mro:
            if self.index.scope_bindings(module, cls.qualname, attr):
                return None
        out: list[Value] = []
        for module, a in self.index.attr_assigns[attr] if writes is None else writes:
            self.index.reads.add(module)
            owners = self.index.class_by_qualname.get((module, self.index.parent.get((module, a.scope), "")), [])
            if a.value is None or len(owners) != 1 or id(owners[0]) not in related:
                return None
            first = self._first_param(module, a.scope)
            if first is None or a.base != (first,):
                return None
            made = self.partials.made(module, a.scope, a.partial) if a.partial is not None else self.partials.NOT
            if made is self.partials.NOT:
                made = self.path_values(module, a.scope, (*a.value[:-1], a.value[-1] + "()"))
            if made is None:
                return None
            out.extend(made)
        return out or None

    def _first_param(self, module: str, scope: str) -> str | None:
        self.index.reads.add(module)
        names = set()
        for fn in self.index.functions_by_qualname.get((module, scope), []):
            positional = [p for p in fn.signature.params if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
            names.add(positional[0].name if positional else None)
        return names.pop() if len(names) == 1 else None

    # -- super() ---------------------------------------------------------------
    def _super_values(self, module: str, scope: str, path: tuple[str, ...]) -> Values:
        unknown: Values = [] if self.lenient else None
        if len(path) != 2:
            return unknown
        self.index.reads.add(module)
        fns = self.index.functions_by_qualname.get((module, scope), [])
        owners = self.index.class_by_qualname.get((module, self.index.parent.get((module, scope), "")), [])
        if not fns or len(owners) != 1 or fns[0].scope_kind is not ScopeKind.CLASS:
            return unknown
        vals = self.function_values(module, fns[0])
        if not vals:
            return unknown
        if vals[0].mode is Mode.STATIC and fns[0].name != "__new__":
            return unknown  # zero-argument super() takes its object from the first argument: __new__'s cls
        via_class = vals[0].mode is not Mode.PLAIN
        out: list[Value] = []
        classes = self.classes.dispatch_classes(module, owners[0], False)
        if classes is None or (self.lenient and not classes):
            if not self.lenient:
                return None
            classes = [(module, owners[0])]
        for m, concrete in classes:
            if self.writes.reaching(Value(ValueKind.CLASS, m, cls=concrete), path[1], through_instance=False) != []:
                return unknown  # `Base.__init__ = f`: super() finds what the write stored
            found = self.classes.lookup_after(m, concrete, module, owners[0], path[1])
            if found is None:
                if self.lenient:
                    continue
                return None
            out.extend(_accessed(f, not via_class) for f in found)
        return out


class _NotBound:
    """A star import that does not export the name: the binding contributes nothing."""


_NOT_BOUND = _NotBound()


def _accessed(v: Value, through_instance: bool) -> Value:
    """A class-body value as seen through an instance or the class (the descriptor protocol)."""
    if v.kind is ValueKind.PARTIAL:
        return replace(v, implicit=1 if through_instance else 0)  # `partials.Partials.targets` decides
    if v.kind is not ValueKind.FUNCTION:
        return v
    if v.mode is Mode.STATIC:
        implicit = 0
    elif v.mode is Mode.CLASS:
        implicit = 1
    else:
        implicit = 1 if through_instance else 0
    return Value(v.kind, v.module, v.fn, v.cls, v.exact, v.mode, implicit)
