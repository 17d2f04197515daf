"""Definitions from remote bytecode, read in another process, as source the analysis can check.

A sourceless module (or a `__pycache__` entry CPython runs instead of its source) has no text to
parse; its code objects still prove each `def`'s parameters. `read_pycs` hands the bytes to
`bytecode_reader.py` run by an interpreter whose magic number matches the pyc's (this one, one
named in CALLGRAPH_PYC_PYTHONS, or one of pyenv's), as `python -I -S -B -` under a timeout, an
output limit and its own memory and CPU limits: marshal is never run on untrusted bytes in the
analysing process, and no code object is executed or made into a function. `stub_source` turns
the validated answer into a module of signatures (`def f(a, b=..., *, c): ...`); what the reader
could not prove is imported from a module that does not exist, so it stays unknown (silent).
"""

from __future__ import annotations

import ast
import base64
import glob
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from callgraph.subprocesses import run_bounded

READER = Path(__file__).with_name("bytecode_reader.py")
UNKNOWN_MODULE = "_callgraph_unknown_"  # never importable: what it provides is unknown
TIMEOUT = 30.0
MAX_OUTPUT = 16 * 1024 * 1024
_MAGICS: dict[str, str | None] = {}  # interpreter -> its magic number (hex), None when it cannot say


class ReaderError(Exception):
    """The reader could not run or answered out of shape."""


@dataclass(frozen=True, slots=True)
class BytecodeFacts:
    """A pyc's reading: `stub` (signatures as source) or `error` (what could not be read, and why)."""

    magic: str
    reader: str | None  # the interpreter that read it
    version: str | None  # its Python version, "3.12"
    stub: bytes | None
    error: str | None = None


