"""Probes: the copy of the code that runs elsewhere, as a Snapshot plus the facts of its interpreter.

A `Probe` asks one remote location (a directory, a command prefix that can run `python3 -`, a
docker container, an E2B sandbox) for its Python files and for what its interpreter would import,
and validates every byte of the answer before anything else sees it: the remote is untrusted.
Nothing remote is ever executed locally; remote files are only hashed and parsed.

Spec syntax (taken by `callgraph.snapshots.spec.open_snapshot`, so by every command that takes a snapshot):

    cmd:PREFIX[::ROOT]        any command prefix that runs `python3 -` remotely, split like a shell
                              would (shlex) but run without one: `cmd:ssh build-box::/srv/app`,
                              `cmd:kubectl exec -i etl-0 --::/app`; ROOT (starting with /, ~ or .)
                              defaults to the remote's current directory
    docker:CONTAINER[:ROOT]   `docker exec -i CONTAINER` (ROOT default: the container's workdir)
    e2b:SANDBOX_ID[:ROOT]     an E2B sandbox through the e2b SDK (ROOT default: /home/user);
                              the API key comes from E2B_API_KEY and is never printed
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from callgraph.errors import InputError
from callgraph.subprocesses import Finished, Messages
from callgraph.subprocesses import run_bounded as _run_bounded
from callgraph.snapshots.base import SKIP_DIRS
from callgraph.facts.source import blob_id
from callgraph.snapshots.base import FileEntry, Snapshot, name_modules

from .remote_environment import DOTTED_NAME, RemoteEnvironment, SourceAnswer

SCRIPT_PATH = Path(__file__).with_name("remote_probe.py")
BEGIN = "-----BEGIN CALLGRAPH PROBE-----"
END = "-----END CALLGRAPH PROBE-----"
PROTOCOL = 1
REMOTE_PREFIXES = ("cmd:", "docker:", "e2b:")

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NAME_FIELD = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # sys.platform, sys.implementation.name
_PYTHON_FIELDS = {"version": re.compile(r"\d+\.\d+\.\d+\S{0,32}"), "implementation": NAME_FIELD, "platform": NAME_FIELD,
                  "executable": re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,4096}")}


class ProbeError(InputError):
    """The remote could not be probed, or its answer was refused: exit 2, a message, no traceback."""


# -- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What a remote may send. Each is configurable: arguments, or CALLGRAPH_PROBE_* variables."""

    max_files: int = 5000  # Python files in one manifest
    max_file_bytes: int = 2 * 1024 * 1024  # one file
    max_total_bytes: int = 64 * 1024 * 1024  # all files
    timeout: float = 60.0  # seconds, for every remote call
    max_depth: int = 64  # directory depth listed (e2b)
    max_values: int = 500_000  # JSON values in one answer, plus 64 a file: bounds its memory, not only its bytes

    ENV = {
        "max_files": "CALLGRAPH_PROBE_MAX_FILES",
        "max_file_bytes": "CALLGRAPH_PROBE_MAX_FILE_BYTES",
        "max_total_bytes": "CALLGRAPH_PROBE_MAX_TOTAL_BYTES",
        "timeout": "CALLGRAPH_PROBE_TIMEOUT",
    }

    @classmethod
    def from_env(cls, **overrides: float | int | None) -> Limits:
        values: dict = {}
        for name, var in cls.ENV.items():
            raw = os.environ.get(var)
            if raw:
                try:
                    values[name] = float(raw) if name == "timeout" else int(raw)
                except ValueError:
                    raise ProbeError(f"{var}={raw[:40]!r}: not a number") from None
                if not math.isfinite(values[name]) or values[name] <= 0:
                    raise ProbeError(f"{var}={raw[:40]!r}: must be a finite number above 0")
        values.update({k: v for k, v in overrides.items() if v is not None})
        limits = cls(**values)
        for name in ("max_files", "max_file_bytes", "max_total_bytes", "timeout"):
            value = getattr(limits, name)
            if not math.isfinite(value) or value <= 0:  # nan passes `<= 0`; inf never times out
                raise ProbeError(f"{name.replace('_', ' ')} must be a finite positive number, got {value!r}")
        return limits

    @property
    def max_json_values(self) -> int:
        """JSON values one answer may hold. A value costs far more memory than its bytes (`{},`:
        3 bytes, 72 in memory), so an answer within the output limit could still take gigabytes."""
        return self.max_values + 64 * self.max_files

    @property
    def max_output(self) -> int:
        """Bytes of probe output accepted: base64 of every file plus room for the metadata."""
        return self.max_total_bytes * 4 // 3 + self.max_files * 1024 + 8 * 1024 * 1024

    def request(self) -> dict:
        return {
            "max_files": self.max_files,
            "max_file_bytes": self.max_file_bytes,
            "max_total_bytes": self.max_total_bytes,
        }


