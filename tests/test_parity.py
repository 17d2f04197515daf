"""`callgraph parity` and `callgraph demo`: the investigation report, section by section."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gitrepo import FIXTURES

from callgraph.reports import demo_story
from callgraph.commands.cli import main
from callgraph.commands.demo import DRIVER, MODULE, PACKAGE, SYMBOL, build
from callgraph.reports.parity_evidence import investigate
from callgraph.reports.parity import SUMMARY_LINES, render, report_dict
from callgraph.errors import InputError

PY = sys.executable


def cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "callgraph", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def run(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """The command line in-process (seconds saved per call): (exit code, stdout, stderr)."""

    def call(cwd: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def test_demo_sources_are_the_fixture_byte_for_byte() -> None:
    fixture = FIXTURES / "etl_pipeline"
    assert demo_story.SOURCES == {p.relative_to(fixture).as_posix(): p.read_text() for p in sorted(fixture.rglob("*.py"))}
    renamed = demo_story.story_sources(package=PACKAGE, driver=DRIVER)
    assert f"{PACKAGE}/drivers/{DRIVER}.py" in renamed
    assert f"from .{DRIVER} import SupabaseWriterDriver" in renamed[f"{PACKAGE}/drivers/__init__.py"]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def report(story: dict):
    return investigate(".", story["spec"], modules=[MODULE], symbols=[SYMBOL], cwd=story["repo"],
                       local_path=[str(story["local_site"])])


def test_summary_names_the_stale_file_the_signatures_and_cpythons_message(report, story: dict) -> None:
    summary = "\n".join(report.summary)
    assert len(report.summary) <= SUMMARY_LINES
    # A redefinition inside the remote copy is called one, and its CG201 finding is named as itself.
    assert report.summary[0].startswith(f"Root cause: the remote copy of `{PACKAGE}/drivers/{DRIVER}.py`")
    assert ("defines `SupabaseWriterDriver._ddl_attempt` again at line 112 as `(self)`; the earlier body at line 99, "
            "`(self, conn, sql, table, mode, channel)` as in the local file, is dead") in summary
    assert "3 calls break only there: SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given" in summary
    assert "The 4th finding only remotely (CG201 at line 112) is that redefinition itself." in summary
    assert f"The remote runs `debug/codex-test` of `{PACKAGE}/drivers/{DRIVER}.py`" in summary
    assert "count DDL attempts" in summary
    assert f"imports `{PACKAGE}` from `{story['site'] / PACKAGE}`" in summary
    assert "installed distribution `osiris 0.4.0`" in summary
    assert "2 findings fail on both sides" in summary and "`osiris/cli.py:29`, `osiris/pipeline.py:45`" in summary
    assert "osiris_app.pth" in summary and "started from the root (`python -m`) it would import the upload" in summary
    assert report.exit_code == 1
    # The second cause: the sandbox's dependency drift (retrylib 2 there, 1 here).
    assert (f"Root cause (environment): `{PACKAGE}/fetch.py:8` `Retry(..., method_whitelist=...)` binds with retrylib "
            "1.0.4 here and fails with retrylib 2.0.1 there: `Retry.__init__() got an unexpected keyword argument "
            "'method_whitelist'`.") in report.summary
    assert not any("without a signature change" in line for line in report.summary)


def test_integrity_drift_findings_modules_and_symbols(report, story: dict) -> None:
    driver = f"{PACKAGE}/drivers/{DRIVER}.py"
    rows = {r.path: r for r in report.files}
    assert len(rows) == 10 and {r.status for p, r in rows.items() if p != driver} == {"same"}
    row = rows[driver]
    assert row.status == "differs" and row.local.size != row.remote.size and len(row.remote.sha256) == 64
    assert row.remote.origin == str(story["site"] / driver)
    assert "the upload matches local" in row.note
    (drift,) = report.drift
    assert drift.new == "(self)" and drift.details == ("parameters removed: 'conn', 'sql', 'table', 'mode', 'channel'",)
    assert [f.code.value for f in report.remote_only] == ["CG101", "CG101", "CG101", "CG201", "CG103"]
    (call,) = report.environment.calls
    assert (call.fails, call.local_distribution, call.remote_distribution) == ("remote", "retrylib 1.0.4", "retrylib 2.0.1")
    assert report.environment.distributions[0].name == "retrylib"
    assert [(d.name, d.remote) for d in report.environment.distributions if d.name == "osiris"] == [("osiris", "0.4.0")]
    assert report.local_only == [] and [f.code.value for f in report.both] == ["CG103", "CG103"]
    (m,) = report.modules
    assert m.local.file == str(story["repo"] / driver) and m.remote.file == str(story["site"] / driver)
    assert m.remote_from_root.file == str(story["app"] / driver) and m.verdict == "differs"
    assert m.remote.entry_origin == "site-packages" and m.remote.index == 4
    (s,) = report.symbols
    assert [d.signature for d in s.remote.definitions][-1] == "(self)"
    assert [c.verdict for c in s.local.calls] == ["binds"] * 3
    assert sum(c.verdict == "error" for c in s.remote.calls) == 3
    sections = [c[0] for c in report.commands]
    assert sections[0] == "all sections" and any(x.startswith("5. ") for x in sections)
    assert any(cmd.endswith(f"sha256sum {story['site'] / driver}") for _, cmd in report.commands)


def test_markdown_and_json_renderings(report) -> None:
    md = render(report, "markdown")
    for n, title in enumerate(["Executive summary", "File integrity", "Signature drift", "Findings",
                               "What each interpreter would import", "Symbols", "Reproduce"], 1):
        assert f"## {n}. {title}" in md
    doc = json.loads(render(report, "json"))
    assert doc == report_dict(report) | {} and doc["exit_code"] == 1
    assert {f["status"] for f in doc["files"]} == {"same", "differs"}
    assert len(doc["findings"]["only_remote"]) == 5 and doc["modules"][0]["remote"]["sys_path_index"] == 4


def test_callgraph_demo_runs_in_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = cli(tmp_path, "demo", "--format", "markdown")  # unwrapped: its sentences whole (text: test_tables)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert f"Root cause: the remote copy of `{PACKAGE}/drivers/{DRIVER}.py`" in proc.stdout
    assert "again at line 112 as `(self)`; the earlier body at line 99, `(self, conn, sql, table, mode, channel)`" in proc.stdout
    assert "takes 1 positional argument but 6 were given" in proc.stdout
    assert "# callgraph diff: main" in proc.stdout and "Calls broken by the change (3)" in proc.stdout
    assert "binds with retrylib 1.0.4 here and fails with retrylib 2.0.1 there" in proc.stdout
    assert list(tmp_path.iterdir()) == [] and elapsed < 60


def test_demo_keep_leaves_a_repository_to_explore(tmp_path: Path, run) -> None:
    keep = tmp_path / "kept"
    code, out, err = run(tmp_path, "demo", "--keep", str(keep), "--format", "json")
    assert code == 0, err
    doc = json.loads(out[: out.rindex("}") + 1])
    assert doc["exit_code"] == 1 and (keep / "osiris-etl" / ".git").is_dir()
    code, _, err = run(tmp_path, "demo", "--keep", str(keep))
    assert code == 2 and "not empty" in err


# -- parity on plain directories --------------------------------------------------------------------

LOCAL = {
    "app/__init__.py": "",
    "app/lib.py": "def f(a, b):\n    return a\n",
    "app/main.py": "from .lib import f\n\n\ndef run():\n    return f(1, 2)\n",
    "app/only_here.py": "X = 1\n",
}


def test_identical_copies_exit_0_and_say_no_drift(tmp_path: Path, run) -> None:
    write(tmp_path / "l", LOCAL)
    write(tmp_path / "r", LOCAL)
    code, out, err = run(tmp_path, "parity", "l", "r", "--module", "app.lib")
    assert code == 0, err
    assert "No drift" in out and "| same" in out
    # the upload's own modules, found through a relative sys.path[0] (`r`), are no import mechanism
    code, out, err = run(tmp_path, "parity", "l", "r", "--module", "app.lib", "--format", "json")
    assert code == 0 and json.loads(out)["import_mechanisms"] == [], out


def test_missing_extra_and_caller_drift(tmp_path: Path, run) -> None:
    write(tmp_path / "l", LOCAL)
    remote = {k: v for k, v in LOCAL.items() if k != "app/only_here.py"}
    remote["app/main.py"] = "from .lib import f\n\n\ndef run():\n    return f(1)\n"
    remote["app/debug_dump.py"] = "Y = 2\n"
    write(tmp_path / "r", remote)
    code, out, err = run(tmp_path, "parity", "l", "r", "--format", "json", "--symbol", "f", "--module", "app.main")
    assert code == 1, err
    doc = json.loads(out)
    status = {f["path"]: f["status"] for f in doc["files"]}
    assert status == {"app/__init__.py": "same", "app/lib.py": "same", "app/main.py": "differs",
                      "app/only_here.py": "missing remotely", "app/debug_dump.py": "extra remotely"}
    assert doc["summary"][0].startswith("1 call fails only remotely without a signature change of the target")
    assert "f() missing 1 required positional argument: 'b'" in doc["summary"][0]
    assert doc["modules"][0]["verdict"] == "differs"
    assert doc["symbols"][0]["remote"]["calls"][0]["verdict"] == "error"


@pytest.mark.parametrize(("args", "message"), [
    (["l", "cmd:"], "empty command prefix"),
    (["l", "l", "--symbol", "no_such_function"], "--symbol no_such_function"),
    (["l", "l", "--module", "not a module"], "not a dotted module name"),
    (["l", "does-not-exist"], "no such directory"),
])
def test_input_errors_exit_2(tmp_path: Path, run, args: list[str], message: str) -> None:
    write(tmp_path / "l", LOCAL)
    code, out, err = run(tmp_path, "parity", *args)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


def test_help_documents_specs_and_exit_codes(tmp_path: Path, run) -> None:
    code, out, _ = run(tmp_path, "parity", "--help")
    assert code == 0 and "cmd:PREFIX[::ROOT]" in out and "e2b:SANDBOX_ID[:ROOT]" in out and "exit codes: 0" in out
    _, out, _ = run(tmp_path, "--help")
    assert "parity" in out and "demo" in out


def test_investigate_rejects_a_symbol_missing_on_both_sides(tmp_path: Path) -> None:
    write(tmp_path / "l", LOCAL)
    with pytest.raises(InputError):
        investigate("l", "l", symbols=["nope"], cwd=tmp_path)
