"""`callgraph demo`: the whole `_ddl_attempt` investigation, built and run in a temporary directory.

It builds a git repository (`osiris-etl`, branches `main` and `debug/codex-test`), a "sandbox"
with its own home directory and its own interpreter (a virtual environment) whose site-packages
holds a stale install of the package from the debugging branch, ahead of the fresh upload that a
.pth file adds, and a newer version of a dependency (`retrylib` 2, where the local environment has
1, the version the code was written for), and then runs `callgraph parity` on the repository against the sandbox (reached
through the `cmd` backend: a real python3 subprocess fed the probe over stdin) and
`callgraph diff main debug/codex-test`, and prints both reports.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..reports import demo_story
from ..reports.diff import diff_projects
from ..reports.diff_render import render_diff
from ..reports.parity import render
from ..reports.tables import DEFAULT_WIDTH, fit_lines, terminal_width
from ..reports.parity_evidence import investigate
from ..errors import InputError
from ..pipeline import analyze_snapshot
from ..snapshots.spec import open_snapshot
from .common import EXIT_CLEAN, add_cache_options, emit, open_cache, path_name

ORDER = 70
PACKAGE = "osiris"
DRIVER = "supabase_writer_driver"
MODULE = f"{PACKAGE}.drivers.{DRIVER}"
SYMBOL = "SupabaseWriterDriver._ddl_attempt"
LOCAL_RETRYLIB, REMOTE_RETRYLIB = "1.0.4", "2.0.1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="build the _ddl_attempt story in a temporary directory and investigate it (parity, diff)",
        description=(
            "Build, in a temporary directory, a git repository with a small ETL package (branches main and "
            "debug/codex-test) and a stale 'sandbox': its own home directory and interpreter, with an old install "
            "of the package in site-packages shadowing the fresh upload. Then run `callgraph parity` on the "
            "repository against the sandbox, reached through the cmd backend (a real python3 subprocess fed the "
            "probe script over stdin), and `callgraph diff main debug/codex-test`, and print both reports."
        ),
        epilog=(
            "examples:\n"
            "  callgraph demo                   build, investigate, print, clean up\n"
            "  callgraph demo --keep /tmp/d     leave the repository and the sandbox there to explore\n\n"
            "exit codes: 0 the demo ran, 2 it could not be built (git or python missing)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--keep", metavar="DIR", type=path_name, help="build in DIR (created, must be empty) and keep it")
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="report format (default: text, fitted to the terminal: 100 columns when not one)",
    )
    add_cache_options(p)  # the standard library modules both environments read are parsed once, then cached
    p.set_defaults(run=run)


_SPECIAL = (Path("/proc"), Path("/sys"), Path("/dev"))  # kernel file systems: never a place to build in


def _keep_dir(keep: str) -> Path:
    """`--keep DIR`: an empty directory (created) on an ordinary file system, or an InputError."""
    base = Path(keep).resolve()
    if any(base == s or s in base.parents for s in _SPECIAL):
        raise InputError(f"{keep}: on a kernel file system ({base}); give an ordinary directory")
    try:
        if base.exists() or base.is_symlink():
            if not base.is_dir():
                raise InputError(f"{keep}: not a directory")
            if any(base.iterdir()):
                raise InputError(f"{keep}: not empty")
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{keep}: cannot create the directory: {exc.strerror or exc}") from None
    return base


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.keep:
        base = _keep_dir(args.keep)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="callgraph-demo-")
        base = Path(cleanup.name).resolve()
    try:
        from ..store.memory import MemoryCache

        try:
            story = build(base)
        except OSError as exc:  # a full disk, a read-only or special file system under --keep
            where = f" {exc.filename}" if exc.filename else ""
            raise InputError(f"cannot build the demo in {base}:{where}: {exc.strerror or exc}") from None
        with MemoryCache(open_cache(args)) as cache:
            report = story_report(story, args.format, terminal_width(), cache)
        elapsed = time.perf_counter() - started
        emit(report, fmt=args.format)
        emit(f"(demo built and investigated in {elapsed:.1f}s"
             + (f"; kept in {base})" if cleanup is None else "; temporary directory removed)"))
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    return EXIT_CLEAN


INSTALLED_VERSION = "0.4.0"  # the stale install's distribution version in the sandbox


def build(base: Path) -> dict:
    """The repository, the sandbox, and the spec that reaches the sandbox."""
    if shutil.which("git") is None:
        raise InputError("the demo needs git on PATH")
    try:
        repo = demo_story.ddl_story(base / "osiris-etl", package=PACKAGE, driver=DRIVER, dependency=True)
    except subprocess.CalledProcessError as exc:
        raise InputError(f"the demo could not build its git repository: {exc.stderr or exc}") from None
    sandbox = base / "sandbox"
    home = sandbox / "home" / "user"
    app = home / "app"
    demo_story.export(repo, "main", app)  # the fresh upload: main, file for file
    venv = sandbox / "venv"
    # -I: the current directory (the user's, maybe an untrusted tree) is not on sys.path, so a
    # venv.py there is not what runs.
    proc = subprocess.run([sys.executable, "-I", "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        raise InputError(f"the demo could not create the sandbox interpreter: {proc.stderr.strip()[-300:]}")
    site = next(venv.glob("lib/python3*/site-packages"), None)
    if site is None:
        raise InputError("the demo could not find the sandbox interpreter's site-packages")
    # A stale install from the debugging branch, and the upload added behind it by a .pth file.
    demo_story.export(repo, "debug/codex-test", site / "_install")
    (site / "_install" / PACKAGE).rename(site / PACKAGE)
    shutil.rmtree(site / "_install")
    demo_story.dist_info(site, PACKAGE, INSTALLED_VERSION)  # `pip install` from the branch, as a wheel would
    (site / "osiris_app.pth").write_text(f"{app}\n")
    # The dependency drift: the sandbox installed retrylib 2, the developer's environment has 1.
    demo_story.install_retrylib(site, REMOTE_RETRYLIB)
    local_site = demo_story.install_retrylib(base / "local-site", LOCAL_RETRYLIB)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    prefix = ["env", "-i", f"PATH={bin_dir}:/usr/bin:/bin", f"HOME={home}"]
    if _env_chdir():
        prefix[1:1] = ["-C", str(home)]
    spec = "cmd:" + shlex.join(prefix) + f"::{app}"
    return {"base": base, "repo": repo, "sandbox": sandbox, "app": app, "site": site, "spec": spec,
            "local_site": local_site}


def _env_chdir() -> bool:
    """GNU env can start the command in another directory (the sandbox's home, as a real one would)."""
    try:
        return subprocess.run(["env", "-C", "/", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def story_report(story: dict, fmt: str = "markdown", width: int = DEFAULT_WIDTH, cache=None) -> str:
    repo, spec = story["repo"], story["spec"]
    parity = investigate(".", spec, modules=[MODULE], symbols=[SYMBOL], cwd=repo,
                         local_path=[str(story["local_site"])] if story.get("local_site") else [], cache=cache)
    with open_snapshot("main", repo) as old, open_snapshot("debug/codex-test", repo) as new:
        diff = diff_projects(analyze_snapshot(old), analyze_snapshot(new), old.label, new.label,
                             read_old=old.read, read_new=new.read)
    intro = [
        "# callgraph demo: the `_ddl_attempt` story",
        "",
        f"- local: the git repository `{repo}` on `main` (branches: main, debug/codex-test)",
        f"- remote: a sandbox with its own home `{story['app'].parent}` and interpreter, whose site-packages "
        f"`{story['site']}` holds an install from debug/codex-test, and a .pth file that adds the upload "
        f"`{story['app']}` (a copy of main) behind it",
        f"- and the sandbox installed retrylib {REMOTE_RETRYLIB}, while the local environment has retrylib "
        f"{LOCAL_RETRYLIB} (`{story.get('local_site')}`, first on its import path): "
        f"`{PACKAGE}/fetch.py` was written against 1.x",
        "- reached with the cmd backend: the spec `remote` (`$REMOTE`), defined at the top of the report below",
        "",
        f"$ cd {shlex.quote(str(repo))}",
        "$ " + shlex.join(["callgraph", "parity", ".", "REMOTE", "--module", MODULE, "--symbol", SYMBOL, "--format", fmt])
        .replace(" REMOTE ", ' "$REMOTE" ', 1),
        "",
        "",
    ]
    if fmt == "json":
        return render(parity, "json")
    tail = [
        "",
        f"$ callgraph diff main debug/codex-test --format {fmt}",
        "",
        render_diff(diff, fmt, width=width),
    ]
    text = "\n".join(intro) + render(parity, fmt, width=width) + "\n".join(tail)
    return fit_lines(text, width) if fmt == "text" else text


__all__ = ["build", "register", "run", "story_report"]