# -- untrusted text and paths ---------------------------------------------------------------------


def clean(text: object, limit: int = 300) -> str:
    """Remote text made safe to print: control characters escaped, length bounded."""
    s = str(text)
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)
    return s if len(s) <= limit else s[:limit] + "…"


def safe_relpath(path: object, what: str = "path") -> str:
    """A relative posix path that stays under its root; ProbeError otherwise."""
    if not isinstance(path, str) or not path:
        raise ProbeError(f"remote sent an invalid {what}: {clean(repr(path))}")
    if _CONTROL.search(path) or "\\" in path:
        raise ProbeError(f"remote sent a {what} with control characters or backslashes: {clean(repr(path))}")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        raise ProbeError(f"remote sent an absolute {what}, refusing: {clean(path)}")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ProbeError(f"remote sent a {what} that escapes the root, refusing: {clean(path)}")
    if len(path) > 4096:
        raise ProbeError(f"remote sent a {what} longer than 4096 characters")
    return path


def _abspath(path: object, what: str) -> str:
    if not isinstance(path, str) or not path.startswith("/") or _CONTROL.search(path) or len(path) > 4096:
        raise ProbeError(f"remote sent an invalid {what}: {clean(repr(path))}")
    return path


def is_module_name(name: object) -> bool:
    """A dotted name of identifiers, as `import` takes: never a path, a separator or a control character."""
    return isinstance(name, str) and 0 < len(name) <= 1024 and all(p.isidentifier() for p in name.split("."))


def under(path: str, root: str) -> str | None:
    """`path` relative to `root` when it is a normalised absolute path strictly under it, else None."""
    if not isinstance(path, str) or not path.startswith("/") or posixpath.normpath(path) != path:
        return None
    r = posixpath.normpath(root).rstrip("/")
    return path[len(r) + 1 :] if path.startswith(r + "/") and len(path) > len(r) + 1 else None


# -- the validated answer -------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    path: str  # relative to its tree
    size: int
    sha256: str
    data: bytes | None
    origin: str  # absolute path on the remote


@dataclass(frozen=True)
class Resolution:
    """Where the remote interpreter would import one module from (no import was made)."""

    name: str
    status: str  # found | not found | invalid
    kind: str | None = None  # package | module | namespace | extension | bytecode | builtin | frozen
    origin: str | None = None  # the file
    location: str | None = None  # the package directory, or the file
    index: int | None = None  # the sys.path entry it was found on
    entry: str | None = None
    shadowed: tuple[str, ...] = ()  # later candidates the same name would reach
    portions: tuple[str, ...] = ()
    missing: str | None = None
    sha256: str | None = None
    size: int | None = None
    inside_root: bool | None = None
    tree: str | None = None  # the top-level package directory outside root that was read
    from_root: dict | None = None  # the answer when started from the root instead (python -m in ROOT)


@dataclass
class ProbeResult:
    backend: str
    label: str
    root: str  # the remote root, absolute
    files: dict[str, RemoteFile]
    python: dict | None = None  # version, implementation, executable, prefix, platform
    cwd: str | None = None
    sys_path: list[dict] = field(default_factory=list)  # index, entry, origin, kind
    pth: list[dict] = field(default_factory=list)
    meta_path: list[str] = field(default_factory=list)
    modules: dict[str, Resolution] = field(default_factory=dict)
    trees: dict[str, dict[str, RemoteFile]] = field(default_factory=dict)  # outside-root packages read
    notes: list[str] = field(default_factory=list)
    environment: RemoteEnvironment | None = None  # with the request's `environment`
    imports: object = None  # import_evidence.ImportEvidence: bytecode, outside module copies, start-up code


