"""Reports that fit: every text table and line at most the terminal's width (100 when not one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callgraph.commands.demo import build, story_report
from callgraph.reports.parity import render
from callgraph.reports.parity_evidence import investigate
from callgraph.commands.demo import MODULE, SYMBOL
from callgraph.reports.tables import DEFAULT_WIDTH, Labels, fit_lines, fit_table, footnoted, terminal_width


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def parity(story: dict):
    return investigate(".", story["spec"], modules=[MODULE], symbols=[SYMBOL], cwd=story["repo"])


def too_wide(text: str, width: int) -> list[str]:
    return [line for line in text.splitlines() if len(line) > width]


def test_the_demo_parity_report_fits_100_columns_in_text(parity) -> None:
    text = render(parity, "text")
    assert too_wide(text, 100) == []
    for n, title in enumerate(["Executive summary", "File integrity", "Signature drift", "Findings"], 1):
        assert f"## {n}. {title}" in text
    # the remote spec is defined once, at the top; everywhere else it is `remote` / "$REMOTE"
    assert text.count(parity.remote_label[:60]) == 1
    assert text.count("REMOTE='cmd:env") == 1
    assert '`callgraph parity . "$REMOTE" --module' in text
    # the note repeated on the unchanged files' rows is written once, under the table
    integrity = text.split("## 2.")[1].split("## 3.")[0]
    assert "\n[1] the copy on sys.path[4]" in integrity
    assert integrity.count("[1]") == 10  # 9 rows (the same files) and the footnote itself


def test_the_label_definition_is_one_shell_word(parity) -> None:
    """The split `REMOTE=...` lines, run by a real shell, give back the spec byte for byte."""
    text = render(parity, "text", width=80)
    assert too_wide(text, 80) == []
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("REMOTE="))
    end = next(i for i in range(start, len(lines)) if not lines[i].endswith("\\"))
    script = "\n".join(lines[start : end + 1]) + '\nprintf %s "$REMOTE"'
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    assert out == parity.remote_label


@pytest.mark.parametrize("width", [60, 100, 140])
def test_the_whole_demo_output_fits(story: dict, width: int) -> None:
    assert too_wide(story_report(story, "text", width), width) == []


def test_markdown_keeps_pipe_tables_with_labels_and_footnotes(parity) -> None:
    md = render(parity, "markdown")
    assert "| `osiris/cli.py`" in md and "REMOTE='cmd:env" in md
    assert md.count("the copy on sys.path[4]") == 2  # the footnote, and the differing row's note


def test_the_demo_command_prints_text_fitted_when_not_a_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    proc = subprocess.run([sys.executable, "-m", "callgraph", "demo"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert too_wide(proc.stdout, DEFAULT_WIDTH) == []


def test_fit_table_wraps_cells_and_never_splits_short_tokens() -> None:
    rows = [["e03cb564e8c8582c", "x" * 30 + " " + "word " * 40, "/a/very/long/path/" * 5]]
    out = fit_table(rows, ["sha256", "notes", "path"], width=70)
    assert too_wide(out, 70) == []
    assert "e03cb564e8c8582c" in out  # a 16-digit hash stays whole
    assert fit_table([["a", "b"]], ["x", "y"]) == "x    y\n---  ---\na    b"


def test_footnotes_collect_repeated_long_values_only() -> None:
    long = "the same long note repeated on every row of the table"
    rows, notes = footnoted([["a", long], ["b", long], ["c", "short"], ["d", "short"]])
    assert rows == [["a", "[1]"], ["b", "[1]"], ["c", "short"], ["d", "short"]]
    assert notes == [f"[1] {long}"]
    assert footnoted([["a", long]]) == ([["a", long]], [])


def test_labels_and_lines() -> None:
    labels = Labels()
    labels.add("cmd:" + "x" * 50, "remote")
    assert labels.apply("run cmd:" + "x" * 50 + " now") == "run remote now"
    text = "- " + "word " * 40
    wrapped = fit_lines(text, 50)
    assert too_wide(wrapped, 50) == [] and wrapped.splitlines()[1].startswith("  word")


def test_terminal_width_defaults_to_100_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width(io.StringIO()) == 100
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width(io.StringIO()) == 132
