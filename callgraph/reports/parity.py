"""`callgraph parity`: the investigation report for "it passes here and fails there".

A pure model over two analyses (the local copy and the copy a remote interpreter runs, as
`probes` fetched it) plus the facts gathered about both: file hashes, what each interpreter would
import, git provenance of the remote copies. `build_report` assembles a `ParityReport`;
`render_markdown` and `report_dict` print it. Nothing here reads files or runs anything.

Sections: 1 executive summary (at most 10 lines, the root cause when the evidence shows one),
2 file integrity, 3 signature drift in the files that differ, 4 findings only remotely / only
locally / on both sides, 5 per module the file each interpreter would import, 6 per symbol the
definitions and call sites on both sides, then the environments (`reports.parity_environment`:
interpreters, distributions that differ, calls that bind here and fail there), 7 the commands
that reproduce each section.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from . import parity_environment, parity_mechanisms, parity_unseen
from .tables import DEFAULT_WIDTH, Labels, fit_lines, fit_table
from ..version import __version__
from .diff import SignatureChange, bound_definitions, compare_findings, signature_changes
from ..facts.findings import Finding
from ..analysis.project import Project
from .escape import md_cell, md_code, printable
from .render import finding_dict
from .words import count

if TYPE_CHECKING:
    from .environment_drift import EnvironmentDrift

LABEL_OVER = 40  # characters: a longer spec is named `remote` / `local` once at the top

SAME, DIFFERS, MISSING, EXTRA = "same", "differs", "missing remotely", "extra remotely"
SUMMARY_LINES = 10


@dataclass(frozen=True)
class FileFacts:
    """One file as one side has it."""

    sha256: str
    size: int
    origin: str = ""  # where it lives (remote: the absolute path the interpreter reads)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which local git refs hold exactly the remote copy's bytes (tags first)."""

    blob: str  # the git blob id of the remote copy
    refs: tuple[str, ...] = ()
    commit: str = ""  # the last commit on refs[0] that changed the file
    subject: str = ""
    path: str = ""  # where refs[0] holds the blob, when not at the remote copy's own path

    @property
    def where(self) -> str:
        """`the blob of `shop/pricing.py` at `v0.1`` when the blob sits under another path."""
        return f"the blob of {md_code(self.path)} at {md_code(self.refs[0])}" if self.path and self.refs else ""

    @property
    def text(self) -> str:
        if not self.refs:
            return f"git blob {self.blob[:12]}, on no local branch or tag"
        more = f" (also {', '.join(md_code(r) for r in self.refs[1:4])})" if len(self.refs) > 1 else ""
        if self.path:
            return (f"git blob {self.blob[:12]}, {self.where}{more}, last changed in {md_cell(self.commit)} "
                    f"\"{md_cell(self.subject)}\"")
        return (f"git blob {self.blob[:12]}, the version on {md_code(self.refs[0])}{more}, last changed in "
                f"{md_cell(self.commit)} \"{md_cell(self.subject)}\"")


@dataclass(frozen=True)
class FileRow:
    path: str
    local: FileFacts | None
    remote: FileFacts | None
    status: str  # same | differs | missing remotely | extra remotely
    note: str = ""  # shadowing, upload state
    provenance: str = ""  # which git ref holds the remote copy
    difference: str = ""  # differs only in: "line endings" | "whitespace" | "comments and whitespace"
    provenance_detail: Provenance | None = None


@dataclass(frozen=True, slots=True)
class OverlayRow:
    """A top-level name the remote interpreter imports from outside the upload."""

    name: str
    prefix: str  # where the name lives in the snapshot ("osiris/", "tool.py")
    remote: str  # the directory or file imported instead
    index: int | None  # its sys.path entry
    entry_origin: str = ""  # how that entry got there (site-packages, PYTHONPATH, .pth: FILE)
    upload: str | None = None  # the upload's copy (absolute), None when the upload holds none
    upload_index: int | None = None  # the upload copy's sys.path entry, when on sys.path
    upload_origin: str = ""
    from_root: bool = False  # started from the root (`python -m`) the upload would be imported
    distribution: str = ""  # the installed distribution providing it: "osiris 0.4.0"


