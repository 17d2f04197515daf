"""What a function body does on every path, for decorators: does it end by returning, and does
it end by handing its `*args, **kwargs` on to one callee unchanged.

Read once per def from its syntax; the resolver (resolve/decorators.py) decides what follows.
"""

from __future__ import annotations

import libcst as cst

from .expressions import as_ref

_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _own(node: cst.CSTNode):
    """Every node of a function's own body: nested defs, classes and lambdas are not entered."""
    stack = list(node.children)
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, _NESTED):
            stack.extend(n.children)


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


def body_facts(fn: cst.FunctionDef) -> tuple[bool, tuple[str, str, str] | None]:
    """(returns_complete, forwards).

    returns_complete: no path falls off the end, and every `return` has a value readable as a
    reference (so FunctionFact.returns lists every value the function can return); no yield.

    forwards: (callee, args, kwargs) when the body's last statement is `return callee(*args,
    **kwargs)` (or that call alone), with no other `return`, no `yield` and no `await` anywhere in
    the body, and `args`/`kwargs` read nowhere else: every call of the function that gets there
    hands its arguments on, unchanged."""
    returns = []
    generator = False
    for n in _own(fn.body):
        if isinstance(n, cst.Return):
            returns.append(n)
        elif isinstance(n, (cst.Yield, cst.Await)):
            generator = True
    last = _last(fn)
    complete = (
        not generator
        and isinstance(last, (cst.Return, cst.Raise))
        and all(r.value is not None and as_ref(r.value) is not None for r in returns)
    )
    forwards = None
    call = last.value if isinstance(last, (cst.Return, cst.Expr)) else None
    if (
        isinstance(call, cst.Call)
        and not generator
        and fn.asynchronous is None
        and len(returns) == (1 if isinstance(last, cst.Return) else 0)
        and isinstance(call.func, cst.Name)
        and len(call.args) == 2
        and call.args[0].star == "*"
        and call.args[1].star == "**"
        and isinstance(call.args[0].value, cst.Name)
        and isinstance(call.args[1].value, cst.Name)
    ):
        args, kwargs = call.args[0].value.value, call.args[1].value.value
        # Read nowhere else, nested functions included: nothing can mutate them first
        # (`kwargs.setdefault("conn", ...)` injects an argument).
        uses = [n.value for n in _everything(fn.body) if isinstance(n, cst.Name) and n.value in (args, kwargs)]
        if args != kwargs and sorted(uses) == sorted([args, kwargs]):
            forwards = (call.func.value, args, kwargs)
    return complete, forwards


def _everything(node: cst.CSTNode):
    stack = list(node.children)
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)
