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

    def _facts(self, name: str, path: str, blob: str, data: bytes, is_package: bool, *, stub: bool = False) -> OutsideModule:
        key = interface_key(blob, name, is_package)
        facts = _MEMO.get(key)
        if facts is None and self.cache is not None:
            facts = self.cache.get_many([key]).get(key)
        if facts is None:
            facts = collect_interface(name, data, is_package=is_package)
            if self.cache is not None:
                self.cache.put_many([(key, facts)])
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = facts
        return OutsideModule(name, path, blob, facts, stub)


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
