"""Installed distributions, from their metadata files' headers: no importlib.metadata of the target.

Like importlib.metadata's path finder, every directory on the import path is searched for
`*.dist-info` directories (their `METADATA`) and `*.egg-info` directories (`PKG-INFO`) or files;
only the `Name:` and `Version:` headers are read, from the first `MAX_METADATA_BYTES` bytes."""

from __future__ import annotations

import os
from collections.abc import Iterable

from .interpreter import clean
from .model import Distribution

MAX_METADATA_BYTES = 64 * 1024  # headers come first; the long description after them is not needed
MAX_DIR_ENTRIES = 100_000  # a directory with more names is not searched for distributions
MAX_FIELD = 256  # characters in a name or a version


def read_distributions(paths: Iterable[str]) -> tuple[Distribution, ...]:
    """Every distribution in the directories `paths`, in path order, then by directory name."""
    out: list[Distribution] = []
    for directory in paths:
        try:
            names = os.listdir(directory)
        except OSError:
            continue  # a zip, a missing entry
        if len(names) > MAX_DIR_ENTRIES:
            continue
        for name in sorted(names):
            full = os.path.join(directory, name)
            if name.endswith(".dist-info") and os.path.isdir(full):
                dist = _read(full, os.path.join(full, "METADATA"), name.removesuffix(".dist-info"))
            elif name.endswith(".egg-info"):
                meta = os.path.join(full, "PKG-INFO") if os.path.isdir(full) else full
                dist = _read(full, meta, name.removesuffix(".egg-info"))
            else:
                continue
            if dist is not None:
                out.append(dist)
    return tuple(out)


def _read(path: str, metadata: str, stem: str) -> Distribution | None:
    """One distribution: its headers, else its directory name's `name-version`; None without either."""
    headers = read_headers(metadata, ("name", "version"))
    name, _, version = stem.partition("-")
    name = headers.get("name") or name
    version = headers.get("version") or version.partition("-")[0]
    if not name:
        return None
    return Distribution(clean(name, MAX_FIELD), clean(version, MAX_FIELD), path)


def read_headers(path: str, wanted: tuple[str, ...]) -> dict[str, str]:
    """The first value of each wanted header (lower-case names) of an email-style metadata file,
    read up to the first blank line within MAX_METADATA_BYTES; {} when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_METADATA_BYTES)
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # the end of the headers
        if line[0] in " \t" or ":" not in line:
            continue  # a continuation line, or not a header
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in wanted and key not in out:
            out[key] = value.strip()
    return out


MAX_RECORD_BYTES = 4 * 1024 * 1024  # a RECORD larger than this is read up to here


def top_level_names(dist: Distribution) -> tuple[str, ...]:
    """The importable top-level names a distribution installs: its `top_level.txt`, else the first
    component of each RECORD (or egg-info `installed-files.txt`) path; () when neither can be read.
    The probe (probes/remote_probe.py `_distribution`) derives the remote side's the same way."""
    if not os.path.isdir(dist.path):
        return ()
    top = _lines(os.path.join(dist.path, "top_level.txt"), MAX_METADATA_BYTES)
    if top:
        return tuple(t for t in top if t.isidentifier())[:100]
    record = "RECORD" if dist.path.endswith(".dist-info") else "installed-files.txt"
    derived: list[str] = []
    for line in _lines(os.path.join(dist.path, record), MAX_RECORD_BYTES):
        path = line.split(",", 1)[0].strip()
        first, sep, _ = path.partition("/")
        if sep and not first.endswith((".dist-info", ".egg-info", ".data")):
            mod = first
        elif not sep and first.endswith(".py"):
            mod = first[:-3]
        else:
            continue
        if mod.isidentifier() and mod not in derived:
            derived.append(mod)
    return tuple(derived[:100])


def _lines(path: str, limit: int) -> list[str]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit)
    except OSError:
        return []
    return [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
