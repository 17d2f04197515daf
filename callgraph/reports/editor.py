"""What an editor shows, without any editor protocol: findings per file for a workspace whose open
buffers overlay the working tree, the call under a cursor, and certain keyword fixes.

`callgraph lsp` (commands/lsp.py) speaks the Language Server Protocol; this module holds the
analysis it asks for, so the logic is tested without a client and the protocol glue stays thin.

A buffer is a source with new bytes: `analyze_sources` looks its facts up by content, and the
incremental engine (`store/`) reuses every other file's facts and the findings that provably still
hold, so an edit to one `def` re-checks the callers of it in other files and little else."""

from __future__ import annotations

import difflib
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
from ..facts.findings import Code, Finding
from ..facts.model import ParamKind
from ..pipeline import analyze_sources, environment_options
from ..resolve.calls import ResolvedCall, resolve_calls
from .escape import md_code, md_text
from ..snapshots.tree import discover, read_sources

if TYPE_CHECKING:
    from ..store.cache import FactsCache, NullCache

_KEYWORD = re.compile(r"got an unexpected keyword argument '([A-Za-z_]\w*)'")
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
class KeywordFix:
    """Rename one keyword argument: the finding, and where in its file the old name is."""

    finding: Finding
    old: str
    new: str
    line: int  # 1-based
    column: int  # 1-based, in characters, of the old name


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

    # -- certain fixes ------------------------------------------------------------------------------

    def keyword_fix(self, finding: Finding, text: str) -> KeywordFix | None:
        """For an unexpected keyword (CG103): the one parameter name every target accepts that is
        a close match, and where the keyword is written; None unless that is certain."""
        m = _KEYWORD.search(finding.message)
        if finding.code is not Code.CG103 or m is None:
            return None
        old = m.group(1)
        rc = next((c for c in self.calls_in(finding.path)
                   if c.call.line == finding.line and c.call.column == finding.column), None)
        if rc is None or not rc.resolution.complete or not rc.resolution.targets:
            return None
        choices: set[str] = set()
        for t in rc.resolution.targets:
            if t.signature is None:
                return None
            names = [p.name for p in t.signature.params
                     if p.kind in (ParamKind.POSITIONAL_OR_KEYWORD, ParamKind.KEYWORD_ONLY)]
            if old in names:
                return None
            close = difflib.get_close_matches(old, names, n=2, cutoff=0.75)
            if len(close) != 1:
                return None
            choices.add(close[0])
        if len(choices) != 1:
            return None
        new = choices.pop()
        if new in (k for k, _ in rc.call.args if k):
            return None  # already passed: renaming would pass it twice
        at = keyword_position(text, finding.line, finding.column, old)
        return None if at is None else KeywordFix(finding, old, new, at[0], at[1])


def callee_span(lines: list[str], line: int, column: int) -> str:
    """The dotted name written at (line, column), 1-based: what a diagnostic underlines."""
    if not 0 < line <= len(lines):
        return ""
    m = _CALLEE.match(lines[line - 1], max(column - 1, 0))
    return m.group(0) if m else ""


def keyword_position(text: str, line: int, column: int, name: str) -> tuple[int, int] | None:
    """Where `name=` is first written at or after (line, column): (line, column), 1-based."""
    lines = text.splitlines(keepends=True)
    if not 0 < line <= len(lines):
        return None
    offset = sum(len(x) for x in lines[: line - 1]) + column - 1
    m = re.compile(rf"(?<![\w.]){re.escape(name)}\s*=(?!=)").search(text, offset)
    if m is None:
        return None
    before = text[: m.start()]
    at_line = before.count("\n") + 1
    return at_line, m.start() - (before.rfind("\n") + 1) + 1
