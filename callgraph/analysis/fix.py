"""`callgraph fix`: apply the certain suggestions to source text, as a libcst codemod.

A suggestion is certain when the changed call shape binds to every possible target
(`analysis.suggest`); this module only edits the call it names, and only when the source still
says what the finding saw: exactly one call starts at the finding's position and carries the
keyword(s) in question, laid out as the suggestion expects. Anything else is left alone and
counted as skipped. libcst keeps every other byte (comments, spacing, quotes) as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..facts.findings import Finding, FixKind, Suggestion


@dataclass(frozen=True, slots=True)
class Edit:
    """One certain suggestion at a call's start (1-based line, 1-based column, as findings say)."""

    line: int
    column: int
    suggestion: Suggestion


@dataclass(frozen=True, slots=True)
class FixResult:
    data: bytes  # the new source, in the file's own encoding and newlines (the old one when nothing applied)
    applied: tuple[Edit, ...]
    skipped: tuple[Edit, ...]  # the source no longer matches what the finding saw


def edits_of(findings: Sequence[Finding]) -> dict[str, list[Edit]]:
    """The certain suggestions of `findings`, by path."""
    out: dict[str, list[Edit]] = {}
    for f in findings:
        if f.suggestion is not None and f.suggestion.certain:
            out.setdefault(f.path, []).append(Edit(f.line, f.column, f.suggestion))
    return out


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword is not None else None


def _apply(call: cst.Call, s: Suggestion) -> cst.Call | None:
    """The call with the suggestion applied, or None when its arguments are not as expected."""
    args = list(call.args)
    names = [_keyword(a) for a in args]
    if any(a.star for a in args):
        return None
    if s.kind is FixKind.RENAME_KEYWORD:
        (old,) = s.keywords
        if names.count(old) != 1 or s.replacement in names:
            return None
        i = names.index(old)
        args[i] = args[i].with_changes(keyword=cst.Name(s.replacement))
        return call.with_changes(args=args)
    positional = next((i for i, n in enumerate(names) if n is not None), len(names))
    moved = list(s.keywords)
    if names[positional : positional + len(moved)] != moved:
        return None  # not right after the positional arguments, in parameter order
    for i in range(positional, positional + len(moved)):
        args[i] = args[i].with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=args)


class _Fixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Sequence[Edit]) -> None:
        super().__init__()
        self.wanted = {(e.line, e.column): e for e in edits}
        self.starts: dict[tuple[int, int], int] = {}  # calls starting there that the edit fits
        self.applied: list[Edit] = []

    def visit_Call(self, node: cst.Call) -> None:
        start = self.get_metadata(PositionProvider, node).start
        key = (start.line, start.column + 1)
        if key in self.wanted and _apply(node, self.wanted[key].suggestion) is not None:
            self.starts[key] = self.starts.get(key, 0) + 1  # `C().m(a=1)`: only the outer call has `a=`

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        start = self.get_metadata(PositionProvider, original).start
        edit = self.wanted.get((start.line, start.column + 1))
        if edit is None or self.starts.get((start.line, start.column + 1)) != 1:
            return updated  # `g(x=1)(x=2)`: two calls start here and fit, the finding does not say which
        fixed = _apply(updated, edit.suggestion)
        if fixed is None:
            return updated
        self.applied.append(edit)
        return fixed


def apply_edits(source: bytes, edits: Sequence[Edit]) -> FixResult:
    """`source` (a file's bytes: libcst keeps its encoding and newlines) with every edit that still
    matches applied; the rest skipped. A file that does not parse is returned unchanged."""
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, SyntaxError):
        return FixResult(source, (), tuple(edits))
    fixer = _Fixer(edits)
    new = MetadataWrapper(module).visit(fixer)
    applied = tuple(fixer.applied)
    return FixResult(new.bytes if applied else source, applied, tuple(e for e in edits if e not in applied))
