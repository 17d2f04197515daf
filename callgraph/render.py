"""Reporters: findings in, text out. The JSON shape is a stable contract."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import __version__
from .findings import Finding

if TYPE_CHECKING:
    from .project import Project


def text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        target = f" [{f.target}]" if f.target else ""
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.code.value} {f.message}{target}")
    return "\n".join(lines)


def finding_dict(f: Finding) -> dict:
    return {
        "code": f.code.value,
        "name": f.code.slug,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "message": f.message,
        "target": f.target,
        "definition": {"path": f.definition.path, "line": f.definition.line} if f.definition else None,
    }


def json_report(project: Project, findings: list[Finding]) -> str:
    doc = {
        "tool": {"name": "callgraph", "version": __version__},
        "findings": [finding_dict(f) for f in findings],
        "errors": [{"path": e.path, "message": e.message} for e in project.errors],
        "stats": project.stats,
    }
    return json.dumps(doc, indent=2)


def summary(project: Project, findings: list[Finding]) -> str:
    s = project.stats
    return (
        f"{len(findings)} finding{'s' if len(findings) != 1 else ''} in {s['files']} files "
        f"({s['functions']} functions, {s['calls']} calls, {s['resolved_calls']} resolved) in {s['seconds']:.2f}s"
    )
