"""Git snapshots: a commit read straight from the object database (no checkout, no worktree; bare
repositories work), or the staged index.

Every git call in callgraph goes through `run_git` (and the long-lived `cat-file --batch` through
the same `git_argv` and `git_environment`): the repository is untrusted, and git runs programs
its own config names. `git_argv` overrides each such key on the command line (which wins over
the repository's config and whatever it includes), `git_environment` drops every inherited GIT_*
variable and sets the ones that switch the rest off. No shell, stdin closed, a timeout and an
output limit (`callgraph.subprocesses`). docs/RELIABILITY.md says what is overridden and why."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError
from ..subprocesses import Messages, run_bounded, stop
from .base import FileEntry, Snapshot, is_python

TIMEOUT = 120.0  # seconds for one git call
MAX_OUTPUT = 512 * 1024 * 1024  # bytes of one call's output (`ls-tree -r` of a huge monorepo: ~100 MB)

# `-c` overrides: every configuration key by which git runs a program, set to run nothing (or a
# program of ours that does nothing). Command-line values win over the repository's own config and
# over anything it includes (include.path, includeIf). Keys git reads only from protected config
# (uploadpack.packObjectsHook) and multi-valued keys whose first value wins (core.gitProxy) cannot
# be overridden here: they are reached only through a transport, and every transport is off.
OVERRIDES: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),  # a hook run by ls-files, status, ... on every index read
    ("core.hooksPath", os.devnull),  # no hook is ever found
    ("core.pager", "cat"),  # git runs no pager for "cat" (nor without a terminal, nor with --no-pager)
    ("core.editor", ":"),  # ":" is git's "no editor"
    ("sequence.editor", ":"),
    ("core.askPass", ""),  # empty: no askpass program
    ("credential.helper", ""),  # empty resets the list of helpers read so far (all of them)
    ("core.sshCommand", "false"),
    ("core.alternateRefsCommand", "true"),  # run through a shell by fetch and receive-pack
    ("diff.external", ""),  # empty: a diff would fail rather than run the repository's program
    ("log.showSignature", "false"),  # verifying a signature runs gpg.program
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.ssh.defaultKeyCommand", "false"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
    ("gc.auto", "0"),  # no background `gc --auto` after our own commits (demo_story)
    ("maintenance.auto", "false"),
    # No transport at all: a partial clone's lazy fetch of a missing blob would otherwise connect
    # with core.sshCommand, core.gitProxy, remote.*.uploadpack, an ext:: command or a remote helper.
    # protocol.<name>.allow beats protocol.allow, so each known name is set too; GIT_ALLOW_PROTOCOL
    # (below) beats both, for every name.
    ("protocol.allow", "never"),
    *((f"protocol.{name}.allow", "never") for name in ("file", "git", "ssh", "http", "https", "ftp", "ftps", "ext", "fd")),
)

# Inherited variables kept: git sets GIT_INDEX_FILE for a pre-commit hook to the index the commit
# will record (`git commit -a`, `git commit FILE`); an index names no program. Every other GIT_*
# variable is dropped (GIT_DIR, GIT_CONFIG_*, GIT_EXEC_PATH, GIT_SSH*, GIT_EXTERNAL_DIFF, GIT_TRACE*,
# ...), with SSH_ASKPASS, which git would run for a password.
KEPT = frozenset({"GIT_INDEX_FILE"})
DROPPED = frozenset({"SSH_ASKPASS"})
FORCED: Mapping[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",  # /etc/gitconfig is not read (the user's global config is)
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",  # set and empty: beats core.askPass and SSH_ASKPASS, and runs nothing
    "GIT_PAGER": "cat",
    "GIT_EDITOR": ":",
    "GIT_SEQUENCE_EDITOR": ":",
    "GIT_NO_LAZY_FETCH": "1",  # a missing blob is missing: no fetch (git 2.39.4+, 2.45+)
    "GIT_ALLOW_PROTOCOL": "",  # an empty allow-list: no transport, whatever the config says
    "GIT_PROTOCOL_FROM_USER": "0",
    "GIT_OPTIONAL_LOCKS": "0",  # no opportunistic index refresh (and no write) by read-only commands
    "GIT_NO_REPLACE_OBJECTS": "1",  # refs/replace/*: a blob is the bytes its id names, never a substitute
}


def git_argv(*args: str) -> list[str]:
    """git, the overrides, then `args`: the argument list of every git process callgraph starts."""
    argv = ["git", "--no-pager"]
    for key, value in OVERRIDES:
        argv += ["-c", f"{key}={value}"]
    return [*argv, *args]


def git_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: our own environment) without inherited GIT_* variables but KEPT, plus FORCED.
    A `base` our own code builds (a hermetic identity for the demo repository) keeps its GIT_*."""
    if base is None:
        env = {k: v for k, v in os.environ.items() if (not k.startswith("GIT_") or k in KEPT) and k not in DROPPED}
    else:
        env = {k: v for k, v in base.items() if k not in DROPPED}
    return {**env, **FORCED}


