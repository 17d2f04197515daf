"""One lean libcst pass that turns a module's source into `ModuleFacts`: `collect`, the entry point.

No ScopeProvider, QualifiedNameProvider or PositionProvider: they cost about 5x
the parse. Names are resolved later by `resolve`; line numbers come from the
stdlib `ast` tree (a tenth of libcst's parse time), paired with our nodes by
source order and checked by name. Only when that pairing disagrees do we pay for
libcst's PositionProvider on that one file.

The pass in modules: `parsing` (both parsers, positions), `visitor` (the walk's records,
with `expressions` and `expected_errors`), `assemble` (records and positions as facts).
"""

from __future__ import annotations

import libcst as cst

from .assemble import compile_error_facts, error_facts, module_facts
from .model import ModuleFacts
from .parsing import Positions, ast_calls_and_defs, parse_ast, parse_cst
from .visitor import Collector
from .walk import Walker

_WALKER = Walker(Collector)

MAX_DEPTH = 400  # ast nesting beyond this is left alone: libcst's native parser can overflow the C stack


def collect(module: str, source: bytes, *, is_package: bool = False) -> ModuleFacts:
    """Facts of one module: a pure function of (module name, source bytes, is_package).

    CPython's own parser and compiler look first: they are cheap, bounded, never run the
    code, and their SyntaxError is the one to report. libcst only sees what is safe to give it.
    """
    tree_ast, syntax_error = parse_ast(source)
    if tree_ast is not None and syntax_error is not None:
        return compile_error_facts(module, is_package, source, syntax_error)  # parses, but CPython will not compile it
    if tree_ast is None:
        # CPython's parser or tokenizer refuses the bytes (a NUL byte, a non-ASCII bytes literal, an
        # unknown \N{...} name, an over-long int literal, syntax newer than this interpreter):
        # CG000, even where libcst would read the file. Deep valid code parses: its budget is fresh.
        return error_facts(module, is_package, syntax_error)
    ast_index = ast_calls_and_defs(tree_ast) if tree_ast is not None else None
    if ast_index is not None and ast_index[2] > MAX_DEPTH:
        return ModuleFacts(module, is_package, unsupported=f"nested {ast_index[2]} levels deep: too deep to analyse")
    try:
        tree = parse_cst(source)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError, UnicodeError, LookupError, SyntaxError) as exc:
        if syntax_error is not None:
            return error_facts(module, is_package, syntax_error)
        detail = exc.message if isinstance(exc, cst.ParserSyntaxError) else f"{type(exc).__name__}: {exc}"
        return ModuleFacts(module, is_package, unsupported=f"libcst cannot parse this file ({detail.strip()})")
    collector = Collector(tree)
    try:
        _WALKER.walk(tree, collector)
    except RecursionError:
        return ModuleFacts(module, is_package, unsupported="nested too deeply to analyse")
    try:
        text = source.decode("utf-8-sig" if tree.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else tree.encoding)
    except (UnicodeError, LookupError):
        text = tree.code  # libcst decoded it somehow; its own rendering is the fallback
    try:
        pos = Positions(tree, text, ast_index, collector)
    except RecursionError:
        return ModuleFacts(module, is_package, unsupported="nested too deeply to analyse")
    return module_facts(module, is_package, source, tree, tree_ast, pos, collector)