@dataclass(frozen=True)
class Place:
    """Where one interpreter would import a module from (no import made)."""

    status: str  # found | not found | unknown
    file: str | None = None
    kind: str | None = None
    sha256: str | None = None
    index: int | None = None  # sys.path entry
    entry_origin: str = ""  # how that sys.path entry got there (PYTHONPATH, .pth: FILE, ...)
    shadowed: tuple[str, ...] = ()
    path: str | None = None  # the matching snapshot path, when the file is inside the analysed tree
    note: str = ""

    def details(self) -> list[str]:
        """What the file name alone does not say: the sys.path entry, an unusual kind, the note."""
        extra = []
        if self.index is not None:
            extra.append(f"sys.path[{self.index}]" + (f", {self.entry_origin}" if self.entry_origin else ""))
        if self.kind and self.kind not in ("module", "package"):
            extra.append(self.kind)
        if self.note:
            extra.append(self.note)
        return extra


@dataclass(frozen=True)
class ModuleRow:
    module: str
    local: Place
    remote: Place
    remote_from_root: Place | None  # when `python -m` from the root would import another file
    verdict: str


@dataclass
class SymbolSide:
    found: bool
    symbol: str = ""
    definitions: list = field(default_factory=list)  # query.Definition
    calls: list = field(default_factory=list)  # query.CallRow
    error: str = ""


@dataclass
class SymbolReport:
    symbol: str
    local: SymbolSide
    remote: SymbolSide


@dataclass
class ParityReport:
    local_label: str
    remote_label: str
    local_python: str
    remote_python: str
    summary: list[str]
    files: list[FileRow]
    drift: list[SignatureChange]
    remote_only: list[Finding]
    local_only: list[Finding]
    both: list[Finding]
    modules: list[ModuleRow]
    symbols: list[SymbolReport]
    commands: list[tuple[str, str]]  # (section, command)
    remote_sys_path: list[dict] = field(default_factory=list)
    remote_cwd: str | None = None
    notes: list[str] = field(default_factory=list)
    environment: EnvironmentDrift | None = None  # interpreters, distributions, calls (reports.environment_drift)
    mechanisms: list = field(default_factory=list)  # probes.effective_imports.ImportChange (reports.parity_mechanisms)
    overlays: list[OverlayRow] = field(default_factory=list)
    installed: list[tuple[str, str]] = field(default_factory=list)  # (path, distribution): not project files
    parameters: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # drift: compact (local, remote)
    qualnames: dict[str, str] = field(default_factory=dict)  # drift symbol -> name within its module
    causes: list = field(default_factory=list)  # parity_causes.Statement: the summary as data
    plan: list = field(default_factory=list)  # the fix plan
    guards: list = field(default_factory=list)  # tests to prevent recurrence
    unseen: list = field(default_factory=list)  # parity_unseen.Unseen: where the remote may run bytes not analysed

    @property
    def drifted(self) -> bool:
        return any(r.status != SAME for r in self.files) or any(m.verdict != SAME for m in self.modules
                                                                if m.remote.status == "found")

    @property
    def exit_code(self) -> int:
        """0: no drift and no finding only remotely; 1: findings only remotely, or drift."""
        return 1 if self.remote_only or self.drifted else 0


# -- building ------------------------------------------------------------------------------------


def file_rows(local: dict[str, FileFacts], remote: dict[str, FileFacts], notes: dict[str, str],
              provenance: dict[str, str | Provenance], differences: dict[str, str] | None = None) -> list[FileRow]:
    rows = []
    for path in sorted(local.keys() | remote.keys()):
        a, b = local.get(path), remote.get(path)
        if a and b:
            status = SAME if (a.sha256, a.size) == (b.sha256, b.size) else DIFFERS
        else:
            status = MISSING if a else EXTRA
        p = provenance.get(path, "")
        detail = p if isinstance(p, Provenance) else None
        rows.append(FileRow(path, a, b, status, notes.get(path, ""), detail.text if detail else p,
                            (differences or {}).get(path, "") if status == DIFFERS else "", detail))
    return rows


def _module_of(project: Project) -> dict[str, str]:
    return {f.path: f.module for f in project.files}


