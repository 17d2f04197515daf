"""The `e2b:SANDBOX_ID[:ROOT]` backend, through the real e2b SDK (the optional extra `callgraph[e2b]`).

Files are listed with `files.list(root, depth=…)` and read with `files.read(path, format="bytes")`,
and hashed here; the interpreter's facts (version, sys.path, what each module would import) come
from the same stdlib-only probe script, run with `commands.run`. The API key is read by the SDK
from E2B_API_KEY; it never appears in any message this module produces (every SDK error text is
scrubbed of it). The SDK's own variables apply: E2B_DOMAIN, and E2B_DEBUG with E2B_SANDBOX_URL
to talk to an envd directly (a local stand-in in the tests).
"""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
import re
import shlex

from .probe import (
    BEGIN,
    Limits,
    Probe,
    ProbeError,
    ProbeResult,
    RemoteFile,
    _Budget,
    build_result,
    clean,
    extract_document,
    probe_source,
    safe_relpath,
    under,
)
from callgraph.snapshots.base import SKIP_DIRS


class _Flood(Exception):
    pass


def _scrub(text: str) -> str:
    key = os.environ.get("E2B_API_KEY")
    if key:
        text = text.replace(key, "***")
    return clean(text, 500)


def _debug(opts: dict) -> bool:
    if "debug" in opts:
        return bool(opts["debug"])
    return os.environ.get("E2B_DEBUG", "false").lower() == "true"


