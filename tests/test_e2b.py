"""The e2b backend through the real e2b SDK, against a local stand-in for the sandbox daemon (envd)
started on 127.0.0.1 and an ephemeral port. The API key is a marker that must never show."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("e2b", reason="the e2b extra is not installed (pip install '.[test]' installs it)")

from callgraph.pipeline import analyze_snapshot
from callgraph.snapshots.spec import open_snapshot
from probes import Limits, ProbeError, RemoteSnapshot  # noqa: E402
from probes.e2b_backend import E2BProbe  # noqa: E402


# -- the stand-in envd ----------------------------------------------------------------------
# A local stand-in for an E2B sandbox's daemon (envd), for the real e2b SDK to talk to.
#
# It serves, on 127.0.0.1 and an ephemeral port, what `Sandbox.connect(id, debug=True,
# sandbox_url=...)` reaches: `GET /health` (204), `GET /files` (raw bytes, 404 when absent), the
# Connect-RPC JSON unary calls `filesystem.Filesystem/ListDir` and `/Stat`, and the server-streaming
# `process.Process/Start` (enveloped frames: start, data, end, then the end-of-stream frame). The
# "sandbox filesystem" is the host's, limited to one directory; commands run with bash in it.
# `hostile` switches on one misbehaviour at a time, for the refusal tests.


class EnvdStandIn:
    def __init__(self, jail: str, hostile: str | None = None, slow: float = 3.0) -> None:
        self.jail = os.path.realpath(jail)
        self.hostile = hostile
        self.slow = slow
        self.requests: list[tuple[str, str, dict]] = []  # method, path, headers
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, code: int, body: bytes = b"", ctype: str = "application/json") -> None:
                self.send_response(code)
                if code != 204:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and code != 204:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                standin.requests.append(("GET", self.path, dict(self.headers)))
                url = urlparse(self.path)
                if url.path == "/health":
                    return self._send(204)
                if url.path == "/files":
                    path = parse_qs(url.query).get("path", [""])[0]
                    if standin.hostile == "slow_read":
                        time.sleep(standin.slow)
                    if standin.hostile == "echo_key":
                        key = os.environ.get("E2B_API_KEY", "")
                        return self._send(500, json.dumps({"code": 500, "message": f"bad key {key}"}).encode())
                    real = standin.real(path)
                    if real is None or not os.path.isfile(real):
                        return self._send(404, json.dumps({"code": 404, "message": f"{path} not found"}).encode())
                    with open(real, "rb") as fh:
                        return self._send(200, fh.read(), "application/octet-stream")
                return self._send(404, b"{}")

            def do_POST(self) -> None:
                standin.requests.append(("POST", self.path, dict(self.headers)))
                body = self._body()
                if self.path == "/filesystem.Filesystem/ListDir":
                    req = json.loads(body or b"{}")
                    return self._send(200, json.dumps({"entries": standin.list_dir(req["path"], int(req.get("depth") or 1))}).encode())
                if self.path == "/filesystem.Filesystem/Stat":
                    req = json.loads(body or b"{}")
                    real = standin.real(req["path"])
                    if real is None or not os.path.exists(real):
                        return self._send(404, json.dumps({"code": "not_found", "message": "no such file"}).encode())
                    return self._send(200, json.dumps({"entry": standin.entry(req["path"])}).encode())
                if self.path == "/process.Process/Start":
                    flags, length = struct.unpack(">BI", body[:5])
                    req = json.loads(body[5 : 5 + length])
                    frames = standin.start(req)
                    return self._send(200, frames, "application/connect+json")
                if self.path == "/process.Process/SendSignal":
                    return self._send(200, b"{}")
                return self._send(404, json.dumps({"code": "unimplemented", "message": self.path}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- the sandbox's filesystem ------------------------------------------------------------------

    def real(self, path: str) -> str | None:
        real = os.path.realpath(path)
        return real if real == self.jail or real.startswith(self.jail + os.sep) else None

    def entry(self, path: str) -> dict:
        is_link = os.path.islink(path)
        kind = "FILE_TYPE_DIRECTORY" if os.path.isdir(path) else "FILE_TYPE_FILE"
        st = os.stat(path) if os.path.exists(path) else os.lstat(path)
        out = {"name": os.path.basename(path), "type": kind, "path": path, "size": str(st.st_size),
               "mode": st.st_mode & 0o777, "permissions": "-rw-r--r--", "owner": "user", "group": "user"}
        if self.hostile == "understated" and kind == "FILE_TYPE_FILE":
            out["size"] = "1"  # the listing declares 1 byte; the bytes read are what count
        if is_link:
            out["isSymlink"] = True
            out["symlinkTarget"] = os.readlink(path)
        return out

    def list_dir(self, path: str, depth: int) -> list[dict]:
        out: list[dict] = []
        base = path.rstrip("/")
        for dirpath, dirnames, filenames in os.walk(base):
            level = dirpath[len(base):].count("/")
            for name in sorted(dirnames) + sorted(filenames):
                out.append(self.entry(os.path.join(dirpath, name)))
            if level + 1 >= depth:
                dirnames[:] = []
        h = self.hostile
        if h == "escape":
            out.append({"name": "passwd.py", "type": "FILE_TYPE_FILE", "path": f"{base}/../../etc/passwd.py", "size": "10"})
        elif h == "absolute":
            out.append({"name": "evil.py", "type": "FILE_TYPE_FILE", "path": "/etc/evil.py", "size": "10"})
        elif h == "symlink_out":
            out.append({"name": "leak.py", "type": "FILE_TYPE_FILE", "path": f"{base}/leak.py", "size": "10",
                        "isSymlink": True, "symlinkTarget": "/etc/shadow"})
        elif h == "big":
            out.append({"name": "huge.py", "type": "FILE_TYPE_FILE", "path": f"{base}/huge.py", "size": str(10**9)})
        elif h == "many":
            out += [{"name": f"m{i}.py", "type": "FILE_TYPE_FILE", "path": f"{base}/m{i}.py", "size": "1"}
                    for i in range(50)]
        return out

    # -- the sandbox's processes -------------------------------------------------------------------

    def start(self, req: dict) -> bytes:
        process = req.get("process", {})
        args = [a for a in process.get("args", []) if a != "-l"]  # no login shell here
        frames = [{"event": {"start": {"pid": 4242}}}]
        if self.hostile == "garbage_probe":
            out, err, code = b"-----BEGIN CALLGRAPH PROBE-----\n{not json\n-----END CALLGRAPH PROBE-----\n", b"", 0
        elif self.hostile == "no_python":
            out, err, code = b"", b"bash: python3: command not found\n", 127
        else:
            proc = subprocess.run([process.get("cmd", "/bin/bash"), *args], cwd=process.get("cwd") or self.jail,
                                  capture_output=True, timeout=60)
            out, err, code = proc.stdout, proc.stderr, proc.returncode
        for i in range(0, len(out), 32768):
            frames.append({"event": {"data": {"stdout": base64.b64encode(out[i : i + 32768]).decode()}}})
        if err:
            frames.append({"event": {"data": {"stderr": base64.b64encode(err).decode()}}})
        frames.append({"event": {"end": {"exitCode": code, "exited": True, "status": f"exit status {code}"}}})
        data = b""
        for frame in frames:
            payload = json.dumps(frame).encode()
            data += struct.pack(">BI", 0, len(payload)) + payload
        return data + struct.pack(">BI", 2, 2) + b"{}"

    def __enter__(self) -> EnvdStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# -- the tests --------------------------------------------------------------------------------

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
    ("understated", {"max_total_bytes": 60}, "bytes in all"),
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


def test_the_sandbox_environment_and_a_sources_round_trip(sandbox: Path, key: str) -> None:
    """The probe describes the sandbox's interpreter, and fetches an outside module's source on demand."""
    import json as json_module

    with EnvdStandIn(str(sandbox.parents[2])) as server:
        p = probe(server, sandbox)
        env = RemoteSnapshot(p).result.environment
        assert env is not None and env.version[:3] == tuple(sys.version_info[:3]) and env.platform == sys.platform
        got = p.fetch_sources(["json", "no_such_module_here"])
        assert got["no_such_module_here"].status == "not found"
        assert got["json"].status == "found" and got["json"].is_package
        assert got["json"].data == Path(json_module.__file__).read_bytes()
