"""Stub files for modules without source: found in typeshed_client's bundle (or beside compiled
code), read bounded, and pruned for the target (`environment.stubs.prune`), with the target
interpreter's own signatures (`environment.runtime`). See `environment/stubs.py` for the rules."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..environment.runtime import runtime_signatures
from ..environment.stubs import prune, stub_applies
from ..reading import NotRead, read_regular

if TYPE_CHECKING:
    from ..environment.model import Environment, ModuleLocation

MAX_STUB_FILE = 1024 * 1024  # bytes: a larger stub is unknown
_MEMO: dict[tuple, bytes | None] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class StubSource:
    """A stub read for one target: its path, the pruned text the collector reads, package or not."""

    path: str
    data: bytes
    is_package: bool
    raw: bytes = b""  # the stub file as read: with the interpreter, what `data` is made from


def stub_path(env: Environment, name: str, location: ModuleLocation) -> str | None:
    """The stub file that would stand in for the module, without reading or probing anything."""
    from ..environment.model import ModuleKind

    if stub_applies(env, location):
        return typeshed_path(env, name)
    return location.stub if location.kind is ModuleKind.EXTENSION else None


def typeshed_path(env: Environment, name: str) -> str | None:
    """The bundled typeshed stub file for `name` on the target's version and platform, if any."""
    try:
        from typeshed_client import finder
    except ImportError:  # pragma: no cover - a dependency; without it every stub is unknown
        return None
    try:
        ctx = finder.get_search_context(version=(env.version[0], env.version[1]), platform=env.platform, search_path=[])
        path = finder.get_stub_file(name, search_context=ctx)
    except Exception:  # noqa: BLE001 - an odd module name or bundle: unknown, silently
        return None
    return None if path is None else str(path)


def read_stub(path: str) -> bytes | None:
    try:
        return read_regular(path, MAX_STUB_FILE)
    except NotRead:
        return None


def typeshed_stub(env: Environment, name: str) -> StubSource | None:
    """The bundled typeshed stub for `name` on the target, pruned; None when there is none."""
    path = typeshed_path(env, name)
    if path is None:
        return None
    runtime = runtime_signatures(env.executable, name, also=tuple(sorted(env.builtin_module_names)))
    data = pruned(path, (env.version[0], env.version[1]), env.platform, runtime)
    raw = read_stub(path)
    if data is None or raw is None:
        return None
    return StubSource(path, data, path.endswith("__init__.pyi"), raw)


def beside_stub(location: ModuleLocation, env: Environment) -> StubSource | None:
    """A `.pyi` shipped beside compiled code (a py.typed package's own stub), pruned for the target."""
    if location.stub is None:
        return None
    data = pruned(location.stub, (env.version[0], env.version[1]), env.platform)
    raw = read_stub(location.stub)
    if data is None or raw is None:
        return None
    return StubSource(location.stub, data, location.stub.endswith("__init__.pyi"), raw)


def pruned(path: str, version: tuple[int, int], platform: str, runtime: dict | None = None) -> bytes | None:
    """The stub at `path` with its version and platform branches decided, and each function the
    target states a signature for given that signature (`runtime`); None when unreadable."""
    key = (path, version, platform, id(runtime))
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
    raw = read_stub(path)
    out = prune(raw, version, platform, runtime) if raw is not None else None
    with _LOCK:
        _MEMO[key] = out
    return out


