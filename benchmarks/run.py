"""Benchmark callgraph against pylint, mypy and ty on the same tree, in one invocation.

    python benchmarks/run.py [--runs 3] [--corpus DIR] [--skip-peers] [--only django]

Installs the corpus (django 5.2, sqlalchemy, rich, requests, flask) from the
package registry into a temporary target with `pip install --target --no-deps`,
and the peers (pylint, mypy; ty when it installs) into a temporary virtual
environment. Every peer runs in the same invocation as callgraph: mypy cold, warm
and after each of the same three edits; ty once (it keeps no cache). Prints a
table of wall-clock medians, peak RSS and the ratios issue 18 sets targets for,
with the exact commands. Nothing here is a test: the figures go into README by
hand, with the date and core count.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ["django==5.2.*", "sqlalchemy", "rich", "requests", "flask"]
PACKAGES = ["django", "sqlalchemy", "rich", "requests", "flask"]


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB of the process tree's largest member, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return wall, int(usage.ru_maxrss / 1024), os.waitstatus_to_exitcode(status)


def median_of(runs: int, cmd: list[str], cwd: Path, before=None) -> tuple[float, int]:
    walls, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        wall, peak, _ = run(cmd, cwd)
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), max(peaks)


def lines_of(path: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in path.rglob("*.py"))


def install(target: Path, peers_venv: Path, skip_peers: bool) -> None:
    if not (target / "django").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), *CORPUS], check=True)
    if not skip_peers and not (peers_venv / "bin" / "mypy").exists():
        subprocess.run([sys.executable, "-m", "venv", str(peers_venv)], check=True)
        subprocess.run([str(peers_venv / "bin" / "pip"), "install", "-q", "pylint", "mypy"], check=True)
    if not skip_peers and not (peers_venv / "bin" / "ty").exists():
        # ty is optional: a registry without it (or a platform without its wheel) leaves its rows out.
        subprocess.run([str(peers_venv / "bin" / "pip"), "install", "-q", "ty"], check=False)


def keep_outside_facts_only(cache: Path) -> None:
    """Empty the project's part of a callgraph cache, keep the outside modules' interface facts:
    a cold run of a new project on a machine where another project already ran."""
    import sqlite3

    for db in cache.glob("facts-v*.sqlite3"):
        con = sqlite3.connect(db)
        try:
            con.execute("DELETE FROM facts WHERE blob NOT LIKE 'interface-%'")
            con.execute("DELETE FROM runs")
            con.commit()
        finally:
            con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "callgraph-bench-corpus")
    parser.add_argument("--skip-peers", action="store_true", help="callgraph only")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    peers = corpus.parent / "callgraph-bench-peers"
    install(corpus, peers, args.skip_peers)
    cg = [sys.executable, "-m", "callgraph", "check", "-q"]
    cache = Path(tempfile.mkdtemp(prefix="callgraph-bench-cache-"))
    rows: list[list[str]] = []

    def fresh_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir()

    django_lines = lines_of(corpus / "django")
    print(f"corpus: django {django_lines} lines; {os.cpu_count()} cores; python {sys.version.split()[0]}", flush=True)

    cold_cmd = cg + ["django", "--cache-dir", str(cache)]
    cold, cold_rss = median_of(args.runs, cold_cmd, corpus, fresh_cache)
    rows.append(["callgraph check django, cold (-j default)", f"{cold:.2f}", cold_rss, " ".join(cold_cmd[2:]) + "  (empty cache)"])
    warm, warm_rss = median_of(args.runs, cold_cmd, corpus)
    rows.append(["callgraph check django, warm", f"{warm:.2f}", warm_rss, " ".join(cold_cmd[2:])])
    # The environment's facts are shared by every project using the same cache (the default one is
    # per user): a project's first run on a machine where another ran finds them there.
    env_warm, rss = median_of(args.runs, cold_cmd, corpus, lambda: keep_outside_facts_only(cache))
    rows.append(["callgraph check django, cold, outside modules' facts cached", f"{env_warm:.2f}", rss,
                 " ".join(cold_cmd[2:]) + "  (cache: outside modules only)"])
    # What the environment (outside modules read as call targets, on by default) costs.
    alone_cmd = cold_cmd + ["--no-environment"]
    alone_cold, rss = median_of(args.runs, alone_cmd, corpus, fresh_cache)
    rows.append(["callgraph check django, cold, --no-environment", f"{alone_cold:.2f}", rss, " ".join(alone_cmd[2:]) + "  (empty cache)"])
    alone_warm, rss = median_of(args.runs, alone_cmd, corpus)
    rows.append(["callgraph check django, warm, --no-environment", f"{alone_warm:.2f}", rss, " ".join(alone_cmd[2:])])
    fresh_cache()
    median_of(1, cold_cmd, corpus)  # the edits below start from a warm cache with the environment on
    edited = corpus / "django" / "utils" / "text.py"
    original = edited.read_bytes()
    assert b".upper()" in original
    counter = iter(range(10**6))
    # Three kinds of edit, each different on every run: a comment (the facts stay the same), an
    # argument added to a call in a function body (only that file is redone), and an import added
    # at the top (the module's interface changes). mypy gets the very same edits below.
    edits = {
        "comment appended": lambda n: original + f"\n# edit {n}\n".encode(),
        "a call in a body edited": lambda n: original.replace(b".upper()", f".upper({n})".encode(), 1),
        "an import added": lambda n: f"import os as _edit{n}\n".encode() + original,
    }

    def after_edits(cmd: list[str]) -> dict[str, tuple[float, int]]:
        out = {}
        for label, make in edits.items():
            try:
                out[label] = median_of(args.runs, cmd, corpus, lambda: edited.write_bytes(make(next(counter))))
            finally:
                edited.write_bytes(original)
            median_of(1, cmd, corpus)  # back to the original's cache state
        return out

    ours = after_edits(cold_cmd)
    for label, (t, rss) in ours.items():
        rows.append([f"callgraph check django, warm, one file edited: {label}", f"{t:.2f}", rss, " ".join(cold_cmd[2:])])
    for jobs in (1, 2):
        cmd = cg + ["django", "--no-cache", "-j", str(jobs)]
        t, rss = median_of(args.runs, cmd, corpus)
        rows.append([f"callgraph check django, no cache, -j {jobs}", f"{t:.2f}", rss, " ".join(cmd[2:])])
    all_cmd = cg + PACKAGES + ["--no-cache"]
    t, rss = median_of(1, all_cmd, corpus)
    rows.append([f"callgraph check, five packages ({sum(lines_of(corpus / p) for p in PACKAGES)} lines)", f"{t:.2f}", rss, " ".join(all_cmd[2:])])

    peer: dict[str, float] = {}
    theirs: dict[str, tuple[float, int]] = {}
    if not args.skip_peers:
        pylint = [str(peers / "bin" / "pylint"), "-j", "2", "--disable=all", "--enable=E1120,E1121,E1123,E1124,E1125", "django"]
        t, rss = median_of(args.runs, pylint, corpus)
        peer["pylint"] = t
        rows.append(["pylint -j 2 (E1120-E1125)", f"{t:.2f}", rss, " ".join(pylint)])
        mypy_cache = Path(tempfile.mkdtemp(prefix="mypy-cache-"))
        mypy = [str(peers / "bin" / "mypy"), "--cache-dir", str(mypy_cache), "--ignore-missing-imports", "--no-error-summary", "django"]
        t, rss = median_of(args.runs, mypy, corpus, lambda: (shutil.rmtree(mypy_cache, ignore_errors=True), mypy_cache.mkdir()))
        peer["mypy cold"] = t
        rows.append(["mypy, cold", f"{t:.2f}", rss, " ".join(mypy)])
        t, rss = median_of(args.runs, mypy, corpus)
        peer["mypy warm"] = t
        rows.append(["mypy, warm", f"{t:.2f}", rss, " ".join(mypy)])
        theirs = after_edits(mypy)
        for label, (t, rss) in theirs.items():
            rows.append([f"mypy, warm, one file edited: {label}", f"{t:.2f}", rss, " ".join(mypy)])
        shutil.rmtree(mypy_cache, ignore_errors=True)
        ty = peers / "bin" / "ty"
        if ty.exists():
            ty_cmd = [str(ty), "check", "--exit-zero", "--no-progress", "--python", str(peers / "bin" / "python"), "django"]
            t, rss = median_of(args.runs, ty_cmd, corpus)
            peer["ty"] = t
            rows.append(["ty check (no cache: every run is cold)", f"{t:.2f}", rss, " ".join(ty_cmd)])

    # Scaling: three sizes, exponent from a log-log fit of time against lines.
    sizes = []
    for pkgs in (["requests"], ["rich", "flask"], ["django"], PACKAGES):
        cmd = cg + pkgs + ["--no-cache", "-j", "1"]
        t, _ = median_of(1, cmd, corpus)
        sizes.append((sum(lines_of(corpus / p) for p in pkgs), t, "+".join(pkgs)))
    xs = [math.log(n) for n, _, _ in sizes]
    ys = [math.log(t) for _, t, _ in sizes]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)

    from tabulate import tabulate

    print(tabulate(rows, ["run", "median s", "peak MB", "command"], tablefmt="github"))
    peak = max(int(r[2]) for r in rows if r[0].startswith("callgraph"))

    def ratio(label: str, ours_s: float, theirs_s: float, target: str = "") -> None:
        print(f"{label}: {ours_s:.2f}s / {theirs_s:.2f}s = {ours_s / theirs_s:.2f}" + (f" (target <= {target})" if target else ""))

    print()
    if "mypy cold" in peer:
        ratio("cold, callgraph / mypy cold", cold, peer["mypy cold"], "1.1")
        ratio("cold with outside facts cached, callgraph / mypy cold", env_warm, peer["mypy cold"])
        ratio("warm, nothing changed, callgraph / mypy warm", warm, peer["mypy warm"], "1.0")
        for label in edits:
            ratio(f"warm, one file edited ({label}), callgraph / mypy", ours[label][0], theirs[label][0], "1.0")
        ratio("cold, callgraph / pylint", cold, peer["pylint"], "0.33")
    if "ty" in peer:
        ratio("cold, callgraph / ty", cold, peer["ty"])
    ratio("environment, cold: on / --no-environment", cold, alone_cold, "1.25")
    ratio("environment, cold with outside facts cached: on / --no-environment", env_warm, alone_cold, "1.25")
    ratio("environment, warm: on / --no-environment", warm, alone_warm)
    print(f"peak memory, callgraph: {peak} MB (target <= 500)")
    print()
    print(tabulate([[label, n, f"{t:.2f}"] for n, t, label in sizes], ["packages", "lines", "seconds (-j 1, no cache)"], tablefmt="github"))
    print(f"time grows as lines^{slope:.2f}")
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
