"""Compile-time errors are CG000 (issue 16, item 7): files CPython parses but will not compile.

CPython is the oracle: each pattern is compiled here by the running interpreter (compiled, never
run), and the finding must carry its exact message, line and column. Deeply nested code the
interpreter does compile is never CG000, whatever the stack depth we happen to collect it at.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from callgraph import collect

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "compile_errors"

# name: source that ast.parse accepts and compile() rejects
PATTERNS: dict[str, str] = {
    "return outside function": "def f(a):\n    return a\n\nreturn f(1)\n",
    "return in class body": "class C:\n    return 1\n",
    "return in dead code": "if 0:\n    return 1\n",
    "keyword repeated in call": "def f(a):\n    pass\n\nf(a=1, a=2)\nf()\n",
    "keyword repeated in class": "class C(a=1, a=2):\n    pass\n",
    "nonlocal at module level": "nonlocal x\n",
    "nonlocal without binding": "def f():\n    nonlocal x\n",
    "nonlocal and global": "def f():\n    x = 1\n    def g():\n        global x\n        nonlocal x\n",
    "annotated nonlocal": "def f():\n    x = 1\n    def g():\n        nonlocal x\n        x: int = 1\n",
    "break outside loop": "break\n",
    "continue outside loop": "def f():\n    continue\n",
    "await outside function": "await x\n",
    "await in plain function": "def f():\n    await g()\n",
    "await in lambda": "async def f():\n    g = lambda: await x\n",
    "async comprehension outside async": "def f():\n    return [x async for x in y]\n",
    "yield outside function": "yield 1\n",
    "yield in comprehension": "def f():\n    return [(yield x) for x in y]\n",
    "return value in async generator": "async def f():\n    yield 1\n    return 2\n",
    "duplicate argument": "def f(a, b, a):\n    pass\n",
    "duplicate keyword-only argument": "def f(a, *, b, **a):\n    pass\n",
    "duplicate lambda argument": "g = lambda a, a: 0\n",
    "starred expression alone": "*a\n",
    "two starred targets": "a, *b, *c = d\n",
    "starred target alone": "*a = b\n",
    "future import late": "import os\nfrom __future__ import annotations\n",
    "future braces": "from __future__ import braces\n",
    "unknown future feature": "from __future__ import nope\n",
    "global after assignment": "def f():\n    x = 1\n    global x\n",
    "parameter declared global": "def f(a):\n    global a\n",
    "import star in function": "def f():\n    from os import *\n",
    "default except not last": "try:\n    pass\nexcept:\n    pass\nexcept ValueError:\n    pass\n",
    "walrus in comprehension iterable": "[x for x in (y := [1])]\n",
    "walrus rebinds comprehension variable": "[i := 0 for i in range(3)]\n",
    "assign to __debug__": "__debug__ = 1\n",
    "irrefutable case first": "match x:\n    case a:\n        pass\n    case 1:\n        pass\n",
    "name bound twice in pattern": "match x:\n    case [a, a]:\n        pass\n",
    "duplicate mapping key": "match x:\n    case {'a': 1, 'a': 2}:\n        pass\n",
    "non-ascii before the error": 'x = "ééé"; return 1\n',
}


# name: source the parser or tokenizer itself rejects (libcst may still read it): CG000 all the same
PARSER_PATTERNS: dict[str, bytes] = {
    "NUL byte in a comment": b"def f(a):\n    pass\nf(1, 2)  # \x00\n",
    "non-ASCII bytes literal": 'def f(a):\n    pass\nx = b"\u00e9"\nf(1, 2)\n'.encode(),
    "unknown \\N name": b'def f(a):\n    pass\nx = "\\N{NOT A REAL NAME}"\nf(1, 2)\n',
    "5000-digit int literal": b"def f(a):\n    pass\nx = " + b"1" * 5000 + b"\nf(1, 2)\n",
    "backslash in f-string expression": b'def f(a):\n    pass\nx = f"{\'\\n\'.join(y)}"\nf(1, 2)\n',
    "type parameters": b"def f[T](a):\n    pass\nf(1, 2)\n",
}


@pytest.mark.parametrize("source", PARSER_PATTERNS.values(), ids=list(PARSER_PATTERNS))
def test_parser_error_is_cg000_in_cpythons_words(source: bytes) -> None:
    try:
        compile(source, "<module>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as err:
        expected = err
    else:
        pytest.skip("this interpreter parses it")
    facts = collect("m", source)
    assert facts.error == f"SyntaxError: {expected.msg}"
    assert (facts.error_line, facts.error_column) == (expected.lineno or 1, expected.offset or 1)
    assert facts.calls == () and facts.functions == ()


def cpython_verdict(source: bytes) -> SyntaxError:
    """The running interpreter's own error for a source it parses but will not compile."""
    ast.parse(source)  # parses: the error is the compiler's
    try:
        compile(source, "<module>", "exec", dont_inherit=True)
    except SyntaxError as err:
        return err
    raise AssertionError("CPython compiles it")


