"""Each source's facts, from the facts cache or extracted (misses are stored), fetched only when asked.

A warm run that reuses every previous finding reads almost none of them: `SourceFile`s are given
`FactsLoader.one` as their loader, and `Project` the batch `FactsLoader.all`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from ..facts.model import ModuleFacts
from ..facts.source import blob_id
from ..facts.workers import extract_many
from ..gc_pause import gc_paused
from .identity import CacheKey

_PUT_EVERY = 256  # misses stored per batch: an interrupted cold run keeps what it finished


class Executor(Protocol):
    """Where misses are extracted instead of local worker processes (`store.ray_executor`): the
    same results as `extract_many`, in any order."""

    def extract(
        self, sources: list[tuple[str, str, bool, bytes]], indexes: list[int], encode: bool = False
    ) -> Iterable[tuple[int, ModuleFacts, bytes | None]]: ...


class FactsLoader:
    """Each source's facts, from the cache or parsed (misses are stored), fetched only when asked:
    a warm run that reuses every previous finding reads almost none of them."""

    def __init__(
        self,
        sources: list[tuple],
        cache: Any,
        jobs: int | None,
        progress: Callable[[int, int], None] | None,
        blobs: Sequence[str] | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.sources = sources  # (path, module, is_package, bytes or a function returning them)
        self._blobs = list(blobs) if blobs is not None else None
        self.cache = cache
        self.jobs = jobs
        self.progress = progress
        self.executor = executor
        self.facts: dict[int, ModuleFacts] = {}
        self.parsed = 0  # sources whose facts had to be extracted
        self._keys: list | None = None

    def keys(self) -> list:
        if self._keys is None:
            ids = self._blobs if self._blobs is not None else [blob_id(self.data(i)) for i in range(len(self.sources))]
            self._keys = [CacheKey(b, module, bool(pkg)) for b, (_, module, pkg, _) in zip(ids, self.sources)]
        return self._keys

    def data(self, i: int) -> bytes:
        data = self.sources[i][3]
        return data if isinstance(data, (bytes, bytearray, memoryview)) else data()

    def blobs(self) -> list[str]:
        return [k.blob for k in self.keys()]

    def known(self, i: int) -> ModuleFacts | None:
        return self.facts.get(i)

    def one(self, i: int) -> ModuleFacts:
        return self.get([i])[i]

    def all(self) -> list[ModuleFacts]:
        found = self.get(range(len(self.sources)))
        return [found[i] for i in range(len(self.sources))]

    def get(self, indexes: Iterable[int]) -> dict[int, ModuleFacts]:
        indexes = list(indexes)
        wanted = [i for i in indexes if i not in self.facts]
        if wanted and self.cache is not None:
            keys = self.keys()
            with gc_paused():  # decoding builds many long-lived objects
                cached = self.cache.get_many([keys[i] for i in wanted])
            for i in wanted:
                if keys[i] in cached:
                    self.facts[i] = cached[keys[i]]
        missing = [i for i in wanted if i not in self.facts]
        if missing:
            self._extract(missing)
        return {i: self.facts[i] for i in indexes}

    def _extract(self, missing: list[int]) -> None:
        done = len(self.facts)
        fresh: list = []
        with gc_paused():  # thousands of long-lived objects
            # Workers encode for a cache that stores bytes (a MemoryCache only keeps objects itself).
            encode = bool(getattr(getattr(self.cache, "backing", self.cache), "enabled", False))
            todo = [(path, module, pkg, self.data(i)) for i, (path, module, pkg, _) in ((i, self.sources[i]) for i in missing)]
            if self.executor is not None:
                extracted = self.executor.extract(todo, missing, encode)
            else:
                extracted = extract_many(todo, missing, self.jobs, encode)
            for i, result, data in extracted:
                self.facts[i] = result
                self.parsed += 1
                done += 1
                if self.cache is not None:
                    fresh.append((self.keys()[i], result) if data is None else (self.keys()[i], result, data))
                    if len(fresh) >= _PUT_EVERY:
                        self.cache.put_many(fresh)
                        fresh = []
                if self.progress is not None:
                    self.progress(done, len(self.sources))
            if fresh:
                self.cache.put_many(fresh)
