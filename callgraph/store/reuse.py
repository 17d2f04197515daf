"""Reuse the previous run's findings for the files whose findings cannot have changed.

A file's findings (its calls' CG1xx, its own CG201 and CG000) are a function of its own facts
and of what the resolver can see of every module: the *interface*, which is the facts without
call sites, name uses and suppression comments (only the file's own checks read those) and
without line and column numbers (the resolver never reads a position). So when no changed file's
interface differs from its previous version's (whose facts are still in the facts cache), and
the project has the same files, analyser and settings, a file whose bytes did not change still
has its previous findings. One exception: a call finding names its target's definition line, so
a file with a finding that points into a changed file is redone.

When an interface did change, each file's record says what its resolutions read: the project's
modules (`Index.reads`) and the keys of the project-wide answers (`resolve.answers`). A file that
read no module whose interface changed, and whose answers are the same computed again over this
run's facts, keeps its findings (`Run._unread`). A record without reads redoes it all.

An edit inside function bodies that adds no def, class, import, assignment or block (the usual
edit between two commits) redoes only the edited file: the other files' facts are still decoded
for the index, but their calls are not resolved again.

The stored state is untrusted like every cache entry: anything malformed means "no previous run"."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..analysis.checks import defined_in, file_findings, resolved_call_findings
from ..facts.findings import Finding, Location
from ..facts.model import ModuleFacts
from ..facts.source import ReadError, SourceFile
from ..resolve.calls import ResolvedCall, resolve_calls
from ..resolve.answers import DYNAMIC_KEY
from ..resolve.resolver import Resolution
from . import calltable
from .identity import CacheKey
from .outside import Lookup
from .runs import Answer, FileRecord, State, counts_of, decode_state, encode_state, interface_digest, run_identity, still_valid

if TYPE_CHECKING:
    from ..analysis.project import Project


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What reuse decided for a run: the pipeline gives these to the `Project`."""

    findings: list[Finding]  # every finding of the project, sorted
    counts: dict[str, int] | None  # stats counts known without resolving every call; None: the project's own
    notes: list[ReadError]  # the facts' notes of files whose facts stayed unread
    reused: int  # files whose findings are the previous run's
    files: dict[str, FileRecord]  # this run's record of each file


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
        outside: tuple[Callable[[tuple[Lookup, ...]], bool], Callable[[], Iterable[Lookup]]] | None = None,
    ) -> None:
        """`outside`: (whether the previous run's outside lookups still hold, this run's lookups so
        far), when the analysis reads outside modules; the environment's identity is in `settings`."""
        self.cache = cache  # a FactsCache: get_run(s), put_run(s), get_many
        self.edits_follow = edits_follow  # False (a commit): record the exact state only, no call tables
        self.files = list(files)  # (path, module, is_package)
        self.blobs = dict(zip((p for p, _, _ in self.files), blobs))
        self.identity = run_identity(checker, settings, self.files)
        # Two states per project: the latest run (what an edit is set against), and one per exact
        # content, so that a git ref analysed again (diff, --baseline) finds its own.
        self.content = hashlib.sha1("\0".join(blobs).encode()).hexdigest()
        self.exact = f"{self.identity}:{self.content}"
        stored = {key: cache.get_run(key) for key in (self.exact, self.identity)}
        same = stored[self.exact] is not None and stored[self.exact] == stored[self.identity]
        self._stored = {key: decode_state(data) for key, data in stored.items() if not (same and key == self.identity)}
        if same:  # the latest run is this very content: one decoding serves both keys
            self._stored[self.identity] = self._stored[self.exact]
        self.previous = self._stored[self.exact] or self._stored[self.identity]
        if self.previous is not None and (
            len(self.blobs) != len(self.files) or self.previous.files.keys() != self.blobs.keys()
        ):
            self.previous = None  # another set of files (or two files shown under one path)
        self._lookups = outside[1] if outside is not None else (lambda: ())
        if self.previous is not None and self.previous.outside and (outside is None or not outside[0](self.previous.outside)):
            self.previous = None  # an outside module read last time changed, appeared or went away
        records = self.previous.files if self.previous is not None else {}
        self.changed = [
            i for i, (p, _, _) in enumerate(self.files) if p not in records or records[p].blob != self.blobs[p]
        ]
        self._old: dict[int, ModuleFacts | None] = {}
        self._position: dict[str, int] = {}  # module -> the position of the file the index keeps for it
        for i, (_, module, _) in enumerate(self.files):
            self._position.setdefault(module, i)
        self._answers: dict[str, Answer] = {}
        self._read_positions: dict[int, tuple[set[str], tuple[int, ...]]] = {}  # id(a record's reads) -> (it, positions)  # project-wide answers computed again this run (`_unread`)
        self._plan: tuple[dict[str, ModuleFacts], dict[str, calltable.FileTable], Any] | None = None

    def _old_facts(self, i: int) -> ModuleFacts | None:
        """The facts of file i's previous version, when they are still cached."""
        if i not in self._old:
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

    def reuse_calls(self) -> Outcome:
        """Findings from the call tables for the files to redo (see `calls_known`), the previous
        run's for the rest."""
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
        outcome = self._finish(fresh, facts, resolved, redone, self.previous.token)
        notes = [ReadError(p, r.note) for p, r in outcome.files.items() if r.note is not None]  # facts stay unread
        return dataclasses.replace(outcome, notes=notes)

    def settle(self, project: Project) -> Outcome:
        """`project`'s findings (its facts all loaded), reusing the previous run's where they still
        hold; records this run."""
        by_index = {p: i for i, (p, _, _) in enumerate(self.files)}
        facts = {f.path: f.facts for f in project.files}
        records = self.previous.files if self.previous is not None else None
        keep = still_valid(records, self.blobs, lambda p: self._same_interface(by_index[p], facts[p]))
        resolved: dict[str, int] = defaultdict(int)
        token = self.previous.token if self.previous is not None else self.content
        carried: dict[str, calltable.FileTable] = {}
        if keep is None:
            keep = self._unread(project, facts)
            # Interfaces changed: a new token, as for a full run. The call tables stored under the
            # old one stay what they were for the state that token names (a revert finds that state
            # by its content, and then its tables); the kept files' tables hold, so they are carried
            # over to the new token.
            token = self.content
            if keep is not None and self.edits_follow:
                carried = self.tables(keep) or {}
        if keep is None:
            findings = project.findings()
            for rc in project.calls:
                resolved[rc.path] += rc.resolution.complete
            tables = calltable.record(project.index, project.calls, self.blobs) if self.edits_follow else {}
            if self.edits_follow:
                tables.update((p, {}) for p in self.blobs if p not in tables)  # a file without calls has one too
            # Interfaces may have changed: a new token.
            return self._finish(findings, facts, resolved, tables, self.content, all_fresh=True, resolver=project.resolver)
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
            tables.update((p, t) for p, t in carried.items() if p not in tables)
        return self._finish(fresh, {sf.path: sf.facts for sf in redo}, resolved, tables, token, resolver=project.resolver)

    def _unread(self, project: Project, facts: dict[str, ModuleFacts]) -> set[str] | None:
        """After an interface edit: the files whose previous findings still hold because their
        resolutions read none of the modules whose interface changed, and every project-wide
        answer they used is the same now (computed again over this run's facts); None when the
        previous run did not record what each file read."""
        if self.previous is None or self.previous.files.keys() != self.blobs.keys():
            return None
        records = self.previous.files
        if any(r.reads is None for r in records.values()):
            return None
        changed = {p for p, blob in self.blobs.items() if records[p].blob != blob}
        by_index = {p: i for i, (p, _, _) in enumerate(self.files)}
        modules = {p: m for p, m, _ in self.files}
        moved = {
            self._position[modules[p]] for p in changed if not self._same_interface(by_index[p], facts[p])
        }
        # The answers: computed again when what computing them read changed (or the attribute's
        # writes did), until no answer they used differs; the others are the previous run's.
        written = set()
        for p in changed:
            old, new = self._old_facts(by_index[p]), facts[p]
            written.update(a.attr for f in (old, new) if f is not None for a in f.attr_assigns)
        previous = self.previous.answers
        different: set[str] = set()
        while True:
            redo = [
                k for k, (_, reads, keys) in previous.items()
                if k not in self._answers
                and (not moved.isdisjoint(reads) or not different.isdisjoint(keys) or k[2:] in written
                     or (k == DYNAMIC_KEY and "*" in written))
            ]
            if not redo:
                break
            for k in sorted(redo):
                self._answers[k] = self._digest(project.resolver, k)
                if self._answers[k][0] != previous[k][0]:
                    different.add(k)
        for k, answer in previous.items():
            self._answers.setdefault(k, answer)
        return {
            p
            for p, r in records.items()
            if p not in changed
            and moved.isdisjoint(r.reads)
            and different.isdisjoint(r.keys)
            and all(k in self._answers for k in r.keys)
            and not any(f.definition is not None and f.definition.path in changed for f in r.findings)
        }

    def _finish(
        self,
        fresh: list[Finding],
        facts: dict[str, ModuleFacts],
        resolved: dict[str, int],
        tables: dict[str, calltable.FileTable],
        token: str,
        *,
        all_fresh: bool = False,
        resolver: Any = None,
    ) -> Outcome:
        """Findings: `fresh` for the files in `facts` and the previous run's for the rest (with
        `all_fresh`, `fresh` is every finding, all computed). Records the state and the call table
        under `token`: the previous one while no interface changed, a new one when they may have."""
        previous = self.previous.files if self.previous is not None else {}
        kept = [] if all_fresh else [p for p, _, _ in self.files if p not in facts]
        if all_fresh:
            findings = fresh
        else:
            findings = sorted([f for p in kept for f in previous[p].findings] + fresh, key=lambda x: x.sort_key)
            for p in kept:
                resolved[p] = previous[p].resolved
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            grouped[f.path].append(f)
        read = resolver.file_reads if resolver is not None else {}
        files: dict[str, FileRecord] = {}
        for p, _, _ in self.files:
            if p in facts:
                fa = facts[p]
                if p in read:
                    modules, keys = read[p]
                    reads = tuple(sorted({self._position[m] for m in modules if m in self._position}))
                    used = tuple(sorted(keys))
                elif p in previous:  # from the call table: its calls are ones resolved before, which read these
                    reads, used = previous[p].reads, previous[p].keys
                else:
                    reads, used = None, ()
                files[p] = FileRecord(
                    self.blobs[p], len(fa.functions), len(fa.calls), resolved[p], fa.unsupported, tuple(grouped.get(p, ())),
                    reads, used,
                )
            else:
                files[p] = dataclasses.replace(previous[p], blob=self.blobs[p])
        self._record(State(token, files, self._outside(all_fresh), self._answer_digests(files, resolver, all_fresh)))
        if self.edits_follow:
            self.cache.put_runs((f"{self.identity}:calls:{p}", calltable.encode(token, t)) for p, t in tables.items())
        return Outcome(findings, None if all_fresh else counts_of(files.values()), [], len(kept), files)

    def _digest(self, resolver: Any, key: str) -> Answer:
        digest, reads, keys = resolver.answers.digest(key)
        if id(reads) not in self._read_positions:  # one record is shared by many answers (every subclass key)
            self._read_positions[id(reads)] = (reads, tuple(sorted({self._position[m] for m in reads if m in self._position})))
        return digest, self._read_positions[id(reads)][1], tuple(sorted(keys))

    def _answer_digests(self, files: dict[str, FileRecord], resolver: Any, all_fresh: bool) -> dict[str, Answer]:
        """Every project-wide answer a file's record uses, and those they use in turn: this run's
        where it computed them, else the previous run's (no interface changed since)."""
        known = dict(self.previous.answers) if self.previous is not None and not all_fresh else {}
        known.update(self._answers)
        out: dict[str, Answer] = {}
        todo = sorted({k for r in files.values() for k in r.keys})
        while todo:
            k = todo.pop()
            if k in out:
                continue
            if k not in known and resolver is not None:
                known[k] = self._digest(resolver, k)
            if k in known:
                out[k] = known[k]
                todo.extend(known[k][2])
        return out

    def reuse_all(self) -> Outcome:
        """The previous run's findings, stats and notes, unchanged (see `facts_unchanged`)."""
        assert self.previous is not None
        records = [self.previous.files[p] for p, _, _ in self.files]
        findings = sorted((f for r in records for f in r.findings), key=lambda x: x.sort_key)
        notes = [ReadError(p, r.note) for (p, _, _), r in zip(self.files, records) if r.note is not None]
        files = {p: dataclasses.replace(r, blob=self.blobs[p]) for (p, _, _), r in zip(self.files, records)}
        state = State(self.previous.token, files, self._outside(), self.previous.answers)
        self._record(state)  # the same facts: the call table still holds
        return Outcome(findings, counts_of(records), notes, len(records), files)

    def _outside(self, all_fresh: bool = False) -> tuple[Lookup, ...]:
        """The outside lookups this run's findings rest on: the previous run's (kept findings read
        them; not when every finding is fresh) and this run's own, by name."""
        earlier = self.previous.outside if self.previous is not None and not all_fresh else ()
        merged = {o.name: o for o in earlier}
        merged.update((o.name, o) for o in self._lookups())
        return tuple(merged[n] for n in sorted(merged))

    def _record(self, state: State) -> None:
        """Store this run's state under both keys, where it is not there already (a warm run of
        unchanged code writes nothing)."""
        data = None
        for key, stored in self._stored.items():
            if stored != state and (self.edits_follow or key == self.exact):
                data = data or encode_state(state)
                self.cache.put_run(key, data)
