"""The whole pipeline survives generated and mutated programs (CI runs a few hundred)."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings

_spec = importlib.util.spec_from_file_location("fuzz", Path(__file__).resolve().parents[1] / "scripts" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)


@settings(max_examples=200, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    fuzz.pipeline(source, source + "\nx = 1\n")


def test_mutated_real_files() -> None:
    rng = random.Random(1)
    files = [p.read_bytes() for p in fuzz.corpus_files()]
    for _ in range(150):
        data = rng.choice(files)
        fuzz.pipeline(data, fuzz.mutate(data, rng))
