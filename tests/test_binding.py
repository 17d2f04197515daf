"""callgraph.binding against CPython 3.11: hand-picked messages, then a differential property test."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callgraph.resolve.binding import BindResult, Verdict, bind, bind_no_arguments
from callgraph.facts.findings import Code
from callgraph.facts.model import CallShape, Param, ParamKind, Signature


def _load_oracle():
    """The generator/oracle lives in scripts/binding_agreement.py; neither folder is a package."""
    path = Path(__file__).resolve().parents[1] / "scripts" / "binding_agreement.py"
    spec = importlib.util.spec_from_file_location("binding_agreement", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building Case
    spec.loader.exec_module(module)
    return module


oracle = _load_oracle()

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: ParamKind.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: ParamKind.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.VAR_POSITIONAL: ParamKind.VAR_POSITIONAL,
    inspect.Parameter.KEYWORD_ONLY: ParamKind.KEYWORD_ONLY,
    inspect.Parameter.VAR_KEYWORD: ParamKind.VAR_KEYWORD,
}


def sig(params: str) -> Signature:
    """Signature from parameter source text, via a real def so it is a valid one."""
    namespace: dict[str, object] = {}
    exec(f"def f({params}): pass", namespace)
    return Signature(
        tuple(
            Param(p.name, _KINDS[p.kind], p.default is not inspect.Parameter.empty)
            for p in inspect.signature(namespace["f"]).parameters.values()  # type: ignore[arg-type]
        ),
        f"({params})",
    )


def call(positional: int = 0, *keywords: str, star: bool = False, double_star: bool = False) -> CallShape:
    return CallShape(positional, tuple(keywords), star, double_star)


def err(code: Code, message: str) -> BindResult:
    return BindResult(Verdict.ERROR, code, message)


BINDS = BindResult(Verdict.BINDS)
UNKNOWN = BindResult(Verdict.UNKNOWN)

# (qualname, params, shape, implicit, expected)
CASES = [
    # too many positional: singular/plural, was/were, ranges with defaults, kw-only addendum
    ("f", "", call(1), 0, err(Code.CG101, "f() takes 0 positional arguments but 1 was given")),
    ("f", "a", call(2), 0, err(Code.CG101, "f() takes 1 positional argument but 2 were given")),
    ("f", "a, b", call(3), 0, err(Code.CG101, "f() takes 2 positional arguments but 3 were given")),
    ("f", "a=1", call(2), 0, err(Code.CG101, "f() takes from 0 to 1 positional arguments but 2 were given")),
    (
        "f",
        "a, b=1, *, c, d",
        call(3, "c"),
        0,
        err(
            Code.CG101,
            "f() takes from 1 to 2 positional arguments but 3 positional arguments (and 1 keyword-only argument) were given",
        ),
    ),
    (
        "f",
        "a, b=1, *, c, d",
        call(3, "c", "d"),
        0,
        err(
            Code.CG101,
            "f() takes from 1 to 2 positional arguments but 3 positional arguments (and 2 keyword-only arguments) were given",
        ),
    ),
    (
        "f",
        "*, c",
        call(1, "c"),
        0,
        err(Code.CG101, "f() takes 0 positional arguments but 1 positional argument (and 1 keyword-only argument) were given"),
    ),
    ("f", "a, *args", call(9), 0, BINDS),
    # missing: 1 / 2 / 3 / 4 names, positional before keyword-only, defaults never missing
    ("f", "a, b=1, *, c, d=2", call(1), 0, err(Code.CG102, "f() missing 1 required keyword-only argument: 'c'")),
    ("f", "a, b=1, *, c", call(0), 0, err(Code.CG102, "f() missing 1 required positional argument: 'a'")),
    ("h", "a, b", call(0), 0, err(Code.CG102, "h() missing 2 required positional arguments: 'a' and 'b'")),
    ("h", "a, b, c", call(0), 0, err(Code.CG102, "h() missing 3 required positional arguments: 'a', 'b', and 'c'")),
    ("h", "a, b, c, d", call(0), 0, err(Code.CG102, "h() missing 4 required positional arguments: 'a', 'b', 'c', and 'd'")),
    ("h", "a, b, c", call(0, "b"), 0, err(Code.CG102, "h() missing 2 required positional arguments: 'a' and 'c'")),
    ("h", "*, a, b", call(0), 0, err(Code.CG102, "h() missing 2 required keyword-only arguments: 'a' and 'b'")),
    # keyword loop runs before the positional count check, in keyword order
    ("f", "a", call(2, "e"), 0, err(Code.CG103, "f() got an unexpected keyword argument 'e'")),
    ("f", "a, b", call(1, "x", "a"), 0, err(Code.CG103, "f() got an unexpected keyword argument 'x'")),
    ("f", "a, b", call(1, "a", "x"), 0, err(Code.CG104, "f() got multiple values for argument 'a'")),
    ("f", "a", call(3, "a"), 0, err(Code.CG104, "f() got multiple values for argument 'a'")),
    ("f", "*args", call(0, "args"), 0, err(Code.CG103, "f() got an unexpected keyword argument 'args'")),
    ("f", "**kw", call(0, "kw"), 0, BINDS),
    # positional-only by keyword: names in parameter order inside one pair of quotes
    (
        "f",
        "a, b, /, c",
        call(0, "b", "a", "c"),
        0,
        err(Code.CG105, "f() got some positional-only arguments passed as keyword arguments: 'a, b'"),
    ),
    # ... the clash check scans all keywords, also ones after the first unmatched keyword
    (
        "f",
        "a, /",
        call(1, "x", "a"),
        0,
        err(Code.CG105, "f() got some positional-only arguments passed as keyword arguments: 'a'"),
    ),
    # ... but a keyword matched earlier can fail first
    ("f", "a, /, b", call(2, "b", "a"), 0, err(Code.CG104, "f() got multiple values for argument 'b'")),
    # ... with **kwargs the keyword goes into kwargs and the parameter is missing
    ("f", "a, b, /, **k", call(0, "a", "b"), 0, err(Code.CG102, "f() missing 2 required positional arguments: 'a' and 'b'")),
    ("f", "a, /, **k", call(1, "a"), 0, BINDS),
    # implicit self counts as a positional argument given
    ("S._ddl_attempt", "self", call(5), 1, err(Code.CG101, "S._ddl_attempt() takes 1 positional argument but 6 were given")),
    ("C.m", "", call(0), 1, err(Code.CG101, "C.m() takes 0 positional arguments but 1 was given")),
    ("C.m", "self", call(0, "self"), 1, err(Code.CG104, "C.m() got multiple values for argument 'self'")),
    ("outer.<locals>.g", "self, a", call(0), 1, err(Code.CG102, "outer.<locals>.g() missing 1 required positional argument: 'a'")),
    # *expr: a verdict only when every extra count agrees
    ("f", "a", call(0, star=True), 0, UNKNOWN),
    ("f", "*args", call(0, star=True), 0, BINDS),
    ("f", "a, *args", call(1, star=True), 0, BINDS),
    ("f", "a", call(0, "e", star=True), 0, err(Code.CG103, "f() got an unexpected keyword argument 'e'")),
    ("f", "a", call(2, star=True), 0, UNKNOWN),  # "but 2 were given", "but 3 were given", ...
    ("f", "a, *, c", call(0, star=True), 0, UNKNOWN),  # missing 'a' and 'c', then only 'c'
    ("f", "*args, c", call(0, star=True), 0, err(Code.CG102, "f() missing 1 required keyword-only argument: 'c'")),
    # **expr: never a verdict
    ("f", "**kw", call(0, double_star=True), 0, UNKNOWN),
    ("f", "", call(1, double_star=True), 0, UNKNOWN),
]


@pytest.mark.parametrize(("qualname", "params", "shape", "implicit", "expected"), CASES)
def test_bind_table(qualname: str, params: str, shape: CallShape, implicit: int, expected: BindResult) -> None:
    assert bind(sig(params), shape, qualname, implicit=implicit) == expected


@pytest.mark.parametrize(("qualname", "params", "shape", "implicit", "expected"), CASES)
def test_bind_table_matches_interpreter(
    qualname: str, params: str, shape: CallShape, implicit: int, expected: BindResult
) -> None:
    """The table itself is checked against the real call, with the qualname the oracle uses."""
    case = oracle.Case(sig(params), shape, implicit)
    verdict, problem = oracle.check(case)
    assert problem is None and verdict is expected.verdict
    if expected.message is not None:  # check() proved bind()'s text right for the oracle's qualname
        ours = bind(case.sig, shape, case.qualname, implicit=implicit).message
        assert ours == expected.message.replace(f"{qualname}()", f"{case.qualname}()", 1)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (call(0), BINDS),
        (call(1), err(Code.CG101, "S() takes no arguments")),
        (call(0, "x"), err(Code.CG103, "S() takes no arguments")),
        (call(2, "x", star=True), err(Code.CG101, "S() takes no arguments")),
        (call(0, star=True), UNKNOWN),
        (call(0, double_star=True), UNKNOWN),
        (call(1, double_star=True), UNKNOWN),  # S(1, **a, **b): a and b may share a key
        (call(0, "x", double_star=True), UNKNOWN),  # S(x=1, **m): m may hold 'x'
    ],
)
def test_bind_no_arguments(shape: CallShape, expected: BindResult) -> None:
    assert bind_no_arguments("S", shape) == expected


def _no_arguments_instances() -> list[tuple[CallShape, str]]:
    shapes = [
        call(p, *kw, star=star, double_star=ds)
        for p in (0, 1, 2)
        for kw in ((), ("x",), ("x", "y"))
        for star in (False, True)
        for ds in (False, True)
    ]
    return [(shape, oracle.call_source(shape)) for shape in shapes]


@pytest.mark.parametrize(("shape", "source"), _no_arguments_instances())
def test_bind_no_arguments_matches_interpreter(shape: CallShape, source: str) -> None:
    class S:
        pass

    result = bind_no_arguments("S", shape)
    mappings = [{}, {"x": 0}, {"z": 0}] if shape.double_star else [{}]
    for s in ([], [0], [0, 1]) if shape.star else ([],):
        for m in mappings:
            try:
                eval(source, {"F": S, "s": s, "m": m})
                observed = None
            except TypeError as exc:
                observed = str(exc)
            if result.verdict is Verdict.BINDS:
                assert observed is None
            elif result.verdict is Verdict.ERROR:
                assert observed == result.message


@settings(max_examples=2000, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_bind_agrees_with_interpreter(rng) -> None:  # type: ignore[no-untyped-def]
    """Random signatures (all five kinds) x random shapes (incl. *expr/**expr, implicit self)."""
    case = oracle.random_case(rng)
    verdict, problem = oracle.check(case)
    assert problem is None, oracle.describe(case) + "\n" + problem


def test_agreement_script_runs() -> None:
    assert oracle.main(["--examples", "300", "--seed", "7"]) == 0
