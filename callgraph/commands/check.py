"""`callgraph check`: every call that cannot bind, every redefinition, every unparsable file."""

from __future__ import annotations

import argparse
import sys

from .. import render
from ..project import analyze
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_root_option

ORDER = 0  # position in --help


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="report calls that cannot bind, and redefinitions",
        description=(
            "Analyse the Python files under PATH (default: the current directory) without importing them, "
            "and report every call that no possible target accepts (CG101-CG105, with CPython's TypeError "
            "text), every function redefined in the same scope with another signature (CG201), and every "
            "file that does not parse (CG000)."
        ),
        epilog=(
            "examples:\n"
            "  callgraph check                 the current directory\n"
            "  callgraph check src/ --format json\n"
            "  callgraph check app.py --root .\n\n"
            "exit codes: 0 clean, 1 findings, 2 usage or input error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", default=["."], help="files or directories (default: .)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    add_root_option(p)
    p.add_argument("--quiet", "-q", action="store_true", help="text format: no summary line")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = analyze(args.paths, roots=args.root)
    findings = project.findings()
    if args.format == "json":
        print(render.json_report(project, findings))
    else:
        if findings:
            print(render.text(findings), flush=True)
        for e in project.errors:
            print(f"{e.path}: note: {e.message}", file=sys.stderr)
        if not args.quiet:
            print(render.summary(project, findings), file=sys.stderr)
    return EXIT_FINDINGS if findings else EXIT_CLEAN
