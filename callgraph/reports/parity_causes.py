"""The parity report's sentences as data: causes, fix-plan steps and recurrence guards.

Like pyflakes' messages, each statement is a kind plus the fields its sentence shows; the
sentence is made from those fields alone, and each field names the places in the JSON report
(`reports.parity.report_dict`, as JSON pointers) that back it. So the summary can say nothing the
report does not hold, and `backing_problems` proves it for every statement (tests/test_parity_causes.py).
`reports.parity_diagnosis` decides which statements a report gets; nothing here reads evidence.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from .escape import md_cell, md_code


class CauseKind(enum.Enum):
    """What a summary sentence says; one template each (`_CAUSES`)."""

    CHANGED_SIGNATURE = "changed-signature"  # the remote copy's definition differs
    REDEFINITION = "redefinition"  # defined again further down the remote copy: the earlier body is dead
    VERSION = "version"  # which git tag / branch / commit the remote copy is
    UNKNOWN_VERSION = "unknown-version"  # on no local branch or tag
    SHADOWED_UPLOAD = "shadowed-upload"  # the interpreter imports a package from elsewhere, not the upload
    INSTALLED_ELSEWHERE = "installed-elsewhere"  # ... and the upload holds no copy of it
    ENVIRONMENT = "environment"  # a call binds with the packages here, fails with those there
    UNEXPLAINED = "unexplained"  # calls fail only remotely, no signature changed
    WHITESPACE_ONLY = "whitespace-only"  # a file differs in whitespace, line endings or comments only
    SAME_CODE = "same-code"  # the code that binds is the same: look outside it
    HARMLESS_DRIFT = "harmless-drift"  # files differ, no call breaks because of it
    BOTH_SIDES = "both-sides"  # findings that fail here too
    FILES = "files"
    FINDINGS = "findings"
    INSTALLED_FILES = "installed-files"  # an installed distribution's files: not project files
    INTERPRETERS = "interpreters"
    IMPORT_MECHANISM = "import-mechanism"  # extension point: a sentence + evidence from the import model
    UNSEEN = "unseen"  # the remote may run bytes callgraph did not read (reports.parity_unseen)


class StepKind(enum.Enum):
    """A fix-plan step."""

    UNINSTALL_SHADOW = "uninstall-shadow"
    FIX_REDEFINITION = "fix-redefinition"
    REDEPLOY = "redeploy"
    PIN_DISTRIBUTION = "pin-distribution"
    FIX_BOTH_SIDES = "fix-both-sides"
    RESYNC_WHITESPACE = "resync-whitespace"
    LOOK_OUTSIDE = "look-outside"
    IMPORT_MECHANISM = "import-mechanism"  # extension point, as CauseKind.IMPORT_MECHANISM
    CHECK_UNSEEN = "check-unseen"  # look at what the remote runs where callgraph could not


class GuardKind(enum.Enum):
    """A test that keeps the cause from coming back."""

    PRE_COMMIT = "pre-commit"
    CI_PARITY = "ci-parity"
    MANIFEST = "sha256-manifest"


class Rule(enum.Enum):
    """How a field's value follows from the JSON at its pointers."""

    EQUALS = "equals"  # str(value) == str(the JSON value) at every pointer
    EACH = "each"  # a tuple: value[i] == the JSON value at pointer i
    COUNT = "count"  # value == how many pointers, each of which exists
    TALLY = "tally"  # value == how many items of the list at the one pointer have `match` (key, value); all: no key
    ORDINAL = "ordinal"  # value == 1 + the list index the one pointer ends with
    SAME = "same"  # the JSON values at all pointers are equal to one another (the value: True)
    EXISTS = "exists"  # every pointer exists (the value is made from them elsewhere: a sentence handed in)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: object
    evidence: tuple[str, ...]  # JSON pointers into the report ("/files/3/remote/origin")
    rule: Rule = Rule.EQUALS
    match: tuple[str, str] = ("", "")  # TALLY: count the items whose `key` is `value`


@dataclass(frozen=True, slots=True)
class Statement:
    """One sentence of the summary, the fix plan or the guards: kind + fields."""

    kind: CauseKind | StepKind | GuardKind
    fields: tuple[Field, ...]

    def get(self, name: str, default: object = None) -> object:
        return next((f.value for f in self.fields if f.name == name), default)

    def as_dict(self) -> dict:
        return {"kind": self.kind.value, "text": render(self),
                "fields": {f.name: {"value": list(f.value) if isinstance(f.value, tuple) else f.value,
                                    "evidence": list(f.evidence), "rule": f.rule.value,
                                    **({"match": {f.match[0]: f.match[1]}} if f.match[0] else {})}
                           for f in self.fields}}


def field(name: str, value: object, *evidence: str, rule: Rule = Rule.EQUALS) -> Field:
    return Field(name, value, tuple(evidence), rule)


