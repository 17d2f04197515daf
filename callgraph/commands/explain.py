"""`callgraph explain CODE`: what a code means, a wrong and a right example, how to suppress it."""

from __future__ import annotations

import argparse

from ..reports import render
from ..facts.findings import Code
from ..errors import InputError
from .common import EXIT_CLEAN, emit

ORDER = 90


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="what a finding code means, with a wrong and a right example",
        description="Explain a finding code (CG101) or its name (too-many-positional); without one, list every code.",
        epilog="examples:\n  callgraph explain CG101\n  callgraph explain missing-argument\n  callgraph explain",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("code", nargs="?", metavar="CODE", help="a code such as CG101, or its name")
    p.set_defaults(run=run)


def lookup(name: str) -> Code:
    key = name.strip()
    for code in Code:
        if key.upper() == code.value or key.lower() == code.slug:
            return code
    raise InputError(f"{name!r} is not a callgraph code; known: {', '.join(c.value for c in Code)}")


def run(args: argparse.Namespace) -> int:
    if args.code is None:
        emit("\n".join(f"{code.value}  {code.slug:<36} {code.description}" for code in Code))
        return EXIT_CLEAN
    emit(render.explain(lookup(args.code)), end="")
    return EXIT_CLEAN
