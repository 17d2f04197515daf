"""The call-graph micro-benchmark: edge precision and recall, and expectations checked against CPython.

Each case under fixtures/cg_bench/<category>/<case>/ has an expected PyCG-format adjacency. The
scores must stay at or above 0.97 overall; each expected file must equal the edges CPython takes
when the case runs (our own fixture code, run in a subprocess under a profiler), so the
expectations are facts, not opinions.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("cg_bench", ROOT / "scripts" / "cg_bench.py")
cg_bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("cg_bench", cg_bench)  # dataclasses looks the module up there
_spec.loader.exec_module(cg_bench)

CASES = cg_bench.cases()
CATEGORIES = {"direct_calls", "imports", "classes", "mro", "super", "decorators", "lambdas", "higher_order",
              "returns", "containers", "nested", "assignments", "generators", "exceptions", "dicts", "lists", "args",
              "kwargs", "callbacks"}


def test_every_category_has_cases() -> None:
    found = {c.parent.name for c in CASES}
    assert found == CATEGORIES
    for c in CASES:
        assert (c / "main.py").is_file()
        adj = json.loads((c / "callgraph.json").read_text())
        assert all(isinstance(k, str) and isinstance(v, list) for k, v in adj.items())


def test_precision_and_recall_at_least_097() -> None:
    scores = cg_bench.score()
    total = cg_bench.total(scores)
    detail = "\n".join(scores_text(scores))
    assert total.precision >= 0.97 and total.recall >= 0.97, detail
    for name, s in scores.items():  # no category may collapse unnoticed
        assert s.precision >= 0.9 and s.recall >= 0.85, f"{name}\n{detail}"


def scores_text(scores) -> list[str]:
    out = []
    for name, s in sorted(scores.items()):
        out.append(f"{name}: P={s.precision:.3f} R={s.recall:.3f}")
        out += [f"  missing {m}" for m in s.missing] + [f"  extra {e}" for e in s.extra]
    return out


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_expected_edges_are_what_cpython_does(case: Path) -> None:
    want = json.loads((case / "callgraph.json").read_text())
    assert cg_bench.edges(cg_bench.trace(case)) == cg_bench.edges(want)
