"""Which attribute writes (`obj.m = v`, `del obj.m`) can change what a lookup of `.m` finds.

A write reaches only the objects its receiver may be at runtime, so it can only change lookups
on those objects. The rules, and why none can turn a call that binds into a report:

- `x.m = v` with `x` an instance of `C` (exact, or `C` or a subclass) stores `m` in that
  instance's `__dict__`. A function found on the class is a non-data descriptor, so the instance
  entry shadows it, but only on that very object. A lookup of `.m` on a value that may be an
  instance of any class the receiver may be (the two sets of runtime classes intersect) is
  unknown. A value whose runtime classes are all outside that set is a different object, and its
  `.m` is still found through its class.
- `C.m = v` (a class receiver) changes `C.__dict__`, which every subclass and instance of `C` or
  of a subclass sees through the MRO. Lookups on classes or instances whose runtime classes meet
  `{C} | subclasses(C)` are unknown.
  `X.m = v` on an outside class `X` (`pdb.Pdb.__init__ = f`), or on a project class whose
  subclasses we cannot all place, reaches the classes whose MRO holds `X`, and every class whose
  MRO we cannot compute: an MRO we know without `X` never reads `X.__dict__`.
- `mod.m = v` on a module changes that module's attribute `m` only.
- `f.m = v` on a function sets a function attribute: no lookup the resolver follows reads those.
- A receiver we cannot resolve (or an instance of a class whose MRO we cannot compute: it may be
  a metaclass, whose instances are classes) may be any object: every lookup of `.m` on a class,
  an instance or an outside module is unknown, as before.

Construction (`classes.ClassModel.constructors`) reads the writes of `__init__`/`__new__` whose
receiver we resolve (`trusted=True`): one on a receiver we cannot resolve (a decorator's `klass`
parameter, `cls: Type[Any]`) keeps the long-standing trust that it does not replace the slot of
the class being called, as the project's own module functions keep it (`touches_module`).
Counting it would leave every constructor of the project unknown (Django's `deconstructible`,
SQLAlchemy's declarative base: the one real SQLAlchemy bug went silent).

Writes with unknown names (`setattr(self, k, v)`, `self.__dict__.update(d)`) are handled in
`classes.ClassModel.has_dynamic_members`; see `restores_state` for the one narrowing there.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..facts.model import AttrAssign, ParamKind, ScopeKind
from .answers import trusted_key, writes_key
from .index import Index

if TYPE_CHECKING:
    from .resolver import Resolver, Value


class Reach(enum.Enum):
    INSTANCES = "instances"  # instance __dict__ of these classes
    CLASSES = "classes"  # class __dict__: seen by the classes, their subclasses and instances
    MODULE = "module"


@dataclass(frozen=True, slots=True)
class Write:
    """One write, as the runtime objects it may touch."""

    reach: Reach
    classes: frozenset[int]  # ids of ClassFacts (INSTANCES, CLASSES)
    module: str = ""  # MODULE
    source: tuple[str, AttrAssign] | None = None
    via_mro: bool = False  # CLASSES on an outside class: reaches the classes whose MRO holds it


EVERYWHERE = None  # a write on an unknown object


class AttributeWrites:
    def __init__(self, index: Index, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self._writes: dict[str, list[Write] | None] = {}
        self._trusted: dict[str, list[Write]] = {}
        self.records: dict[str, tuple[set[str], set[str]]] = {}  # what computing each answer read
        self.trusted_records: dict[str, tuple[set[str], set[str]]] = {}  # the same, for `trusted`

    def writes(self, attr: str) -> list[Write] | None:
        """Every project write of `attr`; None when one may touch any object."""
        self.resolver.keys.add(writes_key(attr))
        if attr in self._writes:
            return self._writes[attr]
        items = self.index.attr_assigns.get(attr, [])
        if not items:
            self._writes[attr] = []
            return []
        key = ("writes", attr)
        if key in self.resolver._active:
            return EVERYWHERE  # resolving a receiver needs this very attribute: stay unknown
        self.resolver._active.add(key)  # also turns the name memo off: cut-short lookups are not cached
        try:
            found, record = self.resolver.tracked(self._compute, items, merge=False)  # a project-wide answer
        finally:
            self.resolver._active.discard(key)
        if not self.resolver._active:
            self._writes[attr] = found
            self.records[attr] = record
        return found

    def trusted(self, attr: str) -> list[Write]:
        """The writes of `attr` whose receiver we resolve; the others are left out (see the module
        docstring: construction only)."""
        self.resolver.keys.add(trusted_key(attr))
        if attr in self._trusted:
            return self._trusted[attr]
        key = ("trusted", attr)
        if key in self.resolver._active:
            return []
        self.resolver._active.add(key)
        try:
            found, record = self.resolver.tracked(  # a project-wide answer
                lambda items: self._compute(items, skip_unknown=True) or [],
                self.index.attr_assigns.get(attr, []), merge=False)
        finally:
            self.resolver._active.discard(key)
        if not self.resolver._active:
            self._trusted[attr] = found
            self.trusted_records[attr] = record
        return found

    def _compute(self, items: list[tuple[str, AttrAssign]], skip_unknown: bool = False) -> list[Write] | None:
        """The writes, as the objects they reach; EVERYWHERE at a receiver we cannot resolve
        (left out instead with `skip_unknown`)."""
        from .resolver import ValueKind

        classes = self.resolver.classes
        out: list[Write] = []
        for module, a in items:
            values = None if a.base is None else self.resolver.path_values(module, a.scope, a.base)
            if values is None:
                if skip_unknown:
                    continue
                return EVERYWHERE
            for v in values:
                if v.kind is ValueKind.MODULE:
                    out.append(Write(Reach.MODULE, frozenset(), v.module, (module, a)))
                elif v.kind is ValueKind.FUNCTION:
                    continue
                elif v.kind is ValueKind.CLASS:
                    subs = classes.dispatch_classes(v.module, v.cls, False)
                    if subs is None:  # subclasses we cannot all place: whatever has it in its MRO
                        out.append(Write(Reach.CLASSES, frozenset({id(v.cls)}), source=(module, a), via_mro=True))
                        continue
                    out.append(Write(Reach.CLASSES, frozenset(id(c) for _, c in subs), source=(module, a)))
                elif v.kind is ValueKind.INSTANCE:
                    runtime = classes.dispatch_classes(v.module, v.cls, v.exact)
                    if runtime is None or any(classes.mro(m, c) is None for m, c in runtime):
                        if skip_unknown:
                            continue  # an instance write never reaches construction
                        return EVERYWHERE
                    out.append(Write(Reach.INSTANCES, frozenset(id(c) for _, c in runtime), source=(module, a)))
                elif skip_unknown:
                    continue
                else:
                    return EVERYWHERE
        return out

    def reaching(self, v: Value, attr: str, *, through_instance: bool, trusted: bool = False) -> list[Write] | None:
        """The writes of `attr` that may change its lookup on `v` (a CLASS or INSTANCE value)."""
        found = self.trusted(attr) if trusted else self.writes(attr)
        if not found:
            return found
        runtime = self.resolver.classes.dispatch_classes(v.module, v.cls, v.exact)
        if runtime is None:
            return EVERYWHERE
        ids = {id(c) for _, c in runtime}
        kinds = (Reach.CLASSES, Reach.INSTANCES) if through_instance else (Reach.CLASSES,)
        return [w for w in found if w.reach in kinds and (self._in_mro(runtime, w.classes) if w.via_mro else w.classes & ids)]

    def _in_mro(self, runtime: list, written: frozenset[int]) -> bool:
        """Some runtime class inherits a written outside class, or has an MRO we cannot compute."""
        for m, c in runtime:
            mro = self.resolver.classes.mro(m, c)
            if mro is None or any(id(x) in written for _, x in mro):
                return True
        return False

    def touches_module(self, module: str, attr: str, *, outside: bool) -> bool:
        """A project write may rebind `module.attr`. A write on an unknown object counts only for
        outside modules: the project's own modules keep the resolver's long-standing trust that no
        such write replaces their functions (monkeypatching the project is for its tests)."""
        found = self.writes(attr)
        if found is None:
            return outside
        return any(w.reach is Reach.MODULE and w.module == module for w in found)


def restores_state(index: Index, module: str, a: AttrAssign) -> bool:
    """A write with unknown names on `self` inside `__setstate__`: it restores a pickled or copied
    instance of the same class. Its names are the keys of the state `__getstate__` (by default, the
    instance `__dict__`) took from such an instance, each holding the value that instance had, so
    it adds no attribute the written class's other writes do not already make unknown.
    (A `__getstate__` inventing keys with unrelated values is outside this rule's trust.)"""
    fns = index.functions_by_qualname.get((module, a.scope), [])
    if len(fns) != 1 or fns[0].name != "__setstate__" or fns[0].scope_kind is not ScopeKind.CLASS:
        return False
    positional = [p for p in fns[0].signature.params if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
    return bool(positional) and a.base == (positional[0].name,) and not fns[0].decorators
