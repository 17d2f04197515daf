"""`callgraph explain-error [LOGFILE|-]`: a logged TypeError explained against the snapshots.

Thin: reads the text, opens and analyses the snapshots, prints `reports.explain_error.render`."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

from ..errors import InputError
from ..pipeline import analyze_snapshot
from ..reading import NotRead, read_regular
from ..reports.explain_error import Side, explain, parse_log, render
from ..snapshots.spec import open_snapshot
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_cache_options, add_root_option, emit, open_cache

ORDER = 62
MAX_LOG_BYTES = 16 * 1024 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain-error",
        help="explain a logged TypeError (a traceback or one log line): which call, which definition, which bytes",
        description=(
            "Read a Python traceback (timestamps and log levels allowed) or a log line holding a call's TypeError "
            "text, such as \"write failed: Driver._ddl_attempt() takes 1 positional argument but 6 were given\", "
            "and find the call in the snapshots: the traceback's frames when present, else the message and the "
            "qualified name matched against each snapshot's findings. Prints the call sites, the definition bound, "
            "whether the remote's file differs from the local one, and the message our analysis predicts."
        ),
        epilog=(
            "examples:\n"
            "  callgraph explain-error crash.log\n"
            "  pbpaste | callgraph explain-error - --remote 'cmd:ssh host::/srv/app'\n"
            "  callgraph explain-error sandbox.log --local main --remote e2b:SANDBOX_ID:/home/user/app\n\n"
            "exit codes: 0 explained, 1 the call was not found, 2 usage or input error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("log", nargs="?", default="-", metavar="LOGFILE", help="the log text (default: -, standard input)")
    p.add_argument("--local", default=".", metavar="SNAP", help="the local snapshot (default: .)")
    p.add_argument("--remote", metavar="SNAP", help="the snapshot where the error happened (cmd:, docker:, e2b:, a ref, a dir)")
    add_root_option(p)
    add_cache_options(p)
    p.set_defaults(run=run)


def read_log(name: str) -> str:
    if name == "-":
        data = sys.stdin.buffer.read(MAX_LOG_BYTES + 1)
        if len(data) > MAX_LOG_BYTES:
            raise InputError(f"standard input: more than {MAX_LOG_BYTES} bytes")
    else:
        try:
            data = read_regular(Path(name), MAX_LOG_BYTES, limit_name="log size limit (16 MiB)")
        except NotRead as exc:
            raise InputError(f"{name}: {exc}") from None
    return data.decode("utf-8", errors="replace")


def run(args: argparse.Namespace) -> int:
    logged = parse_log(read_log(args.log))
    specs = [("local", args.local)] + ([("remote", args.remote)] if args.remote else [])
    with ExitStack() as stack, open_cache(args) as cache:
        sides = []
        for role, spec in specs:
            snap = stack.enter_context(open_snapshot(spec))
            project = analyze_snapshot(snap, roots=args.root, cache=cache, jobs=args.jobs)
            sides.append(Side(role, spec, snap, project))
        ex = explain(logged, sides)
        emit(render(ex, sides))
    return EXIT_CLEAN if ex.explained else EXIT_FINDINGS
