"""The call graph as data and as a picture: DOT, GraphML, node-link JSON, PyCG adjacency, SVG/PNG.

Exporters take the analysis graph (`Project.graph`), optionally cut down to the neighbourhood of
one node, and return text or bytes. Rendering to SVG/PNG shells out to Graphviz's `dot` (no shell,
input on stdin); when `dot` is missing, `GraphvizMissing` says how to install it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict, deque
from typing import TYPE_CHECKING


from ..resolve.binding import Verdict
from ..analysis.checks import verdict
from .escape import printable

if TYPE_CHECKING:
    import networkx as nx

# Node kinds worth drawing: code that runs. Classes only appear when their body makes calls.
_CODE_KINDS = frozenset({"function", "method", "module", "lambda", "synthesised"})


class GraphvizMissing(Exception):
    """`dot` is not on PATH."""


def neighbourhood(graph: nx.MultiDiGraph, focus: str, depth: int | None) -> set[str]:
    """`focus` plus every node within `depth` calls of it, callers and callees alike."""
    keep = {focus}
    for reverse in (False, True):
        seen = {focus}
        queue = deque([(focus, 0)])
        while queue:
            node, d = queue.popleft()
            if depth is not None and d >= depth:
                continue
            for other in graph.predecessors(node) if reverse else graph.successors(node):
                if other not in seen:
                    seen.add(other)
                    queue.append((other, d + 1))
        keep |= seen
    return keep


def code_graph(graph: nx.MultiDiGraph, nodes: set[str] | None = None) -> nx.MultiDiGraph:
    """A copy with plain (str/int/bool) attributes only, fit for GraphML and JSON."""
    import networkx as nx

    out = nx.MultiDiGraph()
    modules = {n for n, d in graph.nodes(data=True) if d.get("kind") == "module"}
    for n, d in graph.nodes(data=True):
        if nodes is not None and n not in nodes:
            continue
        if d.get("kind") not in _CODE_KINDS and graph.degree(n) == 0:
            continue
        out.add_node(
            n, kind=d.get("kind", ""), module=_module(n, d, modules), path=d.get("path", ""),
            line=int(d.get("line", 0) or 0), signature=d.get("signature", "") or "",
        )
    for u, v, d in graph.edges(data=True):
        if u not in out or v not in out:
            continue
        rc, target = d.get("call"), d.get("target")
        attrs = {
            "line": int(d.get("line", 0) or 0),
            "complete": bool(d.get("complete", False)),
            "possible": bool(d.get("possible", False)),
            "kind": d.get("kind", "call"),
            "target_kind": target.kind.value if target is not None else "",
        }
        if rc is not None:
            attrs["path"] = rc.path
            attrs["call"] = rc.call.callee_text + " ".join(rc.call.args_text.split())
            if target is not None:
                result = verdict(target, rc.call.shape)
                attrs["verdict"] = result.verdict.value
                if result.message:
                    attrs["message"] = result.message
        out.add_edge(u, v, **attrs)
    return out


def to_graphml(graph: nx.MultiDiGraph) -> str:
    import networkx as nx

    return "\n".join(nx.generate_graphml(graph)) + "\n"


def to_json(graph: nx.MultiDiGraph) -> str:
    import networkx as nx

    return json.dumps(nx.node_link_data(graph, edges="edges"), indent=2) + "\n"


def pycg_name(node: str) -> str:
    """PyCG spells `outer.<locals>.inner` as `outer.inner`."""
    return node.replace(".<locals>", "")


def to_pycg(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """PyCG/JARVIS adjacency: every module and function a key, callees sorted.

    Constructing a class without any `__init__` of its own or inherited (object's) adds no edge,
    as in PyCG; a dataclass's generated `__init__` is a real method at runtime and keeps its edge.
    """
    adjacency: dict[str, set[str]] = {}
    for n, d in graph.nodes(data=True):
        if d.get("kind") in ("function", "method", "module", "lambda"):
            adjacency.setdefault(pycg_name(n), set())
    for u, v, d in graph.edges(data=True):
        if d.get("target_kind") == "no-arguments" or graph.nodes[v].get("kind") == "class":
            continue
        adjacency.setdefault(pycg_name(u), set()).add(pycg_name(v))
        adjacency.setdefault(pycg_name(v), set())
    return {k: sorted(adjacency[k]) for k in sorted(adjacency)}


def to_pycg_json(graph: nx.MultiDiGraph) -> str:
    return json.dumps(to_pycg(graph), indent=2) + "\n"


# -- DOT ---------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A DOT string: each line of `text` escaped (`printable`), then DOT's own escapes."""
    text = "\n".join(printable(line) for line in str(text).split("\n"))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _module(node: str, data: dict, modules: set[str]) -> str:
    if data.get("kind") == "module":
        return node
    parts = node.split(".")
    for i in range(len(parts) - 1, 0, -1):
        m = ".".join(parts[:i])
        if m in modules:
            return m
    return parts[0]


def to_dot(graph: nx.MultiDiGraph, focus: str | None = None, title: str = "callgraph") -> str:
    """Graphviz DOT: one cluster per module, one arrow per caller->callee labelled with its lines.

    Red arrows are calls CPython would reject (every target known and rejecting); dashed arrows
    reach possible targets only.
    """
    modules = {n for n, d in graph.nodes(data=True) if d.get("kind") == "module"}
    clusters: dict[str, list[str]] = defaultdict(list)
    for n, d in graph.nodes(data=True):
        clusters[d.get("module") or _module(n, d, modules)].append(n)
    lines = [
        f"digraph {_q(title)} {{",
        "  graph [rankdir=LR, fontname=Helvetica, fontsize=11, nodesep=0.3, ranksep=0.6];",
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f6fa\", color=\"#8a94a6\", "
        "fontname=Helvetica, fontsize=10];",
        "  edge [color=\"#56607a\", fontname=Helvetica, fontsize=9, arrowsize=0.7];",
    ]
    for i, (module, members) in enumerate(sorted(clusters.items())):
        path = next((graph.nodes[n].get("path", "") for n in members if graph.nodes[n].get("path")), "")
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={_q(module + (f'  ({path})' if path else ''))}; style=rounded; color=\"#c5cbd6\";")
        for n in sorted(members):
            d = graph.nodes[n]
            label = "(module code)" if d.get("kind") == "module" else n[len(module) + 1 :] if n.startswith(module + ".") else n
            sig = d.get("signature") or ""
            if sig and d.get("kind") != "module":
                label += "\n" + (sig if len(sig) <= 60 else sig[:57] + "...")
            extra = ""
            if n == focus:
                extra = ', fillcolor="#ffe08a", color="#b08800", penwidth=2'
            elif d.get("kind") == "module":
                extra = ', fillcolor="#e8f0e8"'
            elif d.get("kind") == "synthesised":
                extra = ', style="rounded,dashed"'
            tip = f"{d.get('path', '')}:{d.get('line', '')}" if d.get("path") else n
            lines.append(f"    {_q(n)} [label={_q(label)}, tooltip={_q(tip)}{extra}];")
        lines.append("  }")
    for (u, v), edges in sorted(_edges_by_pair(graph).items()):
        lines_on = sorted({e.get("line", 0) for e in edges})
        bad = any(e.get("verdict") == Verdict.ERROR.value and e.get("complete") for e in edges)
        possible = all(e.get("possible") for e in edges)
        label = "L" + ", ".join(map(str, lines_on[:4])) + ("..." if len(lines_on) > 4 else "")
        style = []
        if bad:
            msg = next(e.get("message", "") for e in edges if e.get("verdict") == Verdict.ERROR.value)
            label += " TypeError"
            style.append(f'color="#c62828", fontcolor="#c62828", penwidth=1.8, tooltip={_q(msg)}')
        if possible:
            style.append("style=dashed")
        attrs = ", ".join([f"label={_q(label)}"] + style)
        lines.append(f"  {_q(u)} -> {_q(v)} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edges_by_pair(graph: nx.MultiDiGraph) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for u, v, d in graph.edges(data=True):
        out[(u, v)].append(d)
    return out


def render(dot_text: str, fmt: str, *, timeout: float = 120.0) -> bytes:
    """SVG or PNG bytes from DOT text, by Graphviz's `dot`."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "Graphviz's 'dot' is not installed, so svg/png cannot be drawn; install it "
            "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz) or use --format dot"
        )
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"dot failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout
