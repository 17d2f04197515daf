"""CPython's parser and libcst's, and where our nodes sit in the source.

Line numbers come from the stdlib `ast` tree (a tenth of libcst's parse time),
paired with our libcst nodes by source order and checked by name. Only when the
pairing disagrees do we pay for libcst's PositionProvider on that one file.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import libcst as cst
from libcst._nodes.base import CSTNode
from libcst.metadata import MetadataWrapper, PositionProvider

_NEWLINE = re.compile(r"\r\n|\r|\n")


def _no_validation(self: CSTNode) -> None:
    pass


def parse_cst(source: bytes) -> cst.Module:
    """libcst's parse without per-node validation.

    Every node's __post_init__ re-validates what the parser just produced (regex
    checks on whitespace, names, strings): 45% of parse time on Django (1.70 s ->
    0.94 s for 300 files, identical trees by deep_equals). Switched off for the
    parse only, so nodes built elsewhere in the process are still validated.
    """
    saved = CSTNode.__post_init__
    CSTNode.__post_init__ = _no_validation
    try:
        return cst.parse_module(source)
    finally:
        CSTNode.__post_init__ = saved


_DEFAULT_RECURSION_LIMIT = 1000  # CPython's default: the budget a module compiled at start-up gets
_DEPTH_SLACK = 20  # C calls the frame count misses; errs towards accepting, never towards CG000


def parse_ast(source: bytes) -> tuple[ast.AST | None, Exception | None]:
    """CPython's verdict on a file: its parse, then its compile of that tree, which never runs it.

    (tree, None): the interpreter accepts the file. (None, error): it does not parse. (tree,
    error): it parses but does not compile (`return` outside a function, a keyword argument
    repeated, `nonlocal` at module level, ...): CPython rejects it all the same, at import.
    The compile reuses the parsed tree (a quarter of the parse's time; a re-parse costs more).
    Before 3.12 the parser and compiler budget their recursion by the caller's stack depth,
    so both run with the budget of a fresh interpreter's top level, whatever our depth:
    the verdict is a function of the bytes alone.
    """
    with warnings.catch_warnings(), _fresh_recursion_budget():
        warnings.simplefilter("ignore")  # SyntaxWarning, DeprecationWarning: never errors here
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as err:  # SyntaxError covers bad encodings
            return None, err
        try:
            try:
                compile(tree, "<module>", "exec", dont_inherit=True, optimize=0)
            except (RecursionError, MemoryError):
                # Compiling a tree object checks it first, which costs stack a compile of the
                # source does not: only the source's compile, as an import does it, decides.
                compile(source, "<module>", "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, RecursionError, MemoryError) as err:
            return tree, err
        except (ValueError, TypeError, SystemError, OverflowError):
            pass  # an interpreter quirk on a tree its own parser made: no verdict, never CG000
    return tree, None


@contextmanager
def _fresh_recursion_budget() -> Iterator[None]:
    """The recursion limit a module imported at start-up sees, counted from our own depth."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + _DEFAULT_RECURSION_LIMIT + _DEPTH_SLACK)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


def too_deep(source: bytes, err: Exception) -> bool:
    """Whether a file CPython rejects could still overflow libcst's parser: then libcst must not see it."""
    if not isinstance(err, SyntaxError) or "nested" in str(err.msg):
        return True
    depth = deepest = 0
    for byte in source:
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b")]}":
            depth -= 1
    return deepest > 150


_AST_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_AST_FIELDS: dict[type, tuple[str, ...]] = {}
_AST_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "name", "id", "attr", "arg", "asname", "module", "level", "names", "is_async", "lineno"})


def ast_calls_and_defs(tree: ast.AST) -> tuple[list[ast.Call], list[ast.AST], int]:
    """Every Call and def/class node, and the tree's depth; a plain stack loop, cheaper than ast.walk."""
    calls: list[ast.Call] = []
    defs: list[ast.AST] = []
    stack = [(tree, 0)]
    fields_of = _AST_FIELDS
    node_type = ast.AST
    call_type = ast.Call
    max_depth = 0
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            max_depth = depth
        depth += 1
        t = type(node)
        if t is call_type:
            calls.append(node)
        elif t in _AST_DEFS:
            defs.append(node)
        fields = fields_of.get(t)
        if fields is None:
            fields = fields_of[t] = tuple(f for f in t._fields if f not in _AST_LEAF_FIELDS)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        stack.append((item, depth))
            elif isinstance(value, node_type):
                stack.append((value, depth))
    return calls, defs, max_depth


class Positions:
    """Line/column of our def and call nodes, from the stdlib ast where it agrees."""

    def __init__(self, module: cst.Module, text: str, ast_index, collector) -> None:
        self.text = text
        self.lines = _NEWLINE.split(text)
        self.offsets: list[int] = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self.calls: list[tuple[int, int, str, str]] = []
        self.defs: list[tuple[int, int]] = []
        if ast_index is None or not self._from_ast(ast_index, collector):
            self._from_libcst(module, collector)

    def _col(self, line: int, col_bytes: int) -> int:
        s = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if s.isascii():
            return col_bytes
        return len(s.encode("utf-8")[:col_bytes].decode("utf-8", errors="replace"))

    def _slice(self, l1: int, c1: int, l2: int, c2: int) -> str:
        return self.text[self.offsets[l1 - 1] + c1 : self.offsets[l2 - 1] + c2]

    def _from_ast(self, ast_index, collector) -> bool:
        calls, defs, _ = ast_index
        if len(calls) != len(collector.calls) or len(defs) != len(collector.def_nodes):
            return False
        calls.sort(key=lambda n: (n.lineno, n.col_offset, -n.end_lineno, -n.end_col_offset))
        defs.sort(key=lambda n: (n.lineno, n.col_offset))
        for a, ours in zip(defs, collector.def_nodes):
            if a.name != ours.name.value:
                return False
        for a, ours in zip(calls, collector.calls):
            want = ours.callee[-1] if ours.callee else None
            got = a.func.id if isinstance(a.func, ast.Name) else a.func.attr if isinstance(a.func, ast.Attribute) else None
            if want is not None and got != want:
                return False
        try:
            for a in calls:
                c1 = self._col(a.lineno, a.col_offset)
                fl, fc = a.func.end_lineno, self._col(a.func.end_lineno, a.func.end_col_offset)
                el, ec = a.end_lineno, self._col(a.end_lineno, a.end_col_offset)
                self.calls.append((a.lineno, c1 + 1, self._slice(a.lineno, c1, fl, fc), self._slice(fl, fc, el, ec)))
        except IndexError:
            self.calls.clear()
            return False
        self.defs = [(a.lineno, self._col(a.lineno, a.col_offset) + 1) for a in defs]
        return True

    def _from_libcst(self, module: cst.Module, collector) -> None:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        for pc in collector.calls:
            r = positions[pc.node]
            self.calls.append(
                (r.start.line, r.start.column + 1, module.code_for_node(pc.node.func), _args_text(module, pc.node))
            )
        for node in collector.def_nodes:
            r = positions[node.name]
            kw = positions[node.name].start
            self.defs.append((kw.line, r.start.column + 1))


def _args_text(module: cst.Module, node: cst.Call) -> str:
    return "(" + ", ".join(module.code_for_node(a).strip().rstrip(",").strip() for a in node.args) + ")"
