"""Two analyses side by side: signature changes, calls they broke, findings new and fixed.

`diff_projects` is a pure function over two `Project`s; nothing here reads files but through
the readers it is given (a snapshot's `read`), for git's rename rules (`renames.py`).
Findings and call sites are matched by what they are (file, scope, callee,
arguments, message), never by line number, so unrelated edits do not count.
"""

from __future__ import annotations

import enum
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from ..facts.findings import Finding
from ..facts.source import SourceFile
from ..facts.model import CallSite, FunctionFact, Param, ParamKind
from ..analysis.project import Project
from .renames import find_renames

FileReader = Callable[[str], bytes]  # a snapshot's `read`: a file's bytes by path


class SymbolStatus(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class FileStatus(enum.Enum):
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"
    MODIFIED = "modified"


@dataclass(frozen=True, slots=True)
class SignatureChange:
    symbol: str  # "pkg.mod.Class.method"
    status: SymbolStatus
    old: str | None  # signature text
    new: str | None
    details: tuple[str, ...] = ()  # "parameter 'conn' removed", ...
    path: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class BrokenCall:
    finding: Finding
    cause: SignatureChange | None  # the target's signature change, when that is what broke it


@dataclass(frozen=True, slots=True)
class FileChange:
    status: FileStatus
    path: str
    old_path: str | None = None


@dataclass
class ProjectDiff:
    old_label: str
    new_label: str
    signatures: list[SignatureChange] = field(default_factory=list)
    broken: list[BrokenCall] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    fixed_findings: list[Finding] = field(default_factory=list)
    unchanged_findings: int = 0
    files: list[FileChange] = field(default_factory=list)


# -- signatures ------------------------------------------------------------------


def bound_definitions(project: Project, modules: Container[str] | None = None) -> dict[str, tuple[str, FunctionFact]]:
    """Full name -> (path, the definition bound at runtime: the last one in source order), for
    every module or those in `modules`."""
    out: dict[str, tuple[str, FunctionFact]] = {}
    for f in project.files:
        if modules is not None and f.module not in modules:
            continue
        for fn in f.facts.functions:
            out[f"{f.module}.{fn.qualname}"] = (f.path, fn)
    return out


def _p(p: Param) -> str:
    return f"'{p.name}'"


def describe_change(old: FunctionFact, new: FunctionFact) -> tuple[str, ...]:
    """What changed between two signatures, in words an investigator would use."""
    details: list[str] = []
    o, n = old.signature.params, new.signature.params
    named = lambda ps: {p.name: p for p in ps if p.kind not in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)}  # noqa: E731
    on, nn = named(o), named(n)
    removed = [p for name, p in on.items() if name not in nn]
    added = [p for name, p in nn.items() if name not in on]
    # Same slot, same kind, another name: a rename rather than a removal plus an addition.
    renames: list[tuple[Param, Param]] = []
    if len(removed) == len(added):
        for a, b in zip(removed, added):
            if a.kind is b.kind and [p.name for p in o].index(a.name) == [p.name for p in n].index(b.name):
                renames.append((a, b))
        if len(renames) == len(removed):
            removed, added = [], []
        else:
            renames = []
    if removed:
        details.append(f"parameter{'s' if len(removed) > 1 else ''} removed: {', '.join(_p(p) for p in removed)}")
    if added:
        details.append(f"parameter{'s' if len(added) > 1 else ''} added: {', '.join(_p(p) for p in added)}")
    for a, b in renames:
        details.append(f"parameter renamed: {_p(a)} -> {_p(b)}")
    common = [name for name in on if name in nn]
    if [x for x in (p.name for p in o) if x in common] != [x for x in (p.name for p in n) if x in common]:
        details.append("parameters reordered")
    for name in common:
        a, b = on[name], nn[name]
        if a.kind is not b.kind:
            details.append(f"parameter '{name}' changed from {a.kind.value} to {b.kind.value}")
        if a.has_default and not b.has_default:
            details.append(f"default removed from '{name}'")
        elif b.has_default and not a.has_default:
            details.append(f"default added to '{name}'")
    for kind, label in ((ParamKind.VAR_POSITIONAL, "*args"), (ParamKind.VAR_KEYWORD, "**kwargs")):
        had, has = any(p.kind is kind for p in o), any(p.kind is kind for p in n)
        if had and not has:
            details.append(f"{label} lost")
        elif has and not had:
            details.append(f"{label} gained")
    if [d.text for d in old.decorators] != [d.text for d in new.decorators]:
        before = ", ".join("@" + d.text for d in old.decorators) or "none"
        after = ", ".join("@" + d.text for d in new.decorators) or "none"
        details.append(f"decorators changed: {before} -> {after}")
    if old.is_async != new.is_async:
        details.append("became async" if new.is_async else "no longer async")
    return tuple(details)