def char_column(source: bytes, line: int, byte_offset: int) -> int:
    text = source.decode("utf-8").splitlines()[line - 1]
    return len(text.encode("utf-8")[: byte_offset - 1].decode("utf-8")) + 1


@pytest.mark.parametrize("source", PATTERNS.values(), ids=list(PATTERNS))
def test_compile_error_is_cg000_in_cpythons_words(source: str) -> None:
    data = source.encode()
    err = cpython_verdict(data)
    facts = collect("m", data)
    assert facts.error == f"SyntaxError: {err.msg}"
    assert (facts.error_line, facts.error_column) == (err.lineno, char_column(data, err.lineno, err.offset))
    assert facts.calls == () and facts.functions == ()  # nothing of it is checked as if it could run


def test_keyword_repeated_is_not_cg104() -> None:
    facts = collect("m", b"def f(a):\n    pass\n\nf(a=1, a=2)\n")
    assert facts.error == "SyntaxError: keyword argument repeated: a"


def test_fixture_markers_are_cpythons_errors() -> None:
    """Each `# expect: CG000` in the fixture is where the running CPython's compiler stops."""
    files = sorted(FIXTURE.rglob("*.py"))
    marked = 0
    for path in files:
        data = path.read_bytes()
        lines = [n for n, text in enumerate(data.decode().splitlines(), 1) if "# expect: CG000" in text]
        if not lines:
            continue
        marked += 1
        assert lines == [cpython_verdict(data).lineno], path.name
    assert marked >= 12


def deep_chain(n: int) -> bytes:
    return ("x = a" + ".b" * n + "\n").encode()


def collect_at_depth(depth: int, source: bytes):
    return collect("m", source) if depth == 0 else collect_at_depth(depth - 1, source)


@pytest.mark.parametrize("n", [2970, 2990])
@pytest.mark.parametrize("depth", [0, 200, 600])
def test_deep_code_cpython_compiles_is_never_cg000(n: int, depth: int) -> None:
    source = deep_chain(n)
    proc = subprocess.run([sys.executable, "-c", "import sys; compile(sys.stdin.buffer.read(), 'm', 'exec')"],
                          input=source, capture_output=True, timeout=60)
    assert proc.returncode == 0  # a fresh interpreter compiles it at its top level
    facts = collect_at_depth(depth, source)
    assert facts.error is None and facts.unsupported  # too deep for us: a note, unknown, silent


def test_deep_code_cpython_rejects_stays_cg000_at_any_depth() -> None:
    source = deep_chain(6000)
    proc = subprocess.run([sys.executable, "-c", "import sys; compile(sys.stdin.buffer.read(), 'm', 'exec')"],
                          input=source, capture_output=True, timeout=60)
    assert b"RecursionError" in proc.stderr
    verdicts = {collect_at_depth(depth, source).error for depth in (0, 300)}
    assert len(verdicts) == 1 and verdicts.pop().startswith("RecursionError: maximum recursion depth exceeded")


def test_recursion_limit_is_restored() -> None:
    before = sys.getrecursionlimit()
    collect("m", deep_chain(6000))
    collect("m", b"return 1\n")
    assert sys.getrecursionlimit() == before


def test_cli_reports_compile_errors_and_not_the_deep_chain() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "callgraph", "check", ".", "--format", "json", "--no-cache"],
        cwd=FIXTURE, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    by_path = {f["path"]: f for f in findings}
    assert "app/deep_attribute_chain.py" not in by_path
    assert by_path["app/keyword_repeated.py"]["code"] == "CG000"
    assert by_path["app/keyword_repeated.py"]["message"] == "SyntaxError: keyword argument repeated: to"
    assert not [f for f in findings if f["code"] == "CG104"]
