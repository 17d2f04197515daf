"""Reliability and security (issue 8): never execute analysed code, byte-identical output, hostile
repositories, resource bounds, hostile remote answers, secrets, and the hostile files that
tests/test_hostile_files.py does not cover. docs/RELIABILITY.md maps each guarantee to its test."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gitrepo import ENV, commit_all, new_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callgraph.pipeline import analyze

PY = sys.executable
REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
# The console script, as users run it: unlike `python -m`, it never puts the current directory on
# sys.path (see "Known limits" in docs/RELIABILITY.md).
SCRIPT = Path(PY).parent / "callgraph"
CG = [str(SCRIPT)] if SCRIPT.exists() else [PY, "-P", "-m", "callgraph"]


def run(cwd: Path, *args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CG, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env or os.environ.copy()
    )


def synthetic_tree(root: Path, n: int, per_package: int = 100) -> Path:
    """`n` small modules in packages of `per_package`: classes, methods, cross-module imports, calls
    that bind and a few that do not (one CG101 every 50 modules)."""
    for i in range(n):
        pkg = root / f"pkg{i // per_package}"
        if not (pkg / "__init__.py").exists():
            pkg.mkdir(parents=True, exist_ok=True)
            (pkg / "__init__.py").write_text("")
        prev = f"pkg{(i - 1) // per_package}.m{i - 1}" if i else None
        lines = []
        if prev:
            lines.append(f"from {prev} import C{i - 1}, helper{i - 1}\n")
        lines.append(
            f"\n\ndef helper{i}(a, b=1, *, key=None):\n    return a\n\n\n"
            f"class C{i}:\n    def __init__(self, x):\n        self.x = x\n\n"
            f"    def run(self, y):\n        return helper{i}(self.x, y)\n\n"
            f"    def twice(self):\n        return self.run(1) + self.run(2)\n\n\n"
            f"def main{i}():\n    c = C{i}(1)\n    c.twice()\n"
        )
        if prev:
            lines.append(f"    helper{i - 1}(1, key=2)\n    C{i - 1}(3).run(4)\n")
        if i % 50 == 49:
            lines.append(f"    helper{i}(1, 2, 3)\n")
        (pkg / f"m{i}.py").write_text("".join(lines))
    return root


# -- 4. never execute analysed code ------------------------------------------------------------------


def hostile_tree(root: Path, marks: Path) -> Path:
    """Every file writes a marker into `marks` if it is ever imported or executed: package and module
    top-level code, `.pth`, `sitecustomize.py`, `usercustomize.py`, `conftest.py`, `setup.py`,
    `__main__.py`, and stdlib/dependency shadows (`json.py`, `networkx.py`, `libcst.py`, `base64.py`,
    `venv.py`)."""

    def bomb(name: str) -> str:
        return f"import os as _os\nopen(_os.path.join({str(marks)!r}, {name!r}), 'w').write('executed')\n"

    files = {
        "pkg/__init__.py": bomb("pkg.__init__") + "from .mod import f\n",
        "pkg/mod.py": bomb("pkg.mod") + "\n\ndef f(a):\n    return a\n\n\ndef g():\n    return f(1, 2)\n",
        "app.py": bomb("app") + "from pkg.mod import f\n\nf()\n",
        "sitecustomize.py": bomb("sitecustomize"),
        "usercustomize.py": bomb("usercustomize"),
        "conftest.py": bomb("conftest"),
        "setup.py": bomb("setup") + "from setuptools import setup\nsetup(name='x')\n",
        "__main__.py": bomb("__main__"),
        "json.py": bomb("json"),
        "base64.py": bomb("base64"),
        "hashlib.py": bomb("hashlib"),
        "networkx.py": bomb("networkx"),
        "libcst.py": bomb("libcst"),
        "venv.py": bomb("venv"),  # `callgraph demo` runs `python -m venv`: isolated (-I), not this
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "evil.pth").write_text(f"import os; open(os.path.join({str(marks)!r}, 'pth'), 'w').write('x')\n")
    return root


def test_analysed_code_is_never_executed(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    app = hostile_tree(new_repo(tmp_path / "app"), marks)
    commit_all(app, "hostile v1")
    (app / "pkg" / "mod.py").write_text((app / "pkg" / "mod.py").read_text().replace("def f(a)", "def f(a, b)"))
    commit_all(app, "hostile v2")
    copy = tmp_path / "copy"
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns(".git"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env.update(ENV)
    remote = f"cmd:env -C {app} PATH={Path(PY).parent}:/usr/bin:/bin::{app}"  # the remote python runs IN the tree
    cache = str(tmp_path / "cache")
    commands = [
        *(["check", ".", "--format", fmt, "--cache-dir", cache] for fmt in ("text", "json", "sarif", "github", "markdown")),
        ["check", "app.py", "--no-cache"],
        ["check", "--staged", "--no-cache"],
        ["graph", ".", "--format", "json", "--no-cache"],
        ["signatures", "f", ".", "--no-cache"],
        ["diff", "HEAD~1", "HEAD", "--no-cache"],
        ["diff", str(copy), ".", "--no-cache"],
        ["parity", str(copy), "."],
        ["parity", ".", remote, "--module", "pkg.mod"],
        ["demo"],
        ["explain-error", str(tmp_path / "error.log"), "--remote", remote, "--no-cache"],
    ]
    (tmp_path / "error.log").write_text("ERROR job: f() missing 1 required positional argument: 'b'\n")
    for args in commands:
        proc = run(app, *args, env=env)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert sorted(p.name for p in marks.iterdir()) == [], (args, proc.stdout[-2000:])
    # The analysis really looked at the hostile files: the broken calls were found.
    proc = run(app, "check", ".", "--format", "json", "--no-cache", env=env)
    assert {f["path"] for f in json.loads(proc.stdout)["findings"]} >= {"app.py"}


# -- 6. determinism ----------------------------------------------------------------------------------

FORMATS = ("text", "json", "sarif", "github", "markdown")


def _masked(fmt: str, out: str, err: str) -> tuple[str, str]:
    """Only what is allowed to vary: elapsed time and cache counters."""
    if fmt == "json":
        doc = json.loads(out)
        for k in ("seconds", "cache_hits", "cache_misses"):
            doc["stats"].pop(k, None)
        out = json.dumps(doc, indent=1)
    out = re.sub(r"\b\d+\.\d+s\b", "<T>s", out) if fmt == "markdown" else out
    err = re.sub(r"\b\d+\.\d+s\b", "<T>s", err)
    return out, err


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_tree(tmp_path_factory.mktemp("gen") / "tree", 120, per_package=30)


@pytest.mark.parametrize("which", ["fixtures", "generated"])
def test_output_is_byte_identical_across_runs_jobs_and_cache(
    which: str, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from callgraph.commands import cli

    target = FIXTURES if which == "fixtures" else generated
    monkeypatch.chdir(target.parent)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert len(list(target.rglob("*.py"))) > 16  # enough files for worker processes (8 per worker)
    cache = str(tmp_path / "cache")
    runs = {
        "cold cache, -j 1": ["--cache-dir", cache, "-j", "1"],
        "warm cache, -j 1": ["--cache-dir", cache, "-j", "1"],
        "warm cache, -j 2": ["--cache-dir", cache, "-j", "2"],
        "no cache, -j 2": ["--no-cache", "-j", "2"],
        "no cache, -j 2, again": ["--no-cache", "-j", "2"],
    }
    for fmt in FORMATS:
        if fmt != "text":
            shutil.rmtree(cache, ignore_errors=True)  # every format gets its cold run
        outputs = {}
        for name, extra in runs.items():
            code = cli.main(["check", target.name, "--format", fmt, "--color", "never", *extra])
            captured = capsys.readouterr()
            outputs[name] = (code, *_masked(fmt, captured.out, captured.err))
        first = next(iter(outputs.values()))
        assert first[0] == 1 and first[1]  # findings, so there is something to compare
        for name, got in outputs.items():
            assert got == first, f"{fmt}: {name} differs from the first run"


# -- 2. hostile repositories -------------------------------------------------------------------------


def _two_commits(root: Path) -> Path:
    repo = new_repo(root)
    (repo / "m.py").write_text("def f(a):\n    return a\n")
    (repo / "use.py").write_text("from m import f\n\nf(1)\n")
    commit_all(repo, "one")
    (repo / "m.py").write_text("def f(a, b):\n    return a\n")
    commit_all(repo, "two")
    return repo


def _loose_object(repo: Path, rev: str) -> Path:
    oid = subprocess.run(["git", "rev-parse", rev], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    return repo / ".git" / "objects" / oid[:2] / oid[2:]


@pytest.mark.parametrize("damage", ["missing", "garbled"])
def test_a_corrupt_repository_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    repo = _two_commits(tmp_path / "repo")
    obj = _loose_object(repo, "HEAD:m.py")
    obj.chmod(0o644)
    if damage == "missing":
        obj.unlink()
    else:
        obj.write_bytes(b"\x78\x9cthis is not a zlib stream")
    proc = run(repo, "diff", "HEAD~1", "HEAD", "--no-cache")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "callgraph: error:" in proc.stderr
    assert "missing or not a blob" in proc.stderr


def test_git_missing_from_path_is_a_clear_error(tmp_path: Path) -> None:
    repo = _two_commits(tmp_path / "repo")
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    proc = subprocess.run([PY, "-m", "callgraph", "diff", "main", "HEAD"], cwd=repo, capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "git is not installed or not on PATH" in proc.stderr
    # The working tree needs no git at all.
    tree = subprocess.run([PY, "-m", "callgraph", "check", "."], cwd=repo, env=env, capture_output=True, text=True)
    assert tree.returncode == 1 and "CG102" in tree.stdout and "Traceback" not in tree.stderr


def test_submodules_are_skipped_with_a_note(tmp_path: Path) -> None:
    sub = _two_commits(tmp_path / "sub")
    repo = new_repo(tmp_path / "repo")
    (repo / "a.py").write_text("def f():\n    pass\n")
    commit_all(repo, "a")
    subprocess.run(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendored"],
                   cwd=repo, check=True, capture_output=True, env={**os.environ, **ENV})
    commit_all(repo, "add a submodule")
    from callgraph.snapshots.spec import open_snapshot

    for spec in ("HEAD", "index:"):
        with open_snapshot(spec, repo) as snap:
            assert sorted(snap.entries()) == ["a.py"] and snap.notes == ["vendored: submodule skipped"]
    proc = run(repo, "check", "--staged", "--no-cache")
    assert proc.returncode == 0 and "vendored: submodule skipped" in proc.stderr, proc.stderr
    assert run(repo, "diff", "HEAD~1", "HEAD", "--no-cache").returncode == 0


def _history(root: Path, commits: int) -> Path:
    """`commits` commits in one git fast-import stream: each changes m.py."""
    repo = new_repo(root)
    stream = []
    for i in range(commits):
        body = f"def f(a{', b' * (i % 2)}):\n    return {i}\n".encode()
        use = b"from m import f\n\nf(1)\n"
        stream.append(
            f"commit refs/heads/main\nmark :{i + 1}\ncommitter T <t@example.com> {1700000000 + i} +0000\n".encode()
            + f"data {len(str(i))}\n{i}\n".encode()
            + (f"from :{i}\n".encode() if i else b"")
            + f"M 100644 inline m.py\ndata {len(body)}\n".encode() + body + b"\n"
            + f"M 100644 inline use.py\ndata {len(use)}\n".encode() + use + b"\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True, env={**os.environ, **ENV})
    subprocess.run(["git", "reset", "--hard", "-q", "main"], cwd=repo, check=True, env={**os.environ, **ENV})
    return repo


def _subcommand(line: str) -> str:
    """"cat-file --batch" from the gateway's "--no-pager -c key=value ... [--work-tree=DIR] cat-file --batch"."""
    words = line.split()
    while words and (words[0] in ("--no-pager", "-c") or words[0].startswith("--work-tree=")):
        words = words[2:] if words[0] == "-c" else words[1:]
    return " ".join(words[:2])


