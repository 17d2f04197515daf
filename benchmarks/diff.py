"""Benchmark `callgraph diff` between two refs of a real repository against `check`.

    python benchmarks/diff.py [--runs 3] [--corpus DIR] [--files 5]

Builds a git repository from Django 5.2 (159k lines, installed from the package
registry with `pip install --target --no-deps`), commits it as `main`, then edits
a handful of files on `change` (a parameter added to one function in each).
Prints medians for: a cold check, a cold diff, a warm diff, and a check of only
the edited files, with the exact commands and the two ratios issue 4 asks for.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from callgraph.snapshots.git import run_git

ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@example.invalid", "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent"}


def git(repo: Path, *args: str) -> None:
    """Through callgraph's one git gateway, like every git call in the project."""
    run_git(*args, cwd=repo, env=ENV, timeout=600)


def timed(cmd: list[str], cwd: Path, runs: int, before=None) -> float:
    walls = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def build(repo: Path, corpus: Path, n_files: int) -> list[str]:
    if not (corpus / "django").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(corpus), "django==5.2.*"], check=True)
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    shutil.copytree(corpus / "django", repo / "django")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "django")
    git(repo, "checkout", "-q", "-b", "change")
    edited = []
    for path in sorted((repo / "django").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        m = re.search(r"^def (\w+)\(([^)\n]*)\):", text, re.M)
        if m is None:
            continue
        params = m.group(2).strip()
        new = f"def {m.group(1)}({params + ', ' if params else ''}extra_flag):"
        path.write_text(text[: m.start()] + new + text[m.end() :], encoding="utf-8")
        edited.append(path.relative_to(repo).as_posix())
        if len(edited) == n_files:
            break
    git(repo, "commit", "-q", "-am", "change signatures")
    git(repo, "checkout", "-q", "main")
    return edited


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "callgraph-bench-corpus")
    parser.add_argument("--files", type=int, default=5)
    args = parser.parse_args(argv)
    repo = Path(tempfile.gettempdir()) / "callgraph-bench-diff-repo"
    edited = build(repo, args.corpus, args.files)
    cache = Path(tempfile.mkdtemp(prefix="callgraph-bench-diff-cache-"))

    def fresh() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir()

    cg = [sys.executable, "-m", "callgraph"]
    check = cg + ["check", "-q", ".", "--cache-dir", str(cache)]
    diff = cg + ["diff", "main", "change", "--cache-dir", str(cache)]
    # The edited files by themselves, parsed and analysed without the rest of the project (check with
    # file arguments would analyse the whole project, as pre-commit needs).
    alone = [sys.executable, "-c", "import sys, callgraph; callgraph.analyze(sys.argv[1:]).findings()", *edited]
    rows = [
        ["check, cold", timed(check, repo, args.runs, fresh), " ".join(check[2:]) + "  (empty cache)"],
        ["diff main change, cold", timed(diff, repo, args.runs, fresh), " ".join(diff[2:]) + "  (empty cache)"],
    ]
    fresh()
    subprocess.run(diff, cwd=repo, capture_output=True)
    rows.append(["diff main change, warm", timed(diff, repo, args.runs), " ".join(diff[2:])])
    subprocess.run(check, cwd=repo, capture_output=True)
    rows.append(["check, warm", timed(check, repo, args.runs), " ".join(check[2:])])
    rows.append([f"the {len(edited)} edited files alone", timed(alone, repo, args.runs), "python -c 'callgraph.analyze(files).findings()' <files>"])
    from tabulate import tabulate

    print(f"repository: django 5.2 at main, {len(edited)} files changed on 'change'")
    print(tabulate([[r[0], f"{r[1]:.2f}", r[2]] for r in rows], ["run", "median s", "command"], tablefmt="github"))
    t = {r[0]: r[1] for r in rows}
    print(f"cold diff / cold check = {t['diff main change, cold'] / t['check, cold']:.2f} (target <= 1.1)")
    print(f"warm diff / warm check = {t['diff main change, warm'] / t['check, warm']:.2f} (issue 7 target <= 1.5)")
    alone_key = f"the {len(edited)} edited files alone"
    print(f"warm diff / edited files alone = {t['diff main change, warm'] / t[alone_key]:.2f} (target about 1)")
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
