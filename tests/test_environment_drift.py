"""Drift between environments: real wheels of a made-up package in two versions, installed by pip
into real virtual environments, checked with `check --python`, `parity` (a cmd remote whose
interpreter has the other version, a mounted directory) and `diff --python-old/--python-new`.

`retrylib` 1.0's `Retry(total=10, method_whitelist=None, backoff_factor=0)` became
`Retry(total=10, allowed_methods=None, backoff_factor=0)` in 2.0, as urllib3's did; the messages
asserted are the ones CPython gives when the calls run against each version
(`test_the_messages_are_cpythons`)."""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from callgraph.commands.cli import main
from probes import DirProbe, Limits, RemoteSnapshot
from probes.probe import ProbeError, _Budget
from probes.remote_checks import check_environment, check_sources

PY = sys.executable
PY312 = Path("/root/.pyenv/versions/3.12.1/bin/python")
KEYWORD = {"1.0": "method_whitelist", "2.0": "allowed_methods"}
MESSAGE = "Retry.__init__() got an unexpected keyword argument '{}'"

CLIENT = '''from retrylib import Retry


def legacy():
    return Retry(total=3, method_whitelist=["GET"])


def modern():
    return Retry(total=3, allowed_methods=["GET"])
'''


def build_wheel(out: Path, version: str) -> Path:
    """A real wheel: the package, its .dist-info (METADATA, WHEEL, top_level.txt) and a RECORD with hashes."""
    files = {
        "retrylib/__init__.py": f'"""retrylib {version}."""\nfrom .retry import Retry\n__version__ = "{version}"\n',
        "retrylib/retry.py": (
            "class Retry:\n"
            f"    def __init__(self, total=10, {KEYWORD[version]}=None, backoff_factor=0):\n"
            "        self.total = total\n"
        ),
        f"retrylib-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: retrylib\nVersion: {version}\n",
        f"retrylib-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"retrylib-{version}.dist-info/top_level.txt": "retrylib\n",
    }
    record = []
    for rel, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{rel},sha256={digest},{len(text.encode())}")
    record.append(f"retrylib-{version}.dist-info/RECORD,,")
    files[f"retrylib-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = out / f"retrylib-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for rel, text in files.items():
            zf.writestr(rel, text)
    return wheel


def make_venv(where: Path, base: str, wheel: Path) -> Path:
    """A real virtual environment with `wheel` installed by pip, offline."""
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True, timeout=120)
    python = where / "bin" / "python"
    subprocess.run([PY, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return python


@pytest.fixture(scope="session")
def envs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("envs")
    wheels = {v: build_wheel(base, v) for v in KEYWORD}
    out = {
        "v1": make_venv(base / "v1", sys.executable, wheels["1.0"]),
        "v2": make_venv(base / "v2", sys.executable, wheels["2.0"]),
        "base": base,
    }
    if PY312.exists():
        out["v2_312"] = make_venv(base / "v2-312", str(PY312), wheels["2.0"])
    for name in ("local", "remote"):
        (base / name / "fetcher").mkdir(parents=True)
        (base / name / "fetcher" / "__init__.py").write_text("")
        (base / name / "fetcher" / "client.py").write_text(CLIENT)
    return out


def site_packages(python: Path) -> Path:
    return next(python.parent.parent.glob("lib/python3*/site-packages"))


@pytest.fixture
def run(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def call(*args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("CALLGRAPH_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)  # the remote's current directory is on its sys.path: not the repository's
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_the_messages_are_cpythons(envs: dict) -> None:
    """The oracle: each call run against each installed version (the test's own code, not the analysed)."""
    for venv, bad in (("v1", "allowed_methods"), ("v2", "method_whitelist")):
        code = f"from retrylib import Retry\ntry:\n    Retry(total=3, {bad}=['GET'])\nexcept TypeError as e:\n    print(e)"
        out = subprocess.run([str(envs[venv]), "-I", "-c", code], capture_output=True, text=True, timeout=60).stdout
        assert out.strip() == MESSAGE.format(bad)


def test_check_python_against_each_environment(envs: dict, run) -> None:
    project = str(envs["base"] / "local")
    for venv, line, bad in (("v1", 9, "allowed_methods"), ("v2", 5, "method_whitelist")):
        code, out, err = run("check", project, "--python", str(envs[venv]), "--format", "json")
        doc = json.loads(out)
        assert code == 1, err
        assert [(f["line"], f["message"], f["target"]) for f in doc["findings"]] == [
            (line, MESSAGE.format(bad), "retrylib.retry.Retry.__init__")
        ]


def test_the_probe_reports_the_environment_from_metadata_files(envs: dict) -> None:
    site = site_packages(envs["v2"])
    result = DirProbe(envs["base"] / "remote", search_path=[str(envs["base"] / "remote"), str(site)]).fetch()
    env = result.environment
    assert env is not None and env.version[:3] == tuple(sys.version_info[:3]) and env.platform == sys.platform
    (dist,) = [d for d in env.distributions if d.name == "retrylib"]
    record = (site / "retrylib-2.0.dist-info" / "RECORD").read_text().splitlines()
    assert (dist.version, dist.top_level, dist.files) == ("2.0", ("retrylib",), len(record))
    assert dist.path == str(site / "retrylib-2.0.dist-info")


def test_sources_are_fetched_on_demand_hashed_and_validated(envs: dict) -> None:
    site = site_packages(envs["v2"])
    probe = DirProbe(envs["base"] / "remote", search_path=[str(site)])
    got = probe.fetch_sources(["retrylib", "retrylib.retry", "no_such_module", "sys", "bad..name"])
    assert {n: a.status for n, a in got.items()} == {
        "retrylib": "found", "retrylib.retry": "found", "no_such_module": "not found", "sys": "not source",
    }
    assert got["retrylib"].is_package and not got["retrylib.retry"].is_package
    assert got["retrylib.retry"].data == (site / "retrylib" / "retry.py").read_bytes()
    assert got["retrylib.retry"].sha256 == hashlib.sha256(got["retrylib.retry"].data).hexdigest()
    # What a sent module imports from its own package comes along: one round trip, not two.
    got = probe.fetch_sources(["retrylib"])
    assert sorted(got) == ["retrylib", "retrylib.retry"] and got["retrylib.retry"].status == "found"


def _row(data: bytes = b"x = 1\n", **over) -> dict:
    row = {"status": "found", "path": "/srv/lib/mod.py", "package": False, "size": len(data),
           "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode()}
    return row | over


@pytest.mark.parametrize("answer, words", [
    ({"other": _row()}, "not asked for"),
    ({"mod": _row(path="mod.py")}, "invalid module path"),
    ({"mod": _row(path="/srv/lib/mod.so")}, "not a .py file"),
    ({"mod": _row(sha256="0" * 64)}, "does not match its sha256"),
    ({"mod": _row(size=3)}, "declared 3"),
    ({"mod": _row(b"x" * 200)}, "size limit"),
    ({"mod": _row(status="exploded")}, "invalid source status"),
    ({"mod": _row(package="yes")}, "malformed source row"),
    ({"mod": _row(path="/srv/\x1b[2Jmod.py")}, "invalid module path"),
    ({"mod.sub": _row(status="not found")}, "malformed source row"),
])
def test_hostile_source_answers_are_refused(answer: dict, words: str) -> None:
    limits = Limits(max_file_bytes=100)
    with pytest.raises(ProbeError, match=words):
        check_sources(answer, ["mod"], _Budget(limits, "remote"), "remote")


def test_submodules_sent_along_are_accepted_and_counted() -> None:
    got = check_sources({"mod": _row(), "mod.sub": _row()}, ["mod"], _Budget(Limits(), "remote"), "remote")
    assert sorted(got) == ["mod", "mod.sub"]
    with pytest.raises(ProbeError, match="count limit"):
        check_sources({"mod": _row(), "mod.sub": _row()}, ["mod"], _Budget(Limits(max_files=1), "remote"), "remote")


@pytest.mark.parametrize("env, words", [
    ({"version_info": [3, 11], "platform": "linux", "implementation": "cpython"}, "version_info"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "li\x00nux", "implementation": "cpython"}, "platform"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "<img src=x onerror=alert(1)>", "implementation": "cpython"},
     "platform"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "linux", "implementation": "c`python`"}, "implementation"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "linux", "implementation": "x" * 65}, "implementation"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "linux", "implementation": "cpython",
      "distributions": [{"name": "x" * 300, "version": "1", "path": "/a"}]}, "distribution name"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "linux", "implementation": "cpython",
      "distributions": [{"name": "x", "version": "1", "path": "relative"}]}, "distribution path"),
    ({"version_info": [3, 11, 0, "final", 0], "platform": "linux", "implementation": "cpython",
      "distributions": [{"name": "x", "version": "1", "path": "/a"}] * 2001}, "distribution list"),
])
def test_hostile_environment_answers_are_refused(env: dict, words: str) -> None:
    with pytest.raises(ProbeError, match=words):
        check_environment(env, "remote")