def _candidates() -> list[str]:
    extra = [p for p in os.environ.get("CALLGRAPH_PYC_PYTHONS", "").split(os.pathsep) if p]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return [sys.executable, *extra, *sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python")))]


def _magic_of(python: str) -> str | None:
    if python not in _MAGICS:
        if python == sys.executable:
            _MAGICS[python] = importlib.util.MAGIC_NUMBER.hex()
        else:
            try:
                done = run_bounded([python, "-I", "-S", "-B", "-c",
                                    "import importlib.util as u; print(u.MAGIC_NUMBER.hex())"],
                                   error=ReaderError, label=python, timeout=10, max_output=1024)
                text = done.out.decode("ascii", "replace").strip()
                _MAGICS[python] = text if done.code == 0 and len(text) == 8 else None
            except ReaderError:
                _MAGICS[python] = None
    return _MAGICS[python]


def reader_for(magic: str) -> str | None:
    """An interpreter on this machine whose bytecode has `magic`, or None."""
    return next((p for p in _candidates() if _magic_of(p) == magic), None)


def read_pycs(pycs: list[bytes]) -> list[BytecodeFacts]:
    """Each pyc's definitions, read by a matching interpreter in a bounded process."""
    out: list[BytecodeFacts | None] = [None] * len(pycs)
    groups: dict[str, list[int]] = {}
    for i, data in enumerate(pycs):
        groups.setdefault(data[:4].hex(), []).append(i)
    for magic, indexes in groups.items():
        python = reader_for(magic)
        if python is None:
            for i in indexes:
                out[i] = BytecodeFacts(magic, None, None, None, f"magic number {magic}: no interpreter of that Python "
                                       "version here (name one in CALLGRAPH_PYC_PYTHONS); its definitions are unknown")
            continue
        script = ("PYCS = " + json.dumps([base64.b64encode(pycs[i]).decode("ascii") for i in indexes]) + "\n").encode()
        try:
            done = run_bounded([python, "-I", "-S", "-B", "-"], error=ReaderError, label=f"bytecode reader {python}",
                               timeout=TIMEOUT, max_output=MAX_OUTPUT, stdin=script + READER.read_bytes())
            lines = done.out.decode("utf-8", "replace").splitlines()
            if done.code != 0 or len(lines) != len(indexes):
                raise ReaderError(f"bytecode reader {python}: exit status {done.code}, {len(lines)} answers")
            answers = [json.loads(line) for line in lines]
        except (ReaderError, ValueError) as exc:
            for i in indexes:
                out[i] = BytecodeFacts(magic, python, None, None, f"could not be read: {str(exc)[:200]}")
            continue
        for i, answer in zip(indexes, answers):
            out[i] = _facts(magic, python, answer)
    return [f for f in out if f is not None]


def _facts(magic: str, python: str, answer: object) -> BytecodeFacts:
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = answer.get("error") if isinstance(answer, dict) else None
        return BytecodeFacts(magic, python, None, None, str(error or "unreadable")[:200])
    version = answer.get("version")
    version = f"{version[0]}.{version[1]}" if isinstance(version, list) and len(version) == 2 else None
    try:
        return BytecodeFacts(magic, python, version, stub_source(answer.get("defs") or []))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return BytecodeFacts(magic, python, version, None, f"malformed reading: {type(exc).__name__}")


def _ident(name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier() or name in ("None", "True", "False"):
        raise ValueError(f"not an identifier: {name!r}")
    return name


def _params(sig: dict) -> str:
    names = [_ident(n) for n in sig["names"]]
    argcount, posonly, kwonly = int(sig["argcount"]), int(sig["posonly"]), int(sig["kwonly"])
    ndefaults, kwdefaults = int(sig["ndefaults"]), {_ident(n) for n in sig["kwdefaults"]}
    if not (0 <= posonly <= argcount and 0 <= ndefaults <= argcount and len(names) == argcount + kwonly):
        raise ValueError("inconsistent counts")
    parts = []
    for i, name in enumerate(names[:argcount]):
        parts.append(name + ("=..." if i >= argcount - ndefaults else ""))
        if posonly and i == posonly - 1:
            parts.append("/")
    if sig.get("varargs"):
        parts.append("*" + _ident(sig["varargs"]))
    elif kwonly:
        parts.append("*")
    parts += [n + ("=..." if n in kwdefaults else "") for n in names[argcount:]]
    if sig.get("varkw"):
        parts.append("**" + _ident(sig["varkw"]))
    return ", ".join(parts)


def stub_source(defs: list[dict]) -> bytes:
    """A module of the definitions the bytecode proves, in its order; unknown names imported from
    a module that does not exist. Class bases the reader saw are unknown too."""
    lines = ['"""Signatures read from bytecode (no source): bodies and other names are unknown."""; '
             f"from {UNKNOWN_MODULE} import base as {UNKNOWN_MODULE}_base"]
    bodies: dict[tuple[str, ...], list[str]] = {(): lines}
    for d in defs:
        scope = tuple(_ident(s) for s in d.get("scope") or [])
        target = bodies.get(scope)
        if target is None:
            continue  # inside a class the reader gave up on
        pad = "    " * len(scope)
        name = _ident(d["name"])
        line = d.get("line")
        if isinstance(line, int) and d["kind"] in ("def", "class") and len(lines) + 1 < line <= 100_000:
            lines.extend([""] * (line - 1 - len(lines)))  # the definition on its own line number
        if d["kind"] == "def":
            prefix = "async def" if d.get("is_async") else "def"
            target.append(f"{pad}{prefix} {name}({_params(d['sig'])}): ...")
        elif d["kind"] == "class":
            base = f"({UNKNOWN_MODULE}_base)" if d.get("bases") else ""
            target.append(f"{pad}class {name}{base}:")
            target.append(f"{pad}    ...")
            bodies[scope + (name,)] = target
        else:
            target.append(f"{pad}from {UNKNOWN_MODULE} import {name}")
    text = "\n".join(lines) + "\n"
    ast.parse(text)  # a stub that does not parse is a malformed reading
    return text.encode()


def signature_table(source: bytes) -> dict[str, tuple] | None:
    """{qualified name: parameters} of a module's top-level and class-level defs, as `ast` reads
    them (None when it does not parse): bytecode and source compared on what binding reads."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    out: dict[str, tuple] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                out[prefix + node.name] = (
                    tuple(x.arg for x in a.posonlyargs), tuple(x.arg for x in a.args), len(a.defaults),
                    a.vararg.arg if a.vararg else None, tuple(x.arg for x in a.kwonlyargs),
                    tuple(x.arg for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None),
                    a.kwarg.arg if a.kwarg else None, bool(node.decorator_list))
            elif isinstance(node, ast.ClassDef):
                walk(node.body, prefix + node.name + ".")

    walk(tree.body, "")
    return out
