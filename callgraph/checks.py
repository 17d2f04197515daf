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
        if rc.call.expects_type_error:
            continue  # the code asks for the TypeError (a test, or a fallback for older signatures)
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


# Decorators that leave a plain function behind; any other decorator may have
# registered or wrapped the earlier def, so redefining it is deliberate.
_PLAIN_DECORATORS = ("staticmethod", "classmethod", "abstractmethod", "cache", "lru_cache", "final", "override")


def _exempt(fn: FunctionFact) -> bool:
    return any(not d.name or d.name.split(".")[-1] not in _PLAIN_DECORATORS for d in fn.decorators)


def _shape(fn: FunctionFact) -> tuple:
    return tuple((p.name, p.kind, p.has_default) for p in fn.signature.params)


def redefinitions(path: str, module: str, facts: ModuleFacts) -> list[Finding]:
    """A def repeated in the same block with another signature: the earlier body is dead."""
    last: dict[tuple[str, int, str], tuple[int, FunctionFact]] = {}
    uses: dict[tuple[str, str], list[int]] = defaultdict(list)
    for scope, name, n in facts.uses:
        uses[(scope, name)].append(n)
    out: list[Finding] = []
    for i, fn in enumerate(facts.functions):
        key = (fn.scope, fn.block, fn.name)
        e, earlier = last.get(key, (-1, None))
        last[key] = (i, fn)
        if earlier is None or _exempt(fn) or _exempt(earlier) or _shape(earlier) == _shape(fn):
            continue
        if any(e < n <= i for n in uses.get((fn.scope, fn.name), ())):
            continue  # the earlier def was used before being replaced
        message = (
            f"{fn.qualname}() is defined again with a different signature: {earlier.signature.text} "
            f"becomes {fn.signature.text}; the earlier body is dead and every call binds to the later one"
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
