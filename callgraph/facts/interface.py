"""The interface facts of an outside module, from CPython's `ast` alone: `collect_interface`.

Outside modules (the standard library's and installed packages' .py files, and typeshed's .pyi
stubs, which are Python syntax too) never get findings, so nobody reads their call sites, their
suppression comments or their def-name uses. Everything the resolver does read of them is here,
equal to what the full libcst pass (`collector.collect`) records: definitions with signatures and
positions, classes with bases, keywords, metaclass, decorators and dataclass fields, imports, every
binding with its references, attribute writes, lambdas, `__all__`, dynamic globals and scopes.
`tests/test_interface.py` proves it on real modules: these facts equal the full facts with
`calls`, `suppressions` and `uses` emptied.

Why: `ast.parse` is about a tenth of libcst's parse, and a cold run reads a hundred or more
stdlib modules before it can resolve anything. The walk below mirrors `visitor.Collector` node
for node, in libcst's (source) order, so bindings, blocks and lambda numbers come out the same.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from dataclasses import dataclass, field

from .assemble import error_facts
from .interface_bodies import body_facts, literal_class
from .interface_text import SourceText, dotted, dotted_str, name_of, partial_call
from .model import (
    AttrAssign,
    Binding,
    BindingKind,
    ClassFact,
    Decorator,
    FieldFact,
    FunctionFact,
    ImportFact,
    ModuleFacts,
    Param,
    ParamKind,
    ScopeKind,
    Signature,
)
from .parsing import parse_ast

MAX_DEPTH = 400  # as `collector.MAX_DEPTH`: deeper trees are left alone there, so here too
_COND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()
)



@dataclass
class _Scope:
    qualname: str
    kind: ScopeKind
    first_param: str | None = None
    class_name: str | None = None
    cond: int = 0
    blocks: list[int] = field(default_factory=list)
    declared: dict[str, str] = field(default_factory=dict)


class _Interface(SourceText):
    """One module's walk; the same records as `visitor.Collector`, less call sites and uses."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.scopes = [_Scope("", ScopeKind.MODULE, blocks=[0])]
        self.next_block = 1
        self.functions: list[FunctionFact | dict] = []
        self.classes: list[ClassFact] = []
        self.imports: list[ImportFact] = []
        self.bindings: list[Binding] = []
        self.attr_assigns: list[AttrAssign] = []
        self.all_names: list[str] | None = None
        self.all_dynamic = False
        self.dynamic_globals = False
        self.scope_names: list[tuple[str, ScopeKind]] = [("", ScopeKind.MODULE)]
        self.lambdas: list[dict] = []
        self.lambda_ids: dict[int, int] = {}
        self.lambda_stack: list[int] = []
        self.lambda_counters: dict[str, int] = {}
        self.fn_stack: list[int] = []
        self.depth = 0
        self.max_depth = 0

    # -- scopes and bindings ---------------------------------------------------------------
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def _bind(self, name, kind, index=-1, value=None, value_name=None, ref=None, elements=None, iterates=None,
              partial=None) -> None:
        s = self.scope
        self.bindings.append(
            Binding(s.qualname, name, kind, 0, s.blocks[-1], s.cond > 0, index, value, value_name, ref, elements, iterates,
                    partial)
        )
        outer = s.declared.get(name)
        if outer is not None and kind not in (BindingKind.GLOBAL, BindingKind.NONLOCAL):
            self.bindings.append(Binding(outer, name, BindingKind.OTHER, 0, -1, True, ref=ref))

    def _child_qualname(self, name: str) -> str:
        s = self.scope
        if s.kind is ScopeKind.MODULE:
            return name
        if s.kind is ScopeKind.CLASS:
            return f"{s.qualname}.{name}"
        return f"{s.qualname}.<locals>.{name}"

    def _bind_target(self, target: ast.AST, value: ast.AST | None, kind: BindingKind, iterates=None) -> None:
        t = type(target)
        if t is ast.Name:
            callee = dotted(value.func) if type(value) is ast.Call else None
            if callee is None and (made := literal_class(value)) is not None:
                callee = (made,)  # a literal: an instance of exactly that builtin class
            vname = dotted(value) if value is not None and callee is None else None
            ref = self.as_ref(value) if value is not None else None
            self._bind(target.id, kind, value=callee, value_name=vname, ref=ref, elements=self.display_elements(value),
                       iterates=iterates, partial=partial_call(value))
            if target.id == "__all__" and self.scope.kind is ScopeKind.MODULE:
                self._record_all(value, kind)
        elif t in (ast.Tuple, ast.List):
            for el in target.elts:
                self._bind_target(el.value if type(el) is ast.Starred else el, None, BindingKind.OTHER)
        elif t is ast.Starred:
            self._bind_target(target.value, None, BindingKind.OTHER)
        elif t is ast.Attribute:
            callee = dotted(value.func) if type(value) is ast.Call else None
            self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(target.value), target.attr, callee, 0,
                                                partial_call(value)))
        elif t is ast.Subscript:
            key = None if type(target.slice) in (ast.Slice, ast.Tuple) else target.slice
            self._dynamic_write(target.value, key)

    def _dynamic_write(self, mapping: ast.AST, key: ast.AST | None) -> None:
        name = self.string_value(key)
        if type(mapping) is ast.Call and dotted(mapping.func) == ("globals",):
            if name is None:
                self.dynamic_globals = True
            else:
                self.bindings.append(Binding("", name, BindingKind.OTHER, 0, -1, True))
        elif type(mapping) is ast.Attribute and mapping.attr == "__dict__":
            self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(mapping.value), name or "*", None, 0))

    def _record_all(self, value: ast.AST | None, kind: BindingKind) -> None:
        names: list[str] | None = None
        if type(value) in (ast.List, ast.Tuple):
            names = []
            for el in value.elts:
                s = self.string_value(el)
                if s is None:
                    names = None
                    break
                names.append(s)
        if names is None:
            self.all_dynamic = True
        elif kind is BindingKind.ASSIGN:
            self.all_names = names
        else:
            self.all_names = (self.all_names or []) + names

    def _parameters(self, a: ast.arguments) -> tuple[Param, ...]:
        out: list[Param] = []
        positional = [*a.posonlyargs, *a.args]
        first_default = len(positional) - len(a.defaults)
        for i, p in enumerate(positional):
            kind = ParamKind.POSITIONAL_ONLY if i < len(a.posonlyargs) else ParamKind.POSITIONAL_OR_KEYWORD
            out.append(Param(p.arg, kind, i >= first_default, dotted_str(p.annotation) if p.annotation else None))
        if a.vararg is not None:
            out.append(Param(a.vararg.arg, ParamKind.VAR_POSITIONAL, False, None))
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            out.append(Param(p.arg, ParamKind.KEYWORD_ONLY, d is not None, dotted_str(p.annotation) if p.annotation else None))
        if a.kwarg is not None:
            out.append(Param(a.kwarg.arg, ParamKind.VAR_KEYWORD, False, None))
        return tuple(out)

    def _param_parts(self, a: ast.arguments) -> list[ast.AST]:
        """Annotations and defaults in source order (libcst's walk order)."""
        out: list[ast.AST] = []
        positional = [*a.posonlyargs, *a.args]
        first_default = len(positional) - len(a.defaults)
        for i, p in enumerate(positional):
            if p.annotation is not None:
                out.append(p.annotation)
            if i >= first_default:
                out.append(a.defaults[i - first_default])
        if a.vararg is not None and a.vararg.annotation is not None:
            out.append(a.vararg.annotation)
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            if p.annotation is not None:
                out.append(p.annotation)
            if d is not None:
                out.append(d)
        if a.kwarg is not None and a.kwarg.annotation is not None:
            out.append(a.kwarg.annotation)
        return out

    def _decorators(self, decorators: list[ast.expr]) -> tuple[Decorator, ...]:
        out = []
        for expr in decorators:
            if type(expr) is ast.Call:
                kws = tuple((k.arg, self._code(k.value, expr.lineno)) for k in expr.keywords if k.arg is not None)
                out.append(Decorator(dotted_str(expr.func), True, kws, self._code(expr, expr.lineno)))
            else:
                out.append(Decorator(dotted_str(expr), False, (), self._code(expr, expr.lineno)))
        return tuple(out)

    # -- the walk --------------------------------------------------------------------------
    def block(self, body: list[ast.stmt]) -> None:
        self.scope.blocks.append(self.next_block)
        self.next_block += 1
        for stmt in body:
            self.stmt(stmt)
        self.scope.blocks.pop()

    def stmt(self, node: ast.stmt) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            self.max_depth = self.depth
        handler = _STATEMENTS.get(type(node))
        cond = type(node) in _COND
        if cond:
            self.scope.cond += 1
        if handler is not None:
            handler(self, node)
        else:
            self.generic(node)
        if cond:
            self.scope.cond -= 1
        self.depth -= 1

    def expr(self, node: ast.AST | None) -> None:
        if node is None:
            return
        self.depth += 1
        if self.depth > self.max_depth:
            self.max_depth = self.depth
        handler = _EXPRESSIONS.get(type(node))
        if handler is not None:
            handler(self, node)
        else:
            self.generic(node)
        self.depth -= 1

    def generic(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.stmt):
                        self.stmt(item)
                    elif isinstance(item, ast.AST):
                        self.expr(item)
            elif isinstance(value, ast.AST) and not isinstance(value, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
                self.expr(value)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        s = self.scope
        name = node.name
        qualname = self._child_qualname(name)
        decorators = self._decorators(node.decorator_list)
        params = self._parameters(node.args)
        parts = self._param_parts(node.args)
        args = node.args
        named = [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
                 *([args.kwarg] if args.kwarg else [])]
        search = self._start(node)
        type_params = getattr(node, "type_params", None)
        if type_params:
            search = self._end(type_params[-1])
        open_at = self.text.index("(", search) + 1  # the first "(" after `def` (or the type parameters)
        text = self._params_text(open_at, [*named, *parts], ")")
        info = dict(
            qualname=qualname, name=name, scope=s.qualname, scope_kind=s.kind, line=node.lineno,
            column=self._col(node.lineno, node.col_offset) + 1, is_async=type(node) is ast.AsyncFunctionDef,
            decorators=decorators, signature=Signature(params, text), block=s.blocks[-1], conditional=s.cond > 0,
            returns=[],
        )
        info["decorator_returns"], info["forwards"] = body_facts(node)
        index = len(self.functions)
        self._bind(name, BindingKind.DEF, index)
        self.functions.append(info)
        for d in node.decorator_list:
            self.expr(d)
        for tp in type_params or ():
            self.expr(tp)
        for p in parts:
            self.expr(p)
        self.expr(node.returns)
        self.fn_stack.append(index)
        first = None
        if s.kind is ScopeKind.CLASS and not any(d.name == "staticmethod" for d in decorators):
            positional = [p for p in params if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
            first = positional[0].name if positional else None
        class_name = s.qualname.rsplit(".", 1)[-1] if s.kind is ScopeKind.CLASS else None
        self.scopes.append(_Scope(qualname, ScopeKind.FUNCTION, first, class_name, blocks=[s.blocks[-1]]))
        self.scope_names.append((qualname, ScopeKind.FUNCTION))
        for p in params:
            self._bind(p.name, BindingKind.PARAM)
        self.block(node.body)
        self.scopes.pop()
        self.fn_stack.pop()

    def klass(self, node: ast.ClassDef) -> None:
        s = self.scope
        qualname = self._child_qualname(node.name)
        bases: list[str | None] = []
        keywords: list[tuple[str, str]] = []
        metaclass = None
        star = False
        for b in node.bases:
            if type(b) is ast.Starred:
                star = True
            elif type(b) is ast.Subscript:
                base = dotted_str(b.value)
                bases.append(base + "[]" if base else None)
            else:
                bases.append(dotted_str(b))
        for k in node.keywords:
            if k.arg is None:
                star = True
            elif k.arg == "metaclass":
                metaclass = dotted_str(k.value) or "?"
            else:
                keywords.append((k.arg, self._code(k.value, node.lineno)))
        fact = ClassFact(
            qualname=qualname, name=node.name, scope=s.qualname, scope_kind=s.kind, line=node.lineno,
            column=self._col(node.lineno, node.col_offset) + 1, bases=tuple(bases), keywords=tuple(keywords),
            metaclass=metaclass, decorators=self._decorators(node.decorator_list), fields=self._fields(node),
            block=s.blocks[-1], conditional=s.cond > 0, has_star_bases=star,
        )
        self._bind(node.name, BindingKind.CLASS, len(self.classes))
        self.classes.append(fact)
        for d in node.decorator_list:
            self.expr(d)
        for tp in getattr(node, "type_params", None) or ():
            self.expr(tp)
        for b in node.bases:
            self.expr(b)
        for k in node.keywords:
            self.expr(k.value)
        self.scopes.append(_Scope(qualname, ScopeKind.CLASS, blocks=[s.blocks[-1]]))
        self.scope_names.append((qualname, ScopeKind.CLASS))
        self.block(node.body)
        self.scopes.pop()

    def _fields(self, node: ast.ClassDef) -> tuple[FieldFact, ...]:
        body = node.body
        if body and self.lines[body[0].lineno - 1][: self._col(body[0].lineno, body[0].col_offset)].strip():
            return ()  # `class C: x: int` is a one-line suite: libcst's collector reads no fields there
        out: list[FieldFact] = []
        for small in body:
            if type(small) is not ast.AnnAssign or type(small.target) is not ast.Name:
                continue
            value = small.value
            has_default, init, kw_only, factory = value is not None, True, None, False
            if type(value) is ast.Call and (dotted_str(value.func) or "").split(".")[-1] == "field":
                kws = {k.arg: k.value for k in value.keywords if k.arg is not None}
                factory = "default_factory" in kws
                has_default = "default" in kws or factory
                if "init" in kws:
                    init = name_of(kws["init"]) != "False"
                if "kw_only" in kws and name_of(kws["kw_only"]) is not None:
                    kw_only = name_of(kws["kw_only"]) == "True"
            out.append(FieldFact(small.target.id, has_default, self._code(small.annotation, small.lineno), init, kw_only, factory))
        return tuple(out)

    def if_(self, node: ast.If) -> None:
        self.expr(node.test)
        self.block(node.body)
        orelse = node.orelse
        if len(orelse) == 1 and type(orelse[0]) is ast.If:
            o = orelse[0]
            if self.lines[o.lineno - 1][self._col(o.lineno, o.col_offset):].startswith("elif"):
                self.stmt(o)
                return
        if orelse:
            self.block(orelse)

    def for_(self, node: ast.For | ast.AsyncFor) -> None:
        self._bind_target(node.target, None, BindingKind.OTHER, iterates=self.as_ref(node.iter))
        self.expr(node.target)
        self.expr(node.iter)
        self.block(node.body)
        if node.orelse:
            self.block(node.orelse)

    def while_(self, node: ast.While) -> None:
        self.expr(node.test)
        self.block(node.body)
        if node.orelse:
            self.block(node.orelse)

    def try_(self, node: ast.Try) -> None:
        self.block(node.body)
        for h in node.handlers:
            if h.name is not None:
                self._bind_target(ast.Name(id=h.name), None, BindingKind.OTHER)
            self.expr(h.type)
            self.block(h.body)
        if node.orelse:
            self.block(node.orelse)
        if node.finalbody:
            self.block(node.finalbody)

    def with_(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, None, BindingKind.OTHER)
            self.expr(item.context_expr)
            self.expr(item.optional_vars)
        self.block(node.body)

    def match(self, node: ast.Match) -> None:
        self.expr(node.subject)
        for case in node.cases:
            self.expr(case.pattern)
            self.expr(case.guard)
            self.block(case.body)

    def assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            self._bind_target(t, node.value, BindingKind.ASSIGN)
        for t in node.targets:
            self.expr(t)
        self.expr(node.value)

    def ann_assign(self, node: ast.AnnAssign) -> None:
        self._bind_target(node.target, node.value, BindingKind.ASSIGN if node.value is not None else BindingKind.OTHER)
        self.expr(node.target)
        self.expr(node.annotation)
        self.expr(node.value)

    def aug_assign(self, node: ast.AugAssign) -> None:
        if type(node.target) is ast.Name and node.target.id == "__all__" and self.scope.kind is ScopeKind.MODULE:
            self._record_all(node.value, BindingKind.OTHER)
        else:
            self._bind_target(node.target, None, BindingKind.OTHER)
        self.expr(node.target)
        self.expr(node.value)

    def import_(self, node: ast.Import) -> None:
        for alias in node.names:
            imp = ImportFact(self.scope.qualname, alias.name, None, alias.asname, 0, 0)
            self._bind(imp.bound_name, BindingKind.IMPORT, len(self.imports))
            self.imports.append(imp)

    def import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if len(node.names) == 1 and node.names[0].name == "*":
            self._bind("*", BindingKind.IMPORT, len(self.imports))
            self.imports.append(ImportFact(self.scope.qualname, module, "*", None, node.level, 0))
            return
        for alias in node.names:
            imp = ImportFact(self.scope.qualname, module, alias.name, alias.asname, node.level, 0)
            self._bind(imp.bound_name, BindingKind.IMPORT, len(self.imports))
            self.imports.append(imp)

    def global_(self, node: ast.Global) -> None:
        for n in node.names:
            self._bind(n, BindingKind.GLOBAL)
            self.scope.declared[n] = ""

    def nonlocal_(self, node: ast.Nonlocal) -> None:
        enclosing = next((s.qualname for s in reversed(self.scopes[:-1]) if s.kind is ScopeKind.FUNCTION), "")
        for n in node.names:
            self._bind(n, BindingKind.NONLOCAL)
            self.scope.declared[n] = enclosing

    def delete(self, node: ast.Delete) -> None:
        targets = node.targets
        if len(targets) == 1 and type(targets[0]) in (ast.Tuple, ast.List):
            targets = targets[0].elts
        for t in targets:
            if type(t) is ast.Name:
                self._bind(t.id, BindingKind.DELETE)
            elif type(t) is ast.Attribute:
                self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(t.value), t.attr, None, 0))
        for t in node.targets:
            self.expr(t)

    def return_(self, node: ast.Return) -> None:
        if self.fn_stack and node.value is not None:
            ref = self.as_ref(node.value)
            if ref is not None:
                self.functions[self.fn_stack[-1]]["returns"].append(ref)
        self.expr(node.value)

    # -- expressions -----------------------------------------------------------------------
    def lambda_(self, node: ast.Lambda) -> None:
        params = self._parameters(node.args)
        for p in params:
            self._bind(p.name, BindingKind.OTHER)
        s = self.scope
        parent = self.lambdas[self.lambda_stack[-1]]["qualname"] if self.lambda_stack else None
        key = parent if parent is not None else s.qualname
        n = self.lambda_counters[key] = self.lambda_counters.get(key, 0) + 1
        name = f"<lambda{n}>"
        qualname = f"{parent}.<locals>.{name}" if parent is not None else self._child_qualname(name)
        body = self.as_ref(node.body)
        parts = self._param_parts(node.args)
        args = node.args
        named = [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
                 *([args.kwarg] if args.kwarg else [])]
        text = self._params_text(self._start(node) + len("lambda"), [*named, *parts], ":")
        self.lambda_ids[id(node)] = len(self.lambdas)
        self.lambda_stack.append(len(self.lambdas))
        self.lambdas.append(dict(
            qualname=qualname, name="<lambda>", scope=s.qualname, scope_kind=s.kind, line=node.lineno,
            column=self._col(node.lineno, node.col_offset) + 1, is_async=False, decorators=(),
            signature=Signature(params, text), block=s.blocks[-1], conditional=s.cond > 0,
            returns=[body] if body is not None else [],
        ))
        for p in parts:
            self.expr(p)
        self.expr(node.body)
        self.lambda_stack.pop()

    def named_expr(self, node: ast.NamedExpr) -> None:
        self._bind_target(node.target, None, BindingKind.OTHER)
        self.expr(node.target)
        self.expr(node.value)

    def comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        if type(node) is ast.DictComp:
            self.expr(node.key)
            self.expr(node.value)
        else:
            self.expr(node.elt)
        for g in node.generators:
            self._bind_target(g.target, None, BindingKind.OTHER, iterates=self.as_ref(g.iter))
            self.expr(g.target)
            self.expr(g.iter)
            for cond in g.ifs:
                self.expr(cond)

    def call(self, node: ast.Call) -> None:
        args = sorted(
            [*node.args, *node.keywords], key=lambda a: (a.lineno, a.col_offset)
        ) if node.keywords and node.args else [*node.args, *node.keywords]
        values = [a.value if type(a) in (ast.Starred, ast.keyword) else a for a in args]
        callee = self._callee(node.func)
        if callee in (("setattr",), ("delattr",)) and len(values) >= 2:
            attr = self.string_value(values[1]) or "*"
            self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(values[0]), attr, None, 0))
        elif callee is not None and len(callee) >= 2 and callee[-2:] == ("__dict__", "update"):
            self.attr_assigns.append(AttrAssign(self.scope.qualname, callee[:-2], "*", None, 0))
        elif callee in (("globals", "update"),) or callee == ("globals()", "update"):
            self.dynamic_globals = True
        self.expr(node.func)
        for v in values:
            self.expr(v)

    def _callee(self, func: ast.AST) -> tuple[str, ...] | None:
        parts: list[str] = []
        while type(func) is ast.Attribute:
            parts.append(func.attr)
            func = func.value
        parts.reverse()
        name = name_of(func)
        if name is not None:
            return (name, *parts)
        if parts and (made := literal_class(func)) is not None:
            return (made + "()", *parts)  # "a,b".split: a method of an instance of exactly str
        if type(func) is ast.Call and parts:
            if self._is_plain_super(func):
                return ("super()", *parts)
            base = self._callee(func.func)
            if base is None or base[0] == "super()":
                return None
            return (*base[:-1], base[-1] + "()", *parts)
        return None

    def _is_plain_super(self, call: ast.Call) -> bool:
        if not (type(call.func) is ast.Name and call.func.id == "super"):
            return False
        s = self.scope
        if s.kind is not ScopeKind.FUNCTION or s.class_name is None:
            return False
        if not call.args and not call.keywords:
            return True
        if len(call.args) == 2 and not call.keywords and all(type(x) is not ast.Starred for x in call.args):
            a, b = (dotted(x) for x in call.args)
            return a == (s.class_name,) and b == (s.first_param,) and s.first_param is not None
        return False

    def dict_(self, node: ast.Dict) -> None:
        for k, v in zip(node.keys, node.values):
            self.expr(k)
            self.expr(v)

    def if_exp(self, node: ast.IfExp) -> None:
        self.expr(node.body)
        self.expr(node.test)
        self.expr(node.orelse)

    def match_as(self, node: ast.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name, BindingKind.OTHER)
        self.expr(node.pattern)

    def match_star(self, node: ast.MatchStar) -> None:
        if node.name is not None:
            self._bind(node.name, BindingKind.OTHER)

    def match_mapping(self, node: ast.MatchMapping) -> None:
        if node.rest is not None:
            self._bind(node.rest, BindingKind.OTHER)
        for k, p in zip(node.keys, node.patterns):
            self.expr(k)
            self.expr(p)


