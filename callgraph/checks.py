"""Checks over the call graph: calls no target accepts (CG1xx), redefinitions (CG201), parse errors (CG000)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .binding import BindResult, Verdict, bind, bind_no_arguments
from .findings import Code, Finding, Location
from .model import CallShape, FunctionFact, ModuleFacts

if TYPE_CHECKING:
    from .project import Project
    from .resolve import Target


def verdict(target: Target, shape: CallShape) -> BindResult:
    from .resolve import TargetKind

    if target.kind is TargetKind.NO_ARGUMENTS:
        return bind_no_arguments(target.qualname, shape)
    return bind(target.signature, shape, target.qualname, implicit=target.implicit)


def call_findings(project: Project) -> list[Finding]:
    """A call is reported only when its resolution is complete and every target rejects it."""
    by_call: dict[int, list] = defaultdict(list)
    for _, _, data in project.graph.edges(data=True):
        if data["complete"]:
            by_call[id(data["call"])].append(data)
    out: list[Finding] = []
    for edges in by_call.values():
        rc = edges[0]["call"]
        results = [(e["target"], verdict(e["target"], rc.call.shape)) for e in edges]
        if not all(r.verdict is Verdict.ERROR for _, r in results):
            continue
        target, result = results[0]
        definition = None
        if target.function is not None:
            definition = Location(project.index.path_of(target.module), target.function.line)
        elif target.cls is not None:
            definition = Location(project.index.path_of(target.module), target.cls.line)
        out.append(
            Finding(result.code, rc.path, rc.call.line, rc.call.column, result.message, target.full_name, definition)
        )
    return out


_EXEMPT_DECORATORS = ("overload", "setter", "getter", "deleter", "register", "property", "cached_property")


def _exempt(fn: FunctionFact) -> bool:
    return any(d.name and d.name.split(".")[-1] in _EXEMPT_DECORATORS for d in fn.decorators)


def _shape(fn: FunctionFact) -> tuple:
    return tuple((p.name, p.kind, p.has_default) for p in fn.signature.params)


def redefinitions(path: str, module: str, facts: ModuleFacts) -> list[Finding]:
    """A def repeated in the same block with another signature: the earlier body is dead."""
    last: dict[tuple[str, int, str], FunctionFact] = {}
    out: list[Finding] = []
    for fn in facts.functions:
        key = (fn.scope, fn.block, fn.name)
        earlier = last.get(key)
        last[key] = fn
        if earlier is None or _exempt(fn) or _exempt(earlier) or _shape(earlier) == _shape(fn):
            continue
        message = (
            f"{fn.qualname}() redefined with a different signature: {earlier.signature.text} at line "
            f"{earlier.line} is replaced by {fn.signature.text}, and every call binds to the later one"
        )
        out.append(
            Finding(Code.CG201, path, fn.line, fn.column, message, f"{module}.{fn.qualname}", Location(path, earlier.line))
        )
    return out


def run_checks(project: Project) -> list[Finding]:
    findings = call_findings(project)
    for f in project.files:
        if f.facts.error is not None:
            findings.append(Finding(Code.CG000, f.path, f.facts.error_line, f.facts.error_column, f.facts.error))
        findings.extend(redefinitions(f.path, f.module, f.facts))
    return sorted(findings, key=lambda x: x.sort_key)
