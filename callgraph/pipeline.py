"""The analysis, in the order it runs: discover → load facts → index → resolve → check → store.

Each stage lives in its own folder, and no stage calls another back; this module is the one place
that strings them together:

1. discover: which files, and their bytes (`snapshots/`: a working tree, a git ref, the index, a
   remote copy);
2. load facts: from the facts cache or extracted, in worker processes (`store.loader`, `facts/`);
3. reuse: what the previous run of the same files left that still holds (`store.reuse`);
4. index, resolve and check what must be redone (`resolve/`, `analysis/`), on first use;
5. store: this run recorded for the next (`store.reuse.Run`).

Laziness is explicit: a `SourceFile` holds a loader, not facts, until they are read; a warm run
whose previous findings all hold decodes almost no facts and resolves no call.

`analyze_tree` and `analyze_staged` are what `callgraph check` runs: the same analysis, with a
`Config`'s roots, include/exclude and decorator settings applied."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .analysis.project import Project
from .config import Config
from .errors import InputError
from .facts.source import ReadError, SourceFile
from .resolve.resolver import DEFAULT_PRESERVING
from .snapshots.base import Selected, Snapshot, name_modules
from .snapshots.git import git_toplevel
from .snapshots.spec import open_snapshot
from .snapshots.tree import discover, read_sources
from .store.cache import FactsCache, NullCache
from .store.identity import checker_id
from .store.loader import Executor, FactsLoader
from .store.outside import EnvironmentModules, environment_identity, imported_outside, unchanged
from .store.reuse import Outcome, Run

if TYPE_CHECKING:
    from .environment.model import Environment
    from .resolve.outside import OutsideModules


def analyze(
    paths: Sequence[str | Path] = (".",),
    *,
    roots: Sequence[str | Path] = (),
    preserving: Iterable[str] = (),
    cache: FactsCache | NullCache | None = None,
    mutators: Iterable[str] = (),
    jobs: int | None = None,
    max_file_size: int | None = None,
    environment: Environment | None = None,
    use_environment: bool = False,
) -> Project:
    """Analyse the Python files under `paths`; the library's main entry point.

    `cache`: a `callgraph.store.cache.FactsCache` to reuse per-file facts across runs (None: no cache).
    `jobs`: worker processes for extraction (default: the CPU count).
    `max_file_size`: files larger than this many bytes are skipped, never read, and reported in
    `Project.errors` (None or 0: no limit, the default).
    `environment`, `use_environment`: see `analyze_sources`."""
    started = time.perf_counter()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sources, errors = read_sources(discover(paths, roots), max_file_size, within=paths)
    project = analyze_sources(
        sources, preserving=preserving, cache=cache, mutators=mutators, jobs=jobs,
        environment=environment, use_environment=use_environment,
    )
    project.errors[:0] = errors
    project.seconds = time.perf_counter() - started
    return project


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
    environment: Environment | None = None,
    use_environment: bool = False,
    outside: OutsideModules | None = None,
    executor: Executor | None = None,
) -> Project:
    """Analyse in-memory files given as (display path, module name, is_package, source bytes).

    `blobs`: each source's git blob id, when known (a git snapshot's); the bytes may then be given
    as a function returning them, called only for files whose facts are not cached.

    `edits_follow`: False for a commit, which is only ever analysed again as it is: its run is
    recorded for its exact content only (no call tables, and the working tree's latest run stays).

    `jobs`: worker processes for extracting facts (default: the CPU count; 1 runs in-process).
    `executor`: where to extract instead of local workers (`store.ray_executor.RayExecutor`); the
    facts, and so the result, are the same.

    `environment`: the interpreter the code runs under (`callgraph.environment.Environment`); its
    pure-Python modules (standard library, site-packages) are read on demand as call targets and
    bases, never checked themselves; read only with `use_environment=True` (or an `environment`
    given). None: the running interpreter's (`Environment.local()`). Off by default in the library
    for now (the call graph and its benchmarks still assume the tree alone); `callgraph check`
    turns it on unless `--no-environment`.

    `outside`: a provider of outside modules to use instead of an environment's (a remote
    interpreter's fetched sources, `store.fetched.FetchedModules`); no run is reused or recorded then.

    `mutators`: decorators treated as unknown even when otherwise trusted; `progress(done, total)`
    is called after each file's facts are ready.

    With a `cache`, each file's facts are looked up by (git blob id, module, is_package) first,
    and the facts of the misses are stored; with a `FactsCache`, the previous run of the same
    files also lends the findings that still hold (`store.reuse`). The result is the same either way."""
    started = time.perf_counter()
    sources = list(sources)
    preserving = DEFAULT_PRESERVING | frozenset(preserving)
    mutators = frozenset(mutators)
    # 2. Load facts: from the cache or extracted (in workers), each only when asked for.
    loader = FactsLoader(sources, cache, jobs, progress, blobs, executor)
    # The world outside the tree: its modules read only when the resolver names one.
    given = outside
    env = _environment(environment, use_environment, cache) if given is None else None
    if given is None:
        outside = EnvironmentModules(env, cache) if env is not None else None
    # 3. What the previous run of these files left, when the cache keeps runs.
    run = None
    if cache is not None and getattr(cache, "keeps_runs", False) and given is None:
        settings = [f"preserve:{d}" for d in preserving] + [f"mutator:{d}" for d in mutators]
        settings.append(f"environment:{environment_identity(env)}" if env is not None else "environment:off")
        checks = (functools.partial(unchanged, env), lambda: outside.lookups.values()) if env is not None else None
        run = Run(
            cache, checker_id(), settings, [(p, m, bool(k)) for p, m, k, _ in sources], loader.blobs(), edits_follow, checks
        )

    def lazy_project() -> Project:  # facts decoded on demand only
        files = [
            SourceFile(path, module, loader.known(i), functools.partial(loader.one, i), blob)
            for i, ((path, module, _, _), blob) in enumerate(zip(sources, loader.blobs()))
        ]
        return Project(files, preserving=preserving, mutators=mutators, outside=outside, _load_all=loader.all)

    # 3. Reuse what still holds; 4. index, resolve and check the rest (`Project` derives them on
    #    first use; `Run.settle` asks it for what must be redone); 5. `Run` records this run.
    if run is not None and run.facts_unchanged(loader):  # every previous finding holds
        project = lazy_project()
        _apply(project, run.reuse_all())
    elif run is not None and run.calls_known(loader):  # a body edit: from the call table, no index
        project = lazy_project()
        _apply(project, run.reuse_calls())
    else:
        facts = loader.all()
        ids = loader.blobs() if cache is not None or blobs is not None else [None] * len(sources)
        files = [SourceFile(path, module, f, blob=b) for (path, module, _, _), f, b in zip(sources, facts, ids)]
        notes = [ReadError(f.path, f.facts.unsupported) for f in files if f.facts.unsupported]
        if isinstance(outside, EnvironmentModules) and loader.parsed >= _PREFETCH_AFTER:
            # A cold run: the outside modules the project imports are extracted in processes
            # now, not one by one in this process while resolving (the same facts, sooner).
            outside.prefetch(imported_outside(facts, {m.split(".")[0] for _, m, _, _ in sources}), jobs)
        project = Project(files, notes, preserving=preserving, mutators=mutators, outside=outside)
        if run is not None:
            _apply(project, run.settle(project))
    if cache is not None:
        project.cache_hits, project.cache_misses = len(sources) - loader.parsed, loader.parsed
    project.seconds = time.perf_counter() - started
    return project


_PREFETCH_AFTER = 64  # project files extracted in this run: below, the outside modules are read one by one


def _answers(cache: Any) -> Any:
    """The cache as a memo of interpreter answers, when it keeps runs: a warm run starts no
    interpreter (`environment.interpreter.query`)."""
    return cache if cache is not None and getattr(cache, "keeps_runs", False) else None


def _environment(environment: Environment | None, use: bool, cache: Any = None) -> Environment | None:
    """The environment whose modules the resolver may read: the one given, else the running
    interpreter's; None when disabled, or when the running interpreter cannot say (then the tree
    alone is analysed, as before environments existed)."""
    if environment is not None:
        return environment
    if not use:
        return None
    from .environment.model import Environment
    from .errors import InputError as _InputError

    try:
        return Environment.local(memo=_answers(cache))
    except (_InputError, OSError):  # no interpreter to ask, or no temporary directory to ask it from
        return None


def _apply(project: Project, outcome: Outcome) -> None:
    """Give `project` what reuse decided: its findings, stats counts and the unread files' notes."""
    project.set_findings(outcome.findings, outcome.counts)
    project.errors[:0] = outcome.notes
    project.reused = outcome.reused


