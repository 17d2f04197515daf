"""Reuse the previous run's findings for the files whose findings cannot have changed.

A file's findings (its calls' CG1xx, its own CG201 and CG000) are a function of its own facts
and of what the resolver can see of every module: the *interface*, which is the facts without
call sites, name uses and suppression comments (only the file's own checks read those) and
without line and column numbers (the resolver never reads a position). So when no changed file's
interface differs from its previous version's (whose facts are still in the facts cache), and
the project has the same files, analyser and settings, a file whose bytes did not change still
has its previous findings. One exception: a call finding names its target's definition line, so
a file with a finding that points into a changed file is redone. Anything else redoes it all.

An edit inside function bodies that adds no def, class, import, assignment or block (the usual
edit between two commits) redoes only the edited file: the other files' facts are still decoded
for the index, but their calls are not resolved again.

The stored state is untrusted like every cache entry: anything malformed means "no previous run"."""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .findings import Code, Finding, Location
from .model import ModuleFacts

if TYPE_CHECKING:
    from .project import Project, ReadError

STATE_VERSION = 3
_BODY_FIELDS = frozenset({"calls", "uses", "suppressions"})  # of ModuleFacts: read by the file's own checks only
_POSITION_FIELDS = frozenset({"line", "column", "error_line", "error_column"})
_MAX_STATE_BYTES = 256 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class FileRecord:
    """What one file contributed to a run."""

    blob: str  # git blob id of its bytes
    functions: int  # for stats, without decoding its facts
    calls: int
    resolved: int  # its call sites with a complete resolution
    note: str | None  # the facts' `unsupported` note
    findings: tuple[Finding, ...]


# -- the interface ------------------------------------------------------------------------------


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


# -- planning ---------------------------------------------------------------------------------


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


class Run:
    """This run of a project, set against the state its previous run left in the cache."""

    def __init__(
        self, cache: Any, checker: str, settings: Iterable[str], files: Sequence[tuple[str, str, bool]], blobs: Sequence[str]
    ) -> None:
        self.cache = cache  # a FactsCache: get_run, put_run, get_many
        self.files = list(files)  # (path, module, is_package)
        self.blobs = dict(zip((p for p, _, _ in self.files), blobs))
        self.identity = run_identity(checker, settings, self.files)
        # Two states per project: the latest run (what an edit is set against), and one per exact
        # content, so that a git ref analysed again (diff, --baseline) finds its own.
        content = hashlib.sha1("\0".join(blobs).encode()).hexdigest()
        self.exact = f"{self.identity}:{content}"
        self._stored = {key: decode_state(cache.get_run(key)) for key in (self.exact, self.identity)}
        self.previous = self._stored[self.exact] or self._stored[self.identity]
        if self.previous is not None and len(self.blobs) != len(self.files):
            self.previous = None  # two files shown under one path: never mind reusing
        previous = self.previous or {}
        self.changed = [
            i for i, (p, _, _) in enumerate(self.files) if p not in previous or previous[p].blob != self.blobs[p]
        ]
        self._old: dict[int, ModuleFacts | None] = {}

    def _old_facts(self, i: int) -> ModuleFacts | None:
        """The facts of file i's previous version, when they are still cached."""
        if i not in self._old:
            from .cache import CacheKey

            path, module, is_package = self.files[i]
            record = self.previous.get(path) if self.previous is not None else None
            if record is None:
                self._old[i] = None
            else:
                key = CacheKey(record.blob, module, is_package)
                self._old[i] = self.cache.get_many([key]).get(key)
        return self._old[i]

    def facts_unchanged(self, loader: Any) -> bool:
        """Every changed file's facts equal its previous version's (a comment, blank lines at the
        end, or no change at all): every previous finding holds. `loader.get(indexes)` gives facts."""
        if self.previous is None or self.previous.keys() != self.blobs.keys():
            return False
        new = loader.get(self.changed)
        return all(self._old_facts(i) == new[i] for i in self.changed)

    def reuse_all(self, project: Project) -> None:
        """The previous run's findings, stats and notes, unchanged (see `facts_unchanged`)."""
        assert self.previous is not None
        records = [self.previous[p] for p, _, _ in self.files]
        findings = sorted((f for r in records for f in r.findings), key=lambda x: x.sort_key)
        project.set_findings(findings, _counts(records))
        project.errors[:0] = [_note(p, r.note) for (p, _, _), r in zip(self.files, records) if r.note is not None]
        project.reused = len(records)
        self._record(
            {p: dataclasses.replace(r, blob=self.blobs[p]) for (p, _, _), r in zip(self.files, records)}
        )

    def settle(self, project: Project) -> None:
        """Give `project` its findings, reusing the previous run's where they still hold; record this run."""
        from .checks import file_findings, resolved_call_findings
        from .project import resolve_calls

        by_index = {p: i for i, (p, _, _) in enumerate(self.files)}
        facts = {f.path: f.facts for f in project.files}

        def same_interface(path: str) -> bool:
            old = self._old_facts(by_index[path])
            return old is not None and interface_digest(old) == interface_digest(facts[path])

        keep = still_valid(self.previous, self.blobs, same_interface)
        resolved: dict[str, int] = defaultdict(int)
        if keep is None:
            findings = project.findings()
            for rc in project.calls:
                resolved[rc.path] += rc.resolution.complete
        else:
            assert self.previous is not None
            redo = [sf for sf in project.files if sf.path not in keep]
            calls = resolve_calls(project.resolver, redo)
            fresh = resolved_call_findings(project.index, calls)
            for sf in redo:
                fresh.extend(file_findings(sf))
            for rc in calls:
                resolved[rc.path] += rc.resolution.complete
            for p in keep:
                resolved[p] = self.previous[p].resolved
            findings = sorted([f for p in keep for f in self.previous[p].findings] + fresh, key=lambda x: x.sort_key)
            project.reused = len(keep)
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            grouped[f.path].append(f)
        state = {
            p: FileRecord(
                self.blobs[p], len(facts[p].functions), len(facts[p].calls), resolved[p], facts[p].unsupported,
                tuple(grouped.get(p, ())),
            )
            for p, _, _ in self.files
        }
        if keep is not None:
            project.set_findings(findings, _counts(state.values()))
        self._record(state)

    def _record(self, state: dict[str, FileRecord]) -> None:
        """Store this run's state under both keys, where it is not there already (a warm run of
        unchanged code writes nothing)."""
        data = None
        for key, stored in self._stored.items():
            if stored != state:
                data = data or encode_state(state)
                self.cache.put_run(key, data)


