"""Outside modules served from an environment: read, hashed and turned into facts on first use.

`EnvironmentModules` is the `resolve.outside.OutsideModules` provider the pipeline gives the
index. For a name the project does not define it asks the environment where `import name` would
land (`Environment.find_module`); only a `.py` module or a regular package's `__init__.py` gives
facts (read bounded, hashed to its git blob id, looked up in the facts cache, else collected and
stored). Outside modules never get findings, so their facts are the interface facts
(`facts.interface.collect_interface`: CPython's `ast`, a fifth of the libcst pass), stored under
`interface_key`: their own blob prefix, which names the interface collector's own source, so they
never mix with a project file's full facts and a changed collector never reads old ones. Every
builtin or extension module (C code, no source) gets its typeshed stub instead, pruned for the
target's version and platform (`environment.stubs`), cached by the pruned text's blob, read by the
same interface collector; every other kind (frozen, namespace, a lone .pyi, bytecode, not found,
unreadable) is unknown, and unknown is silent. The analysed code is read, never imported or executed.

Each lookup is recorded (`lookups`): the run state keeps them, and the next run redoes everything
when one would now be answered differently (`unchanged`): another file, other bytes, a module that
appeared or went away."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..facts.interface import collect_interface
from ..facts.model import ModuleFacts
from ..facts.source import blob_id
from ..reading import NotRead, read_regular
from ..resolve.outside import OutsideModule
from .identity import CacheKey, interface_id

if TYPE_CHECKING:
    from ..environment.model import Environment, ModuleLocation

STUB = "stub:"  # a lookup's blob prefix when a stub stood in for the module
MAX_OUTSIDE_FILE = 2 * 1024 * 1024  # bytes: a larger outside module is unknown (never read)
_MEMO_SIZE = 1024  # outside facts kept in memory across analyses in one process (they are immutable)
_MEMO: dict[CacheKey, ModuleFacts] = {}
_MIN_PREFETCH = 16  # fewer outside modules than this to extract: not worth starting processes


@dataclass(frozen=True, slots=True)
class Lookup:
    """One outside name the resolver asked about: the file read and its blob ("" when none was)."""

    name: str
    path: str
    blob: str


def interface_key(blob: str, name: str, is_package: bool) -> CacheKey:
    """Where an outside module's interface facts are cached: never a project file's key (those are
    bare blob ids), and another one whenever the interface collector changes."""
    return CacheKey(f"interface-{interface_id()}:{blob}", name, is_package)


def environment_identity(env: Environment) -> str:
    """What an environment's answers depend on besides the files: interpreter, version, import path."""
    h = hashlib.sha1(env.executable.encode("utf-8", "surrogatepass"))
    h.update(repr((env.version, env.implementation, env.platform)).encode())
    for entry in env.import_path:
        h.update(b"\0" + entry.path.encode("utf-8", "surrogatepass"))
    h.update(b"\1%d" % len(env.startup_code))
    return h.hexdigest()[:20]


def _source(location: ModuleLocation) -> tuple[str, bool] | None:
    """(path, is_package) when the module is a .py file on disk we may read; None otherwise."""
    from ..environment.model import ModuleKind

    if location.kind not in (ModuleKind.SOURCE, ModuleKind.PACKAGE) or location.archive is not None:
        return None
    if location.path is None or not location.path.endswith(".py"):
        return None  # a package whose __init__ is compiled or bytecode
    return location.path, location.kind is ModuleKind.PACKAGE


def _read(path: str) -> bytes | None:
    """The module's bytes through the shared reader (a regular file, at most MAX_OUTSIDE_FILE
    bytes); None otherwise. No root rule here: site-packages legitimately holds links."""
    try:
        return read_regular(path, MAX_OUTSIDE_FILE)
    except NotRead:
        return None


def _stub(env: Environment, name: str, location: ModuleLocation):
    """The stub standing in for a module without source (`environment.stubs`), or None."""
    from .stubs import beside_stub, stub_applies, typeshed_stub

    if stub_applies(env, location):
        return typeshed_stub(env, name)
    from ..environment.model import ModuleKind

    if location.kind is ModuleKind.EXTENSION:
        return beside_stub(location, env)
    return None


