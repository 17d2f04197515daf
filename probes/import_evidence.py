"""Validation of the probe's import evidence (`remote_imports.py`'s answers), field by field.

`check_imports` turns the document's `bytecode`, `module_origins` and `startup` blocks into an
`ImportEvidence`: bytecode the remote runs instead of (or without) a source, project modules the
search path finds outside the root, `.pth` import lines, start-up hooks and the PYTHON* variables.
The remote is untrusted: paths are checked, bytes must match their size and sha256, counted
against the probe's limits; anything malformed is a `ProbeError`. Bytecode is only carried
here as bytes: reading its code objects is `probes.bytecode`'s job, in another process."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from .probe import _SHA256, ProbeError, _abspath, _Budget, _int, _str, clean, is_module_name, safe_relpath

PYC_ROLES = ("cache", "sourceless")
PYC_KINDS = ("timestamp", "checked-hash", "unchecked-hash", "invalid")
_MAGIC = re.compile(r"[0-9a-f]{0,8}\Z")
_ENV_NAME = re.compile(r"PYTHON[A-Z]{1,20}\Z")
MAX_ITEMS = 2000


@dataclass(frozen=True, slots=True)
class PycEvidence:
    """A `.pyc` CPython considers for one module of the tree, and whether it runs it."""

    path: str  # the project path it stands for (`pkg/rates.py`, also when only the .pyc exists)
    pyc: str  # the remote file
    role: str  # cache (`__pycache__`, beside a source) | sourceless (the legacy location, no source)
    kind: str  # timestamp | checked-hash | unchecked-hash | invalid
    used: bool  # CPython runs it (instead of compiling the source)
    why: str  # importlib's rule, in words
    magic: str  # the first four bytes, hex: which Python version wrote it
    sha256: str
    same_as_source: bool | None  # its code is exactly the source's compile (None: not used)
    recorded: tuple[int, int] | None = None  # a timestamp pyc's recorded (mtime, size)
    source_stat: tuple[int, int] | None = None  # the source's (mtime, size), as importlib compares them
    data: bytes | None = None  # sent when used and not the source's own compile


@dataclass(frozen=True, slots=True)
class ModuleOrigin:
    """A project module the remote search path finds outside the root (an old namespace portion,
    a copy on PYTHONPATH): the file it runs, on which sys.path entry."""

    name: str
    path: str  # the project path
    origin: str
    kind: str
    index: int | None
    entry: str | None
    portions: tuple[str, ...]  # its parent's namespace portions, in path order
    sha256: str
    size: int
    data: bytes | None


@dataclass(frozen=True, slots=True)
class PthImport:
    """A line of a `.pth` file: a path site adds, or an `import` line, code site runs at start-up
    (never run here)."""

    file: str
    line: int
    text: str
    paths: tuple[str, ...]  # the path it adds, or the path literals an import line names (absolute)
    kind: str = "import"  # import | path


@dataclass(frozen=True, slots=True)
class ImportEvidence:
    bytecode: tuple[PycEvidence, ...] = ()
    origins: tuple[ModuleOrigin, ...] = ()
    pth_lines: tuple[PthImport, ...] = ()  # path and import lines of the .pth files
    hooks: tuple[tuple[str, str, int | None], ...] = ()  # (sitecustomize | usercustomize, file, sys.path index)
    env: tuple[tuple[str, str], ...] = ()  # PYTHON* variables set in the probe's environment
    flags: tuple[tuple[str, int], ...] = ()  # the probe interpreter's sys.flags that change the path
    trees: tuple[tuple[str, tuple[PycEvidence, ...]], ...] = ()  # (package directory outside root, its pycs)


def _data(raw: dict, size: int, sha: str, budget: _Budget, what: str) -> bytes | None:
    if raw.get("data") is None:
        return None
    try:
        if not isinstance(raw["data"], str) or len(raw["data"]) > budget.limits.max_file_bytes * 4 // 3 + 8:
            raise ProbeError(f"remote sent malformed or oversized bytes for {clean(what)}")
        data = base64.b64decode(raw["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ProbeError(f"remote sent undecodable bytes for {clean(what)}") from None
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
        raise ProbeError(f"remote sent bytes for {clean(what)} that do not match their size and sha256")
    budget.receive(what, size)  # bytes against the limits; evidence is not a file of the manifest
    return data


def _is_path(p: object) -> bool:
    try:
        return bool(_abspath(p, "path"))
    except ProbeError:  # a .pth line naming no usable path: evidence left out, never a refusal
        return False


def _pair(raw: object) -> tuple[int, int] | None:
    if isinstance(raw, list) and len(raw) == 2:
        return _int(raw[0], "pyc field", high=0xFFFFFFFF), _int(raw[1], "pyc field", high=0xFFFFFFFF)
    return None


def _pyc(raw: object, budget: _Budget) -> PycEvidence:
    if not isinstance(raw, dict):
        raise ProbeError("remote sent a malformed bytecode entry")
    path = safe_relpath(raw.get("path"), "bytecode path")
    if not path.endswith(".py"):
        raise ProbeError(f"remote sent a bytecode entry for {clean(path)}, not a .py path")
    role, kind, sha = raw.get("role"), raw.get("kind"), raw.get("sha256")
    magic = raw.get("magic")
    if role not in PYC_ROLES or kind not in PYC_KINDS or not isinstance(sha, str) or not _SHA256.match(sha) or \
            not isinstance(magic, str) or not _MAGIC.match(magic) or not isinstance(raw.get("used"), bool):
        raise ProbeError(f"remote sent a malformed bytecode entry for {clean(path)}")
    same = raw.get("same_as_source")
    size = _int(raw.get("pyc_size", 0), "pyc size")
    return PycEvidence(
        path, _abspath(raw.get("pyc"), "pyc path"), role, kind, raw["used"], clean(_str(raw.get("why"), "why") or "", 200),
        magic, sha, same if isinstance(same, bool) else None, _pair(raw.get("recorded")), _pair(raw.get("source_stat")),
        _data(raw, size, sha, budget, path + " (bytecode)"),
    )


def _origin(name: str, raw: object, budget: _Budget) -> ModuleOrigin:
    if not is_module_name(name) or not isinstance(raw, dict):
        raise ProbeError(f"remote sent a malformed module origin: {clean(repr(name))}")
    sha, size = raw.get("sha256"), _int(raw.get("size", 0), "module size")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise ProbeError(f"remote sent an invalid sha256 for module {clean(name)}")
    portions = raw.get("portions") or []
    if not isinstance(portions, list):
        raise ProbeError(f"remote sent malformed namespace portions for {clean(name)}")
    origin = _abspath(raw.get("origin"), "module origin")
    return ModuleOrigin(
        name, safe_relpath(raw.get("path"), "module path"), origin, _str(raw.get("kind"), "module kind") or "",
        _int(raw["index"], "sys.path index") if raw.get("index") is not None else None,
        _str(raw.get("entry"), "sys.path entry", optional=True), tuple(_abspath(p, "portion") for p in portions[:100]),
        sha, size, _data(raw, size, sha, budget, origin),
    )


def check_imports(doc: dict, budget: _Budget, label: str) -> ImportEvidence | None:
    """The document's import evidence, validated; None when the probe sent none."""
    if not any(k in doc for k in ("bytecode", "module_origins", "startup")):
        return None
    raw_pyc, raw_origins, startup = doc.get("bytecode") or [], doc.get("module_origins") or {}, doc.get("startup") or {}
    if not isinstance(raw_pyc, list) or not isinstance(raw_origins, dict) or not isinstance(startup, dict) or \
            len(raw_pyc) > MAX_ITEMS or len(raw_origins) > MAX_ITEMS:
        raise ProbeError(f"{label}: malformed import evidence")
    pth = startup.get("pth_imports") or []
    hooks, env, flags = startup.get("hooks") or {}, startup.get("env") or {}, startup.get("flags") or {}
    if not isinstance(pth, list) or not isinstance(hooks, dict) or not isinstance(env, dict) or \
            not isinstance(flags, dict) or len(pth) > 400:
        raise ProbeError(f"{label}: malformed start-up evidence")
    lines = []
    for row in pth:
        if not isinstance(row, dict) or not isinstance(row.get("paths") or [], list):
            raise ProbeError(f"{label}: malformed .pth import line")
        lines.append(PthImport(_abspath(row.get("file"), ".pth file"), _int(row.get("line"), ".pth line", 1),
                               clean(_str(row.get("text"), ".pth line") or "", 300),
                               tuple(p for p in (row.get("paths") or [])[:10] if _is_path(p)),
                               "path" if row.get("kind") == "path" else "import"))
    trees = doc.get("tree_bytecode") or {}
    if not isinstance(trees, dict) or len(trees) > 100 or any(not isinstance(v, list) or len(v) > MAX_ITEMS
                                                              for v in trees.values()):
        raise ProbeError(f"{label}: malformed bytecode of package trees")
    return ImportEvidence(
        trees=tuple((_abspath(w, "package directory"), tuple(_pyc(r, budget) for r in rows))
                    for w, rows in trees.items()),
        bytecode=tuple(_pyc(r, budget) for r in raw_pyc),
        origins=tuple(_origin(n, r, budget) for n, r in raw_origins.items()),
        pth_lines=tuple(lines),
        hooks=tuple((h, v["origin"], v.get("index") if isinstance(v.get("index"), int) else None)
                    for h, v in hooks.items() if h in ("sitecustomize", "usercustomize") and isinstance(v, dict)
                    and _is_path(v.get("origin"))),
        env=tuple((k, clean(v, 1000)) for k, v in sorted(env.items()) if _ENV_NAME.match(str(k)) and isinstance(v, str)),
        flags=tuple((k, 1 if v else 0) for k, v in sorted(flags.items())
                    if k in ("isolated", "ignore_environment", "no_user_site", "no_site", "safe_path")),
    )
