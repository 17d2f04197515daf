"""A logged TypeError explained: which call, which definition it bound to, which bytes ran.

The input is what a user has: a pasted traceback (maybe behind timestamps and log levels), or one
logged line around a caught exception's text, such as
`Supabase write failed: SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given`.

The answer comes from the analysis of the named snapshots, never from running anything: the
traceback's last frame that names a file of a snapshot is the call site; without frames, the
findings whose message is the log's (else whose target is the logged name) are the candidates.
`callgraph explain-error` (commands/explain_error.py) prints `render(explanation)`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis.project import Project
from ..errors import InputError
from ..facts.findings import Code, Finding

# CPython's binding messages (Python/ceval.c, getargs), after the callee's name and "() ".
_NAMES = r"'[^'\n]*'(?:(?:, and |, | and )'[^'\n]*')*"
_REST = (
    r"takes [^\n]*? \(\d+ given\)"  # a C function's: "takes exactly one argument (0 given)"
    r"|takes [^\n]*? given"
    rf"|missing \d+ required (?:positional|keyword-only) arguments?: {_NAMES}"
    r"|got an unexpected keyword argument '[^'\n]*'"
    r"|got multiple values for (?:keyword )?argument '[^'\n]*'"
    rf"|got some positional-only arguments? passed as keyword arguments?: {_NAMES}"
)
_MESSAGE = re.compile(rf"(?P<callee>[A-Za-z_][\w.<>]*)\(\) (?P<rest>{_REST})")
# C functions' binding messages (Python/getargs.c, Argument Clinic, Objects/call.c): a builtin's or an
# extension's; which arguments they accept depends on the interpreter's version (zip's strict= is 3.10+)
_CALLEE = r"(?P<callee>[A-Za-z_][\w.]*)"
_NATIVE = re.compile(
    rf"{_CALLEE}\(\) takes no keyword arguments"
    rf"|{_CALLEE.replace('callee', 'callee2')}\(\) missing required argument '[^'\n]*' \(pos \d+\)"
    rf"|{_CALLEE.replace('callee', 'callee3')} expected (?:at least |at most )?\d+ arguments?, got \d+"
    rf"|'[^'\n]*' is an invalid keyword argument for {_CALLEE.replace('callee', 'callee4')}\(\)")
_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<function>[^\n]+))?')
_TRACEBACK = "Traceback (most recent call last):"
_SPAN = 30  # lines a call's arguments may run over


@dataclass(frozen=True, slots=True)
class Frame:
    path: str
    line: int
    function: str = ""


@dataclass(frozen=True, slots=True)
class LoggedError:
    """What the log says: CPython's message, the callee as it names it, the frames before it."""

    message: str
    callee: str
    frames: tuple[Frame, ...] = ()
    native: bool = False  # a C function's message (a builtin, an extension)


def parse_log(text: str) -> LoggedError:
    """The last binding TypeError in `text`, with the frames of its traceback (if any).
    Text without one is an InputError (exit 2)."""
    matches = list(_MESSAGE.finditer(text)) + list(_NATIVE.finditer(text))
    if not matches:
        raise InputError("no TypeError about a call's arguments in the input (such as 'f() takes 1 positional "
                         "argument but 2 were given')")
    m = max(matches, key=lambda x: x.start())
    before = text[: m.start()]
    start = before.rfind(_TRACEBACK)
    frames = tuple(Frame(f["path"], int(f["line"]), (f["function"] or "").strip())
                   for f in _FRAME.finditer(before[start if start >= 0 else 0:]))
    if m.re is _NATIVE:
        callee = next(v for k, v in m.groupdict().items() if v)
        return LoggedError(m.group(0), callee, frames, native=True)
    return LoggedError(f"{m['callee']}() {m['rest']}", m["callee"], frames, native=m["rest"].endswith(" given)"))