def test_a_long_history_is_never_walked(tmp_path: Path) -> None:
    """diff and check --baseline ask git for two commits' trees and blobs, never for history: the
    git calls made are the same for 2 commits and for 2,000 (a logging shim stands in for git)."""
    real_git = shutil.which("git")
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    log = tmp_path / "git.log"
    (shim_dir / "git").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real_git} "$@"\n')
    (shim_dir / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim_dir}:{os.environ['PATH']}"}
    calls = {}
    for n in (2, 2000):
        repo = _history(tmp_path / f"h{n}", n)
        assert subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True,
                              text=True).stdout.strip() == str(n)
        log.write_text("")
        a = run(repo, "diff", "HEAD~1", "HEAD", "--no-cache", env=env)
        b = run(repo, "check", ".", "--baseline", "HEAD~1", "--no-cache", env=env)
        assert a.returncode in (0, 1) and b.returncode in (0, 1), a.stderr + b.stderr
        calls[n] = [_subcommand(line) for line in log.read_text().splitlines()]
    assert calls[2] == calls[2000]
    assert {"ls-tree -r", "cat-file --batch"} <= set(calls[2000]), calls[2000]
    assert not [c for c in calls[2000] if c.split()[0] in ("log", "rev-list", "blame", "fsck", "gc")]


