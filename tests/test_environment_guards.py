"""`tests_environment` reads every name of an `if` test, as libcst's own visitor would.

It walks the test's code-holding children on a stack (facts/walk.py's field tables) instead of
running a `CSTVisitor`, which rebuilds every node it passes. The oracle here is that visitor: the
two must agree on every test, wherever the name sits (attribute, call, subscript, keyword,
lambda, f-string, comprehension, comparison, walrus, star, slice)."""

from __future__ import annotations

import libcst as cst
import pytest

from callgraph.facts.expected_errors import _ENVIRONMENT_NAMES, _FLAG
from callgraph.facts.expected_errors import tests_environment as reads_environment


def _by_libcst_visitor(test: cst.BaseExpression) -> bool:
    found = False

    class Seen(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            if node.value in _ENVIRONMENT_NAMES or _FLAG.search(node.value):
                found = True

    test.visit(Seen())
    return found


TESTS = [
    "sys.version_info >= (3, 8)",
    "sys.platform == 'win32'",
    "os.name == 'nt'",
    "hasattr(os, 'fork')",
    "PY312",
    "not IS_WINDOWS",
    "x and HAS_SSL",
    "DJANGO_VERSION[0] > 3",
    "TYPE_CHECKING",
    "typing.TYPE_CHECKING",
    "f(a, key=version)",
    "f(*args, **platform)",
    "(lambda implementation: 1)()",
    "f'{sys.hexversion:x}' == ''",
    "[x for x in version_info if x]",
    "{k: v for k, v in items if PY2}",
    "a if b else PYPY",
    "x[version:]",
    "(n := name)",
    "a < b <= version",
    "x.y.z",
    "plain_flag",
    "call(a)[0].attr",
    "not (a or (b and c))",
    "-count > 3",
    "await thing",
    "x is None",
    "'version' in text",
    "d['platform']",
    "obj.attr.name",
    "f(x)(y)(z=HAS_X)",
]


@pytest.mark.parametrize("source", TESTS)
def test_tests_environment_agrees_with_libcsts_visitor(source: str) -> None:
    expr = cst.parse_expression(source)
    assert reads_environment(expr) == _by_libcst_visitor(expr)


def test_the_table_has_both_verdicts() -> None:
    verdicts = {reads_environment(cst.parse_expression(s)) for s in TESTS}
    assert verdicts == {True, False}
