"""The facts cache: hits, keys, corruption, read-only and full disks, concurrent processes,
planted entries. Every failure mode must still give the right answer, with at most one warning."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import resource
import shutil
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from callgraph.store import cache as cache_mod
from callgraph.store import identity
from callgraph.facts import serialize
from callgraph.facts.source import blob_id
from callgraph.store.cache import FILE_NAME, FactsCache, NullCache, default_cache_dir
from callgraph.store.identity import CacheKey
from callgraph.commands.cli import main
from callgraph import collect
from callgraph.pipeline import analyze

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "etl_pipeline"


def open_cache(d: Path, **kw) -> tuple[FactsCache | NullCache, list[str]]:
    warnings: list[str] = []
    return FactsCache.open(d, warn=warnings.append, **kw), warnings


def summary(project) -> list[tuple]:
    return [(f.path, f.line, f.column, f.code.value, f.message) for f in project.findings()]


@pytest.fixture(scope="module")
def baseline() -> tuple[list[tuple], list]:
    p = analyze([FIXTURE])
    return summary(p), [f.facts for f in p.files]


def cli(*args: str, cwd: Path = FIXTURE, preexec=None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != cache_mod.ENV_VAR}
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        preexec_fn=preexec,
    )


@pytest.fixture(scope="module")
def cli_baseline() -> str:
    proc = cli("check", ".", "-q", "--no-cache")
    assert proc.returncode == 1 and proc.stdout and not proc.stderr, proc.stderr
    return proc.stdout


def assert_clean_run(proc: subprocess.CompletedProcess, want_stdout: str, max_warnings: int = 0) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == want_stdout
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) <= max_warnings, proc.stderr
    assert len(proc.stderr.splitlines()) == len(warnings), proc.stderr  # nothing else on stderr


# -- keys and hits ---------------------------------------------------------------------------


def test_blob_id_is_gits() -> None:
    assert blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    data = (FIXTURE / "etl" / "pipeline.py").read_bytes()
    if shutil.which("git"):
        out = subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True)
        assert out.stdout.decode().strip() == blob_id(data)


def test_second_run_hits_with_identical_facts(tmp_path: Path, baseline) -> None:
    want_findings, want_facts = baseline
    c, warnings = open_cache(tmp_path)
    first = analyze([FIXTURE], cache=c)
    assert (first.cache_hits, first.cache_misses) == (0, len(want_facts))
    second = analyze([FIXTURE], cache=c)
    assert (second.cache_hits, second.cache_misses) == (len(want_facts), 0)
    assert [f.facts for f in second.files] == want_facts
    assert summary(second) == summary(first) == want_findings
    assert second.stats["cache_hits"] == len(want_facts)
    c.close()
    # a new process (a new FactsCache) sees the same entries
    c2, _ = open_cache(tmp_path)
    assert analyze([FIXTURE], cache=c2).cache_hits == len(want_facts)
    assert c2.info()["entries"] == len(want_facts)
    assert warnings == []
    assert "cache_hits" not in analyze([FIXTURE]).stats  # the library stays uncached by default


def test_key_includes_module_is_package_and_analyzer(tmp_path: Path) -> None:
    source = b"def f(a): ...\nf()\n"
    c, warnings = open_cache(tmp_path)
    key = CacheKey(blob_id(source), "pkg.mod", False)
    c.put_many([(key, collect("pkg.mod", source))])
    assert c.get_many([key])[key] == collect("pkg.mod", source)
    assert c.get_many([CacheKey(key.blob, "other.mod", False)]) == {}  # same bytes, other module
    assert c.get_many([CacheKey(key.blob, "pkg.mod", True)]) == {}  # same bytes, now a package
    assert c.get_many([CacheKey(blob_id(source + b"\n"), "pkg.mod", False)]) == {}  # other bytes
    other, _ = open_cache(tmp_path, analyzer="callgraph-9.9-or-another-libcst")
    assert other.get_many([key]) == {}  # another tool version: never shares entries
    assert other.info()["stale_entries"] == 1 and other.info()["entries"] == 0
    assert other.clear(stale_only=True) == 1
    assert c.get_many([key]) == {}
    assert warnings == []


def test_analyzer_id_names_what_facts_depend_on() -> None:
    from callgraph import __version__

    desc = identity.analyzer_description()
    for part in (f"callgraph {__version__}", "libcst ", f"{sys.version_info[0]}.{sys.version_info[1]}", "schema "):
        assert part in desc


def test_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path.home()
    assert default_cache_dir({}) == home / ".cache" / "callgraph"
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/callgraph")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x", "CALLGRAPH_CACHE_DIR": "/y"}) == Path("/y")
    monkeypatch.setenv("CALLGRAPH_CACHE_DIR", str(tmp_path / "env"))
    c, _ = open_cache(None)  # type: ignore[arg-type]
    assert c.path == tmp_path / "env" / FILE_NAME and c.path.exists()
    c2, _ = open_cache(tmp_path / "explicit")  # the argument wins over the variable
    assert c2.path == tmp_path / "explicit" / FILE_NAME


def test_null_cache_and_no_cache_option(tmp_path: Path, baseline) -> None:
    n = NullCache()
    p = analyze([FIXTURE], cache=n)
    assert (p.cache_hits, p.cache_misses) == (0, len(baseline[1]))
    assert summary(p) == baseline[0]
    assert main(["check", str(FIXTURE), "-q", "--no-cache", "--cache-dir", str(tmp_path / "d")]) == 1
    assert not (tmp_path / "d").exists()


# -- corrupt and foreign files ------------------------------------------------------------------


def _warm(d: Path) -> None:
    c, warnings = open_cache(d)
    analyze([FIXTURE], cache=c)
    c.close()  # the last connection checkpoints the WAL into the file
    assert warnings == [] and not Path(f"{d / FILE_NAME}-wal").exists()


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(50_000))


def _truncated(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 3)


def _other_schema(path: Path) -> None:
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE users (name TEXT, data BLOB)")
        conn.execute("INSERT INTO users VALUES ('x', x'00')")
        conn.commit()


def _our_id_wrong_columns(path: Path) -> None:
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE facts (blob TEXT, data BLOB)")
        conn.execute(f"PRAGMA application_id = {cache_mod.APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {cache_mod.SCHEMA_VERSION}")
        conn.commit()


def _future_version(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {cache_mod.SCHEMA_VERSION + 1}")
        conn.commit()


def _foreign_application(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA application_id = 1234")
        conn.commit()


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _garbage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for off in range(4096 + 100, len(data), 997):  # keep the header page, spray the rest
        data[off] = (data[off] + 77) % 256
    path.write_bytes(bytes(data))


CORRUPTIONS = [
    _random_bytes,
    _truncated,
    _other_schema,
    _our_id_wrong_columns,
    _future_version,
    _foreign_application,
    _garbage_pages,
]


@pytest.mark.parametrize("damage", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_corrupt_or_foreign_file_is_rebuilt(tmp_path: Path, baseline, damage) -> None:
    _warm(tmp_path)
    damage(tmp_path / FILE_NAME)
    c, warnings = open_cache(tmp_path)
    p = analyze([FIXTURE], cache=c)
    assert summary(p) == baseline[0]
    assert [f.facts for f in p.files] == baseline[1]
    assert len(warnings) <= 1, warnings
    if damage is not _garbage_pages:  # sprayed pages may leave some entries readable
        assert len(warnings) == 1 and "rebuilt" in warnings[0], warnings
    assert c.enabled
    # the rebuilt cache works: the next run hits everything and warns about nothing
    c.close()
    c2, warnings2 = open_cache(tmp_path)
    assert analyze([FIXTURE], cache=c2).cache_hits == len(baseline[1])
    assert warnings2 == []


def test_empty_file_is_initialised_silently(tmp_path: Path) -> None:
    _empty_file(tmp_path / FILE_NAME)
    c, warnings = open_cache(tmp_path)
    assert c.enabled and warnings == []


def test_invalid_entry_is_a_miss_and_is_deleted(tmp_path: Path, baseline) -> None:
    _warm(tmp_path)
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        n = conn.execute("UPDATE facts SET data = x'00010203' WHERE module = 'etl.pipeline'").rowcount
        conn.execute("DELETE FROM runs")  # else the previous run's findings hold and no facts are read
        conn.commit()
    assert n == 1
    c, warnings = open_cache(tmp_path)
    p = analyze([FIXTURE], cache=c)
    assert (p.cache_hits, p.cache_misses, c.rejected) == (len(baseline[1]) - 1, 1, 1)
    assert summary(p) == baseline[0] and warnings == []
    assert analyze([FIXTURE], cache=c).cache_hits == len(baseline[1])  # replaced by good facts


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch MARKER_UNPICKLED",))


def test_planted_malicious_entries_are_never_executed(tmp_path: Path, cli_baseline: str) -> None:
    """Entries crafted by someone who can write the cache: a pickle bomb, Python source, facts of
    another module and well-formed JSON of the wrong types. All rejected, nothing runs."""
    d = tmp_path / "cache"
    workdir = tmp_path / "work"
    shutil.copytree(FIXTURE, workdir)
    warm, _ = open_cache(d)
    assert analyze([workdir], cache=warm).cache_misses == len(list(workdir.rglob("*.py")))
    warm.close()
    marker = workdir / "MARKER_UNPICKLED"
    evil_json = serialize._MAGIC + zlib.compress(
        b'[1,"%s",["__import__(\'os\').system(\'touch MARKER_EVAL\')",false]]' % serialize.SCHEMA_FINGERPRINT.encode()
    )
    other_module = serialize.dumps(collect("somewhere.else", b"def f(): pass\n"))
    payloads = [pickle.dumps(_Exploit()), b"__import__('os').system('touch MARKER_EVAL')", other_module, evil_json]
    with contextlib.closing(sqlite3.connect(d / FILE_NAME)) as conn:
        rows = conn.execute("SELECT blob, module FROM facts ORDER BY module").fetchall()
        assert len(rows) >= len(payloads)
        for (blob, module), payload in zip(rows, payloads):
            conn.execute("UPDATE facts SET data = ? WHERE blob = ? AND module = ?", (payload, blob, module))
        conn.execute("DELETE FROM runs")  # make the run read every entry
        conn.commit()
    proc = cli("check", ".", "-q", "--cache-dir", str(d), cwd=workdir)
    assert_clean_run(proc, cli_baseline)
    assert not marker.exists() and not (workdir / "MARKER_EVAL").exists()
    with contextlib.closing(sqlite3.connect(d / FILE_NAME)) as conn:
        datas = [r[0] for r in conn.execute("SELECT data FROM facts")]
    assert not set(payloads) & set(datas)  # rejected entries were deleted and rewritten


def test_cache_code_never_unpickles_or_evaluates() -> None:
    package = Path(cache_mod.__file__).parents[1]
    for path in [*sorted((package / "store").glob("*.py")), package / "facts" / "serialize.py"]:
        name, text = path.name, path.read_text()
        for banned in ("import pickle", "import marshal", "import shelve", "eval(", "exec(", "literal_eval"):
            assert banned not in text, (name, banned)


# -- unusable environments -----------------------------------------------------------------


def test_unwritable_location_runs_uncached_with_one_warning(
    tmp_path: Path, baseline, cli_baseline: str, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    c, warnings = open_cache(blocker / "cache")
    assert isinstance(c, NullCache) and len(warnings) == 1 and "uncached" in warnings[0]
    p = analyze([FIXTURE], cache=c)
    assert summary(p) == baseline[0] and len(warnings) == 1
    proc = cli("check", ".", "-q", "--cache-dir", str(blocker / "cache"))
    assert_clean_run(proc, cli_baseline, max_warnings=1)
    assert "warning" in proc.stderr
    capsys.readouterr()
    assert main(["cache", "info", "--cache-dir", str(blocker / "cache")]) == 0
    out, err = capsys.readouterr()
    assert "status:    disabled" in out and err.count("warning") == 1
    assert main(["cache", "clear", "--cache-dir", str(blocker / "cache")]) == 2
    assert "cannot clear" in capsys.readouterr().err


def _set_file_size_limit(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.parametrize("limit", [0, 40_000])
def test_full_disk_ulimit_runs_uncached_with_one_warning(
    tmp_path: Path, baseline, cli_baseline: str, limit: int
) -> None:
    """`ulimit -f`: the cache cannot grow past `limit` bytes (0: cannot even be created)."""
    d = tmp_path / "cache"
    proc = cli("check", ".", "-q", "--cache-dir", str(d), preexec=_set_file_size_limit(limit))
    assert_clean_run(proc, cli_baseline, max_warnings=1)
    assert proc.stderr.count("warning") == 1, proc.stderr
    # with room again, whatever was left is reused or repaired, with at most one warning
    c, warnings = open_cache(d)
    assert summary(analyze([FIXTURE], cache=c)) == baseline[0] and len(warnings) <= 1
    c2, warnings2 = open_cache(d)
    assert analyze([FIXTURE], cache=c2).cache_hits == len(baseline[1]) and warnings2 == []


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    if not shutil.which("mount"):
        pytest.skip("no mount command")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_full_disk_tiny_tmpfs(tmp_path: Path, baseline) -> None:
    d = tmp_path / "small"
    with tmpfs(d, "size=12k"):
        c, warnings = open_cache(d)
        assert summary(analyze([FIXTURE], cache=c)) == baseline[0]
        assert len(warnings) == 1 and "the disk is full" in warnings[0], warnings
        assert summary(analyze([FIXTURE], cache=c)) == baseline[0] and len(warnings) == 1


def test_read_only_mount(tmp_path: Path, cli_baseline: str) -> None:
    d = tmp_path / "ro"
    with tmpfs(d, "size=4m"):
        # half-warm: some entries to read, some misses that cannot be written
        c, warnings = open_cache(d)
        analyze([FIXTURE / "etl" / "drivers"], cache=c)
        c.close()
        assert warnings == []
        remount = subprocess.run(["mount", "-o", "remount,ro", str(d)], capture_output=True)
        if remount.returncode != 0:
            pytest.skip("cannot remount read-only")
        proc = cli("check", ".", "-q", "--cache-dir", str(d))
        assert_clean_run(proc, cli_baseline, max_warnings=1)


# -- concurrency -------------------------------------------------------------------------------


def _run_concurrently(n: int, d: Path) -> list[subprocess.CompletedProcess]:
    env = {k: v for k, v in os.environ.items() if k != cache_mod.ENV_VAR}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "callgraph", "check", ".", "-q", "--cache-dir", str(d)],
            cwd=FIXTURE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(n)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


@pytest.mark.parametrize("n", [2, 8])
def test_concurrent_processes(tmp_path: Path, cli_baseline: str, n: int) -> None:
    d = tmp_path / "shared"
    for proc in _run_concurrently(n, d):  # all cold, all racing to create the file
        assert_clean_run(proc, cli_baseline)
    with contextlib.closing(sqlite3.connect(d / FILE_NAME)) as conn:
        # the project's files, and the outside (stdlib) modules their calls resolve into
        assert conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0] >= len(list(FIXTURE.rglob("*.py")))
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_processes_on_a_corrupt_file(tmp_path: Path, cli_baseline: str) -> None:
    d = tmp_path / "shared"
    d.mkdir()
    _random_bytes(d / FILE_NAME)
    for proc in _run_concurrently(3, d):
        assert_clean_run(proc, cli_baseline, max_warnings=1)
    c, warnings = open_cache(d)
    assert c.enabled and warnings == []
    with contextlib.closing(sqlite3.connect(d / FILE_NAME)) as conn:
        # the project's files, and the outside (stdlib) modules their calls resolve into
        assert conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0] >= len(list(FIXTURE.rglob("*.py")))


# -- interrupts and the command line --------------------------------------------------------------


def test_interrupted_store_leaves_no_partial_entry(tmp_path: Path) -> None:
    c, _ = open_cache(tmp_path)
    source = b"x = 1\n"

    def items():
        yield CacheKey(blob_id(source), "a", False), collect("a", source)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        c.put_many(items())
    assert c.info()["entries"] == 0
    assert c.put_many([(CacheKey(blob_id(source), "a", False), collect("a", source))]) == 1


class _InterruptedConnection:
    """A connection whose batch insert is interrupted (Ctrl-C) after its first row."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def executemany(self, sql: str, rows):
        rows = list(rows)
        self.real.execute(sql, rows[0])
        raise KeyboardInterrupt


