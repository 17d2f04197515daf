"""Git snapshots: a commit read straight from the object database (no checkout, no worktree; bare
repositories work), or the staged index. git runs without a shell, with arguments that can never
become options."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..errors import InputError
from .base import FileEntry, Snapshot, is_python

class _Git:
    """Runs git without a shell; arguments after --end-of-options can never become options."""

    def __init__(self, cwd: str | Path) -> None:
        self.cwd = str(cwd)
        self._batch: subprocess.Popen | None = None

    def run(self, *args: str, check: bool = True) -> bytes:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=self.cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120
            )
        except FileNotFoundError:
            raise InputError("git is not installed or not on PATH") from None
        except subprocess.TimeoutExpired:
            raise InputError(f"git {args[0]} timed out") from None
        if check and proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
        return proc.stdout

    def cat(self, oid: str) -> bytes:
        """One long-lived `git cat-file --batch` serves every blob read."""
        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
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
                    stream.close()
            self._batch.wait(timeout=10)
            self._batch = None


def _git_dir_exists(cwd: Path) -> bool:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--git-dir"], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30
        )
    except FileNotFoundError:
        if not cwd.is_dir():
            return False
        raise InputError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def git_toplevel(cwd: str | Path) -> Path | None:
    """The top of the git work tree holding `cwd`, or None (not in one, no git, or git hangs):
    callers fall back to another directory rather than fail."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30
        )
    except (FileNotFoundError, subprocess.TimeoutExpired, NotADirectoryError):
        return None
    out = proc.stdout.decode(errors="replace").strip()
    return Path(out) if proc.returncode == 0 and out else None


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
