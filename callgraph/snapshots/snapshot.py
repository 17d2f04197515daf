"""Snapshots: one immutable version of the code, as path -> bytes.

A working tree, a git commit read straight from the object database (no
checkout, no worktree; bare repositories work), or the staged index. Every
command that takes a version of the code takes a snapshot spec:

    PATH            a directory
    REF             anything `git rev-parse` resolves to a commit, as in `git diff`
    git:REF         explicitly a git ref
    dir:PATH        explicitly a directory
    index:          the staged content of the current repository
"""

from __future__ import annotations

import abc
import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..store.cache import blob_id  # git's blob id: one content key for trees, commits and the cache
from ..analysis.project import SKIP_DIRS, InputError




@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str  # posix, relative to the snapshot root
    oid: str  # git blob id of the content
    size: int  # 0 when not known (git trees: sizes are not read)


class Snapshot(abc.ABC):
    """An immutable view of one version of the code. Use as a context manager."""

    label: str  # how the user named it, for reports
    immutable = False  # a commit: analysed again, it is the same code (no edit will follow)
    notes: list[str]  # things skipped on purpose (submodules, symlinks), said once

    @abc.abstractmethod
    def entries(self) -> dict[str, FileEntry]:
        """Every Python file, by path."""

    @abc.abstractmethod
    def read(self, path: str) -> bytes: ...

    def read_many(self, paths: list[str]) -> dict[str, bytes]:
        return {p: self.read(p) for p in paths}

    @property
    def package_name(self) -> str | None:
        """The root's own package name when the root directory is itself a package."""
        return None

    def close(self) -> None:
        pass

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_python(path: str) -> bool:
    return path.endswith(".py")


class DirSnapshot(Snapshot):
    def __init__(self, root: str | Path, label: str | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"{root}: not a directory")
        self.label = label or f"dir:{root}"
        self.notes = []
        self._entries: dict[str, FileEntry] | None = None
        self._data: dict[str, bytes] = {}

    @property
    def package_name(self) -> str | None:
        if (self.root / "__init__.py").is_file():
            return self.root.resolve().name
        return None

    def _files(self) -> list[str]:
        out: list[str] = []
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
            rel = os.path.relpath(dirpath, root)
            for name in sorted(filenames):
                if _is_python(name):
                    out.append(name if rel == "." else f"{Path(rel).as_posix()}/{name}")
        return out

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {}
            for path in self._files():
                try:
                    data = (self.root / path).read_bytes()
                except OSError as exc:
                    self.notes.append(f"{path}: cannot read: {exc.strerror or exc}")
                    continue
                self._data[path] = data
                self._entries[path] = FileEntry(path, blob_id(data), len(data))
        return self._entries

    def read(self, path: str) -> bytes:
        if path not in self._data:
            self.entries()
        return self._data[path]


class _Git:
    """Runs git without a shell; arguments after --end-of-options can never become options."""

    def __init__(self, cwd: str | Path) -> None:
        self.cwd = str(cwd)
        self._batch: subprocess.Popen | None = None

    def run(self, *args: str, check: bool = True) -> bytes:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=self.cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120
            )
        except FileNotFoundError:
            raise InputError("git is not installed or not on PATH") from None
        except subprocess.TimeoutExpired:
            raise InputError(f"git {args[0]} timed out") from None
        if check and proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
        return proc.stdout

    def cat(self, oid: str) -> bytes:
        """One long-lived `git cat-file --batch` serves every blob read."""
        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        assert self._batch.stdin and self._batch.stdout
        self._batch.stdin.write(oid.encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise InputError(f"git object {oid} is missing or not a blob")
        size = int(header[2])
        data = self._batch.stdout.read(size)
        self._batch.stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        if self._batch is not None:
            for stream in (self._batch.stdin, self._batch.stdout):
                if stream:
                    stream.close()
            self._batch.wait(timeout=10)
            self._batch = None


def _git_dir_exists(cwd: Path) -> bool:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--git-dir"], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30
        )
    except FileNotFoundError:
        if not cwd.is_dir():
            return False
        raise InputError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


class _GitTreeSnapshot(Snapshot):
    def __init__(self, cwd: str | Path) -> None:
        self.git = _Git(cwd)
        self.notes = []
        self._entries: dict[str, FileEntry] | None = None

    def read(self, path: str) -> bytes:
        return self.git.cat(self.entries()[path].oid)

    def close(self) -> None:
        self.git.close()

    def _keep(self, mode: str, path: str) -> bool:
        if mode == "160000":
            self.notes.append(f"{path}: submodule skipped")
            return False
        if mode == "120000":
            if _is_python(path):
                self.notes.append(f"{path}: symbolic link skipped")
            return False
        return _is_python(path)


