"""`callgraph diff OLD NEW`: what changed between two versions of the code, and what it broke."""

from __future__ import annotations

import argparse
import sys

from ..reports.diff import diff_projects
from ..reports.diff_render import render_diff
from ..pipeline import analyze_snapshot
from ..snapshots.spec import open_snapshot
from ..snapshots.tree import DirSnapshot
from ..reports.escape import printable
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_cache_options, add_root_option, emit, open_cache

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
            "  callgraph diff git:v1.2 git:v1.3 src/ --format json\n"
            "  callgraph diff . . --python-old .venv/bin/python --python-new /tmp/upgrade/bin/python\n\n"
            "exit codes: 0 NEW adds no findings, 1 NEW adds findings, 2 usage or input error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", metavar="OLD", help="the earlier snapshot")
    p.add_argument("new", metavar="NEW", help="the later snapshot")
    p.add_argument("paths", nargs="*", default=[], metavar="PATH", help="only files under these paths (relative to the snapshot root)")
    p.add_argument("--format", choices=("text", "markdown", "json", "html"), default="text",
                   help="output format (default: text; html: one self-contained page)")
    p.add_argument("--python", metavar="PYTHON",
                   help="check both snapshots against this interpreter's environment (its stdlib and installed "
                        "packages), e.g. .venv/bin/python")
    p.add_argument("--python-old", metavar="PYTHON",
                   help="OLD's environment (default: --python, else the running interpreter's when --python-new is given)")
    p.add_argument("--python-new", metavar="PYTHON",
                   help="NEW's environment: with --python-old, the diff also says which calls bind with OLD's packages "
                        "and fail with NEW's, and which distributions differ")
    add_root_option(p)
    add_cache_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..store.memory import MemoryCache

    old_env, new_env = _environments(args)
    with open_snapshot(args.old) as old_snap, open_snapshot(args.new) as new_snap, MemoryCache(open_cache(args)) as cache:
        old = analyze_snapshot(old_snap, args.paths, roots=args.root, cache=cache, jobs=args.jobs,
                               **({"environment": old_env} if old_env else {}))
        new = analyze_snapshot(new_snap, args.paths, roots=args.root, cache=cache, jobs=args.jobs,
                               **({"environment": new_env} if new_env else {}))
        result = diff_projects(old, new, old_snap.label, new_snap.label, read_old=old_snap.read,
                               read_new=new_snap.read)
        drift = None
        if old_env is not None and new_env is not None and old_env is not new_env:
            from ..reports.environment_drift import environment_drift, local_side

            drift = environment_drift(local_side(old_env, "old"), local_side(new_env, "new"), old, new, old.outside,
                                      new.outside)
        skipped = [f"{snap.label}: {n}" for snap in (old_snap, new_snap) if isinstance(snap, DirSnapshot) for n in snap.notes]
        if args.format == "html":  # NEW's lines for the snippets, while the snapshot is open
            from ..reports import html

            scopes = html.scopes_from(new, ((f, f) for f in result.new_findings))
            report = html.diff_report(result, _lines_of(new_snap.read), scopes=scopes, drift=drift)
        else:
            report = _with_environments(render_diff(result, args.format), drift, args.format)
    for line in skipped:  # files of a directory not read (a FIFO, a link out of it, ...): said, never fatal
        print(printable(line), file=sys.stderr)
    emit(report, fmt=args.format)
    return EXIT_FINDINGS if result.new_findings else EXIT_CLEAN


def _lines_of(read):
    """A snippet's `SourceLines` over a snapshot's reader: each file read once; None when it cannot be."""
    cache: dict[str, list[str] | None] = {}

    def lines(path: str) -> list[str] | None:
        if path not in cache:
            try:
                cache[path] = read(path).decode("utf-8", "replace").splitlines()
            except Exception:  # noqa: BLE001 - a snippet is a courtesy: no line, no snippet
                cache[path] = None
        return cache[path]

    return lines


def _environments(args: argparse.Namespace):
    """(OLD's environment, NEW's): None for both when no --python option is given (the code alone)."""
    if not (args.python or args.python_old or args.python_new):
        return None, None
    from ..environment.model import Environment

    old = Environment.local(args.python_old or args.python)
    new = Environment.local(args.python_new or args.python)
    return old, new


def _with_environments(text: str, drift, fmt: str) -> str:
    """The diff as rendered, plus the environment sections when two environments were compared."""
    if drift is None:
        return text
    from ..reports import parity_environment as pe

    sides, title = ("old", "new"), "Calls that bind with OLD's environment and fail with NEW's"
    if fmt == "json":
        import json

        doc = json.loads(text)
        doc["environments"] = pe.report_dict(drift)
        doc["environments"]["summary"] = pe.summary_lines(drift, ("in OLD", "in NEW"))
        return json.dumps(doc, indent=2)
    lines = ["", "Environments", ""] + [f"- {line}" for line in pe.summary_lines(drift, ("in OLD", "in NEW"))]
    return "\n".join([text.rstrip("\n"), *lines, *pe.render_markdown(drift, sides, title)]).rstrip("\n")
