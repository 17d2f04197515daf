"""The remote interpreter's environment, as the probe reports it once validated (`remote_checks`):
its version, platform and stdlib paths, the distributions its metadata files describe, and the
sources of the outside modules a sources round trip fetched."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteDistribution:
    """A distribution installed on the remote, from its metadata files (never imported there)."""

    name: str
    version: str
    path: str  # its *.dist-info / *.egg-info, on the remote
    top_level: tuple[str, ...] = ()  # the importable names it installs (top_level.txt, else RECORD)
    files: int = 0  # lines of its RECORD


@dataclass(frozen=True)
class RemoteEnvironment:
    """The remote interpreter's version, platform and stdlib paths, and what is installed there."""

    version: tuple[int, int, int, str, int]
    platform: str
    implementation: str
    paths: dict[str, str]  # sysconfig's stdlib, platstdlib, purelib, platlib
    distributions: tuple[RemoteDistribution, ...] = ()

    @property
    def version_text(self) -> str:
        v = self.version
        return f"{v[0]}.{v[1]}.{v[2]}" + ("" if v[3] == "final" else f"{v[3][:1]}{v[4]}")


@dataclass(frozen=True)
class SourceAnswer:
    """One outside module's source as the remote interpreter would import it (`status` "found"),
    or why there is none: "not found", "not source" (an extension, builtin, namespace, bytecode),
    "unreadable". Content checked against its size and sha256 before it gets here."""

    name: str
    status: str
    path: str | None = None
    is_package: bool = False
    sha256: str | None = None
    data: bytes | None = None


MAX_SOURCES = 1000  # module sources in one answer: the asked ones (at most 500) and what they import
SOURCE_STATUSES = frozenset({"found", "not found", "not source", "unreadable"})
DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_VERSION_LEVELS = frozenset({"alpha", "beta", "candidate", "final"})


__all__ = ["DOTTED_NAME", "SOURCE_STATUSES", "RemoteDistribution", "RemoteEnvironment", "SourceAnswer"]
