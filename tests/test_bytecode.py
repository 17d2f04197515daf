"""Remote bytecode: importlib's rules for which pyc runs, and the definitions its code objects prove.

The reader is differential-tested: each definition below is compiled by every pyenv interpreter
(3.8 to 3.13), read back in a bounded process, and its stub's signature must equal the source's
as `ast` reads it; calls against the stub bind exactly as CPython binds them against the real
function (the test's own source, run here; never the analysed code)."""

from __future__ import annotations

import glob
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from probes import remote_imports
from probes.bytecode import read_pycs, signature_table, stub_source

SOURCE = '''\
import os
def plain(a, b): pass
def defaults(a, b=1, c=None): pass
def posonly(a, b, /, c, d=1): pass
def kwonly(a, *, b, c=2): pass
def everything(a, b=1, /, c=2, *args, d, e=3, **kw): pass
def mutable(x=[], y={}, z=os.sep): pass
def kwexpr(*, a=os.sep, b=len("ab")): pass
async def coroutine(a, *, b=1): pass
class Base:
    def method(self, a, b=2): pass
    class Inner:
        def deep(self, *, z): pass
class Child(Base):
    def __init__(self, k, *rest): pass
def twice(a): pass
def twice(a, b): pass
'''
PYTHONS = sorted(p for p in glob.glob("/root/.pyenv/versions/3.*/bin/python")
                 if Path(p).is_file() and int(p.split("/versions/3.")[1].split(".")[0]) >= 8)  # `/` needs 3.8


def _compile(python: str, source: str, tmp_path: Path, mode: str = "TIMESTAMP") -> bytes:
    src, pyc = tmp_path / "mod.py", tmp_path / "mod.pyc"
    src.write_text(source)
    code = (f"import py_compile; py_compile.compile({str(src)!r}, cfile={str(pyc)!r}, doraise=True, "
            f"invalidation_mode=py_compile.PycInvalidationMode.{mode})")
    subprocess.run([python, "-c", code], check=True, timeout=60)
    return pyc.read_bytes()


@pytest.mark.parametrize("python", PYTHONS or [sys.executable])
def test_bytecode_definitions_equal_the_source_s(python: str, tmp_path: Path) -> None:
    (facts,) = read_pycs([_compile(python, SOURCE, tmp_path)])
    assert facts.error is None and facts.stub is not None, facts.error
    stub, source = signature_table(facts.stub), signature_table(SOURCE.encode())
    assert stub is not None and source is not None
    source.pop("twice")  # bound twice: the reader leaves it unknown
    assert stub == source
    assert b"from _callgraph_unknown_ import twice" in facts.stub


def _bind_all(namespace: dict, calls: list[tuple[str, tuple, dict]]) -> list[str | None]:
    out = []
    for name, args, kwargs in calls:
        fn = namespace[name]
        try:
            inspect.signature(fn).bind(*args, **kwargs)
            out.append(None)
        except TypeError as exc:
            out.append(type(exc).__name__)
    return out


def test_calls_bind_against_the_stub_as_against_the_real_functions(tmp_path: Path) -> None:
    (facts,) = read_pycs([_compile(sys.executable, SOURCE, tmp_path)])
    real: dict = {}
    exec(compile(SOURCE, "real", "exec"), real)  # the test's own source: the oracle
    stub: dict = {"__name__": "stub"}
    text = facts.stub.decode().replace("from _callgraph_unknown_ import base as _callgraph_unknown__base", "")
    text = text.replace("(_callgraph_unknown__base)", "").replace("from _callgraph_unknown_ import twice", "")
    exec(compile(text.replace("...", "None"), "stub", "exec"), stub)
    calls = [("plain", (1,), {}), ("plain", (1, 2), {}), ("defaults", (1, 2, 3, 4), {}), ("posonly", (1,), {"b": 2}),
             ("posonly", (1, 2, 3), {}), ("kwonly", (1,), {}), ("kwonly", (1,), {"b": 2}),
             ("everything", (1, 2, 3, 4), {"d": 1}), ("everything", (1,), {}), ("mutable", (1, 2, 3, 4), {}),
             ("kwexpr", (), {"a": 1, "b": 2}), ("kwexpr", (1,), {}), ("coroutine", (1,), {"c": 1})]
    assert _bind_all(stub, calls) == _bind_all(real, calls)


