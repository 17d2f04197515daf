"""The one bounded way to run another program: no shell, a timeout, an output limit, and its whole
process group killed on timeout, on flooding and at the end, so nothing it started keeps running.

A leaf: every layer may import it (git in `snapshots/`, interpreters in `environment/`, remote
probes in `probes/`). Each caller picks the exception class it raises and the words of its
one-line messages; the mechanics live here once."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ERRORS = 64 * 1024  # bytes of stderr kept by default (the tail: where the reason is)


@dataclass(frozen=True)
class Messages:
    """One-line messages, formatted with `label`, `program`, `reason`, `timeout` and `limit`."""

    missing: str = "{label}: cannot run {program!r}: not found"
    cannot_run: str = "{label}: cannot run {program!r}: {reason}"
    timeout: str = "{label}: no answer within {timeout:g} s (timeout); stopped it"
    flood: str = "{label}: answered more than {limit} bytes, over the output limit; stopped it"
    no_exit: str = "{label}: did not exit within {timeout:g} s (timeout); stopped it"
    unstoppable: str = "{label}: could not be stopped"


@dataclass(frozen=True)
class Finished:
    out: bytes
    err: bytes
    code: int
    lingered: bool = False  # `until` arrived but the program (or a child holding stdout) went on: stopped


def run_bounded(
    argv: list[str],
    *,
    error: type[Exception],
    label: str,
    timeout: float,
    max_output: int,
    stdin: bytes | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    max_errors: int = MAX_ERRORS,
    errors_flood: bool = False,
    messages: Messages = Messages(),
    until: bytes | None = None,
    grace: float = 1.0,
) -> Finished:
    """Run argv without a shell and return its output and exit status, or raise `error(message)`.

    `stdin` is fed from a thread (a child that does not read it cannot block us), or closed when
    None. stderr keeps its last `max_errors` bytes, or counts as flooding past them with
    `errors_flood`. With `until`, the answer is complete once stdout holds those bytes: reading
    stops there, and a program still running `grace` seconds later (or a background child that
    keeps stdout open, which no EOF would ever end) is stopped, not waited for. The process group
    is killed before the leader is reaped: its id cannot have been reused by then."""
    fields = {"label": label, "program": argv[0] if argv else "", "timeout": timeout, "limit": max_output}
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd, env=None if env is None else dict(env), start_new_session=True,
            close_fds=True,
        )
    except FileNotFoundError as exc:
        raise error(messages.missing.format(**fields, reason=exc.strerror or exc)) from None
    except OSError as exc:  # ENOEXEC (a text file without #!), EACCES, ENOENT of a #! interpreter
        raise error(messages.cannot_run.format(**fields, reason=exc.strerror or exc)) from None
    writer = _feed(proc, stdin) if stdin is not None else None
    out, err = bytearray(), bytearray()
    problem: str | None = None
    answered = lingered = False
    scanned = 0
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)  # type: ignore[arg-type]
    sel.register(proc.stderr, selectors.EVENT_READ, err)  # type: ignore[arg-type]
    try:
        while sel.get_map() and problem is None:
            left = deadline - time.monotonic()
            if left <= 0:
                problem = messages.timeout.format(**fields)
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if len(out) > max_output or (errors_flood and len(err) > max_errors):
                    problem = messages.flood.format(**fields)
                    break
                if len(err) > max_errors:
                    del err[: len(err) - max_errors]
                if until is not None and key.data is out:
                    answered = out.find(until, max(0, scanned - len(until) + 1)) >= 0
                    scanned = len(out)
                    if answered:
                        break
            if answered:
                break
        if problem is None and answered:
            lingered = not _exited(proc, min(deadline, time.monotonic() + grace))
        elif problem is None and not _exited(proc, deadline):
            problem = messages.no_exit.format(**fields)
    finally:
        sel.close()
        if not stop(proc):  # pragma: no cover - SIGKILL was refused
            problem = problem or messages.unstoppable.format(**fields)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
        if writer is not None:
            writer.join(timeout=1)
    if problem is not None:
        raise error(problem)
    return Finished(bytes(out), bytes(err), proc.returncode, lingered)


def stop(proc: subprocess.Popen, wait: float = 5) -> bool:
    """Kill the process group, then the leader, then reap it: True once it is gone. The group first,
    while the leader is not reaped (the group id is still ours)."""
    if proc.returncode is None:
        for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
            try:
                kill()
            except (ProcessLookupError, PermissionError, OSError):
                pass
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was refused
        return False
    return True


def _feed(proc: subprocess.Popen, data: bytes) -> threading.Thread:
    def feed() -> None:
        try:
            proc.stdin.write(data)  # type: ignore[union-attr]
        except (BrokenPipeError, OSError, ValueError):
            pass
        finally:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return writer


def _exited(proc: subprocess.Popen, deadline: float) -> bool:
    """Wait, without reaping it, until the process exits; False at the deadline."""
    delay = 0.0005
    while True:
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                return True
        except ChildProcessError:  # pragma: no cover - already reaped
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
