"""Typeshed stubs for the modules that have no Python source: builtins, C extensions, their types.

CPython is the oracle, so a module's `.py` source always wins; a stub is read only where the
environment would load something we cannot read (a builtin or extension module). The stubs come
from `typeshed_client`'s bundled typeshed, selected for the *target* interpreter's version (its
VERSIONS file says which modules exist there), and their `sys.version_info` / `sys.platform`
branches are evaluated for the target too (`prune`): the facts then hold only what that interpreter
has. A condition we cannot evaluate keeps both branches (both stay possible). Stubs are Python
syntax, so the ordinary collector reads the pruned text; it is cached by its blob like any source."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Environment, ModuleLocation


def stub_applies(env: Environment, location: ModuleLocation) -> bool:
    """The module exists for the target but has no Python source we read: builtin or extension."""
    from .model import ModuleKind, PathOrigin

    if location.kind is ModuleKind.BUILTIN:
        return True
    if location.kind in (ModuleKind.EXTENSION, ModuleKind.PACKAGE) and location.origin in (
        PathOrigin.STDLIB,
        PathOrigin.DYNLOAD,
    ):
        return location.kind is ModuleKind.EXTENSION or not (location.path or "").endswith(".py")
    return False


def prune(source: bytes, version: tuple[int, int], platform: str, runtime: dict | None = None) -> bytes | None:
    """Stub text with each `if` on `sys.version_info` / `sys.platform` replaced by the branch the
    target takes, and the target's own signatures (`runtime.runtime_signatures`) in place of the
    stub's. None when the text does not parse (unknown)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    tree = _Pruner(version, platform).visit(tree)
    if runtime:
        _use_runtime(tree.body, "", runtime)
    return (ast.unparse(tree) + "\n").encode()


def _use_runtime(body: list[ast.stmt], prefix: str, runtime: dict) -> None:
    """Replace the signature of every def the target states one for; its other overloads go."""
    done: set[str] = set()
    keep: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.ClassDef) and not prefix:
            _use_runtime(stmt.body, stmt.name + ".", runtime)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = runtime.get(prefix + stmt.name)
            if params is not None and not _is_static_or_class(stmt):
                if stmt.name in done:
                    continue  # another overload of a function whose one signature is known
                done.add(stmt.name)
                stmt.args = _arguments(params)
                stmt.decorator_list = [d for d in stmt.decorator_list if _name(d) != "overload"]
        keep.append(stmt)
    body[:] = keep or [ast.Pass()]


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _is_static_or_class(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_name(d) in ("staticmethod", "classmethod") for d in fn.decorator_list)


def _arguments(params: list) -> ast.arguments:
    """ast.arguments from (name, inspect kind, has default): 0 pos-only, 1 pos-or-kw, 2 *args,
    3 kw-only, 4 **kwargs. Defaults are `...` (their values never matter to binding)."""
    args = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    for name, kind, has_default in params:
        arg = ast.arg(arg=name.lstrip("$") or "_")
        if kind == 0:
            args.posonlyargs.append(arg)
        elif kind == 1:
            args.args.append(arg)
        elif kind == 2:
            args.vararg = arg
        elif kind == 3:
            args.kwonlyargs.append(arg)
            args.kw_defaults.append(ast.Constant(...) if has_default else None)
        else:
            args.kwarg = arg
        if kind in (0, 1) and has_default:
            args.defaults.append(ast.Constant(...))
    return args


class _Pruner(ast.NodeTransformer):
    def __init__(self, version: tuple[int, int], platform: str) -> None:
        self.version = version
        self.platform = platform

    def _body(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ast.If):
                taken = evaluate(stmt.test, self.version, self.platform)
                if taken is not None:
                    out.extend(self._body(stmt.body if taken else stmt.orelse))
                    continue
            out.append(self.visit(stmt))
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                kept = self._body(stmts)
                setattr(node, field, kept or [ast.Pass()])
        for handler in getattr(node, "handlers", []) or []:
            self.generic_visit(handler)
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node.body = self._body(node.body)
        return node


def evaluate(test: ast.expr, version: tuple[int, int], platform: str) -> bool | None:
    """The value of a version/platform condition on the target; None when it is not one we read."""
    if isinstance(test, ast.BoolOp):
        values = [evaluate(v, version, platform) for v in test.values]
        if isinstance(test.op, ast.And):
            if False in values:
                return False
            return None if None in values else True
        if True in values:
            return True
        return None if None in values else False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = evaluate(test.operand, version, platform)
        return None if inner is None else not inner
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and _is_sys(test.func.value, "platform")
        and len(test.args) == 1
        and isinstance(test.args[0], ast.Constant)
        and isinstance(test.args[0].value, str)
    ):
        return platform.startswith(test.args[0].value)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if _is_sys(left, "version_info"):
            wanted = _int_tuple(right)
            if wanted is None:
                return None
            return _compare(version[: len(wanted)], op, wanted)
        if _is_sys(left, "platform") and isinstance(right, ast.Constant) and isinstance(right.value, str):
            if isinstance(op, ast.Eq):
                return platform == right.value
            if isinstance(op, ast.NotEq):
                return platform != right.value
    return None


def _is_sys(node: ast.expr, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name) and node.value.id == "sys"


def _int_tuple(node: ast.expr) -> tuple[int, ...] | None:
    if not isinstance(node, ast.Tuple) or not node.elts:
        return None
    out = []
    for e in node.elts:
        if not (isinstance(e, ast.Constant) and type(e.value) is int):
            return None
        out.append(e.value)
    return tuple(out) if len(out) <= 2 else None  # a micro version is not part of the model


def _compare(have: tuple[int, ...], op: ast.cmpop, wanted: tuple[int, ...]) -> bool | None:
    table = {ast.Lt: have < wanted, ast.LtE: have <= wanted, ast.Gt: have > wanted, ast.GtE: have >= wanted,
             ast.Eq: have == wanted, ast.NotEq: have != wanted}
    return table.get(type(op))
