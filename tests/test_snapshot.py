"""Snapshots and `callgraph diff` on real git repositories built in temporary directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import commit_all, ddl_story, git, new_repo

from callgraph.reports.diff import FileStatus, SymbolStatus, diff_projects
from callgraph.errors import InputError
from callgraph.facts.source import blob_id
from callgraph.pipeline import analyze_snapshot
from callgraph.snapshots.git import GitSnapshot, IndexSnapshot
from callgraph.snapshots.spec import open_snapshot
from callgraph.snapshots.tree import DirSnapshot


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callgraph", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ddl_story(tmp_path_factory.mktemp("story") / "repo")


def test_ddl_story_diff_names_the_change_and_each_broken_call(story: Path) -> None:
    proc = cli(story, "diff", "main", "debug/codex-test", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    (change,) = [c for c in report["signature_changes"] if c["symbol"].endswith("_ddl_attempt")]
    assert change["status"] == "changed" and change["new"] == "(self)"
    assert change["changes"] == ["parameters removed: 'conn', 'sql', 'table', 'mode', 'channel'"]
    broken = report["broken_calls"]
    assert len(broken) == 3
    assert {b["message"] for b in broken} == {
        "SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given"
    }
    assert all(b["cause"] == "etl.drivers.supabase.SupabaseWriterDriver._ddl_attempt" for b in broken)
    assert report["findings"]["unchanged"] == 2 and len(report["findings"]["fixed"]) == 0
    assert report["files"] == [{"status": "modified", "path": "etl/drivers/supabase.py", "old_path": None}]


def test_diff_text_and_markdown(story: Path) -> None:
    text = cli(story, "diff", "main", "debug/codex-test")
    assert text.returncode == 1 and "Calls broken by the change (3)" in text.stdout
    md = cli(story, "diff", "git:main", "git:debug/codex-test", "--format", "markdown")
    assert md.stdout.startswith("# callgraph diff") and "| " in md.stdout


def test_reverse_diff_fixes_findings_and_exits_0(story: Path) -> None:
    proc = cli(story, "diff", "debug/codex-test", "main", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["findings"]["fixed"]) == 4


def test_snapshot_of_a_ref_equals_the_checked_out_tree(story: Path) -> None:
    with open_snapshot("main", story) as ref, open_snapshot(".", story) as tree:
        assert isinstance(ref, GitSnapshot) and isinstance(tree, DirSnapshot)
        a = {f.path: f.oid for f in ref.entries().values()}
        b = {f.path: f.oid for f in tree.entries().values()}
        assert a == b
        assert all(blob_id(tree.read(p)) == oid for p, oid in b.items())


@pytest.mark.parametrize("spec", ["--output=x", "-c", "-c core.pager=evil", "no-such-ref", "main..debug", ""])
def test_bad_refs_are_input_errors(story: Path, spec: str) -> None:
    with pytest.raises(InputError):
        open_snapshot(spec, story)
    proc = cli(story, "diff", "main", spec) if spec else cli(story, "diff", "main", "git:")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "error" in proc.stderr


def test_not_a_repository(tmp_path: Path) -> None:
    proc = cli(tmp_path, "diff", "main", "HEAD")
    assert proc.returncode == 2 and "not a git repository" in proc.stderr


def test_tags_merges_detached_renames_and_deletes(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "a.py").write_text("def f(x): ...\n")
    (repo / "pkg" / "old.py").write_text("from pkg.a import f\ndef use():\n    f(1)\n")
    (repo / "pkg" / "gone.py").write_text("def g(): ...\n")
    commit_all(repo, "one")
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "mv", "pkg/old.py", "pkg/new.py")
    (repo / "pkg" / "gone.py").unlink()
    commit_all(repo, "move")
    git(repo, "checkout", "-q", "main")
    (repo / "pkg" / "a.py").write_text("def f(x, y): ...\n")
    commit_all(repo, "change f")
    git(repo, "merge", "-q", "--no-edit", "feature")
    git(repo, "checkout", "-q", "--detach", "HEAD")
    proc = cli(repo, "diff", "v1", "HEAD", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1
    files = {(f["status"], f["path"], f["old_path"]) for f in report["files"]}
    assert ("renamed", "pkg/new.py", "pkg/old.py") in files
    assert ("deleted", "pkg/gone.py", None) in files
    assert [b["message"] for b in report["broken_calls"]] == ["f() missing 1 required positional argument: 'y'"]
    assert report["broken_calls"][0]["path"] == "pkg/new.py"
    assert any(c["symbol"] == "pkg.gone.g" and c["status"] == "removed" for c in report["signature_changes"])


def test_bare_and_shallow_clones(story: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(story), str(bare)], check=True)
    proc = cli(bare, "diff", "main", "debug/codex-test", "--format", "json")
    assert proc.returncode == 1 and len(json.loads(proc.stdout)["broken_calls"]) == 3
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{story}", str(shallow)], check=True
    )
    proc = cli(shallow, "diff", "origin/main", "origin/debug/codex-test", "--format", "json")
    assert proc.returncode == 1 and len(json.loads(proc.stdout)["broken_calls"]) == 3


def test_odd_paths_symlinks_and_a_file_that_stops_parsing(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    spaced = repo / "dir with space"
    spaced.mkdir()
    (spaced / "m.py").write_text("def f(a): ...\nf(1)\n")
    raw = os.fsencode(repo) + b"/caf\xe9.py"  # not UTF-8
    with open(raw, "wb") as fh:
        fh.write(b"def g(): ...\ng()\n")
    (repo / "link.py").symlink_to("dir with space/m.py")
    commit_all(repo, "one")
    (spaced / "m.py").write_text("def f(a:\n")
    commit_all(repo, "broken")
    with GitSnapshot("HEAD~1", repo) as snap:
        paths = set(snap.entries())
        assert "dir with space/m.py" in paths and os.fsdecode(b"caf\xe9.py") in paths
        assert "link.py" not in paths and any("symbolic link" in n for n in snap.notes)
    proc = cli(repo, "diff", "HEAD~1", "HEAD", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert [f["code"] for f in report["findings"]["new"]] == ["CG000"]


def test_index_snapshot_sees_staged_not_working_tree(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    (repo / "m.py").write_text("def f(a): ...\nf(1)\n")
    commit_all(repo, "one")
    (repo / "m.py").write_text("def f(a): ...\nf()\n")
    git(repo, "add", "m.py")
    (repo / "m.py").write_text("def f(a): ...\nf(1)\n")  # unstaged fix
    with IndexSnapshot(repo) as snap:
        assert [f.code.value for f in analyze_snapshot(snap).findings()] == ["CG102"]
    with open_snapshot(".", repo) as tree:
        assert analyze_snapshot(tree).findings() == []


def test_diff_is_a_pure_function_of_two_projects(story: Path) -> None:
    with open_snapshot("main", story) as a, open_snapshot("debug/codex-test", story) as b:
        old, new = analyze_snapshot(a), analyze_snapshot(b)
    d = diff_projects(old, new)
    assert d == diff_projects(old, new)
    assert [c.status for c in d.signatures] == [SymbolStatus.CHANGED]
    assert [f.status for f in d.files] == [FileStatus.MODIFIED]


def test_check_baseline_reports_only_new_findings(story: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", "-b", "debug/codex-test", str(story), str(work)], check=True)
    subprocess.run(["git", "branch", "-q", "main", "origin/main"], cwd=work, check=True)
    everything = cli(work, "check", ".", "--format", "json")
    assert len(json.loads(everything.stdout)["findings"]) == 6
    new = cli(work, "check", ".", "--baseline", "main", "--format", "json")
    assert new.returncode == 1
    assert sorted(f["code"] for f in json.loads(new.stdout)["findings"]) == ["CG101", "CG101", "CG101", "CG201"]
    # Moving code around does not make old findings new: matching ignores line numbers.
    cli_py = work / "etl" / "cli.py"
    cli_py.write_text("\n\n\n" + cli_py.read_text())
    moved = cli(work, "check", ".", "--baseline", "debug/codex-test", "--format", "json")
    assert moved.returncode == 0 and json.loads(moved.stdout)["findings"] == []
    from_subdir = cli(work / "etl", "check", "..", "--baseline", "main", "-q", "--format", "concise")
    assert from_subdir.returncode == 1 and from_subdir.stdout.count("CG101") == 3
    bad = cli(work, "check", ".", "--baseline", "no-such-ref")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("layout", ["proj", "proj/src"])
def test_baseline_of_a_project_below_the_repository_root(tmp_path: Path, layout: str) -> None:
    """The baseline names modules as the working tree's run does (the project's own source root,
    not the repository's), so a finding already at the baseline is never new."""
    repo = new_repo(tmp_path / "repo")
    pkg = repo / layout / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("def f(a):\n    return a\n\n\nf()\n")
    commit_all(repo, "one broken call")
    for cwd, target in ((repo, "proj"), (repo / "proj", "."), (pkg, "..")):
        same = cli(cwd, "check", target, "--baseline", "HEAD", "--format", "json")
        assert same.returncode == 0 and json.loads(same.stdout)["findings"] == [], (cwd, target, same.stdout)
    (pkg / "mod.py").write_text((pkg / "mod.py").read_text() + "f(1, 2)\n")
    new = cli(repo, "check", "proj", "--baseline", "HEAD", "--format", "json")
    assert new.returncode == 1
    assert [f["message"] for f in json.loads(new.stdout)["findings"]] == ["f() takes 1 positional argument but 2 were given"]


def test_signatures_side_by_side_across_refs(story: Path) -> None:
    proc = cli(story, "signatures", "_ddl_attempt", "--at", "main", "--at", "debug/codex-test", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    main, debug = json.loads(proc.stdout)["snapshots"]
    assert [d["signature"] for d in main["definitions"]] == [
        "(self, conn: _MemoryConnection, sql: str, table: str, mode: str, channel: str)"
    ]
    assert [d["bound_at_runtime"] for d in debug["definitions"]] == ["no", "yes"]
    assert [c["verdict"] for c in main["calls"]] == ["binds"] * 3
    assert sorted(c["verdict"] for c in debug["calls"]) == ["binds", "error", "error", "error"]
    text = cli(story, "signatures", "_ddl_attempt", "--at", "main", "--at", "debug/codex-test")
    assert "== at main" in text.stdout and "== at debug/codex-test" in text.stdout
    missing = cli(story, "signatures", "no_such_function", "--at", "main")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