def _int(value: object, what: str, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ProbeError(f"remote sent an invalid {what}: {clean(repr(value))}")
    return value


def _str(value: object, what: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > 8192:
        raise ProbeError(f"remote sent an invalid {what}: {clean(repr(value))}")
    return clean(value, 8192)


class _Budget:
    def __init__(self, limits: Limits, label: str = "remote") -> None:
        self.limits = limits
        self.label = label
        self.files = 0
        self.total = 0
        self.received = 0

    def receive(self, label: str, size: int) -> None:
        """Bytes actually received for one file (whatever was declared for it), against every limit."""
        self.received += size
        self._check(label, size, self.received)

    def take(self, label: str, size: int) -> None:
        lim = self.limits
        self.files += 1
        if self.files > lim.max_files:
            raise ProbeError(
                f"{self.label}: the manifest has more than {lim.max_files} Python files, over the count limit "
                f"(raise it with --max-files or {Limits.ENV['max_files']})"
            )
        self.total += size
        self._check(label, size, self.total)

    def _check(self, label: str, size: int, total: int) -> None:
        """One file's size and the running total (declared or received) against the limits."""
        lim = self.limits
        if size > lim.max_file_bytes:
            raise ProbeError(
                f"{self.label}: remote file {clean(label)} is {size} bytes, over the {lim.max_file_bytes}-byte size limit "
                f"(raise it with --max-file-size or {Limits.ENV['max_file_bytes']})"
            )
        if total > lim.max_total_bytes:
            raise ProbeError(
                f"{self.label}: remote files exceed {lim.max_total_bytes} bytes in all "
                f"(raise it with {Limits.ENV['max_total_bytes']})"
            )


def check_file(raw: object, base: str, budget: _Budget, need_data: bool, where: str) -> RemoteFile:
    """One manifest row: a safe path, a size within limits, content matching its size and sha256."""
    if not isinstance(raw, dict):
        raise ProbeError(f"remote sent a malformed manifest row in {where}")
    path = safe_relpath(raw.get("path"), "file path")
    if not path.endswith(".py"):
        raise ProbeError(f"remote sent a file that is not Python source: {clean(path)}")
    size = _int(raw.get("size"), f"size for {path}")
    budget.take(path, size)
    digest = raw.get("sha256")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise ProbeError(f"remote sent an invalid sha256 for {clean(path)}")
    data = None
    if "data" in raw:
        encoded = raw.pop("data")  # dropped from the document as it is decoded: one copy at a time
        if not isinstance(encoded, str):
            raise ProbeError(f"remote sent malformed content for {clean(path)}")
        if len(encoded) > budget.limits.max_file_bytes * 4 // 3 + 8:
            budget.receive(path, len(encoded) * 3 // 4 - encoded[-2:].count("="))  # over the limit, whatever it declared
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ProbeError(f"remote sent content for {clean(path)} that is not valid base64") from None
        del encoded
        budget.receive(path, len(data))
        if len(data) != size:
            raise ProbeError(f"remote content of {clean(path)} is {len(data)} bytes but declared {size}: truncated?")
        if hashlib.sha256(data).hexdigest() != digest:
            raise ProbeError(f"remote content of {clean(path)} does not match its sha256")
    elif need_data:
        raise ProbeError(f"remote sent no content for {clean(path)}")
    return RemoteFile(path, size, digest, data, posixpath.join(base, path))


def _check_links(links: object, where: str) -> list[str]:
    notes = []
    if not isinstance(links, list):
        raise ProbeError(f"remote sent a malformed symlink list in {where}")
    for link in links:
        if not isinstance(link, dict):
            raise ProbeError(f"remote sent a malformed symlink row in {where}")
        path = safe_relpath(link.get("path"), "symlink path")
        target = clean(link.get("target"))
        if link.get("inside") is not True:
            if link.get("dir"):
                notes.append(f"{path}: directory symbolic link to {target} (outside the root) not followed")
                continue
            raise ProbeError(f"remote symlink {path} points outside the root (to {target}), refusing")
    return notes


def _stderr_tail(err: bytes) -> str:
    """The end of the remote's stderr (a traceback's last lines say what broke), escaped and bounded."""
    lines = [line.strip() for line in err[-4096:].decode("utf-8", "replace").splitlines() if line.strip()]
    tail = " | ".join(lines[-3:])
    return clean(tail[-300:]) if tail else ""


def extract_document(out: bytes, err: bytes, limits: Limits, label: str) -> dict:
    """The one JSON document between the markers; banners before it are ignored.

    Its size in memory is bounded before it is parsed: at most `limits.max_json_values` values
    (each is preceded by one of `[{,:`), and it is decoded straight from the output, no copy."""
    start = out.find(BEGIN.encode() + b"\n")
    if start < 0:
        text = out[:4096].decode("utf-8", "replace")
        hint = clean(err.decode("utf-8", "replace").strip()[-300:]) or clean(text.strip()[:200]) or "no output"
        raise ProbeError(f"{label}: the remote did not answer with a probe document (is python3 >= 3.8 there?): {hint}")
    body_start = start + len(BEGIN) + 1
    end = out.find(b"\n" + END.encode(), body_start)
    if end < 0:
        tail = _stderr_tail(err)
        raise ProbeError(f"{label}: the probe output is truncated (no end marker after {len(out)} bytes)"
                         + (f"; its stderr ends: {tail}" if tail else ""))
    values = sum(out.count(c, body_start, end) for c in (b"[", b"{", b",", b":"))
    if values > limits.max_json_values:
        raise ProbeError(
            f"{label}: the probe output holds more than {limits.max_json_values} JSON values, over the memory limit "
            f"(raise it with --max-files or {Limits.ENV['max_files']})"
        )
    try:
        doc = json.loads(str(memoryview(out)[body_start:end], "utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, an int too long to convert
        raise ProbeError(f"{label}: the probe output is malformed JSON: {clean(exc)}") from None
    if not isinstance(doc, dict):
        raise ProbeError(f"{label}: the probe output is not a JSON object")
    if doc.get("protocol") != PROTOCOL:
        raise ProbeError(f"{label}: unknown probe protocol {clean(repr(doc.get('protocol')))}")
    if doc.get("refused"):
        raise ProbeError(f"{label}: refused by the probe: {clean(doc['refused'])}")
    if doc.get("ok") is not True:
        raise ProbeError(f"{label}: the probe failed: {clean(doc.get('error', 'no reason given'))}")
    return doc


def build_result(doc: dict, backend: str, label: str, limits: Limits, *, files_expected: bool = True,
                 budget: _Budget | None = None, requested: list[str] | tuple[str, ...] = ()) -> ProbeResult:
    """Validate a probe document field by field into a ProbeResult.

    Module names must be dotted identifiers (a name becomes a path in the snapshot); a name we
    asked about that is not one can only come back unresolved."""
    budget = budget or _Budget(limits, label)
    root = _abspath(doc.get("root"), "root")
    result = ProbeResult(backend, label, root, {})
    raw_files = doc.get("files", [])
    if not isinstance(raw_files, list):
        raise ProbeError(f"{label}: the probe output has a malformed file list")
    if len(raw_files) > limits.max_files:
        raise ProbeError(
            f"{label}: remote manifest lists {len(raw_files)} files, over the {limits.max_files}-file count limit "
            f"(raise it with --max-files or {Limits.ENV['max_files']})"
        )
    for raw in raw_files:
        f = check_file(raw, root, budget, files_expected, "the file list")
        if f.path in result.files:
            raise ProbeError(f"{label}: remote listed {clean(f.path)} twice")
        result.files[f.path] = f
    result.notes += _check_links(doc.get("symlinks", []), "the file list")
    python = doc.get("python")
    if isinstance(python, dict):
        result.python = {k: _str(python.get(k), f"python.{k}", optional=True) for k in
                         ("version", "implementation", "executable", "prefix", "base_prefix", "platform")}
        for key, pattern in _PYTHON_FIELDS.items():  # printed in reports: only the shapes a real interpreter sends
            if python.get(key) is not None and not (isinstance(python[key], str) and pattern.fullmatch(python[key])):
                result.python[key] = None
                result.notes.append(f"{label}: ignored the remote's invalid python.{key}: {clean(repr(python[key]), 80)}")
    result.cwd = _str(doc.get("cwd"), "cwd", optional=True)
    sys_path = doc.get("sys_path", [])
    if not isinstance(sys_path, list) or len(sys_path) > 10000:
        raise ProbeError(f"{label}: malformed sys.path")
    for i, row in enumerate(sys_path):
        if not isinstance(row, dict):
            raise ProbeError(f"{label}: malformed sys.path row")
        result.sys_path.append({
            "index": i,
            "entry": _str(row.get("entry"), "sys.path entry"),
            "resolved": _str(row.get("resolved"), "sys.path entry", optional=True),
            "origin": _str(row.get("origin"), "sys.path origin", optional=True) or "",
            "kind": _str(row.get("kind"), "sys.path kind", optional=True) or "",
        })
    pth = doc.get("pth", [])
    if isinstance(pth, list):
        for row in pth[:1000]:
            if isinstance(row, dict):
                entries = row.get("entries") if isinstance(row.get("entries"), list) else []
                result.pth.append({
                    "file": _str(row.get("file"), ".pth file"),
                    "entries": [_str(e, ".pth entry") for e in entries[:1000]],
                    "import_lines": _int(row.get("import_lines", 0), ".pth import count"),
                })
    meta = doc.get("meta_path", [])
    if isinstance(meta, list):
        result.meta_path = [_str(m, "meta_path entry") for m in meta[:100]]
    notes = doc.get("notes", [])
    if isinstance(notes, list):
        result.notes += [clean(n) for n in notes[:200]]
    trees = doc.get("trees", {})
    if not isinstance(trees, dict):
        raise ProbeError(f"{label}: malformed package trees")
    for where, tree in trees.items():
        where = _abspath(where, "package directory")
        if not isinstance(tree, dict):
            raise ProbeError(f"{label}: malformed package tree {clean(where)}")
        base = where if tree.get("kind") == "package" else posixpath.dirname(where)
        files: dict[str, RemoteFile] = {}
        raw_tree = tree.get("files", [])
        if not isinstance(raw_tree, list):
            raise ProbeError(f"{label}: malformed package tree {clean(where)}")
        for raw in raw_tree:
            f = check_file(raw, base, budget, files_expected, clean(where))
            if f.path in files:
                raise ProbeError(f"{label}: remote listed {clean(f.path)} twice in {clean(where)}")
            files[f.path] = f
        result.notes += _check_links(tree.get("symlinks", []), clean(where))
        result.trees[where] = files
    modules = doc.get("modules", {})
    if not isinstance(modules, dict):
        raise ProbeError(f"{label}: malformed module list")
    asked = set(requested)
    for name, raw in modules.items():
        if not isinstance(raw, dict) or not isinstance(name, str):
            raise ProbeError(f"{label}: malformed module resolution")
        res = _resolution(name, raw)
        if not is_module_name(name):
            if name not in asked or res.status == "found":
                raise ProbeError(f"{label}: remote sent an invalid module name, refusing: {clean(repr(name))}")
        result.modules[name] = res
    if doc.get("environment") is not None:
        from .remote_checks import check_environment

        result.environment = check_environment(doc["environment"], label)
    from .import_evidence import check_imports

    result.imports = check_imports(doc, budget, label)
    return result


def _resolution(name: str, raw: dict) -> Resolution:
    shadowed = raw.get("shadowed") or []
    portions = raw.get("portions") or []
    if not isinstance(shadowed, list) or not isinstance(portions, list):
        raise ProbeError(f"remote sent a malformed resolution for {clean(name)}")
    from_root = raw.get("from_root")
    if from_root is not None:
        if not isinstance(from_root, dict):
            raise ProbeError(f"remote sent a malformed resolution for {clean(name)}")
        from_root = {k: _str(from_root.get(k), "resolution", optional=True) if k != "index" else from_root.get(k)
                     for k in ("status", "kind", "origin", "location", "index")}
        if from_root["index"] is not None:
            from_root["index"] = _int(from_root["index"], "sys.path index")
    sha = raw.get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha)):
        raise ProbeError(f"remote sent an invalid sha256 for module {clean(name)}")
    return Resolution(
        name=clean(name),
        status=_str(raw.get("status"), "module status") or "",
        kind=_str(raw.get("kind"), "module kind", optional=True),
        origin=_str(raw.get("origin"), "module origin", optional=True),
        location=_str(raw.get("location"), "module location", optional=True),
        index=_int(raw["index"], "sys.path index") if raw.get("index") is not None else None,
        entry=_str(raw.get("entry"), "sys.path entry", optional=True),
        shadowed=tuple(_str(s, "shadowed path") for s in shadowed[:100]),
        portions=tuple(_str(s, "namespace portion") for s in portions[:100]),
        missing=_str(raw.get("missing"), "module name", optional=True),
        sha256=sha,
        size=_int(raw["size"], "module size") if raw.get("size") is not None else None,
        inside_root=raw.get("inside_root") if isinstance(raw.get("inside_root"), bool) else None,
        tree=_str(raw.get("tree"), "package directory", optional=True),
        from_root=from_root,
    )


# -- running a command prefix ---------------------------------------------------------------------


def probe_source(request: dict) -> bytes:
    """The script sent to the remote: the request, the probe's JSON encoder, then the probe."""
    parts = [SCRIPT_PATH.with_name(n).read_bytes() for n in ("remote_json.py", "remote_imports.py", SCRIPT_PATH.name)]
    return f"REQUEST = {json.dumps(json.dumps(request))}\n".encode() + b"\n".join(parts)


_MESSAGES = Messages(
    missing="{label}: cannot run {program!r}: not found",
    cannot_run="{label}: cannot run {program!r}: {reason}",
    timeout="{label}: the remote did not answer within {timeout:g} s (timeout); stopped it",
    flood="{label}: the remote sent more than {limit} bytes, over the output limit; stopped it",
    no_exit="{label}: the remote did not exit within {timeout:g} s (timeout); stopped it",
    unstoppable="{label}: the remote could not be stopped",
)


def run_bounded(argv: list[str], stdin: bytes, timeout: float, max_output: int, label: str,
                cwd: str | None = None) -> Finished:
    """Run argv without a shell, stdin fed from a thread; its whole process group is killed on
    timeout, on flooding output (stdout over `max_output`, stderr over 1 MiB) and at the end.
    The answer is complete at the end marker, even if a background child keeps stdout open."""
    return _run_bounded(argv, error=ProbeError, label=label, timeout=timeout, max_output=max_output, stdin=stdin,
                        cwd=cwd, max_errors=1024 * 1024, errors_flood=True, messages=_MESSAGES,
                        until=b"\n" + END.encode() + b"\n")


# -- probes ---------------------------------------------------------------------------------------


class Probe:
    """One remote location. `fetch(modules)` returns its validated ProbeResult."""

    backend = "?"

    def __init__(self, root: str, label: str, limits: Limits | None = None) -> None:
        self.root = root
        self.label = label
        self.limits = limits or Limits.from_env()

    def fetch(self, modules: list[str] = ()) -> ProbeResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def request(self, modules: list[str], **extra) -> dict:
        return {"root": self.root, "modules": list(modules), "skip_dirs": sorted(SKIP_DIRS), "environment": True,
                **self.limits.request(), **extra}

    def document(self, request: dict) -> dict:  # pragma: no cover - abstract
        """Run the probe with `request` and return its answer, checked for markers, protocol and ok."""
        raise NotImplementedError

    def fetch_sources(self, names: list[str], budget: _Budget | None = None) -> dict[str, SourceAnswer]:
        """A second round trip: the .py source of each outside module (dotted names) as the remote
        interpreter would import it, validated (`check_sources`) and counted against `budget`
        (the probe's limits; by default one budget for every round of this probe)."""
        from .remote_checks import check_sources

        names = [n for n in dict.fromkeys(names) if isinstance(n, str) and DOTTED_NAME.match(n) and len(n) <= 512][:500]
        if not names:
            return {}
        request = self.request([], files=False, read=False, auto_modules=False, trees=False, environment=False,
                               sources=names, imports=False)
        doc = self.document(request)
        if budget is None:  # every round of one probe counts against the same limits
            budget = self.__dict__.setdefault("_sources_budget", _Budget(self.limits, self.label))
        return check_sources(doc.get("sources") or {}, names, budget, self.label)

    def hash_command(self, path: str) -> str:
        """A shell command a person can run to hash one remote file (for the report)."""
        return f"sha256sum {shlex.quote(path)}"

    def python_command(self, code: str) -> str:
        return shlex.join(["python3", "-c", code])


class DirProbe(Probe):
    """A local directory seen as a remote one (a mounted container filesystem): the same probe code,
    run in-process, the same validation. Modules resolve along `search_path` (default: the root)
    plus the .pth files of `site_dirs`, as site.py would extend it."""

    backend = "dir"

    def __init__(self, root: str | Path, search_path: list[str] | None = None, site_dirs: list[str] = (),
                 limits: Limits | None = None, label: str | None = None) -> None:
        root = os.path.abspath(root)
        super().__init__(root, label or f"dir:{root}", limits)
        self.search_path = list(search_path) if search_path is not None else [root]
        self.site_dirs = list(site_dirs)

    def fetch(self, modules: list[str] = ()) -> ProbeResult:
        return build_result(self.document(self.request(modules)), self.backend, self.label, self.limits,
                            requested=list(modules))

    def document(self, request: dict) -> dict:
        from . import remote_imports, remote_probe

        if not os.path.isdir(self.root):
            raise ProbeError(f"{self.root}: not a directory")
        doc = remote_probe.probe({**request, "sys_path": self.search_path, "site_dirs": self.site_dirs}, vars(remote_imports))
        doc = json.loads(json.dumps(doc))  # exactly what would cross the wire
        if doc.get("refused"):
            raise ProbeError(f"{self.label}: refused by the probe: {clean(doc['refused'])}")
        if doc.get("ok") is not True:
            raise ProbeError(f"{self.label}: {clean(doc.get('error', 'the probe failed'))}")
        return doc


class CommandProbe(Probe):
    """Any command prefix that can run `python3 -` remotely: the probe script goes over stdin."""

    backend = "cmd"

    def __init__(self, prefix: list[str], root: str = ".", limits: Limits | None = None, label: str | None = None,
                 python: str = "python3") -> None:
        if not prefix:
            raise ProbeError("cmd: an empty command prefix (try cmd:ssh HOST or docker:CONTAINER)")
        super().__init__(root, label or f"cmd:{shlex.join(prefix)}", limits)
        self.prefix = list(prefix)
        self.python = python

    @property
    def argv(self) -> list[str]:
        return [*self.prefix, self.python, "-B", "-"]

    def fetch(self, modules: list[str] = ()) -> ProbeResult:
        self._code, self._lingered = 0, False
        doc = self.document(self.request(modules))
        result = build_result(doc, self.backend, self.label, self.limits, requested=list(modules))
        if self._lingered:
            result.notes.append("the remote command was still running after answering (something kept its output "
                                "open); stopped it")
        elif self._code != 0:
            result.notes.append(f"the remote command exited with status {self._code} after answering")
        return result

    def document(self, request: dict) -> dict:
        done = run_bounded(self.argv, probe_source(request), self.limits.timeout, self.limits.max_output, self.label)
        self._code, self._lingered = done.code, done.lingered
        out, err = done.out, done.err
        del done  # the raw answer: only the parsed document is kept from here on
        return extract_document(out, err, self.limits, self.label)

    def hash_command(self, path: str) -> str:
        return shlex.join([*self.prefix, "sha256sum", path])

    def python_command(self, code: str) -> str:
        return shlex.join([*self.prefix, self.python, "-c", code])


class DockerProbe(CommandProbe):
    backend = "docker"

    def __init__(self, container: str, root: str = ".", limits: Limits | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}", container or ""):
            raise ProbeError(f"docker:{clean(container)}: not a container name or id")
        super().__init__(["docker", "exec", "-i", container], root, limits,
                         label=f"docker:{container}" + (f":{root}" if root != "." else ""))


def parse_spec(spec: str, limits: Limits | None = None) -> Probe:
    """A Probe for a `cmd:`, `docker:` or `e2b:` spec (see the module docstring)."""
    if spec.startswith("cmd:"):
        body, sep, root = spec[4:].rpartition("::")
        if not sep or (root and not root.startswith(("/", "~", "."))):  # `ssh fe80::1`: no root given
            body, root = spec[4:], "."
        try:
            prefix = shlex.split(body)
        except ValueError as exc:
            raise ProbeError(f"{spec}: cannot split the command prefix: {exc}") from None
        if not root:
            raise ProbeError(f"{spec}: an empty root after '::'")
        return CommandProbe(prefix, root, limits, label=spec)
    if spec.startswith("docker:"):
        container, _, root = spec[7:].partition(":")
        return DockerProbe(container, root or ".", limits)
    if spec.startswith("e2b:"):
        from .e2b_backend import E2BProbe

        sandbox_id, _, root = spec[4:].partition(":")
        return E2BProbe(sandbox_id, root or "/home/user", limits=limits)
    raise ProbeError(f"{spec}: not a remote spec (cmd:, docker: or e2b:)")


# -- the snapshot ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlay:
    """A top-level name the remote interpreter imports from outside the uploaded tree."""

    name: str
    prefix: str  # where that name lives in the uploaded tree ("osiris/", "src/osiris/", "tool.py")
    remote: str  # the directory or file it is imported from instead
    index: int | None  # its sys.path entry


class RemoteSnapshot(Snapshot):
    """The code as the remote would run it. `entries()` is the uploaded tree under the root, except
    that a top-level package the remote interpreter imports from elsewhere (a `site-packages` copy
    shadowing the upload) is replaced by the copy it imports (`effective=False`: the upload only)."""

    def __init__(self, probe: Probe, modules: list[str] = (), *, effective: bool = True,
                 label: str | None = None) -> None:
        self.probe = probe
        self.label = label or probe.label
        self.modules = list(modules)
        self.effective = effective
        self.notes = []
        self._result: ProbeResult | None = None
        self._files: dict[str, RemoteFile] | None = None
        self._entries: dict[str, FileEntry] | None = None
        self.overlays: list[Overlay] = []
        self.changes: list = []  # effective_imports.ImportChange: modules run from other bytes, and why

    @property
    def result(self) -> ProbeResult:
        if self._result is None:
            self._result = self.probe.fetch(self.modules)
            self.notes.extend(self._result.notes)
            self._files = self._effective(self._result) if self.effective else dict(self._result.files)
        return self._result

    def _effective(self, r: ProbeResult) -> dict[str, RemoteFile]:
        files = dict(r.files)
        names = name_modules(sorted(files))
        by_module = {mod: path for path, (mod, _) in names.items()}
        for name, res in sorted(r.modules.items()):
            if not name.isidentifier() or res.status != "found" or res.inside_root is not False or not res.tree:
                continue
            tree = r.trees.get(res.tree)
            if tree is None:
                continue
            if res.kind == "package":
                init = by_module.get(name)
                prefix = init.rsplit("/", 1)[0] + "/" if init and init.endswith("__init__.py") else f"{name}/"
                for p in [p for p in files if p.startswith(prefix)]:
                    del files[p]
                for rel, f in tree.items():
                    files[prefix + rel] = f
            else:
                prefix = by_module.get(name) or f"{name}.py"
                for f in tree.values():
                    files[prefix] = f
            self.overlays.append(Overlay(name, prefix, res.tree, res.index))
            self.notes.append(
                f"{name}: the remote interpreter imports {res.tree} (sys.path[{res.index}]), "
                f"not the copy under {r.root}; analysed what it imports"
            )
        from .effective_imports import apply_imports

        self.changes, notes = apply_imports(files, r, self.overlays, by_module)
        self.notes += notes
        return files

    @property
    def files(self) -> dict[str, RemoteFile]:
        self.result
        assert self._files is not None
        return self._files

    @property
    def uploaded(self) -> dict[str, RemoteFile]:
        return self.result.files

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            self._entries = {
                p: FileEntry(p, blob_id(f.data or b""), f.size) for p, f in sorted(self.files.items())
            }
        return self._entries

    def read(self, path: str) -> bytes:
        data = self.files[path].data
        if data is None:
            raise ProbeError(f"{self.label}: no content for {path}")
        return data

    def sha256(self, path: str) -> str:
        return self.files[path].sha256

    def origin(self, path: str) -> str:
        return self.files[path].origin

    @property
    def package_name(self) -> str | None:
        if "__init__.py" in self.result.files and not self.overlays:
            name = posixpath.basename(self.result.root.rstrip("/"))
            return name if name.isidentifier() else None
        return None


def open_remote(spec: str, modules: list[str] = (), limits: Limits | None = None, effective: bool = True) -> RemoteSnapshot:
    """A RemoteSnapshot for a `cmd:`, `docker:` or `e2b:` spec."""
    return RemoteSnapshot(parse_spec(spec, limits), modules, effective=effective, label=spec)


__all__ = ["CommandProbe", "DirProbe", "DockerProbe", "Limits", "Overlay", "Probe", "ProbeError", "ProbeResult",
           "RemoteFile", "RemoteSnapshot", "Resolution", "clean", "open_remote", "parse_spec", "safe_relpath"]