def _compact(project: Project, symbol: str) -> str | None:
    """The bound definition's parameters without annotations: `(self, conn, sql)`."""
    bound = bound_definitions(project).get(symbol)
    return replace(bound[1].signature, text="").render() if bound else None


def _qual(symbol: str, path: str, modules: dict[str, str]) -> str:
    module = modules.get(path, "")
    return symbol[len(module) + 1 :] if module and symbol.startswith(module + ".") else symbol


def build_report(
    *,
    local_label: str,
    remote_label: str,
    local_project: Project,
    remote_project: Project,
    local_files: dict[str, FileFacts],
    remote_files: dict[str, FileFacts],
    file_notes: dict[str, str] = None,
    provenance: dict[str, str] = None,
    modules: list[ModuleRow] = (),
    symbols: list[SymbolReport] = (),
    commands: list[tuple[str, str]] = (),
    local_python: str = "",
    remote_python: str = "",
    remote_sys_path: list[dict] = (),
    remote_cwd: str | None = None,
    notes: list[str] = (),
    environment: EnvironmentDrift | None = None,
    overlays: list[OverlayRow] = (),
    installed: dict[str, str] | None = None,
    differences: dict[str, str] | None = None,
    mechanisms: list[tuple[str, str, tuple[str, ...]]] = (),
    import_changes: list = (),
    unseen: list = (),
) -> ParityReport:
    """`installed`: remote paths that belong to an installed distribution (path -> "name version"),
    reported apart from the project's files; `differences`: per differing path, "whitespace" and
    the like when the tokens are the same (`parity_diagnosis.code_difference`); `mechanisms`: further
    causes, (kind, sentence, JSON pointers); `import_changes`: the import model's rows
    (`probes.effective_imports.ImportChange`), each in the JSON report and a cause in the summary."""
    installed = installed or {}
    remote_files = {p: f for p, f in remote_files.items() if p not in installed or p in local_files}
    files = file_rows(local_files, remote_files, file_notes or {}, provenance or {}, differences)
    differing = {r.path for r in files if r.status != SAME}
    drift = [c for c in signature_changes(local_project, remote_project) if c.path in differing]
    local_findings, remote_findings = local_project.findings(), remote_project.findings()
    remote_only, local_only, _ = compare_findings(local_findings, remote_findings)
    only = {id(f) for f in remote_only}
    both = [f for f in remote_findings if id(f) not in only]
    report = ParityReport(
        local_label, remote_label, local_python, remote_python, [], files, drift, remote_only, local_only, both,
        list(modules), list(symbols), list(commands), list(remote_sys_path), remote_cwd, list(notes), environment,
        list(import_changes), list(overlays), sorted((p, d) for p, d in installed.items() if p not in local_files),
    )
    report.unseen = list(unseen)
    # the import model's causes (probes.effective_imports), each backed by its row of the JSON report
    causes = [(kind, sentence, (f"/{parity_mechanisms.FIELD}/{pointer.split('[')[1].rstrip(']')}",))
              for kind, sentence, pointer in parity_mechanisms.sentences(report.mechanisms, report.remote_only)]
    report.summary = summarise(report, local_project, remote_project, list(mechanisms) + causes)
    return report


def summarise(r: ParityReport, local: Project, remote: Project,
              mechanisms: list[tuple[str, str, tuple[str, ...]]] = ()) -> list[str]:
    """At most 10 lines, the root cause first, each made from a `parity_causes.Statement` whose
    fields point into the JSON report; also sets the report's causes, fix plan and guards."""
    from .parity_causes import render as sentence
    from .parity_diagnosis import diagnose

    remote_modules, local_modules = _module_of(remote), _module_of(local)
    for c in r.drift:
        r.parameters[c.symbol] = (_compact(local, c.symbol) or c.old, _compact(remote, c.symbol) or c.new)
        r.qualnames[c.symbol] = _qual(c.symbol, c.path, remote_modules if c.new else local_modules)
    r.causes, r.plan, r.guards = diagnose(r, mechanisms)
    return [sentence(c) for c in r.causes][:SUMMARY_LINES]


# -- rendering -----------------------------------------------------------------------------------


def _short(sha: str | None) -> str:
    return sha[:16] if sha else ""


def _loc(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.column}"


