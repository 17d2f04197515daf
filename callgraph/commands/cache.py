"""`callgraph cache info|clear`: look at or empty the cache of per-file facts."""

from __future__ import annotations

import argparse
import json
import sys

from ..reports.escape import printable
from .common import EXIT_CLEAN, EXIT_ERROR, add_cache_dir_option, emit, emit_json, open_cache

ORDER = 90  # position in --help: after the analysis commands


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cache",
        help="show or clear the cache of per-file facts",
        description=(
            "callgraph caches each file's extracted facts in SQLite, keyed by the file's git blob id, "
            "its module name and the analyser version, so unchanged files are never parsed twice. "
            "Safe to share between concurrent runs; a corrupt cache is rebuilt, never trusted."
        ),
        epilog=(
            "examples:\n"
            "  callgraph cache info\n"
            "  callgraph cache info --format json\n"
            "  callgraph cache clear             delete every entry\n"
            "  callgraph cache clear --stale     only entries written by other versions\n\n"
            "location: --cache-dir, else $CALLGRAPH_CACHE_DIR, else $XDG_CACHE_HOME/callgraph,\n"
            "else ~/.cache/callgraph. Analysis commands take --no-cache to bypass it."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="cache_action", metavar="ACTION", required=True)

    info = actions.add_parser("info", help="where the cache is, how many entries, how large")
    add_cache_dir_option(info)
    info.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    info.set_defaults(run=run_info)

    clear = actions.add_parser("clear", help="delete the cached entries")
    add_cache_dir_option(clear)
    clear.add_argument("--stale", action="store_true", help="only entries written by other versions")
    clear.set_defaults(run=run_clear)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def run_info(args: argparse.Namespace) -> int:
    with open_cache(args) as cache:
        info = cache.info()
    if args.format == "json":
        emit_json(json.dumps(info, indent=2))
        return EXIT_CLEAN
    out = [f"path:      {info['path']}"]
    if not info["enabled"]:
        out.append(f"status:    disabled ({info['reason']})")
    out.append(f"entries:   {info['entries']} for this version, {info['stale_entries']} from other versions")
    out.append(f"size:      {_size(info['bytes'])}")
    out.append(f"analyzer:  {info['analyzer']} ({info['analyzer_description']})")
    emit("\n".join(out))
    return EXIT_CLEAN


def run_clear(args: argparse.Namespace) -> int:
    with open_cache(args) as cache:
        if not cache.enabled:
            print(f"callgraph: error: cannot clear the cache at {printable(cache.path)}: {printable(cache.reason)}", file=sys.stderr)
            return EXIT_ERROR
        removed = cache.clear(stale_only=args.stale)
        if not cache.enabled:
            print(f"callgraph: error: cannot clear the cache at {printable(cache.path)}: {printable(cache.reason)}", file=sys.stderr)
            return EXIT_ERROR
        what = f"{'stale ' if args.stale else ''}entr{'y' if removed == 1 else 'ies'}"
        emit(f"removed {removed} {what} from {cache.path}")
    return EXIT_CLEAN
