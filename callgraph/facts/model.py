"""The typed facts of one module: plain frozen data, no behaviour.

Everything here is a pure function of (module name, source bytes), so it can be
cached by content hash and compared across versions of the code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class ParamKind(enum.Enum):
    POSITIONAL_ONLY = "positional-only"
    POSITIONAL_OR_KEYWORD = "positional-or-keyword"
    VAR_POSITIONAL = "var-positional"
    KEYWORD_ONLY = "keyword-only"
    VAR_KEYWORD = "var-keyword"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    has_default: bool = False
    annotation: str | None = None  # dotted name when the annotation is one


@dataclass(frozen=True, slots=True)
class Signature:
    params: tuple[Param, ...]
    text: str = ""  # the source text, "(self, conn, sql)"

    def render(self) -> str:
        """Source-like text built from the params, for synthesised signatures."""
        if self.text:
            return self.text
        parts: list[str] = []
        kinds = [p.kind for p in self.params]
        for i, p in enumerate(self.params):
            if p.kind is ParamKind.VAR_POSITIONAL:
                parts.append("*" + p.name)
            elif p.kind is ParamKind.VAR_KEYWORD:
                parts.append("**" + p.name)
            else:
                if p.kind is ParamKind.KEYWORD_ONLY and ParamKind.VAR_POSITIONAL not in kinds[:i] and (
                    i == 0 or kinds[i - 1] is not ParamKind.KEYWORD_ONLY
                ):
                    parts.append("*")
                parts.append(p.name + ("=..." if p.has_default else ""))
            if p.kind is ParamKind.POSITIONAL_ONLY and (
                i + 1 == len(self.params) or self.params[i + 1].kind is not ParamKind.POSITIONAL_ONLY
            ):
                parts.append("/")
        return "(" + ", ".join(parts) + ")"


@dataclass(frozen=True, slots=True)
class CallShape:
    """What binding needs to know about a call: counts and names, not values."""

    positional: int  # plain positional arguments (not counting *expr)
    keywords: tuple[str, ...] = ()  # explicit keyword names, in source order
    star: bool = False  # any *expr present
    double_star: bool = False  # any **expr present


class ScopeKind(enum.Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"


@dataclass(frozen=True, slots=True)
class Decorator:
    name: str | None  # dotted name ("functools.wraps"); None when not a plain dotted name
    is_call: bool = False
    keywords: tuple[tuple[str, str], ...] = ()  # call keywords as (name, source text)
    text: str = ""


@dataclass(frozen=True, slots=True)
class FunctionFact:
    qualname: str  # __qualname__ style: "C.m", "outer.<locals>.inner"
    name: str
    scope: str  # qualname of the enclosing scope, "" for the module
    scope_kind: ScopeKind
    line: int
    column: int
    is_async: bool
    decorators: tuple[Decorator, ...]
    signature: Signature
    block: int  # id of the statement block that holds the def
    conditional: bool  # under if/try/loop/with/match within its scope
    # What `return EXPR` hands back, as references (see `Ref`), for edges to returned functions.
    returns: tuple[tuple[str, ...], ...] = ()
    # Every value it can return, each a name under cast/update_wrapper/wraps steps; None when
    # another value or falling off the end is possible (facts/bodies.py).
    decorator_returns: tuple[tuple[str, ...], ...] | None = None
    # `return callee(*leading, *args, **kwargs)` ends every path: (callee, args, kwargs, *leading).
    forwards: tuple[str, ...] | None = None


# A reference is an expression as steps: a name (or "<lambda>#N", the module's N-th lambda) first,
# then attribute names, "()" for a call, "[<literal repr>]" or "[?]" for a subscript, and
# "@staticmethod"/"@classmethod" for a value wrapped by that call. Only call-graph edges read them.
Ref = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldFact:
    """An annotated class-body name, as dataclasses sees it."""

    name: str
    has_default: bool
    annotation: str = ""  # source text of the annotation
    init: bool = True  # field(init=False) makes it False
    kw_only: bool | None = None  # field(kw_only=...) when given
    has_factory: bool = False


@dataclass(frozen=True, slots=True)
class ClassFact:
    qualname: str
    name: str
    scope: str
    scope_kind: ScopeKind
    line: int
    column: int
    bases: tuple[str | None, ...]  # dotted names; None for any other expression
    keywords: tuple[tuple[str, str], ...]  # class keywords other than metaclass
    metaclass: str | None  # dotted name, "?" for a non-name expression
    decorators: tuple[Decorator, ...]
    fields: tuple[FieldFact, ...]
    block: int
    conditional: bool
    has_star_bases: bool = False  # class C(*bases) or (**kw)


@dataclass(frozen=True, slots=True)
class ImportFact:
    scope: str
    module: str  # "a.b" for "import a.b" / "from a.b import x"; "" for "from . import x"
    name: str | None  # the imported name for from-imports, "*" for star; None for plain import
    alias: str | None
    level: int  # leading dots of a relative import
    line: int

    @property
    def bound_name(self) -> str:
        if self.alias:
            return self.alias
        if self.name is not None:
            return self.name
        return self.module.split(".")[0]


@dataclass(frozen=True, slots=True)
class PartialFact:
    """`partial(func, *args, **keywords)` (or `partialmethod`) with a dotted callee named so: what
    a later call through the object adds to its own arguments. The resolver decides whether the
    callee is functools'."""

    callee: tuple[str, ...]  # ("functools", "partial"), ("partial",), ("partialmethod",)
    func: tuple[str, ...] | None  # dotted path of the wrapped callable; None: see `inner`, or unreadable
    inner: PartialFact | None  # the wrapped callable is itself such a call
    positional: int  # stored positionals after func
    keywords: tuple[str, ...]  # stored keyword names, in source order
    star: bool  # a *expr or **expr among the stored arguments (or func passed by keyword)


