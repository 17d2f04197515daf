"""`callgraph callers SYMBOL` / `callgraph callees SYMBOL`: who reaches a function, what it reaches."""

from __future__ import annotations

import argparse
import json

from ..analysis.graph import add_possible_edges
from ..analysis.project import Project
from ..pipeline import analyze
from ..reports.query import Hop, resolve_symbol, tree, walk
from ..reports.escape import printable
from .common import EXIT_CLEAN, add_cache_options, add_root_option, emit, emit_json, open_cache, path_name

ORDER = 20


def register(sub: argparse._SubParsersAction) -> None:
    for name, reverse in (("callers", True), ("callees", False)):
        what = "call SYMBOL, and who calls them" if reverse else "SYMBOL calls, and what they call"
        p = sub.add_parser(
            name,
            help=f"the functions that {what} (transitively, with call-site lines)",
            description=(
                f"The functions that {what}, up to --depth hops, each edge with the file:line of every call "
                "site that makes it. Edges marked '?' come from possible targets only (the checker does not "
                "rely on them). A node already expanded above is marked '(see above)'."
            ),
            epilog=(
                f"examples:\n  callgraph {name} _ddl_attempt fixtures/etl_pipeline\n"
                f"  callgraph {name} etl.pipeline.Pipeline.run . --depth 1 --format json\n\n"
                "exit codes: 0 ok, 2 usage error or unknown/ambiguous SYMBOL"
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("symbol", metavar="SYMBOL", help="function, method or module: a qualified name or a dotted suffix")
        p.add_argument("paths", nargs="*", metavar="PATH", default=["."], type=path_name, help="files or directories (default: .)")
        p.add_argument("--depth", type=_depth, default=3, metavar="N", help="hops to follow (default 3; 'all' for no limit)")
        p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
        add_common_options(p)
        p.set_defaults(run=run, reverse=reverse)


def add_common_options(p: argparse.ArgumentParser) -> None:
    """--certain, --infer, --root and the cache options, shared by the call-graph commands."""
    p.add_argument(
        "--certain", action="store_true",
        help="only the edges the checker resolves (leave out possible targets: lambdas, callbacks, ...)",
    )
    p.add_argument(
        "--infer", action="store_true",
        help="also ask astroid's inference (slower) about calls left unresolved, e.g. make().run(); "
        "its edges are marked inferred, and only unambiguous ones count as certain",
    )
    add_root_option(p)
    add_cache_options(p)


def load(args: argparse.Namespace) -> Project:
    """Analyse PATHs; the graph gets its possible edges unless --certain, astroid's with --infer."""
    project = analyze(args.paths, roots=args.root, cache=open_cache(args), jobs=args.jobs)
    if not getattr(args, "certain", False):
        add_possible_edges(project)
    if getattr(args, "infer", False):
        from ..analysis.infer import add_inferred_edges

        add_inferred_edges(project, certain_only=getattr(args, "certain", False))
    return project


def _depth(text: str) -> int | None:
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number or 'all', got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("depth must be at least 1")
    return n


def run(args: argparse.Namespace) -> int:
    project = load(args)
    start = resolve_symbol(project, args.symbol)
    hops = walk(project, start, args.depth, reverse=args.reverse)
    if args.format == "json":
        emit_json(json.dumps({"symbol": start, "direction": "callers" if args.reverse else "callees",
                          "edges": [hop_dict(h) for h in hops]}, indent=2))
    else:
        emit(render_tree(start, hops, reverse=args.reverse))
    return EXIT_CLEAN


def sites_text(hop: Hop) -> str:
    """`etl/a.py:12, 14` for the call sites of one edge."""
    by_path: dict[str, list[int]] = {}
    for path, line in hop.sites:
        by_path.setdefault(path, []).append(line)
    return "; ".join(f"{p}:{', '.join(map(str, sorted(lines)))}" for p, lines in by_path.items())


def render_tree(start: str, hops: list[Hop], *, reverse: bool) -> str:
    arrow = "<-" if reverse else "->"
    lines = [printable(start)]
    for indent, hop, again in tree(hops, start, reverse=reverse):
        other = hop.caller if reverse else hop.callee
        mark = "?" if hop.possible else ""
        lines.append(f"{'  ' * (indent + 1)}{arrow}{mark} {printable(other)}  [{printable(sites_text(hop))}]{'  (see above)' if again else ''}")
    if not hops:
        lines.append(f"  (no {'callers' if reverse else 'callees'} found)")
    return "\n".join(lines)


def hop_dict(h: Hop) -> dict:
    return {"depth": h.depth, "caller": h.caller, "callee": h.callee, "possible": h.possible,
            "sites": [{"path": p, "line": n} for p, n in h.sites]}
