"""A run's record, kept in the facts cache for the next run: each file's blob, counts, notes and findings.

Also what decides whether a record still holds: a module's *interface* digest (what other
modules' resolution can see of it; see `store.reuse`) and a run's identity (checker, settings and
files). The stored form is compressed JSON, validated on the way back: anything malformed
means "no previous run"."""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from ..facts.findings import Code, Finding, FixKind, Location, Suggestion
from ..facts.model import ModuleFacts
from ..facts.serialize import pack_json, unpack_json
from .outside import Lookup

STATE_VERSION = 7


_BODY_FIELDS = frozenset({"calls", "uses", "suppressions"})  # of ModuleFacts: read by the file's own checks only


_POSITION_FIELDS = frozenset({"line", "column", "error_line", "error_column"})


@dataclasses.dataclass(frozen=True, slots=True)
class FileRecord:
    """What one file contributed to a run."""

    blob: str  # git blob id of its bytes
    functions: int  # for stats, without decoding its facts
    calls: int
    resolved: int  # its call sites with a complete resolution
    note: str | None  # the facts' `unsupported` note
    findings: tuple[Finding, ...]
    # What its resolutions read (`resolve.calls.resolve_calls`): the project's modules, as positions
    # in the run's file list (None: not recorded), and the keys of the project-wide answers used.
    reads: tuple[int, ...] | None = None
    keys: tuple[str, ...] = ()


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, bool], ...]:
    return tuple((f.name, f.name in _POSITION_FIELDS) for f in dataclasses.fields(cls))


def _plain(v: Any) -> Any:
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is tuple:
        return [_plain(x) for x in v]
    if isinstance(v, enum.Enum):
        return v.value
    if t is frozenset:
        return sorted(repr(_plain(x)) for x in v)
    if dataclasses.is_dataclass(v):
        return [0 if position else _plain(getattr(v, name)) for name, position in _fields(t)]
    return repr(v)


def interface_digest(facts: ModuleFacts) -> str:
    """A digest of what other modules' resolution can see of this module (see the module docstring)."""
    body = [
        0 if position else _plain(getattr(facts, name))
        for name, position in _fields(ModuleFacts)
        if name not in _BODY_FIELDS
    ]
    return hashlib.sha1(repr(body).encode("utf-8", "surrogatepass")).hexdigest()


def run_identity(checker: str, settings: Iterable[str], files: Iterable[tuple[str, str, bool]]) -> str:
    """Which project a run was: the checker's code, the settings that change findings, and every file."""
    h = hashlib.sha1(checker.encode())
    for s in sorted(settings):
        h.update(b"\1" + s.encode("utf-8", "surrogatepass"))
    for path, module, is_package in files:
        h.update(b"\0%s\0%s\0%d" % (path.encode("utf-8", "surrogatepass"), module.encode("utf-8", "surrogatepass"), is_package))
    return h.hexdigest()


def still_valid(
    previous: dict[str, FileRecord] | None, blobs: dict[str, str], same_interface: Callable[[str], bool]
) -> set[str] | None:
    """The files whose previous findings still hold; None when everything must be redone.

    `same_interface(path)` is asked about changed files only: an unchanged file's interface is."""
    if previous is None or previous.keys() != blobs.keys():
        return None
    changed = {p for p, blob in blobs.items() if previous[p].blob != blob}
    if not all(same_interface(p) for p in sorted(changed)):
        return None
    return {
        p
        for p, record in previous.items()
        if p not in changed
        and not any(f.definition is not None and f.definition.path in changed for f in record.findings)
    }


Answer = tuple[str, tuple[int, ...], tuple[str, ...]]


@dataclasses.dataclass(frozen=True)
class State:
    """A run's record: each file's contribution, and a token that changes whenever an interface may
    have (the call table holds only for states with its token)."""

    token: str
    files: dict[str, FileRecord]
    outside: tuple[Lookup, ...] = ()  # the outside modules the run's resolutions read (`store.outside`)
    # The project-wide answers the records use (`resolve.answers`): key -> (digest, the positions
    # of the modules computing it read, the other answers it used).
    answers: dict[str, Answer] = dataclasses.field(default_factory=dict)