def _same_file(x: SourceFile, y: SourceFile) -> bool:
    """Equal blobs need no look at the facts (which may then stay undecoded)."""
    if x.module != y.module:
        return False
    if x.blob is not None and x.blob == y.blob:
        return True
    return x.facts == y.facts


def _touched_modules(old: Project, new: Project) -> set[str]:
    """Modules of the files that differ between the two projects: only their definitions can."""
    a = {f.path: f for f in old.files}
    b = {f.path: f for f in new.files}
    out: set[str] = set()
    for p in a.keys() | b.keys():
        if p not in a or p not in b or not _same_file(a[p], b[p]):
            out.update(f.module for f in (a.get(p), b.get(p)) if f is not None)
    return out


def signature_changes(old: Project, new: Project) -> list[SignatureChange]:
    touched = _touched_modules(old, new)
    a, b = bound_definitions(old, touched), bound_definitions(new, touched)
    out: list[SignatureChange] = []
    for name in sorted(a.keys() | b.keys()):
        if name not in b:
            path, fn = a[name]
            out.append(SignatureChange(name, SymbolStatus.REMOVED, fn.signature.text, None, (), path, fn.line))
        elif name not in a:
            path, fn = b[name]
            out.append(SignatureChange(name, SymbolStatus.ADDED, None, fn.signature.text, (), path, fn.line))
        else:
            (_, fo), (path, fn) = a[name], b[name]
            details = describe_change(fo, fn)
            if details:
                out.append(SignatureChange(name, SymbolStatus.CHANGED, fo.signature.text, fn.signature.text, details, path, fn.line))
    return out


# -- files ----------------------------------------------------------------------


def file_changes(old: Project, new: Project, read_old: FileReader | None = None,
                 read_new: FileReader | None = None) -> list[FileChange]:
    """Added, deleted, modified (any byte) and renamed files, renames by git's rules (`renames`).

    `read_old`/`read_new` give a file's bytes by path (the snapshots' `read`): without them only
    identical blobs pair as renames."""
    a = {f.path: f for f in old.files}
    b = {f.path: f for f in new.files}
    out: list[FileChange] = []
    deleted = [p for p in a if p not in b]
    added = [p for p in b if p not in a]
    renamed_from = find_renames(
        {p: (a[p].blob, _reader(read_old, p)) for p in deleted},
        {p: (b[p].blob, _reader(read_new, p)) for p in added},
    )
    for p in sorted(added):
        if p in renamed_from:
            out.append(FileChange(FileStatus.RENAMED, p, renamed_from[p]))
        else:
            out.append(FileChange(FileStatus.ADDED, p))
    gone = set(renamed_from.values())
    for p in sorted(deleted):
        if p not in gone:
            out.append(FileChange(FileStatus.DELETED, p))
    for p in sorted(a.keys() & b.keys()):
        if not _same_bytes(a[p], b[p]):
            out.append(FileChange(FileStatus.MODIFIED, p))
    return out


def _reader(read: FileReader | None, path: str) -> Callable[[], bytes] | None:
    return None if read is None else functools.partial(read, path)