def analyze_snapshot(
    snapshot: Snapshot,
    paths: list[str] = (),
    *,
    roots: list[str] = (),
    **options: Any,
) -> Project:
    """Analyse one snapshot (optionally only files under `paths`, relative to its root).

    `options` go to `analyze_sources` (preserving decorators, cache, ...).
    Finding paths are relative to the snapshot root, so two snapshots compare by path.
    """
    entries = snapshot.entries()
    wanted = [p.strip("/").removeprefix("./") for p in paths if p not in (".", "./", "")]
    selected = sorted(
        p for p in entries if not wanted or any(p == w or p.startswith(w.rstrip("/") + "/") for w in wanted)
    )
    if wanted and not selected:
        raise InputError(f"{snapshot.label}: no Python files under {', '.join(wanted)}")
    names = name_modules(selected, list(roots), snapshot.package_name)
    # Bytes are read only for files whose facts are not cached: the entries know each blob id.
    project = analyze_sources(
        [(p, names[p][0], names[p][1], functools.partial(snapshot.read, p)) for p in selected],
        blobs=[entries[p].oid for p in selected],
        edits_follow=not snapshot.immutable,
        **options,
    )
    project.snapshot_label = snapshot.label
    return project


# -- with a configuration: what `callgraph check` analyses ------------------------------------------


