"""A warm run starts no interpreter: its answer is kept in the cache while its file is unchanged.

Real parts only: a real interpreter behind a counting wrapper script, the real SQLite cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from callgraph.environment.interpreter import InterpreterError, answer_key, query
from callgraph.store.cache import FactsCache


@pytest.fixture
def counted(tmp_path: Path) -> tuple[Path, Path]:
    """An interpreter that notes each start in a file, then is the running Python."""
    log = tmp_path / "starts"
    wrapper = tmp_path / "bin" / "python"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho started >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.skipif(os.name != "posix", reason="a /bin/sh wrapper")
def test_the_answer_is_recalled_while_the_interpreter_is_unchanged(counted, tmp_path: Path) -> None:
    wrapper, log = counted
    with FactsCache.open(tmp_path / "cache") as cache:
        fresh = query(str(wrapper), memo=cache)
        assert starts(log) == 1
        assert query(str(wrapper), memo=cache) == fresh and starts(log) == 1  # recalled, validated again
        assert query(str(wrapper)) == fresh and starts(log) == 2  # no memo: asked
        os.utime(wrapper, ns=(1, 1))  # the interpreter file changed: asked again
        assert query(str(wrapper), memo=cache) == fresh and starts(log) == 3
        (wrapper.parent / "pyvenv.cfg").write_text("home = /nowhere\n")  # a venv appeared around it
        query(str(wrapper), memo=cache)
        assert starts(log) == 4
        key = answer_key(str(wrapper), {k: os.environ[k] for k in ("HOME", "PATH") if k in os.environ})
        assert key is not None and key.startswith("interpreter:")


@pytest.mark.skipif(os.name != "posix", reason="a /bin/sh wrapper")
def test_a_damaged_answer_means_asking_again(counted, tmp_path: Path) -> None:
    wrapper, log = counted
    with FactsCache.open(tmp_path / "cache") as cache:
        fresh = query(str(wrapper), memo=cache)
        keys = [k for (k,) in cache._conn.execute("SELECT identity FROM runs")]
        assert len(keys) == 1
        cache.put_run(keys[0], b"-----BEGIN CALLGRAPH INTERPRETER-----\n{not json\n-----END CALLGRAPH INTERPRETER-----\n")
        assert query(str(wrapper), memo=cache) == fresh and starts(log) == 2
        assert query(str(wrapper), memo=cache) == fresh and starts(log) == 2  # the good answer is back


def test_an_unusable_interpreter_is_not_remembered(tmp_path: Path) -> None:
    bad = tmp_path / "python"
    bad.write_text("#!/bin/sh\nexit 3\n")
    bad.chmod(0o755)
    with FactsCache.open(tmp_path / "cache") as cache:
        for _ in range(2):
            with pytest.raises(InterpreterError):
                query(str(bad), memo=cache)
        assert cache.get_runs([]) == {} and not list(cache._conn.execute("SELECT identity FROM runs"))


def test_a_warm_check_starts_no_interpreter(counted, tmp_path: Path) -> None:
    import subprocess

    wrapper, log = counted
    (tmp_path / "m.py").write_text("import json\njson.loads('1', 2)\n")
    argv = [sys.executable, "-m", "callgraph", "check", ".", "-q", "--cache-dir", str(tmp_path / "cache"),
            "--python", str(wrapper)]
    first = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    second = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == second.returncode == 1, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert starts(log) == 1