@dataclass
class Side:
    """One snapshot: its role ("local", "remote"), spec, the open snapshot and its analysis."""

    role: str
    spec: str
    snapshot: Any
    project: Project
    findings: list[Finding] = field(default_factory=list)

    def sha256(self, path: str) -> str | None:
        try:
            return hashlib.sha256(self.snapshot.read(path)).hexdigest()
        except (KeyError, OSError, InputError):
            return None

    def origin(self, path: str) -> str:
        """Where the file is read from: a remote's absolute path, else the snapshot path."""
        origin = getattr(self.snapshot, "origin", None)
        try:
            return origin(path) if origin is not None else path
        except KeyError:
            return path

    def file_for(self, frame_path: str) -> str | None:
        """The snapshot file a traceback's path names: the remote's own path, else the longest
        common tail of path components (at least the file name)."""
        entries = self.snapshot.entries()
        norm = frame_path.replace("\\", "/")
        for p in entries:
            if self.origin(p) == norm:
                return p
        tail = norm.split("/")
        best, best_len = None, 0
        for p in entries:
            parts = p.split("/")
            n = 0
            while n < min(len(parts), len(tail)) and parts[-1 - n] == tail[-1 - n]:
                n += 1
            if n > best_len or (n == best_len and n and best is not None and len(p) < len(best)):
                best, best_len = p, n
        return best if best_len else None

    def definition(self, target: str | None, line: int | None) -> tuple[Any, list[Any]]:
        """(the def at `line` named `target`, the other defs of that name) in this snapshot."""
        defs = self.project.signatures.get(target or "", [])
        bound = next((d for d in defs if d.line == line), defs[-1] if defs else None)
        return bound, [d for d in defs if d is not bound]


@dataclass
class Explanation:
    logged: LoggedError
    side: Side | None  # where the call was found
    calls: list[Finding]  # the findings that match (the call sites)
    via: str  # "the traceback's frame path:line", "the message", "the qualified name"
    other: Side | None = None  # the other snapshot, for comparison
    note: str = ""

    @property
    def explained(self) -> bool:
        return self.side is not None and bool(self.calls)


def explain(logged: LoggedError, sides: Sequence[Side]) -> Explanation:
    """Find the logged call in the snapshots (remote first: that is where it ran)."""
    ordered = sorted(sides, key=lambda s: s.role != "remote")
    for side in ordered:
        side.findings = [f for f in side.project.findings() if f.code is not Code.CG900]
    other = lambda s: next((o for o in ordered if o is not s), None)  # noqa: E731
    # 1. The traceback: its last frame inside a snapshot is the call site (a binding TypeError is
    #    raised before the callee's frame exists).
    missed = ""
    for frame in reversed(logged.frames):
        for side in ordered:
            path = side.file_for(frame.path)
            if path is None:
                continue
            calls = [f for f in side.findings if f.path == path and f.code.value.startswith("CG1")]
            at = [f for f in calls if f.line == frame.line]
            if not at:  # a call over several lines: some interpreters report a later line of it
                near = [f for f in calls if f.message == logged.message and 0 < frame.line - f.line <= _SPAN]
                at = [max(near, key=lambda f: f.line)] if near else []
            if at:
                return Explanation(logged, side, at, f"the traceback's frame {path}:{frame.line}", other(side))
            missed = missed or f"the traceback's last frame in a snapshot, {side.role} {path}:{frame.line}, " \
                               "holds no call our analysis finds failing"
        if missed:
            break
    # 2. No usable frame: the message, then the qualified name.
    for side in ordered:
        exact = [f for f in side.findings if f.message == logged.message]
        if exact:
            return Explanation(logged, side, exact, "the message", other(side), note=missed)
    kind = logged.message[len(logged.callee) + 3:].split(" ")[0]
    for side in ordered:
        named = [f for f in side.findings if f.target and f.code.value.startswith("CG1")
                 and (f.target == logged.callee or f.target.endswith("." + logged.callee))
                 and f.message[f.message.find("() ") + 3:].startswith(kind)]
        if named:
            return Explanation(logged, side, named, "the qualified name", other(side), note=missed)
    return Explanation(logged, None, [], "", None, note=missed or "no finding in the snapshots matches the logged call")