def _code(text: str | None) -> str:
    return md_code(text) if text else ""


def _cell(text: object) -> str:
    return md_cell(text)


def _place(p: Place) -> str:
    if p.status != "found":
        return _cell(p.note or p.status)
    where = p.file or p.kind or ""
    extra = p.details()
    return _code(where) + (f" ({_cell('; '.join(extra))})" if extra else "")


def labels_of(r: ParityReport) -> Labels:
    """Short names for the long specs: `remote` (and `"$REMOTE"` where a command quotes it)."""
    labels = Labels()
    for spec, name in ((r.remote_label, "remote"), (r.local_label, "local")):
        if len(spec) > LABEL_OVER:
            labels.add(shlex.quote(spec), f'"${name.upper()}"')
            labels.add(spec, name)
    return labels


def _label_block(r: ParityReport, labels: Labels, width: int | None) -> list[str]:
    """Each label defined once, as a shell assignment the reproduce commands can use; with a
    `width`, split into quoted pieces joined by backslash-newline (still one shell word)."""
    lines = []
    for spec, name in ((r.local_label, "local"), (r.remote_label, "remote")):
        if labels.names.get(spec) != name:
            continue
        lines.append(f"- `{name}` (`${name.upper()}` in the commands below):")
        if width is None:
            lines += ["", f"      {name.upper()}={shlex.quote(spec)}"]
            continue
        step = max(width - len(name) - 6, 20)  # NAME='piece'\ fits
        pieces = [shlex.quote(spec[i : i + step]) for i in range(0, len(spec), step)]
        lines += ["", f"{name.upper()}=" + "\\\n".join(pieces)]
    return lines + [""] if lines else []


