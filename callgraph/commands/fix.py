"""`callgraph fix [PATH ...] [--write]`: apply the suggestions that are certain, as a libcst codemod.

Loads the project as `check` does, keeps the findings whose suggestion is certain (the changed call
binds to every possible target), edits those calls (`analysis.fix`), and prints a unified diff, or
writes the files with --write. Nothing here decides what to change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..analysis.fix import apply_edits, edits_of
from ..analysis.selection import select_findings
from ..errors import InputError
from ..pipeline import analyze_tree
from ..reading import DEFAULT_LIMIT, NotRead, read_regular
from ..reports.patch import fix_summary, unified
from .check import add_config_options, config_from_args
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_cache_options, open_cache

ORDER = 5  # right after check in --help


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fix",
        help="apply the certain suggestions (a misspelled keyword, a positional-only parameter passed by name)",
        description=(
            "Analyse the Python files under PATH as `check` does and apply each suggestion that is certain: "
            "renaming a keyword to the one parameter it misspells, or passing positional-only parameters by "
            "position where the call already has them in place. Certain means the changed call binds to every "
            "target it may reach; a call the tool cannot prove is never changed. Formatting and comments are kept "
            "(libcst). Prints a unified diff; --write changes the files."
        ),
        epilog=(
            "examples:\n"
            "  callgraph fix                 the diff for the current directory\n"
            "  callgraph fix src/ --write    change the files\n"
            "  callgraph fix | git apply     the same, through git\n\n"
            "exit codes: 0 nothing to fix (or --write applied every fix), 1 a diff was printed (fixes to\n"
            "apply), 2 usage or input error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    p.add_argument("--write", action="store_true", help="change the files instead of printing a diff")
    add_config_options(p)
    add_cache_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    paths = list(args.paths) or ["."]
    cfg = config_from_args(args, paths[0] if Path(paths[0]).exists() else ".")
    with open_cache(args) as cache:
        project = analyze_tree(paths, cfg, cache, None, args.jobs)
    reported = select_findings(project, cfg.reports, Path.cwd(), None)
    findings = [r.finding for r in reported if not r.suppressed]
    uncertain = sum(1 for f in findings if f.suggestion is not None and not f.suggestion.certain)
    applied = skipped = files = 0
    for path, edits in sorted(edits_of(findings).items()):
        try:
            data = read_regular(path, DEFAULT_LIMIT)
        except NotRead:
            skipped += len(edits)
            continue
        result = apply_edits(data, edits)
        skipped += len(result.skipped)
        if not result.applied:
            continue
        applied += len(result.applied)
        files += 1
        if args.write:
            try:
                Path(path).write_bytes(result.data)
            except OSError as exc:
                raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        else:
            sys.stdout.write(unified(path, data, result.data))
    sys.stdout.flush()
    print(fix_summary(applied, files, skipped, uncertain, written=args.write), file=sys.stderr)
    return EXIT_FINDINGS if applied and not args.write else EXIT_CLEAN
