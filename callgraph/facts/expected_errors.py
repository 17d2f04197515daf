"""Which blocks expect a TypeError: a call inside one may fail on purpose (a test of the error).

The visitor counts these blocks per scope and marks each call inside one `expects_type_error`.
It also marks calls under an `if` that tests the interpreter (`tests_environment`): written for
another Python or platform than, perhaps, the one whose modules are read.
"""

from __future__ import annotations

import re

import libcst as cst

from .expressions import dotted
from .walk import code_children


def _names_type_error(expr: cst.BaseExpression | None) -> bool:
    if isinstance(expr, (cst.Tuple, cst.List)):
        return any(_names_type_error(e.value) for e in expr.elements)
    name = dotted(expr) if expr is not None else None
    return bool(name) and name[-1] in ("TypeError", "BaseException")


def catches_type_error(expr: cst.BaseExpression | None) -> bool:
    """`except TypeError` (alone or in a tuple), `except BaseException` or a bare `except:`."""
    return expr is None or _names_type_error(expr)


def expects_type_error(expr: cst.BaseExpression) -> bool:
    """`with self.assertRaises(TypeError)`, `pytest.raises(TypeError)` and their Regex/match forms."""
    if not isinstance(expr, cst.Call) or not expr.args:
        return False
    name = dotted(expr.func)
    if not name or name[-1] not in ("assertRaises", "assertRaisesRegex", "raises"):
        return False
    return _names_type_error(expr.args[0].value)


# Names whose test means "which interpreter, which platform, which library version is this".
_ENVIRONMENT_NAMES = frozenset(
    {"version_info", "hexversion", "version", "platform", "implementation", "hasattr", "name", "TYPE_CHECKING"}
)
_FLAG = re.compile(r"(^|_)(PY|PYPY|CPY|PYTHON|WIN|WINDOWS|MAC|MACOS|LINUX|POSIX|IS|HAS)(\d|_|$)|VERSION|PY\d", re.I)


def tests_environment(test: cst.BaseExpression) -> bool:
    """An `if` test that reads the interpreter: sys.version_info/platform, os.name, hasattr(...),
    or a flag named like PY312, IS_WINDOWS, HAS_X, *_VERSION (generous: silence is the safe side)."""
    # An explicit stack over the code-holding children (facts.walk): libcst's own visitor rebuilds
    # every node it passes (visit_and_replace), which cost a third of the visitor's walk on Django.
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if type(node) is cst.Name:
            if node.value in _ENVIRONMENT_NAMES or _FLAG.search(node.value):
                return True
            continue
        stack.extend(code_children(node))
    return False
