"""An interpreter named by `[tool.callgraph] python` is run only when it is plainly one.

A configuration in (or above) the analysed tree is written by whoever wrote the tree: running the
program it names would execute the tree's code (a red-team finding: `.venv/bin/python` as a shell
script ran on `check`, `check --staged`, `fix` and `lsp`). Real CLI runs, real venvs, real files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CALLGRAPH = str(Path(sys.executable).with_name("callgraph"))


def _script(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch {marker}\nexec {sys.executable} \"$@\"\n")
    path.chmod(0o755)


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CALLGRAPH, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _tree(root: Path, python: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[tool.callgraph]\npython = "{python}"\n')
    (root / "a.py").write_text("def f(x):\n    return x\n")


@pytest.mark.parametrize("command", [["check"], ["check", "a.py"], ["fix", "."]])
def test_a_script_in_the_tree_never_runs(tmp_path: Path, command: list[str]) -> None:
    marker = tmp_path / "PWNED"
    _tree(tmp_path / "p", ".venv/bin/python")
    _script(tmp_path / "p" / ".venv" / "bin" / "python", marker)
    done = _run(tmp_path / "p", *command)
    assert not marker.exists()
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not run" in lines[0] and "--python" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_configuration_above_the_tree_cannot_name_a_script_beside_it(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    (tmp_path / "pyproject.toml").write_text('[tool.callgraph]\npython = "tools/python3"\n')
    _script(tmp_path / "tools" / "python3", marker)
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text("x = 1\n")
    done = _run(project, "check")
    assert not marker.exists()
    assert done.returncode == 2 and "is not run" in done.stderr, done.stderr


@pytest.mark.parametrize("target", ["/bin/sh", "/usr/bin/env"])
def test_a_link_to_another_program_is_refused(tmp_path: Path, target: str) -> None:
    if not os.path.exists(target):
        pytest.skip(f"{target} is not on this machine")
    _tree(tmp_path / "p", ".venv/bin/python")
    link = tmp_path / "p" / ".venv" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    done = _run(tmp_path / "p", "check")
    assert done.returncode == 2 and "not named like a Python interpreter" in done.stderr, done.stderr


def test_a_real_virtual_environment_in_the_tree_is_used(tmp_path: Path) -> None:
    """`python -m venv .venv` links bin/python to its base interpreter, outside the tree: allowed."""
    root = tmp_path / "p"
    _tree(root, ".venv/bin/python")
    subprocess.run([sys.executable, "-I", "-m", "venv", "--without-pip", str(root / ".venv")], check=True, timeout=120)
    if not (root / ".venv" / "bin" / "python").is_symlink():
        pytest.skip("this platform's venv copies the interpreter")
    done = _run(root, "check", "--exclude", ".venv/")
    assert done.returncode == 0, done.stderr


def test_the_command_line_is_the_users_own_choice(tmp_path: Path) -> None:
    """`--python` is never vetted: the user chose it (here: a wrapper script around a real one)."""
    marker = tmp_path / "ran"
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    _script(tmp_path / "wrapper" / "python", marker)
    done = _run(root, "check", "--python", str(tmp_path / "wrapper" / "python"), "--no-cache")
    assert done.returncode == 0, done.stderr
    assert marker.exists()
