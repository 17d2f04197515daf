"""Issue 16, items 2 and 3: nothing outside the analysed tree is read, only regular files are read,
and every read is bounded. Real FIFOs, device links and symbolic links, run through the commands
as users run them; each subprocess has a timeout, so a hang fails the test instead of the suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gitrepo import commit_all, new_repo

PY = sys.executable
SCRIPT = Path(PY).parent / "callgraph"
CG = [str(SCRIPT)] if SCRIPT.exists() else [PY, "-P", "-m", "callgraph"]
TIMEOUT = 60  # seconds: a FIFO read blocks forever; this turns the hang into a failure
OUTSIDE_NOTE = "symbolic link to a file outside the analysed tree; skipped"
SECRET = "SECRET-OUTSIDE"
FIFO_NOTE = "not a regular file (a FIFO); skipped"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")


def run(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CG, *args, *(["--no-cache"] if args[0] != "parity" else [])], cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT, env=env or os.environ.copy())


def noted(out: str, path: str, message: str) -> bool:
    """`path: message` or, as `check` prints notes, `path: note: message`."""
    return re.search(rf"{re.escape(path)}: (note: )?{re.escape(message)}", out) is not None


def _tree(path: Path, body: str = "def g(a):\n    return a\n\n\ng(1)\n") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "a.py").write_text(body)
    return path


def _fifo_tree(path: Path) -> Path:
    _tree(path)
    os.mkfifo(path / "f.py")
    return path


def _outside(tmp_path: Path) -> Path:
    """A file outside every analysed tree, with a default value that must never be printed."""
    out = tmp_path / "outside"
    out.mkdir(exist_ok=True)
    (out / "secret.py").write_text(f'def f(a="{SECRET}"):\n    return a\n\n\nf()\n')
    return out / "secret.py"


# -- item 3: only regular files, every read bounded ---------------------------------------------------


def test_a_fifo_in_the_tree_never_blocks_any_command(tmp_path: Path) -> None:
    old, new = _fifo_tree(tmp_path / "old"), _fifo_tree(tmp_path / "new")
    proc = run(tmp_path, "diff", "old", "new")  # before: blocked forever opening f.py
    assert proc.returncode in (0, 1) and noted(proc.stderr, "f.py", FIFO_NOTE), proc.stderr
    proc = run(tmp_path, "parity", "old", "new", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    proc = run(new, "check", ".")
    assert proc.returncode == 0 and noted(proc.stderr, "f.py", FIFO_NOTE), proc.stderr
    for args in (("signatures", "g"), ("graph", "--format", "json")):  # these print no notes
        proc = run(new, *args)
        assert proc.returncode == 0 and proc.stdout, (args, proc.stderr)


def test_a_fifo_in_the_working_tree_never_blocks_check_baseline(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    _tree(repo)
    commit_all(repo, "a")
    os.mkfifo(repo / "f.py")
    proc = run(repo, "check", "--baseline", "HEAD")
    assert proc.returncode in (0, 1), proc.stderr
    assert noted(proc.stderr, "f.py", FIFO_NOTE), proc.stderr
    proc = run(repo, "signatures", "g", "--at", "HEAD")
    assert proc.returncode in (0, 1), proc.stderr


def test_a_link_to_dev_zero_is_never_read(tmp_path: Path) -> None:
    old, new = _tree(tmp_path / "old"), _tree(tmp_path / "new")
    for d in (old, new):
        (d / "z.py").symlink_to("/dev/zero")
    proc = run(tmp_path, "diff", "old", "new")  # before: read without end
    assert proc.returncode in (0, 1) and noted(proc.stderr, "z.py", OUTSIDE_NOTE), proc.stderr
    proc = run(new, "check", ".")
    assert proc.returncode in (0, 1) and noted(proc.stderr, "z.py", OUTSIDE_NOTE), proc.stderr


def test_the_shared_reader_refuses_devices_fifos_and_oversize(tmp_path: Path) -> None:
    from callgraph.reading import NotRead, read_regular

    with pytest.raises(NotRead, match=r"not a regular file \(a character device\)"):
        read_regular("/dev/zero", 1024)
    os.mkfifo(tmp_path / "f.py")
    with pytest.raises(NotRead, match=r"not a regular file \(a FIFO\)"):
        read_regular(tmp_path / "f.py", 1024)
    (tmp_path / "big.py").write_bytes(b"#" * 2000)
    with pytest.raises(NotRead, match="2000 bytes, over the 1000-byte"):
        read_regular(tmp_path / "big.py", 1000)
    assert read_regular(tmp_path / "big.py", 2000) == b"#" * 2000
    assert read_regular(tmp_path / "big.py", None) == b"#" * 2000


def test_proc_files_are_read_bounded_and_never_block(tmp_path: Path) -> None:
    """/proc/kmsg blocks a plain read until the kernel logs; opened non-blocking it answers at once."""
    code = textwrap.dedent("""
        from callgraph.reading import NotRead, read_regular
        for p in ("/proc/kmsg", "/proc/self/environ"):
            try:
                print(p, len(read_regular(p, 4096)))
            except NotRead as exc:
                print(p, exc)
    """)
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr


def test_outside_modules_and_config_use_the_bounded_regular_reader(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "mod.py")
    code = "from callgraph.store.outside import _read; import sys; print(_read(sys.argv[1]))"
    proc = subprocess.run([PY, "-c", code, str(tmp_path / "mod.py")], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.stdout.strip() == "None", proc.stderr
    from callgraph import config
    from callgraph.config import ConfigError

    big = tmp_path / "pyproject.toml"
    big.write_text("[tool.callgraph]\n" + "# padding\n" * (config.MAX_CONFIG_FILE // 10 + 1))
    with pytest.raises(ConfigError, match="over the"):
        config.find_config(tmp_path)


# -- item 2: nothing outside the analysed tree is read ----------------------------------------------


def test_a_link_out_of_the_tree_is_never_read(tmp_path: Path) -> None:
    secret = _outside(tmp_path)
    old, new = _tree(tmp_path / "old"), _tree(tmp_path / "new")
    for d in (old, new):
        (d / "x.py").symlink_to(secret)
        (d / "p.py").symlink_to("/etc/passwd")
        (d / "e.py").symlink_to("/proc/self/environ")
    env = {**os.environ, "CG_TEST_TOKEN": "SECRET-ENVIRON"}
    outputs, checks = [], []
    for args in (("check", "."), ("check", ".", "--format", "json"), ("signatures", "f"),
                 ("graph", "--format", "json")):
        proc = run(new, *args, env=env)
        assert proc.returncode in (0, 1) or args[0] == "signatures", (args, proc.stderr)  # f: not found
        outputs.append(proc.stdout + proc.stderr)
        if args[0] == "check":
            checks.append(proc.stdout + proc.stderr)
    diff = run(tmp_path, "diff", "old", "new", env=env)
    outputs.append(diff.stdout + diff.stderr)
    outputs.append(run(tmp_path, "signatures", "f", "--at", "new", env=env).stdout)
    for out in outputs:  # before: signatures printed f(a="SECRET-OUTSIDE")
        assert SECRET not in out and "SECRET-ENVIRON" not in out and "root:x:" not in out, out
    assert diff.returncode in (0, 1) and noted(diff.stderr, "x.py", OUTSIDE_NOTE), diff.stderr
    for out in checks:
        assert noted(out, "x.py", OUTSIDE_NOTE) or OUTSIDE_NOTE in out, out


def test_a_link_out_of_the_tree_in_a_repository_is_never_read_for_a_baseline(tmp_path: Path) -> None:
    secret = _outside(tmp_path)
    repo = new_repo(tmp_path / "repo")
    _tree(repo)
    commit_all(repo, "a")
    (repo / "x.py").symlink_to(secret)
    proc = run(repo, "check", "--baseline", "HEAD")
    assert proc.returncode in (0, 1) and noted(proc.stderr, "x.py", OUTSIDE_NOTE), proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


def test_a_link_inside_the_tree_is_still_analysed(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree", 'def f(a="INSIDE-DEFAULT"):\n    return a\n')
    (tree / "sub").mkdir()
    (tree / "sub" / "alias.py").symlink_to("../a.py")
    proc = run(tree, "signatures", "f")
    assert proc.returncode == 0 and "INSIDE-DEFAULT" in proc.stdout, proc.stdout + proc.stderr
    proc = run(tree, "check", ".")
    assert proc.returncode == 0 and "skipped" not in proc.stderr, proc.stderr
    from callgraph.snapshots.tree import DirSnapshot

    with DirSnapshot(tree) as snap:
        assert sorted(snap.entries()) == ["a.py", "sub/alias.py"] and snap.notes == []


def test_a_directory_link_out_of_the_tree_is_skipped(tmp_path: Path) -> None:
    secret = _outside(tmp_path)
    old, new = _tree(tmp_path / "old"), _tree(tmp_path / "new")
    for d in (old, new):
        (d / "lib").symlink_to(secret.parent, target_is_directory=True)
    outputs = [run(new, *args).stdout for args in (("check", "."), ("signatures", "f"), ("graph", "--format", "json"))]
    outputs.append(run(tmp_path, "diff", "old", "new").stdout)
    for out in outputs:
        assert SECRET not in out, out
