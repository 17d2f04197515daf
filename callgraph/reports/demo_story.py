"""The `_ddl_attempt` story, as a real git repository: for `callgraph demo` and the tests.

`ddl_story(path)` builds a git repository whose `main` holds a small ETL package with one
`SupabaseWriterDriver._ddl_attempt(self, conn, sql, table, mode, channel)`, and whose branch
`debug/codex-test` adds a later `def _ddl_attempt(self)` to the same class: the later def wins,
so three DDL calls break with CPython's "takes 1 positional argument but 6 were given".

The package's sources are `SOURCES` below, a byte-for-byte copy of `fixtures/etl_pipeline` (a
test keeps them equal) so that the demo works from an installed wheel, where fixtures/ is absent.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..errors import InputError
from ..snapshots.git import run_git

MARKER = "    def _ddl_attempt(self) -> int:  # expect: CG201"


def git_env() -> dict[str, str]:
    """A hermetic git: no system or global configuration (no signing, no hooks), fixed identity."""
    return {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": "/nonexistent",
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
    }


def git(repo: Path, *args: str) -> str:
    """git through callgraph's one gateway (`run_git`), in the hermetic environment above."""
    return _git_bytes(repo, *args).decode().strip()


def _git_bytes(repo: Path, *args: str) -> bytes:
    try:
        return run_git(*args, cwd=repo, env=git_env(), timeout=60)
    except InputError as exc:  # callers (the demo) report a failed build as CalledProcessError
        raise subprocess.CalledProcessError(1, list(args), stderr=str(exc)) from None


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def story_sources(source: Path | None = None, *, package: str = "etl", driver: str = "supabase") -> dict[str, str]:
    """The package's files (from `source`, a fixture directory, or `SOURCES`), renamed: `etl/` to
    `package/` and `etl/drivers/supabase.py` to `package/drivers/driver.py`."""
    if source is not None:
        texts = {p.relative_to(source).as_posix(): p.read_text() for p in sorted(source.rglob("*.py"))}
    else:
        texts = dict(SOURCES)
    out: dict[str, str] = {}
    for rel, text in texts.items():
        if rel == "etl/drivers/supabase.py":
            rel = f"etl/drivers/{driver}.py"
        if rel == "etl/drivers/__init__.py":
            text = text.replace("from .supabase import", f"from .{driver} import")
        out[package + rel[3:] if rel.startswith("etl/") else rel] = text
    return out


def ddl_story(path: Path, source: Path | None = None, *, package: str = "etl", driver: str = "supabase",
              dependency: bool = False) -> Path:
    """The ETL package on `main` (one _ddl_attempt) and `debug/codex-test` (redefined later).
    `dependency`: also `package/fetch.py`, which calls the made-up `retrylib` 1.x (see `install_retrylib`)."""
    repo = new_repo(Path(path))
    files = story_sources(source, package=package, driver=driver)
    if dependency:
        files[f"{package}/fetch.py"] = FETCH
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    driver_file = repo / package / "drivers" / f"{driver}.py"
    text = driver_file.read_text()
    head, sep, _ = text.partition(MARKER)
    assert sep, "fixture changed: the later _ddl_attempt is gone"
    clean = head.rstrip() + "\n"
    driver_file.write_text(clean.replace("self._ddl_attempt()", "self._attempts"))
    commit_all(repo, "ETL pipeline")
    git(repo, "checkout", "-q", "-b", "debug/codex-test")
    driver_file.write_text(text)
    commit_all(repo, "count DDL attempts")
    git(repo, "checkout", "-q", "main")
    return repo


# The dependency-drift half of the story: `retrylib`, a made-up pure-Python package whose 2.0
# renamed Retry's `method_whitelist` to `allowed_methods` (as urllib3 2.0 did), and a module of the
# ETL package written against 1.x.
FETCH = '''"""Fetch source files over HTTP, retrying idempotent requests (written against retrylib 1.x)."""

from retrylib import Retry


def retry_policy(total: int = 3) -> Retry:
    """Retry GETs only: a POST may have reached the server."""
    return Retry(total=total, method_whitelist=["GET"])
'''
RETRYLIB = {"1.0.4": "method_whitelist", "2.0.1": "allowed_methods"}


