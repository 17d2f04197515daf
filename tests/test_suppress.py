"""Suppression comments: `# callgraph: ignore[CODE]`, bare `# callgraph: ignore`, `# noqa: CODE`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from callgraph import collect
from callgraph.facts.suppress import suppressions


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"f()  # callgraph: ignore[CG102]", ((1, ("CG102",)),)),
        (b"f()  # callgraph: ignore", ((1, ()),)),
        (b"f()  #callgraph:ignore[ cg101 , CG2 ]", ((1, ("CG101", "CG2")),)),
        (b"f()  # callgraph: ignore[]", ((1, ()),)),
        (b"f()  # noqa: CG101", ((1, ("CG101",)),)),
        (b"f()  # noqa: E501, CG102", ((1, ("CG102",)),)),
        (b"f()  # noqa:CG101,CG103", ((1, ("CG101", "CG103")),)),
        (b"f()  # noqa", ()),  # a bare noqa belongs to other tools
        (b"f()  # noqa: E501", ()),
        (b"f()  # callgraph: ignored", ()),
        (b"f()  # callgraph: ignore-me", ()),
        (b"f()  # type: ignore", ()),
        (b"f()  # callgraph: ignore[CG101]  # noqa: CG102", ((1, ("CG101",)), (1, ("CG102",)))),
    ],
)
def test_comment_forms(line: bytes, expected: tuple) -> None:
    assert suppressions(line + b"\n") == expected


def test_lines_are_counted_as_python_counts_them() -> None:
    src = b"a = 1\r\nb = 2\rc()  # callgraph: ignore\nd = '''\n\n'''\ne()  # noqa: CG101\n"
    assert suppressions(src) == ((3, ()), (7, ("CG101",)))


def test_suppressions_are_facts() -> None:
    facts = collect("m", b"def f(a): ...\nf()  # callgraph: ignore[CG102]\n")
    assert facts.suppressions == ((2, ("CG102",)),)
    assert collect("m", b"def f(a): ...\nf()\n").suppressions == ()


def test_suppressions_survive_the_cache_encoding() -> None:
    serialize = pytest.importorskip("callgraph.facts.serialize")
    facts = collect("m", b"def f(a): ...\nf()  # callgraph: ignore[CG102, CG1]\ng()  # noqa: CG101\n")
    assert serialize.loads(serialize.dumps(facts)) == facts


SOURCE = """\
def f(a):
    return a

f()
f()  # callgraph: ignore[CG102]
f()  # callgraph: ignore[CG101]
f()  # callgraph: ignore
f()  # noqa: CG102
f()  # noqa
f()  # noqa: E501
f()  # callgraph: ignore[CG1]
f(
    1, 2)  # callgraph: ignore[CG101]
f(  # callgraph: ignore[CG101]
    1, 2)
"""


def check(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", "check", ".", *args], cwd=root, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "m.py").write_text(textwrap.dedent(SOURCE))
    return tmp_path


def test_only_the_named_code_on_the_reported_line_is_silenced(project: Path) -> None:
    proc = check(project, "--format", "json")
    assert proc.returncode == 1
    got = [(f["line"], f["code"]) for f in json.loads(proc.stdout)["findings"]]
    # line 4: no comment; 6: another code; 9: bare noqa; 10: another tool's code;
    # 12: the comment is on the call's last line, not its reported first line
    assert got == [(4, "CG102"), (6, "CG102"), (9, "CG102"), (10, "CG102"), (12, "CG101")]
    assert "suppressed" not in json.loads(proc.stdout)


def test_show_suppressed(project: Path) -> None:
    proc = check(project, "--show-suppressed", "--color", "never")
    assert proc.returncode == 1
    suppressed = [line for line in proc.stdout.splitlines() if line.endswith("(suppressed)")]
    assert [int(line.split(":")[1]) for line in suppressed] == [5, 7, 8, 11, 14]
    assert "5 findings (5 suppressed)" in proc.stderr
    doc = json.loads(check(project, "--format", "json", "--show-suppressed").stdout)
    assert [f["line"] for f in doc["suppressed"]] == [5, 7, 8, 11, 14]
    assert len(doc["findings"]) == 5
    plain = check(project)
    assert "(suppressed)" not in plain.stdout


def test_all_suppressed_exits_clean(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f(a): ...\nf()  # callgraph: ignore\nf(1, 2)  # noqa: CG101\n")
    proc = check(tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "0 findings (2 suppressed)" in proc.stderr


def test_redefinition_suppressed_on_the_later_def(tmp_path: Path) -> None:
    src = "def f(a): ...\ndef f(a, b): ...  # callgraph: ignore[CG201]\n"
    (tmp_path / "m.py").write_text(src)
    assert check(tmp_path).returncode == 0
    (tmp_path / "m.py").write_text(src.replace("  # callgraph: ignore[CG201]", ""))
    assert check(tmp_path).returncode == 1


def test_suppression_applies_to_the_call_site_not_the_definition(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f(a):  # callgraph: ignore\n    return a\n")
    (tmp_path / "b.py").write_text("from a import f\nf()\n")
    proc = check(tmp_path, "--format", "json")
    assert [(f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]] == [("b.py", 2)]


def test_suppressions_with_a_warm_cache(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = check(project, "--format", "json", "--cache-dir", str(cache))
    second = check(project, "--format", "json", "--cache-dir", str(cache))
    assert json.loads(first.stdout)["findings"] == json.loads(second.stdout)["findings"]
    assert len(json.loads(second.stdout)["findings"]) == 5


def test_unused_suppressions_are_cg900_only_when_asked(tmp_path) -> None:
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(
        "def f(a): pass\nf()  # callgraph: ignore[CG102]\nf(1)  # callgraph: ignore\nf(2)  # noqa: CG101\n"
    )
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "callgraph", "check", ".", *a], cwd=tmp_path, capture_output=True, text=True
    )
    quiet = run()
    assert quiet.returncode == 0 and quiet.stdout == ""
    loud = run("--warn-unused-ignores", "--format", "concise")
    assert loud.returncode == 1
    assert [line.split(" ")[0:2] for line in loud.stdout.splitlines()] == [["m.py:3:1:", "CG900"], ["m.py:4:1:", "CG900"]]