def _cmd_remote(envs: dict, venv: str) -> str:
    prefix = ["env", "-i", f"PATH={envs[venv].parent}:/usr/bin:/bin"]
    return "cmd:" + shlex.join(prefix) + f"::{envs['base'] / 'remote'}"


def test_parity_against_a_remote_with_the_other_version(envs: dict, run) -> None:
    """A cmd remote (a real interpreter subprocess) whose environment has retrylib 2.0; the local
    environment (--local-python) has 1.0. Each side is checked against its own."""
    code, out, err = run("parity", str(envs["base"] / "local"), _cmd_remote(envs, "v2"),
                         "--local-python", str(envs["v1"]), "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    env = doc["environments"]
    assert doc["summary"][0] == (
        "Root cause (environment): `fetcher/client.py:5` `Retry(..., method_whitelist=...)` binds with retrylib 1.0 "
        "here and fails with retrylib 2.0 there: `Retry.__init__() got an unexpected keyword argument "
        "'method_whitelist'`."
    )
    assert doc["summary"][1].startswith("Root cause (environment): `fetcher/client.py:9` "
                                        "`Retry(..., allowed_methods=...)` fails with retrylib 1.0 here and binds")
    assert env["distributions"] == [{"name": "retrylib", "local": "1.0", "remote": "2.0"}]
    assert [(c["line"], c["fails"], c["message"]) for c in env["calls"]] == [
        (5, "remote", MESSAGE.format("method_whitelist")), (9, "local", MESSAGE.format("allowed_methods")),
    ]
    call = env["calls"][0]
    assert call["local_signature"] == "(self, total=..., method_whitelist=..., backoff_factor=...)"
    assert call["remote_signature"] == "(self, total=..., allowed_methods=..., backoff_factor=...)"
    assert env["interpreters"]["remote"]["executable"] == str(envs["v2"].parent / "python3")
    assert not any("only remotely without a signature change" in line for line in doc["summary"])


def test_parity_markdown_sections_against_a_mounted_directory(envs: dict, run) -> None:
    code, out, err = run("parity", str(envs["base"] / "local"), str(envs["base"] / "remote"),
                         "--local-python", str(envs["v2"]), "--remote-path", str(site_packages(envs["v1"])))
    assert code == 1, err
    for heading in ("## Interpreters", "## Distributions that differ (1)", "## Calls that bind here and fail there (2)"):
        assert heading in out
    assert "| `retrylib`     | 2.0     | 1.0      |" in out
    assert "fails remotely: `Retry.__init__() got an unexpected keyword argument 'allowed_methods'`" in out


def test_same_environment_no_drift_and_no_environment_flag(envs: dict, run) -> None:
    code, out, _ = run("parity", str(envs["base"] / "local"), _cmd_remote(envs, "v1"),
                       "--local-python", str(envs["v1"]), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["environments"]["calls"] == [] and doc["environments"]["distributions"] == []
    code, out, _ = run("parity", str(envs["base"] / "local"), _cmd_remote(envs, "v2"),
                       "--local-python", str(envs["v1"]), "--format", "json", "--no-environment")
    doc = json.loads(out)
    assert code == 0 and doc["environments"] is None and doc["findings"]["only_remote"] == []


@pytest.mark.skipif(not PY312.exists(), reason="pyenv's 3.12 is not on this machine")
def test_parity_against_another_interpreter_version(envs: dict, run) -> None:
    code, out, err = run("parity", str(envs["base"] / "local"), _cmd_remote(envs, "v2_312"),
                         "--local-python", str(envs["v1"]), "--format", "json")
    doc = json.loads(out)
    assert code == 1, err
    interpreters = doc["environments"]["interpreters"]
    assert interpreters["remote"]["version"][:2] == [3, 12] and interpreters["local"]["version"][:2] == list(sys.version_info[:2])
    assert [c["line"] for c in doc["environments"]["calls"]] == [5, 9]


def test_an_unreadable_remote_module_stays_unknown_and_silent(envs: dict) -> None:
    """Over the probe's size limit, retrylib's source is refused: no finding, a note."""
    from callgraph.reports.environment_drift import analyze_remote

    site = site_packages(envs["v2"])
    tiny = envs["base"] / "tiny"
    tiny.mkdir(exist_ok=True)
    (tiny / "app.py").write_text("from retrylib import Retry\nRetry(method_whitelist=1)\n")
    probe = DirProbe(tiny, search_path=[str(tiny), str(site)], limits=Limits(max_file_bytes=80))
    project, fetched, notes = analyze_remote(RemoteSnapshot(probe), [])
    assert project.findings() == [] and "retrylib.retry" not in fetched.sources
    assert any("over the 80-byte file size limit" in n for n in notes)
    probe = DirProbe(tiny, search_path=[str(tiny), str(site)])
    project, fetched, notes = analyze_remote(RemoteSnapshot(probe), [])
    assert [f.message for f in project.findings()] == [MESSAGE.format("method_whitelist")]
    assert set(fetched.sources) >= {"retrylib", "retrylib.retry"} and notes == []


def test_diff_across_two_environments(envs: dict, run) -> None:
    project = str(envs["base"] / "local")
    code, out, err = run("diff", project, project, "--python-old", str(envs["v1"]), "--python-new", str(envs["v2"]),
                         "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert [f["message"] for f in doc["findings"]["new"]] == [MESSAGE.format("method_whitelist")]
    assert [f["message"] for f in doc["findings"]["fixed"]] == [MESSAGE.format("allowed_methods")]
    env = doc["environments"]
    assert env["distributions"] == [{"name": "retrylib", "local": "1.0", "remote": "2.0"}]
    assert env["summary"][0].startswith("Root cause (environment): `fetcher/client.py:5` `Retry(..., method_whitelist=...)` "
                                        "binds with retrylib 1.0 in OLD and fails with retrylib 2.0 in NEW")
    code, out, _ = run("diff", project, project, "--python-old", str(envs["v1"]), "--python-new", str(envs["v2"]))
    assert "Calls that bind with OLD's environment and fail with NEW's (2)" in out
    code, out, _ = run("diff", project, project, "--python", str(envs["v1"]), "--format", "json")
    assert code == 0 and "environments" not in json.loads(out)