# -- 5. resource bounds ------------------------------------------------------------------------------


def test_max_file_size_skips_and_reports_over_large_files(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "small.py").write_text("def f(a):\n    return a\n\nf()\n")
    (tree / "generated.py").write_text("x = 1\n" * 400)  # 2,400 bytes
    proc = run(tmp_path, "check", "tree", "--max-file-size", "1K", "--no-cache", "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["stats"]["files"] == 1
    assert doc["errors"] == [{"path": "tree/generated.py",
                              "message": "skipped: 2400 bytes, over the 1024-byte file size limit (--max-file-size)"}]
    text = run(tmp_path, "check", "tree", "--max-file-size", "1024", "--no-cache")
    assert "tree/generated.py: note: skipped: 2400 bytes" in text.stderr
    assert json.loads(run(tmp_path, "check", "tree", "--max-file-size", "0", "--no-cache", "--format", "json").stdout)[
        "stats"]["files"] == 2
    bad = run(tmp_path, "check", "tree", "--max-file-size", "lots")
    assert bad.returncode == 2 and "not a size" in bad.stderr
    # The library: no limit by default (backwards compatible), the same skip when asked.
    assert len(analyze([tree]).files) == 2
    limited = analyze([tree], max_file_size=1024)
    assert [Path(f.path).name for f in limited.files] == ["small.py"]
    assert [e.message.split(":")[0] for e in limited.errors] == ["skipped"]


def test_a_20_mb_file_is_skipped_by_default_never_read(tmp_path: Path) -> None:
    """Dense generated code costs ~0.8 GB and ~9 s per MB (a 20 MB file passed 11 GB in a minute):
    the 2 MB default skips it by its size alone (a sparse file here: reading it would take seconds)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.py").write_text("def f():\n    pass\n")
    with open(tree / "huge.py", "wb") as fh:
        fh.truncate(20 * 1024 * 1024)
    started = time.monotonic()
    proc = run(tmp_path, "check", "tree", "--no-cache", "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["stats"]["files"] == 1
    assert doc["errors"][0]["path"] == "tree/huge.py" and "20971520 bytes, over the 2097152-byte" in doc["errors"][0]["message"]
    assert time.monotonic() - started < 60  # a generous sanity bound, not a benchmark


MB = 1024 * 1024
RSS_BASE, RSS_PER_FILE = 96 * MB, 48 * 1024  # documented: 10,000 files stay under 96 MB + 48 KB each = 565 MB
# Measured from a small parent: a child forked from pytest itself starts with pytest's RSS in its
# ru_maxrss (kept across exec).
_MEASURE = ("import os, subprocess, sys\np = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
            "_, status, usage = os.wait4(p.pid, 0)\nprint(os.waitstatus_to_exitcode(status), usage.ru_maxrss)")


def test_memory_stays_within_the_documented_bound(tmp_path: Path) -> None:
    n = 500
    synthetic_tree(tmp_path / "tree", n)
    proc = subprocess.run([PY, "-c", _MEASURE, *CG, "check", "tree", "--no-cache", "-j", "1", "-q"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    code, kilobytes = map(int, proc.stdout.split())
    assert code == 1, proc.stderr
    peak = kilobytes * 1024  # ru_maxrss is in kilobytes on Linux
    assert peak < RSS_BASE + RSS_PER_FILE * n, f"peak RSS {peak / MB:.0f} MB for {n} files"


# -- 1. hostile files (the rest are in tests/test_hostile_files.py) ----------------------------------


def test_an_unreadable_file_is_a_note(tmp_path: Path) -> None:
    """Tests run as root, where chmod 000 does not stop a read: a `.py` entry that really fails to
    read stands in (a link to /proc/self/mem: a regular file whose first read is EIO). Named on the
    command line, it is read; found by walking the tree, it is a link out of it, never opened."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.py").write_text("def f(a):\n    return a\n\nf()\n")
    (tree / "bad.py").symlink_to("/proc/self/mem")
    proc = run(tmp_path, "check", "tree", "tree/bad.py", "--no-cache")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "tree/bad.py: note: cannot read: Input/output error" in proc.stderr and "CG102" in proc.stdout
    proc = run(tmp_path, "check", "tree", "--no-cache")
    assert proc.returncode == 1 and "CG102" in proc.stdout
    assert "tree/bad.py: note: symbolic link to a file outside the analysed tree; skipped" in proc.stderr


