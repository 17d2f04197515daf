"""Where `import name` would land, by the import system's rules, reading directories only.

The order is sys.meta_path's: BuiltinImporter (`builtin_module_names`), FrozenImporter, then
PathFinder over the import path (a submodule: over its parent's `__path__`). PathFinder asks each
entry in turn and returns the first *module or regular package* an entry holds; a directory
without `__init__` is only remembered as a namespace portion, and only when no entry holds a
module does it build a namespace package from all the portions, in path order
(importlib._bootstrap_external.PathFinder._get_spec). Per entry:
- a directory, by FileFinder's rules: `name/__init__` + each suffix (extension suffixes, then
  source, then bytecode) makes a package; else `name` + each suffix, in the same order, a module;
  else a directory `name` is a portion. Names match exactly (as FileFinder's listing does);
- a zip archive (or a directory inside one), by zipimport's: `name/__init__.pyc|.py`, then
  `name.pyc|.py`, then a directory entry `name/` as a portion (only an explicit entry: zipimport
  infers none). Extensions are never loaded from zips; where both exist, the source is reported.

Two deliberate departures, both for a reader of source rather than a loader of code:
- a frozen module whose standard-library file the path search finds is answered with that file
  (it is the code that was frozen); FROZEN only when there is none (`_frozen_importlib`, `os.path`);
- a name nothing can import but a `.pyi` beside where it would be is answered as STUB; a found
  module also carries the `.pyi` beside it (`ModuleLocation.stub`).
Not modelled: meta path finders installed by .pth code (setuptools' editable installs: such a
module is NOT_FOUND here, and the environment's `startup_code` says finders may exist), `-stubs`
packages (PEP 561), case-insensitive matching (PYTHONCASEOK), `sys.modules` aliases set at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import ImportPathEntry, ModuleKind, ModuleLocation, PathOrigin

if TYPE_CHECKING:
    from .model import Environment

MAX_ARCHIVE_MEMBERS = 200_000  # a zip on the import path with more members is not searched
_Where = tuple[tuple[str, ImportPathEntry], ...]  # search locations, each with the entry it descends from


@dataclass(frozen=True, slots=True)
class _Listing:
    """One search location's children: a directory's names, or a zip archive's members below `inner`."""

    names: frozenset[str]
    archive: str | None = None
    inner: str = ""  # posix path inside the archive, "" or ending with "/"
    members: frozenset[str] = frozenset()
    dirs: frozenset[str] = frozenset()


