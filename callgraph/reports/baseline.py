"""`check --baseline SNAP`: keep only the findings that are new since a snapshot.

Adopting the tool on legacy code: the baseline is analysed as the current run was (same roots and
decorator settings), and findings are matched the way `diff` matches them (file, code, target and
CPython's message, so by symbol and call shape), never by line number."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..analysis.selection import Reported
from ..config import Config
from ..pipeline import analyze_snapshot
from ..snapshots.spec import open_snapshot
from ..snapshots.tree import repo_relative
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
) -> list[Reported]:
    """Only findings absent at the baseline snapshot `spec` (opened from `repo_root`).

    `base`: the directory the current findings' paths are relative to; they are compared as
    paths relative to `repo_root`, as the snapshot names its files."""
    roots = []
    for r in cfg.roots:
        try:
            roots.append(r.resolve().relative_to(repo_root.resolve()).as_posix())
        except ValueError:
            pass
    with open_snapshot(spec, repo_root) as snap:
        old = analyze_snapshot(snap, roots=roots, preserving=cfg.preserving, mutators=cfg.mutators, cache=cache, jobs=jobs)
    rel = repo_relative(repo_root)
    current = [replace(r.finding, path=rel(str(base / r.finding.path))) for r in reported]
    added, _, _ = compare_findings(old.findings(), current)
    keep = {id(f) for f in added}
    return [r for r, f in zip(reported, current) if id(f) in keep]