class BindingKind(enum.Enum):
    DEF = "def"
    CLASS = "class"
    IMPORT = "import"
    ASSIGN = "assign"
    PARAM = "param"
    GLOBAL = "global"
    NONLOCAL = "nonlocal"
    DELETE = "delete"
    OTHER = "other"  # for/with/except targets, walrus, match captures, augmented assignment


@dataclass(frozen=True, slots=True)
class Binding:
    """One statement that binds a name in a scope."""

    scope: str
    name: str
    kind: BindingKind
    line: int
    block: int
    conditional: bool
    index: int = -1  # into functions/classes/imports for DEF/CLASS/IMPORT
    value: tuple[str, ...] | None = None  # ASSIGN: callee path when the value is a call of a dotted name
    value_name: tuple[str, ...] | None = None  # ASSIGN: dotted path when the value is a plain name/attribute
    ref: tuple[str, ...] | None = None  # ASSIGN: the value as a reference (lambdas, calls, subscripts too)
    # ASSIGN of a dict/list/tuple/set display: (key step "['k']" or "[0]" or "[?]", element reference)
    elements: tuple[tuple[str, tuple[str, ...] | None], ...] | None = None
    iterates: tuple[str, ...] | None = None  # `for NAME in REF`: NAME holds the elements of REF
    partial: PartialFact | None = None  # ASSIGN: the value is a `partial(...)`-named call


class FlowKind(enum.Enum):
    YIELD = "yield"  # scope (a function) yields ref; key "[*]": `yield from ref`, its elements
    ITEM = "item"  # `name[key] = ref`, `name.append(ref)`...: the container bound to name holds ref
    ATTR = "attr"  # `base.name = ref`
    BIND = "bind"  # name is bound to ref (with-as, except-as, unpacking); key "[*]": to its elements


@dataclass(frozen=True, slots=True)
class Flow:
    """A value flow only call-graph edges follow (never the checker): see `FlowKind`."""

    kind: FlowKind
    scope: str
    name: str
    key: str
    ref: tuple[str, ...]
    base: tuple[str, ...] | None = None  # ATTR: the receiver as a reference


@dataclass(frozen=True, slots=True)
class AttrAssign:
    """`base.attr = value` anywhere: instance attributes and monkeypatching.

    `attr` is "*" for writes whose name we cannot read (setattr(obj, name, v), obj.__dict__.update).
    """

    scope: str
    base: tuple[str, ...] | None  # dotted path of the object; None for other expressions
    attr: str
    value: tuple[str, ...] | None  # callee path when the value is a call of a dotted name
    line: int
    partial: PartialFact | None = None  # the value is a `partial(...)`-named call


@dataclass(frozen=True, slots=True)
class CallSite:
    scope: str  # qualname of the enclosing function or class, "" for module level
    line: int
    column: int  # 1-based, in characters
    callee: tuple[str, ...] | None  # ("self", "m"), ("super()", "m"); None when not a dotted chain
    callee_text: str
    args_text: str
    shape: CallShape
    star_at: tuple[int, ...] = ()  # argument indexes holding *expr
    double_star_at: tuple[int, ...] = ()  # argument indexes holding **expr
    expects_type_error: bool = False  # inside try/except TypeError or assertRaises(TypeError): intended
    callee_ref: tuple[str, ...] | None = None  # the callee as a reference (subscripts, lambdas, calls)
    # every argument as (None for positional, the keyword, "*" or "**"; its reference or None)
    args: tuple[tuple[str | None, tuple[str, ...] | None], ...] = ()
    lambda_index: int = -1  # the innermost enclosing lambda (into ModuleFacts.lambdas), -1 for none
    # inside `if` on the interpreter (sys.version_info, sys.platform, hasattr, PY3-style flags):
    # the code was written for another environment than the one whose modules we read
    environment_guarded: bool = False


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    module: str
    is_package: bool
    functions: tuple[FunctionFact, ...] = ()
    classes: tuple[ClassFact, ...] = ()
    imports: tuple[ImportFact, ...] = ()
    bindings: tuple[Binding, ...] = ()
    calls: tuple[CallSite, ...] = ()
    attr_assigns: tuple[AttrAssign, ...] = ()
    dunder_all: tuple[str, ...] | None = None  # literal __all__ when it is one
    dunder_all_dynamic: bool = False  # __all__ is built by code we cannot read statically
    dynamic_globals: bool = False  # globals()[name] = ... with a name we cannot read
    error: str | None = None  # syntax error text when the source does not parse
    error_line: int = 0
    error_column: int = 0
    unsupported: str | None = None  # valid Python the collector cannot read: a note, never a finding
    scopes: tuple[tuple[str, ScopeKind], ...] = field(default=())  # every scope qualname, for lookups
    # (scope, name, n): a def'd name read in its own scope after the first n function definitions
    uses: tuple[tuple[str, str, int], ...] = field(default=())
    # (line, codes) per `# callgraph: ignore[CG101]` / `# noqa: CG101` comment; codes () means every code
    suppressions: tuple[tuple[int, tuple[str, ...]], ...] = field(default=())
    # every lambda, as a function named like PyCG's "<lambda1>" (per enclosing scope, in source order)
    lambdas: tuple[FunctionFact, ...] = field(default=())
    # value flows for call-graph edges only (like calls, absent from interface facts)
    flows: tuple[Flow, ...] = field(default=())
