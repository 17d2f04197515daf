"""`check --baseline SNAP`: keep only the findings that are new since a snapshot.

Adopting the tool on legacy code: the baseline is analysed as the current run was (same roots and
decorator settings), and findings are matched the way `diff` matches them (file, code, target and
CPython's message, so by symbol and call shape), never by line number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..analysis.selection import Reported
from ..config import Config
from ..pipeline import analyze_snapshot, environment_options
from ..snapshots.spec import open_snapshot
from ..snapshots.tree import repo_relative, source_root
from ..store.cache import FactsCache, NullCache
from .diff import compare_findings


def new_since_baseline(
    reported: list[Reported],
    spec: str,
    base: Path,
    repo_root: Path,
    cfg: Config,
    cache: FactsCache | NullCache | None,
    jobs: int | None,
    scope: Sequence[str | Path] = (),
) -> list[Reported]:
    """Only findings absent at the baseline snapshot `spec` (opened from `repo_root`).

    `base`: the directory the current findings' paths are relative to; they are compared as
    paths relative to `repo_root`, as the snapshot names its files. `scope`: the working-tree
    paths the current run analysed (empty: the snapshot's own naming, as `--staged` does); the
    baseline analyses the same paths and names their modules from the same source roots, so a
    finding's target (`etl.config.PipelineConfig.__init__`) is the same on both sides."""
    paths, roots = snapshot_scope(scope, repo_root, cfg.roots)
    with open_snapshot(spec, repo_root) as snap:
        old = analyze_snapshot(
            snap, paths, roots=roots, preserving=cfg.preserving, mutators=cfg.mutators, cache=cache, jobs=jobs,
            **environment_options(cfg),
        )
    rel = repo_relative(repo_root)
    current = [replace(r.finding, path=rel(str(base / r.finding.path))) for r in reported]
    added, _, _ = compare_findings(old.findings(), current)
    keep = {id(f) for f in added}
    return [r for r, f in zip(reported, current) if id(f) in keep]


def snapshot_scope(
    scope: Sequence[str | Path], repo_root: Path, configured_roots: Sequence[Path]
) -> tuple[list[str], list[str]]:
    """(paths, source roots) relative to `repo_root` that select and name a snapshot's files as
    `snapshots.tree.discover` names the working tree's: the configured roots, else each scope
    path's own source root and its `src/` (src-layout). Anything outside the repository is left
    to the snapshot's defaults."""
    top = repo_root.resolve()

    def rel(path: Path) -> str | None:
        try:
            return path.resolve().relative_to(top).as_posix()
        except ValueError:
            return None

    paths = [r for r in (rel(Path(p)) for p in scope) if r is not None and r != "."]
    if configured_roots:
        roots = [r for r in (rel(Path(c)) for c in configured_roots) if r is not None]
    else:
        roots = []
        for p in scope:
            root = source_root(Path(p))
            src = root / "src"
            for r in (root, src) if src.is_dir() and not (src / "__init__.py").exists() else (root,):
                named = rel(r)
                if named is not None and named not in roots:
                    roots.append("" if named == "." else named)
    return paths, roots
