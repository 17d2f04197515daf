"""Reporters for a ProjectDiff: text and Markdown tables (tabulate), and JSON."""

from __future__ import annotations

import json

from .tables import DEFAULT_WIDTH, fit_lines, fit_table

from ..version import __version__
from .diff import ProjectDiff
from .escape import md_text, printable, rows_of
from .render import finding_dict


def _loc(f) -> str:
    return f"{f.path}:{f.line}:{f.column}"


def render_diff(d: ProjectDiff, fmt: str, *, width: int = DEFAULT_WIDTH) -> str:
    """`fmt`: "json", "markdown", or "text" (tables and lines at most `width` columns)."""
    if fmt == "json":
        return json.dumps(diff_dict(d), indent=2)
    md = fmt == "markdown"
    table_fmt = "markdown" if md else "text"

    def tabulate(rows: list, headers: list[str], tablefmt: str) -> str:  # cells escaped: names come from the trees
        return fit_table(rows_of(rows, tablefmt == "markdown"), headers, fmt=tablefmt, width=width)

    h = (lambda s: f"## {s}\n") if fmt == "markdown" else (lambda s: s)
    out: list[str] = [
        (f"# callgraph diff: {md_text(d.old_label)} → {md_text(d.new_label)}" if md
         else f"callgraph diff {printable(d.old_label)} → {printable(d.new_label)}"),
        "",
    ]
    changed = [c for c in d.signatures]
    out.append(h(f"Signature changes ({len(changed)})"))
    if changed:
        rows = [
            [c.status.value, c.symbol, c.old or "", c.new or "", "; ".join(c.details), f"{c.path}:{c.line}"]
            for c in changed
        ]
        out.append(tabulate(rows, ["status", "symbol", "old", "new", "what changed", "where"], tablefmt=table_fmt))
    out.append("")
    out.append(h(f"Calls broken by the change ({len(d.broken)})"))
    if d.broken:
        rows = [
            [_loc(b.finding), b.finding.code.value, b.finding.message, f"{b.cause.symbol}: " + "; ".join(b.cause.details) if b.cause else ""]
            for b in d.broken
        ]
        out.append(tabulate(rows, ["call", "code", "CPython says", "caused by"], tablefmt=table_fmt))
    out.append("")
    out.append(h("Findings"))
    out.append(f"{len(d.new_findings)} new, {len(d.fixed_findings)} fixed, {d.unchanged_findings} unchanged")
    if fmt == "markdown":
        out.append("")
    tables = [
        tabulate([[label, _loc(f), f.code.value, f.message] for f in items], ["", "where", "code", "message"], tablefmt=table_fmt)
        for label, items in (("new", d.new_findings), ("fixed", d.fixed_findings))
        if items
    ]
    if tables:
        out.append(("\n\n" if fmt == "markdown" else "\n").join(tables))  # Markdown tables need a blank line between
    out.append("")
    out.append(h(f"Files ({len(d.files)} changed)"))
    if d.files:
        rows = [[c.status.value, c.path, c.old_path or ""] for c in d.files]
        out.append(tabulate(rows, ["status", "path", "was"], tablefmt=table_fmt))
    text = "\n".join(out).rstrip() + "\n"
    return fit_lines(text, width) if fmt == "text" else text


def diff_dict(d: ProjectDiff) -> dict:
    return {
        "tool": {"name": "callgraph", "version": __version__},
        "old": d.old_label,
        "new": d.new_label,
        "signature_changes": [
            {"symbol": c.symbol, "status": c.status.value, "old": c.old, "new": c.new, "changes": list(c.details), "path": c.path, "line": c.line}
            for c in d.signatures
        ],
        "broken_calls": [
            {**finding_dict(b.finding), "cause": b.cause.symbol if b.cause else None, "cause_changes": list(b.cause.details) if b.cause else []}
            for b in d.broken
        ],
        "findings": {
            "new": [finding_dict(f) for f in d.new_findings],
            "fixed": [finding_dict(f) for f in d.fixed_findings],
            "unchanged": d.unchanged_findings,
        },
        "files": [{"status": c.status.value, "path": c.path, "old_path": c.old_path} for c in d.files],
    }