_STATEMENTS = {
    ast.FunctionDef: _Interface.function, ast.AsyncFunctionDef: _Interface.function, ast.ClassDef: _Interface.klass,
    ast.If: _Interface.if_, ast.For: _Interface.for_, ast.AsyncFor: _Interface.for_, ast.While: _Interface.while_,
    ast.Try: _Interface.try_, ast.With: _Interface.with_, ast.AsyncWith: _Interface.with_, ast.Match: _Interface.match,
    ast.Assign: _Interface.assign, ast.AnnAssign: _Interface.ann_assign, ast.AugAssign: _Interface.aug_assign,
    ast.Import: _Interface.import_, ast.ImportFrom: _Interface.import_from, ast.Global: _Interface.global_,
    ast.Nonlocal: _Interface.nonlocal_, ast.Delete: _Interface.delete, ast.Return: _Interface.return_,
}
if hasattr(ast, "TryStar"):
    _STATEMENTS[ast.TryStar] = _Interface.try_
_EXPRESSIONS = {
    ast.Lambda: _Interface.lambda_, ast.NamedExpr: _Interface.named_expr, ast.ListComp: _Interface.comprehension,
    ast.SetComp: _Interface.comprehension, ast.GeneratorExp: _Interface.comprehension,
    ast.DictComp: _Interface.comprehension, ast.Call: _Interface.call, ast.Dict: _Interface.dict_,
    ast.IfExp: _Interface.if_exp, ast.MatchAs: _Interface.match_as, ast.MatchStar: _Interface.match_star,
    ast.MatchMapping: _Interface.match_mapping,
}