class E2BProbe(Probe):
    backend = "e2b"

    def __init__(self, sandbox_id: str, root: str = "/home/user", limits: Limits | None = None,
                 connect_opts: dict | None = None, python: str = "python3") -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}", sandbox_id or ""):
            raise ProbeError(f"e2b:{clean(sandbox_id)}: not a sandbox id")
        if not root.startswith("/"):
            raise ProbeError(f"e2b:{sandbox_id}:{clean(root)}: the root must be an absolute path")
        root = posixpath.normpath(root)
        super().__init__(root, f"e2b:{sandbox_id}:{root}", limits)
        self.sandbox_id = sandbox_id
        self.connect_opts = dict(connect_opts or {})
        self.python = python

    # -- the SDK, every call bounded and every error scrubbed ---------------------------------------

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ProbeError:
            raise
        except _Flood:
            raise
        except Exception as exc:  # the SDK raises its own, httpx's and builtin exceptions
            name = type(exc).__name__
            if "Timeout" in name or isinstance(exc, TimeoutError):
                raise ProbeError(
                    f"{self.label}: {what} timed out after {self.limits.timeout:g} s ({name}); is the sandbox alive?"
                ) from None
            if name == "AuthenticationException":
                raise ProbeError(f"{self.label}: {what}: authentication failed: set E2B_API_KEY to a valid key") from None
            if name in ("FileNotFoundException", "NotFoundException", "SandboxNotFoundException"):
                raise ProbeError(f"{self.label}: {what}: not found: {_scrub(str(exc))}") from None
            raise ProbeError(f"{self.label}: {what} failed: {name}: {_scrub(str(exc))}") from None

    def connect(self):
        try:
            from e2b import Sandbox
        except ImportError:
            raise ProbeError(
                "the e2b backend needs the e2b SDK, an optional extra: pip install 'callgraph[e2b]'"
            ) from None
        opts = dict(self.connect_opts)
        if not os.environ.get("E2B_API_KEY") and "api_key" not in opts and not _debug(opts):
            raise ProbeError(f"{self.label}: E2B_API_KEY is not set (the e2b backend reads the key from it)")
        opts.setdefault("request_timeout", self.limits.timeout)
        return self._call("connecting to the sandbox", Sandbox.connect, self.sandbox_id, **opts)

    # -- the probe -----------------------------------------------------------------------------------

    def fetch(self, modules: list[str] = ()) -> ProbeResult:
        sbx = self.connect()
        t = self.limits.timeout
        budget = _Budget(self.limits, self.label)
        files, notes = self._list(sbx, self.root, budget, "the root")
        result = ProbeResult(self.backend, self.label, self.root, files, notes=notes)
        names = list(modules) + [n for n in _top_level(files) if n not in modules]
        facts = self._run_probe(sbx, names, t, result)
        if facts is not None:
            for attr in ("python", "cwd", "sys_path", "pth", "meta_path", "modules", "environment"):
                setattr(result, attr, getattr(facts, attr))
            result.notes += facts.notes
            for where, manifest in facts.trees.items():
                result.trees[where] = self._read_tree(sbx, where, manifest, budget)
        return result

    def _list(self, sbx, top: str, budget: _Budget, what: str) -> tuple[dict[str, RemoteFile], list[str]]:
        entries = self._call(f"listing {top}", sbx.files.list, top, depth=self.limits.max_depth,
                             request_timeout=self.limits.timeout)
        if not isinstance(entries, list):
            raise ProbeError(f"{self.label}: listing {top} returned no list")
        if len(entries) > self.limits.max_files * 20:
            raise ProbeError(
                f"{self.label}: the listing of {top} has {len(entries)} entries, over the manifest count limit "
                f"(raise it with --max-files or {Limits.ENV['max_files']})"
            )
        notes: list[str] = []
        wanted: list[tuple[str, str, int]] = []
        for entry in entries:
            path = getattr(entry, "path", None)
            rel = under(path, top) if isinstance(path, str) else None
            if rel is None:
                raise ProbeError(f"{self.label}: the sandbox listed a path outside {top}, refusing: {clean(repr(path))}")
            safe_relpath(rel, "file path")
            parts = rel.split("/")
            if any(p.startswith(".") or p in SKIP_DIRS for p in parts[:-1]):
                continue
            kind = getattr(getattr(entry, "type", None), "value", getattr(entry, "type", None))
            if kind == "dir" or not rel.endswith(".py"):
                continue
            size = getattr(entry, "size", 0)
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ProbeError(f"{self.label}: the sandbox sent an invalid size for {clean(rel)}")
            target = getattr(entry, "symlink_target", None)
            if kind == "symlink" or target:
                dest = posixpath.normpath(posixpath.join(posixpath.dirname(path), target or ""))
                if not target or under(dest, top) is None:
                    raise ProbeError(
                        f"{self.label}: remote symlink {clean(rel)} points outside {top} (to {clean(target)}), refusing"
                    )
            budget.take(rel, size)
            wanted.append((rel, path, size))
        files: dict[str, RemoteFile] = {}
        for rel, path, size in sorted(wanted):
            data = self._read(sbx, path, rel, budget)
            files[rel] = RemoteFile(rel, len(data), hashlib.sha256(data).hexdigest(), data, path)
        return files, notes

    def _read(self, sbx, path: str, rel: str, budget: _Budget) -> bytes:
        """One file's bytes, counted as received against every limit, whatever its listing declared."""
        data = self._call(f"reading {path}", sbx.files.read, path, format="bytes", request_timeout=self.limits.timeout)
        if not isinstance(data, (bytes, bytearray)):
            raise ProbeError(f"{self.label}: reading {clean(rel)} returned no bytes")
        budget.receive(rel, len(data))
        return bytes(data)

    def _read_tree(self, sbx, where: str, manifest: dict[str, RemoteFile], budget: _Budget) -> dict[str, RemoteFile]:
        """Read a package the interpreter imports from outside the root; each file must match the
        sha256 the probe computed there."""
        out: dict[str, RemoteFile] = {}
        for rel, f in sorted(manifest.items()):
            data = self._read(sbx, f.origin, rel, budget)
            digest = hashlib.sha256(data).hexdigest()
            if digest != f.sha256:
                raise ProbeError(f"{self.label}: {clean(f.origin)} changed between hashing and reading, refusing")
            out[rel] = RemoteFile(rel, len(data), digest, data, f.origin)
        return out

    def document(self, request: dict) -> dict:
        """Run the probe in the sandbox with `request` (a sources round trip): its checked answer."""
        out, err = self._run_script(self.connect(), request, self.limits.timeout)
        return extract_document(out, err, self.limits, self.label)

    def _run_probe(self, sbx, names: list[str], timeout: float, result: ProbeResult):
        request = self.request(names, files=False, read=False)
        try:
            out, err = self._run_script(sbx, request, timeout)
        except ProbeError as exc:
            result.notes.append(f"the sandbox's interpreter could not be probed: {exc}")
            return None
        doc = extract_document(out, err, self.limits, self.label)
        return build_result(doc, self.backend, self.label, self.limits, files_expected=False, requested=names)

    def _run_script(self, sbx, request: dict, timeout: float) -> tuple[bytes, bytes]:
        """(stdout, stderr) of the probe run in the sandbox; ProbeError when it sent too much, or
        failed before answering."""
        payload = base64.b64encode(probe_source(request)).decode("ascii")
        code = f'import base64;exec(compile(base64.b64decode("{payload}"),"remote_probe.py","exec"))'
        cmd = shlex.join([self.python, "-B", "-c", code])
        out: list[str] = []
        err: list[str] = []
        size = [0]
        cap = self.limits.max_output

        def take(buf: list[str]):
            def cb(chunk: str) -> None:
                size[0] += len(chunk)
                if size[0] > cap:
                    raise _Flood()
                buf.append(chunk)
            return cb

        handle = self._call("starting the probe", sbx.commands.run, cmd, background=True, timeout=timeout)
        try:
            self._call("running the probe", handle.wait, on_stdout=take(out), on_stderr=take(err))
        except _Flood:
            try:
                handle.kill()
            except Exception:
                pass
            raise ProbeError(f"{self.label}: the probe sent more than {cap} bytes, over the output limit") from None
        except ProbeError:
            if BEGIN not in "".join(out):
                raise
        return "".join(out).encode(), "".join(err).encode()

    def hash_command(self, path: str) -> str:
        code = (f"from e2b import Sandbox; import hashlib; "
                f"print(hashlib.sha256(Sandbox.connect({self.sandbox_id!r}).files.read({path!r}, format='bytes')).hexdigest())")
        return shlex.join(["python3", "-c", code])

    def python_command(self, code: str) -> str:
        inner = shlex.join([self.python, "-c", code])
        run = f"from e2b import Sandbox; print(Sandbox.connect({self.sandbox_id!r}).commands.run({inner!r}).stdout)"
        return shlex.join(["python3", "-c", run])


def _top_level(files: dict[str, RemoteFile]) -> list[str]:
    out = []
    for path in files:
        parts = path.split("/")
        if len(parts) == 1 and path != "__init__.py":
            name = path[:-3]
        elif len(parts) == 2 and parts[1] == "__init__.py":
            name = parts[0]
        elif len(parts) == 3 and parts[0] == "src" and parts[2] == "__init__.py":
            name = parts[1]
        else:
            continue
        if name.isidentifier() and name not in out:
            out.append(name)
    return out


__all__ = ["E2BProbe"]
