"""What a new user trips over first (issue "Where users live", item 8): one test per papercut."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from callgraph.reports.words import count

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def cli(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )


def test_check_of_a_file_that_is_not_python_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    proc = cli("check", "notes.txt", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "callgraph: error: notes.txt: not a Python file (check reads .py files, and directories holding them)\n"
    assert proc.stdout == ""


def test_check_of_a_stub_alone_says_there_is_nothing_to_check(tmp_path: Path) -> None:
    (tmp_path / "m.pyi").write_text("def f(a: int) -> int: ...\n")
    proc = cli("check", "m.pyi", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0
    assert "nothing to check" in proc.stderr


def test_a_directory_without_python_files_warns_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# hi\n")
    proc = cli("check", "docs", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0  # documented in `check --help`: an empty tree is not broken
    assert proc.stderr == "callgraph: warning: no Python files under docs; nothing was checked\n"
    assert "no Python files under PATH" in cli("check", "--help").stdout


def test_signatures_counts_what_the_exit_code_means(tmp_path: Path) -> None:
    """A call rejected only through a possible target is 'may not bind', and exits 0."""
    (tmp_path / "m.py").write_text('def f(a):\n    return a\n\n\nhandlers = {"x": f}\nhandlers["x"](1, 2)\n')
    proc = cli("signatures", "f", ".", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 call site, 0 cannot bind, 1 may not bind (through a possible target)" in proc.stdout
    (tmp_path / "m.py").write_text("def f(a):\n    return a\n\n\nf(1, 2)\n")
    proc = cli("signatures", "f", ".", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 1
    assert "1 call site, 1 cannot bind\n" in proc.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["chek"], "callgraph: error: unknown command 'chek'; did you mean 'check'? (see 'callgraph --help')"),
        (["sigantures", "f"], "callgraph: error: unknown command 'sigantures'; did you mean 'signatures'? (see 'callgraph --help')"),
        (["check", "--bogus"], "callgraph check: error: unrecognized arguments: --bogus (see 'callgraph check --help')"),
        (["check", "-j", "0"], "callgraph check: error: argument -j/--jobs: must be at least 1 (see 'callgraph check --help')"),
        (["--bogus"], "callgraph: error: unrecognized arguments: --bogus (see 'callgraph --help')"),
        # PATH is optional: only NEW is named as missing
        (["diff", "main"], "callgraph diff: error: the following arguments are required: NEW (see 'callgraph diff --help')"),
    ],
)
def test_usage_errors_are_one_line_with_a_hint(args: list[str], line: str) -> None:
    proc = cli(*args)
    assert proc.returncode == 2
    assert proc.stderr == line + "\n"
    assert proc.stdout == ""


def test_an_unknown_command_far_from_any_lists_the_commands() -> None:
    proc = cli("zzzz")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "commands: check, " in proc.stderr


def test_check_of_one_file_says_only_its_findings_are_shown(tmp_path: Path) -> None:
    """The project is still analysed (the call resolves into b.py); the summary says what is shown."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "b.py").write_text("def g(a):\n    return a\n\n\ng(1, 2)\n")
    (tmp_path / "a.py").write_text("from b import g\n\ng()\n")
    proc = cli("check", "a.py", "--no-cache", "--format", "concise", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == "a.py:3:1: CG102 g() missing 1 required positional argument: 'a' [b.g]\n"  # not b.py:5
    assert proc.stderr.rstrip().endswith("; shown: those involving the 1 named file")
    assert "the whole project is analysed" in cli("check", "--help").stdout


def test_counts_are_singular_for_one() -> None:
    assert [count(0, "file"), count(1, "file"), count(2, "file")] == ["0 files", "1 file", "2 files"]
    assert count(1, "analysis", "analyses") == "1 analysis" and count(3, "analysis", "analyses") == "3 analyses"


def test_single_file_summary_is_singular(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return 1\n\n\nf()\n")
    proc = cli("check", ".", "--no-cache", cwd=tmp_path)
    assert re.match(r"0 findings in 1 file \(1 function, 1 call, 1 resolved\) in [\d.]+s\n$", proc.stderr), proc.stderr


def test_no_color_yields_to_an_explicit_color_always_and_readme_says_so(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return 1\n\n\nf(1)\n")
    assert "\x1b[" in cli("check", ".", "--no-cache", "--color", "always", cwd=tmp_path, env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in cli("check", ".", "--no-cache", cwd=tmp_path, env={"NO_COLOR": "1"}).stdout
    assert "never when `NO_COLOR` is set." not in README
    assert "`--color always` colours even then" in README


def test_readme_pre_commit_rev_exists_or_is_explained() -> None:
    revs = re.findall(r"^\s+rev: (\S+)", README, re.M)
    assert revs, "the pre-commit example has a rev"
    tags = subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for rev in revs:
        assert rev in tags or re.fullmatch(r"[0-9a-f]{40}", rev), rev
    assert "There is no release tag yet, so pin a commit" in README or tags


@pytest.mark.parametrize("example", ["$ callgraph signatures _ddl_attempt --at main --at debug/codex-test", "$ callgraph diff main debug/codex-test"])
def test_readme_examples_on_the_demo_branches_say_where_to_run_them(example: str) -> None:
    at = README.index(example)
    before = README[max(0, at - 600) : at]
    assert "callgraph demo --keep DIR" in before and "DIR/osiris-etl" in before
