"""C functions' words: calls of a safe list of pure builtins, C functions and methods of builtin types
with wrong shapes, executed (in this process, and under every pyenv interpreter on the machine),
against the message callgraph predicts from typeshed's stubs. Each prediction must equal CPython's
exactly, or say `(message not verified)`; never invented words presented as CPython's.

Only these literal expressions are executed: never analysed code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from callgraph.analysis.checks import _call_finding
from callgraph.environment.model import Environment
from callgraph.facts.collector import collect
from callgraph.facts.source import SourceFile
from callgraph.resolve.calls import ResolvedCall
from callgraph.resolve.index import Index
from callgraph.resolve.native import NOT_VERIFIED, VERIFIED
from callgraph.resolve.resolver import Resolver
from callgraph.store.outside import EnvironmentModules

# Pure calls with wrong shapes: argument checking fails before anything runs.
CASES = [
    "len(1, 2)", "len()", "len(x=1)", "abs(1, 2)", "abs()", "divmod(1)", "divmod(1, 2, 3)", "divmod(1, b=2)",
    "repr(1, 2)", "hash()", "id(1, 2)", "chr(x=1)", "ord()", "isinstance(1)", "issubclass(int)", "getattr(1)",
    "getattr(1, 'a', 2, 3)", "round(1, 2, 3)", "round(1, nd=2)", "pow(1)", "pow(1, 2, 3, 4)", "callable()", "hex(1, 2)",
    "oct()", "bin(x=1)", "print(1, sepp=2)", "print(1, sep='', flush=True, x=1)", "sorted()", "max()", "min(key=len)",
    "'a'.split(',', 1, 2)", "'a'.split(x=1)", "'a'.split(',', sep=',')", "'a'.rsplit(1, 2, 3)", "'a'.join()",
    "'a'.join(1, 2)", "'a'.join(x=1)", "'a'.upper(1)", "'a'.lower(x=1)", "'a'.strip(1, 2)", "'a'.encode(1, 2, 3)",
    "'a'.encode(x=1)", "'a'.format_map()", "'a'.splitlines(1, 2)", "'a'.startswith()", "'a'.replace('a')",
    "'a'.count()", "b'a'.decode(1, 2, 3)", "{}.get()", "{}.get(1, 2, 3)", "{}.get(1, default=2)", "{}.pop()",
    "{}.setdefault()", "{}.copy(1)", "{}.keys(1)", "{}.items(x=1)", "{}.values(1)", "[].append(1, 2)", "[].append()",
    "[].copy(1)", "[].copy(x=1)", "[].insert(1)", "[].index()", "[].extend()", "[].remove(1, 2)", "[].clear(1)",
    "set().add()", "set().discard(1, 2)", "(1).to_bytes(1, 'big', 1, 2)", "(1).to_bytes(1, 'big', x=1)",
    "(1).bit_length(1)", "math.sqrt(1, 2)", "math.sqrt(x=1)", "math.floor()", "math.pow(1)", "math.isclose(1)",
    "math.isclose(1, 2, 3)", "math.isclose(1, 2, x=1)", "math.exp(1, 2)", "math.log(1, 2, 3)",
]
PYENV = "/root/.pyenv/versions"
RUNNER = """
import json, math, sys
out = {}
for expr in json.loads(sys.argv[1]):
    try:
        eval(expr)
        out[expr] = None
    except TypeError as e:
        out[expr] = str(e)
print(json.dumps(out))
"""


def actual(python: str) -> dict[str, str | None]:
    done = subprocess.run([python, "-I", "-S", "-c", RUNNER, json.dumps(CASES)], capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout)


def predictions(env: Environment) -> dict[str, tuple[str, str] | None]:
    """Each case's predicted (message, target) from the stubs; None when callgraph stays silent."""
    source = "import math\n" + "\n".join(CASES) + "\n"
    facts = collect("m", source.encode())
    index = Index([SourceFile("m.py", "m", facts)], EnvironmentModules(env))
    resolver = Resolver(index)
    out: dict[str, tuple[str, str] | None] = {}
    outer: dict[int, object] = {}
    for call in facts.calls:  # the outermost call of each line: `set().add()` is `.add`, not `set()`
        if call.line > 1 and len(call.callee_text) >= len(getattr(outer.get(call.line), "callee_text", "")):
            outer[call.line] = call
    for line, expr in enumerate(CASES, start=2):
        call = outer[line]
        res = resolver.resolve_call("m", call)
        found = None
        if res.complete and res.targets:
            rc = ResolvedCall("m.py", "m", call, res)
            found = _call_finding(rc, res.targets, lambda t: None)
        out[expr] = (found.message, found.target) if found is not None else None
    return out


def compare(python: str) -> tuple[int, int, int, list[str]]:
    """(exact, marked, silent, problems) for one interpreter."""
    env = Environment.local(python)
    want = actual(python)
    got = predictions(env)
    exact = marked = silent = 0
    problems = []
    for expr in CASES:
        p = got[expr]
        if p is None:
            silent += 1
            continue
        message, target = p
        if want[expr] is None:
            problems.append(f"{expr}: predicted {message!r}, but it binds")
        elif message == want[expr]:
            exact += 1
            if target not in VERIFIED:
                problems.append(f"{expr}: exact words for {target}, which VERIFIED does not list")
        elif message.endswith(NOT_VERIFIED):
            marked += 1
        else:
            problems.append(f"{expr}: predicted {message!r}, CPython says {want[expr]!r}")
    return exact, marked, silent, problems


