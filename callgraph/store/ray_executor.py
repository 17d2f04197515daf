"""Fact extraction mapped over a Ray cluster (`--executor ray[:ADDRESS]`, the optional extra `ray`).

Only extraction moves: tasks get (module, is_package, bytes) and return the cache's encoding of the
facts, which the driver decodes and stores by blob id exactly as local workers' results; the
whole-program resolution stays on the driver. Nothing analysed is imported anywhere: `collect` is
a pure function of its arguments, and a worker that would compute it with another build (another
Python, libcst or callgraph) is refused, so a cluster never writes facts this build would not."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..facts.model import ModuleFacts
from ..facts.workers import extract_many

INSTALL_HINT = "pip install 'callgraph[ray]'"
# Below this many files to extract, starting or reaching Ray costs more than it saves: they are
# extracted here, in-process (the same rule by which local workers start only for 16 files or more).
MIN_FILES = 16
_CHUNKS_PER_CPU = 4  # many small tasks, biggest files first: the workers finish together


def parse_executor(text: str) -> str | None:
    """`--executor`: `local` (None) or `ray[:ADDRESS]` (the address, '' for Ray's default), checked
    when the options are parsed; Ray itself is looked for, never imported, here."""
    kind, _, address = text.partition(":")
    if kind == "local" and not address:
        return None
    if kind != "ray":
        raise ValueError(f"unknown executor {text!r}: local, ray, or ray:ADDRESS")
    if text == "ray:":
        raise ValueError("ray: needs an ADDRESS after the colon (auto, HOST:PORT or ray://HOST:PORT)")
    if importlib.util.find_spec("ray") is None:
        raise ValueError(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}")
    return address


def _worker_identity() -> str:
    from .identity import analyzer_description

    return analyzer_description()


def _extract_chunk(items: list[tuple[int, str, bool, bytes]]) -> tuple[str, list[tuple[int, bytes]]]:
    """On a Ray worker: this build's identity and each file's encoded facts. Only bytes come in
    and only bytes go out; the analysed code is parsed, never imported."""
    from ..facts.collector import collect
    from ..facts.serialize import dumps

    return _worker_identity(), [(i, dumps(collect(module, data, is_package=pkg))) for i, module, pkg, data in items]


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


class RayExecutor:
    """Extraction on Ray, connected on first use (a warm run that extracts nothing never starts
    it) and disconnected by `close` (a local instance it started is stopped then).

    `address`: '' for a new local instance of `jobs` CPUs (or `RAY_ADDRESS` when set), else what
    `ray.init` takes: `auto` (the cluster `ray start` started on this machine), `HOST:PORT` (a
    head node's GCS port, 6379 by default) or `ray://HOST:PORT` (Ray Client, 10001 by default).
    `min_files`: fewer files than this are extracted in-process."""

    def __init__(self, address: str = "", jobs: int | None = None, min_files: int = MIN_FILES) -> None:
        self.address = address
        self.jobs = jobs
        self.min_files = min_files
        self.extracted = 0  # files whose facts came from Ray
        self._ray: Any = None
        self._task: Any = None
        self._started = False

    def describe(self) -> str:
        where = self.address or os.environ.get("RAY_ADDRESS") or "a local instance"
        return f"ray ({where})"

    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        try:
            import ray
        except ImportError as exc:
            raise InputError(f"--executor ray needs Ray ({_first_line(exc)}): {INSTALL_HINT}") from None
        import logging

        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "configure_logging": True,
        }
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        if address is None:
            options["address"] = "local"
            options["num_cpus"] = max(1, self.jobs or os.cpu_count() or 1)
        else:
            options["address"] = address
            # The cluster runs this very callgraph, shipped with the job; Python and libcst must
            # be the cluster's own (checked on the first answer).
            options["runtime_env"] = {"py_modules": [str(Path(__file__).resolve().parents[1])]}
        try:
            ray.init(**options)
        except Exception as exc:  # ConnectionError, ValueError, RuntimeError, TimeoutError, ...
            raise InputError(f"--executor ray: cannot start or reach Ray at {address or 'a local instance'}: {_first_line(exc)}") from None
        self._started = True
        self._ray = ray
        self._task = ray.remote(_extract_chunk)
        return ray

    def extract(
        self, sources: list[tuple[str, str, bool, bytes]], indexes: list[int], encode: bool = False
    ) -> Iterator[tuple[int, ModuleFacts, bytes | None]]:
        """(index, facts, encoded facts or None), as `facts.workers.extract_many` yields them."""
        if len(sources) < self.min_files:
            yield from extract_many(sources, indexes, 1, encode)
            return
        from ..facts.serialize import CacheDecodeError, loads

        ray = self._connect()
        items = [(i, module, bool(pkg), bytes(data)) for i, (_, module, pkg, data) in zip(indexes, sources)]
        items.sort(key=lambda item: -len(item[3]))
        try:
            cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
            n = max(1, min(len(items), cpus * _CHUNKS_PER_CPU))
            pending = [self._task.remote(items[k::n]) for k in range(n)]
            mine = _worker_identity()
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                identity, results = ray.get(done[0])
                if identity != mine:
                    raise InputError(
                        f"--executor ray: the Ray workers would extract with another build ({identity}; this one: {mine}): "
                        "give the cluster this Python and libcst version"
                    )
                for i, data in results:
                    try:
                        facts = loads(data)
                    except CacheDecodeError as exc:
                        raise InputError(f"--executor ray: a Ray worker answered with facts this build cannot read: {exc}") from None
                    self.extracted += 1
                    yield i, facts, data if encode else None
        except InputError:
            raise
        except Exception as exc:  # RayTaskError, WorkerCrashedError, NodeDiedError, RaySystemError, ...
            raise InputError(f"--executor ray: the Ray cluster failed: {_first_line(exc)}") from None

    def close(self) -> None:
        if self._started and self._ray is not None:
            try:
                self._ray.shutdown()
            except Exception:  # a cluster already gone has nothing left to close
                pass
        self._ray = None
        self._task = None
        self._started = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
