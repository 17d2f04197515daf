"""`Project`: one analysis as data: the files with their facts, the notes, and the findings.

Its derived views are computed on first use, from the stages below it (`resolve/` builds the
index and resolves the calls, `checks` and `graph` take plain data and never a `Project`), so a
warm run whose previous findings all hold (`store.reuse`, applied by `callgraph.pipeline`)
decodes almost no facts and resolves no call. Nothing here imports the stages that fill it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..facts.findings import Finding
from ..facts.model import FunctionFact
from ..facts.source import ReadError, SourceFile
from ..gc_pause import gc_paused
from ..resolve.calls import ResolvedCall, resolve_calls
from ..resolve.index import Index
from ..resolve.outside import OutsideModules
from ..resolve.resolver import DEFAULT_PRESERVING, Resolver
from .checks import run_checks
from .graph import build_graph

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class Project:
    """One analysis: the facts of every file, the resolved calls and the call graph.

    `calls` and `graph` are computed on first use: a check that reuses the previous run's
    findings (`store.reuse`) never needs every call resolved.

    `_load_all`: when the files' facts load on demand, fetches them all in one batch before the
    index is built (the pipeline passes its `store.loader.FactsLoader.all`)."""

    files: list[SourceFile]
    errors: list[ReadError] = field(default_factory=list)
    seconds: float = 0.0
    cache_hits: int | None = None  # files whose facts came from the cache; None: no cache consulted
    cache_misses: int | None = None
    reused: int = 0  # files whose findings are the previous run's (`store.reuse`)
    preserving: frozenset[str] = DEFAULT_PRESERVING
    mutators: frozenset[str] = frozenset()
    snapshot_label: str | None = None  # the snapshot analysed, when one was (`pipeline.analyze_snapshot`)
    outside: OutsideModules | None = field(default=None, repr=False, compare=False)  # None: the tree alone
    _load_all: Callable[[], object] | None = field(default=None, repr=False, compare=False)
    _resolver: Resolver | None = field(default=None, repr=False, compare=False)
    _calls: list[ResolvedCall] | None = field(default=None, repr=False, compare=False)
    _graph: nx.MultiDiGraph | None = field(default=None, repr=False, compare=False)
    _findings: list[Finding] | None = field(default=None, repr=False, compare=False)
    _counts: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            if self._load_all is not None:  # facts loaded on demand: fetch them all in one batch
                self._load_all()
            with gc_paused():
                self._resolver = Resolver(Index(self.files, self.outside), preserving=self.preserving, mutators=self.mutators)
        return self._resolver

    @property
    def index(self) -> Index:
        return self.resolver.index

    @property
    def calls(self) -> list[ResolvedCall]:
        """Every call site with its resolution, in file order."""
        if self._calls is None:
            self._calls = resolve_calls(self.resolver, self.files)
        return self._calls

    @property
    def graph(self) -> nx.MultiDiGraph:
        if self._graph is None:
            self._graph = build_graph(self.files, self.calls)
        return self._graph

    @property
    def signatures(self) -> dict[str, list[FunctionFact]]:
        """Every definition by full qualified name ("pkg.mod.Class.method"), in source order."""
        out: dict[str, list[FunctionFact]] = {}
        for f in self.files:
            for fn in f.facts.functions:
                out.setdefault(f"{f.module}.{fn.qualname}", []).append(fn)
        return out

    def findings(self) -> list[Finding]:
        """Computed once from the calls' resolutions and each file's facts (the graph's extra
        edges, possible or inferred, never make a finding here)."""
        if self._findings is None:
            self._findings = run_checks(self.files, self.calls, self.index)
        return list(self._findings)

    def set_findings(self, findings: list[Finding], counts: dict[str, int] | None = None) -> None:
        """Findings known without resolving every call (the previous run's, still valid), and the
        stats counts (`functions`, `calls`, `resolved_calls`) when they are known too."""
        self._findings = list(findings)
        self._counts = counts

    @property
    def stats(self) -> dict[str, float | int]:
        return {
            "files": len(self.files),
            **(
                self._counts
                if self._counts is not None and self._calls is None
                else {
                    "functions": sum(len(f.facts.functions) for f in self.files),
                    "calls": sum(len(f.facts.calls) for f in self.files),
                    "resolved_calls": sum(1 for c in self.calls if c.resolution.complete),
                }
            ),
            "seconds": round(self.seconds, 3),
            **(
                {"cache_hits": self.cache_hits, "cache_misses": self.cache_misses}
                if self.cache_hits is not None
                else {}
            ),
        }
