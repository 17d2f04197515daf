"""The e2b backend through the real e2b SDK, against a local stand-in for the sandbox daemon (envd)
started on 127.0.0.1 and an ephemeral port. The API key is a marker that must never show."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("e2b", reason="the e2b extra is not installed (pip install '.[test]' installs it)")

from envd_standin import EnvdStandIn  # noqa: E402

from callgraph.snapshot import analyze_snapshot, open_snapshot  # noqa: E402
from probes import Limits, ProbeError, RemoteSnapshot  # noqa: E402
from probes.e2b_backend import E2BProbe  # noqa: E402

KEY = "e2b_MARKER_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PY = sys.executable


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """The sandbox's filesystem: an upload under home/user/app, a stale copy in site-packages."""
    app = tmp_path / "home" / "user" / "app"
    for rel, text in {
        "etl/__init__.py": "",
        "etl/driver.py": "class D:\n    def go(self, a, b):\n        return a\n\n    def run(self):\n        return self.go(1, 2)\n",
        "main.py": "from etl.driver import D\n\nD().run()\n",
        "etl/__pycache__/driver.cpython-311.py": "skipped\n",
        "notes.txt": "not python\n",
    }.items():
        p = app / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return app


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("E2B_API_KEY", KEY)
    monkeypatch.delenv("E2B_DEBUG", raising=False)
    monkeypatch.delenv("E2B_SANDBOX_URL", raising=False)
    return KEY


def probe(server: EnvdStandIn, root: Path, **limits) -> E2BProbe:
    return E2BProbe("sbx-test1", str(root), limits=Limits(**limits) if limits else None,
                    connect_opts={"debug": True, "sandbox_url": server.url})


def test_real_sdk_against_the_standin(sandbox: Path, key: str, capsys: pytest.CaptureFixture) -> None:
    with EnvdStandIn(str(sandbox.parents[2])) as server:
        snap = RemoteSnapshot(probe(server, sandbox), ["etl.driver"])
        assert sorted(snap.entries()) == ["etl/__init__.py", "etl/driver.py", "main.py"]
        data = (sandbox / "etl" / "driver.py").read_bytes()
        assert snap.read("etl/driver.py") == data and snap.sha256("etl/driver.py") == hashlib.sha256(data).hexdigest()
        r = snap.result
        assert r.python["implementation"] == "cpython"
        assert r.sys_path and r.modules["etl.driver"].from_root["origin"] == str(sandbox / "etl" / "driver.py")
        assert analyze_snapshot(snap).findings() == []
        seen = {(m, p.split("?")[0]) for m, p, _ in server.requests}
        assert {("POST", "/filesystem.Filesystem/ListDir"), ("GET", "/files"), ("POST", "/process.Process/Start")} <= seen
        assert all(KEY not in str(h) for _, _, h in server.requests)  # the key never goes to the sandbox
    out = capsys.readouterr()
    assert KEY not in out.out + out.err


def test_parity_through_the_cli_with_the_sdks_own_variables(sandbox: Path, key: str, tmp_path: Path) -> None:
    local = tmp_path / "local"
    (local / "etl").mkdir(parents=True)
    (local / "etl" / "__init__.py").write_text("")
    (local / "etl" / "driver.py").write_text(
        "class D:\n    def go(self, a, b):\n        return a\n\n    def run(self):\n        return self.go(1, 2)\n")
    (local / "main.py").write_text("from etl.driver import D\n\nD().run()\n")
    (sandbox / "etl" / "driver.py").write_text(
        "class D:\n    def go(self):\n        return 1\n\n    def run(self):\n        return self.go(1, 2)\n")
    with EnvdStandIn(str(sandbox.parents[2])) as server:
        env = {**os.environ, "E2B_API_KEY": KEY, "E2B_DEBUG": "true", "E2B_SANDBOX_URL": server.url}
        proc = subprocess.run(
            [PY, "-m", "callgraph", "parity", str(local), f"e2b:sbx-test1:{sandbox}", "--module", "etl.driver",
             "--symbol", "D.go"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert "D.go() takes 1 positional argument but 3 were given" in proc.stdout
        assert "whose `D.go` is `(self)`, while the local file's is `(self, a, b)`" in proc.stdout
        bad = subprocess.run([PY, "-m", "callgraph", "diff", str(local), "e2b:sbx-test1:/nonexistent/root"],
                             capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
    for text in (proc.stdout, proc.stderr, bad.stdout, bad.stderr):
        assert KEY not in text


HOSTILE = [
    ("escape", {}, "outside"),
    ("absolute", {}, "outside"),
    ("symlink_out", {}, "leak.py points outside"),
    ("big", {"max_file_bytes": 10_000}, "over the 10000-byte size limit"),
    ("many", {"max_files": 20}, "over the count limit"),
    ("slow_read", {"timeout": 1}, "timed out"),
    ("garbage_probe", {}, "malformed JSON"),
]


@pytest.mark.parametrize(("mode", "limits", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_sandbox_is_refused(sandbox: Path, key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      mode: str, limits: dict, message: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with EnvdStandIn(str(sandbox.parents[2]), hostile=mode, slow=3) as server:
        with pytest.raises(ProbeError) as err:
            RemoteSnapshot(probe(server, sandbox, **limits)).entries()
    assert message in str(err.value) and KEY not in str(err.value)
    assert list(work.iterdir()) == []


def test_an_error_that_echoes_the_key_is_scrubbed(sandbox: Path, key: str) -> None:
    with EnvdStandIn(str(sandbox.parents[2]), hostile="echo_key") as server:
        with pytest.raises(ProbeError) as err:
            RemoteSnapshot(probe(server, sandbox)).entries()
    assert KEY not in str(err.value) and "***" in str(err.value)


def test_a_sandbox_without_python_still_gives_its_files(sandbox: Path, key: str) -> None:
    with EnvdStandIn(str(sandbox.parents[2]), hostile="no_python") as server:
        snap = RemoteSnapshot(probe(server, sandbox))
        assert "main.py" in snap.entries()
        assert snap.result.python is None
        assert any("could not be probed" in n and "127" in n for n in snap.notes)


def test_missing_key_and_missing_sdk_are_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    monkeypatch.delenv("E2B_DEBUG", raising=False)
    with pytest.raises(ProbeError, match="E2B_API_KEY is not set"):
        open_snapshot("e2b:sbx-test1:/home/user/app").entries()
    monkeypatch.setitem(sys.modules, "e2b", None)
    with pytest.raises(ProbeError, match=r"pip install 'callgraph\[e2b\]'"):
        open_snapshot("e2b:sbx-test1").entries()
