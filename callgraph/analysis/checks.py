"""Checks over the call graph: calls no target accepts (CG1xx), redefinitions (CG201), parse errors (CG000)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from ..resolve.binding import BindResult, Verdict, bind, bind_no_arguments, bind_no_keywords
from ..resolve.native import NOT_VERIFIED, bind_native, bind_overloads, for_version
from ..facts.findings import Code, Finding, Location
from ..facts.model import CallShape, FunctionFact, ModuleFacts
from .suggest import binds_all, suggest

if TYPE_CHECKING:
    import networkx as nx

    from ..facts.source import SourceFile
    from ..resolve.calls import ResolvedCall
    from ..resolve.index import Index
    from ..resolve.resolver import Target


def verdict(target: Target, shape: CallShape) -> BindResult:
    from ..resolve.resolver import TargetKind

    if target.bound_keywords:  # a partial's stored keywords: `{**stored, **given}`, in that order
        keywords = target.bound_keywords + tuple(k for k in shape.keywords if k not in target.bound_keywords)
        shape = CallShape(shape.positional, keywords, shape.star, shape.double_star)
    if target.forwards_to:
        return _handed_on(target, shape)
    if target.implicit and target.kind in (TargetKind.NO_ARGUMENTS, TargetKind.NO_KEYWORDS):
        shape = CallShape(shape.positional + target.implicit, shape.keywords, shape.star, shape.double_star)  # a partial's
    if target.kind is TargetKind.NO_ARGUMENTS:
        return bind_no_arguments(target.qualname, shape)
    if target.kind is TargetKind.NO_KEYWORDS:
        return bind_no_keywords(target.qualname, shape)
    version = target.version or (3, 11)
    if target.kind is TargetKind.NATIVE:
        return bind_native(target.signature, shape, target.module, target.qualname, implicit=target.implicit, version=version)
    return for_version(bind(target.signature, shape, target.qualname, implicit=target.implicit), target.qualname, version)


def _handed_on(target: Target, shape: CallShape) -> BindResult:
    """`def w(p, *args, **kwargs): return f(p, *args, **kwargs)`: the call binds w first (its own
    TypeError), then f receives p and every other argument unchanged, so it binds as f's would."""
    own = bind(target.signature, shape, target.qualname, implicit=target.implicit)
    if own.verdict is not Verdict.BINDS:
        return own
    given = target.implicit + shape.positional
    leading = target.forward_leading
    if shape.star and given < len(leading):
        return BindResult(Verdict.UNKNOWN)  # how many leading parameters the *expr fills is unknown
    keywords = tuple(k for k in shape.keywords if k not in leading)
    handed = CallShape(max(given, len(leading)), keywords, shape.star, shape.double_star)
    results = [verdict(t, handed) for t in target.forwards_to]
    if all(r.verdict is Verdict.ERROR for r in results):
        return results[0]
    return BindResult(Verdict.UNKNOWN if any(r.verdict is Verdict.UNKNOWN for r in results) else Verdict.BINDS)


class GraphOf(Protocol):
    """What `call_findings` reads of a `Project` (typed structurally: checks never import it)."""

    @property
    def graph(self) -> nx.MultiDiGraph: ...

    @property
    def index(self) -> Index: ...


def call_findings(project: GraphOf) -> list[Finding]:
    """Findings from the graph's complete edges, inferred ones included (`--infer` may add them)."""
    by_call: dict[int, list] = defaultdict(list)
    for _, _, data in project.graph.edges(data=True):
        if data["complete"]:
            by_call[id(data["call"])].append(data)
    where = defined_in(project.index)
    out = (_call_finding(edges[0]["call"], [e["target"] for e in edges], where) for edges in by_call.values())
    return [f for f in out if f is not None]


def resolved_call_findings(calls: Iterable[ResolvedCall], where: Callable[[Target], Location | None]) -> list[Finding]:
    """The checker's own findings: from the calls' complete resolutions, without the graph.
    `where(target)` is the definition a finding names (`defined_in(index)`)."""
    out = (_call_finding(rc, rc.resolution.targets, where) for rc in calls if rc.resolution.complete and rc.resolution.targets)
    return [f for f in out if f is not None]


def defined_in(index: Index) -> Callable[[Target], Location | None]:
    """Where a target is defined, from its function or class fact."""

    def where(target: Target) -> Location | None:
        if target.function is not None:
            return Location(index.path_of(target.module), target.function.line)
        if target.cls is not None:
            return Location(index.path_of(target.module), target.cls.line)
        return None

    return where


def _call_finding(rc: ResolvedCall, targets: Sequence[Target], where: Callable[[Target], Location | None]) -> Finding | None:
    """A call is reported only when its resolution is complete and every target rejects it."""
    if rc.call.expects_type_error:
        return None  # the code asks for the TypeError (a test, or a fallback for older signatures)
    results = [(t, verdict(t, rc.call.shape)) for t in targets]
    if not all(r.verdict is Verdict.ERROR for _, r in results):
        return None
    if len(targets) > 1 and len({(t.kind, t.module, t.qualname, t.implicit) for t in targets}) == 1 and targets[0].kind.value == "native":
        t = targets[0]  # the overloads of one C function: words from all of them together
        merged = bind_overloads(tuple(x.signature for x in targets), rc.call.shape, t.module, t.qualname,
                                implicit=t.implicit, version=t.version or (3, 11))
        results = [(t, merged)]
    target, result = results[0]
    if len({r.message for _, r in results}) > 1 and not result.message.endswith(NOT_VERIFIED):
        if any(t.kind is not results[0][0].kind or t.kind.value == "native" for t, _ in results):
            result = BindResult(result.verdict, result.code, result.message + NOT_VERIFIED)  # overloads disagree
    hint = suggest(
        rc.call, [(t.signature, t.implicit, r) for t, r in results], binds_all([t for t, _ in results], verdict)
    )
    signature = target.signature.render() if target.signature is not None else None
    return Finding(
        result.code, rc.path, rc.call.line, rc.call.column, result.message, target.full_name, where(target),
        signature, hint, _span(rc.call.callee_text),
    )


def _span(text: str) -> int:
    """Characters to underline: the callee's first line."""
    return max(len(text.split("\n", 1)[0]), 1)


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
            Finding(
                Code.CG201, path, fn.line, fn.column, message, f"{module}.{fn.qualname}", Location(path, earlier.line),
                earlier.signature.text or earlier.signature.render(), None, len("def ") + len(fn.name),
            )
        )
    return out


def file_findings(sf: SourceFile) -> list[Finding]:
    """What one file's facts alone decide: its parse error (CG000) and its redefinitions (CG201)."""
    out = redefinitions(sf.path, sf.module, sf.facts)
    if sf.facts.error is not None:
        out.insert(0, Finding(Code.CG000, sf.path, sf.facts.error_line, sf.facts.error_column, sf.facts.error))
    return out


def run_checks(files: Iterable[SourceFile], calls: Iterable[ResolvedCall], index: Index) -> list[Finding]:
    """Every finding of a project: its calls' (CG1xx) and each file's own (CG000, CG201), sorted."""
    findings = resolved_call_findings(calls, defined_in(index))
    for f in files:
        findings.extend(file_findings(f))
    return sorted(findings, key=lambda x: x.sort_key)
