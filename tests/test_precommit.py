"""The pre-commit hook, driven by the real `pre-commit` tool in temporary git repositories.

A change to a signature in one file must be caught at its callers in other, unchanged files;
the hook checks what the commit records (the git index), not the working tree.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pre_commit_clientlib = pytest.importorskip("pre_commit.clientlib")

REPO = Path(__file__).resolve().parents[1]
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "PRE_COMMIT_HOME": str(tmp / "pre-commit-cache"),
            "CALLGRAPH_CACHE_DIR": str(tmp / "callgraph-cache"),
            "NO_COLOR": "1",
        }
    )
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def git(repo: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["git", *args], repo, env, check=check)


# -- the published hook definition ---------------------------------------------------------------


def test_hooks_file_is_valid_for_pre_commit() -> None:
    """pre-commit's own manifest schema accepts the file, with the values the issue asks for."""
    hooks = pre_commit_clientlib.load_manifest(str(HOOKS_FILE))
    assert [h["id"] for h in hooks] == ["callgraph"]
    hook = hooks[0]
    assert hook["entry"] == "callgraph check --format concise"  # one line per finding in the hook's log
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "pyi"]
    assert hook["require_serial"] is True
    assert hook["pass_filenames"] is True


def test_entry_point_exists() -> None:
    """`entry: callgraph check` needs the console script the package installs."""
    text = (REPO / "pyproject.toml").read_text()
    assert 'callgraph = "callgraph.commands.cli:main"' in text


# -- a project whose caller lives in another file -----------------------------------------------------

API_V1 = "def total(prices):\n    return sum(prices)\n"
API_V2 = "def total(prices, tax):\n    return sum(prices) * (1 + tax)\n"
CALLER = "from shop.api import total\n\n\ndef checkout(cart):\n    return total(cart)\n"
CALLER_FIXED = "from shop.api import total\n\n\ndef checkout(cart):\n    return total(cart, 0.2)\n"


def make_project(root: Path, env: dict[str, str], hook_config: str) -> Path:
    repo = root / "project"
    (repo / "shop").mkdir(parents=True)
    git(repo, env, "init", "-q", "-b", "main")
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "api.py").write_text(API_V1)
    (repo / "shop" / "cart.py").write_text(CALLER)
    (repo / ".pre-commit-config.yaml").write_text(hook_config)
    run(PRE_COMMIT + ["install"], repo, env)
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "shop")  # clean: the hook passes
    return repo


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess:
    return git(repo, env, "commit", "-m", message, check=False)


def local_hook_config() -> str:
    """The hook as .pre-commit-hooks.yaml declares it, run from this checkout (uncommitted work included)."""
    hook = pre_commit_clientlib.load_manifest(str(HOOKS_FILE))[0]
    entry = f"{shlex.quote(sys.executable)} -m callgraph " + hook["entry"].removeprefix("callgraph ")
    return (
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        f"      - id: {hook['id']}\n"
        f"        name: {hook['name']}\n"
        f"        entry: {entry}\n"
        "        language: system\n"
        f"        types_or: [{', '.join(hook['types_or'])}]\n"
        f"        require_serial: {str(hook['require_serial']).lower()}\n"
    )


