"""Real git repositories built in temporary directories, for snapshot and diff tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def ddl_story(path: Path) -> Path:
    """The ETL package on `main` (one _ddl_attempt) and `debug/codex-test` (redefined later)."""
    repo = new_repo(path)
    shutil.copytree(FIXTURES / "etl_pipeline", repo, dirs_exist_ok=True)
    driver = repo / "etl" / "drivers" / "supabase.py"
    text = driver.read_text()
    head, sep, _ = text.partition("    def _ddl_attempt(self) -> int:  # expect: CG201")
    assert sep, "fixture changed: the later _ddl_attempt is gone"
    clean = head.rstrip() + "\n"
    driver.write_text(clean)
    stats_fix = clean.replace("self._ddl_attempt()", "self._attempts")
    driver.write_text(stats_fix)
    commit_all(repo, "ETL pipeline")
    git(repo, "checkout", "-q", "-b", "debug/codex-test")
    driver.write_text(text)
    commit_all(repo, "count DDL attempts")
    git(repo, "checkout", "-q", "main")
    return repo
