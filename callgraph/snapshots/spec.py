"""Open a snapshot from its spec: the one place that knows every kind, remote ones included.

A working tree, a git commit read straight from the object database, the staged index, or a
remote copy. Every command that takes a version of the code takes a snapshot spec:

    PATH            a directory
    REF             anything `git rev-parse` resolves to a commit, as in `git diff`
    git:REF         explicitly a git ref
    dir:PATH        explicitly a directory
    index:          the staged content of the current repository
    cmd:, docker:, e2b:   a copy elsewhere, through `probes/` (see `probes.probe`)
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .base import Snapshot
from .git import GitSnapshot, IndexSnapshot, _git_dir_exists
from .tree import DirSnapshot


def open_snapshot(spec: str, cwd: str | Path = ".") -> Snapshot:
    """Parse a snapshot spec (see the module docstring); a bad spec is an InputError (exit 2)."""
    if spec.startswith(("cmd:", "docker:", "e2b:")):  # remote copies: the probes package
        from probes import open_remote

        return open_remote(spec)
    if not spec.strip():
        raise InputError("an empty snapshot spec: give a directory, a git ref, or index:")
    if spec.startswith("git:"):
        return GitSnapshot(spec[4:], cwd)
    if spec.startswith("dir:"):
        return DirSnapshot(Path(cwd) / spec[4:], label=spec)
    if spec == "index:" or spec.startswith("index:"):
        return IndexSnapshot(Path(cwd) / spec[6:] if spec[6:] else cwd)
    path = Path(cwd) / spec
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError:  # a name the file system cannot hold (ENAMETOOLONG): not a directory; maybe a ref
        is_dir = exists = False
    if is_dir:
        return DirSnapshot(path, label=spec)
    if exists:
        raise InputError(f"{spec}: a snapshot must be a directory or a git ref, not a file")
    if spec.startswith("-"):
        raise InputError(f"{spec!r}: not a valid snapshot (a ref cannot start with '-')")
    if not _git_dir_exists(Path(cwd)):
        raise InputError(f"{spec}: no such directory, and {Path(cwd).resolve()} is not a git repository")
    return GitSnapshot(spec, cwd)
