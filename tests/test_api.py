"""The public API is exactly what `callgraph/__init__.py` promises: moving a module never breaks a user.

Adding or removing a public name is a decision: it shows up here as a one-line change to PUBLIC_API.
"""

from __future__ import annotations

import tomllib
import types
from pathlib import Path

import pytest

import callgraph

REPO = Path(__file__).resolve().parent.parent

PUBLIC_API = [
    "AttrAssign",
    "BindResult",
    "Binding",
    "BindingKind",
    "CallShape",
    "CallSite",
    "ClassFact",
    "Code",
    "Decorator",
    "FactsCache",
    "FieldFact",
    "Finding",
    "FunctionFact",
    "ImportFact",
    "InputError",
    "Location",
    "ModuleFacts",
    "Param",
    "ParamKind",
    "Project",
    "Resolution",
    "ResolvedCall",
    "Resolver",
    "ScopeKind",
    "Signature",
    "Target",
    "TargetKind",
    "Verdict",
    "__version__",
    "analyze",
    "analyze_snapshot",
    "analyze_sources",
    "bind",
    "bind_no_arguments",
    "collect",
    "diff_projects",
    "open_snapshot",
]


def test_the_pinned_list_is_sorted_and_unique() -> None:
    assert PUBLIC_API == sorted(set(PUBLIC_API))


def test_all_is_the_public_api() -> None:
    assert sorted(callgraph.__all__) == PUBLIC_API
    assert len(callgraph.__all__) == len(set(callgraph.__all__)), "a name listed twice in __all__"


@pytest.mark.parametrize("name", PUBLIC_API)
def test_each_name_imports_from_callgraph(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from callgraph import {name}", namespace)  # exactly what a user writes
    assert namespace[name] is getattr(callgraph, name)


def test_star_import_gives_exactly_the_public_api() -> None:
    namespace: dict[str, object] = {}
    exec("from callgraph import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC_API


def test_nothing_public_is_left_out_of_all() -> None:
    """Every public name the package holds is in `__all__` (submodules aside: they are not API)."""
    public = {
        name
        for name, value in vars(callgraph).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(public - set(callgraph.__all__)) == []


def test_collect_turns_a_small_source_into_facts() -> None:
    source = b'def area(width, height):\n    return width * height\n\narea(2, 3, 4)\n'
    facts = callgraph.collect("shapes", source)
    assert isinstance(facts, callgraph.ModuleFacts)
    assert facts.module == "shapes" and not facts.is_package and facts.error is None
    (function,) = facts.functions
    assert function.qualname == "area"
    assert [p.name for p in function.signature.params] == ["width", "height"]
    (call,) = facts.calls
    assert (call.line, call.callee, call.shape.positional) == (4, ("area",), 3)
    result = callgraph.bind(function.signature, call.shape, function.qualname)
    assert result.verdict is callgraph.Verdict.ERROR and result.code is callgraph.Code.CG101
    assert result.message == "area() takes 2 positional arguments but 3 were given"


def test_collect_is_pure_and_reports_a_syntax_error_as_data() -> None:
    source = b"def broken(:\n    pass\n"
    facts = callgraph.collect("pkg", source, is_package=True)
    assert facts == callgraph.collect("pkg", source, is_package=True)
    assert facts.is_package and facts.error and facts.error_line == 1


def test_version_is_the_one_in_pyproject() -> None:
    with open(REPO / "pyproject.toml", "rb") as f:
        assert callgraph.__version__ == tomllib.load(f)["project"]["version"]
