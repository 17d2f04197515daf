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
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import calltable
from ..facts.findings import Code, Finding, Location
from ..resolve.index import SourceFile
from ..facts.model import ModuleFacts
from ..facts.serialize import pack_json, unpack_json

if TYPE_CHECKING:
    from ..analysis.project import Project, ReadError

STATE_VERSION = 4
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


@dataclasses.dataclass(frozen=True)
class State:
    """A run's record: each file's contribution, and a token that changes whenever an interface may
    have (the call table holds only for states with its token)."""

    token: str
    files: dict[str, FileRecord]


class Run:
    """This run of a project, set against the state its previous run left in the cache."""

    def __init__(
        self,
        cache: Any,
        checker: str,
        settings: Iterable[str],
        files: Sequence[tuple[str, str, bool]],
        blobs: Sequence[str],
        edits_follow: bool = True,
    ) -> None:
        self.cache = cache  # a FactsCache: get_run(s), put_run(s), get_many
        self.edits_follow = edits_follow  # False (a commit): record the exact state only, no call tables
        self.files = list(files)  # (path, module, is_package)
        self.blobs = dict(zip((p for p, _, _ in self.files), blobs))
        self.identity = run_identity(checker, settings, self.files)
        # Two states per project: the latest run (what an edit is set against), and one per exact
        # content, so that a git ref analysed again (diff, --baseline) finds its own.
        self.content = hashlib.sha1("\0".join(blobs).encode()).hexdigest()
        self.exact = f"{self.identity}:{self.content}"
        self._stored = {key: decode_state(cache.get_run(key)) for key in (self.exact, self.identity)}
        self.previous = self._stored[self.exact] or self._stored[self.identity]
        if self.previous is not None and (
            len(self.blobs) != len(self.files) or self.previous.files.keys() != self.blobs.keys()
        ):
            self.previous = None  # another set of files (or two files shown under one path)
        records = self.previous.files if self.previous is not None else {}
        self.changed = [
            i for i, (p, _, _) in enumerate(self.files) if p not in records or records[p].blob != self.blobs[p]
        ]
        self._old: dict[int, ModuleFacts | None] = {}
        self._plan: tuple[dict[str, ModuleFacts], dict[str, calltable.FileTable], Any] | None = None

    def _old_facts(self, i: int) -> ModuleFacts | None:
        """The facts of file i's previous version, when they are still cached."""
        if i not in self._old:
            from .cache import CacheKey

            path, module, is_package = self.files[i]
            record = self.previous.files.get(path) if self.previous is not None else None
            if record is None:
                self._old[i] = None
            else:
                key = CacheKey(record.blob, module, is_package)
                self._old[i] = self.cache.get_many([key]).get(key)
        return self._old[i]

    def _same_interface(self, i: int, facts: ModuleFacts) -> bool:
        old = self._old_facts(i)
        return old is not None and interface_digest(old) == interface_digest(facts)

    def tables(self, paths: Iterable[str]) -> dict[str, calltable.FileTable] | None:
        """These files' call tables from the previous run, when every one holds for its interfaces."""
        if self.previous is None:
            return None
        paths = list(paths)
        stored = self.cache.get_runs([f"{self.identity}:calls:{p}" for p in paths])
        out = {}
        for p in paths:
            table = calltable.decode(stored.get(f"{self.identity}:calls:{p}"), self.previous.token)
            if table is None:
                return None
            out[p] = table
        return out

    def facts_unchanged(self, loader: Any) -> bool:
        """Every changed file's facts equal its previous version's (a comment, blank lines at the
        end, or no change at all): every previous finding holds. `loader.get(indexes)` gives facts."""
        if self.previous is None:
            return False
        new = loader.get(self.changed)
        return all(self._old_facts(i) == new[i] for i in self.changed)

    def calls_known(self, loader: Any) -> bool:
        """No changed file's interface changed, and the call tables know every call of the files to
        redo (the changed ones, and those whose findings point into them): checkable without the index."""
        if self.previous is None or not self.changed:
            return False
        new = loader.get(self.changed)
        if not all(self._same_interface(i, new[i]) for i in self.changed):
            return False
        changed = {self.files[i][0]: new[i] for i in self.changed}
        others = [
            i for i, (p, _, _) in enumerate(self.files)
            if p not in changed and any(f.definition is not None and f.definition.path in changed for f in self.previous.files[p].findings)
        ]
        facts = {**changed, **{self.files[i][0]: f for i, f in loader.get(others).items()}}
        tables = self.tables(facts)
        if tables is None or not all(calltable.knows(tables[p], f) for p, f in facts.items()):
            return False
        self._plan = (facts, tables, loader)
        return True

    def reuse_calls(self, project: Project) -> None:
        """Findings from the call tables for the files to redo (see `calls_known`), the previous
        run's for the rest."""
        from ..analysis.checks import file_findings, resolved_call_findings
        from ..analysis.project import ResolvedCall
        from ..resolve.resolver import Resolution

        assert self.previous is not None and self._plan is not None
        facts, tables, loader = self._plan
        index_of = {p: i for i, (p, _, _) in enumerate(self.files)}

        def facts_of(path: str) -> ModuleFacts:
            return facts[path] if path in facts else loader.one(index_of[path])

        modules = {p: m for p, m, _ in self.files}
        calls: list[ResolvedCall] = []
        where: dict[int, Location | None] = {}
        for p, f in facts.items():
            for call in f.calls:
                if call.callee is None:
                    calls.append(ResolvedCall(p, modules[p], call, Resolution((), False)))
                    continue
                complete, kts = tables[p][(call.scope, call.callee)]
                for kt in kts:
                    if id(kt.target) not in where:
                        where[id(kt.target)] = kt.definition(self.blobs, facts_of)
                calls.append(ResolvedCall(p, modules[p], call, Resolution(tuple(kt.target for kt in kts), complete)))
        fresh = resolved_call_findings(calls, lambda t: where.get(id(t)))
        for p, f in facts.items():
            fresh.extend(file_findings(SourceFile(p, modules[p], f)))
        resolved: dict[str, int] = defaultdict(int)
        for rc in calls:
            resolved[rc.path] += rc.resolution.complete
        # The redone files' tables, without the keys they no longer have (their lines are read
        # again on use, from the blobs each target carries).
        redone = {
            p: {k: tables[p][k] for k in {(c.scope, c.callee) for c in f.calls if c.callee is not None}}
            for p, f in facts.items()
        }
        files = self._finish(project, fresh, facts, resolved, redone, self.previous.token)
        project.errors[:0] = [_note(p, r.note) for p, r in files.items() if r.note is not None]  # facts stay unread

    def settle(self, project: Project) -> None:
        """Give `project` its findings, reusing the previous run's where they still hold; record this run."""
        from ..analysis.checks import defined_in, file_findings, resolved_call_findings
        from ..analysis.project import resolve_calls

        by_index = {p: i for i, (p, _, _) in enumerate(self.files)}
        facts = {f.path: f.facts for f in project.files}
        records = self.previous.files if self.previous is not None else None
        keep = still_valid(records, self.blobs, lambda p: self._same_interface(by_index[p], facts[p]))
        resolved: dict[str, int] = defaultdict(int)
        if keep is None:
            project.findings()
            for rc in project.calls:
                resolved[rc.path] += rc.resolution.complete
            tables = calltable.record(project.index, project.calls, self.blobs) if self.edits_follow else {}
            if self.edits_follow:
                tables.update((p, {}) for p in self.blobs if p not in tables)  # a file without calls has one too
            self._finish(project, None, facts, resolved, tables, self.content)  # interfaces may have changed
            return
        assert self.previous is not None
        redo = [sf for sf in project.files if sf.path not in keep]
        calls = resolve_calls(project.resolver, redo)
        fresh = resolved_call_findings(calls, defined_in(project.index))
        for sf in redo:
            fresh.extend(file_findings(sf))
        for rc in calls:
            resolved[rc.path] += rc.resolution.complete
        tables = calltable.record(project.index, calls, self.blobs) if self.edits_follow else {}  # kept ones hold
        if self.edits_follow:
            tables.update((sf.path, {}) for sf in redo if sf.path not in tables)
        self._finish(project, fresh, {sf.path: sf.facts for sf in redo}, resolved, tables, self.previous.token)

    def _finish(
        self,
        project: Project,
        fresh: list[Finding] | None,
        facts: dict[str, ModuleFacts],
        resolved: dict[str, int],
        tables: dict[str, calltable.FileTable],
        token: str,
    ) -> dict[str, FileRecord]:
        """Findings: `fresh` for the files in `facts` and the previous run's for the rest (None: the
        project's own, all computed). Records the state and the call table under `token`: the
        previous one while no interface changed, a new one when they may have."""
        previous = self.previous.files if self.previous is not None else {}
        if fresh is None:
            findings = project.findings()
        else:
            kept = [p for p, _, _ in self.files if p not in facts]
            findings = sorted([f for p in kept for f in previous[p].findings] + fresh, key=lambda x: x.sort_key)
            for p in kept:
                resolved[p] = previous[p].resolved
            project.reused = len(kept)
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            grouped[f.path].append(f)
        files: dict[str, FileRecord] = {}
        for p, _, _ in self.files:
            if p in facts:
                fa = facts[p]
                files[p] = FileRecord(
                    self.blobs[p], len(fa.functions), len(fa.calls), resolved[p], fa.unsupported, tuple(grouped.get(p, ()))
                )
            else:
                files[p] = dataclasses.replace(previous[p], blob=self.blobs[p])
        if fresh is not None:
            project.set_findings(findings, _counts(files.values()))
        self._record(State(token, files))
        if self.edits_follow:
            self.cache.put_runs((f"{self.identity}:calls:{p}", calltable.encode(token, t)) for p, t in tables.items())
        return files

    def reuse_all(self, project: Project) -> None:
        """The previous run's findings, stats and notes, unchanged (see `facts_unchanged`)."""
        assert self.previous is not None
        records = [self.previous.files[p] for p, _, _ in self.files]
        findings = sorted((f for r in records for f in r.findings), key=lambda x: x.sort_key)
        project.set_findings(findings, _counts(records))
        project.errors[:0] = [_note(p, r.note) for (p, _, _), r in zip(self.files, records) if r.note is not None]
        project.reused = len(records)
        files = {p: dataclasses.replace(r, blob=self.blobs[p]) for (p, _, _), r in zip(self.files, records)}
        self._record(State(self.previous.token, files))  # the same facts: the call table still holds

    def _record(self, state: State) -> None:
        """Store this run's state under both keys, where it is not there already (a warm run of
        unchanged code writes nothing)."""
        data = None
        for key, stored in self._stored.items():
            if stored != state and (self.edits_follow or key == self.exact):
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
    from ..analysis.project import ReadError

    return ReadError(path, message)