def _counts(records: Iterable[FileRecord]) -> dict[str, int]:
    functions = calls = resolved = 0
    for r in records:
        functions += r.functions
        calls += r.calls
        resolved += r.resolved
    return {"functions": functions, "calls": calls, "resolved_calls": resolved}


def _note(path: str, message: str) -> ReadError:
    from .project import ReadError

    return ReadError(path, message)


# -- the stored form: compressed JSON, validated on the way back --------------------------------


def encode_state(state: dict[str, FileRecord]) -> bytes:
    doc = [
        STATE_VERSION,
        [
            [p, r.blob, r.functions, r.calls, r.resolved, r.note, [_encode_finding(f) for f in r.findings]]
            for p, r in state.items()
        ],
    ]
    return zlib.compress(json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode("ascii"), 6)


def _encode_finding(f: Finding) -> list:
    d = f.definition
    return [f.code.value, f.path, f.line, f.column, f.message, f.target, d.path if d else None, d.line if d else None]


def decode_state(data: bytes | None) -> dict[str, FileRecord] | None:
    """The state `encode_state` wrote, or None for anything else (missing, malformed, foreign)."""
    if data is None:
        return None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(bytes(data), _MAX_STATE_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            return None
        version, rows = json.loads(raw.decode("ascii"))
        if version != STATE_VERSION or type(rows) is not list:
            return None
        out: dict[str, FileRecord] = {}
        for path, blob, functions, calls, resolved, note, findings in rows:
            if not all(type(v) is str for v in (path, blob)) or not all(type(v) is int for v in (functions, calls, resolved)):
                return None
            if not (note is None or type(note) is str):
                return None
            out[path] = FileRecord(blob, functions, calls, resolved, note, tuple(_decode_finding(f) for f in findings))
        return out
    except Exception:  # zlib.error, ValueError, TypeError (wrong shapes), RecursionError, ...
        return None


def _decode_finding(row: Any) -> Finding:
    code, path, line, column, message, target, def_path, def_line = row
    for value, tp in ((path, str), (line, int), (column, int), (message, str)):
        if type(value) is not tp:
            raise TypeError("malformed finding")
    if not (target is None or type(target) is str):
        raise TypeError("malformed finding")
    definition = None
    if def_path is not None:
        if type(def_path) is not str or type(def_line) is not int:
            raise TypeError("malformed finding")
        definition = Location(def_path, def_line)
    return Finding(Code(code), path, line, column, message, target, definition)
