"""The resolver's project-wide answers, named so that a later run can tell whether they still hold.

Three lookups read every module of the project: the subclasses of a class (every class's MRO),
the writes of an attribute name (every `x.attr = v`, its receiver resolved), and the classes
written with unknown names. A file whose resolution asks one of them records the question (a key),
not the modules building the answer read: an edit anywhere would otherwise redo every such file.
`digest(key)` names the answer by module, qualified name and position, never by object identity,
so the next run computes it again over its own facts and compares (`store.reuse`)."""

from __future__ import annotations

import hashlib
from typing import Any

from ..facts.model import ClassFact

# The resolver is typed loosely here: it and `classes` import this module, and importing the
# resolver back (even for types) would close an import circle.
Resolver = Any

DYNAMIC_KEY = "d"


def writes_key(attr: str) -> str:
    return f"w:{attr}"


def trusted_key(attr: str) -> str:
    """The writes of `attr` whose receiver resolves (`AttributeWrites.trusted`: construction)."""
    return f"t:{attr}"


class Answers:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._names: dict[int, str] = {}
        self._named = 0  # how many class lists `_names` was built from (outside modules join later)

    def name(self, cls: ClassFact) -> str:
        """A class by module, qualified name and position among the classes of that name."""
        return self.name_of_id(id(cls), cls.qualname)

    def name_of_id(self, i: int, qualname: str = "") -> str:
        found = self._names.get(i)
        if found is None:
            table = self.resolver.index.class_by_qualname
            if len(table) != self._named:
                self._named = len(table)
                self._names = {id(c): f"{m}\0{q}\0{k}" for (m, q), items in table.items() for k, c in enumerate(items)}
            found = self._names.get(i, f"?{qualname}")
        return found

    def subclasses_key(self, cls: ClassFact) -> str:
        return f"s:{self.name(cls)}"

    def _class(self, name: str) -> tuple[str, ClassFact] | None:
        module, qualname, k = name.split("\0")
        items = self.resolver.index.class_by_qualname.get((module, qualname), [])
        return (module, items[int(k)]) if int(k) < len(items) else None

    def _answer(self, key: str) -> object:
        r = self.resolver
        if key == DYNAMIC_KEY:
            classes, instances = r.classes.dynamic_classes()
            return sorted(map(self.name_of_id, classes)), sorted(map(self.name_of_id, instances))
        kind, _, rest = key.partition(":")
        if kind == "s":
            if rest.startswith("?") or rest.count("\0") != 2:
                return "unknown"
            found = self._class(rest)
            if found is None:
                return "gone"
            subs = r.classes.subclasses(*found)
            return None if subs is None else [self.name(c) for _, c in subs]
        if kind in ("w", "t"):
            writes = r.writes.writes(rest) if kind == "w" else r.writes.trusted(rest)
            if writes is None:
                return None
            return [
                (w.reach.value, sorted(self.name_of_id(i) for i in w.classes), w.module,
                 None if w.source is None else (w.source[0], w.source[1].scope, w.source[1].base, w.source[1].value))
                for w in writes
            ]
        return "unknown"

    def digest(self, key: str) -> tuple[str, set[str], set[str]]:
        """The answer to `key` in this run, as a digest, with what computing it read: the modules
        and the other answers' keys (computed apart: it reads nothing for the caller)."""
        answer = self.resolver.tracked(self._answer, key, merge=False)[0]
        r = self.resolver
        if key == DYNAMIC_KEY:
            reads, keys = r.classes.dynamic_record
        elif key.startswith("s:"):
            reads, keys = r.classes.subclass_record
        else:
            records = r.writes.trusted_records if key.startswith("t:") else r.writes.records
            reads, keys = records.get(key[2:], (set(), set()))
            if key[2:] not in records and r.index.attr_assigns.get(key[2:]):
                reads = set(r.index.modules)  # not kept (a cut-short answer): it may rest on anything
        return hashlib.sha1(repr(answer).encode("utf-8", "surrogatepass")).hexdigest(), reads, keys - {key}