def counts_of(records: Iterable[FileRecord]) -> dict[str, int]:
    functions = calls = resolved = 0
    for r in records:
        functions += r.functions
        calls += r.calls
        resolved += r.resolved
    return {"functions": functions, "calls": calls, "resolved_calls": resolved}


def encode_state(state: State) -> bytes:
    doc = [
        STATE_VERSION,
        state.token,
        [
            [p, r.blob, r.functions, r.calls, r.resolved, r.note, [_encode_finding(f) for f in r.findings],
             None if r.reads is None else list(r.reads), list(r.keys)]
            for p, r in state.files.items()
        ],
        [[o.name, o.path, o.blob] for o in state.outside],
        [[k, d, list(reads), list(keys)] for k, (d, reads, keys) in sorted(state.answers.items())],
    ]
    return pack_json(doc)


def _encode_finding(f: Finding) -> list:
    d = f.definition
    s = f.suggestion
    hint = [s.kind.value, list(s.keywords), s.replacement, s.certain] if s else None
    return [
        f.code.value, f.path, f.line, f.column, f.message, f.target, d.path if d else None, d.line if d else None,
        f.signature, hint, f.span,
    ]


def decode_state(data: bytes | None) -> State | None:
    """The state `encode_state` wrote, or None for anything else (missing, malformed, foreign)."""
    if data is None:
        return None
    try:
        version, token, rows, outside, answers = unpack_json(data)
        if version != STATE_VERSION or type(token) is not str or type(rows) is not list:
            return None
        out: dict[str, FileRecord] = {}
        for path, blob, functions, calls, resolved, note, findings, reads, keys in rows:
            if not all(type(v) is str for v in (path, blob)) or not all(type(v) is int for v in (functions, calls, resolved)):
                return None
            if not (note is None or type(note) is str):
                return None
            if not (reads is None or _positions(reads, len(rows))):
                return None
            if not all(type(k) is str for k in keys):
                return None
            out[path] = FileRecord(
                blob, functions, calls, resolved, note, tuple(_decode_finding(f) for f in findings),
                None if reads is None else tuple(reads), tuple(keys),
            )
        lookups = []
        for name, path, blob in outside:
            if not all(type(v) is str for v in (name, path, blob)):
                return None
            lookups.append(Lookup(name, path, blob))
        table = {}
        for key, digest, reads, keys in answers:
            if type(key) is not str or type(digest) is not str:
                return None
            if not _positions(reads, len(rows)) or not all(type(k) is str for k in keys):
                return None
            table[key] = (digest, tuple(reads), tuple(keys))
        return State(token, out, tuple(lookups), table)
    except Exception:  # CacheDecodeError, zlib.error, ValueError, TypeError (wrong shapes), RecursionError, ...
        return None


def _positions(values: Any, n: int) -> bool:
    """A list of file positions, each an int in [0, n): checked at C speed (a warm run reads a
    million of them)."""
    return type(values) is list and (not values or (
        set(map(type, values)) == {int} and min(values) >= 0 and max(values) < n))


def _decode_finding(row: Any) -> Finding:
    code, path, line, column, message, target, def_path, def_line, signature, hint, span = row
    for value, tp in ((path, str), (line, int), (column, int), (message, str), (span, int)):
        if type(value) is not tp:
            raise TypeError("malformed finding")
    if not (target is None or type(target) is str):
        raise TypeError("malformed finding")
    definition = None
    if def_path is not None:
        if type(def_path) is not str or type(def_line) is not int:
            raise TypeError("malformed finding")
        definition = Location(def_path, def_line)
    if not (signature is None or type(signature) is str):
        raise TypeError("malformed finding")
    suggestion = None
    if hint is not None:
        kind, keywords, replacement, certain = hint
        if not all(type(k) is str for k in keywords) or type(replacement) is not str or type(certain) is not bool:
            raise TypeError("malformed finding")
        suggestion = Suggestion(FixKind(kind), tuple(keywords), replacement, certain)
    return Finding(Code(code), path, line, column, message, target, definition, signature, suggestion, span)