def render(ex: Explanation, sides: Sequence[Side] = ()) -> str:
    """A few lines: the call, the bound definition, the file's bytes on both sides, the message."""
    lines = [f"{s.role}: {s.spec}" for s in sides]
    lines.append(f"logged: {ex.logged.message}")
    if not ex.explained or ex.side is None:
        lines.append(f"not found: {ex.note}" if ex.note else "not found")
        if ex.logged.native:
            lines.append(f"  note: {ex.logged.callee} is a C function (a builtin or an extension's): the arguments it "
                         "accepts depend on the interpreter's version and build; compare `python3 -VV` on both sides")
        lines.extend(_where_defined(ex.logged, sides))
        return "\n".join(lines)
    side, first = ex.side, ex.calls[0]
    lines.append(f"found in {side.role}, by {ex.via}")
    if ex.note:
        lines.append(f"  note: {ex.note}")
    lines.append(f"call{'s' if len(ex.calls) > 1 else ''}: {_sites(ex.calls)}")
    bound, others = side.definition(first.target, first.definition.line if first.definition else None)
    def_path = first.definition.path if first.definition else "?"
    if bound is not None:
        origin = side.origin(def_path)
        read = f" (read from {origin})" if origin != def_path else ""
        lines.append(f"bound: {def_path}:{bound.line} def {bound.name}{bound.signature.render()}{read}")
        for d in others:
            state = "dead: the later def wins" if d.line < bound.line else "later"
            lines.append(f"  also defined at :{d.line} def {d.name}{d.signature.render()}, {state}")
    elif first.target:
        lines.append(f"bound: {first.target} at {def_path}:{first.definition.line if first.definition else '?'}")
    if ex.other is not None and first.definition is not None:
        lines.extend(_compare(ex, side, ex.other, first))
    if first.message == ex.logged.message:
        lines.append(f"predicted: {first.message} (equal to the log's)")
    else:
        lines.append(f"predicted: {first.message}")
        older = first.message.endswith(ex.logged.message)
        lines.append(f"  note: the log says {ex.logged.message!r}"
                     + (": an interpreter before 3.10 names a method without its class" if older else ""))
    return "\n".join(lines)


def _sites(calls: list[Finding]) -> str:
    """path:line:col, the path said once for a run of calls in the same file."""
    out, last = [], None
    for f in calls:
        out.append(f"{f.path}:{f.line}:{f.column}" if f.path != last else f":{f.line}:{f.column}")
        last = f.path
    return ", ".join(out)


def _where_defined(logged: LoggedError, sides: Sequence[Side]) -> list[str]:
    """When nothing matched: the logged name's definitions, so the user sees what binds instead."""
    out = []
    for side in sides:
        for name, defs in side.project.signatures.items():
            if name == logged.callee or name.endswith("." + logged.callee):
                path = _path_of(side, name)
                for d in defs:
                    out.append(f"{side.role}: {path}:{d.line} def {d.name}{d.signature.render()}")
    if out and len(sides) < 2:
        out.append("give --remote SNAP, the copy where the error happened, to compare")
    return out


def _path_of(side: Side, full_name: str) -> str:
    try:
        module = max((f.module for f in side.project.files if full_name.startswith(f.module + ".")), key=len)
        return side.project.index.path_of(module)
    except (ValueError, KeyError, LookupError):  # no module holds it (max of nothing)
        return full_name


def _compare(ex: Explanation, side: Side, other: Side, first: Finding) -> list[str]:
    """The definition's file on the other side: same bytes or not, and whether the call fails there."""
    def_path = first.definition.path if first.definition else first.path
    mine, theirs = side.sha256(def_path), other.sha256(def_path)
    out = []
    if theirs is None:
        out.append(f"{other.role}: no {def_path}")
    elif mine == theirs:
        out.append(f"{def_path}: same bytes locally and remotely (sha256 {mine[:16]})")
    else:
        local, remote = (mine, theirs) if side.role == "local" else (theirs, mine)
        out.append(f"{def_path} differs: local sha256 {(local or '?')[:16]}, remote {(remote or '?')[:16]}")
    fails = {(f.path, f.line) for f in other.project.findings() if f.code.value.startswith("CG1")}
    failing = [f for f in ex.calls if (f.path, f.line) in fails]
    bound, _ = other.definition(first.target, None)
    where = f"; there it is {def_path}:{bound.line} def {bound.name}{bound.signature.render()}" if bound is not None else ""
    if failing:
        out.append(f"{other.role}: fails there too ({len(failing)} of {len(ex.calls)} calls){where}")
    elif theirs is not None:
        out.append(f"{other.role}: the same call{'s bind' if len(ex.calls) > 1 else ' binds'}{where}")
    return out
