"""Fixture projects: `callgraph check` must report exactly the `# expect: CGxxx` markers.

Runs the real command in a subprocess, as a user or pre-commit would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MARKER = re.compile(r"#\s*expect:\s*([A-Z0-9,\s]+)$")
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def expected(project: Path) -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted(project.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            m = MARKER.search(line)
            if m:
                for code in re.split(r"[,\s]+", m.group(1).strip()):
                    out.add((path.relative_to(project).as_posix(), n, code))
    return out


def run_check(project: Path) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "callgraph", "check", ".", "--format", "json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_there_are_fixture_projects() -> None:
    assert len(PROJECTS) >= 3


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_project_exact(name: str) -> None:
    project = FIXTURES / name
    want = expected(project)
    rc, report = run_check(project)
    got = {(f["path"], f["line"], f["code"]) for f in report["findings"]}
    missing = sorted(want - got)
    extra = sorted(
        (f["path"], f["line"], f["code"], f["message"])
        for f in report["findings"]
        if (f["path"], f["line"], f["code"]) not in want
    )
    assert not missing and not extra, f"missing (recall): {missing}\nunexpected (precision): {extra}"
    assert rc == (1 if want else 0)