def test_a_file_deleted_during_the_run_is_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import callgraph.pipeline as project

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text("def f(a):\n    return a\n\nf()\n")
    (tree / "gone.py").write_text("x = 1\n")
    real = project.discover

    def discover_then_delete(*args, **kwargs):
        found = real(*args, **kwargs)
        (tree / "gone.py").unlink()  # between discovery and read
        return found

    monkeypatch.setattr(project, "discover", discover_then_delete)
    result = project.analyze([tree / "a.py", tree / "gone.py"])
    assert [Path(f.path).name for f in result.files] == ["a.py"] and len(result.findings()) == 1
    assert [(Path(e.path).name, e.message) for e in result.errors] == [("gone.py", "cannot read: No such file or directory")]


def test_paths_with_newlines_spaces_and_odd_bytes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    odd = tree / "new\nline dir"
    odd.mkdir(parents=True)
    (odd / "mod\nule.py").write_text("def f(a):\n    return a\n\nf()\n")
    (tree / "with space.py").write_text("def g():\n    pass\n\ng(1)\n")
    (tree / os.fsdecode(b"caf\xe9.py")).write_text("def h():\n    pass\n")
    for fmt in FORMATS:
        proc = run(tmp_path, "check", "tree", "--no-cache", "--format", fmt)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (fmt, proc.stderr)
    doc = json.loads(run(tmp_path, "check", "tree", "--no-cache", "--format", "json").stdout)
    assert sorted(f["path"] for f in doc["findings"]) == ["tree/new\nline dir/mod\nule.py", "tree/with space.py"]
    assert doc["stats"]["files"] == 3


