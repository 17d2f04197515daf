"""Find a project's files, name their modules the way Python would, and analyse them."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..facts.findings import Finding
from ..resolve.index import Index, SourceFile
from ..facts.model import CallSite, FunctionFact, ModuleFacts
from ..resolve.resolver import DEFAULT_PRESERVING, Resolution, Resolver

if TYPE_CHECKING:
    import networkx as nx

    from ..store.cache import FactsCache, NullCache

SKIP_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "site-packages",
        "build",
        "dist",
        "venv",
        "env",
    }
)


class InputError(Exception):
    """A user mistake (a path that does not exist, ...): reported without a traceback, exit 2."""


@dataclass(frozen=True, slots=True)
class ResolvedCall:
    path: str
    module: str
    call: CallSite
    resolution: Resolution


@dataclass(frozen=True, slots=True)
class ReadError:
    path: str
    message: str


@dataclass
class Project:
    """One analysis: the facts of every file, the resolved calls and the call graph.

    `calls` and `graph` are computed on first use: a check that reuses the previous run's
    findings (`incremental`) never needs every call resolved."""

    files: list[SourceFile]
    errors: list[ReadError] = field(default_factory=list)
    seconds: float = 0.0
    cache_hits: int | None = None  # files whose facts came from the cache; None: no cache consulted
    cache_misses: int | None = None
    reused: int = 0  # files whose findings are the previous run's (`incremental`)
    preserving: frozenset[str] = DEFAULT_PRESERVING
    mutators: frozenset[str] = frozenset()
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
                self._resolver = Resolver(Index(self.files), preserving=self.preserving, mutators=self.mutators)
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
            from .graph import build_graph

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
            from .checks import run_checks

            self._findings = run_checks(self)
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


_REAL_DIRS: dict[str, str] = {}  # realpath of directories, for one discovery (cleared by `discover`)


def _realpath(path: str | Path) -> str:
    """os.path.realpath, resolving each directory once: 885 files of Django sit in 106 directories."""
    if ".." in Path(path).parts:  # abspath would fold "link/.." lexically, realpath physically
        return os.path.realpath(path)
    s = os.path.abspath(path)
    if os.path.islink(s):
        return os.path.realpath(s)
    head, tail = os.path.split(s)
    real = _REAL_DIRS.get(head)
    if real is None:
        real = _REAL_DIRS[head] = os.path.realpath(head)
    return os.path.join(real, tail)


def display_path(path: Path) -> str:
    """Relative to the current directory when under it, in posix form."""
    try:
        return Path(_realpath(path)).relative_to(_realpath(os.getcwd())).as_posix()
    except ValueError:
        return path.as_posix()


def source_root(path: Path) -> Path:
    """The directory Python would put on sys.path to import `path` as a package member."""
    d = path if path.is_dir() else path.parent
    d = d.resolve()
    while (d / "__init__.py").is_file() and d.parent != d:
        d = d.parent
    return d


def _walk(top: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            # os.path.isfile follows links and is False for broken links and loops.
            if name.endswith(".py") and os.path.isfile(path):
                yield Path(path)


def discover(paths: Sequence[str | Path], roots: Sequence[str | Path] = ()) -> list[tuple[Path, str, bool]]:
    """(file, module name, is_package) for every Python file under `paths`.

    Source roots: the given ones, else each path's own root, plus its `src/`
    (src-layout). A file's module is its path below the deepest root holding it,
    so namespace packages and scripts beside packages are named as Python names them.
    """
    _REAL_DIRS.clear()  # links may have changed since the last discovery in this process
    root_set: list[Path] = [Path(r).resolve() for r in roots]
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(f"{p}: no such file or directory")
        if path.is_file():
            if path.suffix != ".py":
                raise InputError(f"{p}: not a Python file")
            files.append(path)
        else:
            files.extend(_walk(path))
        if not roots:
            r = source_root(path)
            root_set.append(r)
            src = r / "src"
            if src.is_dir() and not (src / "__init__.py").exists():
                root_set.append(src)
    root_set = sorted(set(root_set), key=lambda r: len(r.parts), reverse=True)
    out: list[tuple[Path, str, bool]] = []
    seen: set[Path] = set()
    for f in files:
        resolved = Path(_realpath(f))
        if resolved in seen:
            continue
        seen.add(resolved)
        root = next((r for r in root_set if resolved.is_relative_to(r)), resolved.parent)
        parts = list(resolved.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        module = ".".join(parts) if parts else resolved.parent.name
        out.append((f, module, is_package))
    return out


def analyze(
    paths: Sequence[str | Path] = (".",),
    *,
    roots: Sequence[str | Path] = (),
    preserving: Iterable[str] = (),
    cache: FactsCache | NullCache | None = None,
    mutators: Iterable[str] = (),
    jobs: int | None = None,
    max_file_size: int | None = None,
) -> Project:
    """Analyse the Python files under `paths`; the library's main entry point.

    `cache`: a `callgraph.cache.FactsCache` to reuse per-file facts across runs (None: no cache).
    `jobs`: worker processes for extraction (default: the CPU count).
    `max_file_size`: files larger than this many bytes are skipped, never read, and reported in
    `Project.errors` (None or 0: no limit, the default)."""
    started = time.perf_counter()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sources, errors = read_sources(discover(paths, roots), max_file_size)
    project = analyze_sources(sources, preserving=preserving, cache=cache, mutators=mutators, jobs=jobs)
    project.errors[:0] = errors
    project.seconds = time.perf_counter() - started
    return project


def read_sources(
    found: Iterable[tuple[Path, str, bool]], max_file_size: int | None = None
) -> tuple[list[tuple[str, str, bool, bytes]], list[ReadError]]:
    """Read each discovered file: (sources for `analyze_sources`, read errors and skip notes).

    A file over `max_file_size` bytes (when set and > 0) is skipped without being read; a file
    that cannot be read (deleted since discovery, a directory, permissions, I/O error) becomes a
    note. Neither stops the run."""
    sources: list[tuple[str, str, bool, bytes]] = []
    errors: list[ReadError] = []
    for path, module, is_package in found:
        try:
            if max_file_size:
                size = os.stat(path).st_size
                if size > max_file_size:
                    errors.append(
                        ReadError(
                            display_path(path),
                            f"skipped: {size} bytes, over the {max_file_size}-byte file size limit (--max-file-size)",
                        )
                    )
                    continue
            sources.append((display_path(path), module, is_package, path.read_bytes()))
        except OSError as exc:
            errors.append(ReadError(display_path(path), f"cannot read: {exc.strerror or exc}"))
    return sources, errors


_PUT_EVERY = 256  # misses stored per batch: an interrupted cold run keeps what it finished


def analyze_sources(
    sources: Iterable[tuple[str, str, bool, bytes | Callable[[], bytes]]],
    *,
    preserving: Iterable[str] = (),
    cache: FactsCache | NullCache | None = None,
    mutators: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    blobs: Sequence[str] | None = None,
    edits_follow: bool = True,
) -> Project:
    """Analyse in-memory files given as (display path, module name, is_package, source bytes).

    `blobs`: each source's git blob id, when known (a git snapshot's); the bytes may then be given
    as a function returning them, called only for files whose facts are not cached.

    `edits_follow`: False for a commit, which is only ever analysed again as it is: its run is
    recorded for its exact content only (no call tables, and the working tree's latest run stays).

    `jobs`: worker processes for extracting facts (default: the CPU count; 1 runs in-process).

    `mutators`: decorators treated as unknown even when otherwise trusted; `progress(done, total)`
    is called after each file's facts are ready.

    With a `cache`, each file's facts are looked up by (git blob id, module, is_package) first,
    and the facts of the misses are stored; with a `FactsCache`, the previous run of the same
    files also lends the findings that still hold (`incremental`). The result is the same either way."""
    started = time.perf_counter()
    sources = list(sources)
    preserving = DEFAULT_PRESERVING | frozenset(preserving)
    mutators = frozenset(mutators)
    loader = _FactsLoader(sources, cache, jobs, progress, blobs)
    run = None
    if cache is not None and getattr(cache, "keeps_runs", False):
        from ..store.cache import checker_id
        from ..store.incremental import Run

        settings = [f"preserve:{d}" for d in preserving] + [f"mutator:{d}" for d in mutators]
        run = Run(cache, checker_id(), settings, [(p, m, bool(k)) for p, m, k, _ in sources], loader.blobs(), edits_follow)
    def lazy_project() -> Project:  # facts decoded on demand only
        files = [
            SourceFile(path, module, loader.known(i), functools.partial(loader.one, i), blob)
            for i, ((path, module, _, _), blob) in enumerate(zip(sources, loader.blobs()))
        ]
        return Project(files, preserving=preserving, mutators=mutators, _load_all=loader.all)

    if run is not None and run.facts_unchanged(loader):  # every previous finding holds
        project = lazy_project()
        run.reuse_all(project)
    elif run is not None and run.calls_known(loader):  # a body edit: from the call table, no index
        project = lazy_project()
        run.reuse_calls(project)
    else:
        facts = loader.all()
        ids = loader.blobs() if cache is not None or blobs is not None else [None] * len(sources)
        files = [SourceFile(path, module, f, blob=b) for (path, module, _, _), f, b in zip(sources, facts, ids)]
        notes = [ReadError(f.path, f.facts.unsupported) for f in files if f.facts.unsupported]
        project = Project(files, notes, preserving=preserving, mutators=mutators)
        if run is not None:
            run.settle(project)
    if cache is not None:
        project.cache_hits, project.cache_misses = len(sources) - loader.parsed, loader.parsed
    project.seconds = time.perf_counter() - started
    return project


class _FactsLoader:
    """Each source's facts, from the cache or parsed (misses are stored), fetched only when asked:
    a warm run that reuses every previous finding reads almost none of them."""

    def __init__(
        self, sources: list[tuple], cache, jobs: int | None, progress, blobs: Sequence[str] | None = None
    ) -> None:
        self.sources = sources  # (path, module, is_package, bytes or a function returning them)
        self._blobs = list(blobs) if blobs is not None else None
        self.cache = cache
        self.jobs = jobs
        self.progress = progress
        self.facts: dict[int, ModuleFacts] = {}
        self.parsed = 0  # sources whose facts had to be extracted
        self._keys: list | None = None

    def keys(self) -> list:
        if self._keys is None:
            from ..store.cache import CacheKey, blob_id

            ids = self._blobs if self._blobs is not None else [blob_id(self.data(i)) for i in range(len(self.sources))]
            self._keys = [CacheKey(b, module, bool(pkg)) for b, (_, module, pkg, _) in zip(ids, self.sources)]
        return self._keys

    def data(self, i: int) -> bytes:
        data = self.sources[i][3]
        return data if isinstance(data, (bytes, bytearray, memoryview)) else data()

    def blobs(self) -> list[str]:
        return [k.blob for k in self.keys()]

    def known(self, i: int) -> ModuleFacts | None:
        return self.facts.get(i)

    def one(self, i: int) -> ModuleFacts:
        return self.get([i])[i]

    def all(self) -> list[ModuleFacts]:
        found = self.get(range(len(self.sources)))
        return [found[i] for i in range(len(self.sources))]

    def get(self, indexes: Iterable[int]) -> dict[int, ModuleFacts]:
        indexes = list(indexes)
        wanted = [i for i in indexes if i not in self.facts]
        if wanted and self.cache is not None:
            keys = self.keys()
            with gc_paused():  # decoding builds many long-lived objects
                cached = self.cache.get_many([keys[i] for i in wanted])
            for i in wanted:
                if keys[i] in cached:
                    self.facts[i] = cached[keys[i]]
        missing = [i for i in wanted if i not in self.facts]
        if missing:
            self._extract(missing)
        return {i: self.facts[i] for i in indexes}

    def _extract(self, missing: list[int]) -> None:
        done = len(self.facts)
        fresh: list = []
        with gc_paused():  # thousands of long-lived objects
            # Workers encode for a cache that stores bytes (a MemoryCache only keeps objects itself).
            encode = bool(getattr(getattr(self.cache, "backing", self.cache), "enabled", False))
            todo = [(path, module, pkg, self.data(i)) for i, (path, module, pkg, _) in ((i, self.sources[i]) for i in missing)]
            for i, result, data in _extract(todo, missing, self.jobs, encode):
                self.facts[i] = result
                self.parsed += 1
                done += 1
                if self.cache is not None:
                    fresh.append((self.keys()[i], result) if data is None else (self.keys()[i], result, data))
                    if len(fresh) >= _PUT_EVERY:
                        self.cache.put_many(fresh)
                        fresh = []
                if self.progress is not None:
                    self.progress(done, len(self.sources))
            if fresh:
                self.cache.put_many(fresh)


def resolve_calls(resolver: Resolver, files: Iterable[SourceFile]) -> list[ResolvedCall]:
    """Resolve every call site of `files`."""
    with gc_paused():
        return [
            ResolvedCall(f.path, f.module, call, resolver.resolve_call(f.module, call))
            for f in files
            for call in f.facts.calls
        ]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off: building many long-lived objects, it only costs time (measured: the
    index and resolution of Django take 0.3 and 0.6 s with it paused, about twice that without)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_MIN_PER_WORKER = 8  # below this a worker process costs more than it saves


def _collect_chunk(items: list[tuple[int, str, bool, bytes]], encode: bool) -> list[tuple[int, ModuleFacts, bytes | None]]:
    from ..facts.collector import collect
    from ..facts.serialize import dumps

    out = []
    for i, module, is_package, source in items:
        facts = collect(module, source, is_package=is_package)
        out.append((i, facts, dumps(facts) if encode else None))
    return out


def _extract(sources: list[tuple[str, str, bool, bytes]], indexes: list[int], jobs: int | None, encode: bool = False):
    """(index, facts, encoded facts or None) for each source, in worker processes when there are
    enough of them.

    Workers get bytes and return facts (small frozen dataclasses), never trees; with `encode`,
    also the cache's encoding of them, so the main process does not encode every file itself.
    """
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    jobs = min(jobs, len(sources) // _MIN_PER_WORKER)
    items = [(i, module, bool(pkg), data) for i, (_, module, pkg, data) in zip(indexes, sources)]
    if jobs <= 1:
        from ..facts.collector import collect

        for i, module, is_package, data in items:
            yield i, collect(module, data, is_package=is_package), None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # Many small chunks, biggest files first: the workers finish together.
    items.sort(key=lambda item: -len(item[3]))
    chunks = [items[k :: jobs * 8] for k in range(jobs * 8)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method)) as pool:
        futures = [pool.submit(_collect_chunk, chunk, encode) for chunk in chunks if chunk]
        for future in as_completed(futures):
            yield from future.result()
