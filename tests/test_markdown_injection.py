"""Hostile names in markdown reports: a label, a path, a default value or a remote's answer cannot
open HTML or break out of a code span (rendered by a real CommonMark parser, markdown-it-py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from callgraph.commands.cli import main
from callgraph.reports.escape import md_code, md_text
from callgraph.reports.parity_environment import render_markdown as environment_markdown
from callgraph.reports.environment_drift import EnvironmentDrift, EnvironmentSide

HOSTILE = [
    "a<img/src=x/onerror=alert(1)>",
    "x`<img src=x onerror=alert(1)>`y",
    "``<b>x</b>``",
    "`",
    "a&amp;<script>x</script>",
    "|<i>|",
]

_MD = MarkdownIt("commonmark")


def _raw_html(markdown: str) -> list[str]:
    """Tags the parser passes through as HTML (every `<` we emit must be escaped or in code)."""
    html = _MD.render(markdown)
    return re.findall(r"<(?:img|script|b|i)\b[^>]*>", html)


@pytest.mark.parametrize("name", HOSTILE)
def test_escapers_hold_any_name(name: str) -> None:
    for text in (md_code(name), md_text(name), f"x {md_code(name)} y {md_text(name)}"):
        assert not _raw_html(text), text
    code = _MD.parseInline(md_code(name))[0].children
    assert [t.type for t in code] == ["code_inline"] and code[0].content.strip() == name.replace("|", "\\|").strip()


def _run(cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name", [n for n in HOSTILE if "/" not in n])
def test_diff_heading_escapes_the_labels(tmp_path: Path, monkeypatch, capsys, name: str) -> None:
    for d in ("old", name):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text("def f(a):\n    return a\n")
    code, out = _run(tmp_path, monkeypatch, capsys, "diff", "old", name, "--no-cache", "--format", "markdown")
    assert code in (0, 1) and out.startswith("# callgraph diff: ")
    assert not _raw_html(out), out.splitlines()[0]


@pytest.mark.parametrize("name", HOSTILE)
def test_parity_summary_code_spans_hold_hostile_signatures(tmp_path: Path, monkeypatch, capsys, name: str) -> None:
    default = repr(name)
    files = {"app/__init__.py": "", "app/main.py": "from .lib import f\n\n\ndef run():\n    return f(1, 2)\n"}
    for side, lib in (("l", f"def f(a, b={default}):\n    return a\n"), ("r", f"def f(a, *, b={default}):\n    return a\n")):
        for rel, text in {**files, "app/lib.py": lib}.items():
            p = tmp_path / side / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
    code, out = _run(tmp_path, monkeypatch, capsys, "parity", "l", "r", "--module", "app.lib")
    assert code == 1
    summary = out.split("## 1. Executive summary", 1)[1].split("## 2.", 1)[0]
    assert "Root cause" in summary
    assert not _raw_html(out), summary


def test_parity_interpreter_table_escapes_the_remote_answer() -> None:
    hostile = "CPython 3.11.9 on <img src=x onerror=alert(1)>"
    side = lambda label, py, exe: EnvironmentSide(label, py, (3, 11, 9), "linux", exe, {})  # noqa: E731
    drift = EnvironmentDrift(side("local", "CPython 3.11.9 on linux", "/usr/bin/python3"),
                             side("remote", hostile, "/x`<img src=x onerror=alert(1)>`/python"), [], [], [])
    out = "\n".join(environment_markdown(drift))
    assert not _raw_html(out), out


@pytest.mark.parametrize("name", HOSTILE)
def test_editor_hover_keeps_hostile_signatures_in_code(name: str) -> None:
    from callgraph.reports.editor import Hover

    text = Hover("f", (("m.f", f"{name}.py", 3, f"(a={name!r}, b='```')"),), True).markdown()
    assert not _raw_html(text), text
    assert not _raw_html(Hover(name, (), False).markdown())
