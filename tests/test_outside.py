"""Outside modules: the standard library's and installed packages' .py files as call targets.

CPython is the oracle: every message is compared with the TypeError of the same call, executed
here (in the test process, on stdlib functions and on classes the test defines; never on analysed
code). Real virtual environments are built in tmp_path with two versions of a made-up package."""

from __future__ import annotations

import builtins
import dataclasses
import fnmatch
import json
import queue
import shlex
import string
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from callgraph import analyze_sources
from callgraph.environment.model import Environment
from callgraph.resolve.outside import BUILTIN_EXCEPTIONS, EXCEPTION_ALIASES
from callgraph.store.cache import FactsCache


def check(source: str, **options) -> list:
    options.setdefault("use_environment", True)
    project = analyze_sources([("m.py", "m", False, textwrap.dedent(source).encode())], **options)
    return project.findings()


def messages(source: str, **options) -> list[str]:
    return [f.message for f in check(source, **options)]


def raised(call) -> str:
    try:
        call()
    except TypeError as e:
        return str(e)
    raise AssertionError("no TypeError")


# -- builtin exception bases ----------------------------------------------------------------------


def _constructed_like_base_exception(exc: type) -> bool:
    sub = type("E", (exc,), {})
    try:
        sub()
        sub(1, 2, 3, 4, 5, 6)
    except Exception:
        return False
    try:
        sub("x", user="a")
    except TypeError as e:
        return str(e) == "E() takes no keyword arguments"
    return False


def test_builtin_exception_table_matches_the_running_interpreter() -> None:
    live = {
        name: obj
        for name, obj in vars(builtins).items()
        if isinstance(obj, type) and issubclass(obj, BaseException) and name not in EXCEPTION_ALIASES
    }
    plain = {name for name, exc in live.items() if _constructed_like_base_exception(exc)}
    assert set(BUILTIN_EXCEPTIONS) == plain
    for name in plain:
        base = live[name].__bases__
        assert (base[0].__name__ if base[0] is not object else None) == BUILTIN_EXCEPTIONS[name]
    assert all(getattr(builtins, a) is getattr(builtins, b) for a, b in EXCEPTION_ALIASES.items())


# Analysed as source and executed here (the oracle): one text, so the two cannot drift apart.
OUTSIDE_BASES = """\
import threading
class FetchError(Exception):
    pass
class HostError(Exception):
    def __init__(self, msg, *, host):
        super().__init__(msg)
class Poller(threading.Thread):
    def __init__(self, owner, interval):
        super().__init__()
"""
OUTSIDE_BASES_NS: dict = {}
exec(OUTSIDE_BASES, OUTSIDE_BASES_NS)  # the test's own classes, never analysed code


def test_outside_bases_speak_like_cpython() -> None:
    got = messages(
        OUTSIDE_BASES
        + textwrap.dedent(
            """
            FetchError("x", user="a")
            HostError("down")
            Poller(1)
            FetchError("x", 1, 2)
            HostError("down", host="h")
            """
        )
    )
    ns = OUTSIDE_BASES_NS
    assert got == [
        raised(lambda: ns["FetchError"]("x", user="a")),
        raised(lambda: ns["HostError"]("down")),
        raised(lambda: ns["Poller"](1)),
    ]


def test_mixed_or_unknown_exception_bases_stay_silent() -> None:
    assert messages(
        """
        class A(KeyError, OSError):
            pass
        class B(AttributeError):
            pass
        class C(ImportError):
            pass
        A("x", k=1)
        B("x", name="n")
        C("x", name="n")
        """
    ) == []


# -- calls into the standard library ---------------------------------------------------------------

STDLIB_CALLS = [
    ("json.loads('[]', 1)", lambda: json.loads("[]", 1)),
    ("textwrap.dedent()", lambda: textwrap.dedent()),
    ("shlex.split('a', True, False, 1)", lambda: shlex.split("a", True, False, 1)),
    ("fnmatch.fnmatch('a')", lambda: fnmatch.fnmatch("a")),
    ("dataclasses.replace()", lambda: dataclasses.replace()),
    ("json.dump({})", lambda: json.dump({})),
    ("queue.Queue(1, 2)", lambda: queue.Queue(1, 2)),
    ("string.Template()", lambda: string.Template()),
    ("threading.Thread(None, None, None, (), {}, 1)", lambda: threading.Thread(None, None, None, (), {}, 1)),
    ("json.JSONDecoder(1)", lambda: json.JSONDecoder(1)),
]


