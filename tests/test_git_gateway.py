"""No program configured by the analysed repository runs: every git call goes through one gateway.

Each case below builds a real repository (git 2.39 here) whose own configuration names a
marker-writing program under one of the keys by which git runs a program (hooks, fsmonitor,
transports and their helpers on a partial clone's lazy fetch, pagers, external diff, textconv,
filters, signature verification, credential helpers, includes), then runs every callgraph command
that touches git on it. The marker must never appear, and the commands must still answer.
"""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Callable

import pytest
from gitrepo import ENV

from callgraph.commands.cli import main
from callgraph.snapshots import git as gitmod
from callgraph.snapshots.spec import open_snapshot

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is required")

HOOKS = (
    "applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit prepare-commit-msg "
    "commit-msg post-commit pre-rebase post-checkout post-merge pre-push pre-receive update "
    "proc-receive post-receive post-update reference-transaction push-to-checkout pre-auto-gc "
    "post-rewrite sendemail-validate fsmonitor-watchman p4-changelist p4-prepare-changelist "
    "p4-post-changelist p4-pre-submit post-index-change"
).split()


def plain_git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    """The tests' own git, outside the gateway: it builds the hostile repositories."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, input=input,
                          timeout=60).stdout.decode()


def _commit(repo: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        (repo / rel).write_text(text)
    plain_git(repo, "add", "-A")
    plain_git(repo, "commit", "-q", "-m", message)


def _source(root: Path) -> Path:
    """Three commits: the old `use.py` of HEAD~1 is a blob a blob-less clone lacks."""
    repo = root / "src"
    repo.mkdir()
    plain_git(repo, "init", "-q", "-b", "main")
    _commit(repo, {"m.py": "def f(a):\n    return a\n", "use.py": "from m import f\n\nf(1)\n"}, "one")
    _commit(repo, {"m.py": "def f(a, b=0):\n    return a + b\n"}, "two")
    _commit(repo, {"use.py": "from m import f\n\nf(1)\nf(1, 2)\n"}, "three")
    return repo


def _stage(repo: Path) -> None:
    (repo / "use.py").write_text("from m import f\n\nf(1)\nf(1, 2, 3)\n")
    plain_git(repo, "add", "use.py")


def plain_repo(root: Path, url: str | None = None) -> Path:
    repo = _source(root)
    _stage(repo)
    return repo


def partial_clone(root: Path, url: str | None = None) -> Path:
    """A blob-less clone served over file://; its remote then points at `url` (the hostile one)."""
    src = _source(root)
    bare = root / "bare.git"
    plain_git(root, "clone", "-q", "--bare", str(src), str(bare))
    plain_git(bare, "config", "uploadpack.allowFilter", "true")
    repo = root / "clone"
    plain_git(root, "-c", "protocol.file.allow=always", "clone", "-q", "--filter=blob:none", f"file://{bare}", str(repo))
    missing = plain_git(repo, "rev-list", "--objects", "--missing=print", "HEAD~1")
    assert "?" in missing, "the clone should lack the old blobs"
    if url is not None:
        plain_git(repo, "config", "remote.origin.url", url)
    _stage(repo)
    return repo