def test_running_interpreter_words():
    exact, marked, silent, problems = compare(sys.executable)
    assert not problems, "\n".join(problems)
    assert exact >= 65 and silent <= 2, (exact, marked, silent)  # README: 71 exact, 7 marked, 2 silent of 80


@pytest.mark.parametrize("version", ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"])
def test_pyenv_interpreter_words(version):
    python = f"{PYENV}/{version}/bin/python"
    if not os.path.exists(python):
        pytest.skip(f"{python} is not on this machine")
    exact, marked, silent, problems = compare(python)
    assert not problems, "\n".join(problems)


FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "stubs", "app", "errors.py")


def test_fixture_markers_are_cpython_errors():
    """Every `# expect:` line of fixtures/stubs is a statement that raises TypeError when executed
    here (they are literal calls of pure builtins, written for this test)."""
    import math as _math

    lines = [line.split("#")[0].strip() for line in open(FIXTURE, encoding="utf-8") if "# expect:" in line]
    assert len(lines) >= 19
    namespace = {"math": _math, "text": "a b", "items": [], "table": {"a": 1}}
    for statement in lines:
        with pytest.raises(TypeError):
            exec(statement, namespace)


# Python functions' words by target version: analysed as source, and executed (the same text,
# written by this test) under that version's interpreter.
PY_PATTERN = '''
class Retry:
    def __init__(self, total=0, *, backoff=1):
        pass

    def m(self, a, /, b):
        pass


def f(a, b, *, c):
    pass


Retry(method_whitelist=1)
Retry(1, 2)
Retry(1, total=2)
Retry().m(1)
Retry().m(a=1, b=2)
f(1)
f(1, 2, 3, c=1)
"a".join(1, 2)
[].copy(1)
'''


@pytest.mark.parametrize("version", ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"])
def test_python_function_words_follow_the_target(version, tmp_path):
    python = f"{PYENV}/{version}/bin/python"
    if not os.path.exists(python):
        pytest.skip(f"{python} is not on this machine")
    lines = [line for line in PY_PATTERN.strip().splitlines()]
    calls = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith((" ", "class", "def"))]
    runner = PY_PATTERN.split("\n\nRetry(")[0] + "\nimport json, sys\nout = {}\nfor n, c in json.loads(sys.argv[1]):\n" \
        "    try:\n        eval(c)\n    except TypeError as e:\n        out[n] = str(e)\nprint(json.dumps(out))\n"
    done = subprocess.run([python, "-I", "-S", "-c", runner, json.dumps(calls)], capture_output=True, text=True, timeout=60)
    want = {int(k): v for k, v in json.loads(done.stdout).items()}
    (tmp_path / "p.py").write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, "-m", "callgraph", "check", str(tmp_path), "--format", "json", "--no-cache",
                          "--python", python], capture_output=True, text=True, timeout=300)
    got = {f["line"]: f["message"] for f in json.loads(out.stdout)["findings"]}
    assert set(got) == set(want), (got, want)
    for line, message in got.items():
        assert message == want[line] or (message.endswith(NOT_VERIFIED) and want[line].startswith(message.removesuffix(NOT_VERIFIED))), (line, message, want[line])


@pytest.mark.parametrize(
    ("version", "platform", "kept"),
    [((3, 9), "linux", "old"), ((3, 12), "linux", "new"), ((3, 12), "win32", "windows"), ((3, 10), "darwin", "new")],
)
def test_stub_branches_are_decided_for_the_target(version, platform, kept):
    from callgraph.environment.stubs import prune

    stub = b"""import sys
if sys.platform == "win32":
    def windows(): ...
elif sys.version_info >= (3, 10) and sys.platform != "win32":
    def new(): ...
else:
    def old(): ...
if sys.platform.startswith("linux") or unknown():
    def either(): ...
"""
    text = prune(stub, version, platform).decode()
    names = {n for n in ("windows", "new", "old") if f"def {n}(" in text}
    assert names == {kept}
    assert "def either(" in text  # a condition we cannot evaluate keeps its branch


def test_runtime_signature_replaces_every_overload():
    from callgraph.environment.stubs import prune

    stub = b"""from typing import overload
@overload
def adapt(obj, proto, /): ...
@overload
def adapt(obj, proto, alt, /): ...
class C:
    def m(self, a): ...
"""
    runtime = {"adapt": [("obj", 0, False), ("proto", 0, True), ("alt", 0, True)], "C.m": [("self", 0, False), ("a", 0, False), ("b", 1, True)]}
    text = prune(stub, (3, 11), "linux", runtime).decode()
    assert text.count("def adapt(") == 1 and "def adapt(obj, proto=..., alt=..., /)" in text
    assert "def m(self, a, /, b=...)" in text
