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

_POSITIONAL = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)


class ProjectDecorators:
    def __init__(self, resolver: Resolver, mutators: frozenset[str]) -> None:
        self.r = resolver
        self.mutators = mutators
        self._renamed: dict[tuple[int, str], FunctionFact] = {}

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
        if v.fn.decorators:
            return None
        deco = self._local_def(v.module, v.fn, v.fn.returns) if d.is_call else v.fn
        if deco is None or deco.decorators:
            return None
        return self._decorated(v.module, deco, inner)

    def _decorated(self, module: str, deco: FunctionFact, inner: list[Value]) -> list[Value] | None:
        from .resolver import Value, ValueKind

        params = deco.signature.params
        if len(params) != 1 or params[0].kind not in _POSITIONAL or not deco.returns_complete:
            return None
        fn = params[0].name
        if not self._only_param(module, deco.qualname, fn):
            return None
        out: list[Value] = []
        for ret in deco.returns:
            if ret == (fn,):
                out.extend(inner)
                continue
            wrapper = self._local_def(module, deco, (ret,))
            if wrapper is None:
                return None
            wraps = self._wraps(module, wrapper, fn)
            if wraps is None:
                return None
            if self._hands_on(module, wrapper, fn):
                out.extend(inner)
                continue
            if wraps:
                if len(inner) != 1:
                    return None
                wrapper = self._rename(wrapper, inner[0].fn.qualname)
            out.append(Value(ValueKind.FUNCTION, module, fn=wrapper))
        return out or None

    def _local_def(self, module: str, outer: FunctionFact, returns) -> FunctionFact | None:
        """The one local def every `return` of `outer` names, when `outer` returns nothing else."""
        if not outer.returns_complete or not returns:
            return None
        names = {r for r in returns}
        if len(names) != 1:
            return None
        (ref,) = names
        if len(ref) != 1:
            return None
        bindings = self.r.index.scope_bindings(module, outer.qualname, ref[0])
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

    def _hands_on(self, module: str, wrapper: FunctionFact, fn: str) -> bool:
        """`def w(*a, **k): ... return fn(*a, **k)` with fn, a and k never rebound."""
        if wrapper.forwards is None or wrapper.forwards[0] != fn:
            return False
        params = wrapper.signature.params
        _, args, kwargs = wrapper.forwards
        if [(p.kind, p.name) for p in params] != [(ParamKind.VAR_POSITIONAL, args), (ParamKind.VAR_KEYWORD, kwargs)]:
            return False
        index = self.r.index
        return (
            not index.scope_bindings(module, wrapper.qualname, fn)
            and self._only_param(module, wrapper.qualname, args)
            and self._only_param(module, wrapper.qualname, kwargs)
        )

    def _only_param(self, module: str, scope: str, name: str) -> bool:
        bindings = self.r.index.scope_bindings(module, scope, name)
        return len(bindings) == 1 and bindings[0].kind is BindingKind.PARAM

    def _rename(self, fn: FunctionFact, qualname: str) -> FunctionFact:
        key = (id(fn), qualname)
        if key not in self._renamed:
            self._renamed[key] = dataclasses.replace(fn, qualname=qualname)
        return self._renamed[key]

    # -- direct hand-on ----------------------------------------------------------------------
    def forward_targets(self, v: Value) -> tuple[Target, ...] | None:
        """The targets a plain function hands its whole call on to; None when it does not (or
        they are not all known): the function's own `(*args, **kwargs)` then accepts anything."""
        from .resolver import Mode

        fn = v.fn
        if v.implicit or v.mode is not Mode.PLAIN or self.r.index.is_outside(v.module) or fn.forwards is None:
            return None
        if not self._hands_on(v.module, fn, fn.forwards[0]):
            return None
        key = ("forward", v.module, fn.qualname, id(fn))
        if key in self.r._active:
            return None
        self.r._active.add(key)
        try:
            values = self.r.path_values(v.module, fn.qualname, (fn.forwards[0],))
            if not values:
                return None
            targets, complete = self.r.targets_of(values)
        finally:
            self.r._active.discard(key)
        return targets if complete and targets else None