@pytest.mark.parametrize("text,call", STDLIB_CALLS, ids=[t for t, _ in STDLIB_CALLS])
def test_stdlib_call_message_is_cpythons(text: str, call) -> None:
    source = "import json, textwrap, shlex, fnmatch, dataclasses, queue, string, threading\n" + text + "\n"
    assert messages(source) == [raised(call)]


def test_no_environment_reads_nothing_outside() -> None:
    assert messages("import json\njson.loads('[]', 1)\n", use_environment=False) == []


def test_project_module_shadows_outside_module() -> None:
    project = analyze_sources(
        [
            ("json/__init__.py", "json", True, b"def loads(a, b, c):\n    pass\n"),
            ("m.py", "m", False, b"import json\njson.loads(1, 2, 3)\njson.loads(1)\n"),
        ],
        use_environment=True,
    )
    assert [f.message for f in project.findings()] == ["loads() missing 2 required positional arguments: 'b' and 'c'"]


# -- real virtual environments with a made-up package ------------------------------------------------

V1 = "def connect(host, port=80):\n    return host, port\n\nclass Retry:\n    def __init__(self, total=3, method_whitelist=None):\n        self.total = total\n"
V2 = "def connect(host, port=80, *, timeout=None):\n    return host, port\n\nclass Retry:\n    def __init__(self, total=3, allowed_methods=None):\n        self.total = total\n"
PROJECT = "from fakelib import Retry, connect\nRetry(total=3, method_whitelist=['GET'])\nconnect('h', 1, timeout=5)\n"


def make_venv(root: Path, version: str, init: str) -> Path:
    """A real virtual environment (no pip) with fakelib `version` installed as plain files."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    site = next(root.glob("lib/python3*/site-packages"))
    (site / "fakelib").mkdir()
    (site / "fakelib" / "__init__.py").write_text(init)
    meta = site / f"fakelib-{version}.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fakelib\nVersion: {version}\n")
    return root / "bin" / "python"


@pytest.fixture(scope="module")
def venvs(tmp_path_factory) -> tuple[Environment, Environment, Path]:
    root = tmp_path_factory.mktemp("venvs")
    one = Environment.local(make_venv(root / "one", "1.26", V1))
    two = Environment.local(make_venv(root / "two", "2.2", V2))
    return one, two, root


def test_the_same_call_binds_in_one_environment_and_fails_in_the_other(venvs) -> None:
    one, two, _ = venvs
    assert one.distribution("fakelib").version == "1.26" and two.distribution("fakelib").version == "2.2"
    namespace: dict = {}
    exec(V1, namespace)  # the made-up package's own code, written by this test
    v1 = [raised(lambda: namespace["connect"]("h", 1, timeout=5))]
    namespace = {}
    exec(V2, namespace)
    v2 = [raised(lambda: namespace["Retry"](total=3, method_whitelist=["GET"]))]
    assert messages(PROJECT, environment=one) == v1
    assert messages(PROJECT, environment=two) == v2


def test_run_state_follows_outside_changes(venvs, tmp_path: Path) -> None:
    """A warm run reuses findings only while every outside module read last time is unchanged."""
    one, _, root = venvs
    sources = [("m.py", "m", False, PROJECT.encode())]
    with FactsCache.open(tmp_path / "cache") as cache:
        _follows(cache, sources, one, root)


def _follows(cache: FactsCache, sources: list, one: Environment, root: Path) -> None:
    first = analyze_sources(sources, cache=cache, environment=one)
    assert [f.code.value for f in first.findings()] == ["CG103"]
    again = analyze_sources(sources, cache=cache, environment=one)
    assert again.reused == 1 and [f.code.value for f in again.findings()] == ["CG103"]
    init = next((root / "one").glob("lib/python3*/site-packages")) / "fakelib" / "__init__.py"
    init.write_text(V2)  # upgraded in place: same path, other bytes
    try:
        after = analyze_sources(sources, cache=cache, environment=one)
        assert after.reused == 0
        assert [f.message for f in after.findings()] == ["Retry.__init__() got an unexpected keyword argument 'method_whitelist'"]
    finally:
        init.write_text(V1)


def test_cli_python_option(venvs, tmp_path: Path) -> None:
    _, two, _ = venvs
    (tmp_path / "m.py").write_text(PROJECT)
    proc = subprocess.run(
        [sys.executable, "-m", "callgraph", "check", ".", "--format", "json", "--no-cache", "--python", two.executable],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert [f["code"] for f in json.loads(proc.stdout)["findings"]] == ["CG103"]
    proc = subprocess.run(
        [sys.executable, "-m", "callgraph", "check", ".", "--format", "json", "--no-cache", "--python", two.executable, "--no-environment"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
