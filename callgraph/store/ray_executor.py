"""Fact extraction mapped over a Ray cluster (`--executor ray[:ADDRESS]`, the optional extra `ray`).

Only extraction moves: tasks get (module, is_package, bytes) and return the cache's encoding of the
facts, which the driver decodes and stores by blob id exactly as local workers' results; the
whole-program resolution stays on the driver. Nothing analysed is imported anywhere: `collect` is
a pure function of its arguments, and a worker that would compute it with another build (another
Python, libcst or callgraph) is refused, so a cluster never writes facts this build would not."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import tempfile
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
    """`--executor`: `local` (None) or `ray[:ADDRESS]` (the address; '' for a new local instance), checked
    when the options are parsed; Ray itself is looked for, never imported, here."""
    kind, _, address = text.partition(":")
    if kind == "local" and not address:
        return None
    if kind != "ray":
        raise ValueError(f"unknown executor {text!r}: local, ray, or ray:ADDRESS")
    if text == "ray:":
        raise ValueError("ray: needs an ADDRESS after the colon (auto, HOST:PORT or ray://HOST:PORT)")
    if address and address != "auto" and _host_port(address) is None:
        raise ValueError(f"not a Ray address: {address!r} (auto, HOST:PORT or ray://HOST:PORT)")
    if importlib.util.find_spec("ray") is None:
        raise ValueError(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}")
    return address


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of `HOST:PORT` or `ray://HOST:PORT` (an IPv6 host in brackets), else None."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in "/ @?#"):
        return None
    return host, int(port)


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
    """`Type: first line` of an error; a task's error (RayTaskError) is named by what it wraps."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and cause is not exc:
        exc = cause
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


@contextlib.contextmanager
def _stderr_quiet() -> Iterator[None]:
    """File descriptor 2 pointed at a discarded file while Ray starts (its C++ side writes there
    directly; processes it starts inherit the file and keep their chatter there too)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _use_token(env: Any) -> None:
    """Connecting to a cluster by address, Ray (2.5x) sends its token only when RAY_AUTH_MODE says
    so, though it finds the token itself when it starts a cluster: a token there means use it."""
    if "RAY_AUTH_MODE" in env:
        return
    path = env.get("RAY_AUTH_TOKEN_PATH") or os.path.join(os.path.expanduser("~"), ".ray", "auth_token")
    if env.get("RAY_AUTH_TOKEN") or os.path.isfile(path):
        env["RAY_AUTH_MODE"] = "token"


def _reachable(address: str, timeout: float = 10.0) -> None:
    """A head node that does not answer is an error now: Ray itself retries for minutes."""
    import socket

    target = address.removeprefix("ray://")
    if target == "auto":
        try:
            from ray._private.services import canonicalize_bootstrap_address_or_die

            target = canonicalize_bootstrap_address_or_die("auto")
        except Exception as exc:  # ConnectionError: no cluster was started here
            raise InputError(f"--executor ray:auto: no Ray cluster found on this machine ({_first_line(exc)}): start one with 'ray start --head'") from None
    where = _host_port(target)
    if where is None:
        raise InputError(f"--executor ray: not a Ray address: {target!r} (auto, HOST:PORT or ray://HOST:PORT)")
    try:
        socket.create_connection(where, timeout=timeout).close()
    except (OSError, ValueError, OverflowError) as exc:
        raise InputError(f"--executor ray: no Ray head node answers at {target} ({exc.strerror or exc})") from None


class RayExecutor:
    """Extraction on Ray, connected on first use (a warm run that extracts nothing never starts
    it) and disconnected by `close` (a local instance it started is stopped then).

    `address`: '' for a new local instance of `jobs` CPUs (or `RAY_ADDRESS` when set), else what
    `ray.init` takes: `auto` (the cluster `ray start` started on this machine), `HOST:PORT` (a
    head node's GCS port, 6379 by default) or `ray://HOST:PORT` (Ray Client, 10001 by default).
    `min_files`: fewer files than this are extracted in-process."""

    remote_function = staticmethod(_extract_chunk)  # what each task runs

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
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        if address is not None:
            _use_token(os.environ)
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
        if address is None:
            options["address"] = "local"
            options["num_cpus"] = max(1, self.jobs or os.cpu_count() or 1)
        else:
            options["address"] = address
            # The cluster runs this very callgraph, shipped with the job; Python and libcst must
            # be the cluster's own (checked on the first answer).
            options["runtime_env"] = {"py_modules": [str(Path(__file__).resolve().parents[1])]}
        if address is not None:
            _reachable(address)
        if ray.is_initialized():  # a library caller's own connection: used, left open
            self._ray, self._task = ray, ray.remote(type(self).remote_function)
            return ray
        try:
            with _stderr_quiet():  # Ray's start-up lines and its retries' warnings: our one line says it
                ray.init(**options)
        except Exception as exc:  # ConnectionError, ValueError, RuntimeError, TimeoutError, ...
            hint = "; a cluster with token authentication needs its token (RAY_AUTH_TOKEN or ~/.ray/auth_token)" if address else ""
            raise InputError(f"--executor ray: cannot start or reach Ray at {address or 'a local instance'}: {_first_line(exc)}{hint}") from None
        self._started = True
        self._ray = ray
        self._task = ray.remote(type(self).remote_function)
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
