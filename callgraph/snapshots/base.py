"""What every snapshot is: an immutable view of one version of the code, as path -> bytes.

The core types live here, apart from the kinds that make them, so that `probes/` (whose remote
snapshot is one more kind) can import them without this folder importing `probes` back, except
where `spec.open_snapshot` hands a remote spec over."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass

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


def is_python(path: str) -> bool:
    return path.endswith(".py")


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


class Selected(Snapshot):
    """Another snapshot less the files `keep` rejects (include/exclude); it reads through it, and
    leaves closing it to its owner."""

    def __init__(self, snap: Snapshot, keep: Callable[[str], bool]) -> None:
        self.snap = snap
        self.keep = keep
        self.label = snap.label
        self.notes = snap.notes
        self.immutable = snap.immutable

    def entries(self) -> dict[str, FileEntry]:
        return {p: e for p, e in self.snap.entries().items() if self.keep(p)}

    def read(self, path: str) -> bytes:
        return self.snap.read(path)

    def read_many(self, paths: list[str]) -> dict[str, bytes]:
        return self.snap.read_many(paths)

    @property
    def package_name(self) -> str | None:
        return self.snap.package_name
