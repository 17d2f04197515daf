"""Fuzz the whole pipeline (facts, resolve, check, graph, diff) with generated programs.

    .venv/bin/python scripts/fuzz.py [--examples 10000] [--seed 0]

Programs come from hypothesmith (valid syntax from CPython's grammar) and from
mutating real files (deleting random lines, truncating). Prints the number of
crashes, which must be 0, and the first few tracebacks.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from callgraph import analyze_sources  # noqa: E402
from callgraph.reports.diff import diff_projects  # noqa: E402


def pipeline(old: str | bytes, new: str | bytes) -> None:
    """Everything a user can run on two versions of one module; any exception is a crash."""
    projects = []
    for source in (old, new):
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
        project = analyze_sources([("m.py", "m", False, data), ("pkg/__init__.py", "pkg", True, data)])
        project.findings()
        projects.append(project)
    diff_projects(*projects)


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    choice = rng.randrange(3)
    if choice == 0 and lines:
        for _ in range(rng.randint(1, max(1, len(lines) // 5))):
            del lines[rng.randrange(len(lines))]
            if not lines:
                break
        return b"".join(lines)
    if choice == 1:
        return data[: rng.randrange(len(data) + 1)]
    if lines:
        i = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"".join(lines)


def corpus_files() -> list[Path]:
    return sorted((_ROOT / "callgraph").glob("*.py")) + sorted((_ROOT / "fixtures").rglob("*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import warnings

    from hypothesis import HealthCheck, given, settings
    import hypothesmith

    warnings.filterwarnings("ignore", category=SyntaxWarning)  # hypothesmith compiles its own output
    crashes: list[str] = []
    count = {"generated": 0, "mutated": 0}
    started = time.perf_counter()

    @settings(max_examples=args.examples // 2, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(hypothesmith.from_grammar())
    def generated(source: str) -> None:
        count["generated"] += 1
        try:
            pipeline(source, source + "\nx = 1\n")
        except Exception:  # noqa: BLE001 - counting every crash is the point
            crashes.append(traceback.format_exc())

    generated()
    rng = random.Random(args.seed)
    files = [p.read_bytes() for p in corpus_files()]
    for _ in range(args.examples - count["generated"]):
        count["mutated"] += 1
        data = rng.choice(files)
        try:
            pipeline(data, mutate(data, rng))
        except Exception:  # noqa: BLE001
            crashes.append(traceback.format_exc())
    total = count["generated"] + count["mutated"]
    print(
        f"fuzz: {total} programs ({count['generated']} generated, {count['mutated']} mutated), "
        f"{len(crashes)} crashes, {time.perf_counter() - started:.1f}s"
    )
    for tb in crashes[:3]:
        print(tb)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