# -- 3. remote: hostile manifests and secrets ----------------------------------------------------------


def _row(path: object, data: bytes, *, size: object = None, digest: object = None, encoded: object = None) -> dict:
    return {"path": path, "size": len(data) if size is None else size,
            "sha256": hashlib.sha256(data).hexdigest() if digest is None else digest,
            "data": base64.b64encode(data).decode() if encoded is None else encoded}


HOSTILE_PATHS = st.sampled_from(["../etc/passwd.py", "/etc/x.py", "a/../../b.py", "./a.py", "a//b.py", "a\\b.py",
                                 "a\nb.py", "C:/x.py", "", "a.txt", "\x1b[31m.py", "x" * 5000 + ".py"])
GOOD_PATHS = st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,3}\.py", fullmatch=True)
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True), st.text(max_size=20),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@st.composite
def manifests(draw) -> dict:
    """A probe document whose file rows are valid or hostile, one way or another."""
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        data = draw(st.binary(max_size=64))
        kind = draw(st.sampled_from(["ok", "escape", "dup", "hash", "size", "huge", "b64", "types", "junk"]))
        path = draw(HOSTILE_PATHS) if kind == "escape" else draw(GOOD_PATHS)
        if kind == "dup" and rows:
            path = rows[-1].get("path", path) if isinstance(rows[-1], dict) else path
        row = _row(path, data)
        if kind == "hash":
            row["sha256"] = hashlib.sha256(data + b"!").hexdigest()
        elif kind == "size":
            row["size"] = len(data) + draw(st.integers(1, 100))
        elif kind == "huge":
            row["size"] = draw(st.integers(10**7, 10**15))
        elif kind == "b64":
            row["data"] = draw(st.sampled_from(["!!!", "YQ", "a" * 10**6, ""]))
        elif kind == "types":
            row[draw(st.sampled_from(["path", "size", "sha256", "data"]))] = draw(JUNK)
        elif kind == "junk":
            row = draw(JUNK)
        rows.append(row)
    doc: dict = {"protocol": 1, "ok": True, "root": "/srv/app", "files": rows}
    if draw(st.booleans()):
        doc[draw(st.sampled_from(["root", "files", "sys_path", "trees", "modules", "pth", "python"]))] = draw(JUNK)
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=manifests(), framing=st.sampled_from(["json", "truncated", "garbage", "array"]))
def test_hostile_manifests_are_refused_or_safe(doc: dict, framing: str) -> None:
    """Whatever the remote sends: a ProbeError (exit 2), or files that are safe, unique, within the
    limits and match their hashes. Never another exception."""
    from probes.probe import BEGIN, END, Limits, ProbeError, build_result, extract_document, safe_relpath

    body = {"json": json.dumps(doc), "truncated": json.dumps(doc)[:-3], "garbage": "{not json", "array": "[1, 2]"}[framing]
    out = f"banner\n{BEGIN}\n{body}\n{END}\n".encode()
    limits = Limits(max_files=5, max_file_bytes=1000, max_total_bytes=4000)
    try:
        result = build_result(extract_document(out, b"", limits, "remote"), "cmd", "remote", limits)
    except ProbeError as exc:
        assert "\n" not in str(exc) and "\x1b" not in str(exc)
        return
    assert framing == "json"
    assert len(result.files) <= limits.max_files and sum(f.size for f in result.files.values()) <= limits.max_total_bytes
    for path, f in result.files.items():
        assert safe_relpath(path) == path == f.path and f.size <= limits.max_file_bytes
        assert f.data is not None and len(f.data) == f.size and hashlib.sha256(f.data).hexdigest() == f.sha256
    rows = [r for r in doc["files"] if isinstance(r, dict)]
    assert len(result.files) == len(rows) == len(doc["files"])  # nothing dropped silently: all valid, or refused


