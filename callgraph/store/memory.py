"""Facts kept in memory for one run, in front of the facts cache (or none): `MemoryCache`.

`diff` and `signatures --at` read snapshots that share most of their files: each blob is then
parsed once, even with --no-cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..facts.model import ModuleFacts
from .cache import FactsCache, NullCache
from .identity import CacheKey


class MemoryCache:
    """Facts shared within one run, in front of another cache: `diff` parses each blob once
    even with --no-cache, since the two snapshots share most of their files."""

    def __init__(self, backing: FactsCache | NullCache | None = None) -> None:
        self.backing = backing if backing is not None else NullCache()
        self.enabled = True
        self._facts: dict[CacheKey, ModuleFacts] = {}

    def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, ModuleFacts]:
        keys = list(keys)
        found = {k: self._facts[k] for k in keys if k in self._facts}
        rest = [k for k in keys if k not in found]
        if rest:
            more = self.backing.get_many(rest)
            self._facts.update(more)
            found.update(more)
        return found

    def put_many(self, items: Iterable[tuple]) -> int:
        items = list(items)
        self._facts.update((item[0], item[1]) for item in items)
        return self.backing.put_many(items)

    @property
    def keeps_runs(self) -> bool:
        return getattr(self.backing, "keeps_runs", False)

    def get_run(self, identity: str) -> bytes | None:
        return self.backing.get_run(identity)

    def get_runs(self, keys: Sequence[str]) -> dict[str, bytes]:
        return self.backing.get_runs(keys)

    def put_run(self, identity: str, data: bytes) -> None:
        self.backing.put_run(identity, data)

    def put_runs(self, items: Iterable[tuple[str, bytes]]) -> None:
        self.backing.put_runs(items)

    def close(self) -> None:
        self.backing.close()

    def __enter__(self) -> MemoryCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
