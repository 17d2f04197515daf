"""Seed faults into a package's calls to its *own* functions and count how many `check` catches.

    python scripts/seed_project_faults.py PACKAGE_DIR --python VENV/bin/python [--limit N] [--seed S]

1. Analyse PACKAGE_DIR with that environment, in process; never import it.
2. Candidates: call sites without *args/**kwargs whose one target, as the lenient call-graph
   resolver sees it (resolve/possible.py: it follows decorators, flows and writes the checker does
   not trust), is a function or constructor defined in the project. That resolver is the oracle
   of what the call means; the checker's own resolution is what is measured.
3. Each candidate gets one mutation (drop every argument, add a misspelt keyword, or add surplus
   positionals), sampled with a fixed seed; it is a seeded fault when it cannot bind to that target
   (binding.bind, differential-tested against CPython in tests/test_binding.py).
4. Count the fault caught when the checker's resolution of the call is complete and every target
   rejects the mutated shape (with --full: re-run the whole check on the mutated file and look for
   a finding on that line; the two agree, as a call's resolution does not depend on its arguments). Also prints the fraction of call sites the checker resolves completely.
Prints caught / seeded and the misses."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from seed_outside_faults import mutations  # noqa: E402

from callgraph import analyze_sources  # noqa: E402
from callgraph.analysis.checks import verdict  # noqa: E402
from callgraph.environment.model import Environment  # noqa: E402
from callgraph.resolve.binding import Verdict, bind, bind_no_arguments, bind_no_keywords  # noqa: E402
from callgraph.resolve.possible import PossibleResolver  # noqa: E402
from callgraph.snapshots.tree import discover, read_sources  # noqa: E402
from callgraph.store.cache import FactsCache  # noqa: E402


def rejects(target, shape) -> bool:
    kind = target.kind.value
    if kind == "no-arguments":
        return bind_no_arguments(target.qualname, shape).verdict is Verdict.ERROR
    if kind == "no-keywords":
        return bind_no_keywords(target.qualname, shape).verdict is Verdict.ERROR
    return bind(target.signature, shape, target.qualname, implicit=target.implicit).verdict is Verdict.ERROR


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package")
    ap.add_argument("--python", default=None)
    ap.add_argument("--limit", type=int, default=60, help="seeded faults at most (default 60)")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--full", action="store_true", help="re-run the whole check per fault (slow) instead of "
                    "judging the call's own resolution with the checker's verdict (a call's resolution never "
                    "depends on its arguments, so both agree)")
    args = ap.parse_args()
    env = Environment.local(args.python)
    sources, _ = read_sources(discover([args.package], []), None)
    with tempfile.TemporaryDirectory() as tmp, FactsCache.open(Path(tmp)) as cache:
        base = analyze_sources(sources, cache=cache, environment=env)
        index = base.index
        lenient = PossibleResolver(index)
        candidates = []
        for rc in base.calls:
            if rc.call.shape.star or rc.call.shape.double_star or rc.call.expects_type_error:
                continue
            try:
                targets = lenient.targets(rc.module, rc.call)
            except Exception:  # the lenient resolver's budget: skip the call
                continue
            if len(targets) == 1 and targets[0].module in index.modules and (targets[0].signature or targets[0].kind.value != "function"):
                candidates.append((rc, targets[0]))
        rng = random.Random(args.seed)
        rng.shuffle(candidates)
        by_path = {s[0]: i for i, s in enumerate(sources)}
        seeded = caught = 0
        misses = []
        for rc, target in candidates:
            if seeded >= args.limit:
                break
            i = by_path[rc.path]
            original = sources[i][3].decode("utf-8")
            options = [(k, m, s) for k, m, s in mutations(original, rc.call.line, rc.call.column) if rejects(target, s)]
            options.sort(key=lambda o: o[0])
            if not options:
                continue
            kind, mutated, shape = rng.choice(options)
            seeded += 1
            if args.full:
                changed = list(sources)
                changed[i] = (*sources[i][:3], mutated.encode())
                found = analyze_sources(changed, cache=cache, environment=env).findings()
                hit = any(f.path == rc.path and f.line == rc.call.line for f in found)
            else:
                res = rc.resolution
                hit = res.complete and bool(res.targets) and all(verdict(t, shape).verdict is Verdict.ERROR for t in res.targets)
            if hit:
                caught += 1
            else:
                misses.append(f"{rc.path}:{rc.call.line} {kind} {rc.call.callee_text} -> {target.full_name}")
        stats = base.stats
    print(f"{args.package}: {stats['calls']} calls, {stats['resolved_calls']} resolved completely "
          f"({stats['resolved_calls'] / max(1, stats['calls']):.3f}); {len(candidates)} project-call candidates")
    print(f"caught {caught} / seeded {seeded} = {caught / seeded if seeded else float('nan'):.3f}")
    for m in misses:
        print("  missed:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