def render_markdown(r: ParityReport, *, fmt: str = "markdown", width: int = DEFAULT_WIDTH) -> str:
    """The report in markdown, or in "text" with every table and line fitted to `width` columns."""
    labels = labels_of(r)
    t = lambda rows, headers: fit_table(rows, headers, fmt=fmt, width=width, labels=labels)  # noqa: E731
    out = [f"# callgraph parity: {_code(r.local_label)} (local) vs {_code(r.remote_label)} (remote)", ""]
    defined = _label_block(r, labels, width if fmt == "text" else None)
    out += ["## 1. Executive summary", ""]
    out += [f"- {printable(line)}" for line in r.summary]
    out.append("")

    out += [f"## 2. File integrity ({count(len(r.files), 'file')}; sha256 shown to 16 hex digits, all 64 in --format json)", ""]
    if r.files:
        rows = []
        for row in r.files:
            rows.append([
                _code(row.path),
                _short(row.local.sha256) if row.local else "",
                row.local.size if row.local else "",
                _short(row.remote.sha256) if row.remote else "",
                row.remote.size if row.remote else "",
                f"**{_cell(row.status)}**" if row.status != SAME else row.status,
                _cell("; ".join(x for x in (row.note, row.provenance) if x)),
            ])
        out.append(t(rows, ["path", "local sha256", "local size", "remote sha256", "remote size", "status", "notes"]))
    else:
        out.append("No Python files on either side.")
    out.append("")

    out += [f"## 3. Signature drift in the files that differ ({len(r.drift)})", ""]
    if r.drift:
        rows = [[_code(c.symbol), c.status.value, _code(c.old), _code(c.new), _cell("; ".join(c.details)),
                 _cell(f"{c.path}:{c.line}")] for c in r.drift]
        out.append(t(rows, ["symbol", "status", "local", "remote", "what changed", "where"]))
    else:
        out.append("No signature differs.")
    out.append("")

    out += [f"## 4. Findings: {len(r.remote_only)} only remotely, {len(r.local_only)} only locally, "
            f"{len(r.both)} on both sides", ""]
    rows = [[side, _code(_loc(f)), f.code.value, _cell(f.message), _code(f.target)]
            for side, items in (("only remotely", r.remote_only), ("only locally", r.local_only), ("both", r.both))
            for f in items]
    out.append(t(rows, ["where", "call", "code", "CPython says", "target"]) if rows else "No findings on either side.")
    out.append("")

    out += ["## 5. What each interpreter would import", ""]
    if r.modules:
        rows = []
        for m in r.modules:
            rows.append([
                _code(m.module), _place(m.local), _short(m.local.sha256), _place(m.remote), _short(m.remote.sha256),
                _place(m.remote_from_root) if m.remote_from_root else "same", _cell(m.verdict),
            ])
        out.append(t(rows, ["module", "local imports", "local sha256", "remote imports", "remote sha256",
                            "remote, started from the root", "verdict"]))
    else:
        out.append("No --module given.")
    if r.mechanisms:
        out += ["", "Why the remote runs other bytes:", ""]
        out += [f"- {sentence}" for _, sentence, _ in parity_mechanisms.sentences(r.mechanisms, r.remote_only)]
    if r.remote_sys_path:
        out += ["", f"Remote sys.path (cwd {_code(r.remote_cwd or '?')}):", ""]
        out.append(t([[row["index"], _code(row["entry"] or "''"), _cell(row.get("origin", "")), _cell(row.get("kind", ""))]
                      for row in r.remote_sys_path], ["#", "entry", "from", "kind"]))
    out.append("")

    out += ["## 6. Symbols", ""]
    if not r.symbols:
        out.append("No --symbol given.")
    for s in r.symbols:
        out += [f"### {_code(s.symbol)}", ""]
        for side_name, side in (("local", s.local), ("remote", s.remote)):
            if not side.found:
                out += [f"**{side_name}**: {_cell(side.error)}", ""]
                continue
            out += [f"**{side_name}**: {len(side.definitions)} definition{'s' if len(side.definitions) != 1 else ''}", ""]
            out.append(t([[_cell(f"{d.path}:{d.line}"), _code(d.qualname), _code(d.signature), d.role,
                           _cell(d.runtime + (f" ({d.note})" if d.note else ""))] for d in side.definitions],
                         ["defined at", "qualname", "signature", "role", "bound at runtime"]))
            out.append("")
            if side.calls:
                out.append(t([[_cell(f"{c.path}:{c.line}"), _code(c.caller), _code(c.callee + c.arguments), c.target_line,
                               _cell(_verdict(c))] for c in side.calls],
                             ["call site", "caller", "call", "target line", "verdict"]))
            else:
                out.append("(no call site resolves to it)")
            out.append("")

    out += parity_environment.render_markdown(r.environment, table=t if fmt == "text" else None)
    if r.installed:
        out += [f"## Installed files ({len(r.installed)}: installed distributions', not the project's)", ""]
        out.append(t([[_code(p), _cell(d)] for p, d in r.installed], ["path", "distribution"]))
        out.append("")
    out += ["## 7. Reproduce", ""]
    out.append(t([[section, _code(cmd)] for section, cmd in r.commands], ["section", "command"]))
    if r.notes:
        out += ["", "Notes:", ""] + [f"- {_cell(n)}" for n in r.notes]
    out += _plan_markdown(r)
    text = "\n".join([labels.apply(out[0]), "", *defined, labels.apply("\n".join(out[2:]))]).rstrip() + "\n"
    return fit_lines(text, width) if fmt == "text" else text


def _plan_markdown(r: ParityReport) -> list[str]:
    """The report's last sections: the fix plan, then the tests that keep it fixed."""
    from .parity_causes import render as sentence

    out = ["", "## 8. Fix plan", ""]
    out += [f"{n}. {printable(sentence(s))}" for n, s in enumerate(r.plan, 1)] or ["Nothing to fix."]
    out += ["", "Tests to prevent recurrence:", ""]
    out += [f"{n}. {printable(sentence(s))}" for n, s in enumerate(r.guards, 1)]
    return out


def _verdict(c) -> str:
    if c.verdict == "binds":
        return "binds"
    if c.verdict == "error":
        return "TypeError: " + _cell(c.message)
    return "unknown"


