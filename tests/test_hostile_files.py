"""Hostile and odd files: a finding, a CG000 or a quiet note each, never a traceback or a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callgraph import collect

CASES: dict[str, tuple[bytes, str | None]] = {
    # name: (source, expected CG000 message prefix, or None when it must analyse cleanly)
    "python2": (b'print "hello"\n', "SyntaxError: Missing parentheses"),
    "newest grammar": (
        b"type Point[T] = tuple[T, T]\ndef f[T](x: T) -> T: return x\nmatch x:\n    case [a, *rest]: pass\n"
        b"try:\n    pass\nexcept* ValueError:\n    pass\n",
        None if sys.version_info >= (3, 12) else "SyntaxError: ",  # the running CPython's grammar decides
    ),
    "latin-1 cookie": (b'# -*- coding: latin-1 -*-\ns = "caf\xe9"\n', None),
    "bom": (b"\xef\xbb\xbfx = 1\n", None),
    "crlf": (b"def f(a):\r\n    pass\r\n", None),
    "mixed line endings": (b"def f(a):\r\n    pass\nx = 1\r", None),
    "nul byte": (b"x = 1\x00\n", "SyntaxError: source code string cannot contain null bytes"),
    "form feed": (b"\x0cdef f(a): pass\n\x0c\n", None),
    "empty": (b"", None),
    "binary": (bytes(range(256)) * 8, "SyntaxError"),
    "invalid utf-8": (b'x = "\xff\xfe"\n', "SyntaxError: (unicode error)"),
    "deep parentheses": (b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "SyntaxError: too many nested parentheses"),
    "deep calls": (b"x = " + b"f(" * 3000 + b"1" + b")" * 3000 + b"\n", "SyntaxError: too many nested parentheses"),
    "long operator chain": (b"x = " + b"+".join([b"a"] * 100000) + b"\n", "RecursionError"),
}


@pytest.mark.parametrize("source,error", CASES.values(), ids=list(CASES))
def test_collect_never_crashes(source: bytes, error: str | None) -> None:
    # In a subprocess: a C-level stack overflow would kill the test runner itself.
    code = (
        "import sys; from callgraph import collect\n"
        "f = collect('m', sys.stdin.buffer.read())\n"
        "print(f.error or '')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], input=source, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = proc.stdout.decode().strip()
    if error is None:
        assert out == ""
    else:
        assert out.startswith(error), out


def test_positions_with_non_ascii_text_before_the_call() -> None:
    facts = collect("m", 'x = "ééé"; f(1)\n'.encode())
    (call,) = facts.calls
    assert (call.line, call.column, call.callee_text, call.args_text) == (1, 12, "f", "(1)")


def test_bom_and_cookie_positions() -> None:
    assert collect("m", b"\xef\xbb\xbff(1)\n").calls[0].column == 1
    facts = collect("m", b'# -*- coding: latin-1 -*-\ns = "\xe9"; f(2)\n')
    assert (facts.calls[0].line, facts.calls[0].column, facts.calls[0].args_text) == (2, 10, "(2)")


def test_odd_tree(tmp_path: Path) -> None:
    (tmp_path / "with space.py").write_text("def f(a): pass\nf()\n")
    with open(os.fsencode(tmp_path) + b"/caf\xe9.py", "wb") as fh:
        fh.write(b"def g(a): pass\ng()\n")
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "dangling.py").symlink_to("nowhere.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")
    (tmp_path / "notes.py").mkdir()  # a directory named like a module file
    proc = subprocess.run(
        [sys.executable, "-m", "callgraph", "check", ".", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    assert proc.stdout.count(b'"code": "CG102"') == 2