_MESSAGES = Messages(
    missing="git is not installed or not on PATH",
    cannot_run="git is not installed or not on PATH",
    timeout="git {label} timed out",
    flood="git {label}: more than {limit} bytes of output; stopped it",
    no_exit="git {label} timed out",
    unstoppable="git {label}: could not be stopped",
)


def run_git(*args: str, cwd: str | Path, check: bool = True, env: Mapping[str, str] | None = None,
            timeout: float = TIMEOUT, max_output: int = MAX_OUTPUT) -> bytes:
    """The one function that runs git: stdout, or InputError with one line (git missing, a timeout,
    too much output, and with `check` a failure: git's last line of stderr). The work tree is
    always named (`work_tree`), so the repository's `core.worktree` cannot move it elsewhere."""
    top = work_tree(cwd, env)
    argv = git_argv(f"--work-tree={top}", *args) if top is not None else git_argv(*args)
    done = run_bounded(argv, error=InputError, label=args[0], timeout=timeout, max_output=max_output,
                       cwd=cwd, env=git_environment(env), messages=_MESSAGES)
    if check and done.code != 0:
        message = done.err.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git {args[0]} failed: {message[-1] if message else done.code}")
    return done.out


_WORK_TREES: dict[tuple[str, str | None], str] = {}


def work_tree(cwd: str | Path, env: Mapping[str, str] | None = None) -> str | None:
    """The work tree git finds from `cwd` by discovery, as if the repository set no `core.worktree`.

    An untrusted `.git/config` may name any directory as its work tree (`core.worktree = /etc`);
    git would then list, compare and report against it. By discovery a work tree holds the
    directory git was started in: the parent of a `.git` directory, or of the `.git` file a linked
    worktree's `gitdir` names, that contains `cwd`. None: bare, not a repository, or not that shape
    (git then runs as it would, and reads objects only). Found trees are remembered per directory."""
    here = os.path.abspath(cwd)
    key = (here, None if env is None else env.get("GIT_DIR"))
    if key in _WORK_TREES:
        return _WORK_TREES[key]
    try:
        # Named here too: git's own start-up would otherwise chdir into the configured tree.
        done = run_bounded(git_argv(f"--work-tree={here}", "rev-parse", "--absolute-git-dir"), error=InputError,
                           label="rev-parse", timeout=30, max_output=1 << 16, cwd=cwd, env=git_environment(env),
                           messages=_MESSAGES)
    except (InputError, OSError):
        return None
    if done.code != 0:
        return None
    git_dir = Path(os.fsdecode(done.out.strip()))
    top: Path | None = None
    if git_dir.name == ".git":
        top = git_dir.parent
    elif (git_dir / "commondir").is_file() and (git_dir / "gitdir").is_file():  # a linked worktree
        try:
            with open(git_dir / "gitdir", "rb") as fh:
                top = Path(os.fsdecode(fh.read(4096).strip())).parent
        except OSError:
            return None
    real = Path(os.path.realpath(here))
    if top is None or not top.is_absolute() or not (real == top or top in real.parents):
        return None
    _WORK_TREES[key] = str(top)
    return str(top)


