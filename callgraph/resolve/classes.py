"""Classes as the resolver sees them: bases, C3 MRO, subclasses, members and constructors.

Only classes whose whole MRO is inside the project (or in the few outside
bases known to add nothing to construction) get an MRO; any other class is
unknown for everything but members it defines itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .answers import DYNAMIC_KEY
from .index import Index
from .outside import BUILTINS, builtin_exception, builtin_exception_chain, is_builtin_exception
from ..facts.model import ClassFact, Param, ParamKind, Signature

if TYPE_CHECKING:
    from .resolver import Resolver, Target, Value

ClassRef = tuple[str, ClassFact]  # (module, class)

# Outside bases that define neither __init__ nor __new__ nor a metaclass __call__.
TRANSPARENT_BASES = frozenset({"builtins.object", "abc.ABC", "typing.Generic"})
PLAIN_METACLASSES = frozenset({"builtins.type", "abc.ABCMeta"})
# Class decorators that return the class itself, with construction untouched
# (dataclass is modelled separately).
PLAIN_CLASS_DECORATORS = frozenset(
    {"functools.total_ordering", "typing.final", "typing_extensions.final", "typing.runtime_checkable"}
)
DATACLASS = frozenset({"dataclasses.dataclass"})
# Class decorators that, in a stub, describe a C class without replacing it.
STUB_CLASS_MARKERS = frozenset(
    {"typing_extensions.disjoint_base", "typing.final", "typing_extensions.final", "typing.type_check_only",
     "typing_extensions.deprecated", "warnings.deprecated"}
)
# Names a class body may bind without changing what calling its instances (classes) does.
_INERT_DUNDERS = frozenset({"__module__", "__qualname__", "__doc__", "__slots__", "__annotations__"})


class ClassModel:
    def __init__(self, index: Index, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self._mro: dict[int, list[ClassRef] | None] = {}
        self._mro_reads: dict[int, tuple[set[str], set[str]]] = {}
        self._subclasses: dict[int, list[ClassRef]] | None = None
        self._dynamic: tuple[set[int], set[int]] | None = None
        self._unplaced_bases: set[str] = set()
        # What building the project-wide answers read (`resolve.answers`).
        self.subclass_record: tuple[set[str], set[str]] = (set(), set())
        self.dynamic_record: tuple[set[str], set[str]] = (set(), set())

    # -- bases and MRO ---------------------------------------------------------
    def bases(self, module: str, cls: ClassFact) -> list[ClassRef] | None:
        self.index.reads.add(module)
        if cls.has_star_bases:
            return None
        out: list[ClassRef] = []
        for base in cls.bases:
            if base is None:
                return None
            name = base.removesuffix("[]")
            qualified = self.resolver.qualify(module, cls.scope, name)
            if qualified in TRANSPARENT_BASES:
                continue
            exception = builtin_exception(qualified)
            if exception is not None:  # C code, modelled by its constructor alone
                out.append((BUILTINS, exception))
                continue
            from .resolver import ValueKind

            found = self.resolver.path_values(module, cls.scope, tuple(name.split(".")))
            if not found or len(found) != 1 or found[0].kind is not ValueKind.CLASS:
                return None
            if self.index.is_stub(found[0].module):
                return None  # a C class: its layout and construction are not modelled
            out.append((found[0].module, found[0].cls))
        return out

    def mro(self, module: str, cls: ClassFact) -> list[ClassRef] | None:
        key = id(cls)
        if key in self._mro:
            self.resolver.replay(self._mro_reads.get(key))
            return self._mro[key]
        self._mro[key] = None  # a cycle in the bases stays unknown
        result, self._mro_reads[key] = self.resolver.tracked(self._linearise, module, cls)
        self._mro[key] = result
        return result

    def _linearise(self, module: str, cls: ClassFact) -> list[ClassRef] | None:
        self.index.reads.add(module)
        bases = self.bases(module, cls)
        result: list[ClassRef] | None = None
        if bases is not None:
            seqs = [self.mro(m, b) for m, b in bases]
            if all(s is not None for s in seqs):
                result = _c3([(module, cls)], [list(s) for s in seqs] + [list(bases)])
        return result

    def subclasses(self, module: str, cls: ClassFact) -> list[ClassRef] | None:
        """Every project subclass; None when a class we cannot place may be one. A project-wide
        answer: its key is recorded, what building the table read is not (`resolve.answers`)."""
        self.resolver.keys.add(self.resolver.answers.subclasses_key(cls))
        if self._subclasses is None:
            self.subclass_record = self.resolver.tracked(self._subclass_table, merge=False)[1]
        if cls.name in self._unplaced_bases:
            return None
        return self._subclasses.get(id(cls), [])

    def _subclass_table(self) -> None:
        if self._subclasses is None:
            self.index.reads.update(self.index.modules)  # every module's classes, or that it has none
            table: dict[int, list[ClassRef]] = {}
            for m, src in self.index.modules.items():
                for c in src.facts.classes:
                    mro = self.mro(m, c)
                    if mro is None:
                        # Its bases are unknown to us; by name, it may still derive from ours.
                        self._unplaced_bases.update((b or "").removesuffix("[]").rsplit(".", 1)[-1] for b in c.bases)
                    for _, ancestor in (mro or [])[1:]:
                        table.setdefault(id(ancestor), []).append((m, c))
            self._subclasses = table

    def dispatch_classes(self, module: str, cls: ClassFact, exact: bool) -> list[ClassRef] | None:
        """The classes whose attribute lookup a value of `cls` may use at runtime (None: unknown)."""
        self.index.reads.add(module)
        if exact:
            return [(module, cls)]
        if module not in self.index.modules:
            return None  # an outside class: outside subclasses we never read may override anything
        subs = self.subclasses(module, cls)
        if subs is None:
            return None
        self.index.reads.update(m for m, _ in subs)
        return [(module, cls)] + subs

    # -- members ---------------------------------------------------------------
    def _own(self, module: str, cls: ClassFact, attr: str):
        """Values `attr` has in one class body; _NOT_FOUND when the body does not bind it."""
        self.index.reads.add(module)
        bindings = self.index.scope_bindings(module, cls.qualname, attr)
        if not bindings:
            return _NOT_FOUND
        return self.resolver._bindings_values(module, cls.qualname, attr, bindings, same_scope=False)

    def lookup(self, module: str, cls: ClassFact, attr: str) -> list[Value] | None:
        mro = self.mro(module, cls)
        if mro is None:
            own = self._own(module, cls, attr)
            return None if own is _NOT_FOUND else own
        for m, c in mro:
            if is_builtin_exception(c):
                return None  # C members we do not model
            own = self._own(m, c, attr)
            if own is not _NOT_FOUND:
                return own
        return None  # object's own members, or an AttributeError: not ours to judge

    def lookup_after(self, module: str, concrete: ClassFact, owner_module: str, owner: ClassFact, attr: str):
        """What `super()` inside `owner` finds when `self` is an instance of `concrete`."""
        mro = self.mro(module, concrete)
        if mro is None:
            return None
        ids = [id(c) for _, c in mro]
        if id(owner) not in ids:
            return None
        for m, c in mro[ids.index(id(owner)) + 1 :]:
            if is_builtin_exception(c):
                return None
            own = self._own(m, c, attr)
            if own is not _NOT_FOUND:
                return own
        return None

    # -- construction ------------------------------------------------------------
    def constructors(self, module: str, cls: ClassFact, exact: bool, written: tuple[str, ...] = ("__init__", "__new__")) -> list[Target] | None:
        """What calling the class runs; `written`: the slots whose writes make it unknown."""
        out: list[Target] = []
        classes = self.dispatch_classes(module, cls, exact)
        if classes is None:
            return None
        for m, c in classes:
            if self._construction_written(m, c, written):
                return None
            made = self._constructor(m, c)
            if made is None:
                return None
            out.extend(made)
        return out

    def plainly_decorated(self, module: str, cls: ClassFact) -> bool:
        self.index.reads.add(module)
        q = self.resolver.qualify
        markers = STUB_CLASS_MARKERS if self.index.is_stub(module) else frozenset()
        return all(
            (name := q(module, cls.scope, d.name)) in PLAIN_CLASS_DECORATORS or name in DATACLASS or name in markers
            or (name is None and self.resolver.decorators.keeps_class(module, cls.scope, d))
            for d in cls.decorators
        )

    def written_outside(self, module: str, cls: ClassFact, attr: str) -> bool:
        """An outside module in the MRO assigns `attr` (or unknown names) on some object: an
        instance or the class may then hold something else than the body's definition."""
        for m, _ in self.mro(module, cls) or [(module, cls)]:
            if self.index.is_outside(m):
                writes = self.index.outside_writes(m)
                if attr in writes or "*" in writes:
                    return True
        return False

    def has_dynamic_members(self, module: str, cls: ClassFact, through_instance: bool) -> bool:
        """Members we cannot see: setattr/__dict__ writes with unknown names, __getattribute__."""
        self.resolver.keys.add(DYNAMIC_KEY)
        classes, instances = self.dynamic_classes()
        mro = self.mro(module, cls) or [(module, cls)]
        self.index.reads.update(m for m, _ in mro)
        for m, c in mro:
            if id(c) in classes or (through_instance and id(c) in instances):
                return True
            if through_instance and self.index.scope_bindings(m, c.qualname, "__getattribute__"):
                return True
        return False

    def dynamic_classes(self) -> tuple[set[int], set[int]]:
        """Ids of classes written with unknown names (as classes, through instances): a project-wide
        answer, built once; what building it read is not recorded (`resolve.answers`)."""
        if self._dynamic is None:
            self._dynamic = (set(), set())  # lookups made while computing it see no dynamic classes
            self._dynamic, self.dynamic_record = self.resolver.tracked(self._dynamic_classes, merge=False)
        return self._dynamic

    def _dynamic_classes(self) -> tuple[set[int], set[int]]:
        """Ids of classes written with unknown attribute names, as classes and through instances."""
        from .resolver import ValueKind
        from .writes import restores_state

        classes: set[int] = set()
        instances: set[int] = set()
        for module, a in self.index.attr_assigns.get("*", []):
            self.index.reads.add(module)
            if a.base is None or restores_state(self.index, module, a):
                continue
            for v in self.resolver.path_values(module, a.scope, a.base) or []:
                if v.kind is ValueKind.CLASS:
                    classes.add(id(v.cls))
                elif v.kind is ValueKind.INSTANCE:
                    instances.add(id(v.cls))
        return classes, instances

    def constructs_plainly(self, module: str, cls: ClassFact, exact: bool) -> bool:
        """Calling the class certainly returns a new instance of it (no __new__, metaclass or decorator tricks)."""
        made = self.constructors(module, cls, exact, ("__new__",))  # another __init__ still makes an instance
        return made is not None and not any(t.function is not None and t.function.name == "__new__" for t in made)

    def _constructor(self, module: str, cls: ClassFact) -> list[Target] | None:
        self.index.reads.add(module)
        from .resolver import Target, TargetKind

        if self.index.is_stub(module):
            return None  # a C class: its constructor is C code a stub only describes as types
        mro = self.mro(module, cls)
        if mro is None:
            return None
        q = self.resolver.qualify
        for m, c in mro:
            if c.metaclass is not None and q(m, c.scope, c.metaclass) not in PLAIN_METACLASSES:
                if not self._plain_metaclass(m, c):
                    return None
            if not self.plainly_decorated(m, c):
                return None
        for m, c in mro:
            if is_builtin_exception(c):
                # BaseException's __new__ and __init__: unless two builtin exceptions are mixed
                # (a layout CPython may refuse), any positionals and no keyword, in its tp_name.
                chain = builtin_exception_chain(c)
                if [x for _, x in mro if is_builtin_exception(x)] != chain:
                    return None
                return [Target(TargetKind.NO_KEYWORDS, module, cls.name, None, 0, None, cls)]
            new = self._own(m, c, "__new__")
            if new is not _NOT_FOUND:
                return self._method_targets(new, implicit=1)
            init = self._own(m, c, "__init__")
            if init is not _NOT_FOUND:
                # type.__call__ runs __new__ first and __init__ only on an instance of the class it
                # returns: with a project __new__ further up, only __new__'s own rejection is certain.
                later = self._later_new(mro[mro.index((m, c)) + 1 :])
                if later is not _NOT_FOUND:
                    return self._method_targets(later, implicit=1)
                return self._method_targets(init, implicit=1)
            options = self._dataclass_options(m, c)
            if options is None:
                return None
            if options.get("init", True) and options.get("is_dataclass"):
                sig = self._dataclass_signature(mro[mro.index((m, c)) :])
                if sig is None:
                    return None
                return [Target(TargetKind.DATACLASS_INIT, m, f"{c.qualname}.__init__", sig, 1, None, c)]
        return [Target(TargetKind.NO_ARGUMENTS, module, cls.name, None, 0, None, cls)]

    def _construction_written(self, module: str, cls: ClassFact, attrs: tuple[str, ...]) -> bool:
        """`C.__init__ = f` (or `__new__`) on this class or a base: `type.__call__` finds the slot
        through the class's MRO, so the body's definition may not be what runs. A write on an
        instance (`obj.__init__ = f`) is never consulted; one on a receiver we cannot resolve is
        trusted not to reach (`writes` module docstring)."""
        from .resolver import Value, ValueKind

        probe = Value(ValueKind.CLASS, module, cls=cls)
        writes = self.resolver.writes
        return any(writes.reaching(probe, attr, through_instance=False, trusted=True) != [] for attr in attrs)

    def _plain_metaclass(self, module: str, cls: ClassFact, seen: frozenset[int] = frozenset()) -> bool:
        """A project metaclass that changes nothing about calling its classes: every class of its
        chain is the project's, plainly decorated, with bases that are `type`/`ABCMeta` or such
        classes, and binds no dunder name in its body (no `__call__`, which would be the target;
        no `__new__`, which may bind the class name to anything; no `__init__`/`__prepare__`/
        `__setattr__`..., which may rewrite the class): `type.__call__` then constructs."""
        from .resolver import ValueKind

        if cls.metaclass is None or cls.metaclass == "?":
            return False
        found = self.resolver.path_values(module, cls.scope, tuple(cls.metaclass.split(".")))
        if not found or len(found) != 1 or found[0].kind is not ValueKind.CLASS:
            return False
        return self._plain_meta_chain(found[0].module, found[0].cls, seen)

    def _plain_meta_chain(self, module: str, meta: ClassFact, seen: frozenset[int]) -> bool:
        from .resolver import ValueKind

        self.index.reads.add(module)
        if id(meta) in seen or module not in self.index.modules or meta.has_star_bases or meta.metaclass is not None:
            return False
        if not self.plainly_decorated(module, meta) or meta.decorators:
            return False
        table = self.index.bindings.get((module, meta.qualname), {})
        if any(name.startswith("__") and name.endswith("__") and name not in _INERT_DUNDERS for name in table):
            return False
        if "*" in table:
            return False
        if not meta.bases:
            return False  # a plain class, not a metaclass: `metaclass=` would call it
        for base in meta.bases:
            if base is None:
                return False
            name = base.removesuffix("[]")
            if self.resolver.qualify(module, meta.scope, name) in PLAIN_METACLASSES:
                continue
            found = self.resolver.path_values(module, meta.scope, tuple(name.split(".")))
            if not found or len(found) != 1 or found[0].kind is not ValueKind.CLASS:
                return False
            if not self._plain_meta_chain(found[0].module, found[0].cls, seen | {id(meta)}):
                return False
        return True

    def _later_new(self, rest: list[ClassRef]):
        """The first project `__new__` in `rest` (up to a builtin exception, whose __new__ accepts
        any arguments and returns an instance); _NOT_FOUND when there is none."""
        for m, c in rest:
            if is_builtin_exception(c):
                return _NOT_FOUND
            new = self._own(m, c, "__new__")
            if new is not _NOT_FOUND:
                return new
        return _NOT_FOUND

    def _method_targets(self, values, implicit: int) -> list[Target] | None:
        from .resolver import Target, TargetKind, ValueKind

        if values is None:
            return None
        out = []
        for v in values:
            if v.kind is not ValueKind.FUNCTION:
                return None
            out.append(Target(TargetKind.FUNCTION, v.module, v.fn.qualname, v.fn.signature, implicit, v.fn))
        return out

    def _dataclass_options(self, module: str, cls: ClassFact) -> dict | None:
        """{'is_dataclass': bool, 'init': bool, 'kw_only': bool}; None when an option is not a literal."""
        self.index.reads.add(module)
        for d in cls.decorators:
            if self.resolver.qualify(module, cls.scope, d.name) in DATACLASS:
                opts: dict = {"is_dataclass": True}
                for key, text in d.keywords:
                    if key in ("init", "kw_only"):
                        if text not in ("True", "False"):
                            return None
                        opts[key] = text == "True"
                return opts
        return {"is_dataclass": False}

    def _dataclass_signature(self, mro: list[ClassRef]) -> Signature | None:
        """The __init__ that @dataclass writes: fields of every dataclass in the MRO, bases first."""
        fields: dict[str, tuple[bool, bool, bool]] = {}  # name -> (init, has_default, kw_only)
        for m, c in reversed(mro):
            self.index.reads.add(m)
            options = self._dataclass_options(m, c)
            if options is None:
                return None
            if not options["is_dataclass"]:
                continue
            kw_only = options.get("kw_only", False)
            for f in c.fields:
                ann = f.annotation.replace(" ", "")
                if ann.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar")):
                    continue
                if ann.endswith("KW_ONLY"):
                    kw_only = True
                    continue
                fields[f.name] = (f.init, f.has_default, f.kw_only if f.kw_only is not None else kw_only)
        params = [Param("self", ParamKind.POSITIONAL_OR_KEYWORD)]
        params += [
            Param(n, ParamKind.POSITIONAL_OR_KEYWORD, d) for n, (init, d, kw) in fields.items() if init and not kw
        ]
        params += [Param(n, ParamKind.KEYWORD_ONLY, d) for n, (init, d, kw) in fields.items() if init and kw]
        sig = Signature(tuple(params))
        return Signature(sig.params, sig.render())


class _NotFound:
    pass


_NOT_FOUND = _NotFound()


def _c3(head: list[ClassRef], seqs: list[list[ClassRef]]) -> list[ClassRef] | None:
    """C3 linearisation; None when the bases admit no consistent order (a TypeError at runtime)."""
    result = list(head)
    seqs = [s for s in seqs if s]
    while seqs:
        for s in seqs:
            candidate = s[0]
            if not any(candidate in other[1:] for other in seqs):
                break
        else:
            return None
        result.append(candidate)
        seqs = [[x for x in s if x != candidate] for s in seqs]
        seqs = [s for s in seqs if s]
    return result