def _check_roots(cfg: Config) -> None:
    """A configured source root that is not a directory is the user's mistake: say so (exit 2)."""
    for r in cfg.roots:
        if not r.is_dir():
            raise InputError(f"roots ({cfg.origins['roots']}): {r}: not a directory")


def environment_options(cfg: Config, cache: Any = None) -> dict[str, Any]:
    """`analyze_sources`' environment options from a configuration: `--python`'s interpreter is
    asked about itself once (an unusable one is an `InputError`, exit 2), or its answer is
    recalled from the cache while the interpreter file is unchanged."""
    if not cfg.environment:
        return {"use_environment": False}
    if not cfg.python:
        return {"use_environment": True}
    from .environment.model import Environment

    origin = cfg.origins.get("python", "")
    if origin != "--python":  # named by a configuration file: written by whoever wrote the tree
        from .environment.interpreter import vet_configured

        vet_configured(cfg.python, cfg.base, origin or "configuration")

    return {"environment": Environment.local(cfg.python, memo=_answers(cache))}


def analyze_tree(
    paths: Sequence[str | Path],
    cfg: Config,
    cache: FactsCache | NullCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    max_file_size: int | None = None,
    executor: Executor | None = None,
) -> Project:
    """The working tree: discover, apply include/exclude, read (skipping files over
    `max_file_size` bytes, never read), analyse. Finding paths are relative to the current
    directory, as `discover` names them."""
    started = time.perf_counter()
    _check_roots(cfg)
    found = [(p, m, pkg) for p, m, pkg in discover(paths, cfg.roots) if cfg.selects_file(p)]
    sources, errors = read_sources(found, max_file_size, within=paths)
    project = analyze_sources(
        sources, preserving=cfg.preserving, mutators=cfg.mutators, cache=cache, progress=progress, jobs=jobs,
        executor=executor, **environment_options(cfg, cache),
    )
    project.errors[:0] = errors
    project.seconds = time.perf_counter() - started
    return project


def analyze_staged(
    paths: Sequence[str],
    cfg: Config,
    cache: FactsCache | NullCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
) -> tuple[Project, Path]:
    """The git index of the repository holding the current directory, as the commit will record
    it (only the files under `paths`, when given): (project, repository top). Finding paths are
    relative to the repository top."""
    started = time.perf_counter()
    with open_snapshot("index:") as snap:
        top = (git_toplevel(".") or Path.cwd()).resolve()
        roots = []
        for r in cfg.roots:
            try:
                roots.append(r.relative_to(top).as_posix())
            except ValueError:
                raise InputError(f"roots ({cfg.origins['roots']}): {r}: outside the repository {top}") from None
        wanted = []
        for p in paths:
            rel = os.path.relpath(os.path.realpath(p), top)
            if rel.startswith(".."):
                raise InputError(f"{p}: outside the repository {top}")
            wanted.append(Path(rel).as_posix())
        project = analyze_snapshot(
            Selected(snap, lambda p: cfg.selects_file(top / p)),
            [w for w in wanted if w != "."],
            roots=roots,
            preserving=cfg.preserving,
            mutators=cfg.mutators,
            cache=cache,
            progress=progress,
            jobs=jobs,
            executor=executor,
            **environment_options(cfg, cache),
        )
        project.errors[:0] = [ReadError(".", n) for n in snap.notes]
    project.seconds = time.perf_counter() - started
    return project, top
