"""A local stand-in for an E2B sandbox's daemon (envd), for the real e2b SDK to talk to.

It serves, on 127.0.0.1 and an ephemeral port, what `Sandbox.connect(id, debug=True,
sandbox_url=...)` reaches: `GET /health` (204), `GET /files` (raw bytes, 404 when absent), the
Connect-RPC JSON unary calls `filesystem.Filesystem/ListDir` and `/Stat`, and the server-streaming
`process.Process/Start` (enveloped frames: start, data, end, then the end-of-stream frame). The
"sandbox filesystem" is the host's, limited to one directory; commands run with bash in it.
`hostile` switches on one misbehaviour at a time, for the refusal tests.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


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
