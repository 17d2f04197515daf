"""Outside modules served from sources fetched elsewhere (a remote interpreter's), by content.

`FetchedModules` is a `resolve.outside.OutsideModules` provider over a dict of module sources that
someone else fetched and validated (the probe's sources round trip, see `reports.parity_evidence`).
A name it holds gives facts, looked up by `CacheKey(blob id, module, is_package)` in the same caches
as any file (so a module fetched twice, or already read locally with the same bytes, is parsed
once); a name it does not hold is unknown, silent, and recorded in `wanted` so the caller can fetch
it and analyse again. Nothing fetched is imported or executed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..facts.model import ModuleFacts
from ..facts.source import blob_id
from ..resolve.outside import OutsideModule
from .identity import CacheKey

_MEMO: dict[CacheKey, ModuleFacts] = {}
_MEMO_SIZE = 1024


@dataclass(frozen=True, slots=True)
class FetchedSource:
    """One outside module's source: `path` where it lives on the other side, its bytes."""

    name: str
    path: str
    is_package: bool
    data: bytes


class FetchedModules:
    """Outside modules from fetched sources (None in `sources`: asked, and there is no source)."""

    def __init__(self, sources: dict[str, FetchedSource | None], cache: Any = None) -> None:
        self.sources = sources
        self.cache = cache
        self.wanted: list[str] = []  # asked for and not fetched yet, in order

    def module(self, name: str) -> OutsideModule | None:
        if name not in self.sources:
            if name not in self.wanted:
                self.wanted.append(name)
            return None
        src = self.sources[name]
        if src is None:
            return None
        blob = blob_id(src.data)
        key = CacheKey(blob, name, src.is_package)
        facts = _MEMO.get(key)
        if facts is None and self.cache is not None:
            facts = self.cache.get_many([key]).get(key)
        if facts is None:
            from ..facts.collector import collect

            facts = collect(name, src.data, is_package=src.is_package)
            if self.cache is not None:
                self.cache.put_many([(key, facts)])
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = facts
        return OutsideModule(name, src.path, blob, facts)
