"""Decorators defined in the project, and functions that hand `*args, **kwargs` on unchanged.

A project decorator `D` (or the decorator a factory `F(...)` returns) is followed when every
value it can return is readable (`FunctionFact.returns_complete`):

- `return fn` (its own parameter): the name keeps the function itself.
- `return wrapper`, a def local to `D`, decorated by nothing but `functools.wraps(fn)`:
  - if the wrapper is `def w(*args, **kwargs): ... return fn(*args, **kwargs)` (its last
    statement, no other return, no yield/await: `FunctionFact.forwards`), a call binds or fails
    exactly as the call `fn(...)` would, since `*args, **kwargs` hand on every argument unchanged.
    The name keeps `fn`, and CPython names `fn` when it rejects. (Statements before the hand-on
    may raise something else first; the call is still one no path can bind.)
  - otherwise the wrapper *is* what the name holds. CPython names it by `__qualname__`: the
    wrapper's (`timed.<locals>.run`), or the wrapped function's when `functools.wraps` copied it.
- anything else, a decorator with more parameters, one named as a mutator, or a decorator
  applied outside `staticmethod`/`classmethod`: unknown, as before.

A decorator named in `preserving` (`--preserving pkg.mod.deco`) keeps the function, like the
outside ones; one named in `mutators` stays unknown whatever its body shows.

`forward_targets` applies the same hand-on rule to a plain function called directly
(`def wrap(*a, **kw): return target(*a, **kw)`): the checker judges the call against `target`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..facts.model import BindingKind, Decorator, FunctionFact, ParamKind

if TYPE_CHECKING:
    from .resolver import Resolver, Target, Value

_CONSTRUCTION = frozenset({"__init__", "__new__"})  # the names `AttributeWrites.trusted` serves
_POSITIONAL = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)


_CAST = frozenset({"typing.cast", "typing_extensions.cast"})


class ProjectDecorators:
    def __init__(self, resolver: Resolver, mutators: frozenset[str]) -> None:
        self.r = resolver
        self.mutators = mutators
        self._copies: dict[tuple[int, str, tuple[int, ...]], FunctionFact] = {}
        # id(wrapper copy) -> (the wrapper as defined, what it hands its call on to)
        self._inner: dict[int, tuple[FunctionFact, list[Value]]] = {}

    # -- decorators ------------------------------------------------------------------------
    def apply(self, module: str, scope: str, d: Decorator, inner: list[Value]) -> list[Value] | None:
        """What the decorated name holds after `d` is applied to `inner`; None: unknown."""
        from .resolver import Mode, ValueKind

        if d.name is None:
            return None
        found = self.r.path_values(module, scope, tuple(d.name.split(".")))
        if not found or len(found) != 1:
            return None
        v = found[0]
        if v.kind is not ValueKind.FUNCTION or v.implicit or v.mode is Mode.CLASS or self.r.index.is_outside(v.module):
            return None
        full = f"{v.module}.{v.fn.qualname}"
        if full in self.mutators:
            return None
        if full in self.r.preserving:
            return inner
        if v.fn.decorators or id(v.fn) in self._inner:
            return None
        deco = self._factory_product(v.module, v.fn) if d.is_call else v.fn
        if deco is None or deco.decorators:
            return None
        return self._decorated(v.module, deco, inner)

    def keeps_class(self, module: str, scope: str, d: Decorator) -> bool:
        """A project class decorator that hands back its argument unchanged on every path
        (`def register(cls): REGISTRY.append(cls); return cls`, or what a factory returns), with no
        write of unknown names (`setattr(cls, k, v)`) in its body: the name keeps the class. Any
        other project decorator leaves that one class unknown, as before."""
        from .resolver import Mode, ValueKind

        if d.name is None:
            return False
        found = self.r.path_values(module, scope, tuple(d.name.split(".")))
        if not found or len(found) != 1:
            return False
        v = found[0]
        if v.kind is not ValueKind.FUNCTION or v.implicit or v.mode is not Mode.PLAIN or self.r.index.is_outside(v.module):
            return False
        full = f"{v.module}.{v.fn.qualname}"
        if full in self.mutators:
            return False
        if full in self.r.preserving:
            return True
        if v.fn.decorators or id(v.fn) in self._inner:
            return False
        deco = self._factory_product(v.module, v.fn) if d.is_call else v.fn
        if deco is None or deco.decorators or not deco.decorator_returns:
            return False
        params = deco.signature.params
        if len(params) != 1 or params[0].kind not in _POSITIONAL or not self._only_param(v.module, deco.qualname, params[0].name):
            return False
        if any(ret != (params[0].name,) for ret in deco.decorator_returns):
            return False
        inside = (deco.qualname, deco.qualname + ".")
        if any(m == v.module and a.scope.startswith(inside) for m, a in self.r.index.attr_assigns.get("*", [])):
            return False
        # `cls.__init__ = ...` through the parameter (nested functions included) changes how the very
        # class it hands back is constructed; construction trusts unresolved receivers not to reach a
        # class (`AttributeWrites.trusted`), so that class is unknown here, as any other decorator
        # leaves it. Other names written through `cls` reach every lookup already (`writes`).
        cls_name = params[0].name
        return not any(a.scope.startswith(inside) and a.base and a.base[0] == cls_name and a.attr in _CONSTRUCTION
                       for a in self.r.index.facts(v.module).attr_assigns)

    def _factory_product(self, module: str, factory: FunctionFact) -> FunctionFact | None:
        """The one local def a decorator factory returns on every path."""
        returns = factory.decorator_returns
        if not returns or any(len(r) != 1 for r in returns) or len(set(returns)) != 1:
            return None
        return self._local_def(module, factory, returns[0][0])

    def _decorated(self, module: str, deco: FunctionFact, inner: list[Value]) -> list[Value] | None:
        from .resolver import Value, ValueKind

        params = deco.signature.params
        if len(params) != 1 or params[0].kind not in _POSITIONAL or deco.decorator_returns is None:
            return None
        fn = params[0].name
        if not self._only_param(module, deco.qualname, fn):
            return None
        out: list[Value] = []
        for ret in deco.decorator_returns:
            wraps = self._steps(module, deco.qualname, ret[:-1], fn)
            if wraps is None:
                return None
            if ret[-1] == fn:
                if wraps:
                    return None
                out.extend(inner)
                continue
            wrapper = self._local_def(module, deco, ret[-1])
            if wrapper is None:
                return None
            own = self._wraps(module, wrapper, fn)
            if own is None:
                return None
            wraps = wraps or own
            if wraps and len(inner) != 1:
                return None
            name = inner[0].fn.qualname if wraps else wrapper.qualname
            leading = self._hands_on(module, wrapper, fn)
            if leading == ():
                out.extend(inner)  # `*args, **kwargs` alone: the call binds exactly as fn's would
                continue
            copy = self._copy(wrapper, name, inner if leading is not None else [])
            if leading is not None:
                self._inner[id(copy)] = (wrapper, inner)
            out.append(Value(ValueKind.FUNCTION, module, fn=copy))
        return out or None

    def _steps(self, module: str, scope: str, steps: tuple[str, ...], fn: str) -> bool | None:
        """Whether `cast`/`update_wrapper`/`wraps` steps copied fn's name; None: a step we do not know."""
        wraps = False
        for step in steps:
            kind, _, rest = step.partition(":")
            callee, _, arg = rest.partition(":")
            q = self.r.qualify(module, scope, callee)
            if kind == "cast" and q in _CAST:
                continue
            if (kind, q) in (("update_wrapper", "functools.update_wrapper"), ("wraps", "functools.wraps")) and arg == fn:
                wraps = True
                continue
            return None
        return wraps

    def _local_def(self, module: str, outer: FunctionFact, name: str) -> FunctionFact | None:
        bindings = self.r.index.scope_bindings(module, outer.qualname, name)
        if len(bindings) != 1 or bindings[0].kind is not BindingKind.DEF:
            return None
        return self.r.index.function(module, bindings[0])

    def _wraps(self, module: str, wrapper: FunctionFact, fn: str) -> bool | None:
        """True: `@functools.wraps(fn)` alone; False: no decorator; None: anything else."""
        if not wrapper.decorators:
            return False
        if len(wrapper.decorators) != 1:
            return None
        d = wrapper.decorators[0]
        if not d.is_call or d.keywords or self.r.qualify(module, wrapper.scope, d.name) != "functools.wraps":
            return None
        return True if d.text.replace(" ", "").endswith(f"({fn})") else None

    def _hands_on(self, module: str, wrapper: FunctionFact, fn: str) -> tuple[str, ...] | None:
        """The leading parameters of `def w(p, q, *a, **k): ... return fn(p, q, *a, **k)`, with
        fn, a and k (and p, q) never rebound; None when the function is not of that form."""
        forwards = wrapper.forwards
        if forwards is None or forwards[0] != fn:
            return None
        _, args, kwargs, *leading = forwards
        params = wrapper.signature.params
        want = [(ParamKind.POSITIONAL_OR_KEYWORD, n, False) for n in leading]
        want += [(ParamKind.VAR_POSITIONAL, args, False), (ParamKind.VAR_KEYWORD, kwargs, False)]
        got = [(ParamKind.POSITIONAL_OR_KEYWORD if p.kind in _POSITIONAL else p.kind, p.name, p.has_default) for p in params]
        if got != want or len(set(leading)) != len(leading):
            return None
        if self.r.index.scope_bindings(module, wrapper.qualname, fn):
            return None
        if not all(self._only_param(module, wrapper.qualname, n) for n in (args, kwargs, *leading)):
            return None
        return tuple(leading)

    def _only_param(self, module: str, scope: str, name: str) -> bool:
        bindings = self.r.index.scope_bindings(module, scope, name)
        return len(bindings) == 1 and bindings[0].kind is BindingKind.PARAM

    def _copy(self, fn: FunctionFact, qualname: str, inner: list[Value]) -> FunctionFact:
        """The wrapper under the name CPython gives it; one copy per wrapped function when it hands on."""
        key = (id(fn), qualname, tuple(id(v.fn) for v in inner))
        if key not in self._copies:
            self._copies[key] = dataclasses.replace(fn, qualname=qualname) if inner or qualname != fn.qualname else fn
        return self._copies[key]

    # -- hand-on -------------------------------------------------------------------------------
    def forward_targets(self, v: Value) -> tuple[tuple[Target, ...], tuple[str, ...]] | None:
        """(targets, leading parameter names) a function hands its whole call on to; None when it
        does not, or they are not all known: the function's own signature then decides alone."""
        fn, inner = self._inner.get(id(v.fn), (v.fn, None))  # a wrapper copy: its scope is the original's
        if self.r.index.is_outside(v.module) or fn.forwards is None:
            return None
        leading = self._hands_on(v.module, fn, fn.forwards[0])
        if leading is None:
            return None
        key = ("forward", v.module, fn.qualname, id(fn))
        if key in self.r._active:
            return None
        self.r._active.add(key)
        try:
            values = inner if inner is not None else self.r.path_values(v.module, fn.qualname, (fn.forwards[0],))
            if not values:
                return None
            targets, complete = self.r.targets_of(values)
        finally:
            self.r._active.discard(key)
        return (targets, leading) if complete and targets else None