class Finder:
    """One environment's module lookups, each remembered (as are directory listings and zip member
    lists): the environment is a snapshot, and so are its answers."""

    def __init__(self, env: Environment) -> None:
        self.builtins = env.builtin_module_names
        self.frozen = env.frozen_module_names
        self.suffixes = (
            [(s, ModuleKind.EXTENSION) for s in env.extension_suffixes]
            + [(s, ModuleKind.SOURCE) for s in env.source_suffixes]
            + [(s, ModuleKind.BYTECODE) for s in env.bytecode_suffixes]
        )
        self.top: _Where = tuple((e.path, e) for e in env.import_path)
        self._found: dict[str, ModuleLocation] = {}
        self._where: dict[str, _Where] = {}  # a package's search locations with their entries
        self._listings: dict[str, _Listing | None] = {}
        self._archives: dict[str, tuple[frozenset[str], frozenset[str]] | None] = {}

    def find(self, name: str) -> ModuleLocation:
        if not isinstance(name, str) or not name or name.startswith(".") or any(
            not part or "/" in part or "\\" in part or "\0" in part for part in name.split(".")
        ):
            raise ValueError(f"not an absolute module name: {name!r}")
        found = self._found.get(name)
        if found is None:
            found = self._found.setdefault(name, self._find(name))
        return found

    def _find(self, name: str) -> ModuleLocation:
        if name in self.builtins:
            return ModuleLocation(name, ModuleKind.BUILTIN)
        parent, _, tail = name.rpartition(".")
        if parent:
            above = self.find(parent)
            located = self._search(name, tail, self._where.get(parent, ())) if above.is_package else None
        else:
            located = self._search(name, tail, self.top)
        if name in self.frozen and not (
            located is not None
            and located.kind in (ModuleKind.SOURCE, ModuleKind.PACKAGE)
            and located.origin is PathOrigin.STDLIB
        ):
            return ModuleLocation(name, ModuleKind.FROZEN)
        return located or ModuleLocation(name, ModuleKind.NOT_FOUND)

    def _search(self, name: str, tail: str, where: _Where) -> ModuleLocation:
        portions: list[tuple[str, ImportPathEntry]] = []
        for location, entry in where:
            listing = self._listing(location)
            if listing is None:
                continue
            hit = self._in_zip(name, tail, location, entry, listing) if listing.archive else self._in_dir(name, tail, location, entry, listing)
            if isinstance(hit, ModuleLocation):
                return hit
            if hit is not None:
                portions.append((hit, entry))
        if portions:
            self._where[name] = tuple(portions)
            first = portions[0][1]
            stub = next((s for s in (os.path.join(p, "__init__.pyi") for p, _ in portions) if os.path.isfile(s)), None)
            return ModuleLocation(name, ModuleKind.NAMESPACE, None, first.path, first.origin, tuple(p for p, _ in portions), stub)
        for location, entry in where:
            listing = self._listing(location)
            if listing is not None and listing.archive is None and tail + ".pyi" in listing.names:
                stub = os.path.join(location, tail + ".pyi")
                if os.path.isfile(stub):
                    return ModuleLocation(name, ModuleKind.STUB, stub, entry.path, entry.origin, (), stub)
        return ModuleLocation(name, ModuleKind.NOT_FOUND)

    # -- one location -------------------------------------------------------------------------------

    def _in_dir(self, name: str, tail: str, location: str, entry: ImportPathEntry, listing: _Listing) -> ModuleLocation | str | None:
        """FileFinder.find_spec: a package, a module, or a namespace portion (its path)."""
        portion = None
        if tail in listing.names:
            base = os.path.join(location, tail)
            for suffix, _ in self.suffixes:
                init = os.path.join(base, "__init__" + suffix)
                if os.path.isfile(init):
                    self._where[name] = ((base, entry),)
                    stub = os.path.join(base, "__init__.pyi")
                    stub = stub if os.path.isfile(stub) else None
                    return ModuleLocation(name, ModuleKind.PACKAGE, init, entry.path, entry.origin, (base,), stub)
            if os.path.isdir(base):
                portion = base
        for suffix, kind in self.suffixes:
            if tail + suffix in listing.names:
                path = os.path.join(location, tail + suffix)
                if os.path.isfile(path):
                    stub = os.path.join(location, tail + ".pyi") if tail + ".pyi" in listing.names else None
                    return ModuleLocation(name, kind, path, entry.path, entry.origin, (), stub)
        return portion

    def _in_zip(self, name: str, tail: str, location: str, entry: ImportPathEntry, listing: _Listing) -> ModuleLocation | str | None:
        """zipimporter.find_spec: a package, a module, or a namespace portion (its path)."""
        assert listing.archive is not None
        base = listing.inner + tail

        def at(member: str) -> str:
            return os.path.join(listing.archive, *member.split("/"))  # type: ignore[arg-type]

        for ending in ("/__init__.py", "/__init__.pyc"):  # zipimport tries .pyc first; the source is read
            if base + ending in listing.members:
                self._where[name] = ((at(base), entry),)
                return ModuleLocation(name, ModuleKind.PACKAGE, at(base + ending), entry.path, entry.origin, (at(base),), archive=listing.archive)
        for ending, kind in ((".py", ModuleKind.SOURCE), (".pyc", ModuleKind.BYTECODE)):
            if base + ending in listing.members:
                return ModuleLocation(name, kind, at(base + ending), entry.path, entry.origin, archive=listing.archive)
        return at(base) if base in listing.dirs else None

    def _listing(self, location: str) -> _Listing | None:
        """What `location` holds; None when it is neither a directory nor in a readable zip archive."""
        if location in self._listings:
            return self._listings[location]
        listing: _Listing | None = None
        try:
            listing = _Listing(frozenset(os.listdir(location)))
        except OSError:
            head, tails = location, []
            while head and not os.path.exists(head):  # a directory inside an archive: archive.zip/pkg
                head, part = os.path.split(head)
                if not part:
                    break
                tails.append(part)
            if head and os.path.isfile(head):
                listing = self._zip_listing(head, "/".join(reversed(tails)) + "/" if tails else "")
        self._listings[location] = listing
        return listing

    def _zip_listing(self, archive: str, inner: str) -> _Listing | None:
        if archive not in self._archives:
            self._archives[archive] = _read_archive(archive)
        members = self._archives[archive]
        if members is None:
            return None
        files, dirs = members
        names = frozenset(m[len(inner) :].split("/", 1)[0] for m in files | {d + "/" for d in dirs} if m.startswith(inner))
        if inner and not names:
            return None
        return _Listing(names - {""}, archive, inner, files, dirs)


def _read_archive(archive: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(member files, directory entries) of a zip archive, from its central directory; None when it
    is not a readable zip or holds more than MAX_ARCHIVE_MEMBERS members. Only explicit directory
    entries count as directories, as zipimport's `_is_dir` counts them."""
    import zipfile  # on first use: most import paths hold no archive, and it costs ~10 ms to import

    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ARCHIVE_MEMBERS:
                return None
            names = [i.filename for i in infos]
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return None
    files = frozenset(n for n in names if not n.endswith("/"))
    return files, frozenset(n.rstrip("/") for n in names if n.endswith("/"))
