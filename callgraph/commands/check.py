"""`callgraph check`: every call that cannot bind, every redefinition, every unparsable file.

Three ways to run it:

- `callgraph check [DIR ...]`: analyse the files under each directory (default `.`).
- `callgraph check FILE ...` (every PATH a file, as pre-commit passes them): analyse the whole
  project that holds them (the `[tool.callgraph]` file's directory, else the git repository)
  and report every finding that involves a given file: a call in it, or a call anywhere whose
  target is defined in it.
- `--staged` (automatic under pre-commit when files are passed): read the files from the git
  index, i.e. what the commit will record, instead of the working tree.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..analysis.project import Project
from ..analysis.selection import Reported, select_findings
from ..config import Config, Overrides, resolve_config
from ..errors import InputError
from ..facts.findings import Finding
from ..pipeline import analyze_staged, analyze_tree
from ..reports import render
from ..reports.annotated import file_lines, full_text
from ..reports.words import count
from ..reports.baseline import new_since_baseline
from ..snapshots.git import git_toplevel
from ..store.ray_executor import RayExecutor, parse_executor
from ..snapshots.tree import display_finding, display_path, repo_relative
from ..reports.escape import printable
from .common import EXIT_CLEAN, EXIT_FINDINGS, add_cache_options, add_root_option, emit, open_cache, path_name

if TYPE_CHECKING:
    from ..store.cache import FactsCache, NullCache

ORDER = 0  # position in --help


def add_config_options(p: argparse.ArgumentParser) -> None:
    """Options that override [tool.callgraph]; shared with `callgraph config`."""
    add_root_option(p)
    g = p.add_argument_group("configuration (each replaces the [tool.callgraph] value)")
    g.add_argument("--config", metavar="FILE", type=path_name, help="read [tool.callgraph] from FILE instead of the nearest pyproject.toml")
    g.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    g.add_argument("--include", action="append", metavar="PATTERN", help="analyse only files matching (gitignore-style; repeatable)")
    g.add_argument("--exclude", action="append", metavar="PATTERN", help="never analyse files matching (gitignore-style; repeatable)")
    g.add_argument("--select", action="append", metavar="CODES", help="report only these codes or prefixes (comma-separated)")
    g.add_argument("--ignore", action="append", metavar="CODES", help="do not report these codes or prefixes (comma-separated)")
    g.add_argument(
        "--per-file-ignores", action="append", metavar="PATTERN:CODES", help="codes not reported in matching files (repeatable)"
    )
    g.add_argument(
        "--preserving", action="append", metavar="DECORATOR", help="a decorator that returns the function unchanged (dotted name; repeatable)"
    )
    g.add_argument("--mutator", action="append", metavar="DECORATOR", help="a decorator whose result is unknown (dotted name; repeatable)")
    g.add_argument(
        "--python",
        metavar="PYTHON",
        help="the interpreter the code runs under (a virtual environment's bin/python): its standard library and "
        "installed packages' .py files are read as call targets, never imported (default: the running one)",
    )
    g.add_argument(
        "--environment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read the interpreter's pure-Python modules as call targets and bases (default: on); "
        "--no-environment: the analysed tree alone, everything outside it unknown",
    )


def config_from_args(args: argparse.Namespace, start: str | Path) -> Config:
    """[tool.callgraph] found from `start` (or --config, or none with --isolated), then the flags."""
    overrides = Overrides(
        roots=args.root or None,
        include=args.include,
        exclude=args.exclude,
        select=args.select,
        ignore=args.ignore,
        per_file_ignores=args.per_file_ignores,
        preserving=args.preserving,
        mutators=args.mutator,
        python=getattr(args, "python", None),
        environment=getattr(args, "environment", None),
    )
    return resolve_config(start, config_file=args.config, isolated=args.isolated, overrides=overrides)


# bytes: the remote probes' per-file limit too. Dense generated code costs ~0.8 GB of memory and
# ~9 s per MB to analyse (docs/RELIABILITY.md); real modules are rarely over a few hundred KB.
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024


def _file_size(text: str) -> int:
    """--max-file-size: bytes, or a number with K, M or G (a B suffix is allowed)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    raw = text.strip().upper().removesuffix("B")
    scale = units.get(raw[-1:], 1)
    try:
        n = int(raw[:-1] if scale != 1 else raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (bytes, or a number with K, M or G)") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
    return n * scale


def _executor(text: str) -> str | None:
    """--executor: local, ray or ray:ADDRESS (None: local workers; else the Ray address)."""
    try:
        return parse_executor(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="report calls that cannot bind, and redefinitions",
        description=textwrap.fill(
            "Analyse the Python files under PATH (default: the current directory) without importing them, "
            "and report every call that no possible target accepts (CG101-CG105, with CPython's TypeError "
            "text), every function redefined in the same scope with another signature (CG201), and every "
            "file that does not parse (CG000).",
            88,
        )
        + "\n\n"
        + textwrap.fill(
            "When every PATH is a file (as pre-commit passes them), the whole project holding them is "
            "analysed and every finding that involves one of them is reported: calls in those files, and "
            "calls anywhere whose target is defined in them. Under pre-commit (or with --staged) the files "
            "are read from the git index: what the commit will record.",
            88,
        ),
        epilog=(
            "examples:\n"
            "  callgraph check                          the current directory\n"
            "  callgraph check src/ --format json\n"
            "  callgraph check --format sarif -o callgraph.sarif\n"
            "  callgraph check --format github          annotations in a GitHub Actions log\n"
            "  callgraph check app/models.py            findings involving models.py (calls in it, calls to\n"
            "                                           what it defines); the whole project is analysed\n"
            "  callgraph check --staged                 the staged content of the repository\n"
            "  callgraph check --select CG1 --exclude 'migrations/'\n\n"
            "suppress one finding with '# callgraph: ignore[CG101]' (or '# noqa: CG101') on its line;\n"
            "configure with [tool.callgraph] in pyproject.toml (see 'callgraph config').\n\n"
            "exit codes: 0 clean (also: no Python files under PATH, with a warning), 1 findings,\n"
            "2 usage or input error (a PATH that does not exist, or a named file that is not Python)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", type=path_name, help="files or directories (default: .)")
    p.add_argument(
        "--format",
        choices=render.FORMATS,
        default="text",
        help="output format (default: text: each finding with its source line, the bound definition and a "
        "suggestion; concise: one line per finding; html: one self-contained page, with -o FILE)",
    )
    p.add_argument("--output", "-o", metavar="FILE", type=path_name, help="write the report to FILE instead of standard output")
    p.add_argument(
        "--staged",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read files from the git index (default: on under pre-commit when files are passed)",
    )
    p.add_argument("--show-suppressed", action="store_true", help="also list findings silenced by a suppression comment")
    p.add_argument(
        "--baseline",
        metavar="SNAP",
        help="report only findings absent at this snapshot (a git ref such as main, a directory, or index:), "
        "matched by symbol and call shape, not line: adopt the tool on legacy code",
    )
    p.add_argument(
        "--warn-unused-ignores",
        action="store_true",
        help="report suppression comments that silence nothing (CG900)",
    )
    p.add_argument(
        "--max-file-size",
        type=_file_size,
        default=DEFAULT_MAX_FILE_SIZE,
        metavar="BYTES",
        help="skip (never read) working-tree files larger than this, with a note; suffixes K, M, G; "
        "0: no limit (default: 2M)",
    )
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line, no progress, no notes")
    p.add_argument("--verbose", "-v", action="store_true", help="say which configuration, files and mode were used")
    p.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="text format: colours (auto: on a terminal, unless NO_COLOR is set)"
    )
    add_config_options(p)
    add_cache_options(p)
    p.add_argument(
        "--executor",
        type=_executor,
        default=None,
        metavar="ray[:ADDRESS]",
        help="extract the facts of files not in the cache on a Ray cluster (the extra callgraph[ray]): "
        "ray alone starts a local instance of -j CPUs (or uses RAY_ADDRESS); ADDRESS: auto, HOST:PORT or "
        "ray://HOST:PORT; resolution stays here (default: local, worker processes)",
    )
    p.set_defaults(run=run)


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """A one-line bar on a terminal, drawn only once the run has taken `delay` seconds."""

    def __init__(self, stream: IO[str] | None, *, delay: float = 1.0, width: int = 30) -> None:
        self.stream = stream
        self.delay = delay
        self.width = width
        self.started = time.monotonic()
        self.drawn = False
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self.started < self.delay or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        tail = "  resolving calls..." if done >= total else ""
        self.stream.write(f"\r\x1b[Kcallgraph [{bar}] {done}/{total} files{tail}")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.stream is not None and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def progress_stream(fmt: str, quiet: bool, stream: IO[str] = sys.stderr) -> IO[str] | None:
    """stderr when a bar may be drawn: a terminal, a human format, not --quiet."""
    if quiet or fmt not in ("text", "markdown"):
        return None
    try:
        return stream if stream.isatty() else None
    except (AttributeError, ValueError):
        return None


def use_color(choice: str, stream: IO[str]) -> bool:
    """--color: auto is on for a terminal, unless NO_COLOR is set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- what to analyse, and the report ---------------------------------------------------------------


@dataclass
class Analysis:
    """What `_analyse` analysed, and how to name its paths."""

    project: Project
    base: Path  # finding paths are relative to this directory (or absolute)
    repo_root: Path  # SARIF and GitHub paths are relative to this
    mode: str  # for --verbose
    scope: list[str] = field(default_factory=list)  # working-tree paths analysed (a baseline analyses the same)


def _is_focus(paths: list[str], staged: bool) -> bool:
    """Every PATH is a file: report what involves them, over the whole project."""
    if not paths:
        return False
    if staged:
        return all(not Path(p).is_dir() for p in paths)
    return all(Path(p).is_file() for p in paths)


def _analyse(
    args: argparse.Namespace,
    paths: list[str],
    cfg: Config,
    staged: bool,
    focus_mode: bool,
    cache: FactsCache | NullCache,
    progress: Progress,
    executor: RayExecutor | None = None,
) -> Analysis:
    """The index or the working tree; in focus mode, the whole project holding the given files
    (the [tool.callgraph] file's directory, else the git repository)."""
    if staged:
        project, top = analyze_staged([] if focus_mode else paths, cfg, cache, progress, args.jobs, executor)
        return Analysis(project, top, top, "staged (git index)")
    if focus_mode:
        project_dir = cfg.base if cfg.file else git_toplevel(Path(args.paths[0]).resolve().parent)
        scope = [display_path(project_dir)] if project_dir else [p for p in args.paths if p.endswith(".py")]
    else:
        scope = paths
    project = analyze_tree(scope, cfg, cache, progress, args.jobs, args.max_file_size, executor)
    first = Path(scope[0]).resolve() if scope else Path.cwd()
    repo_root = git_toplevel(first if first.is_dir() else first.parent) or (cfg.base if cfg.file else Path.cwd())
    return Analysis(project, Path.cwd(), repo_root, "working tree", list(scope))


def _render(
    args: argparse.Namespace,
    analysis: Analysis,
    reported: list[Reported],
    findings: list[Finding],
    suppressed: list[Finding],
    notes: list[tuple[str, str]],
) -> str:
    """The report in --format; `findings` and `suppressed` carry display paths."""
    project, base, repo_root = analysis.project, analysis.base, analysis.repo_root
    shown = suppressed if args.show_suppressed else []
    if args.format == "json":
        return render.json_report(project, findings, suppressed=suppressed if args.show_suppressed else None)
    if args.format == "sarif":
        by_display: dict[Finding, str] = {}
        for r in reported:
            by_display.setdefault(display_finding(r.finding, base), r.identity)
        return render.sarif(
            findings,
            relpath=repo_relative(repo_root),
            identities=[by_display[f] for f in findings],
            root_uri=repo_root.resolve().as_uri(),
            suppressed=shown,
            suppressed_identities=[by_display[f] for f in shown] if args.show_suppressed else None,
            notes=notes,
        )
    if args.format == "github":
        return render.github(findings, relpath=repo_relative(repo_root), notes=notes)
    if args.format == "markdown":
        return render.markdown(findings, project, suppressed=shown)
    if args.format == "html":
        from ..reports import html

        source = (lambda path: None) if analysis.mode.startswith("staged") else file_lines()
        scopes = html.scopes_from(project, ((r.finding, display_finding(r.finding, base)) for r in reported))
        summary = render.summary(project, findings, suppressed=len(suppressed))
        return html.check_report(findings, source, summary=summary, suppressed=shown, notes=notes, scopes=scopes)
    color = use_color(args.color, sys.stdout) if not args.output else args.color == "always"
    if args.format == "concise":
        return render.text(findings, color=color, suppressed=shown)
    # staged: the working tree's lines may not be what was analysed, so no snippet
    source = (lambda path: None) if analysis.mode.startswith("staged") else file_lines()
    return full_text(findings, source, color=color, suppressed=shown)


def run(args: argparse.Namespace) -> int:
    paths = list(args.paths) or ["."]
    in_hook = os.environ.get("PRE_COMMIT") == "1"
    staged = args.staged
    if staged is None:
        staged = bool(in_hook and args.paths and all(not Path(p).is_dir() for p in args.paths) and git_toplevel("."))
    focus_mode = bool(args.paths) and _is_focus(args.paths, staged)
    cfg = config_from_args(args, paths[0] if Path(paths[0]).exists() else ".")

    focus: set[str] | None = None
    if focus_mode:
        py = [p for p in args.paths if p.endswith(".py")]
        focus = {os.path.realpath(p) for p in py}
        others = [p for p in args.paths if not p.endswith((".py", ".pyi"))]
        if others and not in_hook:  # `check notes.txt`: a mistake, not a clean result
            raise InputError(render.not_python(others[0]))
        if not py:  # stubs and other files only: nothing of ours is involved
            if args.verbose or not (in_hook or args.quiet):
                print("callgraph: no .py file among the given files; nothing to check", file=sys.stderr)
            return EXIT_CLEAN

    progress = Progress(progress_stream(args.format, args.quiet))
    address = getattr(args, "executor", None)
    executor = RayExecutor(address, args.jobs) if address is not None else None
    with open_cache(args) as cache, executor or contextlib.nullcontext():
        try:
            analysis = _analyse(args, paths, cfg, staged, focus_mode, cache, progress, executor)
            reported = select_findings(analysis.project, cfg.reports, analysis.base, focus, args.warn_unused_ignores)
            if args.baseline:
                reported = new_since_baseline(
                    reported, args.baseline, analysis.base, analysis.repo_root, cfg, cache, args.jobs, analysis.scope
                )
        finally:
            progress.clear()

    project, base = analysis.project, analysis.base
    findings = sorted((display_finding(r.finding, base) for r in reported if not r.suppressed), key=lambda f: f.sort_key)
    hidden = sorted((display_finding(r.finding, base) for r in reported if r.suppressed), key=lambda f: f.sort_key)
    notes = [(e.path if base == Path.cwd() or e.path == "." else display_path(base / e.path), e.message) for e in project.errors]

    if args.verbose:
        where = cfg.file or "none (defaults)"
        print(f"callgraph: configuration: {printable(where)}", file=sys.stderr)
        reused = f"; the previous run's findings still hold for {project.reused}" if project.reused else ""
        print(f"callgraph: mode: {analysis.mode}; analysed {count(len(project.files), 'file')}{reused}", file=sys.stderr)
        if focus is not None:
            print(f"callgraph: reporting findings that involve {count(len(focus), 'given file')}", file=sys.stderr)
        if project.cache_hits is not None:
            print(f"callgraph: cache: {project.cache_hits} hits, {project.cache_misses} misses", file=sys.stderr)
        if executor is not None:
            print(f"callgraph: executor: {printable(executor.describe())}; {count(executor.extracted, 'file')} extracted there", file=sys.stderr)

    report = _render(args, analysis, reported, findings, hidden, notes)
    if args.output or report:
        colored = args.format == "text" and (use_color(args.color, sys.stdout) if not args.output else args.color == "always")
        emit(report, args.output, fmt=args.format, end="\n" if report else "", colored=colored)

    if args.format in ("text", "markdown") and not args.quiet:
        for path, message in notes:
            print(f"{printable(path)}: note: {printable(message)}", file=sys.stderr)
    if not project.files and not project.errors and not focus_mode:
        print(render.no_python_files(paths), file=sys.stderr)
    elif not args.quiet and args.format not in ("json", "sarif"):
        print(render.summary(project, findings, suppressed=len(hidden), focus=len(focus) if focus is not None else None), file=sys.stderr)
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN
