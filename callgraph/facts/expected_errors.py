"""Which blocks expect a TypeError: a call inside one may fail on purpose (a test of the error).

The visitor counts these blocks per scope and marks each call inside one `expects_type_error`.
"""

from __future__ import annotations

import libcst as cst

from .expressions import dotted


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
