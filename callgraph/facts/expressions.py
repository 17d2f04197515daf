"""Reading libcst expressions without any scope: what the visitor records of an expression.

They need nothing but the expression itself, so they live outside the visitor: dotted names,
string literals, and expressions as reference steps (`model.Ref`) for the edge facts.
"""

from __future__ import annotations

import libcst as cst

from .model import Param, ParamKind, PartialFact

WRAPPERS = ("staticmethod", "classmethod")  # a call of one is a reference step "@name", not "()"


def dotted(expr: cst.BaseExpression) -> tuple[str, ...] | None:
    """`a.b.c` as ("a", "b", "c"); None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return tuple(reversed(parts))
    return None


# Literal and display expressions, as the builtin class each one always makes exactly: the
# resolver reads the head "<str>" as that class, which no binding can shadow.
_DISPLAYS = {
    cst.Integer: "int", cst.Float: "float", cst.Imaginary: "complex", cst.List: "list", cst.ListComp: "list",
    cst.Dict: "dict", cst.DictComp: "dict", cst.Set: "set", cst.SetComp: "set", cst.Tuple: "tuple",
    cst.FormattedString: "str",
}


def literal_class(expr: cst.BaseExpression | None) -> str | None:
    """`"a"` -> "<str>", `b""` -> "<bytes>", `[]` -> "<list>"...; None for any other expression."""
    if isinstance(expr, cst.SimpleString):
        return "<bytes>" if "b" in expr.prefix.lower() else "<str>"
    if isinstance(expr, cst.ConcatenatedString):
        return literal_class(expr.left)
    name = _DISPLAYS.get(type(expr))
    return f"<{name}>" if name else None


def dotted_str(expr: cst.BaseExpression) -> str | None:
    d = dotted(expr)
    return ".".join(d) if d else None


def string_value(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def key_step(expr: cst.BaseExpression | None) -> str:
    """A subscript or display key as a reference step: "['k']", "[0]", or "[?]" when not a literal."""
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return f"[{value!r}]" if isinstance(value, str) else "[?]"
    if isinstance(expr, cst.Integer):
        try:
            return f"[{int(expr.value, 0)!r}]"
        except ValueError:
            return "[?]"
    return "[?]"


def as_ref(expr: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """An expression as reference steps (see model.Ref); None when it is not one.

    A lambda is the placeholder "<lambda@id>" until `Collector.fix_ref` knows its index."""
    steps: list[str] = []
    # `type(...) is`: libcst's node classes are final, and isinstance against them goes through
    # ABCMeta (half a million checks on Django).
    while expr is not None:
        t = type(expr)
        if t is cst.Name:
            steps.append(expr.value)
            return tuple(reversed(steps))
        if t is cst.Lambda:
            steps.append(f"<lambda@{id(expr)}>")
            return tuple(reversed(steps))
        if t is cst.Attribute:
            steps.append(expr.attr.value)
            expr = expr.value
        elif t is cst.Call:
            name = expr.func.value if type(expr.func) is cst.Name else None
            if name in WRAPPERS and len(expr.args) == 1 and not expr.args[0].star and expr.args[0].keyword is None:
                steps.append("@" + name)
                expr = expr.args[0].value
            else:
                steps.append("()")
                expr = expr.func
        elif t is cst.Subscript:
            item = expr.slice[0].slice if len(expr.slice) == 1 else None
            steps.append(key_step(item.value) if isinstance(item, cst.Index) else "[?]")
            expr = expr.value
        else:
            return None
    return None


def display_elements(
    value: cst.BaseExpression | None,
) -> tuple[tuple[str, tuple[str, ...] | None], ...] | None:
    """A dict/list/tuple/set display as (key step, element reference) pairs."""
    if isinstance(value, cst.Dict):
        return tuple(
            (key_step(e.key), as_ref(e.value)) for e in value.elements if isinstance(e, cst.DictElement)
        )
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for i, e in enumerate(value.elements):
            if isinstance(e, cst.StarredElement):
                out.append(("[?]", None))
            else:
                out.append((f"[{i!r}]", as_ref(e.value)))
        return tuple(out)
    return None


def parameters(ps: cst.Parameters) -> tuple[Param, ...]:
    """A def's or lambda's parameters in order, with their kinds and dotted annotations."""
    out: list[Param] = []

    def ann(p: cst.Param) -> str | None:
        return dotted_str(p.annotation.annotation) if p.annotation is not None else None

    for p in ps.posonly_params:
        out.append(Param(p.name.value, ParamKind.POSITIONAL_ONLY, p.default is not None, ann(p)))
    for p in ps.params:
        out.append(Param(p.name.value, ParamKind.POSITIONAL_OR_KEYWORD, p.default is not None, ann(p)))
    if isinstance(ps.star_arg, cst.Param):
        out.append(Param(ps.star_arg.name.value, ParamKind.VAR_POSITIONAL, False, None))
    for p in ps.kwonly_params:
        out.append(Param(p.name.value, ParamKind.KEYWORD_ONLY, p.default is not None, ann(p)))
    if isinstance(ps.star_kwarg, cst.Param):
        out.append(Param(ps.star_kwarg.name.value, ParamKind.VAR_KEYWORD, False, None))
    return tuple(out)


PARTIAL_NAMES = ("partial", "partialmethod")


def partial_call(expr: cst.BaseExpression | None) -> PartialFact | None:
    """`partial(f, 1, k=2)` as a `PartialFact` when the callee is a dotted name ending in
    "partial"/"partialmethod"; None for any other expression."""
    if not isinstance(expr, cst.Call):
        return None
    callee = dotted(expr.func)
    if callee is None or callee[-1] not in PARTIAL_NAMES:
        return None
    args = list(expr.args)
    first = args[0] if args else None
    if first is None or first.star or first.keyword is not None:
        return PartialFact(callee, None, None, 0, (), True)
    rest = args[1:]
    star = any(a.star for a in rest)
    keywords = tuple(a.keyword.value for a in rest if a.keyword is not None and not a.star)
    positional = sum(1 for a in rest if a.keyword is None and not a.star)
    return PartialFact(callee, dotted(first.value), partial_call(first.value), positional, keywords, star)
