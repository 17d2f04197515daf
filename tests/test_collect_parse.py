"""The validation-free parse produces the same trees as libcst's own, and leaves validation on afterwards."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from callgraph.facts.parsing import parse_cst as _parse_cst

SOURCES = sorted((Path(__file__).resolve().parents[1] / "callgraph").rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_same_tree_as_libcst(path: Path) -> None:
    data = path.read_bytes()
    assert _parse_cst(data).deep_equals(cst.parse_module(data))


def test_validation_is_restored() -> None:
    _parse_cst(b"x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
