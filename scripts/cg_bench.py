"""Score callgraph's edges against the micro-benchmark in fixtures/cg_bench, per category.

Each case is a directory `fixtures/cg_bench/<category>/<case>/` with `main.py`, any other modules,
and `callgraph.json`: the expected adjacency in PyCG's format. The case directory is the analysed
root, so names are `main.f`, `util.helper`, `main.C.m.<lambda1>`...

    .venv/bin/python scripts/cg_bench.py                 per-category precision and recall
    .venv/bin/python scripts/cg_bench.py --details       plus every missing or extra edge
    .venv/bin/python scripts/cg_bench.py --trace CASE    the edges CPython actually takes (runs the case)

`--trace` executes a case's own code (our fixture, never analysed user code) under a profiler in
a subprocess and prints the caller -> callee edges it saw, in the same format: it is how the
expected files were checked against reality.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "fixtures" / "cg_bench"
sys.path.insert(0, str(ROOT))

Edge = tuple[str, str]


def cases(bench: Path = BENCH) -> list[Path]:
    return sorted(p.parent for p in bench.glob("*/*/callgraph.json"))


def edges(adjacency: dict[str, list[str]]) -> set[Edge]:
    return {(caller, callee) for caller, callees in adjacency.items() for callee in callees}


def produced(case: Path) -> dict[str, list[str]]:
    """callgraph's PyCG-format adjacency for one case, the case directory as root."""
    from callgraph import analyze
    from callgraph.reports.export import code_graph, to_pycg
    from callgraph.analysis.graph import add_possible_edges

    project = analyze([case], roots=[case])
    return to_pycg(code_graph(add_possible_edges(project)))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    cases: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(bench: Path = BENCH) -> dict[str, Score]:
    """Edge-level true/false positives and false negatives, summed per category."""
    out: dict[str, Score] = {}
    for case in cases(bench):
        want = edges(json.loads((case / "callgraph.json").read_text()))
        got = edges(produced(case))
        s = out.setdefault(case.parent.name, Score())
        s.cases += 1
        s.tp += len(want & got)
        s.fp += len(got - want)
        s.fn += len(want - got)
        name = f"{case.parent.name}/{case.name}"
        s.missing += [f"{name}: {a} -> {b}" for a, b in sorted(want - got)]
        s.extra += [f"{name}: {a} -> {b}" for a, b in sorted(got - want)]
    return out


def total(scores: dict[str, Score]) -> Score:
    t = Score()
    for s in scores.values():
        t.tp, t.fp, t.fn, t.cases = t.tp + s.tp, t.fp + s.fp, t.fn + s.fn, t.cases + s.cases
    return t


# -- the runtime truth ---------------------------------------------------------------------------

_TRACER = r'''
import ast, json, os, sys
root = os.path.realpath(os.getcwd())
sys.path.insert(0, root)
COMPREHENSIONS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}
lambda_names = {}

def module_of(filename):
    rel = os.path.relpath(os.path.realpath(filename), root)[:-3].replace(os.sep, ".")
    return rel[:-9] if rel.endswith(".__init__") else rel

def number_lambdas(filename):
    """PyCG's names: the n-th lambda of a scope (source order) is <lambdan>."""
    tree = ast.parse(open(filename, encoding="utf-8").read())
    counters = {}
    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, scope + (child.name,))
            elif isinstance(child, ast.Lambda):
                counters[scope] = counters.get(scope, 0) + 1
                name = f"<lambda{counters[scope]}>"
                lambda_names[(filename, child.lineno, child.col_offset)] = (scope, name)
                visit(child, scope + (name,))
            else:
                visit(child, scope)
    visit(tree, ())

def name_of(frame):
    code = frame.f_code
    fn = os.path.realpath(code.co_filename)
    if not fn.startswith(root + os.sep) or not fn.endswith(".py"):
        return None
    module = module_of(fn)
    if code.co_name == "<module>":
        return module
    if code.co_name == "<lambda>":
        if fn not in {k[0] for k in lambda_names}:
            number_lambdas(fn)
        hits = [v for k, v in lambda_names.items() if k[0] == fn and k[1] == code.co_firstlineno]
        if len(hits) == 1:
            return ".".join((module,) + hits[0][0] + (hits[0][1],))
    return module + "." + code.co_qualname.replace(".<locals>", "")

def caller_of(frame):
    f = frame.f_back
    while f is not None:
        if f.f_code.co_name not in COMPREHENSIONS:
            n = name_of(f)
            if n is not None:
                return n
        f = f.f_back
    return None

edges, nodes = set(), set()
def profile(frame, event, arg):
    if event != "call" or frame.f_code.co_name in COMPREHENSIONS:
        return
    if frame.f_code.co_name != "<module>" and not frame.f_code.co_flags & 0x1:
        return  # a class body runs when the class is defined: not a call
    callee = name_of(frame)
    if callee is None:
        return
    nodes.add(callee)
    caller = caller_of(frame)
    if caller is not None and frame.f_code.co_name != "<module>":
        edges.add((caller, callee))

sys.setprofile(profile)
try:
    import runpy
    runpy.run_path(os.path.join(root, "main.py"), run_name="main")
finally:
    sys.setprofile(None)
adj = {}
for a, b in sorted(edges):
    adj.setdefault(a, []).append(b)
print(json.dumps(adj, indent=2, sort_keys=True))
'''


def trace(case: Path) -> dict[str, list[str]]:
    """The caller -> callee edges CPython takes running the case's main.py (our own fixture code)."""
    proc = subprocess.run([sys.executable, "-c", _TRACER], cwd=case, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"{case}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--details", action="store_true", help="list every missing and extra edge")
    ap.add_argument("--trace", metavar="CASE", help="print the runtime edges of one case directory")
    ap.add_argument("--bench", default=str(BENCH), help="benchmark directory (default: fixtures/cg_bench)")
    args = ap.parse_args(argv)
    if args.trace:
        print(json.dumps(trace(Path(args.trace).resolve()), indent=2, sort_keys=True))
        return 0
    started = time.perf_counter()
    scores = score(Path(args.bench))
    t = total(scores)
    rows = [[c, s.cases, s.tp, s.fp, s.fn, f"{s.precision:.3f}", f"{s.recall:.3f}"] for c, s in sorted(scores.items())]
    rows.append(["all", t.cases, t.tp, t.fp, t.fn, f"{t.precision:.3f}", f"{t.recall:.3f}"])
    print(tabulate(rows, headers=["category", "cases", "edges found", "extra", "missing", "precision", "recall"]))
    print(f"\n{t.cases} cases in {time.perf_counter() - started:.2f}s")
    if args.details:
        for c, s in sorted(scores.items()):
            for line in s.missing:
                print(f"missing  {line}")
            for line in s.extra:
                print(f"extra    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
