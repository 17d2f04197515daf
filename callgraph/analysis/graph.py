"""The call graph: functions as nodes, call sites as edges (networkx MultiDiGraph).

Two kinds of edge, kept apart by their attributes. The checker's: one per (call, target) of its
resolution, `complete` when that resolution is. Possible ones (`possible=True`, never complete):
targets only the lenient `possible.PossibleResolver` sees for calls the checker leaves
incomplete, and decorator applications (`kind="decorator"`, no call). Checks read complete edges
only, so a possible edge can never make a finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


from ..facts.source import SourceFile
from ..resolve.index import Index
from ..facts.model import CallSite, ScopeKind

if TYPE_CHECKING:
    import networkx as nx

    from ..resolve.calls import ResolvedCall
    from ..resolve.resolver import Target


def node_id(module: str, qualname: str) -> str:
    """A function's node: its full dotted name; module-level code is the module's own name."""
    return f"{module}.{qualname}" if qualname else module


def caller_node(module: str, call: CallSite, lambdas) -> str:
    """The function a call runs in: the innermost lambda around it, else its scope."""
    if 0 <= call.lambda_index < len(lambdas):
        return node_id(module, lambdas[call.lambda_index].qualname)
    return node_id(module, call.scope)


def build_graph(
    files: list[SourceFile], calls: list[ResolvedCall], index: Index | None = None, *, possible: bool = False
) -> nx.MultiDiGraph:
    import networkx as nx  # imported on use: a warm check never needs it

    graph = nx.MultiDiGraph()
    for f in files:
        graph.add_node(f.module, kind="module", path=f.path, line=1)
        for c in f.facts.classes:
            graph.add_node(node_id(f.module, c.qualname), kind="class", path=f.path, line=c.line)
        for fn in f.facts.functions:
            # A redefinition replaces the node's definition, as the later def replaces the earlier at runtime.
            graph.add_node(
                node_id(f.module, fn.qualname),
                kind="method" if fn.scope_kind is ScopeKind.CLASS else "function",
                path=f.path,
                line=fn.line,
                signature=fn.signature.text,
                function=fn,
            )
        for lam in f.facts.lambdas:
            graph.add_node(
                node_id(f.module, lam.qualname), kind="lambda", path=f.path, line=lam.line,
                signature=lam.signature.text, function=lam,
            )
    lambdas = {f.module: f.facts.lambdas for f in files}
    for rc in calls:
        caller = caller_node(rc.module, rc.call, lambdas.get(rc.module, ()))
        for target in rc.resolution.targets:
            callee = _target_node(graph, target)
            graph.add_edge(
                caller, callee, call=rc, target=target, line=rc.call.line, complete=rc.resolution.complete, possible=False
            )
    if possible:
        _add_possible_edges(graph, files, calls, index if index is not None else Index(files), lambdas)
    return graph


def add_possible_edges(project) -> nx.MultiDiGraph:
    """The project's graph with the possible edges added (once): call graphs want them, checks never do."""
    graph = project.graph
    if not graph.graph.get("possible"):
        lambdas = {f.module: f.facts.lambdas for f in project.files}
        _add_possible_edges(graph, project.files, project.calls, project.index, lambdas)
        graph.graph["possible"] = True
    return graph


def _add_possible_edges(graph: nx.MultiDiGraph, files: list[SourceFile], calls: list[ResolvedCall], index: Index, lambdas) -> None:
    from ..resolve.possible import BudgetExceeded, PossibleResolver

    resolver = PossibleResolver(index)
    try:
        _possible_edges(graph, files, calls, resolver, lambdas)
    except (BudgetExceeded, RecursionError):
        graph.graph["possible_truncated"] = True  # a partial set: possible edges are best effort


def _possible_edges(graph: nx.MultiDiGraph, files: list[SourceFile], calls: list[ResolvedCall], resolver, lambdas) -> None:
    resolver.callers()
    for rc in calls:
        if rc.resolution.complete:
            continue
        known = set(rc.resolution.targets)
        caller = caller_node(rc.module, rc.call, lambdas.get(rc.module, ()))
        for target in resolver.targets(rc.module, rc.call):
            if target not in known and not _synthesised(target):
                graph.add_edge(
                    caller, _target_node(graph, target), call=rc, target=target, line=rc.call.line, complete=False,
                    possible=True,
                )
    for rc in calls:  # functions handed to callees that run them: an edge from the caller
        targets = resolver.callback_targets(rc.module, rc.call)
        if targets:
            caller = caller_node(rc.module, rc.call, lambdas.get(rc.module, ()))
            for target in targets:  # no call: the callee's arguments are not the callback's
                graph.add_edge(
                    caller, _target_node(graph, target), call=None, target=target, line=rc.call.line, complete=False,
                    possible=True, kind="callback",
                )
    for f in files:  # `with ctx as x:` calls ctx.__enter__() and ctx.__exit__(...)
        for scope, ctx in resolver.with_contexts(f.module):
            line = next((c.line for c in f.facts.calls if c.scope == scope and ctx[-1:] == ("()",) and c.callee_ref == ctx[:-1]), 0)
            for method in ("__enter__", "__exit__"):
                for target in resolver.ref_targets(f.module, scope, (*ctx, method)):
                    graph.add_edge(
                        node_id(f.module, scope), _target_node(graph, target), call=None, target=target, line=line,
                        complete=False, possible=True, kind="with",
                    )
    for f in files:
        for fact in (*f.facts.functions, *f.facts.classes):
            for d in fact.decorators:
                for target in resolver.decorator_targets(f.module, fact.scope, d):
                    graph.add_edge(
                        node_id(f.module, fact.scope), _target_node(graph, target), call=None, target=target,
                        line=fact.line, complete=False, possible=True, kind="decorator",
                    )


def _synthesised(target: Target) -> bool:
    """A constructor CPython runs in C (object's, BaseException's): no node a possible edge should invent."""
    from ..resolve.resolver import TargetKind

    return target.kind in (TargetKind.NO_ARGUMENTS, TargetKind.NO_KEYWORDS)


def _target_node(graph: nx.MultiDiGraph, target: Target) -> str:
    from ..resolve.resolver import TargetKind

    if target.kind in (TargetKind.NO_ARGUMENTS, TargetKind.NO_KEYWORDS):
        name = node_id(target.module, target.cls.qualname) + ".__init__"
        signature = "(self)" if target.kind is TargetKind.NO_ARGUMENTS else "(self, *args)"
        graph.add_node(name, kind="synthesised", signature=signature)
        return name
    name = node_id(target.module, target.qualname)
    if name not in graph:
        graph.add_node(name, kind="synthesised", signature=target.signature.render() if target.signature else "")
    return name