@pytest.mark.parametrize("data, error", [
    (b"\x00\x01", "no interpreter of that Python version here"),
    (importlib.util.MAGIC_NUMBER + b"\0" * 4, "shorter than its 16-byte header"),
    (importlib.util.MAGIC_NUMBER + b"\0" * 12 + b"\xff" * 8, "bad marshal data"),
    (importlib.util.MAGIC_NUMBER + b"\0" * 12 + b"\xe9\x01\x00\x00\x00", "not a code object"),
    (importlib.util.MAGIC_NUMBER + b"\0" * 12 + b"[" + b"\xff\xff\xff\x7f", "bad marshal data"),  # a 2**31 list
])
def test_a_bad_pyc_is_an_error_never_a_crash(data: bytes, error: str) -> None:
    (facts,) = read_pycs([data])
    assert facts.stub is None and error in (facts.error or ""), facts.error


def test_a_malformed_reading_renders_no_stub() -> None:
    with pytest.raises(ValueError):
        stub_source([{"scope": [], "kind": "def", "name": "os.system", "sig": {}}])
    with pytest.raises(ValueError):
        stub_source([{"scope": [], "kind": "def", "name": "f", "sig": {
            "names": ["a"], "argcount": 1, "posonly": 0, "kwonly": 0, "ndefaults": 2, "kwdefaults": []}}])


# -- importlib's rules: which pyc runs -------------------------------------------------------------


def _state(tmp_path: Path, pyc_source: str, source: str, mode: str = "TIMESTAMP", same_stat: bool = True) -> dict:
    data = _compile(sys.executable, pyc_source, tmp_path, mode)
    src = tmp_path / "mod.py"
    stat = src.stat()
    src.write_text(source)
    if same_stat:
        import os

        os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return remote_imports.pyc_state(str(src), str(tmp_path / "mod.pyc"), data, src.read_bytes)


OLD, NEW = "def f(a): pass\n", "def f(b): pass\n"


def test_timestamp_pyc_runs_when_mtime_and_size_match(tmp_path: Path) -> None:
    state = _state(tmp_path, OLD, NEW)
    assert state["kind"] == "timestamp" and state["used"] and state["same_as_source"] is False
    assert state["recorded"] == state["source_stat"]


def test_timestamp_pyc_is_recompiled_when_the_size_differs(tmp_path: Path) -> None:
    state = _state(tmp_path, OLD, NEW + "\n")
    assert state["kind"] == "timestamp" and not state["used"]


def test_unchecked_hash_pyc_runs_whatever_the_source(tmp_path: Path) -> None:
    state = _state(tmp_path, OLD, NEW + "# more\n", "UNCHECKED_HASH", same_stat=False)
    assert state["kind"] == "unchecked-hash" and state["used"] and state["same_as_source"] is False


def test_checked_hash_pyc_runs_only_for_its_source(tmp_path: Path) -> None:
    stale = _state(tmp_path, OLD, NEW, "CHECKED_HASH", same_stat=False)
    assert stale["kind"] == "checked-hash" and not stale["used"]
    fresh = _state(tmp_path, OLD, OLD, "CHECKED_HASH", same_stat=False)
    assert fresh["used"] and fresh["same_as_source"] is True


def test_sourceless_pyc_of_another_version_fails_the_import(tmp_path: Path) -> None:
    data = b"\x00\x00\r\n" + _compile(sys.executable, OLD, tmp_path)[4:]
    state = remote_imports.pyc_state(None, str(tmp_path / "mod.pyc"), data, lambda: None)
    assert state["kind"] == "invalid" and not state["used"] and "ImportError" in state["why"]


# -- the remote's answer is untrusted ----------------------------------------------------------------


def _doc(**pyc) -> dict:
    import base64
    import hashlib

    data = b"\x00" * 20
    row = {"path": "pkg/rates.py", "pyc": "/srv/pkg/rates.pyc", "role": "sourceless", "kind": "timestamp",
           "used": True, "why": "no source", "magic": "00000000", "pyc_size": 20,
           "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode()}
    return {"bytecode": [{**row, **pyc}], "startup": {"pth_imports": [
        {"file": "/venv/site/a.pth", "line": 1, "text": "import x", "kind": "import", "paths": ["rel", "/ok", 3]}]}}


def test_import_evidence_is_validated() -> None:
    from probes.import_evidence import check_imports
    from probes.probe import Limits, ProbeError, _Budget

    ev = check_imports(_doc(), _Budget(Limits()), "remote")
    assert ev is not None and ev.bytecode[0].data == b"\x00" * 20
    assert ev.pth_lines[0].paths == ("/ok",)  # a path that is no absolute path: left out, never trusted
    for bad in ({"path": "../escape.py"}, {"role": "exec"}, {"sha256": "0" * 64}, {"pyc": "relative.pyc"},
                {"used": "yes"}, {"data": "not base64!"}):
        with pytest.raises(ProbeError):
            check_imports(_doc(**bad), _Budget(Limits()), "remote")
    with pytest.raises(ProbeError):  # bytes count against the probe's limits
        check_imports(_doc(), _Budget(Limits(max_total_bytes=10)), "remote")