def install_retrylib(site: Path, version: str) -> Path:
    """Install `retrylib` `version` into the directory `site` the way pip lays out a wheel: the
    package, and a `.dist-info` with METADATA, top_level.txt and RECORD."""
    keyword = RETRYLIB[version]
    files = {
        "retrylib/__init__.py": f'"""retrylib {version}: retry policies."""\n\nfrom .retry import Retry\n\n__version__ = "{version}"\n',
        "retrylib/retry.py": (
            '"""The Retry policy."""\n\n\nclass Retry:\n'
            f"    def __init__(self, total=10, {keyword}=None, backoff_factor=0.0, raise_on_status=True):\n"
            "        self.total = total\n"
            f"        self.{keyword} = {keyword}\n"
            "        self.backoff_factor = backoff_factor\n"
            "        self.raise_on_status = raise_on_status\n"
        ),
        f"retrylib-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: retrylib\nVersion: {version}\n",
        f"retrylib-{version}.dist-info/top_level.txt": "retrylib\n",
        f"retrylib-{version}.dist-info/INSTALLER": "pip\n",
    }
    record = [f"{rel},," for rel in files] + [f"retrylib-{version}.dist-info/RECORD,,"]
    files[f"retrylib-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    for rel, text in files.items():
        target = Path(site) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return Path(site)


def dist_info(site: Path, name: str, version: str) -> Path:
    """Record the package `name` already in `site` as an installed distribution, as pip would:
    a `.dist-info` with METADATA, top_level.txt, INSTALLER and a RECORD of the package's files."""
    info = Path(site) / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    (info / "INSTALLER").write_text("pip\n")
    files = sorted(p.relative_to(site).as_posix() for p in (Path(site) / name).rglob("*") if p.is_file())
    record = [f"{rel},," for rel in files] + [f"{info.name}/{n},," for n in ("METADATA", "top_level.txt", "INSTALLER", "RECORD")]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    return info


def export(repo: Path, ref: str, dest: Path) -> Path:
    """The files of `ref` written under `dest` (what an upload of that branch contains)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in git(repo, "ls-tree", "-r", "--name-only", ref).splitlines():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git_bytes(repo, "cat-file", "blob", f"{ref}:{rel}"))
    return dest


# fixtures/etl_pipeline, byte for byte (tests/test_parity.py checks it).
SOURCES: dict[str, str] = {
    'etl/__init__.py': '"""ETL package root: re-exports the pipeline entry points (realistic driver-redefinition story)."""\n\nfrom .config import PipelineConfig\nfrom .pipeline import Pipeline, run_pipeline\n\n__all__ = ["Pipeline", "PipelineConfig", "run_pipeline"]\n__version__ = "0.4.2"\n',
    'etl/cli.py': '"""Command-line entry point: parses flags and builds a PipelineConfig with keywords."""\n\nfrom __future__ import annotations\n\nimport argparse\nimport logging\n\nfrom . import run_pipeline\nfrom .config import PipelineConfig\nfrom .drivers import driver_for\nfrom .pipeline import Pipeline\n\n\ndef build_parser() -> argparse.ArgumentParser:\n    parser = argparse.ArgumentParser(prog="etl")\n    parser.add_argument("source")\n    parser.add_argument("table")\n    parser.add_argument("--url", default="memory://local")\n    parser.add_argument("--batch-size", type=int, default=500)\n    parser.add_argument("--replace", action="store_true")\n    return parser\n\n\ndef main(argv: list[str] | None = None) -> int:\n    args = build_parser().parse_args(argv)\n    logging.basicConfig(level=logging.INFO)\n    mode = "replace" if args.replace else "append"\n    logging.getLogger(__name__).info("writing with %s", driver_for("supabase").name)\n    config = PipelineConfig(args.source, args.table, supabase_url=args.url, mode=mode, batchsize=args.batch_size)  # expect: CG103\n    config = PipelineConfig(args.source, args.table, supabase_url=args.url, mode=mode, batch_size=args.batch_size)\n    Pipeline(config).run()\n    Pipeline(config.with_mode("append")).run()\n    return run_pipeline(args.source, args.table, supabase_url=args.url, mode=mode)\n',
    'etl/config.py': '"""Pipeline configuration as a dataclass; built with keyword arguments by callers."""\n\nfrom __future__ import annotations\n\nfrom dataclasses import dataclass, field\n\n\n@dataclass\nclass PipelineConfig:\n    """Everything a pipeline run needs; only the source and target are required."""\n\n    source_path: str\n    target_table: str\n    supabase_url: str = "memory://local"\n    api_key: str = ""\n    batch_size: int = 500\n    mode: str = "append"\n    channel: str = "etl"\n    columns: list[str] = field(default_factory=list)\n\n    def with_mode(self, mode: str) -> "PipelineConfig":\n        """Return a copy of this config that writes in another mode."""\n        return PipelineConfig(\n            source_path=self.source_path,\n            target_table=self.target_table,\n            supabase_url=self.supabase_url,\n            api_key=self.api_key,\n            batch_size=self.batch_size,\n            mode=mode,\n            channel=self.channel,\n            columns=list(self.columns),\n        )\n',
    'etl/drivers/__init__.py': '"""Driver registry: maps a URL scheme to the driver class that handles it."""\n\nfrom .base import BaseDriver, DriverError, ReaderDriver, WriterDriver\nfrom .csv_reader import CsvReaderDriver\nfrom .supabase import SupabaseWriterDriver\n\nDRIVERS = {\n    "csv": CsvReaderDriver,\n    "supabase": SupabaseWriterDriver,\n}\n\n\ndef driver_for(scheme: str) -> type[BaseDriver]:\n    """Return the driver class registered for `scheme`."""\n    try:\n        return DRIVERS[scheme]\n    except KeyError:\n        raise DriverError(f"no driver for scheme {scheme!r}") from None\n\n\n__all__ = [\n    "BaseDriver",\n    "CsvReaderDriver",\n    "DriverError",\n    "ReaderDriver",\n    "SupabaseWriterDriver",\n    "WriterDriver",\n    "driver_for",\n]\n',
    'etl/drivers/base.py': '"""Driver base classes: keyword-only constructor options shared by every driver."""\n\nfrom __future__ import annotations\n\nimport logging\nfrom typing import Iterator\n\nlog = logging.getLogger(__name__)\n\n\nclass DriverError(RuntimeError):\n    """Raised when a driver cannot complete an operation."""\n\n\nclass BaseDriver:\n    """Common lifecycle for every driver: open/close and a name for the logs."""\n\n    name = "base"\n\n    def __init__(self, *, name: str | None = None, timeout: float = 30.0) -> None:\n        self.name = name or type(self).name\n        self.timeout = timeout\n        self._opened = False\n\n    def open(self) -> "BaseDriver":\n        log.debug("opening driver %s", self.name)\n        self._opened = True\n        return self\n\n    def close(self) -> None:\n        log.debug("closing driver %s", self.name)\n        self._opened = False\n\n    def __enter__(self) -> "BaseDriver":\n        return self.open()\n\n    def __exit__(self, *exc_info) -> bool:\n        self.close()\n        return False\n\n\nclass ReaderDriver(BaseDriver):\n    """A driver that yields rows."""\n\n    def read(self) -> Iterator[dict]:\n        raise NotImplementedError\n\n\nclass WriterDriver(BaseDriver):\n    """A driver that accepts batches of rows for one table."""\n\n    def write_batch(self, rows: list[dict], table: str, *, batch_size: int = 500) -> int:\n        raise NotImplementedError\n',
    'etl/drivers/csv_reader.py': '"""CSV reader driver: positional path plus keyword options forwarded to the base driver."""\n\nfrom __future__ import annotations\n\nimport csv\nimport logging\nfrom typing import Iterator\n\nfrom .base import DriverError, ReaderDriver\n\nlog = logging.getLogger(__name__)\n\n\nclass CsvReaderDriver(ReaderDriver):\n    """Read dict rows from a CSV file."""\n\n    name = "csv"\n\n    def __init__(self, path: str, *, delimiter: str = ",", encoding: str = "utf-8", **kwargs) -> None:\n        super().__init__(**kwargs)\n        self.path = path\n        self.delimiter = delimiter\n        self.encoding = encoding\n        self._fh = None\n\n    def open(self) -> "CsvReaderDriver":\n        try:\n            self._fh = open(self.path, newline="", encoding=self.encoding)\n        except OSError as exc:\n            raise DriverError(f"cannot open {self.path}: {exc}") from exc\n        super().open()\n        return self\n\n    def close(self) -> None:\n        if self._fh is not None:\n            self._fh.close()\n            self._fh = None\n        super().close()\n\n    def read(self) -> Iterator[dict]:\n        if self._fh is None:\n            raise DriverError("reader is not open")\n        reader = csv.DictReader(self._fh, delimiter=self.delimiter)\n        for row in reader:\n            yield dict(row)\n        log.info("read %d rows from %s", reader.line_num - 1, self.path)\n',
    'etl/drivers/supabase.py': '"""Supabase writer driver: `_ddl_attempt` is redefined further down the class, so the later def wins."""\n\nfrom __future__ import annotations\n\nimport logging\nimport time\n\nfrom .base import DriverError, WriterDriver\n\nlog = logging.getLogger(__name__)\n\n\nclass _MemoryConnection:\n    """Stand-in for a PostgREST connection, used for memory:// URLs and tests."""\n\n    def __init__(self, url: str) -> None:\n        self.url = url\n        self.statements: list[tuple[str, dict | None]] = []\n        self.tables: dict[str, list[dict]] = {}\n\n    def execute(self, sql: str, params: dict | None = None) -> int:\n        self.statements.append((sql, params))\n        return len(self.statements)\n\n    def insert(self, table: str, rows: list[dict]) -> int:\n        self.tables.setdefault(table, []).extend(rows)\n        return len(rows)\n\n\nclass SupabaseWriterDriver(WriterDriver):\n    """Write batches to a Supabase (Postgres) table, creating it on demand."""\n\n    name = "supabase"\n\n    def __init__(self, *, url: str, api_key: str = "", schema: str = "public", max_attempts: int = 3, **kwargs) -> None:\n        super().__init__(**kwargs)\n        self.url = url\n        self.api_key = api_key\n        self.schema = schema\n        self.max_attempts = max_attempts\n        self._attempts = 0\n        self._conn: _MemoryConnection | None = None\n\n    def open(self) -> "SupabaseWriterDriver":\n        if not self.url.startswith("memory://"):\n            raise DriverError(f"only memory:// URLs are supported offline, got {self.url!r}")\n        self._conn = _MemoryConnection(self.url)\n        super().open()\n        return self\n\n    def close(self) -> None:\n        self._conn = None\n        super().close()\n\n    def _connection(self) -> _MemoryConnection:\n        if self._conn is None:\n            raise DriverError("driver is not open")\n        return self._conn\n\n    def create_table(self, table: str, columns: list[str], mode: str = "append", channel: str = "etl"):\n        """Create `table` with one text column per name in `columns`."""\n        conn = self._connection()\n        cols = ", ".join(f\'"{name}" text\' for name in columns) or \'"id" text\'\n        sql = f\'create table if not exists "{self.schema}"."{table}" ({cols})\'\n        log.info("ensuring table %s.%s exists", self.schema, table)\n        return self._ddl_attempt(conn, sql, table, mode, channel)  # expect: CG101\n\n    def truncate(self, table: str, mode: str = "replace", channel: str = "etl") -> None:\n        """Empty `table` before a replace-mode load."""\n        conn = self._connection()\n        sql = f\'truncate table "{self.schema}"."{table}"\'\n        self._ddl_attempt(conn, sql, table, mode, channel)  # expect: CG101\n\n    def add_column(self, table: str, column: str, *, mode: str = "append", channel: str = "etl") -> None:\n        """Add a text column when the source grew one."""\n        conn = self._connection()\n        sql = f\'alter table "{self.schema}"."{table}" add column if not exists "{column}" text\'\n        self._ddl_attempt(  # expect: CG101\n            conn,\n            sql,\n            table,\n            mode,\n            channel,\n        )\n\n    def write_batch(self, rows: list[dict], table: str, *, batch_size: int = 500) -> int:\n        """Insert `rows` in slices of `batch_size`; returns the number written."""\n        conn = self._connection()\n        written = 0\n        for start in range(0, len(rows), batch_size):\n            written += conn.insert(table, rows[start:start + batch_size])\n        log.debug("wrote %d rows to %s", written, table)\n        return written\n\n    def stats(self) -> dict:\n        """Counters for the metrics endpoint."""\n        return {"ddl_attempts": self._ddl_attempt(), "url": self.url}\n\n    def _ddl_attempt(self, conn: _MemoryConnection, sql: str, table: str, mode: str, channel: str) -> int:\n        """Run one DDL statement with retries, tagging it with the realtime channel."""\n        delay = 0.01\n        for attempt in range(1, self.max_attempts + 1):\n            self._attempts += 1\n            try:\n                return conn.execute(sql, {"table": table, "mode": mode, "channel": channel})\n            except ConnectionError:\n                log.warning("DDL attempt %d/%d on %s failed", attempt, self.max_attempts, table)\n                time.sleep(delay)\n                delay *= 2\n        raise DriverError(f"DDL on {table} failed after {self.max_attempts} attempts")\n\n    def _ddl_attempt(self) -> int:  # expect: CG201\n        """Number of DDL attempts made so far (read by `stats`)."""\n        return self._attempts\n',
    'etl/pipeline.py': '"""Pipeline: constructs drivers with keyword arguments and moves rows from reader to writer."""\n\nfrom __future__ import annotations\n\nimport logging\n\nfrom .config import PipelineConfig\nfrom .drivers import CsvReaderDriver, SupabaseWriterDriver\nfrom .transform import chunked, normalise_row\n\nlog = logging.getLogger(__name__)\n\n\nclass Pipeline:\n    """One source file into one target table."""\n\n    def __init__(self, config: PipelineConfig) -> None:\n        self.config = config\n        self.reader = CsvReaderDriver(config.source_path, delimiter=",", name="source")\n        self.writer = SupabaseWriterDriver(\n            url=config.supabase_url,\n            api_key=config.api_key,\n            max_attempts=2,\n            timeout=10.0,\n        )\n\n    def prepare(self, columns: list[str]) -> None:\n        """Make sure the target table exists (and is empty in replace mode)."""\n        table = self.config.target_table\n        self.writer.create_table(table, columns, mode=self.config.mode, channel=self.config.channel)\n        if self.config.mode == "replace":\n            self.writer.truncate(table, channel=self.config.channel)\n        for extra in self.config.columns:\n            if extra not in columns:\n                self.writer.add_column(table, extra, channel=self.config.channel)\n\n    def run(self) -> int:\n        """Copy every row; returns the number of rows written."""\n        written = 0\n        with self.reader, self.writer:\n            rows = list(self.reader.read())\n            columns = list(rows[0]) if rows else list(self.config.columns)\n            self.prepare(columns)\n            clean = [normalise_row(row, columns, strip=True) for row in rows]\n            for batch in chunked(clean, size=self.config.batch_size):  # expect: CG103\n                written += self.writer.write_batch(batch, self.config.target_table, batch_size=self.config.batch_size)\n            for batch in chunked(clean, self.config.batch_size):\n                written += self.writer.write_batch(batch, self.config.target_table)\n            log.info("pipeline finished: %s", self.writer.stats())\n        return written\n\n\ndef run_pipeline(source_path: str, target_table: str, **overrides) -> int:\n    """Convenience entry point used by the CLI and by cron jobs."""\n    config = PipelineConfig(source_path=source_path, target_table=target_table, **overrides)\n    return Pipeline(config).run()\n',
    'etl/transform.py': '"""Row transforms used by the pipeline: plain module functions with keyword defaults."""\n\nfrom __future__ import annotations\n\nfrom typing import Iterable, Iterator\n\n\ndef normalise_row(row: dict, columns: list[str], *, strip: bool = True) -> dict:\n    """Keep only `columns`, in order, stripping whitespace from string values."""\n    out = {}\n    for name in columns:\n        value = row.get(name)\n        if strip and isinstance(value, str):\n            value = value.strip()\n        out[name] = value\n    return out\n\n\ndef chunked(rows: Iterable[dict], n: int) -> Iterator[list[dict]]:\n    """Yield lists of at most `n` rows."""\n    batch: list[dict] = []\n    for row in rows:\n        batch.append(row)\n        if len(batch) >= n:\n            yield batch\n            batch = []\n    if batch:\n        yield batch\n',
}
