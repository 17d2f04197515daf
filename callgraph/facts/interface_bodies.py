"""`bodies.body_facts` and `expressions.literal_class` over CPython's `ast`, for the interface pass.

The interface facts must equal the full facts (tests/test_interface.py), so these mirror the
libcst readings rule for rule: what a function body returns or hands on (for decorators and
`*args, **kwargs` hand-on), and the builtin class a literal makes.
"""

from __future__ import annotations

import ast

from .interface_text import dotted_str

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_DISPLAYS = {
    ast.List: "list", ast.ListComp: "list", ast.Dict: "dict", ast.DictComp: "dict", ast.Set: "set",
    ast.SetComp: "set", ast.Tuple: "tuple", ast.JoinedStr: "str",
}


def literal_class(expr: ast.AST | None) -> str | None:
    """`"a"` -> "<str>", `b""` -> "<bytes>", `1` -> "<int>", `[]` -> "<list>"...; None otherwise
    (`True`, `None` and `...` are names or constants libcst does not count as literals)."""
    if type(expr) is ast.Constant:
        value = expr.value
        for kind in (bool, str, bytes, int, float, complex):
            if type(value) is kind:
                return None if kind is bool else f"<{kind.__name__}>"
        return None
    name = _DISPLAYS.get(type(expr))
    return f"<{name}>" if name else None


def _own(nodes: list[ast.AST]):
    """Every node of a function's own body, in source order (as the libcst visitor meets them):
    nested defs, classes and lambdas are not entered."""
    stack = list(reversed(nodes))
    fields_of = _CHILD_FIELDS
    node_type = ast.AST
    while stack:
        n = stack.pop()
        yield n
        t = type(n)
        if t in _NESTED:
            continue
        fields = fields_of.get(t)
        if fields is None:
            fields = fields_of[t] = tuple(f for f in t._fields if f not in _LEAF_FIELDS)
        children: list[ast.AST] = []
        for name in fields:
            value = getattr(n, name, None)
            if type(value) is list:
                children.extend(item for item in value if isinstance(item, node_type))
            elif isinstance(value, node_type):
                children.append(value)
        children.reverse()
        stack.extend(children)


# Fields that never hold a statement or an expression (contexts, operators, names): `_own` skips
# them, which keeps its walk a plain loop (ast.iter_child_nodes was a fifth of the interface pass).
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "name", "id", "attr", "arg", "asname",
                          "module", "level", "names", "is_async", "lineno"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _names(nodes: list[ast.AST]):
    """Every identifier libcst spells as a `Name` node: names read or bound, attribute names,
    keyword names, parameters, def/class names, import names, global/nonlocal, except targets."""
    for top in nodes:
        for n in ast.walk(top):
            t = type(n)
            if t is ast.Name:
                yield n.id
            elif t is ast.Attribute:
                yield n.attr
            elif t is ast.keyword and n.arg is not None:
                yield n.arg
            elif t is ast.arg:
                yield n.arg
            elif t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                yield n.name
            elif t is ast.alias:
                yield from n.name.split(".")
                if n.asname:
                    yield n.asname
            elif t in (ast.Global, ast.Nonlocal):
                yield from n.names
            elif t is ast.ExceptHandler and n.name:
                yield n.name


def body_facts(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple[tuple[str, ...], ...] | None, tuple[str, ...] | None]:
    """(decorator_returns, forwards), as `bodies.body_facts` defines them."""
    returns: list[ast.Return] = []
    generator = False
    for n in _own(fn.body):
        t = type(n)
        if t is ast.Return:
            returns.append(n)
        elif t in (ast.Yield, ast.YieldFrom, ast.Await):
            generator = True
    last = fn.body[-1] if fn.body else None
    if last is not None and type(last) not in (ast.Return, ast.Raise, ast.Expr):
        last = last if not isinstance(last, ast.stmt) or type(last) in _SIMPLE else None
    decorator_returns = None
    if not generator and type(last) in (ast.Return, ast.Raise):
        read = [_wrapped_name(r.value) for r in returns]
        if all(x is not None for x in read):
            decorator_returns = tuple(read)
    forwards = None
    call = last.value if type(last) in (ast.Return, ast.Expr) else None
    if (
        type(call) is ast.Call
        and not generator
        and type(fn) is ast.FunctionDef
        and len(returns) == (1 if type(last) is ast.Return else 0)
        and type(call.func) is ast.Name
        and not call.keywords[:-1]
        and len(call.keywords) == 1
        and call.keywords[0].arg is None
        and call.args
        and type(call.args[-1]) is ast.Starred
        and type(call.args[-1].value) is ast.Name
        and type(call.keywords[0].value) is ast.Name
        and all(type(a) is ast.Name for a in call.args[:-1])
    ):
        args, kwargs = call.args[-1].value.id, call.keywords[0].value.id
        leading = tuple(a.id for a in call.args[:-1])
        uses = [n for n in _names(fn.body) if n in (args, kwargs)]
        if args != kwargs and sorted(uses) == sorted([args, kwargs]) and not {args, kwargs} & set(leading):
            forwards = (call.func.id, args, kwargs, *leading)
    return decorator_returns, forwards


# Statements libcst keeps in a SimpleStatementLine: a body ending in one of these ends there.
_SIMPLE = (ast.Return, ast.Raise, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass, ast.Break,
           ast.Continue, ast.Delete, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.Assert)


def _wrapped_name(expr: ast.AST | None) -> tuple[str, ...] | None:
    """`w`, `cast(T, w)`, `update_wrapper(w, fn)`, `wraps(fn)(w)` and nestings, as steps."""
    steps: list[str] = []
    while True:
        if type(expr) is ast.Name:
            return (*steps, expr.id)
        if type(expr) is ast.Constant and (expr.value is None or type(expr.value) is bool):
            return (*steps, repr(expr.value))  # libcst spells True, False and None as names
        if type(expr) is not ast.Call or expr.keywords or any(type(a) is ast.Starred for a in expr.args):
            return None
        callee = dotted_str(expr.func)
        if callee and callee.split(".")[-1] == "cast" and len(expr.args) == 2:
            steps.append(f"cast:{callee}")
            expr = expr.args[1]
        elif (callee and callee.split(".")[-1] == "update_wrapper" and len(expr.args) == 2
              and type(expr.args[1]) is ast.Name):
            steps.append(f"update_wrapper:{callee}:{expr.args[1].id}")
            expr = expr.args[0]
        elif (
            type(expr.func) is ast.Call
            and len(expr.args) == 1
            and len(expr.func.args) == 1
            and not expr.func.keywords
            and type(expr.func.args[0]) is ast.Name
            and (inner := dotted_str(expr.func.func))
            and inner.split(".")[-1] == "wraps"
        ):
            steps.append(f"wraps:{inner}:{expr.func.args[0].id}")
            expr = expr.args[0]
        else:
            return None