def _decode(source: bytes) -> str | None:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, UnicodeError, LookupError):
        return None


def collect_interface(module: str, source: bytes, *, is_package: bool = False) -> ModuleFacts:
    """What the resolver reads of an outside module (see the module docstring): a pure function
    of (module name, source bytes, is_package), on CPython's parser alone."""
    tree, syntax_error = parse_ast(source)
    if tree is None:
        return error_facts(module, is_package, syntax_error)
    text = _decode(source)
    if text is None:
        return ModuleFacts(module, is_package, unsupported="the source cannot be decoded")
    walk = _Interface(text)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # as `walk.Walker`: deep but valid code is walked
    try:
        for stmt in tree.body:
            walk.stmt(stmt)
    except RecursionError:
        return ModuleFacts(module, is_package, unsupported="nested too deeply to analyse")
    finally:
        sys.setrecursionlimit(limit)
    if walk.max_depth > MAX_DEPTH:
        return ModuleFacts(module, is_package, unsupported=f"nested {walk.max_depth} levels deep: too deep to analyse")
    fix = walk.fix_ref

    def fn(info: dict) -> FunctionFact:
        return FunctionFact(**{**info, "returns": tuple(r for r in map(fix, info["returns"]) if r is not None)})

    functions = tuple(fn(i) for i in walk.functions)
    bindings = []
    for b in walk.bindings:
        if b.ref is not None or b.elements is not None or b.iterates is not None:
            elements = None if b.elements is None else tuple((k, fix(r)) for k, r in b.elements)
            b = Binding(b.scope, b.name, b.kind, b.line, b.block, b.conditional, b.index, b.value, b.value_name,
                        fix(b.ref), elements, fix(b.iterates), b.partial)
        if b.kind is BindingKind.DEF:
            b = _with_line(b, functions[b.index].line)
        elif b.kind is BindingKind.CLASS:
            b = _with_line(b, walk.classes[b.index].line)
        bindings.append(b)
    return ModuleFacts(
        module=module,
        is_package=is_package,
        functions=functions,
        classes=tuple(walk.classes),
        imports=tuple(walk.imports),
        bindings=tuple(bindings),
        attr_assigns=tuple(walk.attr_assigns),
        dunder_all=None if walk.all_dynamic or walk.all_names is None else tuple(walk.all_names),
        dunder_all_dynamic=walk.all_dynamic,
        dynamic_globals=walk.dynamic_globals,
        scopes=tuple(walk.scope_names),
        lambdas=tuple(fn(i) for i in walk.lambdas),
    )


def _with_line(b: Binding, line: int) -> Binding:
    return Binding(b.scope, b.name, b.kind, line, b.block, b.conditional, b.index, b.value, b.value_name, b.ref,
                   b.elements, b.iterates, b.partial)
