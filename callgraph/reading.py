"""The one way callgraph reads a file from disk: a regular file only, with a size bound, and, for
the analysed tree, never a file outside it.

Trees are untrusted. A FIFO named `f.py` blocks a plain `open()` forever, a link to `/dev/zero`
never ends, `/proc/kmsg` blocks a read, and a link to `/etc/passwd` would put another file's text
in a report. So: the target's real path is checked against the analysed roots before anything is
opened (opening a device can have effects); the file is opened with O_NONBLOCK (opening a FIFO
cannot block, and a /proc file that would block answers EAGAIN instead), its type is checked on
the descriptor (fstat: what was opened, not what a path named a moment ago), and at most `limit`
+ 1 bytes are read, whatever size the file claims (/proc files claim 0)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

DEFAULT_LIMIT = 2 * 1024 * 1024  # bytes: where no --max-file-size applies (snapshots, re-reads)
OUTSIDE = "symbolic link to a file outside the analysed tree; skipped"
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


class NotRead(Exception):
    """A file skipped on purpose or unreadable; `str()` is the note to show after `path: `."""


def real_roots(roots: Iterable[str | Path]) -> tuple[str, ...]:
    """The real paths of the analysed roots, for `read_regular(within=...)`: resolve them once."""
    return tuple(os.path.realpath(r) for r in roots)


def inside(path: str | Path, roots: tuple[str, ...]) -> bool:
    """Whether `path`, every link resolved, is one of `roots` or lies below one."""
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(
    path: str | Path, limit: int | None = DEFAULT_LIMIT, *, within: tuple[str, ...] | None = None,
    limit_name: str = "file size limit",
) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them (None or 0: no limit).

    `within`: the analysed roots (`real_roots`); a path resolving outside them is never opened.
    None for files that are not part of an analysed tree (the environment's modules, config).
    Raises `NotRead` with a note; an I/O error becomes `NotRead("cannot read: ...")`."""
    if within is not None and not inside(path, within):
        raise NotRead(OUTSIDE if os.path.islink(path) else "outside the analysed tree; skipped")
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise NotRead(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRead(f"not a regular file ({_kind(st.st_mode)}); skipped")
        if limit and st.st_size > limit:
            raise NotRead(f"skipped: {st.st_size} bytes, over the {limit}-byte {limit_name}")
        return _read_bounded(fd, limit, limit_name)
    except OSError as exc:
        raise NotRead(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _read_bounded(fd: int, limit: int | None, limit_name: str) -> bytes:
    """Read to the end or to `limit` + 1 bytes: a file that grows, or claims a wrong size, stops there."""
    chunks: list[bytes] = []
    total = 0
    while True:
        want = 1 << 20 if not limit else min(1 << 20, limit + 1 - total)
        chunk = os.read(fd, want)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if limit and total > limit:
            raise NotRead(f"skipped: over the {limit}-byte {limit_name} while read")
