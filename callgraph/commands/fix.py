"""`callgraph fix [PATH ...] [--write]`: apply the suggestions that are certain, as a libcst codemod.

Loads the project as `check` does, keeps the findings whose suggestion is certain (the changed call
binds to every possible target), edits those calls (`analysis.fix`), and prints a unified diff, or
writes the files with --write. Nothing here decides what to change.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from pathlib import Path

from ..analysis.fix import apply_edits, edits_of
from ..analysis.selection import select_findings
from ..errors import InputError
from ..facts.source import blob_id
from ..pipeline import analyze_tree
from ..reading import DEFAULT_LIMIT, NotRead, inside, read_regular, real_roots
from ..reports.patch import fix_summary, unified
from .check import add_config_options, config_from_args
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_cache_options, emit, open_cache, printable_path

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
    roots = real_roots(paths)
    analysed = {f.path: f.blob for f in project.files}
    reported = select_findings(project, cfg.reports, Path.cwd(), None)
    findings = [r.finding for r in reported if not r.suppressed]
    uncertain = sum(1 for f in findings if f.suggestion is not None and not f.suggestion.certain)
    applied = skipped = files = 0
    diffs: list[str] = []
    for path, edits in sorted(edits_of(findings).items()):
        try:
            data = read_regular(path, DEFAULT_LIMIT, within=roots)
            if analysed.get(path) is not None and blob_id(data) != analysed[path]:
                raise NotRead("changed since it was analysed; skipped")
        except NotRead as exc:
            print(f"{printable_path(path)}: {exc}", file=sys.stderr)
            skipped += len(edits)
            continue
        result = apply_edits(data, edits)
        skipped += len(result.skipped)
        if not result.applied:
            continue
        if args.write:
            note = replace_file(path, data, result.data, roots)
            if note:
                print(f"{printable_path(path)}: {note}", file=sys.stderr)
                skipped += len(result.applied)
                continue
        else:
            diffs.append(unified(path, data, result.data))
        applied += len(result.applied)
        files += 1
    if diffs and sys.stdout is None:  # started with `>&-`: `emit` would suggest -o, which fix has not
        raise InputError("standard output is closed; redirect the diff to a file, or use --write")
    if diffs:  # bytes, as built: `git apply` needs the source's own characters
        emit("".join(diffs).encode("utf-8", "surrogateescape"))
    print(fix_summary(applied, files, skipped, uncertain, written=args.write), file=sys.stderr)
    return EXIT_FINDINGS if applied and not args.write else EXIT_CLEAN


def replace_file(path: str, old: bytes, new: bytes, roots: tuple[str, ...]) -> str | None:
    """Write `new` over `path` without following a link: a temporary file in the same directory,
    renamed over the entry (a link swapped in after analysis is replaced, not written through; a
    hard-linked file elsewhere keeps its inode and text). Only when the entry is still a regular
    file inside `roots` holding `old`. None when written, else the note saying why not."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}; skipped"
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file (a link or another kind); skipped"
    if not inside(path, roots):
        return "outside the analysed tree; skipped"
    try:
        if read_regular(path, DEFAULT_LIMIT, within=roots) != old:
            return "changed since it was analysed; skipped"
    except NotRead as exc:
        return str(exc)
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".callgraph-fix-", dir=directory)
    except OSError as exc:
        raise InputError(f"{printable_path(path)}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new)
            os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode))
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise InputError(f"{printable_path(path)}: cannot write: {exc.strerror or exc}") from None
    return None
