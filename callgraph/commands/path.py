"""`callgraph path FROM TO`: the shortest call chains from an entry point to a function."""

from __future__ import annotations

import argparse
import json

from ..reports.query import resolve_symbol, shortest_paths
from .callers import add_common_options, hop_dict, load, sites_text
from ..reports.escape import printable
from .common import EXIT_CLEAN, EXIT_FINDINGS, emit, emit_json, path_name

ORDER = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "path",
        help="the shortest call chains from FROM to TO: how execution reaches a call",
        description=(
            "The shortest call chains from FROM (an entry point: a function, or a module's top-level code "
            "named by the module) to TO, each hop with the file:line of its call sites. Hops marked '?' "
            "come from possible targets only."
        ),
        epilog=(
            "examples:\n  callgraph path etl.cli.main _ddl_attempt fixtures/etl_pipeline\n"
            "  callgraph path main handler . --limit 3\n\n"
            "exit codes: 0 a chain was found, 1 none, 2 usage error or unknown/ambiguous symbol"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="FROM", help="entry point: function, method or module")
    p.add_argument("target", metavar="TO", help="function or method to reach")
    p.add_argument("paths", nargs="*", metavar="PATH", default=["."], type=path_name, help="files or directories (default: .)")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="at most N chains (default 10)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    add_common_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = load(args)
    source = resolve_symbol(project, args.source)
    target = resolve_symbol(project, args.target)
    chains = shortest_paths(project, source, target, max(1, args.limit))
    if args.format == "json":
        emit_json(json.dumps({"from": source, "to": target, "chains": [[hop_dict(h) for h in c] for c in chains]}, indent=2))
    elif not chains:
        emit(f"no call chain from {printable(source)} to {printable(target)}")
    else:
        out = []
        for i, chain in enumerate(chains, 1):
            out.append(f"chain {i} ({len(chain)} call{'s' if len(chain) != 1 else ''}):")
            out.append(f"  {printable(source)}")
            for h in chain:
                out.append(f"  ->{'?' if h.possible else ''} {printable(h.callee)}  [{printable(sites_text(h))}]")
        emit("\n".join(out))
    return EXIT_CLEAN if chains else EXIT_FINDINGS