class _Git:
    """git in one directory; arguments after --end-of-options can never become options."""

    def __init__(self, cwd: str | Path) -> None:
        self.cwd = str(cwd)
        self._batch: subprocess.Popen | None = None

    def run(self, *args: str, check: bool = True) -> bytes:
        return run_git(*args, cwd=self.cwd, check=check)

    def cat(self, oid: str) -> bytes:
        """One long-lived `git cat-file --batch` serves every blob read. It prints raw objects:
        no filter, no textconv (never --filters nor --textconv), and a missing blob is not fetched."""
        if self._batch is None:
            try:
                self._batch = subprocess.Popen(
                    git_argv("cat-file", "--batch"), cwd=self.cwd, env=git_environment(), stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
                )
            except OSError:
                raise InputError("git is not installed or not on PATH") from None
        assert self._batch.stdin and self._batch.stdout
        self._batch.stdin.write(oid.encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise InputError(f"git object {oid} is missing or not a blob")
        size = int(header[2])
        data = self._batch.stdout.read(size)
        self._batch.stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        if self._batch is not None:
            for stream in (self._batch.stdin, self._batch.stdout):
                if stream:
                    try:
                        stream.close()
                    except OSError:
                        pass
            try:
                self._batch.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            stop(self._batch)
            self._batch = None


def _git_dir_exists(cwd: Path) -> bool:
    if not cwd.is_dir():
        return False
    try:
        run_git("rev-parse", "--git-dir", cwd=cwd, timeout=30, max_output=1 << 20, check=True)
    except InputError as exc:
        if "not installed" in str(exc):
            raise
        return False
    return True


def git_toplevel(cwd: str | Path) -> Path | None:
    """The top of the git work tree holding `cwd`, or None (not in one, no git, or git hangs):
    callers fall back to another directory rather than fail."""
    try:
        out = run_git("rev-parse", "--show-toplevel", cwd=cwd, timeout=30, max_output=1 << 20)
    except (InputError, OSError):
        return None
    text = out.decode(errors="replace").strip()
    return Path(text) if text else None


class _GitTreeSnapshot(Snapshot):
    def __init__(self, cwd: str | Path) -> None:
        self.git = _Git(cwd)
        self.notes = []
        self._entries: dict[str, FileEntry] | None = None

    def read(self, path: str) -> bytes:
        return self.git.cat(self.entries()[path].oid)

    def close(self) -> None:
        self.git.close()

    def _keep(self, mode: str, path: str) -> bool:
        if mode == "160000":
            self.notes.append(f"{path}: submodule skipped")
            return False
        if mode == "120000":
            if is_python(path):
                self.notes.append(f"{path}: symbolic link skipped")
            return False
        return is_python(path)


class GitSnapshot(_GitTreeSnapshot):
    """A commit, read from git's object store: `ls-tree` once, blobs through `cat-file --batch`."""

    immutable = True

    def __init__(self, ref: str, cwd: str | Path = ".") -> None:
        super().__init__(cwd)
        if not ref or ref.startswith("-"):
            raise InputError(f"{ref!r}: not a valid git ref")
        if not _git_dir_exists(Path(cwd)):
            raise InputError(f"{Path(cwd).resolve()}: not a git repository")
        out = self.git.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        commit = out.decode().strip()
        if not commit:
            raise InputError(f"{ref}: no such git ref or commit")
        self.ref = ref
        self.commit = commit
        self.label = f"{ref} ({commit[:12]})"

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {}
            # Without -l: sizes would make git open every blob (70 ms on Django), and a blob whose
            # facts are cached is never read at all. A missing or corrupt object is reported when read.
            out = self.git.run("ls-tree", "-r", "-z", "--full-tree", self.commit)
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, raw_path = record.partition(b"\t")
                mode, kind, oid = meta.decode().split()
                path = os.fsdecode(raw_path)
                if kind in ("blob", "commit") and self._keep(mode, path):
                    self._entries[path] = FileEntry(path, oid, 0)
        return self._entries


class IndexSnapshot(_GitTreeSnapshot):
    """The staged content (what `git commit` would record): for pre-commit hooks."""

    def __init__(self, cwd: str | Path = ".") -> None:
        super().__init__(cwd)
        if not _git_dir_exists(Path(cwd)):
            raise InputError(f"{Path(cwd).resolve()}: not a git repository")
        top = self.git.run("rev-parse", "--show-toplevel").decode().strip()
        self.git = _Git(top)
        self.label = "index:"

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {}
            out = self.git.run("ls-files", "-s", "-z")
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, raw_path = record.partition(b"\t")
                mode, oid, stage = meta.decode().split()
                path = os.fsdecode(raw_path)
                if stage == "0" and self._keep(mode, path):
                    self._entries[path] = FileEntry(path, oid, 0)
        return self._entries
