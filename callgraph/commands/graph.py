"""`callgraph graph`: the call graph as data (dot, graphml, json, pycg) or as a picture (svg, png)."""

from __future__ import annotations

import argparse
import sys

from ..reports import export
from ..errors import InputError
from ..reports.query import resolve_symbol
from .callers import _depth, add_common_options, load
from ..reports.escape import printable
from .common import EXIT_CLEAN, EXIT_ERROR, emit, path_name

ORDER = 40
FORMATS = ("dot", "graphml", "json", "pycg", "svg", "png")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph",
        help="export the call graph (dot, graphml, json, pycg) or draw it (svg, png)",
        description=(
            "Export the call graph: Graphviz DOT, GraphML and node-link JSON (networkx), or PyCG's "
            "adjacency JSON ({\"caller\": [\"callee\", ...]}, module code named after the module) that "
            "call-graph benchmarks score. svg and png are drawn by Graphviz's 'dot' (package graphviz). "
            "--focus keeps SYMBOL and the functions within --depth calls of it, either way."
        ),
        epilog=(
            "examples:\n"
            "  callgraph graph fixtures/etl_pipeline --focus _ddl_attempt --format svg -o ddl.svg\n"
            "  callgraph graph src --format pycg > callgraph.json\n"
            "  callgraph graph . --format graphml -o graph.graphml\n\n"
            "In pictures, red arrows are calls CPython would reject and dashed arrows reach possible\n"
            "targets only.\n\n"
            "exit codes: 0 ok, 2 usage error, unknown/ambiguous SYMBOL, or dot missing for svg/png"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", default=["."], type=path_name, help="files or directories (default: .)")
    p.add_argument("--focus", metavar="SYMBOL", help="only SYMBOL's neighbourhood (a qualified name or dotted suffix)")
    p.add_argument("--depth", type=_depth, default=2, metavar="N", help="with --focus: calls to follow each way (default 2; 'all')")
    p.add_argument("--format", choices=FORMATS, default="dot", help="output format (default: dot)")
    p.add_argument("--output", "-o", metavar="FILE", type=path_name, help="write to FILE instead of standard output")
    add_common_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "png" and not args.output and sys.stdout.isatty():
        raise InputError("png is binary: write it to a file with -o FILE (or pipe it)")
    project = load(args)
    graph = project.graph
    focus = None
    if args.focus:
        focus = resolve_symbol(project, args.focus)
        nodes = export.neighbourhood(graph, focus, args.depth)
    else:
        nodes = None
    cut = export.code_graph(graph, nodes)
    if args.format == "graphml":
        data: str | bytes = export.to_graphml(cut)
    elif args.format == "json":
        data = export.to_json(cut)
    elif args.format == "pycg":
        data = export.to_pycg_json(cut)
    else:
        dot = export.to_dot(cut, focus, title=focus or "callgraph")
        if args.format == "dot":
            data = dot
        else:
            try:
                data = export.render(dot, args.format)
            except export.GraphvizMissing as exc:
                print(f"callgraph: error: {printable(exc)}", file=sys.stderr)
                return EXIT_ERROR
            except (RuntimeError, OSError) as exc:
                print(f"callgraph: error: {printable(exc)}", file=sys.stderr)
                return EXIT_ERROR
    _write(data, args.output, args.format)
    return EXIT_CLEAN


def _write(data: str | bytes, output: str | None, fmt: str) -> None:
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "backslashreplace")
    emit(data if isinstance(data, str) else raw, output, fmt=fmt, end="")
    if output:
        print(f"wrote {printable(output)} ({len(raw)} bytes)", file=sys.stderr)
