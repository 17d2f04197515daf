"""The project-wide index over every module's facts: who defines what, where.

Built once per analysis; the resolver only reads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ..facts.model import (
    AttrAssign,
    Binding,
    ClassFact,
    FunctionFact,
    ImportFact,
    ModuleFacts,
    ScopeKind,
)


class Index:
    """Lookups the resolver needs, keyed by (module, qualname)."""

    def __init__(self, files: list[SourceFile]) -> None:
        self.files = files
        self.modules: dict[str, SourceFile] = {}
        for f in files:
            self.modules.setdefault(f.module, f)
        # Every package prefix exists, namespace packages included.
        self.packages: set[str] = set()
        for name in self.modules:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.packages.add(".".join(parts[:i]))
            if self.modules[name].facts.is_package:
                self.packages.add(name)
        self.bindings: dict[tuple[str, str], dict[str, list[Binding]]] = defaultdict(lambda: defaultdict(list))
        self.scope_kind: dict[tuple[str, str], ScopeKind] = {}
        self.functions_in_scope: dict[tuple[str, str], list[FunctionFact]] = defaultdict(list)
        self.class_by_qualname: dict[tuple[str, str], list[ClassFact]] = defaultdict(list)
        self.functions_by_qualname: dict[tuple[str, str], list[FunctionFact]] = defaultdict(list)
        self.star_imports: dict[tuple[str, str], list[Binding]] = defaultdict(list)
        self.attr_assigns: dict[str, list[tuple[str, AttrAssign]]] = defaultdict(list)
        self.parent: dict[tuple[str, str], str] = {}  # scope qualname -> enclosing scope qualname
        self._order: dict[int, int] = {}
        for module, src in self.modules.items():
            facts = src.facts
            for scope, kind in facts.scopes:
                self.scope_kind[(module, scope)] = kind
            for i, b in enumerate(facts.bindings):
                self._order[id(b)] = i
                self.bindings[(module, b.scope)][b.name].append(b)
            for fn in facts.functions:
                self.functions_by_qualname[(module, fn.qualname)].append(fn)
                self.parent[(module, fn.qualname)] = fn.scope
            for c in facts.classes:
                self.class_by_qualname[(module, c.qualname)].append(c)
                self.parent[(module, c.qualname)] = c.scope
            for a in facts.attr_assigns:
                self.attr_assigns[a.attr].append((module, a))

    # -- facts by index ---------------------------------------------------
    def facts(self, module: str) -> ModuleFacts:
        return self.modules[module].facts

    def function(self, module: str, b: Binding) -> FunctionFact:
        return self.modules[module].facts.functions[b.index]

    def klass(self, module: str, b: Binding) -> ClassFact:
        return self.modules[module].facts.classes[b.index]

    def import_(self, module: str, b: Binding) -> ImportFact:
        return self.modules[module].facts.imports[b.index]

    def scope_bindings(self, module: str, scope: str, name: str) -> list[Binding]:
        """Bindings of `name` in one scope, star imports included in source order."""
        table = self.bindings.get((module, scope))
        if table is None:
            return []
        own = table.get(name, [])
        stars = table.get("*")
        if not stars:
            return own
        # Star bindings are kept in source order relative to the name's own bindings.
        return sorted(own + stars, key=lambda b: self._order[id(b)])

    def path_of(self, module: str) -> str:
        return self.modules[module].path

    # -- modules -------------------------------------------------------------
    def absolute_module(self, module: str, imp: ImportFact) -> str | None:
        """The absolute module an import statement names, relative imports resolved."""
        if imp.level == 0:
            return imp.module
        base = module.split(".")
        if not self.modules[module].facts.is_package:
            base = base[:-1]
        up = imp.level - 1
        if up > len(base):
            return None
        base = base[: len(base) - up] if up else base
        parts = base + ([imp.module] if imp.module else [])
        return ".".join(p for p in parts if p)

    def is_module(self, name: str) -> bool:
        return name in self.modules or name in self.packages