class GitSnapshot(_GitTreeSnapshot):
    """A commit, read from git's object store: `ls-tree` once, blobs through `cat-file --batch`."""

    immutable = True

    def __init__(self, ref: str, cwd: str | Path = ".") -> None:
        super().__init__(cwd)
        if not ref or ref.startswith("-"):
            raise InputError(f"{ref!r}: not a valid git ref")
        if not _git_dir_exists(Path(cwd)):
            raise InputError(f"{Path(cwd).resolve()}: not a git repository")
        out = self.git.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        commit = out.decode().strip()
        if not commit:
            raise InputError(f"{ref}: no such git ref or commit")
        self.ref = ref
        self.commit = commit
        self.label = f"{ref} ({commit[:12]})"

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {}
            # Without -l: sizes would make git open every blob (70 ms on Django), and a blob whose
            # facts are cached is never read at all. A missing or corrupt object is reported when read.
            out = self.git.run("ls-tree", "-r", "-z", "--full-tree", self.commit)
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, raw_path = record.partition(b"\t")
                mode, kind, oid = meta.decode().split()
                path = os.fsdecode(raw_path)
                if kind in ("blob", "commit") and self._keep(mode, path):
                    self._entries[path] = FileEntry(path, oid, 0)
        return self._entries


class IndexSnapshot(_GitTreeSnapshot):
    """The staged content (what `git commit` would record): for pre-commit hooks."""

    def __init__(self, cwd: str | Path = ".") -> None:
        super().__init__(cwd)
        if not _git_dir_exists(Path(cwd)):
            raise InputError(f"{Path(cwd).resolve()}: not a git repository")
        top = self.git.run("rev-parse", "--show-toplevel").decode().strip()
        self.git = _Git(top)
        self.label = "index:"

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {}
            out = self.git.run("ls-files", "-s", "-z")
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, raw_path = record.partition(b"\t")
                mode, oid, stage = meta.decode().split()
                path = os.fsdecode(raw_path)
                if stage == "0" and self._keep(mode, path):
                    self._entries[path] = FileEntry(path, oid, 0)
        return self._entries


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
    if path.is_dir():
        return DirSnapshot(path, label=spec)
    if path.exists():
        raise InputError(f"{spec}: a snapshot must be a directory or a git ref, not a file")
    if spec.startswith("-"):
        raise InputError(f"{spec!r}: not a valid snapshot (a ref cannot start with '-')")
    if not _git_dir_exists(Path(cwd)):
        raise InputError(f"{spec}: no such directory, and {Path(cwd).resolve()} is not a git repository")
    return GitSnapshot(spec, cwd)


def name_modules(paths: list[str], roots: list[str] = (), package_name: str | None = None) -> dict[str, tuple[str, bool]]:
    """Module name and is-package for each path, as Python would import it.

    Roots are the snapshot root plus `src/` (src-layout) unless given; a file's
    module is its path below the deepest root holding it, so namespace packages and
    scripts beside packages get the names Python gives them. When the snapshot
    root is itself a package, its name prefixes every module.
    """
    if not roots:
        roots = [""]
        if any(p.startswith("src/") for p in paths) and "src/__init__.py" not in paths:
            roots.append("src")
    ordered = sorted((r.strip("/") for r in roots), key=lambda r: r.count("/") + (1 if r else 0), reverse=True)
    out: dict[str, tuple[str, bool]] = {}
    for path in paths:
        root = next((r for r in ordered if not r or path.startswith(r + "/")), "")
        rel = path[len(root) + 1 :] if root else path
        parts = rel.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        if package_name and not root:
            parts = [package_name, *parts]
        out[path] = (".".join(parts) or "__init__", is_package)
    return out


def analyze_snapshot(
    snapshot: Snapshot,
    paths: list[str] = (),
    *,
    roots: list[str] = (),
    **options,
):
    """Analyse one snapshot (optionally only files under `paths`, relative to its root).

    `options` go to `project.analyze_sources` (preserving decorators, cache, ...).
    Finding paths are relative to the snapshot root, so two snapshots compare by path.
    """
    from ..analysis.project import analyze_sources

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