def tally(name: str, value: int, pointer: str, key: str = "", equals: str = "") -> Field:
    """A count the checker recounts: the items of the list at `pointer` whose `key` is `equals`."""
    return Field(name, value, (pointer,), Rule.TALLY, (key, equals))


def mechanism(kind: str, sentence: str, evidence: Sequence[str], step: str = "") -> list[Statement]:
    """The extension point for the import model: one (kind, sentence, evidence) a cause, and an
    optional fix-plan step; evidence pointers must exist in the report."""
    out = [Statement(CauseKind.IMPORT_MECHANISM, (field("mechanism", kind, *evidence, rule=Rule.EXISTS), field(
        "sentence", sentence, *evidence, rule=Rule.EXISTS)))]
    if step:
        out.append(Statement(StepKind.IMPORT_MECHANISM, (field("mechanism", kind, *evidence, rule=Rule.EXISTS), field(
            "sentence", step, *evidence, rule=Rule.EXISTS))))
    return out


# -- the sentences --------------------------------------------------------------------------------


def _c(v: object) -> str:
    return md_code(v)


def _n(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _breaks(s: Statement) -> str:
    n = s.get("calls")
    messages = "; ".join(md_cell(m) for m in s.get("messages", ()))
    return f"{_n(n, 'call')} break{'s' if n == 1 else ''} only there: {messages}"


def _where(s: Statement) -> str:
    return f" (read from {_c(s.get('origin'))})" if s.get("origin") else ""


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _redefinition(s: Statement) -> str:
    text = (f"Root cause: the remote copy of {_c(s.get('path'))}{_where(s)} defines {_c(s.get('qualname'))} "
            f"again at line {s.get('line')} as {_c(s.get('new'))}; the earlier body at line {s.get('earlier_line')}, "
            f"{_c(s.get('old'))}{' as in the local file' if s.get('as_local') else ''}, is dead; {_breaks(s)}.")
    if s.get("finding"):
        text += (f" The {_ordinal(s.get('finding'))} finding only remotely (CG201 at line {s.get('line')}) "
                 f"is that redefinition itself.")
    return text


def _version(s: Statement) -> str:
    commit = f", last changed in {md_cell(s.get('commit'))} \"{md_cell(s.get('subject'))}\"" if s.get("commit") else ""
    if s.get("source_path"):
        return (f"The remote copy {_c(s.get('path'))} is the blob of {_c(s.get('source_path'))} at {_c(s.get('ref'))} "
                f"(git blob {s.get('blob')}){commit}.")
    return (f"The remote runs {_c(s.get('ref'))} of {_c(s.get('path'))}: its bytes are git blob "
            f"{s.get('blob')}{commit}.")


def _sys_path(s: Statement) -> str:
    where = f"sys.path[{s.get('index')}]" + (f", {md_cell(s.get('entry_origin'))}" if s.get("entry_origin") else "")
    return where + (f"; installed distribution {_c(s.get('distribution'))}" if s.get("distribution") else "")


def _shadowed(s: Statement) -> str:
    where = _sys_path(s)
    dist = ""
    text = (f"Why: the remote interpreter imports {_c(s.get('name'))} from {_c(s.get('remote'))} ({where}){dist}, "
            f"not the upload {_c(s.get('upload'))}")
    if s.get("upload_index") is not None:
        text += f" (sys.path[{s.get('upload_index')}], {md_cell(s.get('upload_origin') or 'on sys.path')})"
    else:
        text += " (its directory is not on the remote sys.path)"
    if s.get("from_root"):
        text += "; started from the root (`python -m`) it would import the upload"
    return text + "."


def _installed_elsewhere(s: Statement) -> str:
    where = _sys_path(s)
    dist = ""
    return (f"Why: the remote interpreter imports {_c(s.get('name'))} from {_c(s.get('remote'))} ({where}){dist}; "
            f"the upload has no copy of it.")


def _whitespace(s: Statement) -> str:
    paths = ", ".join(_c(p) for p in s.get("paths"))
    n = len(s.get("paths"))
    return (f"{paths} differ{'s' if n == 1 else ''} only in {s.get('difference')}: the tokens CPython compiles "
            f"are the same on both sides, so {'this difference' if n == 1 else 'these differences'} cannot change "
            f"what runs.")


def _same_code(s: Statement) -> str:
    outside = ("compare environment variables, configuration, data and services.")
    if not s.get("whitespace"):
        return (f"No drift: the remote runs the same code as the local copy ({_n(s.get('same'), 'file')} identical) "
                f"and no call fails only there; if it fails there, the cause is outside the code: {outside}")
    return (f"The code that binds is the same on both sides ({_n(s.get('same'), 'file')} identical, "
            f"{s.get('whitespace')} differing only in whitespace) and no call fails only there: the failure comes "
            f"from outside the code; {outside}")


def _unexplained(s: Statement) -> str:
    n = s.get("calls")
    return (f"{_n(n, 'call')} fail{'s' if n == 1 else ''} only remotely without a signature change of the target, "
            f"e.g. {_c(s.get('at'))}: {md_cell(s.get('message'))}.")


def _both(s: Statement) -> str:
    n = s.get("calls")
    return (f"{_n(n, 'finding')} fail{'s' if n == 1 else ''} on both sides, so not the cause of the difference "
            f"(a bug here too): {', '.join(_c(a) for a in s.get('at'))}.")


def _installed_files(s: Statement) -> str:
    return (f"{_n(s.get('files'), 'file')} the remote imports belong to installed distributions "
            f"({', '.join(_c(d) for d in s.get('distributions'))}), not to the project: listed under Installed "
            f"files, not as extra.")


def _unseen(s: Statement) -> str:
    if s.get("module"):
        return (f"callgraph could not see what {_c(s.get('module'))} runs remotely ({s.get('why')}); a call into it "
                f"may fail there.")
    return f"callgraph could not see {s.get('why')}; a call may fail there."


def _check_unseen(s: Statement) -> str:
    parts = [f"run `python3 -c 'import {m}; print({m}.__file__)'` there, as the program runs"
             for m in s.get("modules") or ()]
    parts += [f"read {_c(f)}, which runs before the program" for f in s.get("files") or ()]
    return f"Look at what the remote runs where callgraph could not: {'; '.join(parts)}; then compare it with the local copy."


_CAUSES = {
    CauseKind.CHANGED_SIGNATURE: lambda s: (
        f"Root cause: the remote runs a copy of {_c(s.get('path'))}{_where(s)} whose {_c(s.get('qualname'))} is "
        f"{_c(s.get('new'))}, while the local file's is {_c(s.get('old'))}; {_breaks(s)}."),
    CauseKind.REDEFINITION: _redefinition,
    CauseKind.VERSION: _version,
    CauseKind.UNKNOWN_VERSION: lambda s: (
        f"That remote copy of {_c(s.get('path'))} is git blob {s.get('blob')}, on no local branch or tag."),
    CauseKind.SHADOWED_UPLOAD: _shadowed,
    CauseKind.INSTALLED_ELSEWHERE: _installed_elsewhere,
    CauseKind.ENVIRONMENT: lambda s: f"Root cause (environment): {s.get('sentence')}.",
    CauseKind.UNEXPLAINED: _unexplained,
    CauseKind.WHITESPACE_ONLY: _whitespace,
    CauseKind.SAME_CODE: _same_code,
    CauseKind.UNSEEN: _unseen,
    CauseKind.HARMLESS_DRIFT: lambda s: (
        f"The remote copy drifted from the local one ({_n(s.get('files'), 'file')} "
        f"differ{'s' if s.get('files') == 1 else ''} in code), but no call "
        f"breaks because of it."),
    CauseKind.BOTH_SIDES: _both,
    CauseKind.FILES: lambda s: (
        f"Files: {s.get('compared')} compared: {s.get('same')} same, {s.get('differ')} differ, "
        f"{s.get('missing')} missing remotely, {s.get('extra')} extra remotely."),
    CauseKind.FINDINGS: lambda s: (
        f"Findings: {s.get('remote_only')} only remotely, {s.get('local_only')} only locally, "
        f"{s.get('both')} on both sides."),
    CauseKind.INSTALLED_FILES: _installed_files,
    CauseKind.INTERPRETERS: lambda s: (
        f"Interpreters: local {md_cell(s.get('local') or 'unknown')}, remote {md_cell(s.get('remote') or 'unknown')}."),
    CauseKind.IMPORT_MECHANISM: lambda s: str(s.get("sentence")),
}


def _uninstall(s: Statement) -> str:
    dist = s.get("distribution")
    how = (f"uninstall {_c(dist)} there ({_c(s.get('uninstall'))})" if dist
           else f"remove {_c(s.get('remote'))} there")
    then = (f"or put the upload ({_c(s.get('upload'))}) first on sys.path" if s.get("upload") else
            "then install the current code there (the upload holds no copy of it)")
    return f"The sandbox imports the stale copy of {_c(s.get('name'))} from {_c(s.get('remote'))}: {how}, {then}."


def _pin(s: Statement) -> str:
    return (f"Pin {_c(s.get('pin'))} in the remote environment (the version that binds here), or change "
            f"{_c(s.get('at'))} to the signature {s.get('remote_distribution')} accepts: {_c(s.get('signature'))}.")


_STEPS = {
    StepKind.UNINSTALL_SHADOW: _uninstall,
    StepKind.FIX_REDEFINITION: lambda s: (
        f"Restore {_c(s.get('name'))}'s signature at {_c(s.get('at'))} (now {_c(s.get('new'))}, the one bound) "
        f"and delete the dead definition at :{s.get('earlier_line')}, or delete the later one so the definition "
        f"at :{s.get('earlier_line')} binds again; then redeploy."),
    StepKind.REDEPLOY: lambda s: (
        f"Redeploy {_c(s.get('path'))}: the remote's copy (sha256 {s.get('remote_sha')}) is not the local one "
        f"(sha256 {s.get('local_sha')})."),
    StepKind.PIN_DISTRIBUTION: _pin,
    StepKind.FIX_BOTH_SIDES: lambda s: (
        f"Fix the calls that fail on both sides too ({', '.join(_c(a) for a in s.get('at'))}): "
        f"`callgraph fix` shows the certain rewrites, `--write` applies them."),
    StepKind.RESYNC_WHITESPACE: lambda s: (
        f"Nothing to fix in the code; re-sync {', '.join(_c(p) for p in s.get('paths'))} only to keep the "
        f"hashes equal."),
    StepKind.LOOK_OUTSIDE: lambda s: (
        f"Nothing in the code explains it (all {_n(s.get('files'), 'file')} compile to the same tokens on both sides): "
        f"compare what is not code: "
        "environment variables (`env | sort` on both sides), configuration files, "
        "the input data, and the services the entry point talks to."),
    StepKind.IMPORT_MECHANISM: lambda s: str(s.get("sentence")),
    StepKind.CHECK_UNSEEN: _check_unseen,
}

_GUARDS = {
    GuardKind.PRE_COMMIT: lambda s: (
        f"pre-commit: the hook `- id: callgraph` (`.pre-commit-config.yaml`) stops calls that cannot bind before "
        f"they are committed."),
    GuardKind.CI_PARITY: lambda s: f"CI, before and after each deploy: {_c(s.get('command'))}.",
    GuardKind.MANIFEST: lambda s: (
        f"A sha256 manifest: at upload {_c(s.get('record'))}; in the sandbox before start {_c(s.get('check'))}."),
}


def render(s: Statement) -> str:
    """The sentence, made from the statement's fields alone."""
    table = _CAUSES if isinstance(s.kind, CauseKind) else _STEPS if isinstance(s.kind, StepKind) else _GUARDS
    return table[s.kind](s)


# -- the proof ------------------------------------------------------------------------------------

_MISSING = object()


def resolve(doc: object, pointer: str) -> object:
    """The JSON value at `pointer` (RFC 6901, without ~ escapes), or `_MISSING`."""
    node = doc
    for part in pointer.split("/")[1:]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def backing_problems(s: Statement, doc: dict) -> list[str]:
    """What in `s` the JSON report `doc` does not back (empty: every field is backed)."""
    out = []
    for f in s.fields:
        values = [resolve(doc, p) for p in f.evidence]
        if any(v is _MISSING for v in values):
            out.append(f"{s.kind.value}.{f.name}: a pointer leads nowhere: {f.evidence}")
        elif f.rule is Rule.EQUALS and not all(str(v) == str(f.value) for v in values):
            out.append(f"{s.kind.value}.{f.name}: {f.value!r} is not {values!r}")
        elif f.rule is Rule.EACH and [str(v) for v in values] != [str(v) for v in f.value]:
            out.append(f"{s.kind.value}.{f.name}: {f.value!r} is not {values!r}")
        elif f.rule is Rule.SAME and (f.value is not True or len({str(v) for v in values}) != 1):
            out.append(f"{s.kind.value}.{f.name}: {values!r} are not all the same")
        elif f.rule is Rule.TALLY and (len(values) != 1 or not isinstance(values[0], list) or f.value != sum(
                1 for item in values[0] if not f.match[0] or (isinstance(item, dict) and str(item.get(f.match[0]))
                                                              == f.match[1]))):
            out.append(f"{s.kind.value}.{f.name}: {f.value!r} is not the tally of {f.match} in {f.evidence}")
        elif f.rule is Rule.COUNT and f.value != len(values):
            out.append(f"{s.kind.value}.{f.name}: {f.value!r} is not {len(values)} pointers")
        elif f.rule is Rule.ORDINAL and (len(f.evidence) != 1 or str(f.value) != str(
                int(f.evidence[0].rsplit("/", 1)[1]) + 1)):
            out.append(f"{s.kind.value}.{f.name}: {f.value!r} is not the position of {f.evidence}")
    return out


__all__ = [
    "CauseKind",
    "Field",
    "GuardKind",
    "Rule",
    "Statement",
    "StepKind",
    "backing_problems",
    "field",
    "mechanism",
    "render",
    "resolve",
    "tally",
]