# -- the stored form: compressed JSON, validated on the way back --------------------------------


def encode_state(state: State) -> bytes:
    doc = [
        STATE_VERSION,
        state.token,
        [
            [p, r.blob, r.functions, r.calls, r.resolved, r.note, [_encode_finding(f) for f in r.findings]]
            for p, r in state.files.items()
        ],
    ]
    return pack_json(doc)


def _encode_finding(f: Finding) -> list:
    d = f.definition
    return [f.code.value, f.path, f.line, f.column, f.message, f.target, d.path if d else None, d.line if d else None]


def decode_state(data: bytes | None) -> State | None:
    """The state `encode_state` wrote, or None for anything else (missing, malformed, foreign)."""
    if data is None:
        return None
    try:
        version, token, rows = unpack_json(data)
        if version != STATE_VERSION or type(token) is not str or type(rows) is not list:
            return None
        out: dict[str, FileRecord] = {}
        for path, blob, functions, calls, resolved, note, findings in rows:
            if not all(type(v) is str for v in (path, blob)) or not all(type(v) is int for v in (functions, calls, resolved)):
                return None
            if not (note is None or type(note) is str):
                return None
            out[path] = FileRecord(blob, functions, calls, resolved, note, tuple(_decode_finding(f) for f in findings))
        return State(token, out)
    except Exception:  # CacheDecodeError, zlib.error, ValueError, TypeError (wrong shapes), RecursionError, ...
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
