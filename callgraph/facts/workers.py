"""Facts of many files, extracted in worker processes when there are enough of them.

Workers get bytes and return facts (small frozen dataclasses), never trees: `collect` is a pure
function of (module name, bytes, is_package), so where it runs does not change the result."""

from __future__ import annotations

import os
from collections.abc import Iterator

from .model import ModuleFacts

_MIN_PER_WORKER = 8  # below this a worker process costs more than it saves


def _collect_chunk(items: list[tuple[int, str, bool, bytes]], encode: bool) -> list[tuple[int, ModuleFacts, bytes | None]]:
    from .collector import collect
    from .serialize import dumps

    out = []
    for i, module, is_package, source in items:
        facts = collect(module, source, is_package=is_package)
        out.append((i, facts, dumps(facts) if encode else None))
    return out


def extract_many(sources: list[tuple[str, str, bool, bytes]], indexes: list[int], jobs: int | None, encode: bool = False
) -> Iterator[tuple[int, ModuleFacts, bytes | None]]:
    """(index, facts, encoded facts or None) for each source, in worker processes when there are
    enough of them.

    Workers get bytes and return facts (small frozen dataclasses), never trees; with `encode`,
    also the cache's encoding of them, so the main process does not encode every file itself.
    """
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    jobs = min(jobs, len(sources) // _MIN_PER_WORKER)
    items = [(i, module, bool(pkg), data) for i, (_, module, pkg, data) in zip(indexes, sources)]
    if jobs <= 1:
        from .collector import collect

        for i, module, is_package, data in items:
            yield i, collect(module, data, is_package=is_package), None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # Many small chunks, biggest files first: the workers finish together.
    items.sort(key=lambda item: -len(item[3]))
    chunks = [items[k :: jobs * 8] for k in range(jobs * 8)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method)) as pool:
        futures = [pool.submit(_collect_chunk, chunk, encode) for chunk in chunks if chunk]
        for future in as_completed(futures):
            yield from future.result()
