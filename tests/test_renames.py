"""`diff` file status (issue 16, item 9): renames by git's own rules, every changed byte counted.

git is the oracle for renames: each case is committed in a real repository and `git diff -M`
(git's default 50% similarity) must pair exactly the files `find_renames` pairs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import commit_all, new_repo

from callgraph.facts.source import blob_id
from callgraph.reports.renames import find_renames, similarity

BODY = "".join(f"def f{i}(a, b):\n    return a + b * {i}\n\n\n" for i in range(20))
LONG = "x = '" + "y" * 500 + "'\n"

# name: (files before, files after)
CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "identical move": ({"a/m.py": BODY}, {"b/m.py": BODY}),
    "move with a small edit": ({"a/m.py": BODY}, {"b/n.py": BODY.replace("* 3", "* 33")}),
    "unrelated constants": ({"settings.py": "DEBUG = True\nNAME = 'x'\n"}, {"other.py": "TIMEOUT = 3\n"}),
    "unrelated, same shape": ({"one.py": "A = 1\nB = 2\n"}, {"two.py": "C = 3\nD = 4\n"}),
    "half rewritten": ({"m.py": BODY}, {"n.py": BODY[: len(BODY) // 2] + BODY[len(BODY) // 2 :].replace("a + b", "b - a")}),
    "mostly rewritten": ({"m.py": BODY}, {"n.py": BODY.replace("return a + b", "return (b, a)")}),
    "crlf copy": ({"m.py": BODY}, {"n.py": BODY.replace("\n", "\r\n")}),
    "long line moved": ({"m.py": LONG * 3}, {"n.py": LONG * 3 + "z = 1\n"}),
    "grown fourfold": ({"m.py": BODY}, {"n.py": BODY * 4}),
    "two sources, best wins": (
        {"a.py": BODY, "b.py": BODY.replace("return", "yield")},
        {"c.py": BODY.replace("* 1\n", "* 100\n")},
    ),
    "two moves": ({"a.py": BODY, "b.py": LONG * 4}, {"x/a.py": BODY, "x/b.py": LONG * 4 + "q = 2\n"}),
}


def git_renames(tmp: Path, before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    repo = new_repo(tmp / "repo")
    for rel, text in before.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(text.encode())
    commit_all(repo, "before")
    for rel in before:
        (repo / rel).unlink()
    for rel, text in after.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(text.encode())
    commit_all(repo, "after")
    out = subprocess.run(["git", "diff", "-M", "--name-status", "-z", "HEAD~1", "HEAD"], cwd=repo,
                         capture_output=True, check=True).stdout.decode().split("\0")
    renames, i = {}, 0
    while i < len(out) - 1:
        status = out[i]
        if status.startswith("R"):
            renames[out[i + 2]] = out[i + 1]
            i += 3
        else:
            i += 2
    return renames


@pytest.mark.parametrize(("before", "after"), CASES.values(), ids=list(CASES))
def test_renames_agree_with_git(tmp_path: Path, before: dict[str, str], after: dict[str, str]) -> None:
    def side(files: dict[str, str]) -> dict:
        return {p: (blob_id(t.encode()), (lambda t=t: t.encode())) for p, t in files.items()}

    assert find_renames(side(before), side(after)) == git_renames(tmp_path, before, after)


def test_empty_files_are_never_renames(tmp_path: Path) -> None:
    """The one departure from git, which pairs two empty files as identical: an empty
    `pkg/__init__.py` deleted and an unrelated empty `other/__init__.py` added moved nothing."""
    before, after = {"pkg/__init__.py": ""}, {"other/__init__.py": ""}
    empty = (blob_id(b""), lambda: b"")
    assert git_renames(tmp_path, before, after) == {"other/__init__.py": "pkg/__init__.py"}
    assert find_renames({"pkg/__init__.py": empty}, {"other/__init__.py": empty}) == {}


def test_similarity_is_gits_estimate() -> None:
    assert similarity(b"a\nb\nc\nd\n", b"a\nb\nc\ne\n") == 0.75
    assert similarity(b"", b"x\n") == 0.0
    assert similarity(b"x\n" * 10, b"x\n" * 30) == 0.0  # the size gap alone rules it out, as in git


def test_without_bytes_only_identical_blobs_pair() -> None:
    same = blob_id(BODY.encode())
    old = {"a.py": (same, None), "b.py": (blob_id(b"A = 1\n"), None)}
    new = {"c.py": (same, None), "d.py": (blob_id(b"A = 2\n"), None)}
    assert find_renames(old, new) == {"c.py": "a.py"}


def diff_json(old: Path, new: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "callgraph", "diff", str(old), str(new), "--format", "json",
                           "--no-cache"], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


FILE_STATUS = [
    # (before, after, expected [(status, path, was)])
    ({"settings.py": "DEBUG = True\n"}, {"other.py": "TIMEOUT = 3\n"},
     [("added", "other.py", None), ("deleted", "settings.py", None)]),
    ({"settings.py": "DEBUG = True\n"}, {"settings.py": "DEBUG = False\n"}, [("modified", "settings.py", None)]),
    ({"m.py": "def f(a):\n    pass\n"}, {"m.py": "def f(a):\n    pass  # why\n"}, [("modified", "m.py", None)]),
    ({"m.py": "TIMEOUT = 3\n"}, {"m.py": "TIMEOUT = 30\n"}, [("modified", "m.py", None)]),
    ({"m.py": "X = 1\n"}, {"m.py": "X = 1\n"}, []),
    ({"a/m.py": BODY}, {"b/m.py": BODY.replace("* 3", "* 33")}, [("renamed", "b/m.py", "a/m.py")]),
]


@pytest.mark.parametrize(("before", "after", "want"), FILE_STATUS)
def test_diff_counts_every_changed_file(tmp_path: Path, before: dict, after: dict, want: list) -> None:
    for root, files in (("old", before), ("new", after)):
        for rel, text in files.items():
            (tmp_path / root / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / root / rel).write_text(text)
    (tmp_path / "old").mkdir(exist_ok=True)
    (tmp_path / "new").mkdir(exist_ok=True)
    report = diff_json(tmp_path / "old", tmp_path / "new")
    assert sorted((f["status"], f["path"], f["old_path"]) for f in report["files"]) == sorted(want)
