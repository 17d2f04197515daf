"""Validation of the probe's environment answers, field by field.

`check_environment` turns the probe's `environment` block (version, platform, sysconfig's stdlib
paths, the distributions its metadata files describe) into a `RemoteEnvironment`;
`check_sources` turns a sources round trip's answer into `SourceAnswer`s: only the names asked
for, each an absolute `.py` path whose content matches its size and sha256, counted against the
probe's limits. The remote is untrusted: anything malformed is a `ProbeError`, never a guess."""

from __future__ import annotations

import posixpath

from .probe import _CONTROL, NAME_FIELD, ProbeError, _abspath, _Budget, _int, check_file, clean
from .remote_environment import (
    _VERSION_LEVELS,
    DOTTED_NAME,
    MAX_SOURCES,
    SOURCE_STATUSES,
    RemoteDistribution,
    RemoteEnvironment,
    SourceAnswer,
)


def check_environment(raw: object, label: str) -> RemoteEnvironment:
    """The probe's `environment` block, field by field: versions are small ints, names and paths
    bounded strings without control characters, at most 2000 distributions."""
    if not isinstance(raw, dict):
        raise ProbeError(f"{label}: malformed environment")
    info = raw.get("version_info")
    if (not isinstance(info, list) or len(info) != 5 or info[3] not in _VERSION_LEVELS
            or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1000 for v in info[:3] + info[4:])):
        raise ProbeError(f"{label}: remote sent an invalid version_info: {clean(repr(info))}")
    paths = raw.get("paths") or {}
    if not isinstance(paths, dict):
        raise ProbeError(f"{label}: malformed environment paths")
    dists = raw.get("distributions") or []
    if not isinstance(dists, list) or len(dists) > 2000:
        raise ProbeError(f"{label}: malformed distribution list")
    out = []
    for d in dists:
        if not isinstance(d, dict):
            raise ProbeError(f"{label}: malformed distribution")
        top = d.get("top_level") or []
        if not isinstance(top, list):
            raise ProbeError(f"{label}: malformed top-level names")
        out.append(RemoteDistribution(
            name=_field(d.get("name"), "distribution name"),
            version=_field(d.get("version"), "distribution version", allow_empty=True),
            path=_abspath(d.get("path"), "distribution path"),
            top_level=tuple(t for t in top[:100] if isinstance(t, str) and t.isidentifier() and len(t) <= 256),
            files=_int(d.get("files", 0), "distribution file count", high=10_000_000),
        ))
    return RemoteEnvironment(
        version=(info[0], info[1], info[2], info[3], info[4]),
        platform=_name(raw.get("platform"), "platform"),
        implementation=_name(raw.get("implementation"), "implementation"),
        paths={k: _abspath(v, f"{k} path") for k, v in paths.items() if k in ("stdlib", "platstdlib", "purelib", "platlib")},
        distributions=tuple(out),
    )


def _name(value: object, what: str) -> str:
    """sys.platform or sys.implementation.name: letters, digits, `_.-`, at most 64 (printed in reports)."""
    if not isinstance(value, str) or not NAME_FIELD.fullmatch(value):
        raise ProbeError(f"remote sent an invalid {what}: {clean(repr(value))}")
    return value


def _field(value: object, what: str, allow_empty: bool = False) -> str:
    """A short remote name (a distribution, a version, a platform): printable, at most 256 characters."""
    if not isinstance(value, str) or len(value) > 256 or (not value and not allow_empty) or _CONTROL.search(value):
        raise ProbeError(f"remote sent an invalid {what}: {clean(repr(value))}")
    return value


def check_sources(raw: object, asked: list[str], budget: _Budget, label: str) -> dict[str, SourceAnswer]:
    """The probe's `sources` answer: only names that were asked (or submodules of their packages
    that a sent module imports from, found ones only), each found one an absolute .py
    path whose content matches its declared size and sha256, within the limits (`budget`)."""
    if not isinstance(raw, dict) or len(raw) > MAX_SOURCES:
        raise ProbeError(f"{label}: malformed module sources")
    wanted = set(asked)
    packages = {n.split(".")[0] for n in asked}
    out: dict[str, SourceAnswer] = {}
    sourceless: list[str] = []
    for name, row in raw.items():
        # A name asked for, or a submodule of an asked one's package that a sent module imports from.
        followed = isinstance(name, str) and DOTTED_NAME.match(name) and name.split(".")[0] in packages
        if not (name in wanted or followed) or not isinstance(row, dict) or len(name) > 512:
            raise ProbeError(f"{label}: remote sent a source it was not asked for: {clean(repr(name))}")
        if name not in wanted and row.get("status") != "found":
            raise ProbeError(f"{label}: malformed source row for {clean(name)}")
        status = row.get("status")
        if status not in SOURCE_STATUSES:
            raise ProbeError(f"{label}: remote sent an invalid source status for {clean(name)}")
        if status != "found":
            out[name] = SourceAnswer(name, status)
            continue
        path = _abspath(row.get("path"), "module path")
        bytecode = row.get("bytecode") is True and path.endswith(".pyc")
        if not path.endswith(".py") and not bytecode:
            raise ProbeError(f"{label}: remote sent a module source that is not a .py file: {clean(path)}")
        is_package = row.get("package")
        if not isinstance(is_package, bool):
            raise ProbeError(f"{label}: malformed source row for {clean(name)}")
        f = check_file({"path": posixpath.basename(path).removesuffix("c"), "size": row.get("size"), "sha256": row.get("sha256"),
                        "data": row.get("data")}, posixpath.dirname(path), budget, True, f"the source of {name}")
        out[name] = SourceAnswer(name, status, path, is_package, f.sha256, f.data)
        if bytecode:
            sourceless.append(name)
    if sourceless:  # the definitions their code objects prove, read in another process, as source
        from .bytecode import read_pycs

        for name, facts in zip(sourceless, read_pycs([out[n].data or b"" for n in sourceless])):
            a = out[name]
            out[name] = SourceAnswer(name, "found", a.path, a.is_package, a.sha256, facts.stub) if facts.stub \
                else SourceAnswer(name, "not source")
    return out


__all__ = ["check_environment", "check_sources"]
