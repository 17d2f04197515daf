"""What an editor shows, without any editor protocol: findings per file for a workspace whose open
buffers overlay the working tree, the call under a cursor, and the certain fixes `callgraph fix` makes.

`callgraph lsp` (commands/lsp.py) speaks the Language Server Protocol; this module holds the
analysis it asks for, so the logic is tested without a client and the protocol glue stays thin.

A buffer is a source with new bytes: `analyze_sources` looks its facts up by content, and the
incremental engine (`store/`) reuses every other file's facts and the findings that provably still
hold, so an edit to one `def` re-checks the callers of it in other files and little else."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis.project import Project
from ..analysis.selection import select_findings
from ..config import Config, resolve_config
from ..errors import InputError
from ..analysis.fix import Edit, apply_edits
from ..facts.findings import Finding, FixKind, Suggestion
from ..pipeline import analyze_sources, environment_options
from ..resolve.calls import ResolvedCall, resolve_calls
from .escape import md_code, md_text
from ..snapshots.tree import discover, read_sources

if TYPE_CHECKING:
    from ..store.cache import FactsCache, NullCache

_CALLEE = re.compile(r"[\w.]+")


@dataclass(frozen=True, slots=True)
class Hover:
    """The call under a cursor and what it binds to: one line per possible definition."""

    callee: str
    definitions: tuple[tuple[str, str, int, str], ...]  # (qualified name, path, line, signature)
    complete: bool  # False: some possible target is unknown (outside the analysed code)

    def markdown(self) -> str:
        if not self.definitions:
            return f"{md_code(self.callee + '(...)')}: target unknown to callgraph"
        lines = []
        for name, path, line, sig in self.definitions:
            code = f"def {name.rsplit('.', 1)[-1]}{sig}"
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code)), default=0))  # no early close
            lines.append(f"{fence}python\n{code}\n{fence}\n{md_code(name)} at {md_text(path)}:{line}")
        if not self.complete:
            lines.append("(other targets are possible and unknown)")
        return "\n\n".join(lines)


@dataclass(frozen=True, slots=True)
class CodeFix:
    """A finding's certain suggestion as one text edit: the characters from (line, column) up to
    (end_line, end_column), 1-based and end exclusive, become `new_text`."""

    finding: Finding
    title: str
    line: int
    column: int
    end_line: int
    end_column: int
    new_text: str


def fix_title(s: Suggestion) -> str:
    """The code action's title: what the edit does to the call."""
    if s.kind is FixKind.RENAME_KEYWORD:
        return f"Rename keyword '{s.keywords[0]}' to '{s.replacement}'"
    return f"Pass {', '.join(repr(k) for k in s.keywords)} by position"


def code_fix(finding: Finding, text: str) -> CodeFix | None:
    """The edit `callgraph fix` would make for this finding, on the buffer's `text`: its certain
    suggestion applied by the same codemod (`analysis.fix`), narrowed to the characters that
    change (whole names: `widht` -> `width`, not `ht` -> `th`); None when there is no certain
    suggestion or the buffer no longer says what the finding saw."""
    s = finding.suggestion
    if s is None or not s.certain:
        return None
    try:
        result = apply_edits(text.encode("utf-8"), [Edit(finding.line, finding.column, s)])
        new = result.data.decode("utf-8")
    except UnicodeError:  # a coding cookie that is not UTF-8: the buffer is text, the codemod read bytes
        return None
    if not result.applied or new == text:
        return None
    start = 0
    while start < min(len(text), len(new)) and text[start] == new[start]:
        start += 1
    end_old, end_new = len(text), len(new)
    while end_old > start and end_new > start and text[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    while start > 0 and _word(text[start - 1]) and (start < end_old and _word(text[start]) or start == end_old):
        start -= 1
    while end_old < len(text) and _word(text[end_old]) and end_old > start and _word(text[end_old - 1]):
        end_old, end_new = end_old + 1, end_new + 1
    line, column = _position(text, start)
    end_line, end_column = _position(text, end_old)
    return CodeFix(finding, fix_title(s), line, column, end_line, end_column, new[start:end_new])


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), 1-based, of a character offset; lines end at \n as the editor counts them."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