def test_ctrl_c_inside_a_write_leaves_no_partial_batch(tmp_path: Path) -> None:
    c, warnings = open_cache(tmp_path)
    items = [(CacheKey(blob_id(b"x = %d\n" % i), f"m{i}", False), collect(f"m{i}", b"x = %d\n" % i)) for i in range(3)]
    real = c._conn
    c._conn = _InterruptedConnection(real)  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        c.put_many(items)
    c._conn = real
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0] == 0
    assert c.put_many(items) == 3 and len(c.get_many([k for k, _ in items])) == 3
    assert warnings == []


def test_cache_info_and_clear_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    assert main(["check", str(FIXTURE), "-q", "--cache-dir", d]) == 1
    capsys.readouterr()
    assert main(["cache", "info", "--cache-dir", d]) == 0
    out = capsys.readouterr().out
    n = len(list(FIXTURE.rglob("*.py")))
    assert f"entries:   {n} for this version, 0 from other versions" in out
    assert str(tmp_path / FILE_NAME) in out
    assert main(["cache", "info", "--cache-dir", d, "--format", "json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert info["entries"] == n and info["enabled"] and info["bytes"] > 0
    assert main(["cache", "clear", "--cache-dir", d]) == 0
    assert capsys.readouterr().out.startswith(f"removed {n} entries from ")
    assert main(["cache", "info", "--cache-dir", d, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0


def test_json_report_counts_hits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    d = str(tmp_path)
    main(["check", str(FIXTURE), "--format", "json", "--cache-dir", d])
    first = json.loads(capsys.readouterr().out)
    main(["check", str(FIXTURE), "--format", "json", "--cache-dir", d])
    second = json.loads(capsys.readouterr().out)
    assert first["stats"]["cache_misses"] == second["stats"]["cache_hits"] == first["stats"]["files"]
    assert first["findings"] == second["findings"]


def test_unused_entries_expire(tmp_path: Path, baseline) -> None:
    _warm(tmp_path)
    today = cache_mod._today()
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        conn.execute("UPDATE facts SET used = ?", (today - cache_mod.EXPIRE_DAYS - 5,))
        conn.execute("UPDATE facts SET used = ? WHERE module = 'etl.pipeline'", (today - 3,))
        conn.commit()
    c, warnings = open_cache(tmp_path)
    keys = [CacheKey(blob_id(f.read_bytes()), "etl.pipeline", False) for f in [FIXTURE / "etl" / "pipeline.py"]]
    assert len(c.get_many(keys)) == 1  # a hit marks the entry used today
    assert c.prune() == len(baseline[1]) - 1
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        assert conn.execute("SELECT used FROM facts").fetchall() == [(today,)]
    assert warnings == []


def test_blob_id_is_sha1_of_the_git_header_and_content() -> None:
    data = b"print('hi')\n"
    assert blob_id(data) == hashlib.sha1(b"blob 12\0" + data).hexdigest()