def test_commit_breaking_a_caller_in_an_unchanged_file_is_rejected(tmp_path: Path) -> None:
    env = _env(tmp_path)
    repo = make_project(tmp_path, env, local_hook_config())

    # change only the callee: cart.py is not staged, not passed to the hook, and broken
    (repo / "shop" / "api.py").write_text(API_V2)
    git(repo, env, "add", "shop/api.py")
    proc = commit(repo, env, "add tax")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "shop/cart.py:5:12: CG102 total() missing 1 required positional argument: 'tax' [shop.api.total]" in out
    assert git(repo, env, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    # an unstaged fix does not count: the commit would still record the broken caller
    (repo / "shop" / "cart.py").write_text(CALLER_FIXED)
    proc = commit(repo, env, "add tax")
    assert proc.returncode != 0 and "CG102" in proc.stdout + proc.stderr

    # staging the fix lets the commit through
    git(repo, env, "add", "shop/cart.py")
    proc = commit(repo, env, "add tax")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(repo, env, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_commit_all_and_partial_commits_use_the_temporary_index(tmp_path: Path) -> None:
    """`git commit -a` and `git commit FILE` hand the hook a temporary index (GIT_INDEX_FILE)."""
    env = _env(tmp_path)
    repo = make_project(tmp_path, env, local_hook_config())
    (repo / "shop" / "api.py").write_text(API_V2)
    proc = git(repo, env, "commit", "-a", "-m", "add tax", check=False)
    assert proc.returncode != 0 and "shop/cart.py:5:12: CG102" in proc.stdout + proc.stderr
    proc = git(repo, env, "commit", "shop/api.py", "-m", "add tax", check=False)
    assert proc.returncode != 0 and "shop/cart.py:5:12: CG102" in proc.stdout + proc.stderr
    (repo / "shop" / "cart.py").write_text(CALLER_FIXED)
    proc = git(repo, env, "commit", "-a", "-m", "add tax", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hook_reads_the_index_not_untracked_files(tmp_path: Path) -> None:
    """A broken caller that is not part of the commit (untracked) does not block it."""
    env = _env(tmp_path)
    repo = make_project(tmp_path, env, local_hook_config())
    (repo / "shop" / "scratch.py").write_text("from shop.api import total\ntotal()\n")  # never staged
    (repo / "shop" / "api.py").write_text(API_V1 + "\n\ndef average(prices):\n    return total(prices) / len(prices)\n")
    git(repo, env, "add", "shop/api.py")
    proc = commit(repo, env, "average")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the same files from the working tree do see the scratch file
    check = run([sys.executable, "-m", "callgraph", "check", "--no-staged", "shop/api.py"], repo, env, check=False)
    assert check.returncode == 1 and "shop/scratch.py:2:1: CG102" in check.stdout


def test_hook_reports_calls_inside_the_staged_file_too(tmp_path: Path) -> None:
    env = _env(tmp_path)
    repo = make_project(tmp_path, env, local_hook_config())
    (repo / "shop" / "cart.py").write_text(CALLER + "\n\ntotal([1], 2)\n")
    git(repo, env, "add", "shop/cart.py")
    proc = commit(repo, env, "bad call")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "shop/cart.py:8:1: CG101 total() takes 1 positional argument but 2 were given" in out
    assert "shop/cart.py:5:" not in out  # the unchanged, valid call is not reported


def test_only_stub_files_staged_is_clean(tmp_path: Path) -> None:
    env = _env(tmp_path)
    repo = make_project(tmp_path, env, local_hook_config())
    (repo / "shop" / "api.pyi").write_text("def total(prices: list[float]) -> float: ...\n")
    git(repo, env, "add", "shop/api.pyi")
    proc = commit(repo, env, "stubs")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the hook as published: installed by pre-commit from a git repository ----------------------------


def _hook_repo(dest: Path, env: dict[str, str]) -> str:
    """A git repository holding this checkout's current files (committed or not), as pre-commit clones it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    dest.mkdir()
    for raw in listed:
        rel = os.fsdecode(raw)
        if not rel or not (rel in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml") or rel.startswith(("callgraph/", "probes/"))):
            continue
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, env, "init", "-q", "-b", "main")
    git(dest, env, "add", "-A")
    git(dest, env, "commit", "-q", "-m", "callgraph hook")
    return git(dest, env, "rev-parse", "HEAD").stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is required")
def test_published_hook_installed_by_pre_commit(tmp_path: Path) -> None:
    """`repo: <this repository>` + `id: callgraph`: pre-commit builds its own virtualenv, installs
    the package with pip, and runs `callgraph check` with the staged file names."""
    env = _env(tmp_path)
    rev = _hook_repo(tmp_path / "hook-repo", env)
    config = f"repos:\n  - repo: {tmp_path / 'hook-repo'}\n    rev: {rev}\n    hooks:\n      - id: callgraph\n"
    repo = make_project(tmp_path, env, config)
    (repo / "shop" / "api.py").write_text(API_V2)
    git(repo, env, "add", "shop/api.py")
    proc = commit(repo, env, "add tax")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "shop/cart.py:5:12: CG102 total() missing 1 required positional argument: 'tax'" in out
    (repo / "shop" / "cart.py").write_text(CALLER_FIXED)
    git(repo, env, "add", "shop/cart.py")
    proc = commit(repo, env, "add tax")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- --staged without pre-commit ---------------------------------------------------------------------


def test_staged_flag_reads_the_index_and_names_paths_from_the_current_directory(tmp_path: Path) -> None:
    env = _env(tmp_path)
    repo = tmp_path / "r"
    (repo / "shop").mkdir(parents=True)
    git(repo, env, "init", "-q", "-b", "main")
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "api.py").write_text(API_V2)
    (repo / "shop" / "cart.py").write_text(CALLER)
    git(repo, env, "add", "-A")
    (repo / "shop" / "cart.py").write_text(CALLER_FIXED)  # fixed in the working tree only
    cmd = [sys.executable, "-m", "callgraph", "check"]
    assert run(cmd + ["--no-staged", "."], repo, env, check=False).returncode == 0
    staged = run(cmd + ["--staged"], repo, env, check=False)
    assert staged.returncode == 1 and staged.stdout.startswith("shop/cart.py:5:12: CG102 ")
    inside = run(cmd + ["--staged", "api.py"], repo / "shop", env, check=False)
    assert inside.returncode == 1 and inside.stdout.startswith("cart.py:5:12: CG102 "), inside.stdout + inside.stderr
    # PRE_COMMIT=1 with file names is the hook: staged by default
    hooked = run(cmd + ["shop/api.py"], repo, {**env, "PRE_COMMIT": "1"}, check=False)
    assert hooked.returncode == 1 and "shop/cart.py:5:12: CG102" in hooked.stdout
    outside = run(cmd + ["--staged"], tmp_path, env, check=False)
    assert outside.returncode == 2 and "not a git repository" in outside.stderr
