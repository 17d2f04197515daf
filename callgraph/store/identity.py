"""What a cached result is keyed by besides its own bytes: which file, and which build made it.

A facts entry is keyed by `CacheKey` (the file's blob id, module name, is_package) and by
`analyzer_id()`, which changes with callgraph's version, the facts format and model schema, the
libcst version, the Python version and the source of the collector and every module of ours it
imports. A stored run (`store.runs`) is keyed by `checker_id()`, which adds the source of the
code that decides findings. Hashing our own source means a development checkout never reads a
result that older code computed.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from pathlib import Path
from typing import NamedTuple

from ..facts.serialize import FORMAT_VERSION, SCHEMA_FINGERPRINT


class CacheKey(NamedTuple):
    """Which file a facts entry describes (the analyser id completes the key)."""

    blob: str  # blob_id(source bytes)
    module: str
    is_package: bool


@functools.lru_cache(maxsize=None)
def analyzer_description() -> str:
    """Everything the facts of a file depend on besides its bytes, module name and is_package."""
    from ..version import __version__

    try:
        from importlib.metadata import version

        libcst_version = version("libcst")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        libcst_version = "?"
    # The source of the collector and every module of ours it imports: a development checkout
    # never reads facts that an older collector wrote.
    code = hashlib.sha1()
    for name, data in sorted(_collector_sources().items()):
        code.update(name.encode() + b"\0" + data + b"\0")
    impl = sys.implementation.name
    return (
        f"callgraph {__version__}; facts format {FORMAT_VERSION}; schema {SCHEMA_FINGERPRINT}; "
        f"libcst {libcst_version}; {impl} {sys.version_info[0]}.{sys.version_info[1]}; "
        f"code {code.hexdigest()[:12]}"
    )


_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)", re.M)


def _collector_sources(roots: tuple[str, ...] = ("facts.collector", "facts.serialize")) -> dict[str, bytes]:
    """The package's modules named in `roots` (dotted, below `callgraph`) and, transitively, the
    package modules they import relatively: what a cached result was computed by."""
    package = Path(__file__).resolve().parent.parent  # callgraph/
    out: dict[str, bytes] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        path = package / (name.replace(".", "/") + ".py")
        is_package = not path.is_file()
        if is_package:
            path = package / name.replace(".", "/") / "__init__.py"
            if not path.parent.is_dir():
                continue  # a name, not a module
        try:
            out[name] = path.read_bytes()
        except OSError:  # pragma: no cover - not a plain file install: the version has to do
            out[name] = b""
            continue
        here = name.split(".") if is_package else name.split(".")[:-1]
        for dots, module, names in _RELATIVE_IMPORT.findall(out[name].decode("utf-8", "replace")):
            base = here[: len(here) - (len(dots) - 1)] if len(dots) > 1 else here
            target = [*base, *module.split(".")] if module else base
            if module:
                todo.append(".".join(target))
            # `from .pkg import a, b as c`: each name may be a submodule (one that is not is skipped)
            todo.extend(
                ".".join([*target, n.split()[0]]) for n in names.strip("()").replace("\n", " ").split(",") if n.strip()
            )
    return out


@functools.lru_cache(maxsize=None)
def analyzer_id() -> str:
    return hashlib.sha1(analyzer_description().encode()).hexdigest()[:20]


@functools.lru_cache(maxsize=None)
def interface_id() -> str:
    """What outside modules' interface facts depend on besides their bytes: the interface
    collector's source and what it imports (`store.outside.interface_key`)."""
    code = hashlib.sha1(b"interface facts 1")
    for name, data in sorted(_collector_sources(("facts.interface", "facts.serialize")).items()):
        code.update(name.encode() + b"\0" + data + b"\0")
    return code.hexdigest()[:12]


# The modules whose code decides findings; what they import relatively is followed.
_CHECKER_ROOTS = (
    "analysis.checks", "resolve.resolver", "resolve.classes", "store.reuse", "analysis.project", "facts.interface",
)


@functools.lru_cache(maxsize=None)
def checker_id() -> str:
    """What findings depend on besides the facts: the analyser, and the resolver's and checks' code."""
    code = hashlib.sha1(analyzer_id().encode())
    for name, data in sorted(_collector_sources(_CHECKER_ROOTS).items()):
        code.update(name.encode() + b"\0" + data + b"\0")
    return code.hexdigest()[:20]
