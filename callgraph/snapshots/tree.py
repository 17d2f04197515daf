"""The working tree: find a project's Python files and name their modules the way Python would."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..facts.findings import Finding, Location
from ..facts.source import ReadError, blob_id
from ..reading import DEFAULT_LIMIT, NotRead, read_regular, real_roots
from .base import SKIP_DIRS, FileEntry, Snapshot, is_python

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


def display_finding(f: Finding, base: Path) -> Finding:
    """`f` with its paths (relative to `base`, where the analysis named them) made relative to the
    current directory, as the user typed paths; unchanged when `base` is the current directory."""
    if base == Path.cwd():
        return f
    d = f.definition
    return replace(
        f,
        path=display_path(base / f.path),
        definition=Location(display_path(base / d.path), d.line) if d else None,
    )


def repo_relative(root: Path) -> Callable[[str], str]:
    """A function mapping a path to its posix form relative to `root` (a repository: SARIF, GitHub
    annotations and baselines name files that way), or to its real absolute path outside it."""
    root_s = os.path.realpath(root)

    def rel(path: str) -> str:
        p = os.path.realpath(path)
        r = os.path.relpath(p, root_s)
        return p if r.startswith("..") else Path(r).as_posix()

    return rel


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
            # os.path.exists follows links and is False for broken links and loops (skipped
            # silently); FIFOs, devices and links out of the tree are yielded, for `read_sources`
            # to refuse with a note.
            if name.endswith(".py") and os.path.exists(path):
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


def read_sources(
    found: Iterable[tuple[Path, str, bool]], max_file_size: int | None = None,
    within: Sequence[str | Path] | None = None,
) -> tuple[list[tuple[str, str, bool, bytes]], list[ReadError]]:
    """Read each discovered file: (sources for `analyze_sources`, read errors and skip notes).

    Every read goes through `reading.read_regular`: a regular file only (a FIFO or a device is a
    note, never opened for a blocking read), at most `max_file_size` bytes (when set and > 0; a
    larger file is skipped without being read), and, given `within` (the paths the user named),
    never a file whose links resolve outside them. A file that cannot be read (deleted since
    discovery, permissions, I/O error) becomes a note. None of these stops the run."""
    roots = real_roots(within) if within is not None else None
    sources: list[tuple[str, str, bool, bytes]] = []
    errors: list[ReadError] = []
    for path, module, is_package in found:
        try:
            data = read_regular(path, max_file_size, within=roots, limit_name="file size limit (--max-file-size)")
        except NotRead as exc:
            errors.append(ReadError(display_path(path), str(exc)))
            continue
        sources.append((display_path(path), module, is_package, data))
    return sources, errors


_SNAPSHOT_LIMIT = "file size limit of a directory snapshot (2 MiB, fixed)"


class DirSnapshot(Snapshot):
    """A directory as a snapshot: its .py files read through `read_regular`, links kept inside it."""

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
                if is_python(name):
                    out.append(name if rel == "." else f"{Path(rel).as_posix()}/{name}")
        return out

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {}
            roots = real_roots([self.root])
            for path in self._files():
                try:
                    data = read_regular(self.root / path, DEFAULT_LIMIT, within=roots, limit_name=_SNAPSHOT_LIMIT)
                except NotRead as exc:
                    self.notes.append(f"{path}: {exc}")
                    continue
                self._data[path] = data
                self._entries[path] = FileEntry(path, blob_id(data), len(data))
        return self._entries

    def read(self, path: str) -> bytes:
        if path not in self._data:
            self.entries()
        return self._data[path]
