"""A content-addressed SQLite cache of per-file facts, shared by every process of one user.

An entry is keyed by (content id, module name, is_package, analyser): the content id is git's
blob id of the file's bytes, so a file read from a working tree and the same blob read from
git's object store share one entry; the analyser id changes with callgraph's version, the facts
format and model schema, the libcst version, the Python version and the collector's own source.
Both halves of the key come from `identity`; `NullCache` stands in when no cache can be used,
and `memory.MemoryCache` sits in front of either for one run.

The cache is never trusted:
- the file must carry our application id, schema version and exact tables, or it is deleted and
  rebuilt (a corrupt page found later does the same);
- every entry is decoded by `serialize.loads`, which checks every value's type and never
  unpickles or evaluates anything; an entry that fails, or that names another module, is a
  miss and is deleted;
- a cache that cannot be used (read-only or missing directory, full disk, a lock held too long)
  degrades to running uncached, with one warning per `FactsCache`, never an exception.

Concurrent processes are safe: WAL journal, a busy timeout, short write transactions
(`BEGIN IMMEDIATE`), retries on "database is locked", and a lock file around rebuilds.

    cache = FactsCache.open()                  # or FactsCache.open("/some/dir"); NullCache() for --no-cache
    found = cache.get_many([CacheKey(blob_id(data), "pkg.mod", False)])
    cache.put_many([(key, facts)])
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..facts import serialize
from ..facts.model import ModuleFacts
from ..facts.serialize import CacheDecodeError, dumps, loads
from .failures import Corrupt, Unusable, classify, is_transient
from .identity import CacheKey, analyzer_description, analyzer_id

SCHEMA_VERSION = 2  # of the SQLite file; a new one gets a new file name, so versions never fight
APPLICATION_ID = 0x43474643  # "CGFC" in the SQLite header
FILE_NAME = f"facts-v{SCHEMA_VERSION}.sqlite3"
ENV_VAR = "CALLGRAPH_CACHE_DIR"

BUSY_TIMEOUT_SECONDS = 10.0  # SQLite's own wait for a lock
RETRIES = 6  # then our own, with backoff, for the cases SQLite does not wait on
_WRITE_BATCH_BYTES = 2 * 1024 * 1024  # one write transaction holds about this much
EXPIRE_DAYS = 30  # an entry no run has read or written for this long is dropped

_DDL = (
    "CREATE TABLE facts ("
    " blob TEXT NOT NULL,"  # git blob id of the source bytes
    " module TEXT NOT NULL,"
    " is_package INTEGER NOT NULL,"
    " analyzer TEXT NOT NULL,"  # analyzer_id() of the build that wrote it
    " data BLOB NOT NULL,"  # serialize.dumps(facts)
    " used INTEGER NOT NULL,"  # the last day (unix time // 86400) a run read or wrote it
    " PRIMARY KEY (analyzer, blob, module, is_package)"
    ") WITHOUT ROWID",
    "CREATE INDEX facts_used ON facts (used)",
    "CREATE TABLE runs ("  # the previous run of each project, for `incremental`
    " identity TEXT PRIMARY KEY,"  # runs.run_identity: checker, settings, files
    " data BLOB NOT NULL,"  # runs.encode_state
    " used INTEGER NOT NULL"
    ") WITHOUT ROWID",
)

Warn = Callable[[str], None]


def default_cache_dir(environ: dict[str, str] | None = None) -> Path:
    """$CALLGRAPH_CACHE_DIR, else $XDG_CACHE_HOME/callgraph, else ~/.cache/callgraph
    (%LOCALAPPDATA%\\callgraph\\cache on Windows)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]).expanduser() / "callgraph"
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "callgraph" / "cache"
    return Path.home() / ".cache" / "callgraph"


def stderr_warning(message: str) -> None:
    """The CLI's warning: one line on stderr, whatever the cache path holds (escaped as
    `reports/escape.py` does; this layer cannot import it)."""
    line = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in f"callgraph: warning: {message}")
    print(line, file=sys.stderr, flush=True)


