"""The call graph: functions as nodes, call sites as edges (networkx MultiDiGraph)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from .index import SourceFile
from .model import ScopeKind

if TYPE_CHECKING:
    from .project import ResolvedCall
    from .resolve import Target


def node_id(module: str, qualname: str) -> str:
    """A function's node: its full dotted name; module-level code is the module's own name."""
    return f"{module}.{qualname}" if qualname else module


def build_graph(files: list[SourceFile], calls: list[ResolvedCall]) -> nx.MultiDiGraph:
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
    for rc in calls:
        caller = node_id(rc.module, rc.call.scope)
        for target in rc.resolution.targets:
            callee = _target_node(graph, target)
            graph.add_edge(caller, callee, call=rc, target=target, line=rc.call.line, complete=rc.resolution.complete)
    return graph


def _target_node(graph: nx.MultiDiGraph, target: Target) -> str:
    from .resolve import TargetKind

    if target.kind is TargetKind.NO_ARGUMENTS:
        name = node_id(target.module, target.cls.qualname) + ".__init__"
        graph.add_node(name, kind="synthesised", signature="(self)")
        return name
    name = node_id(target.module, target.qualname)
    if name not in graph:
        graph.add_node(name, kind="synthesised", signature=target.signature.render() if target.signature else "")
    return name
