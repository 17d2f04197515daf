"""The default text format: each finding as ruff and rustc show one, readable at a glance.

    a.py:21:1: CG103 resize() got an unexpected keyword argument 'heigth'
       |
    21 | resize(None, width=640, heigth=480)
       | ^~~~~~
       = note: bound to a.resize(image, width, height), defined at a.py:1
       = help: did you mean 'height'?

The first line is the concise format's (`--format concise`, one line per finding, for editors and
pre-commit), less the `[target]` the note now names. Messages and suggestions are data on the
finding (`facts.findings`); the wording lives here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

from ..facts.findings import Code, Finding, FixKind, Suggestion
from ..reading import NotRead, read_regular

# path -> the file's lines, or None when it cannot be read (then no snippet is shown)
SourceLines = Callable[[str], Sequence[str] | None]

_BOLD, _RED, _BLUE, _CYAN, _YELLOW, _RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[1;34m", "\x1b[1;36m", "\x1b[33m", "\x1b[0m"


def help_text(s: Suggestion, code: Code) -> str:
    """The `help:` line's words for a suggestion."""
    if s.kind is FixKind.RENAME_KEYWORD:
        (old,) = s.keywords
        if code is Code.CG103:
            return f"did you mean '{s.replacement}'?"
        return f"did you mean '{s.replacement}' instead of '{old}'?"
    names = ", ".join(f"'{k}'" for k in s.keywords)
    drops = ", ".join(f"'{k}='" for k in s.keywords)
    return f"pass {names} by position: drop {drops}"


def note_text(f: Finding) -> str | None:
    """The `note:` line's words: the bound definition, or the earlier one of a redefinition."""
    if f.definition is None:
        return None
    where = f"{f.definition.path}:{f.definition.line}"
    if f.code is Code.CG201:
        sig = f" {f.signature}" if f.signature else ""
        return f"the earlier definition{sig} is at {where}"
    target = f.target or "the target"
    return f"bound to {target}{f.signature or ''}, defined at {where}"


def _visible(line: str) -> str:
    """The line with one printable character per source character, so the caret still lines up."""
    return "".join(
        " " if c == "\t" else "\ufffd" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else c
        for c in line.rstrip("\r\n")
    )


def snippet(f: Finding, lines: Sequence[str] | None) -> list[str]:
    """The gutter, the source line and the caret under the call; [] when the line is unknown."""
    if lines is None or not 1 <= f.line <= len(lines) or f.code is Code.CG000 and f.column < 1:
        return []
    text = _visible(lines[f.line - 1])
    start = max(f.column - 1, 0)
    if start > len(text):
        return []
    width = max(min(f.span, len(text) - start), 1)
    gutter = " " * len(str(f.line))
    return [f"{gutter} |", f"{f.line} | {text}", f"{gutter} | {' ' * start}^{'~' * (width - 1)}"]


def annotated(f: Finding, lines: Sequence[str] | None, *, color: bool = False, suppressed: bool = False) -> str:
    """One finding, several lines: header, snippet, note, help."""
    tail = " (suppressed)" if suppressed else ""
    body = snippet(f, lines)
    pad = " " * (len(str(f.line)) if body else 2)
    note = note_text(f)
    help_ = help_text(f.suggestion, f.code) if f.suggestion else None
    if not color:
        out = [f"{f.path}:{f.line}:{f.column}: {f.code.value} {f.message}{tail}", *body]
        out += [f"{pad} = note: {note}"] if note else []
        out += [f"{pad} = help: {help_}"] if help_ else []
        return "\n".join(out)
    code_color = _YELLOW if suppressed else _RED
    out = [f"{_BOLD}{f.path}:{f.line}:{f.column}:{_RESET} {code_color}{f.code.value}{_RESET} {f.message}{tail}"]
    for i, row in enumerate(body):
        gutter, _, rest = row.partition(" | ") if " | " in row else (row[:-2], "", "")
        rest_color = f"{code_color}{rest}{_RESET}" if i == 2 else rest
        out.append(f"{_BLUE}{gutter} |{_RESET}" + (f" {rest_color}" if rest else ""))
    out += [f"{_BLUE}{pad} ={_RESET} {_BOLD}note:{_RESET} {note}"] if note else []
    out += [f"{_BLUE}{pad} ={_RESET} {_CYAN}help:{_RESET} {help_}"] if help_ else []
    return "\n".join(out)


def full_text(
    findings: Iterable[Finding],
    source: SourceLines,
    *,
    color: bool = False,
    suppressed: Iterable[Finding] = (),
) -> str:
    """Every finding annotated, a blank line between them; suppressed ones last."""
    blocks = [annotated(f, source(f.path), color=color) for f in findings]
    blocks += [annotated(f, source(f.path), color=color, suppressed=True) for f in suppressed]
    return "\n\n".join(blocks)


def file_lines(limit: int = 2 * 1024 * 1024) -> SourceLines:
    """A `SourceLines` reading working-tree files (paths as findings show them), each once, with
    the project's one bounded reader: the snippet is a courtesy, never a cost or a hang."""
    cache: dict[str, Sequence[str] | None] = {}

    def read(path: str) -> Sequence[str] | None:
        if path not in cache:
            try:
                cache[path] = read_regular(path, limit).decode("utf-8", "replace").splitlines()
            except NotRead:
                cache[path] = None
        return cache[path]

    return read
