"""What a failing cache means: rebuild the file (`Corrupt`) or run uncached (`Unusable`).

`classify` reads SQLite's result code (or, before Python 3.11, its message) and OS errors;
`is_transient` tells the lock contention worth retrying from everything else.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

# sqlite3 primary result codes (exc.sqlite_errorcode & 0xFF)
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB, _PERM = 5, 6, 8, 10, 11, 13, 14, 26, 3


class Corrupt(Exception):
    """The file is not a cache this build may use."""


class Unusable(Exception):
    """The environment does not let us use the cache (read-only, full, locked too long)."""


def _code(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()  # pragma: no cover - Python < 3.11 has no error codes
    for needle, c in (
        ("locked", _LOCKED), ("busy", _BUSY), ("not a database", _NOTADB), ("malformed", _CORRUPT),
        ("full", _FULL), ("readonly", _READONLY), ("unable to open", _CANTOPEN), ("i/o", _IOERR),
    ):
        if needle in text:
            return c
    return 0


def is_transient(exc: sqlite3.Error) -> bool:
    return _code(exc) in (_BUSY, _LOCKED)


def _disk_full(directory: Path | None) -> bool:
    if directory is None:
        return False
    try:
        return shutil.disk_usage(directory).free < 1024 * 1024
    except OSError:
        return False


def classify(exc: BaseException, directory: Path | None = None) -> Exception:
    """A sqlite3 or OS error as Corrupt (rebuild the file) or Unusable (run uncached)."""
    if isinstance(exc, (Corrupt, Unusable)):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = _code(exc)
        if code in (_CORRUPT, _NOTADB):
            return Corrupt(str(exc))
        if code in (_BUSY, _LOCKED):
            return Unusable(f"the cache stayed locked by other processes ({exc})")
        if code == _FULL or (code == _IOERR and _disk_full(directory)):
            return Unusable(f"the disk is full ({exc})")
        if code == _IOERR:
            return Unusable(f"{exc} ({getattr(exc, 'sqlite_errorname', 'SQLITE_IOERR')}; a file size limit?)")
        if code in (_READONLY, _CANTOPEN, _PERM):
            return Unusable(f"the cache is not writable ({exc})")
        return Unusable(str(exc))
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return Unusable(f"the disk is full ({exc.strerror or exc})")
        return Unusable(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
    return Unusable(f"{type(exc).__name__}: {exc}")
