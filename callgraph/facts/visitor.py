"""The visitor of the per-file pass: one walk that records definitions, bindings, imports and calls.

It records nodes and plain values only; positions, lambda indexes in references and binding
lines are filled in afterwards (`assemble`), once the whole tree has been seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from .expected_errors import catches_type_error, expects_type_error, tests_environment
from .bodies import body_facts
from .expressions import (
    as_ref, display_elements, dotted, dotted_str, key_step, literal_class, parameters, partial_call, string_value,
)
from .model import (
    AttrAssign,
    Binding,
    BindingKind,
    CallShape,
    Decorator,
    FieldFact,
    Flow,
    FlowKind,
    ImportFact,
    ParamKind,
    ScopeKind,
    Signature,
)

_WS = re.compile(r"\s+")
_ADDERS = frozenset({"append", "appendleft", "add", "insert", "setdefault"})  # `name.append(f)`: name holds f


@dataclass
class _Scope:
    qualname: str
    kind: ScopeKind
    first_param: str | None = None  # "self"/"cls" of a method
    class_name: str | None = None  # the enclosing class's own name, for super(C, self)
    cond: int = 0  # depth of compound statements inside this scope
    guarded: int = 0  # depth of blocks that expect a TypeError (try/except TypeError, assertRaises)
    blocks: list[int] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)  # names def'd so far in this scope
    declared: dict[str, str] = field(default_factory=dict)  # global/nonlocal name -> scope it binds in


@dataclass
class PendingCall:
    """A call as the walk saw it; it becomes a `CallSite` once its position is known."""

    node: cst.Call
    scope: str
    callee: tuple[str, ...] | None
    shape: CallShape
    star_at: tuple[int, ...]
    double_star_at: tuple[int, ...]
    expects_type_error: bool
    callee_ref: tuple[str, ...] | None = None
    args: tuple = ()
    lambda_index: int = -1
    environment_guarded: bool = False


class Collector:
    """Records definitions, bindings, imports and calls in one walk."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.scopes: list[_Scope] = [_Scope("", ScopeKind.MODULE, blocks=[0])]
        self.next_block = 1
        self.functions: list[tuple[cst.FunctionDef, dict]] = []
        self.classes: list[tuple[cst.ClassDef, dict]] = []
        self.imports: list[ImportFact] = []
        self.bindings: list[Binding] = []
        self.calls: list[PendingCall] = []
        self.attr_assigns: list[AttrAssign] = []
        self.flows: list[Flow] = []  # edge facts only: what yields, item and attribute writes carry
        self.all_names: list[str] | None = None
        self.all_dynamic = False
        self.dynamic_globals = False
        self.scope_names: list[tuple[str, ScopeKind]] = [("", ScopeKind.MODULE)]
        self.def_nodes: list[cst.CSTNode] = []  # FunctionDef/ClassDef in source order
        self._guard_nodes: set[int] = set()
        self.environment_guards = 0  # enclosing `if` statements that test the interpreter (any scope)
        self._environment_ifs: set[int] = set()
        self.uses: list[tuple[str, str, int]] = []
        # Edge facts: lambdas, what functions return, references. Lambdas get their index when
        # visited, after the statement that refers to them: refs hold "<lambda@id>" until `fix_ref`.
        self.lambdas: list[tuple[cst.Lambda, dict]] = []
        self.lambda_ids: dict[int, int] = {}
        self.lambda_stack: list[int] = []
        self.lambda_counters: dict[str, int] = {}
        self.fn_stack: list[int] = []
        # Per def body or lambda being walked: its own `return` nodes and whether it yields or
        # awaits (for bodies.body_facts); a lambda's frame only keeps its yields from the def's.
        self.body_frames: list[tuple[list[cst.Return], list[bool]]] = []

    # -- scope helpers -------------------------------------------------
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def _bind(
        self, name: str, kind: BindingKind, index: int = -1, value=None, value_name=None, ref=None, elements=None,
        iterates=None, partial=None,
    ) -> None:
        s = self.scope
        self.bindings.append(
            Binding(s.qualname, name, kind, 0, s.blocks[-1], s.cond > 0, index, value, value_name, ref, elements, iterates,
                    partial)
        )
        outer = s.declared.get(name)
        if outer is not None and kind not in (BindingKind.GLOBAL, BindingKind.NONLOCAL):
            # `global x; x = ...` rebinds the outer name at some unknown time.
            self.bindings.append(Binding(outer, name, BindingKind.OTHER, 0, -1, True, ref=ref))

    def _child_qualname(self, name: str) -> str:
        s = self.scope
        if s.kind is ScopeKind.MODULE:
            return name
        if s.kind is ScopeKind.CLASS:
            return f"{s.qualname}.{name}"
        return f"{s.qualname}.<locals>.{name}"

    def _code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def _decorators(self, decorators) -> tuple[Decorator, ...]:
        out = []
        for d in decorators:
            expr = d.decorator
            if isinstance(expr, cst.Call):
                kws = tuple(
                    (a.keyword.value, self._code(a.value)) for a in expr.args if a.keyword is not None
                )
                out.append(Decorator(dotted_str(expr.func), True, kws, self._code(expr)))
            else:
                out.append(Decorator(dotted_str(expr), False, (), self._code(expr)))
        return tuple(out)

    # -- blocks and conditions ----------------------------------------
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.scope.blocks.append(self.next_block)
        self.next_block += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.scope.blocks.pop()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.scope.blocks.append(self.next_block)
        self.next_block += 1

    def leave_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.scope.blocks.pop()

    def _enter_cond(self, node: cst.CSTNode) -> None:
        self.scope.cond += 1

    def _leave_cond(self, node: cst.CSTNode) -> None:
        self.scope.cond -= 1

    visit_Try = visit_TryStar = visit_While = visit_With = visit_Match = _enter_cond
    leave_Try = leave_TryStar = leave_For = leave_While = leave_With = leave_Match = _leave_cond

    def visit_If(self, node: cst.If) -> None:
        self._enter_cond(node)
        if tests_environment(node.test):
            self.environment_guards += 1
            self._environment_ifs.add(id(node))

    def leave_If(self, node: cst.If) -> None:
        self._leave_cond(node)
        if id(node) in self._environment_ifs:
            self.environment_guards -= 1

    # -- code that expects a TypeError ----------------------------------
    def visit_Try_body(self, node: cst.Try) -> None:
        if any(catches_type_error(h.type) for h in node.handlers):
            self.scope.guarded += 1
            self._guard_nodes.add(id(node))

    def leave_Try_body(self, node: cst.Try) -> None:
        if id(node) in self._guard_nodes:
            self.scope.guarded -= 1

    def visit_With_body(self, node: cst.With) -> None:
        if any(expects_type_error(item.item) for item in node.items):
            self.scope.guarded += 1
            self._guard_nodes.add(id(node))

    def leave_With_body(self, node: cst.With) -> None:
        if id(node) in self._guard_nodes:
            self.scope.guarded -= 1

    # -- definitions ----------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        s = self.scope
        name = node.name.value
        qualname = self._child_qualname(name)
        decorators = self._decorators(node.decorators)
        params = parameters(node.params)
        text = "(" + _WS.sub(" ", self._code(node.params)).strip().rstrip(",").strip() + ")"
        info = dict(
            qualname=qualname,
            name=name,
            scope=s.qualname,
            scope_kind=s.kind,
            is_async=node.asynchronous is not None,
            decorators=decorators,
            signature=Signature(params, text),
            block=s.blocks[-1],
            conditional=s.cond > 0,
            returns=[],
        )
        self._bind(name, BindingKind.DEF, len(self.functions))
        self.functions.append((node, info))
        self.def_nodes.append(node)

    # Decorators, defaults and annotations run in the enclosing scope; only the
    # body runs in the function's own, so the scope is pushed around the body.
    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        s = self.scope
        self.fn_stack.append(len(self.functions) - 1)
        self.body_frames.append(([], [False]))
        info = self.functions[-1][1]  # nothing between a def and its body can define a function
        params = info["signature"].params
        first = None
        if s.kind is ScopeKind.CLASS and not any(d.name == "staticmethod" for d in info["decorators"]):
            positional = [p for p in params if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
            first = positional[0].name if positional else None
        class_name = s.qualname.rsplit(".", 1)[-1] if s.kind is ScopeKind.CLASS else None
        self.scopes.append(_Scope(info["qualname"], ScopeKind.FUNCTION, first, class_name, blocks=[s.blocks[-1]]))
        self.scope_names.append((info["qualname"], ScopeKind.FUNCTION))
        for p in params:
            self._bind(p.name, BindingKind.PARAM)

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.scopes.pop()
        info = self.functions[self.fn_stack.pop()][1]
        returns, generator = self.body_frames.pop()
        info["decorator_returns"], info["forwards"] = body_facts(node, returns, generator[0])

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.body_frames:
            self.body_frames[-1][1][0] = True
        if self.fn_stack and self.scope.kind is ScopeKind.FUNCTION:
            spread = isinstance(node.value, cst.From)
            self._flow(FlowKind.YIELD, "", "[*]" if spread else "[?]", node.value.item if spread else node.value)

    def _flow(self, kind: FlowKind, name: str, key: str, value, base=None) -> None:
        ref = as_ref(value) if isinstance(value, cst.BaseExpression) else value
        if ref is not None:
            self.flows.append(Flow(kind, self.scope.qualname, name, key, ref, base))

    def visit_Await(self, node: cst.Await) -> None:
        if self.body_frames:
            self.body_frames[-1][1][0] = True

    def visit_Return(self, node: cst.Return) -> None:
        if self.body_frames:
            self.body_frames[-1][0].append(node)
        if self.fn_stack and node.value is not None:
            ref = as_ref(node.value)
            if ref is not None:
                self.functions[self.fn_stack[-1]][1]["returns"].append(ref)

    # -- references (edge facts only) -------------------------------------
    def fix_ref(self, ref: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """Placeholders "<lambda@id>" replaced by "<lambda>#N" once every lambda has its index."""
        if ref is None or not ref[0].startswith("<lambda@"):
            return ref
        n = self.lambda_ids.get(int(ref[0][8:-1]))
        return None if n is None else (f"<lambda>#{n}", *ref[1:])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.defined.add(node.name.value)

    def visit_Name(self, node: cst.Name) -> None:
        # A def's name read before it is redefined means the earlier body was used,
        # so the redefinition is deliberate (CG201 stays quiet).
        if node.value in self.scope.defined:
            self.uses.append((self.scope.qualname, node.value, len(self.functions)))

    def visit_Lambda(self, node: cst.Lambda) -> None:
        # Lambda parameters shadow outer names inside the lambda; treat them as
        # unknown bindings of the enclosing scope, which can only make us quieter.
        params = parameters(node.params)
        for p in params:
            self._bind(p.name, BindingKind.OTHER)
        # For the call graph, each lambda is a function named as PyCG names it: <lambdaN>.
        s = self.scope
        parent = self.lambdas[self.lambda_stack[-1]][1]["qualname"] if self.lambda_stack else None
        key = parent if parent is not None else s.qualname
        n = self.lambda_counters[key] = self.lambda_counters.get(key, 0) + 1
        name = f"<lambda{n}>"
        qualname = f"{parent}.<locals>.{name}" if parent is not None else self._child_qualname(name)
        body = as_ref(node.body)
        text = "(" + _WS.sub(" ", self._code(node.params)).strip().rstrip(",").strip() + ")"
        info = dict(
            qualname=qualname,
            name="<lambda>",
            scope=s.qualname,
            scope_kind=s.kind,
            is_async=False,
            decorators=(),
            signature=Signature(params, text),
            block=s.blocks[-1],
            conditional=s.cond > 0,
            returns=[body] if body is not None else [],
        )
        self.lambda_ids[id(node)] = len(self.lambdas)
        self.lambda_stack.append(len(self.lambdas))
        self.lambdas.append((node, info))
        self.body_frames.append(([], [False]))

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.lambda_stack.pop()
        self.body_frames.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        s = self.scope
        name = node.name.value
        qualname = self._child_qualname(name)
        bases: list[str | None] = []
        keywords: list[tuple[str, str]] = []
        metaclass = None
        star = False
        for a in node.bases:
            if a.star:
                star = True
            elif isinstance(a.value, cst.Subscript):
                base = dotted_str(a.value.value)
                bases.append(base + "[]" if base else None)  # Generic[T], Base[int]
            else:
                bases.append(dotted_str(a.value))
        for a in node.keywords:
            if a.star:
                star = True
            elif a.keyword is not None and a.keyword.value == "metaclass":
                metaclass = dotted_str(a.value) or "?"
            elif a.keyword is not None:
                keywords.append((a.keyword.value, self._code(a.value)))
        info = dict(
            qualname=qualname,
            name=name,
            scope=s.qualname,
            scope_kind=s.kind,
            bases=tuple(bases),
            keywords=tuple(keywords),
            metaclass=metaclass,
            decorators=self._decorators(node.decorators),
            fields=self._fields(node),
            block=s.blocks[-1],
            conditional=s.cond > 0,
            has_star_bases=star,
        )
        self._bind(name, BindingKind.CLASS, len(self.classes))
        self.classes.append((node, info))
        self.def_nodes.append(node)

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        qualname = self._child_qualname(node.name.value)
        self.scopes.append(_Scope(qualname, ScopeKind.CLASS, blocks=[self.scope.blocks[-1]]))
        self.scope_names.append((qualname, ScopeKind.CLASS))

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.scopes.pop()

    def _fields(self, node: cst.ClassDef) -> tuple[FieldFact, ...]:
        out: list[FieldFact] = []
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else node.body.body
        for stmt in body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.AnnAssign) or not isinstance(small.target, cst.Name):
                    continue
                annotation = self._code(small.annotation.annotation)
                value = small.value
                has_default, init, kw_only, factory = value is not None, True, None, False
                if isinstance(value, cst.Call) and (dotted_str(value.func) or "").split(".")[-1] == "field":
                    kws = {a.keyword.value: a.value for a in value.args if a.keyword is not None}
                    factory = "default_factory" in kws
                    has_default = "default" in kws or factory
                    if "init" in kws:
                        init = not (isinstance(kws["init"], cst.Name) and kws["init"].value == "False")
                    if "kw_only" in kws and isinstance(kws["kw_only"], cst.Name):
                        kw_only = kws["kw_only"].value == "True"
                out.append(FieldFact(small.target.value, has_default, annotation, init, kw_only, factory))
        return tuple(out)

    # -- imports --------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            module = dotted_str(alias.name) or ""
            asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
            imp = ImportFact(self.scope.qualname, module, None, asname, 0, 0)
            self._bind(imp.bound_name, BindingKind.IMPORT, len(self.imports))
            self.imports.append(imp)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_str(node.module) if node.module is not None else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            imp = ImportFact(self.scope.qualname, module or "", "*", None, level, 0)
            self._bind("*", BindingKind.IMPORT, len(self.imports))
            self.imports.append(imp)
            return
        for alias in node.names:
            name = dotted_str(alias.name) or ""
            asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
            imp = ImportFact(self.scope.qualname, module or "", name, asname, level, 0)
            self._bind(imp.bound_name, BindingKind.IMPORT, len(self.imports))
            self.imports.append(imp)

    # -- assignments and other bindings ----------------------------------
    def _bind_target(
        self, target: cst.BaseExpression, value: cst.BaseExpression | None, kind: BindingKind, iterates=None
    ) -> None:
        if isinstance(target, cst.Name):
            callee = dotted(value.func) if isinstance(value, cst.Call) else None
            if callee is None and (made := literal_class(value)) is not None:
                callee = (made,)  # a literal: an instance of exactly that builtin class
            vname = dotted(value) if value is not None and callee is None else None
            ref = as_ref(value) if value is not None else None
            self._bind(target.value, kind, value=callee, value_name=vname, ref=ref, elements=display_elements(value),
                       iterates=iterates, partial=partial_call(value))
            if target.value == "__all__" and self.scope.kind is ScopeKind.MODULE:
                self._record_all(value, kind)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._bind_target(el.value, None, BindingKind.OTHER)
            self._unpack_flows(target, value, iterates)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, BindingKind.OTHER)
        elif isinstance(target, cst.Attribute):
            if value is not None:
                self._flow(FlowKind.ATTR, target.attr.value, "", value, as_ref(target.value))
            callee = dotted(value.func) if isinstance(value, cst.Call) else None
            self.attr_assigns.append(
                AttrAssign(self.scope.qualname, dotted(target.value), target.attr.value, callee, 0, partial_call(value))
            )
        elif isinstance(target, cst.Subscript):
            if isinstance(target.value, cst.Name) and value is not None:
                item = target.slice[0].slice if len(target.slice) == 1 else None
                self._flow(FlowKind.ITEM, target.value.value, key_step(item.value) if isinstance(item, cst.Index) else "[?]", value)
            self._dynamic_write(target.value, target.slice[0].slice if len(target.slice) == 1 else None)

    def _unpack_flows(self, target: cst.Tuple | cst.List, value, iterates) -> None:
        """`a, b = f, g`, `a, b = pair`, `for k, v in d.items()`: each name's value, for edges."""
        names = [el.value.value if isinstance(el.value, cst.Name) else None for el in target.elements]
        if any(isinstance(el, cst.StarredElement) for el in target.elements):
            return
        if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(names):
            for name, el in zip(names, value.elements):
                if name is not None and not isinstance(el, cst.StarredElement):
                    self._flow(FlowKind.BIND, name, "", el.value)
        elif value is not None and (ref := as_ref(value)) is not None:
            for i, name in enumerate(names):
                if name is not None:
                    self._flow(FlowKind.BIND, name, "", (*ref, f"[{i}]"))
        elif iterates is not None and iterates[-2:] == ("items", "()") and len(names) == 2 and names[1] is not None:
            self._flow(FlowKind.BIND, names[1], "[*]", (*iterates[:-2], "values", "()"))

    def _dynamic_write(self, mapping: cst.BaseExpression, key: cst.BaseSliceItem | None) -> None:
        """`globals()[k] = v` and `obj.__dict__[k] = v` bind names we may not see."""
        name = string_value(key.value) if isinstance(key, cst.Index) else None
        if isinstance(mapping, cst.Call) and dotted(mapping.func) == ("globals",):
            if name is None:
                self.dynamic_globals = True
            else:
                self.bindings.append(Binding("", name, BindingKind.OTHER, 0, -1, True))
        elif isinstance(mapping, cst.Attribute) and mapping.attr.value == "__dict__":
            self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(mapping.value), name or "*", None, 0))

    def _record_all(self, value: cst.BaseExpression | None, kind: BindingKind) -> None:
        names: list[str] | None = None
        if isinstance(value, (cst.List, cst.Tuple)):
            names = []
            for el in value.elements:
                s = string_value(el.value)
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

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._bind_target(t.target, node.value, BindingKind.ASSIGN)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        # A bare annotation binds nothing at runtime but makes a function name local.
        self._bind_target(node.target, node.value, BindingKind.ASSIGN if node.value is not None else BindingKind.OTHER)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == "__all__" and self.scope.kind is ScopeKind.MODULE:
            self._record_all(node.value, BindingKind.OTHER)
            return
        self._bind_target(node.target, None, BindingKind.OTHER)

    def visit_For(self, node: cst.For) -> None:
        self._enter_cond(node)
        self._bind_target(node.target, None, BindingKind.OTHER, iterates=as_ref(node.iter))
        self._loop_display(node.target, node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_target(node.target, None, BindingKind.OTHER, iterates=as_ref(node.iter))
        self._loop_display(node.target, node.iter)

    def _loop_display(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        """`for f in [a, b]`: f is bound to each element, for edges."""
        if isinstance(target, cst.Name) and isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            for el in iterable.elements:
                if not isinstance(el, cst.StarredElement):
                    self._flow(FlowKind.BIND, target.value, "", el.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, None, BindingKind.OTHER)
            ctx = as_ref(node.item)
            if isinstance(node.asname.name, cst.Name) and ctx is not None:
                self._flow(FlowKind.BIND, node.asname.name.value, "", (*ctx, "__enter__", "()"))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, None, BindingKind.OTHER)
            if isinstance(node.name.name, cst.Name) and node.type is not None:
                kinds = [e.value for e in node.type.elements] if isinstance(node.type, cst.Tuple) else [node.type]
                for k in kinds:
                    if (ref := as_ref(k)) is not None:
                        self._flow(FlowKind.BIND, node.name.name.value, "", (*ref, "()"))  # an instance of it

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, None, BindingKind.OTHER)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, None, BindingKind.OTHER)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name.value, BindingKind.OTHER)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._bind(node.name.value, BindingKind.OTHER)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._bind(node.rest.value, BindingKind.OTHER)

    def visit_Global(self, node: cst.Global) -> None:
        for n in node.names:
            self._bind(n.name.value, BindingKind.GLOBAL)
            self.scope.declared[n.name.value] = ""

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        enclosing = next((s.qualname for s in reversed(self.scopes[:-1]) if s.kind is ScopeKind.FUNCTION), "")
        for n in node.names:
            self._bind(n.name.value, BindingKind.NONLOCAL)
            self.scope.declared[n.name.value] = enclosing

    def visit_Del(self, node: cst.Del) -> None:
        targets = node.target.elements if isinstance(node.target, (cst.Tuple, cst.List)) else [node.target]
        for t in targets:
            t = t.value if isinstance(t, cst.Element) else t
            if isinstance(t, cst.Name):
                self._bind(t.value, BindingKind.DELETE)
            elif isinstance(t, cst.Attribute):
                self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(t.value), t.attr.value, None, 0))

    # -- calls ----------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        positional = 0
        keywords: list[str] = []
        star_at: list[int] = []
        dstar_at: list[int] = []
        for i, a in enumerate(node.args):
            if a.star == "*":
                star_at.append(i)
            elif a.star == "**":
                dstar_at.append(i)
            elif a.keyword is not None:
                keywords.append(a.keyword.value)
            else:
                positional += 1
        callee = self._callee(node.func)
        shape = CallShape(positional, tuple(keywords), bool(star_at), bool(dstar_at))
        self.calls.append(
            PendingCall(
                node, self.scope.qualname, callee, shape, tuple(star_at), tuple(dstar_at), self.scope.guarded > 0,
                as_ref(node.func),
                tuple(
                    (a.star or (a.keyword.value if a.keyword is not None else None), as_ref(a.value))
                    for a in node.args
                ),
                self.lambda_stack[-1] if self.lambda_stack else -1,
                self.environment_guards > 0,
            )
        )
        if callee is not None and len(callee) == 2 and callee[1] in _ADDERS and callee[0].isidentifier() and node.args:
            item = node.args[-1]
            if not item.star and item.keyword is None:
                key = key_step(node.args[0].value) if callee[1] == "setdefault" and len(node.args) == 2 else "[?]"
                self._flow(FlowKind.ITEM, callee[0], key, item.value)
        if callee in (("setattr",), ("delattr",)) and len(node.args) >= 2:
            attr = string_value(node.args[1].value) or "*"  # "*": any attribute
            self.attr_assigns.append(AttrAssign(self.scope.qualname, dotted(node.args[0].value), attr, None, 0))
        elif callee is not None and len(callee) >= 2 and callee[-2:] == ("__dict__", "update"):
            self.attr_assigns.append(AttrAssign(self.scope.qualname, callee[:-2], "*", None, 0))
        elif callee in (("globals", "update"),) or callee == ("globals()", "update"):
            self.dynamic_globals = True

    def _callee(self, func: cst.BaseExpression) -> tuple[str, ...] | None:
        """The callee as a dotted path; a call inside it is marked "()" ("C()", "m")."""
        parts: list[str] = []
        while isinstance(func, cst.Attribute):
            parts.append(func.attr.value)
            func = func.value
        parts.reverse()
        if isinstance(func, cst.Name):
            return (func.value, *parts)
        if parts and (made := literal_class(func)) is not None:
            return (made + "()", *parts)  # "a,b".split: a method of an instance of exactly str
        if isinstance(func, cst.Call) and parts:
            if self._is_plain_super(func):
                return ("super()", *parts)
            base = self._callee(func.func)
            if base is None or base[0] == "super()":
                return None
            return (*base[:-1], base[-1] + "()", *parts)
        return None

    def _is_plain_super(self, call: cst.Call) -> bool:
        """`super()` or `super(C, self)` naming the enclosing class and first parameter."""
        if not (isinstance(call.func, cst.Name) and call.func.value == "super"):
            return False
        s = self.scope
        if s.kind is not ScopeKind.FUNCTION or s.class_name is None:
            return False
        if not call.args:
            return True
        if len(call.args) == 2 and all(not a.star and a.keyword is None for a in call.args):
            a, b = (dotted(x.value) for x in call.args)
            return a == (s.class_name,) and b == (s.first_param,) and s.first_param is not None
        return False