class EditorWorkspace:
    """One workspace folder: its configuration, and the latest analysis of it with overlays."""

    def __init__(self, root: str | Path, cache: FactsCache | NullCache | None = None, max_file_size: int | None = None,
                 jobs: int | None = 1) -> None:
        self.root = Path(root).resolve()
        self.cache = cache
        self.max_file_size = max_file_size
        self.jobs = jobs
        self.config: Config = Config(base=self.root)
        self.project: Project | None = None
        self.skipped: list[str] = []  # the last analysis's notes: files and buffers over max_file_size

    def reload_config(self) -> str | None:
        """Read `[tool.callgraph]` (at start, and after pyproject.toml is saved). A broken one is
        the error's text, and the defaults apply meanwhile: the editor keeps its diagnostics."""
        try:
            self.config = resolve_config(self.root)
        except InputError as exc:
            self.config = Config(base=self.root)
            return str(exc)
        return None

    def analyse(self, overlays: Mapping[str, str]) -> dict[str, list[Finding]]:
        """Findings per absolute file path (every analysed file, an empty list for a clean one);
        `overlays` maps absolute paths to the text of unsaved buffers, used instead of the disk's."""
        cfg = self.config
        for r in cfg.roots:
            if not r.is_dir():
                raise InputError(f"roots ({cfg.origins['roots']}): {r}: not a directory")
        found = [(Path(os.path.abspath(p)), m, pkg) for p, m, pkg in discover([self.root], cfg.roots)
                 if cfg.selects_file(p)]
        wanted = {os.path.realpath(k): v for k, v in overlays.items()}
        on_disk = [f for f in found if os.path.realpath(f[0]) not in wanted]
        read, errors = read_sources(on_disk, self.max_file_size, within=[self.root])
        self.skipped = [f"{e.path}: {e.message}" for e in errors if "file size limit" in e.message]
        limit = self.max_file_size
        for path, text in list(wanted.items()):  # an open buffer: the same bound as a file on disk
            size = len(text.encode("utf-8", "surrogatepass"))
            if limit and size > limit:
                self.skipped.append(f"{path}: open buffer skipped: {size} bytes, over the {limit}-byte file size limit")
                del wanted[path]
        by_path = {os.path.realpath(Path(p).resolve()): (m, pkg, data) for p, m, pkg, data in read}
        sources = []
        for path, module, pkg in found:
            real = os.path.realpath(path)
            if real in wanted:
                sources.append((real, module, pkg, wanted[real].encode("utf-8", "surrogatepass")))
            elif real in by_path:
                sources.append((real, module, pkg, by_path[real][2]))
        project = analyze_sources(
            sources, preserving=cfg.preserving, mutators=cfg.mutators, cache=self.cache, jobs=self.jobs,
            **environment_options(cfg),
        )
        self.project = project
        out: dict[str, list[Finding]] = {path: [] for path, _, _, _ in sources}
        for r in select_findings(project, cfg.reports, self.root, None):
            if not r.suppressed:
                out.setdefault(r.finding.path, []).append(r.finding)
        for findings in out.values():
            findings.sort(key=lambda f: f.sort_key)
        return out

    # -- what is under the cursor -------------------------------------------------------------------

    def calls_in(self, path: str) -> list[ResolvedCall]:
        """The resolved calls of one analysed file (absolute path), in source order."""
        if self.project is None:
            return []
        real = os.path.realpath(path)
        files = [f for f in self.project.files if f.path == real]
        if not files:
            return []
        return resolve_calls(self.project.resolver, files)

    def call_at(self, path: str, line: int, column: int, text: str) -> ResolvedCall | None:
        """The call whose callee covers (line, column), both 1-based, in `text` (the buffer): the
        innermost, i.e. the latest starting one."""
        lines = text.splitlines()
        best = None
        for rc in self.calls_in(path):
            if rc.call.line != line or rc.call.column > column:
                continue
            end = rc.call.column + len(callee_span(lines, rc.call.line, rc.call.column))
            if column <= end and (best is None or rc.call.column >= best.call.column):
                best = rc
        return best

    def hover(self, path: str, line: int, column: int, text: str) -> Hover | None:
        rc = self.call_at(path, line, column, text)
        if rc is None or self.project is None:
            return None
        defs = []
        for t in rc.resolution.targets:
            if t.signature is None:
                continue
            where, at = self._where(t.module), (t.function.line if t.function else t.cls.line if t.cls else 0)
            defs.append((t.full_name, where, at, t.signature.render()))
        return Hover(rc.call.callee_text, tuple(defs), rc.resolution.complete)

    def _where(self, module: str) -> str:
        try:
            return self.project.index.path_of(module) if self.project is not None else module
        except (KeyError, LookupError):
            return module

def callee_span(lines: list[str], line: int, column: int) -> str:
    """The dotted name written at (line, column), 1-based: what a diagnostic underlines."""
    if not 0 < line <= len(lines):
        return ""
    m = _CALLEE.match(lines[line - 1], max(column - 1, 0))
    return m.group(0) if m else ""
