"""`callgraph parity LOCAL REMOTE`: why it passes here and fails there, as one report.

The evidence is gathered by `reports.parity_evidence.investigate` (`callgraph demo` calls it too)
and rendered by `reports.parity`; this module parses the arguments and prints.
"""

from __future__ import annotations

import argparse

from ..reports.parity import render
from ..reports.tables import terminal_width
from ..reports.parity_evidence import investigate
from .common import add_cache_options, add_root_option, emit, open_cache, positive_float, positive_int

ORDER = 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parity",
        help="the investigation report: does the remote run the code you have here, and what breaks there",
        description=(
            "Compare the local copy of the code with the copy a remote interpreter runs (over ssh, docker exec, "
            "kubectl exec, an E2B sandbox, or a mounted directory) and write the report an engineer would "
            "otherwise assemble by hand: an executive summary naming the root cause, a file-integrity table "
            "(sha256 and size on both sides), signature drift in the files that differ, findings only remotely / "
            "only locally / on both sides, the file each interpreter would import for each --module (site-packages "
            "shadowing, stale copies, .pth entries), definitions and call sites of each --symbol on both sides, "
            "both interpreters, the distributions that differ, the calls that bind against the packages installed "
            "here and fail against the ones installed there (each side checked against its own environment; the "
            "remote's modules fetched only when a call site reaches them), "
            "and the commands that reproduce each section. The remote is read, hashed and parsed; nothing of it is "
            "imported or executed, and its answer is validated (paths, sizes, counts, timeouts)."
        ),
        epilog=(
            "snapshot specs (LOCAL and REMOTE alike):\n"
            "  PATH | dir:PATH | REF | git:REF | index:   as in callgraph diff\n"
            "  cmd:PREFIX[::ROOT]         any command prefix that runs `python3 -` remotely, split like a\n"
            "                             shell would but run without one; ROOT defaults to the remote's cwd\n"
            "  docker:CONTAINER[:ROOT]    docker exec -i CONTAINER\n"
            "  e2b:SANDBOX_ID[:ROOT]      an E2B sandbox (pip install 'callgraph[e2b]'; key from E2B_API_KEY;\n"
            "                             ROOT default /home/user)\n\n"
            "examples:\n"
            "  callgraph parity . 'cmd:ssh build-box::/srv/app' --module etl.drivers.supabase\n"
            "  callgraph parity . docker:etl-worker:/app --symbol SupabaseWriterDriver._ddl_attempt\n"
            "  callgraph parity main e2b:i8k2m3n4:/home/user/app --format json\n"
            "  callgraph parity . 'cmd:kubectl exec -i etl-0 --::/app' --timeout 30 --max-files 20000\n\n"
            "limits (also CALLGRAPH_PROBE_MAX_FILES, CALLGRAPH_PROBE_MAX_FILE_BYTES, CALLGRAPH_PROBE_MAX_TOTAL_BYTES,\n"
            "CALLGRAPH_PROBE_TIMEOUT): 5000 files, 2 MiB a file, 64 MiB in all, 60 s a remote call.\n\n"
            "exit codes: 0 the remote runs the same code and no call fails only there,\n"
            "            1 drift (a file differs, is missing or extra, a module is imported from another file)\n"
            "              or findings that exist only remotely,\n"
            "              (--fail-on findings: only the latter; --fail-on never: 0 either way),\n"
            "            2 usage or input error (bad spec, unreachable or refused remote, unknown --symbol)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("local", metavar="LOCAL", help="the local snapshot (a directory, a git ref, ...)")
    p.add_argument("remote", metavar="REMOTE", help="the remote snapshot (cmd:, docker:, e2b:, or a directory)")
    p.add_argument("--module", "-m", action="append", default=[], metavar="M",
                   help="a dotted module name: which file each interpreter would import (repeatable)")
    p.add_argument("--symbol", "-s", action="append", default=[], metavar="S",
                   help="a function or method (a dotted suffix is enough): definitions and call sites on both sides "
                        "(repeatable)")
    p.add_argument(
        "--format",
        choices=("markdown", "text", "json", "html"),
        default="markdown",
        help="output format (default: markdown; text: tables and lines fitted to the terminal, 100 columns when not one; "
             "html: one self-contained page)",
    )
    p.add_argument("--fail-on", choices=("drift", "findings", "never"), default="drift",
                   help="when to exit 1: drift (any file or import differs, or a call fails only remotely; the "
                        "default), findings (a call fails only remotely), never (a report only)")
    p.add_argument("--max-files", type=positive_int, metavar="N", help="refuse a remote listing more Python files than this")
    p.add_argument("--max-file-size", type=positive_int, metavar="BYTES", help="refuse a remote file larger than this")
    p.add_argument("--timeout", type=positive_float, metavar="SECONDS", help="give up on a remote call after this long")
    p.add_argument("--local-python", default="python3", metavar="PYTHON",
                   help="the local environment: its interpreter says where --module would be imported from, and its "
                        "installed packages and standard library are what local calls are checked against, e.g. "
                        ".venv/bin/python (default: python3 on PATH)")
    p.add_argument("--remote-path", action="append", default=[], metavar="DIR",
                   help="for a directory REMOTE (a mounted filesystem): an import path entry after its root, e.g. the "
                        "mounted site-packages; its .pth files are read (repeatable)")
    p.add_argument("--no-environment", dest="environment", action="store_false",
                   help="compare the code only: no interpreters, distributions, or calls into installed packages")
    p.add_argument("--uploaded-only", action="store_true",
                   help="analyse the uploaded tree under the remote root even when the remote interpreter imports a "
                        "top-level package from elsewhere (default: analyse what it imports)")
    add_root_option(p)
    add_cache_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from probes import Limits

    from ..store.memory import MemoryCache

    limits = Limits.from_env(max_files=args.max_files, max_file_bytes=args.max_file_size, timeout=args.timeout)
    with MemoryCache(open_cache(args)) as cache:  # outside modules' facts, by blob id
        report = investigate(
            args.local, args.remote, modules=args.module, symbols=args.symbol, limits=limits,
            local_python=args.local_python, effective=not args.uploaded_only, roots=args.root,
            environment=args.environment, remote_path=args.remote_path, cache=cache,
        )
    if args.format == "html":
        from ..reports.html import parity_report

        emit(parity_report(report), fmt="html", end="")
        return report.exit_code
    emit(render(report, args.format, width=terminal_width()), fmt=args.format, end="" if args.format != "json" else "\n")
    if args.fail_on == "never":
        return 0
    if args.fail_on == "findings":
        return 1 if report.remote_only else 0
    return report.exit_code


__all__ = ["register", "run"]
