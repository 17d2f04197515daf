"""The last step of the per-file pass: what the visitor recorded, with the positions, as `ModuleFacts`.

The walk records bindings without lines and references with lambda placeholders; here every
def, class, call and lambda gets its position, bindings get their lines, and lambda
placeholders their indexes. Also the facts of a file that cannot be compiled (CG000).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Callable
from dataclasses import replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .model import Binding, BindingKind, CallSite, ClassFact, FunctionFact, ModuleFacts
from .parsing import Positions
from .suppress import suppressions
from .visitor import Collector

_NEWLINE = re.compile(r"\r\n|\r|\n")

FixRef = Callable[[tuple[str, ...] | None], tuple[str, ...] | None]


def module_facts(
    module: str, is_package: bool, source: bytes, tree: cst.Module, tree_ast: ast.AST | None,
    pos: Positions, collector: Collector,
) -> ModuleFacts:
    """The facts of a walked module, its nodes placed by `pos`."""
    # Bindings were recorded without lines; defs carry theirs, the rest use 0.
    functions: list[FunctionFact] = []
    classes: list[ClassFact] = []
    def_pos = dict(zip(map(id, collector.def_nodes), pos.defs))
    fix = collector.fix_ref
    for node, info in collector.functions:
        line, col = def_pos[id(node)]
        functions.append(FunctionFact(line=line, column=col, **{**info, "returns": _refs(fix, info["returns"])}))
    lambdas = tuple(
        FunctionFact(line=line, column=col, **{**info, "returns": _refs(fix, info["returns"])})
        for (node, info), (line, col) in zip(collector.lambdas, _lambda_positions(tree, tree_ast, pos, collector))
    )
    for node, info in collector.classes:
        line, col = def_pos[id(node)]
        classes.append(ClassFact(line=line, column=col, **info))
    bindings = tuple(
        _with_line(_fix_binding(fix, b), functions, classes) for b in collector.bindings
    )
    calls = tuple(
        CallSite(
            pc.scope, line, col, pc.callee, ctext, atext, pc.shape, pc.star_at, pc.double_star_at, pc.expects_type_error,
            fix(pc.callee_ref), tuple((k, fix(r)) for k, r in pc.args), pc.lambda_index, pc.environment_guarded,
        )
        for pc, (line, col, ctext, atext) in zip(collector.calls, pos.calls)
    )
    return ModuleFacts(
        module=module,
        is_package=is_package,
        functions=tuple(functions),
        classes=tuple(classes),
        imports=tuple(collector.imports),
        bindings=bindings,
        calls=calls,
        attr_assigns=tuple(collector.attr_assigns),
        dunder_all=None if collector.all_dynamic or collector.all_names is None else tuple(collector.all_names),
        dunder_all_dynamic=collector.all_dynamic,
        dynamic_globals=collector.dynamic_globals,
        scopes=tuple(collector.scope_names),
        uses=tuple(collector.uses),
        suppressions=suppressions(source),
        lambdas=lambdas,
        flows=tuple(
            replace(f, ref=ref, base=fix(f.base)) for f in collector.flows if (ref := fix(f.ref)) is not None
        ),
    )


def _refs(fix: FixRef, refs: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(r for r in map(fix, refs) if r is not None)


def _fix_binding(fix: FixRef, b: Binding) -> Binding:
    """Lambda placeholders in a binding's references, now that every lambda has its index."""
    if b.ref is None and b.elements is None and b.iterates is None:
        return b
    elements = None if b.elements is None else tuple((k, fix(r)) for k, r in b.elements)
    return replace(b, ref=fix(b.ref), elements=elements, iterates=fix(b.iterates))


def _lambda_positions(
    tree: cst.Module, tree_ast: ast.AST | None, pos: Positions, collector: Collector
) -> list[tuple[int, int]]:
    """(line, column) of each lambda: the ast's, paired in source order, else libcst's positions."""
    if not collector.lambdas:
        return []
    if tree_ast is not None:
        found = sorted(
            ((n.lineno, n.col_offset) for n in ast.walk(tree_ast) if isinstance(n, ast.Lambda)),
        )
        if len(found) == len(collector.lambdas):
            return [(line, pos._col(line, col) + 1) for line, col in found]
    positions = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    return [(positions[n].start.line, positions[n].start.column + 1) for n, _ in collector.lambdas]


def error_facts(module: str, is_package: bool, err: Exception | None) -> ModuleFacts:
    """CG000 in CPython's own words: the file cannot be compiled by the interpreter."""
    if isinstance(err, SyntaxError):
        return ModuleFacts(
            module, is_package, error=f"{type(err).__name__}: {err.msg}", error_line=err.lineno or 1, error_column=err.offset or 1
        )
    if isinstance(err, (RecursionError, MemoryError)) and not str(err):
        return ModuleFacts(module, is_package, error=f"{type(err).__name__}: too deeply nested to compile", error_line=1, error_column=1)
    return ModuleFacts(module, is_package, error=f"{type(err).__name__}: {err}", error_line=1, error_column=1)


def compile_error_facts(module: str, is_package: bool, source: bytes, err: Exception) -> ModuleFacts:
    """CG000 for a file that parses but does not compile; its column in characters, like every other.

    The compiler places its error at the node's UTF-8 byte offset, the parser at a character's.
    """
    facts = error_facts(module, is_package, err)
    if not isinstance(err, SyntaxError) or not err.lineno or not err.offset or err.offset <= 1:
        return facts
    try:
        text = importlib.util.decode_source(source)
    except (SyntaxError, UnicodeError, LookupError, ValueError):
        return facts
    lines = _NEWLINE.split(text)
    line = lines[err.lineno - 1] if err.lineno <= len(lines) else ""
    if line.isascii():
        return facts
    column = len(line.encode("utf-8")[: err.offset - 1].decode("utf-8", errors="replace")) + 1
    return replace(facts, error_column=column)


def _with_line(b: Binding, functions: list[FunctionFact], classes: list[ClassFact]) -> Binding:
    if b.kind is BindingKind.DEF:
        return replace(b, line=functions[b.index].line)
    if b.kind is BindingKind.CLASS:
        return replace(b, line=classes[b.index].line)
    return b
