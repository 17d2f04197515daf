"""Real git repositories built in temporary directories, for snapshot and diff tests.

The builder lives in the package (`callgraph.demo_story`, which `callgraph demo` uses too); the
tests build the story from the fixture itself, `fixtures/etl_pipeline`.
"""

from __future__ import annotations

from pathlib import Path

from callgraph.reports import demo_story
from callgraph.reports.demo_story import commit_all, git, new_repo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ENV = demo_story.git_env()


def ddl_story(path: Path) -> Path:
    """The ETL package on `main` (one _ddl_attempt) and `debug/codex-test` (redefined later)."""
    return demo_story.ddl_story(path, FIXTURES / "etl_pipeline")


__all__ = ["ENV", "FIXTURES", "commit_all", "ddl_story", "git", "new_repo"]
