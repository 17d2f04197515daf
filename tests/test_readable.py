"""Findings a user reads at a glance: source line and caret, the bound definition, did-you-mean.

The suggestions are data on the finding (made where the finding is made, checked by rebinding),
worded by the reporter; every hint shown here is proven by running the fixed call under CPython.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_render import validate

from callgraph import Code, Finding, Location
from callgraph.analysis.suggest import CUTOFF, close_match
from callgraph.facts.findings import FixKind, Suggestion
from callgraph.reports import render
from callgraph.reports.annotated import annotated, full_text
from callgraph.store.runs import _decode_finding, _encode_finding

MODULE = textwrap.dedent(
    """\
    def resize(image, width, height):
        return image


    def clamp(value, /, low, high):
        return value


    def conn(host, port, **kw):
        return host


    def box(width, widths):
        return width


    class D:
        def attempt(self, sql):
            return sql

        def attempt(self):
            return 0


    resize(None, width=640, heigth=480)
    x = clamp(value=5, low=0, high=10)
    conn("h", prot=5)
    D().attempt(1)
    box(1, widthz=2)
    """
)

EXPECTED = textwrap.dedent(
    """\
    a.py:21:5: CG201 D.attempt() is defined again with a different signature: (self, sql) becomes (self); the earlier body is dead and every call binds to the later one
       |
    21 |     def attempt(self):
       |     ^~~~~~~~~~~
       = note: the earlier definition (self, sql) is at a.py:18

    a.py:25:1: CG103 resize() got an unexpected keyword argument 'heigth'
       |
    25 | resize(None, width=640, heigth=480)
       | ^~~~~~
       = note: bound to a.resize(image, width, height), defined at a.py:1
       = help: did you mean 'height'?

    a.py:26:5: CG105 clamp() got some positional-only arguments passed as keyword arguments: 'value'
       |
    26 | x = clamp(value=5, low=0, high=10)
       |     ^~~~~
       = note: bound to a.clamp(value, /, low, high), defined at a.py:5
       = help: pass 'value' by position: drop 'value='

    a.py:27:1: CG102 conn() missing 1 required positional argument: 'port'
       |
    27 | conn("h", prot=5)
       | ^~~~
       = note: bound to a.conn(host, port, **kw), defined at a.py:9
       = help: did you mean 'port' instead of 'prot'?

    a.py:28:1: CG101 D.attempt() takes 1 positional argument but 2 were given
       |
    28 | D().attempt(1)
       | ^~~~~~~~~~~
       = note: bound to a.D.attempt(self), defined at a.py:21

    a.py:29:1: CG103 box() got an unexpected keyword argument 'widthz'
       |
    29 | box(1, widthz=2)
       | ^~~
       = note: bound to a.box(width, widths), defined at a.py:13
    """
)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args, "--no-cache"],
        cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": ""},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(MODULE)
    return tmp_path


def test_text_shows_the_line_the_caret_the_definition_and_the_suggestion(project: Path) -> None:
    proc = cli("check", ".", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout == EXPECTED  # `box(1, widthz=2)`: 'width' was given, 'widths' is the one left, no guess


def test_concise_keeps_the_one_line_form(project: Path) -> None:
    proc = cli("check", ".", "--format", "concise", cwd=project)
    assert proc.stdout.splitlines()[1] == "a.py:25:1: CG103 resize() got an unexpected keyword argument 'heigth' [a.resize]"
    assert len(proc.stdout.splitlines()) == 6


def test_every_hint_is_what_cpython_accepts() -> None:
    """Each suggested call, applied by hand, binds under the running interpreter (the oracle)."""
    ns: dict = {}
    exec(MODULE.split("\nresize(")[0], ns)
    with pytest.raises(TypeError, match="heigth"):
        ns["resize"](None, width=640, heigth=480)
    ns["resize"](None, width=640, height=480)
    with pytest.raises(TypeError, match="positional-only"):
        ns["clamp"](value=5, low=0, high=10)
    ns["clamp"](5, low=0, high=10)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'port'"):
        ns["conn"]("h", prot=5)
    ns["conn"]("h", port=5)


def test_json_and_sarif_carry_the_signature_and_the_suggestion(project: Path) -> None:
    doc = json.loads(cli("check", ".", "--format", "json", cwd=project).stdout)
    by_line = {f["line"]: f for f in doc["findings"]}
    assert by_line[25]["signature"] == "(image, width, height)"
    assert by_line[25]["suggestion"] == {
        "kind": "rename-keyword", "keywords": ["heigth"], "replacement": "height", "certain": True,
        "message": "did you mean 'height'?",
    }
    assert by_line[26]["suggestion"]["kind"] == "keyword-to-positional"
    assert by_line[21]["signature"] == "(self, sql)"  # the earlier def of a redefinition
    assert by_line[28]["suggestion"] is None

    sarif = json.loads(cli("check", ".", "--format", "sarif", cwd=project).stdout)
    validate(sarif)
    results = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in sarif["runs"][0]["results"]}
    related = results[25]["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == 1
    assert related["message"]["text"] == "bound to a.resize(image, width, height), defined at a.py:1"
    assert results[25]["properties"]["suggestion"]["replacement"] == "height"
    assert results[21]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 18


@pytest.mark.parametrize(
    ("word", "candidates", "expected"),
    [
        ("heigth", ["image", "height"], "height"),
        ("widht", ["width"], "width"),
        ("colour", ["color", "size"], "color"),
        ("sql", ["conn", "self"], None),  # nothing close
        ("widthz", ["width", "widths"], None),  # two close: no guess
        ("a", ["b"], None),
    ],
)
def test_close_match_is_unique_above_the_cutoff(word: str, candidates: list[str], expected: str | None) -> None:
    assert 0.5 < CUTOFF < 1
    assert close_match(word, candidates) == expected


def test_a_suggestion_is_uncertain_when_the_fixed_call_would_still_fail(tmp_path: Path) -> None:
    """`heigth` -> `height` is shown as a hint, but `fix` may not apply it: the call would still miss `depth`."""
    (tmp_path / "b.py").write_text("def f(width, height, depth):\n    pass\n\nf(1, heigth=2)\n")
    doc = json.loads(cli("check", ".", "--format", "json", cwd=tmp_path).stdout)
    (finding,) = doc["findings"]
    assert finding["suggestion"]["replacement"] == "height" and finding["suggestion"]["certain"] is False


def test_no_snippet_when_the_line_is_unknown_and_colour_only_when_asked() -> None:
    f = Finding(Code.CG101, "gone.py", 3, 1, "f() takes 0 positional arguments but 1 was given", "m.f", Location("m.py", 1), "()")
    assert annotated(f, None) == (
        "gone.py:3:1: CG101 f() takes 0 positional arguments but 1 was given\n"
        "   = note: bound to m.f(), defined at m.py:1"
    )
    assert "\x1b[" not in full_text([f], lambda p: ["f(1)"] * 3)
    assert "\x1b[" in full_text([f], lambda p: ["f(1)"] * 3, color=True)


def test_control_characters_in_the_source_line_keep_the_caret_aligned() -> None:
    f = Finding(Code.CG101, "a.py", 1, 10, "f() takes 0 positional arguments but 1 was given", span=1)
    out = annotated(f, ["\x1b[2J\tx = f(1)"])
    assert "\x1b" not in out
    line, caret = out.splitlines()[2:4]
    assert line.index("f") == caret.index("^")


def test_the_run_state_keeps_signature_suggestion_and_span() -> None:
    f = Finding(
        Code.CG103, "a.py", 3, 1, "m", "a.f", Location("a.py", 1), "(a, b)",
        Suggestion(FixKind.RENAME_KEYWORD, ("c",), "b", True), 7,
    )
    assert _decode_finding(json.loads(json.dumps(_encode_finding(f)))) == f


def test_markdown_and_github_are_unchanged_by_the_new_fields() -> None:
    f = Finding(Code.CG103, "a.py", 3, 1, "f() got an unexpected keyword argument 'c'", "a.f", None, "(a, b)")
    assert render.github([f]) == "::error file=a.py,line=3,col=1,title=CG103::f() got an unexpected keyword argument 'c' [a.f]"