def report_dict(r: ParityReport) -> dict:
    def facts(f: FileFacts | None):
        return {"sha256": f.sha256, "size": f.size, "origin": f.origin or None} if f else None

    def place(p: Place | None):
        if p is None:
            return None
        return {"status": p.status, "file": p.file, "kind": p.kind, "sha256": p.sha256, "sys_path_index": p.index,
                "entry_origin": p.entry_origin or None, "shadowed": list(p.shadowed), "path": p.path,
                "note": p.note or None}

    def provenance(p: Provenance | None):
        return {"blob": p.blob, "refs": list(p.refs), "commit": p.commit or None, "subject": p.subject or None,
                "path": p.path or None} if p else None

    def side(s: SymbolSide):
        return {
            "found": s.found, "symbol": s.symbol or None, "error": s.error or None,
            "definitions": [{"name": d.name, "path": d.path, "line": d.line, "signature": d.signature,
                             "role": d.role, "bound_at_runtime": d.runtime, "note": d.note} for d in s.definitions],
            "calls": [{"path": c.path, "line": c.line, "column": c.column, "caller": c.caller, "callee": c.callee,
                       "arguments": c.arguments, "target": c.target, "target_line": c.target_line,
                       "verdict": c.verdict, "message": c.message or None} for c in s.calls],
        }

    return {
        "tool": {"name": "callgraph", "version": __version__},
        "local": r.local_label,
        "remote": r.remote_label,
        "exit_code": r.exit_code,
        "summary": r.summary,
        "interpreters": {"local": r.local_python or None, "remote": r.remote_python or None},
        "causes": [s.as_dict() for s in r.causes],
        "files": [{"path": row.path, "status": row.status, "local": facts(row.local), "remote": facts(row.remote),
                   "note": row.note or None, "provenance": row.provenance or None,
                   "difference": row.difference or None, "provenance_detail": provenance(row.provenance_detail)}
                  for row in r.files],
        "installed": [{"path": p, "distribution": d} for p, d in r.installed],
        "overlays": [{"name": o.name, "prefix": o.prefix, "remote": o.remote, "sys_path_index": o.index,
                      "entry_origin": o.entry_origin or None, "upload": o.upload, "upload_index": o.upload_index,
                      "upload_origin": o.upload_origin or None, "from_root": o.from_root,
                      "distribution": o.distribution or None} for o in r.overlays],
        "signature_drift": [{"symbol": c.symbol, "status": c.status.value, "local": c.old, "remote": c.new,
                             "changes": list(c.details), "path": c.path, "line": c.line,
                             "local_parameters": r.parameters.get(c.symbol, (None, None))[0],
                             "remote_parameters": r.parameters.get(c.symbol, (None, None))[1]} for c in r.drift],
        "findings": {
            "only_remote": [finding_dict(f) for f in r.remote_only],
            "only_local": [finding_dict(f) for f in r.local_only],
            "both": [finding_dict(f) for f in r.both],
        },
        "modules": [{"module": m.module, "local": place(m.local), "remote": place(m.remote),
                     "remote_from_root": place(m.remote_from_root), "verdict": m.verdict} for m in r.modules],
        "remote_sys_path": r.remote_sys_path,
        "remote_cwd": r.remote_cwd,
        "symbols": [{"symbol": s.symbol, "local": side(s.local), "remote": side(s.remote)} for s in r.symbols],
        "commands": [{"section": s, "command": c} for s, c in r.commands],
        "notes": r.notes,
        "environments": parity_environment.report_dict(r.environment),
        parity_mechanisms.FIELD: [parity_mechanisms.change_dict(c) for c in r.mechanisms],
        parity_unseen.FIELD: [parity_unseen.row_dict(u) for u in r.unseen],
        "fix_plan": [s.as_dict() for s in r.plan],
        "recurrence_tests": [s.as_dict() for s in r.guards],
    }


def render(r: ParityReport, fmt: str, *, width: int = DEFAULT_WIDTH) -> str:
    """`fmt`: "json", "markdown", or "text" (tables and lines at most `width` columns)."""
    if fmt == "json":
        return json.dumps(report_dict(r), indent=2)
    return render_markdown(r, fmt=fmt, width=width)


def cmdline(*args: str) -> str:
    return shlex.join(args)


__all__ = [
    "DIFFERS",
    "EXTRA",
    "MISSING",
    "SAME",
    "FileFacts",
    "FileRow",
    "ModuleRow",
    "OverlayRow",
    "Provenance",
    "ParityReport",
    "Place",
    "SymbolReport",
    "SymbolSide",
    "build_report",
    "render",
    "render_markdown",
    "report_dict",
    "summarise",
]
