"""The project-wide index over every module's facts: who defines what, where.

Built once per analysis from the project's files; the resolver only reads it. Outside modules
(the standard library's and installed packages' .py files) join it on demand, the first time a
lookup names one, through the `OutsideModules` provider it was given: a name the project defines
(any module under one of its top-level names) is never looked up outside, as Python, with the
project's root first on sys.path, would import the project's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..facts.model import (
    AttrAssign,
    Binding,
    ClassFact,
    FunctionFact,
    ImportFact,
    ModuleFacts,
    ScopeKind,
)
from .outside import OutsideModule, OutsideModules

if TYPE_CHECKING:
    from ..facts.source import SourceFile


class Index:
    """Lookups the resolver needs, keyed by (module, qualname)."""

    def __init__(self, files: list[SourceFile], outside: OutsideModules | None = None) -> None:
        self.files = files
        self.modules: dict[str, SourceFile] = {}  # the project's modules only
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
        self._tops = {name.split(".")[0] for name in self.modules}
        self.provider = outside
        self.outside: dict[str, OutsideModule | None] = {}  # every outside name asked, read or not
        self._outside_writes: dict[str, frozenset[str]] = {}
        self.bindings: dict[tuple[str, str], dict[str, list[Binding]]] = defaultdict(lambda: defaultdict(list))
        self.scope_kind: dict[tuple[str, str], ScopeKind] = {}
        self.functions_in_scope: dict[tuple[str, str], list[FunctionFact]] = defaultdict(list)
        self.class_by_qualname: dict[tuple[str, str], list[ClassFact]] = defaultdict(list)
        self.functions_by_qualname: dict[tuple[str, str], list[FunctionFact]] = defaultdict(list)
        self.star_imports: dict[tuple[str, str], list[Binding]] = defaultdict(list)
        self.attr_assigns: dict[str, list[tuple[str, AttrAssign]]] = defaultdict(list)  # the project's
        self.parent: dict[tuple[str, str], str] = {}  # scope qualname -> enclosing scope qualname
        self._order: dict[int, int] = {}
        # The modules the resolution under way has read (the resolver swaps the set per file and
        # per memo entry, `Resolver.tracked`): what a file's findings rest on, for `store.reuse`.
        self.reads: set[str] = set()
        for module, src in self.modules.items():
            self._add(module, src.facts)
            for a in src.facts.attr_assigns:
                self.attr_assigns[a.attr].append((module, a))

    def _add(self, module: str, facts: ModuleFacts) -> None:
        """Index one module's definitions (a project module's, or an outside one's on first use)."""
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

    # -- outside modules ---------------------------------------------------------
    def in_project(self, name: str) -> bool:
        """The name is under one of the project's top-level modules or packages: never outside."""
        return name.split(".")[0] in self._tops

    def outside_module(self, name: str) -> OutsideModule | None:
        """The outside module `name`, read (and indexed) on first use; None: not one we can read."""
        if name in self.outside:
            return self.outside[name]
        found = None
        if self.provider is not None and not self.in_project(name):
            parent = name.rpartition(".")[0]
            above = self.outside_module(parent) if parent else None
            if not parent or (above is not None and above.facts.is_package):
                found = self.provider.module(name)
                if found is not None and found.facts.error is not None:
                    found = None  # it does not parse for us: unknown
        self.outside[name] = found
        if found is not None:
            self._add(name, found.facts)
            self._outside_writes[name] = frozenset(a.attr for a in found.facts.attr_assigns)
        return found

    def is_stub(self, module: str) -> bool:
        """An outside module read from a stub: C code, whose functions speak as C functions do."""
        found = self.outside.get(module)
        return found is not None and found.stub

    @property
    def version(self) -> tuple[int, int] | None:
        """The target interpreter's (major, minor), when the provider knows it (None: the running one's)."""
        return getattr(self.provider, "version", None)

    def is_outside(self, module: str) -> bool:
        """A module already read from outside the project."""
        return self.outside.get(module) is not None

    def outside_writes(self, module: str) -> frozenset[str]:
        """Attribute names an outside module assigns on some object ("*" for unknown names)."""
        return self._outside_writes.get(module, frozenset())

    def has_facts(self, module: str) -> bool:
        """A module whose facts we have: the project's, or a readable outside one."""
        return module in self.modules or self.outside_module(module) is not None

    # -- facts by index ---------------------------------------------------
    def _known(self, module: str) -> SourceFile | OutsideModule:
        """The project's file for `module`, else the outside module already read; KeyError otherwise."""
        found = self.modules.get(module) or self.outside.get(module)
        if found is None:
            raise KeyError(module)
        return found

    def facts(self, module: str) -> ModuleFacts:
        self.reads.add(module)
        src = self.modules.get(module)  # the hot path: a project module
        return src.facts if src is not None else self._known(module).facts

    def function(self, module: str, b: Binding) -> FunctionFact:
        return self.facts(module).functions[b.index]

    def klass(self, module: str, b: Binding) -> ClassFact:
        return self.facts(module).classes[b.index]

    def import_(self, module: str, b: Binding) -> ImportFact:
        return self.facts(module).imports[b.index]

    def scope_bindings(self, module: str, scope: str, name: str) -> list[Binding]:
        """Bindings of `name` in one scope, star imports included in source order."""
        self.reads.add(module)
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
        return self._known(module).path

    # -- modules -------------------------------------------------------------
    def absolute_module(self, module: str, imp: ImportFact) -> str | None:
        """The absolute module an import statement names, relative imports resolved."""
        if imp.level == 0:
            return imp.module
        base = module.split(".")
        if not self.facts(module).is_package:
            base = base[:-1]
        up = imp.level - 1
        if up > len(base):
            return None
        base = base[: len(base) - up] if up else base
        parts = base + ([imp.module] if imp.module else [])
        return ".".join(p for p in parts if p)

    def is_module(self, name: str) -> bool:
        """A module an import may bind: the project's (namespace packages included), or a readable outside one."""
        return name in self.modules or name in self.packages or self.outside_module(name) is not None
