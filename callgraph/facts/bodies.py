"""What a function body does on every path, for decorators: does it end by returning, and does
it end by handing its `*args, **kwargs` on to one callee unchanged.

Read once per def from its syntax; the resolver (resolve/decorators.py) decides what follows.
"""

from __future__ import annotations

import libcst as cst

from .expressions import dotted_str
from .walk import code_children

def _last(fn: cst.FunctionDef) -> cst.CSTNode | None:
    """The body's last top-level small statement (`return x`, `raise`, an expression...)."""
    body = fn.body.body
    if not body:
        return None
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return last.body[-1] if last.body else None
    if isinstance(fn.body, cst.SimpleStatementSuite):
        return last
    return None  # a compound statement (if, try, for...): paths may fall through


def body_facts(
    fn: cst.FunctionDef, returns: list[cst.Return], generator: bool
) -> tuple[tuple[tuple[str, ...], ...] | None, tuple[str, ...] | None]:
    """(decorator_returns, forwards), given the body's own `return` statements and whether it
    has its own `yield` or `await` (nested defs, classes and lambdas not entered): the visitor
    gathers both in its one walk, so no second walk over every body.

    decorator_returns: every value the function can return, when no path falls off the end, there
    is no yield, and each `return` is a name, possibly under `cast(T, ...)`, `update_wrapper(...,
    fn)` or `wraps(fn)(...)`: each as (*steps, name), a step being "cast:<callee>",
    "update_wrapper:<callee>:<fn>" or "wraps:<callee>:<fn>" (callees as written; the resolver
    decides what they are). None otherwise.

    forwards: (callee, args, kwargs, *leading) when the body's last statement is `return
    callee(*leading, *args, **kwargs)` (or that call alone), the leading arguments plain names, with
    no other `return`, no `yield` and no `await` anywhere in the body, and `args`/`kwargs` read
    nowhere else: every call of the function that gets there hands its arguments on, unchanged."""
    last = _last(fn)
    decorator_returns = None
    if not generator and isinstance(last, (cst.Return, cst.Raise)):
        read = [_wrapped_name(r.value) for r in returns]
        if all(x is not None for x in read):
            decorator_returns = tuple(read)
    forwards = None
    call = last.value if isinstance(last, (cst.Return, cst.Expr)) else None
    if (
        isinstance(call, cst.Call)
        and not generator
        and fn.asynchronous is None
        and len(returns) == (1 if isinstance(last, cst.Return) else 0)
        and isinstance(call.func, cst.Name)
        and len(call.args) >= 2
        and call.args[-2].star == "*"
        and call.args[-1].star == "**"
        and isinstance(call.args[-2].value, cst.Name)
        and isinstance(call.args[-1].value, cst.Name)
        and all(a.star == "" and a.keyword is None and isinstance(a.value, cst.Name) for a in call.args[:-2])
    ):
        args, kwargs = call.args[-2].value.value, call.args[-1].value.value
        leading = tuple(a.value.value for a in call.args[:-2])
        # Read nowhere else, nested functions included: nothing can mutate them first
        # (`kwargs.setdefault("conn", ...)` injects an argument).
        uses = [n.value for n in _everything(fn.body) if isinstance(n, cst.Name) and n.value in (args, kwargs)]
        if args != kwargs and sorted(uses) == sorted([args, kwargs]) and not {args, kwargs} & set(leading):
            forwards = (call.func.value, args, kwargs, *leading)
    return decorator_returns, forwards


def _wrapped_name(expr: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """`w`, `cast(T, w)`, `update_wrapper(w, fn)`, `wraps(fn)(w)` and nestings, as steps."""
    steps: list[str] = []
    while True:
        if isinstance(expr, cst.Name):
            return (*steps, expr.value)
        if not isinstance(expr, cst.Call) or any(a.keyword is not None or a.star for a in expr.args):
            return None
        callee = dotted_str(expr.func)
        if callee and callee.split(".")[-1] == "cast" and len(expr.args) == 2:
            steps.append(f"cast:{callee}")
            expr = expr.args[1].value
        elif callee and callee.split(".")[-1] == "update_wrapper" and len(expr.args) == 2 and isinstance(expr.args[1].value, cst.Name):
            steps.append(f"update_wrapper:{callee}:{expr.args[1].value.value}")
            expr = expr.args[0].value
        elif (
            isinstance(expr.func, cst.Call)
            and len(expr.args) == 1
            and len(expr.func.args) == 1
            and not expr.func.args[0].keyword
            and not expr.func.args[0].star
            and isinstance(expr.func.args[0].value, cst.Name)
            and (inner := dotted_str(expr.func.func))
            and inner.split(".")[-1] == "wraps"
        ):
            steps.append(f"wraps:{inner}:{expr.func.args[0].value.value}")
            expr = expr.args[0].value
        else:
            return None


def _everything(node: cst.CSTNode):
    stack = code_children(node)
    while stack:
        n = stack.pop()
        yield n
        stack.extend(code_children(n))
