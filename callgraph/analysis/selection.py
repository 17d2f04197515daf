"""Which findings a run reports, and what each one is about.

Selection: the files the user focused on, select/ignore/per-file-ignores (a predicate, so this
layer never reads the configuration), then suppression comments (CG900 for those that silence
nothing). Identity: a finding named without its line numbers, so that SARIF fingerprints and
baseline matching survive unrelated edits that move it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..facts.findings import Code, Finding
from ..facts.model import CallSite
from .project import Project

# path -> line -> the code tuples of each suppression comment on that line (() silences every code)
SuppressionTable = dict[str, dict[int, list[tuple[str, ...]]]]
# (path, line, codes) of each suppression comment that silenced a finding
UsedSuppressions = set[tuple[str, int, tuple[str, ...]]]


# -- identity ------------------------------------------------------------------------------------


def _squash(s: str) -> str:
    """Whitespace-free text: reformatting a call does not change what it is."""
    return "".join(s.split())


def call_index(project: Project, paths: Container[str] | None = None) -> dict[tuple[str, int, int], CallSite]:
    """(path, line, column) -> CallSite, to name a finding's call independently of its line
    (only the files in `paths`, when given)."""
    return {
        (f.path, c.line, c.column): c
        for f in project.files
        if paths is None or f.path in paths
        for c in f.facts.calls
    }


def finding_identity(f: Finding, calls: Mapping[tuple[str, int, int], CallSite] | None = None) -> str:
    """What a finding is about, without line numbers: stable while unrelated code moves it.

    A call: (target, enclosing scope, the call's text without whitespace). A redefinition: the
    function and both signatures. A parse error: its message.
    """
    if f.code is Code.CG000:
        return _squash(f.message)
    if f.code is Code.CG201:
        return f"{f.target}\0{_squash(f.message)}"
    call = calls.get((f.path, f.line, f.column)) if calls else None
    if call is None:
        return f"{f.target}\0{_squash(f.message)}"
    return f"{f.target}\0{call.scope}\0{_squash(call.callee_text + call.args_text)}"


# -- selection -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A finding the run reports, with its identity, and whether a comment suppresses it."""

    finding: Finding  # paths as the analysis named them
    identity: str
    suppressed: bool


def _suppressed(f: Finding, table: SuppressionTable, used: UsedSuppressions | None = None) -> bool:
    """A comment on the finding's line names no code (all) or a prefix of its code; each such
    comment is recorded in `used`, for CG900."""
    hit = False
    for codes in table.get(f.path, {}).get(f.line, ()):
        if not codes or any(f.code.value.startswith(c) for c in codes):
            hit = True
            if used is not None:
                used.add((f.path, f.line, codes))
    return hit


def unused_suppressions(table: SuppressionTable, used: UsedSuppressions) -> list[Finding]:
    """CG900 for each suppression comment that silenced nothing."""
    out = []
    for path, lines in table.items():
        for line, entries in lines.items():
            for codes in entries:
                if (path, line, codes) not in used:
                    named = f"[{', '.join(codes)}]" if codes else ""
                    out.append(Finding(Code.CG900, path, line, 1, f"unused suppression: callgraph: ignore{named} silences nothing here"))
    return out


def select_findings(
    project: Project,
    reports: Callable[[str, str], bool],
    base: Path,
    focus: set[str] | None,
    warn_unused: bool = False,
) -> list[Reported]:
    """Focus (files passed), then `reports(code, absolute path)` (select/ignore/per-file-ignores:
    `Config.reports`), then suppression comments.

    `base`: the directory finding paths are relative to; `focus`: real paths of the given files,
    whose findings (calls in them, or calls whose target is defined in them) are the only ones
    kept, None for all; `warn_unused`: add CG900 for comments that silence nothing."""
    findings = project.findings()
    # Only the files with findings matter (all of them for CG900): the rest may stay undecoded.
    wanted = None if warn_unused else {f.path for f in findings}
    table: SuppressionTable = {}
    for sf in project.files:
        if wanted is None or sf.path in wanted:
            for line, codes in sf.facts.suppressions:
                table.setdefault(sf.path, {}).setdefault(line, []).append(codes)
    calls = call_index(project, wanted)
    used: UsedSuppressions = set()
    out = []
    for f in findings:
        abs_path = os.path.realpath(base / f.path)
        if focus is not None:
            involved = abs_path in focus or (
                f.definition is not None and os.path.realpath(base / f.definition.path) in focus
            )
            if not involved:
                continue
        if not reports(f.code.value, abs_path):
            continue
        out.append(Reported(f, finding_identity(f, calls), _suppressed(f, table, used)))
    if warn_unused:
        for f in unused_suppressions(table, used):
            abs_path = os.path.realpath(base / f.path)
            if (focus is None or abs_path in focus) and reports(f.code.value, abs_path):
                out.append(Reported(f, finding_identity(f, calls), False))
    return out