class EnvironmentModules:
    """The outside modules of one environment, read lazily (see the module docstring)."""

    def __init__(self, env: Environment, cache: Any = None) -> None:
        self.env = env
        self.cache = cache  # a FactsCache, MemoryCache, NullCache or None
        self.lookups: dict[str, Lookup] = {}
        self.version: tuple[int, int] = (env.version[0], env.version[1])  # the target's, for messages

    def module(self, name: str) -> OutsideModule | None:
        try:
            location = self.env.find_module(name)
        except ValueError:
            return None
        found = _source(location)
        if found is None:
            stub = _stub(self.env, name, location)
            if stub is None:
                self.lookups[name] = Lookup(name, "", "")
                return None
            # The lookup remembers the stub file itself: with the same interpreter (the run state
            # checks it), the same file gives the same facts, and a warm run probes nothing.
            self.lookups[name] = Lookup(name, stub.path, STUB + blob_id(stub.raw))
            blob = blob_id(stub.data)
            return self._facts(name, stub.path, blob, stub.data, stub.is_package, stub=True)
        path, is_package = found
        data = _read(path)
        if data is None:
            self.lookups[name] = Lookup(name, path, "")
            return None
        blob = blob_id(data)
        self.lookups[name] = Lookup(name, path, blob)
        return self._facts(name, path, blob, data, is_package)

    def prefetch(self, names: Iterable[str], jobs: int | None) -> int:
        """Extract, in `jobs` processes, the interface facts of outside modules a resolution is
        about to ask for (the project's own imports), instead of one at a time in this process
        while resolving. The facts are the same (`collect_interface` is pure, keyed by content):
        only sooner. Nothing counts as looked up: `module` still records what resolution asks.
        Returns how many modules were extracted."""
        jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
        todo: dict[CacheKey, tuple[str, bytes, bool]] = {}
        for name in names:
            try:
                found = _source(self.env.find_module(name))
            except ValueError:
                continue
            data = _read(found[0]) if found is not None else None
            if found is None or data is None:
                continue  # stubs and unreadable modules: `module` decides, one at a time
            key = interface_key(blob_id(data), name, found[1])
            if key not in _MEMO:
                todo[key] = (name, data, found[1])
        if jobs < 2 or len(todo) < _MIN_PREFETCH:
            return 0
        if self.cache is not None:
            for key, facts in self.cache.get_many(list(todo)).items():
                _remember(key, facts)
                del todo[key]
        if len(todo) < _MIN_PREFETCH:
            return 0
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        items = sorted(todo.items(), key=lambda item: -len(item[1][1]))  # biggest first: workers end together
        chunks = [items[k :: jobs * 4] for k in range(jobs * 4)]
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        fresh: list[tuple[CacheKey, ModuleFacts]] = []
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method)) as pool:
            for done in pool.map(_interfaces, [c for c in chunks if c]):
                fresh.extend(done)
        for key, facts in fresh:
            _remember(key, facts)
        if self.cache is not None:
            self.cache.put_many(fresh)
        return len(fresh)

    def _facts(self, name: str, path: str, blob: str, data: bytes, is_package: bool, *, stub: bool = False) -> OutsideModule:
        key = interface_key(blob, name, is_package)
        facts = _MEMO.get(key)
        if facts is None and self.cache is not None:
            facts = self.cache.get_many([key]).get(key)
        if facts is None:
            facts = collect_interface(name, data, is_package=is_package)
            if self.cache is not None:
                self.cache.put_many([(key, facts)])
        _remember(key, facts)
        return OutsideModule(name, path, blob, facts, stub)


def _remember(key: CacheKey, facts: ModuleFacts) -> None:
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = facts


def _interfaces(items: list[tuple[CacheKey, tuple[str, bytes, bool]]]) -> list[tuple[CacheKey, ModuleFacts]]:
    """A worker's share of `prefetch`: bytes in, interface facts out."""
    return [(key, collect_interface(name, data, is_package=is_package)) for key, (name, data, is_package) in items]


def imported_outside(files: Iterable[ModuleFacts], project_tops: set[str]) -> list[str]:
    """Every absolute module the files import that is not the project's, with its parent packages:
    what a resolution of these files will ask the environment first."""
    names: set[str] = set()
    for facts in files:
        for imp in facts.imports:
            if imp.level == 0 and imp.module and imp.module.split(".")[0] not in project_tops:
                parts = imp.module.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(names)


def unchanged(env: Environment, lookups: tuple[Lookup, ...]) -> bool:
    """Every recorded lookup would be answered the same way now: same file, same bytes."""
    for lookup in lookups:
        try:
            found = _source(env.find_module(lookup.name))
        except ValueError:
            return False
        if found is None:
            from .stubs import read_stub, stub_path

            try:
                path = stub_path(env, lookup.name, env.find_module(lookup.name))
            except ValueError:
                return False
            raw = read_stub(path) if path is not None else None
            now = (path, STUB + blob_id(raw)) if raw is not None else ("", "")
            if now != (lookup.path, lookup.blob) and not (lookup.path == "" and path is None):
                return False
            continue
        if found[0] != lookup.path:
            return False
        data = _read(found[0])
        if (blob_id(data) if data is not None else "") != lookup.blob:
            return False
    return True