def _same_bytes(x: SourceFile, y: SourceFile) -> bool:
    """Any byte changed is a modified file (a constant, a comment); facts decide only without blob ids."""
    if x.blob is not None and y.blob is not None:
        return x.blob == y.blob and x.module == y.module
    return _same_file(x, y)


# -- findings ----------------------------------------------------------------------


def finding_key(f: Finding, rename: dict[str, str] | None = None) -> tuple:
    """What a finding is, without its line: file, code, target and CPython's message."""
    path = (rename or {}).get(f.path, f.path)
    return (f.code.value, path, f.target, f.message)


def compare_findings(old: list[Finding], new: list[Finding], rename: dict[str, str] | None = None):
    """(new findings, fixed findings, unchanged count), matched as multisets of keys."""
    before = Counter(finding_key(f, rename) for f in old)
    after = Counter(finding_key(f) for f in new)
    new_only, fixed = [], []
    seen: Counter = Counter()
    for f in new:
        k = finding_key(f)
        seen[k] += 1
        if seen[k] > before[k]:
            new_only.append(f)
    seen = Counter()
    for f in old:
        k = finding_key(f, rename)
        seen[k] += 1
        if seen[k] > after[k]:
            fixed.append(f)
    unchanged = sum((before & after).values())
    return new_only, fixed, unchanged


def _call_key(path: str, call: CallSite, rename: dict[str, str] | None = None) -> tuple:
    return ((rename or {}).get(path, path), call.scope, call.callee_text, call.args_text)


def broken_calls(
    old: Project, new: Project, new_findings: list[Finding], changes: list[SignatureChange], rename: dict[str, str]
) -> list[BrokenCall]:
    """New CG1xx findings at call sites that existed in OLD without a finding there (call sites
    compared by their text: no call is resolved again, and only the files involved are read)."""
    flagged = [f for f in new_findings if f.code.value.startswith("CG1")]
    if not flagged:
        return []
    new_paths = {f.path for f in flagged}
    old_paths = new_paths | {old_path for old_path, path in rename.items() if path in new_paths}
    old_calls: dict[tuple, list[tuple[str, CallSite]]] = defaultdict(list)
    for sf in old.files:
        if sf.path in old_paths:
            for call in sf.facts.calls:
                old_calls[_call_key(sf.path, call, rename)].append((sf.path, call))
    old_flagged = {(f.path, f.line, f.column) for f in old.findings()}
    new_by_pos = {
        (sf.path, call.line, call.column): (sf.path, call)
        for sf in new.files
        if sf.path in new_paths
        for call in sf.facts.calls
    }
    changed = {c.symbol: c for c in changes if c.status is SymbolStatus.CHANGED}
    out: list[BrokenCall] = []
    for f in flagged:
        site = new_by_pos.get((f.path, f.line, f.column))
        if site is None:
            continue
        before = old_calls.get(_call_key(*site))
        if not before or any((path, call.line, call.column) in old_flagged for path, call in before):
            continue
        out.append(BrokenCall(f, changed.get(f.target or "")))
    return out


def diff_projects(old: Project, new: Project, old_label: str = "OLD", new_label: str = "NEW", *,
                  read_old: FileReader | None = None, read_new: FileReader | None = None) -> ProjectDiff:
    """The two projects side by side; `read_old`/`read_new` (a snapshot's `read`) let renames be
    found by similarity, as git does, not only between identical files."""
    files = file_changes(old, new, read_old, read_new)
    rename = {c.old_path: c.path for c in files if c.status is FileStatus.RENAMED and c.old_path}
    old_findings, new_findings = old.findings(), new.findings()
    added, fixed, unchanged = compare_findings(old_findings, new_findings, rename)
    changes = signature_changes(old, new)
    return ProjectDiff(
        old_label,
        new_label,
        changes,
        broken_calls(old, new, added, changes, rename),
        added,
        fixed,
        unchanged,
        files,
    )


__all__ = [
    "BrokenCall",
    "FileChange",
    "FileStatus",
    "ProjectDiff",
    "SignatureChange",
    "SymbolStatus",
    "compare_findings",
    "describe_change",
    "diff_projects",
    "finding_key",
]
