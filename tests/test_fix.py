"""`callgraph fix`: before/after pairs, a re-check showing each finding gone, and the calls it
must leave alone. Each fixed module is then executed under CPython (the oracle): every call binds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from callgraph.analysis.fix import Edit, apply_edits
from callgraph.facts.findings import FixKind, Suggestion


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args, "--no-cache"],
        cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
    )


D = textwrap.dedent

PAIRS = {
    "keyword-typo-with-comments": (
        D("""\
            def resize(image, width, height):
                return image


            resize(None,  # the image
                   width=640,
                   heigth = 480,  # typo kept as comment
            )
            """),
        D("""\
            def resize(image, width, height):
                return image


            resize(None,  # the image
                   width=640,
                   height = 480,  # typo kept as comment
            )
            """),
    ),
    "positional-only-by-keyword": (
        "def clamp(value, /, low, high):\n    return value\n\n\nx = clamp(value=5, low=0, high=10)\n",
        "def clamp(value, /, low, high):\n    return value\n\n\nx = clamp(5, low=0, high=10)\n",
    ),
    "method-positional-only": (
        "class C:\n    def m(self, a, b, /, c):\n        return a\n\n\nC().m(a=1, b=2, c=3)\n",
        "class C:\n    def m(self, a, b, /, c):\n        return a\n\n\nC().m(1, 2, c=3)\n",
    ),
    "missing-argument-under-a-near-name": (
        'def connect(host, port, **options):\n    return host\n\n\nconnect("db", prot=5432, ssl=True)\n',
        'def connect(host, port, **options):\n    return host\n\n\nconnect("db", port=5432, ssl=True)\n',
    ),
    "positional-only-swallowed-by-kwargs": (
        "def emit(event, /, **fields):\n    return event\n\n\nemit(event='start', user='ada')\n",
        "def emit(event, /, **fields):\n    return event\n\n\nemit('start', user='ada')\n",
    ),
    "crlf-newlines-kept": (
        "def f(colour):\r\n    return colour\r\n\r\n\r\nf(color=1)\r\n",
        "def f(colour):\r\n    return colour\r\n\r\n\r\nf(colour=1)\r\n",
    ),
}

UNCHANGED = {
    # the rename would still miss `depth`: a hint, never an edit
    "still-missing-after-rename": "def f(width, height, depth):\n    return 0\n\n\nf(1, heigth=2)\n",
    # two parameters are close to the keyword: no guess
    "two-close-names": "def box(width, widths):\n    return 0\n\n\nbox(1, widthz=2)\n",
    # the positional-only keyword is not where its position is
    "positional-only-out-of-place": "def clamp(value, /, low, high):\n    return 0\n\n\nclamp(low=0, value=5, high=10)\n",
    # nothing close at all
    "unrelated-keyword": "def f(sql):\n    return 0\n\n\nf(conn=1)\n",
    # **kwargs in the call: the call is never reported, never changed
    "double-star": "def f(width):\n    return 0\n\n\nf(**{'widht': 1})\n",
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_fix_writes_the_after_and_the_finding_is_gone(tmp_path: Path, name: str) -> None:
    before, after = PAIRS[name]
    module = tmp_path / "m.py"
    module.write_bytes(before.encode())
    assert cli("check", ".", cwd=tmp_path).returncode == 1
    diff = cli("fix", ".", cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert diff.stdout.startswith("--- a/m.py\n+++ b/m.py\n")
    assert module.read_bytes() == before.encode()  # a diff only, until --write
    wrote = cli("fix", ".", "--write", cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert "callgraph fix: 1 fix in 1 file applied" in wrote.stderr
    assert module.read_bytes() == after.encode()
    recheck = cli("check", ".", "--format", "json", cwd=tmp_path)
    assert recheck.returncode == 0 and json.loads(recheck.stdout)["findings"] == []
    exec(compile(after, "m.py", "exec"), {})  # CPython binds every call of the fixed module
    assert cli("fix", ".", cwd=tmp_path).returncode == 0  # nothing left to fix


def test_the_diff_applies_with_git(tmp_path: Path) -> None:
    before, after = PAIRS["keyword-typo-with-comments"]
    (tmp_path / "m.py").write_text(before)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    diff = cli("fix", cwd=tmp_path).stdout
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=diff, text=True, check=True)
    assert (tmp_path / "m.py").read_text() == after


@pytest.mark.parametrize("name", sorted(UNCHANGED))
def test_fix_leaves_what_it_cannot_prove(tmp_path: Path, name: str) -> None:
    source = UNCHANGED[name]
    (tmp_path / "m.py").write_text(source)
    proc = cli("fix", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "m.py").read_text() == source
    assert proc.stderr.startswith("callgraph fix: 0 fixes in 0 files")


def test_an_edit_whose_call_changed_since_is_skipped() -> None:
    rename = Suggestion(FixKind.RENAME_KEYWORD, ("heigth",), "height", True)
    src = b"f(1, height=2)\n"  # already fixed by hand: the keyword is gone
    result = apply_edits(src, [Edit(1, 1, rename)])
    assert result.data == src and result.applied == () and len(result.skipped) == 1
    # two calls start at 1:1 (`g(heigth=1)(heigth=2)`): which one the finding meant is unknown
    src = b"g(heigth=1)(heigth=2)\n"
    assert apply_edits(src, [Edit(1, 1, rename)]).data == src
    # a file that no longer parses is left as it is
    assert apply_edits(b"f(1, heigth=2\n", [Edit(1, 1, rename)]).data == b"f(1, heigth=2\n"


def test_suppressed_findings_are_not_fixed(tmp_path: Path) -> None:
    source = "def f(height):\n    return 0\n\n\nf(heigth=1)  # callgraph: ignore[CG103]\n"
    (tmp_path / "m.py").write_text(source)
    assert cli("fix", ".", "--write", cwd=tmp_path).returncode == 0
    assert (tmp_path / "m.py").read_text() == source


# -- --write never writes outside the tree -------------------------------------------------------------


def test_write_replaces_the_entry_and_keeps_the_mode(tmp_path: Path) -> None:
    """An outside file hard-linked into the tree keeps its text: the tree's entry is replaced by a
    new file (its own inode), never written through; the mode is kept."""
    before, after = PAIRS["crlf-newlines-kept"]
    tree, outside = tmp_path / "tree", tmp_path / "outside.py"
    tree.mkdir()
    outside.write_bytes(before.encode())
    os.link(outside, tree / "m.py")
    os.chmod(tree / "m.py", 0o640)
    wrote = cli("fix", "tree", "--write", cwd=tmp_path)
    assert wrote.returncode == 0 and "1 fix in 1 file applied" in wrote.stderr, wrote.stderr
    assert (tree / "m.py").read_bytes() == after.encode()
    assert outside.read_bytes() == before.encode()
    assert os.stat(tree / "m.py").st_ino != os.stat(outside).st_ino
    assert os.stat(tree / "m.py").st_mode & 0o777 == 0o640
    assert [p.name for p in tree.iterdir()] == ["m.py"]  # no temporary file left


def test_write_skips_a_link_swapped_in_after_analysis(tmp_path: Path) -> None:
    from callgraph.commands.fix import replace_file
    from callgraph.reading import real_roots

    before, after = PAIRS["crlf-newlines-kept"]
    tree, outside = tmp_path / "tree", tmp_path / "outside.py"
    tree.mkdir()
    outside.write_bytes(before.encode())
    (tree / "m.py").symlink_to(outside)  # swapped in after the analysis read the file
    roots = real_roots([tree])
    note = replace_file(str(tree / "m.py"), before.encode(), after.encode(), roots)
    assert note and "link" in note
    assert outside.read_bytes() == before.encode() and (tree / "m.py").is_symlink()
    (tree / "m.py").unlink()
    (tree / "m.py").write_bytes(b"edited by hand\n")  # changed since the analysis
    note = replace_file(str(tree / "m.py"), before.encode(), after.encode(), roots)
    assert note and "changed" in note and (tree / "m.py").read_bytes() == b"edited by hand\n"
    (tree / "m.py").write_bytes(before.encode())
    assert replace_file(str(tree / "m.py"), before.encode(), after.encode(), roots) is None
    assert (tree / "m.py").read_bytes() == after.encode()


def test_fix_skips_a_link_to_a_file_outside_the_tree(tmp_path: Path) -> None:
    before, _ = PAIRS["crlf-newlines-kept"]
    (tmp_path / "tree").mkdir()
    (tmp_path / "outside.py").write_bytes(before.encode())
    (tmp_path / "tree" / "m.py").symlink_to(tmp_path / "outside.py")
    proc = cli("fix", "tree", "--write", cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "outside.py").read_bytes() == before.encode()