KEY = "e2b_MARKER_0123456789abcdef0123456789abcdef"


def test_the_api_key_never_reaches_an_artifact(tmp_path: Path) -> None:
    pytest.importorskip("e2b", reason="the e2b extra is not installed")
    from test_e2b import EnvdStandIn

    local = synthetic_tree(tmp_path / "local", 20, per_package=10)
    remote_tree = tmp_path / "sbx" / "home" / "user" / "app"
    synthetic_tree(remote_tree, 20, per_package=10)
    (remote_tree / "pkg0" / "m3.py").write_text("def helper3(a):\n    return a\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    cache = tmp_path / "cache"
    artifacts: list[str] = []
    with EnvdStandIn(str(tmp_path / "sbx")) as server:
        env = {**os.environ, "E2B_API_KEY": KEY, "E2B_DEBUG": "true", "E2B_SANDBOX_URL": server.url,
               "CALLGRAPH_CACHE_DIR": str(cache)}
        commands = [["check", "local", "--format", fmt, "-v", "-o", str(out_dir / f"check.{fmt}")] for fmt in FORMATS]
        commands += [["diff", "local", str(remote_tree), "--format", fmt] for fmt in ("text", "markdown", "json")]
        commands += [["parity", "local", str(remote_tree), "--format", fmt] for fmt in ("markdown", "json")]
        commands += [["parity", "local", f"e2b:sbx-test1:{remote_tree}", "--format", fmt] for fmt in ("markdown", "json")]
        commands += [["diff", "local", f"e2b:sbx-test1:{remote_tree}"], ["diff", "local", "e2b:sbx-test1:/nonexistent"],
                     ["graph", "local", "--format", "json"], ["signatures", "helper3", "local"], ["config"], ["cache", "info"]]
        for args in commands:
            proc = run(tmp_path, *args, env=env)
            assert "Traceback" not in proc.stderr, (args, proc.stderr)
            artifacts += [proc.stdout, proc.stderr]
        assert any(p.startswith("/filesystem") or p.startswith("/process") for _, p, _ in server.requests)
        assert all(KEY not in str(headers) for _, _, headers in server.requests)
    parity = [a for a in artifacts if "helper3" in a and "remote" in a.lower()]
    assert parity  # the e2b parity really ran
    files = [p for p in [*out_dir.rglob("*"), *cache.rglob("*"), *tmp_path.rglob("*.log")] if p.is_file()]
    assert any(p.suffix in (".db", ".sqlite", ".sqlite3") or "db" in p.name for p in files), files
    for text in artifacts:
        assert KEY not in text
    for p in files:
        data = p.read_bytes()
        assert KEY.encode() not in data and base64.b64encode(KEY.encode()) not in data, p
