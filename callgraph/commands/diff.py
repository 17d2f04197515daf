"""`callgraph diff OLD NEW`: what changed between two versions of the code, and what it broke."""

from __future__ import annotations

import argparse
import sys

from ..reports.diff import diff_projects
from ..reports.diff_render import render_diff
from ..pipeline import analyze_snapshot
from ..snapshots.spec import open_snapshot
from ..snapshots.tree import DirSnapshot
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_cache_options, add_root_option, open_cache

ORDER = 50


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two versions: signature changes, calls they broke, new and fixed findings",
        description=(
            "Analyse two snapshots of the code and set them side by side: symbols added, removed or with a "
            "changed signature (and what changed), call sites that bound in OLD but fail in NEW with CPython's "
            "message and the change that caused it, findings new, fixed and unchanged, and files added, "
            "deleted, renamed or modified. Git refs are read from the object store: no checkout."
        ),
        epilog=(
            "snapshot specs:\n"
            "  PATH        a directory          REF       a git ref or commit, as in git diff\n"
            "  dir:PATH    explicitly a dir     git:REF   explicitly a git ref\n"
            "  index:      the staged content of the current repository\n\n"
            "examples:\n"
            "  callgraph diff main debug/codex-test\n"
            "  callgraph diff HEAD~3 . --format markdown\n"
            "  callgraph diff git:v1.2 git:v1.3 src/ --format json\n\n"
            "exit codes: 0 NEW adds no findings, 1 NEW adds findings, 2 usage or input error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", metavar="OLD", help="the earlier snapshot")
    p.add_argument("new", metavar="NEW", help="the later snapshot")
    p.add_argument("paths", nargs="*", default=[], metavar="PATH", help="only files under these paths (relative to the snapshot root)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format (default: text)")
    add_root_option(p)
    add_cache_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..store.memory import MemoryCache

    with open_snapshot(args.old) as old_snap, open_snapshot(args.new) as new_snap, MemoryCache(open_cache(args)) as cache:
        old = analyze_snapshot(old_snap, args.paths, roots=args.root, cache=cache, jobs=args.jobs)
        new = analyze_snapshot(new_snap, args.paths, roots=args.root, cache=cache, jobs=args.jobs)
        result = diff_projects(old, new, old_snap.label, new_snap.label, read_old=old_snap.read,
                               read_new=new_snap.read)
        skipped = [f"{snap.label}: {n}" for snap in (old_snap, new_snap) if isinstance(snap, DirSnapshot) for n in snap.notes]
    for line in skipped:  # files of a directory not read (a FIFO, a link out of it, ...): said, never fatal
        print(line, file=sys.stderr)
    print(render_diff(result, args.format))
    return EXIT_FINDINGS if result.new_findings else EXIT_CLEAN