def _healthy(conn: sqlite3.Connection) -> bool:
    try:
        return conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    except sqlite3.Error:
        return False


_SCHEMA_QUERY = "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"


def _expected_schema() -> tuple[list[tuple], list[tuple]]:
    conn = sqlite3.connect(":memory:")
    try:
        for stmt in _DDL:
            conn.execute(stmt)
        return conn.execute(_SCHEMA_QUERY).fetchall(), conn.execute("PRAGMA table_info(facts)").fetchall()
    finally:
        conn.close()


_EXPECTED_OBJECTS, _EXPECTED_COLUMNS = _expected_schema()


def _today() -> int:
    return int(time.time()) // 86400


class NullCache:
    """No caching: every lookup misses, every store is dropped. `--no-cache`, and what
    `FactsCache.open` returns when the cache cannot be used (`reason` says why)."""

    enabled = False

    def __init__(self, reason: str | None = None, path: Path | None = None) -> None:
        self.reason = reason
        self.path = path

    def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, ModuleFacts]:
        return {}

    def put_many(self, items: Iterable[tuple[CacheKey, ModuleFacts]]) -> int:
        return 0

    def info(self) -> dict[str, Any]:
        return {
            "enabled": False,
            "reason": self.reason or "caching is off (--no-cache)",
            "path": str(self.path) if self.path else None,
            "entries": 0,
            "stale_entries": 0,
            "bytes": 0,
            "schema_version": SCHEMA_VERSION,
            "analyzer": analyzer_id(),
            "analyzer_description": analyzer_description(),
        }

    def clear(self, *, stale_only: bool = False) -> int:
        return 0

    def close(self) -> None:
        pass

    def __enter__(self) -> NullCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_key(key: str) -> str:
    """A key SQLite can store as text: itself, or, when it holds a file name that is not UTF-8
    (lone surrogates), a digest of its bytes."""
    if key.isascii() or _utf8(key):
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class FactsCache:
    """The SQLite cache in one directory. Use `FactsCache.open(...)`; every method degrades
    instead of raising, and after a failure that makes the cache unusable, it behaves as a
    `NullCache` for the rest of its life."""

    def __init__(self, directory: Path, *, analyzer: str | None = None, warn: Warn | None = None) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self.analyzer = analyzer or analyzer_id()
        self.reason: str | None = None
        self.hits = 0
        self.misses = 0
        self.rejected = 0  # entries that failed validation (deleted)
        self._warn_fn = warn or stderr_warning
        self._warned = False
        self._pruned = False
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int, int] | None = None
        self.generation = 0  # how many times this object rebuilt (or adopted a rebuilt) file

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        analyzer: str | None = None,
        warn: Warn | None = None,
    ) -> FactsCache | NullCache:
        """The cache in `cache_dir` (default: `default_cache_dir()`), created if needed; a
        `NullCache` (after one warning) when it cannot be used."""
        directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        cache = cls(directory, analyzer=analyzer, warn=warn)
        try:
            cache._connect()
        except Exception as exc:  # anything at all: the analysis must go on uncached
            reason = str(classify(exc, directory))
            cache._warn(f"cache disabled, running uncached: {reason} [{cache.path}]")
            cache.close()
            return NullCache(reason, cache.path)
        return cache

    def _connect(self) -> None:
        if serialize.UNSUPPORTED:
            raise Unusable(serialize.UNSUPPORTED)
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise classify(exc, None) from None
        try:
            self._conn = self._open_checked()
        except Corrupt as exc:
            self._rebuild(str(exc))

    def _open_checked(self) -> sqlite3.Connection:
        """A connection to a valid cache file, initialising an empty one; Corrupt if foreign."""
        conn = None
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            self._identity = self._file_identity()
            state = self._retry(lambda: self._state(conn))
            if state == "empty":
                self._retry(lambda: self._initialise(conn))
            elif state != "ok":
                raise Corrupt(state)
            self._retry(lambda: conn.execute("PRAGMA synchronous=NORMAL"))
            return conn
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, Exception):
                raise classify(exc, self.directory) from None
            raise

    def _file_identity(self) -> tuple[int, int, int] | None:
        """Which file is at our path: a rebuild by another process changes it."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_ctime_ns)

    @staticmethod
    def _state(conn: sqlite3.Connection) -> str:
        """ "ok", "empty", or why the file is not ours."""
        own = not conn.in_transaction  # one read snapshot: another process may be initialising it
        if own:
            conn.execute("BEGIN")
        try:
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            objects = conn.execute(_SCHEMA_QUERY).fetchall()
            columns = conn.execute("PRAGMA table_info(facts)").fetchall()
        finally:
            if own:
                conn.execute("COMMIT")
        if app == 0 and version == 0 and not objects:
            return "empty"
        if app != APPLICATION_ID:
            return f"not a callgraph cache (application id {app:#x})"
        if version != SCHEMA_VERSION:
            return f"written by another version (schema {version}, this build uses {SCHEMA_VERSION})"
        if objects != _EXPECTED_OBJECTS or columns != _EXPECTED_COLUMNS:
            return "an unexpected schema"
        return "ok"

    def _initialise(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")  # may stay "delete" on filesystems without shm: still correct
        conn.execute("BEGIN IMMEDIATE")
        try:
            state = self._state(conn)  # another process may have initialised it meanwhile
            if state == "empty":
                for stmt in _DDL:
                    conn.execute(stmt)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif state != "ok":
                raise Corrupt(state)
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def _rebuild(self, why: str, *, force: bool = False) -> None:
        """Delete a corrupt or foreign file and start afresh, one process at a time. Unless
        `force`, a file that another process replaced meanwhile is kept if it checks out."""
        self.close_connection()
        bad_identity = self._identity
        try:
            with self._rebuild_lock():
                if not force and self._file_identity() != bad_identity:
                    try:
                        conn = self._open_checked()
                    except Corrupt:
                        conn = None
                    if conn is not None and _healthy(conn):
                        self._conn = conn
                        self.generation += 1
                        self._warn(f"cache {self.path} was unusable ({why}); another process rebuilt it")
                        return
                    if conn is not None:
                        conn.close()
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(f"{self.path}{suffix}")
                self._conn = self._open_checked()
        except Exception as exc:
            self.close_connection()
            raise Unusable(f"could not rebuild the corrupt cache ({why}): {classify(exc, self.directory)}") from None
        self.generation += 1
        self._warn(f"cache {self.path} was unusable ({why}); rebuilt it")

    @contextlib.contextmanager
    def _rebuild_lock(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: rebuilds race, the loser just misses
            yield
            return
        fd = os.open(self.directory / (FILE_NAME + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + 3 * BUSY_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Unusable("another process has been rebuilding the cache for too long") from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # releases the lock

    # -- failure handling ------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            try:
                self._warn_fn(message)
            except Exception:  # pragma: no cover - a broken stderr must not break the analysis
                pass

    def _retry(self, fn: Callable[[], Any]) -> Any:
        delay = 0.02
        for attempt in range(RETRIES):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not is_transient(exc) or attempt == RETRIES - 1:
                    raise
                self._rollback()
                time.sleep(delay)
                delay = min(delay * 3, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _disable(self, reason: str) -> None:
        self.reason = reason
        self._warn(f"cache disabled, running uncached: {reason} [{self.path}]")
        self.close_connection()

    def _guard(self, op: Callable[[sqlite3.Connection], Any], default: Any) -> Any:
        """Run `op` on the connection; rebuild on corruption, disable on anything else."""
        for attempt in range(3):
            conn = self._conn
            if conn is None:
                return default
            try:
                return self._retry(lambda: op(conn))
            except BaseException as exc:
                self._rollback()  # Ctrl-C included: the transaction never half-lands
                if not isinstance(exc, Exception):
                    raise
                err = classify(exc, self.directory)
                if isinstance(err, Corrupt) and attempt < 2:
                    try:  # the second time, do not trust a file that merely looks valid
                        self._rebuild(str(err), force=attempt == 1)
                    except Unusable as again:
                        self._disable(str(again))
                        return default
                    continue
                self._disable(str(err))
                return default
        return default

    def _guard_rebuild(self, why: str) -> None:
        try:
            self._rebuild(why, force=True)
        except Unusable as exc:
            self._disable(str(exc))

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    # -- the API ---------------------------------------------------------------------------
    def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, ModuleFacts]:
        """The cached facts of every key that has a valid entry; misses are absent."""
        wanted: dict[str, list[CacheKey]] = {}
        for k in keys:
            k = CacheKey(*k)
            wanted.setdefault(k.blob, []).append(k)
        if not wanted or self._conn is None:
            self.misses += sum(len(v) for v in wanted.values())
            return {}

        def read(conn: sqlite3.Connection) -> list[tuple]:
            rows: list[tuple] = []
            blobs = list(wanted)
            conn.execute("BEGIN")  # one snapshot for the whole batch
            for i in range(0, len(blobs), 500):
                chunk = blobs[i : i + 500]
                rows.extend(
                    conn.execute(
                        "SELECT blob, module, is_package, data, used FROM facts WHERE analyzer = ? AND blob IN "
                        f"({','.join('?' * len(chunk))})",
                        [self.analyzer, *chunk],
                    )
                )
            conn.execute("COMMIT")
            return rows

        generation = self.generation
        rows = self._guard(read, [])
        found: dict[CacheKey, ModuleFacts] = {}
        bad: list[tuple] = []
        today = _today()
        touch: list[tuple] = []
        for blob, module, is_package, data, used in rows:
            if type(blob) is not str or type(module) is not str or is_package not in (0, 1):
                bad.append((blob, module, is_package))
                continue
            key = CacheKey(blob, module, bool(is_package))
            if key not in wanted.get(blob, ()):
                continue
            try:
                if not isinstance(data, bytes):
                    raise CacheDecodeError("entry is not a blob")
                facts = loads(data)
                if facts.module != module or facts.is_package != bool(is_package):
                    raise CacheDecodeError("entry holds another module's facts")
            except CacheDecodeError:
                bad.append((blob, module, is_package))
                continue
            found[key] = facts
            if used != today:
                touch.append((today, self.analyzer, blob, module, is_package))
        if bad:
            self.rejected += len(bad)
            if self._guard(_healthy, True):
                self._delete(bad)
            else:  # damaged pages, not just damaged entries: nothing in this file is worth keeping
                self._guard_rebuild("SQLite's quick_check failed after entries did not decode")
        if touch:  # at most one write per entry per day keeps warm runs read-only
            self._execute_write(
                "UPDATE facts SET used = ? WHERE analyzer = ? AND blob = ? AND module = ? AND is_package = ?", touch
            )
        if self.generation != generation and found:  # the file was rebuilt under us: keep the good entries
            self.put_many(found.items())
        total = sum(len(v) for v in wanted.values())
        self.hits += len(found)
        self.misses += total - len(found)
        return found

    def _delete(self, rows: Sequence[tuple]) -> None:
        self._execute_write(
            "DELETE FROM facts WHERE analyzer = ? AND blob IS ? AND module IS ? AND is_package IS ?",
            [(self.analyzer, *r) for r in rows],
        )

    def _execute_write(self, sql: str, rows: Sequence[tuple]) -> int:
        """One short write transaction; returns the rows it changed (0 when the cache failed)."""

        def write(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            n = conn.executemany(sql, rows).rowcount
            conn.execute("COMMIT")
            return n

        return self._guard(write, 0)

    def put_many(self, items: Iterable[tuple]) -> int:
        """Store facts, given as (key, facts) or (key, facts, dumps(facts)) when a worker encoded
        them already; returns how many were written (0 when the cache is off or failing)."""
        if self._conn is None:
            return 0
        now = _today()
        batch: list[tuple] = []
        size = 0
        written = 0
        for key, facts, *encoded in items:
            key = CacheKey(*key)
            if not key.module.isascii() and not _utf8(key.module):
                continue  # a module named after a file name that is not UTF-8: SQLite text is UTF-8 only
            try:
                data = encoded[0] if encoded else dumps(facts)
            except (TypeError, ValueError):  # not facts this build can encode: just don't cache
                continue
            batch.append((key.blob, key.module, int(bool(key.is_package)), self.analyzer, data, now))
            size += len(data)
            if size >= _WRITE_BATCH_BYTES:
                written += self._write(batch)
                batch, size = [], 0
        if batch:
            written += self._write(batch)
        if written and not self._pruned:
            self._pruned = True
            self.prune()
        return written

    def _write(self, rows: list[tuple]) -> int:
        return self._execute_write(
            "INSERT OR REPLACE INTO facts (blob, module, is_package, analyzer, data, used) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

    keeps_runs = True  # get_run/put_run: the previous run of each project (`incremental`)

    def get_run(self, identity: str) -> bytes | None:
        """The state `put_run` stored under this key (untrusted bytes), or None."""
        return self.get_runs([identity]).get(identity)

    def get_runs(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The entries stored under these keys (untrusted bytes); missing ones are absent."""

        stored = {_text_key(k): k for k in keys}

        def read(conn: sqlite3.Connection) -> dict[str, bytes]:
            found: dict[str, bytes] = {}
            names = list(stored)
            for i in range(0, len(names), 500):
                chunk = names[i : i + 500]
                rows = conn.execute(f"SELECT identity, data FROM runs WHERE identity IN ({','.join('?' * len(chunk))})", chunk)
                found.update((stored[k], d) for k, d in rows if isinstance(k, str) and isinstance(d, bytes) and k in stored)
            return found

        return self._guard(read, {}) if keys else {}

    def put_run(self, identity: str, data: bytes) -> None:
        self.put_runs([(identity, data)])

    def put_runs(self, items: Iterable[tuple[str, bytes]]) -> None:
        today = _today()
        self._execute_write(
            "INSERT OR REPLACE INTO runs (identity, data, used) VALUES (?, ?, ?)",
            [(_text_key(k), d, today) for k, d in items],
        )

    def prune(self, days: int = EXPIRE_DAYS) -> int:
        """Drop entries no run has used for `days` days (old file versions, other analysers).
        Runs by itself once per cache object that stores new entries."""
        self._execute_write("DELETE FROM runs WHERE used < ?", [(_today() - days,)])
        return self._execute_write("DELETE FROM facts WHERE used < ?", [(_today() - days,)])

    def info(self) -> dict[str, Any]:
        """Where the cache is, how many entries it holds for this build and others, its size."""

        def count(conn: sqlite3.Connection) -> tuple[int, int]:
            total = conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0]
            mine = conn.execute("SELECT COUNT(*) FROM facts WHERE analyzer = ?", (self.analyzer,)).fetchone()[0]
            return mine, total - mine

        mine, stale = self._guard(count, (0, 0))
        size = 0
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                size += os.stat(f"{self.path}{suffix}").st_size
        return {
            "enabled": self._conn is not None,
            "reason": self.reason,
            "path": str(self.path),
            "entries": mine,
            "stale_entries": stale,  # written by other versions of callgraph, libcst or Python
            "bytes": size,
            "schema_version": SCHEMA_VERSION,
            "analyzer": self.analyzer,
            "analyzer_description": analyzer_description(),
        }

    def clear(self, *, stale_only: bool = False) -> int:
        """Delete every entry (or only those of other analysers); returns how many."""

        def delete(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM runs")  # cheap to rebuild, and may describe stale facts
            if stale_only:
                n = conn.execute("DELETE FROM facts WHERE analyzer != ?", (self.analyzer,)).rowcount
            else:
                n = conn.execute("DELETE FROM facts").rowcount
            conn.execute("COMMIT")
            return n

        removed = self._guard(delete, 0)
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):  # give the space back; fine to skip when busy
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    def close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        self.close_connection()

    def __enter__(self) -> FactsCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Cache = FactsCache | NullCache
