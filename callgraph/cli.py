"""The command line: load, call, print, return an exit code. No analysis lives here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__, render
from .project import InputError, analyze

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage mistakes exit 2 without a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callgraph",
        description="Find every Python call that cannot bind to its target, in CPython's own words.",
        epilog="Exit codes: 0 clean, 1 findings, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"callgraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    check = sub.add_parser(
        "check",
        help="report calls that cannot bind, and redefinitions",
        description=(
            "Analyse the Python files under PATH (default: the current directory) without importing them, "
            "and report every call that no possible target accepts (CG101-CG105, with CPython's TypeError "
            "text), every function redefined in the same scope with another signature (CG201), and every "
            "file that does not parse (CG000)."
        ),
        epilog=(
            "Example: callgraph check src/ --format json\n"
            "Exit codes: 0 clean, 1 findings, 2 usage or input error."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("paths", nargs="*", metavar="PATH", default=["."], help="files or directories (default: .)")
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    check.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="a source root to name modules from (repeatable; default: detected like Python's sys.path)",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="text format: no summary line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        project = analyze(args.paths, roots=args.root)
    except InputError as exc:
        print(f"callgraph: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    findings = project.findings()
    if args.format == "json":
        print(render.json_report(project, findings))
    else:
        if findings:
            print(render.text(findings), flush=True)
        for e in project.errors:
            print(f"{e.path}: error: {e.message}", file=sys.stderr)
        if not args.quiet:
            print(render.summary(project, findings), file=sys.stderr)
    return EXIT_FINDINGS if findings else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