def _evil(root: Path, marker: Path) -> str:
    """A program that leaves `marker` behind if anything runs it."""
    path = root / "evil.sh"
    path.write_text(f'#!/bin/sh\necho "ran: $0 $*" >> {marker}\nexit 0\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def _all_hooks(repo: Path, evil: str, where: Path) -> None:
    where.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        (where / name).write_text(f"#!/bin/sh\nexec {evil} {name} \"$@\"\n")
        (where / name).chmod(0o755)


def _attributes(repo: Path, line: str) -> None:
    git_dir = Path(plain_git(repo, "rev-parse", "--absolute-git-dir").strip())
    (git_dir / "info").mkdir(exist_ok=True)
    (git_dir / "info" / "attributes").write_text(line + "\n")
    (repo / ".gitattributes").write_text(line + "\n")


def _sign_head(repo: Path) -> None:
    """Rewrite HEAD with a (bogus) PGP signature: showing it would run gpg.program."""
    raw = plain_git(repo, "cat-file", "commit", "HEAD")
    head, _, message = raw.partition("\n\n")
    sig = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    signed = f"{head}\n{sig}\n\n{message}"
    oid = plain_git(repo, "hash-object", "-t", "commit", "-w", "--stdin", input=signed.encode()).strip()
    plain_git(repo, "update-ref", "refs/heads/main", oid)


def _alternates(repo: Path, root: Path) -> None:
    other = root / "other"
    other.mkdir()
    plain_git(other, "init", "-q")
    (repo / ".git" / "objects" / "info" / "alternates").write_text(f"{other / '.git' / 'objects'}\n")


def _config(repo: Path, settings: dict[str, str]) -> None:
    """Written last, straight into the repository's own config (no git command that could run it)."""
    for key, value in settings.items():
        plain_git(repo, "config", "--local", "--add", key, value)


Setup = Callable[[Path, Path, str], dict[str, str]]


def _include(repo: Path, root: Path, evil: str) -> dict[str, str]:
    included = root / "included.config"
    _all_hooks(repo, evil, root / "hooks")
    included.write_text(
        f"[core]\n\tfsmonitor = {evil}\n\thooksPath = {root / 'hooks'}\n\tpager = {evil}\n\taskPass = {evil}\n"
        f"\tsshCommand = {evil}\n\teditor = {evil}\n"
        f"[diff]\n\texternal = {evil}\n[diff \"evil\"]\n\ttextconv = {evil}\n"
        f"[filter \"evil\"]\n\tclean = {evil}\n\tsmudge = {evil}\n\tprocess = {evil}\n"
        f"[gpg]\n\tprogram = {evil}\n[log]\n\tshowSignature = true\n[credential]\n\thelper = {evil}\n"
        f"[pager]\n\tls-files = {evil}\n\tlog = {evil}\n"
    )
    _attributes(repo, "*.py diff=evil filter=evil")
    _sign_head(repo)
    return {"include.path": str(included), f"includeIf.gitdir:{repo}/.path": str(included)}


# id -> (repository kind, remote url for a partial clone, setup returning the config to write)
CASES: dict[str, tuple[Callable[..., Path], str | None, Setup]] = {
    "core.fsmonitor": (plain_repo, None, lambda repo, root, evil: {"core.fsmonitor": evil}),
    "core.hooksPath and .git/hooks": (
        plain_repo, None,
        lambda repo, root, evil: (_all_hooks(repo, evil, repo / ".git" / "hooks"), _all_hooks(repo, evil, root / "h"),
                                  {"core.hooksPath": str(root / "h")})[-1],
    ),
    "core.pager and pager.*": (
        plain_repo, None,
        lambda repo, root, evil: {"core.pager": evil, **{f"pager.{c}": evil for c in
                                  ("ls-files", "ls-tree", "cat-file", "rev-parse", "log", "for-each-ref")}},
    ),
    "diff.external": (plain_repo, None, lambda repo, root, evil: {"diff.external": evil}),
    "textconv and diff command": (
        plain_repo, None,
        lambda repo, root, evil: (_attributes(repo, "*.py diff=evil"),
                                  {"diff.evil.textconv": evil, "diff.evil.command": evil})[-1],
    ),
    "filter driver": (
        plain_repo, None,
        lambda repo, root, evil: (_attributes(repo, "*.py filter=evil"),
                                  {"filter.evil.clean": evil, "filter.evil.smudge": evil, "filter.evil.process": evil})[-1],
    ),
    "gpg.program with log.showSignature": (
        plain_repo, None,
        lambda repo, root, evil: (_sign_head(repo), {"gpg.program": evil, "gpg.openpgp.program": evil,
                                                     "log.showSignature": "true"})[-1],
    ),
    "core.sshCommand on a lazy fetch": (
        partial_clone, "ssh://git@example.invalid/x.git",
        lambda repo, root, evil: {"core.sshCommand": evil, "ssh.variant": "ssh"},
    ),
    "core.gitProxy on a lazy fetch": (
        partial_clone, "git://example.invalid/x.git", lambda repo, root, evil: {"core.gitProxy": evil},
    ),
    "remote.origin.uploadpack on a lazy fetch": (
        partial_clone, None, lambda repo, root, evil: {"remote.origin.uploadpack": evil},
    ),
    "ext:: transport allowed by the repository": (
        partial_clone, "ext::{evil} %S",
        lambda repo, root, evil: {"protocol.allow": "always", "protocol.ext.allow": "always"},
    ),
    "credential.helper and core.askPass": (
        partial_clone, "http://user@127.0.0.1:9/x.git",
        lambda repo, root, evil: {"credential.helper": evil, "core.askPass": evil},
    ),
    "uploadpack.packObjectsHook": (
        partial_clone, None, lambda repo, root, evil: {"uploadpack.packObjectsHook": evil},
    ),
    "core.alternateRefsCommand": (
        partial_clone, None,
        lambda repo, root, evil: (_alternates(repo, root), {"core.alternateRefsCommand": evil})[-1],
    ),
    "include.path and includeIf": (plain_repo, None, _include),
}


def _cli(repo: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _commands(repo: Path) -> list[list[str]]:
    return [
        ["check", "--staged", "--no-cache", "-j", "1"],
        ["check", ".", "--baseline", "HEAD", "--no-cache", "-j", "1"],
        ["check", ".", "--baseline", "HEAD~1", "--no-cache", "-j", "1"],
        ["diff", "HEAD~1", "HEAD", "--no-cache", "-j", "1"],
        ["signatures", "f", "--at", "HEAD", "--no-cache", "-j", "1"],
        ["parity", "HEAD", "."],
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_no_program_configured_by_the_repository_runs(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    build, url, setup = CASES[case]
    marker = tmp_path / "MARKER"
    evil = _evil(tmp_path, marker)
    repo = build(tmp_path, url.format(evil=evil) if url else None)
    _config(repo, setup(repo, tmp_path, evil))
    assert not marker.exists(), "the setup itself ran the program"
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CALLGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    lazy = build is partial_clone
    for argv in _commands(repo):
        code, out, err = _cli(repo, capsys, *argv)
        assert "Traceback" not in err, (argv, err)
        reads_old = "HEAD~1" in argv
        if lazy and reads_old:  # the old blob cannot be fetched: one clear line, exit 2
            assert code in (0, 1, 2), (argv, code, err)
            assert code != 2 or "missing or not a blob" in err, (argv, err)
        else:
            assert code in (0, 1), (argv, code, out, err)
    with open_snapshot("HEAD", repo) as snap:
        assert {path: snap.read(path) for path in snap.entries()}["m.py"].startswith(b"def f(a, b=0)")
    with open_snapshot("index:", repo) as snap:
        assert b"f(1, 2, 3)" in snap.read("use.py")
    assert not marker.exists(), marker.read_text()


# -- what is read cannot be moved by the repository -------------------------------------------------


def _elsewhere(repo: Path, root: Path) -> dict[str, str]:
    """core.worktree: git would list, compare and report against another directory."""
    other = root / "elsewhere"
    other.mkdir()
    (other / "outside.py").write_text("def g():\n    pass\n\n\ng(1, 2)\n")
    (other / "m.py").write_text("def f():\n    pass\n")
    return {"core.worktree": str(other)}


def _replace(repo: Path, root: Path, what: str) -> dict[str, str]:
    """refs/replace: git would hand out other bytes under a blob's (or a commit's) own id."""
    if what == "blob":
        fake = plain_git(repo, "hash-object", "-w", "--stdin", input=b"def f():\n    pass\n").strip()
        plain_git(repo, "replace", plain_git(repo, "rev-parse", "HEAD:m.py").strip(), fake)
    else:
        plain_git(repo, "replace", plain_git(repo, "rev-parse", "HEAD").strip(),
                  plain_git(repo, "rev-parse", "HEAD~2").strip())
    return {}


MOVES: dict[str, Setup] = {
    "core.worktree elsewhere": lambda repo, root, evil: _elsewhere(repo, root),
    "refs/replace of a blob": lambda repo, root, evil: _replace(repo, root, "blob"),
    "refs/replace of a commit": lambda repo, root, evil: _replace(repo, root, "commit"),
}


@pytest.mark.parametrize("case", list(MOVES))
def test_the_repository_cannot_move_what_is_read(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Every command reads the work tree git discovers and the objects their ids name: the
    repository's config and refs cannot point them elsewhere."""
    repo = plain_repo(tmp_path)
    _config(repo, MOVES[case](repo, tmp_path, ""))
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CALLGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    for argv in _commands(repo):
        code, out, err = _cli(repo, capsys, *argv)
        assert code in (0, 1) and "Traceback" not in err, (argv, code, out, err)
        assert "outside.py" not in out + err and "elsewhere" not in out + err, (argv, out, err)
    assert gitmod.git_toplevel(repo) == repo.resolve()
    with open_snapshot("HEAD", repo) as snap:
        assert snap.read("m.py").startswith(b"def f(a, b=0)") and snap.read("use.py").endswith(b"f(1, 2)\n")
    with open_snapshot("index:", repo) as snap:
        assert sorted(snap.entries()) == ["m.py", "use.py"] and b"f(1, 2, 3)" in snap.read("use.py")
    code, out, err = _cli(repo, capsys, "check", "--staged", "--no-cache", "-j", "1", "--format", "json")
    assert code == 1 and '"path": "use.py"' in out, (out, err)


# -- the environment git runs with ----------------------------------------------------------------


HOSTILE_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_PARAMETERS",
               "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_EXEC_PATH", "GIT_EXTERNAL_DIFF",
               "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_PROXY_COMMAND", "GIT_OBJECT_DIRECTORY",
               "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_TRACE", "GIT_TRACE2_EVENT",
               "GIT_CEILING_DIRECTORIES", "SSH_ASKPASS", "GIT_ALLOW_PROTOCOL")


def test_inherited_git_variables_never_reach_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """GIT_* variables in our own environment (a hostile config, another repository, another git)
    are dropped: git sees only what the gateway sets."""
    marker = tmp_path / "MARKER"
    evil = _evil(tmp_path, marker)
    repo = plain_repo(tmp_path)
    hostile = tmp_path / "hostile.config"
    hostile.write_text(f"[core]\n\tfsmonitor = {evil}\n[diff]\n\texternal = {evil}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    values = {name: str(evil) for name in HOSTILE_ENV}
    values.update({
        "GIT_DIR": str(elsewhere), "GIT_WORK_TREE": str(elsewhere), "GIT_CONFIG_GLOBAL": str(hostile),
        "GIT_CONFIG_SYSTEM": str(hostile), "GIT_CONFIG_PARAMETERS": f"'core.fsmonitor'='{evil}'",
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor", "GIT_CONFIG_VALUE_0": evil,
        "GIT_EXEC_PATH": str(elsewhere), "GIT_OBJECT_DIRECTORY": str(elsewhere), "GIT_TRACE": str(marker),
        "GIT_TRACE2_EVENT": str(marker), "GIT_CEILING_DIRECTORIES": str(tmp_path), "GIT_ALLOW_PROTOCOL": "file:ext",
    })
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    env = gitmod.git_environment()
    assert not [name for name in HOSTILE_ENV if env.get(name) == values[name]], env
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_TERMINAL_PROMPT"] == "0"
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CALLGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = _cli(repo, capsys, "check", "--staged", "--no-cache", "-j", "1")
    assert code == 1 and "Traceback" not in err, (code, out, err)
    code, out, err = _cli(repo, capsys, "diff", "HEAD~1", "HEAD", "--no-cache", "-j", "1")
    assert code in (0, 1) and "Traceback" not in err, (code, out, err)
    assert not marker.exists(), marker.read_text()


def test_every_git_argument_list_starts_with_the_overrides() -> None:
    """The argument builder is the one place: each key by which git runs a program is overridden."""
    argv = gitmod.git_argv("ls-files", "-s")
    assert argv[0] == "git" and argv[-2:] == ["ls-files", "-s"]
    settings = {argv[i + 1].partition("=")[0]: argv[i + 1].partition("=")[2] for i, a in enumerate(argv) if a == "-c"}
    assert settings["core.fsmonitor"] == "false" and settings["core.hooksPath"] == os.devnull
    assert settings["protocol.allow"] == "never" and settings["credential.helper"] == ""
    assert "--no-pager" in argv


# -- one gateway --------------------------------------------------------------------------------------


def _git_calls(path: Path) -> list[int]:
    """Lines where a `subprocess` function is called with an argument list starting with "git"."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in ("run", "Popen", "call", "check_call", "check_output", "run_bounded"):
            continue
        for arg in node.args[:1]:
            if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts and isinstance(arg.elts[0], ast.Constant) \
                    and arg.elts[0].value == "git":
                lines.append(node.lineno)
    return lines


def test_git_runs_through_one_gateway() -> None:
    """No module but `callgraph/snapshots/git.py` starts git: hardening git is one edit."""
    gateway = REPO / "callgraph" / "snapshots" / "git.py"
    offenders = []
    for folder in ("callgraph", "probes", "scripts", "benchmarks"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path != gateway:
                offenders += [f"{path.relative_to(REPO)}:{line}" for line in _git_calls(path)]
    assert not offenders, "git started outside the gateway:\n" + "\n".join(offenders)
