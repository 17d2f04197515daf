"""`functools.partial` and `functools.partialmethod` objects, chains included.

Calling `partial(func, *args, **keywords)` with `(*call_args, **call_keywords)` calls
`func(*args, *call_args, **{**keywords, **call_keywords})` (Modules/_functoolsmodule.c,
`partial_call`; a partial of a partial is flattened to the same call). So a call through it
binds or fails exactly as that call of `func` would, in `func`'s words:

- the stored positionals come first: they add to the target's leading positionals
  (`Target.implicit`, as a bound `self` does), and CPython counts them in its messages;
- the stored keywords come first in the merged mapping, a call keyword of the same name replaces
  the value in place, new ones follow (`Target.bound_keywords`, merged in `checks.verdict`):
  keywords may be overridden at call time, positionals may not ("got multiple values").

Followed only where the binding is certain: the callee is `functools.partial` itself (resolved
through the imports: a project `partial` is not functools'; a write to `functools.partial`
anywhere makes it unknown), no stored `*expr`/`**expr`, a wrapped callable whose every value is
known, and no C function among the targets (their bound-argument words differ). Anything else is
unknown, as before.

A partial in a class body is not a descriptor up to Python 3.13, so `self.p(...)` calls it
unchanged; 3.14 makes it a method descriptor: through an instance it is then unknown.
`partialmethod(f, ...)` is followed through an instance only, with `f` a plain Python function:
`f.__get__(obj)` is bound and wrapped in a partial, so `obj` comes first, then the stored
arguments. Through the class (or anywhere else) it is unknown.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..facts.model import PartialFact

if TYPE_CHECKING:
    from .resolver import Resolver, Target, Value

_FUNCTOOLS = ("functools.partial", "functools.partialmethod")


@dataclass(frozen=True, slots=True)
class Bound:
    """A partial object: what it calls, and the arguments it stored."""

    inner: tuple[Value, ...]
    positional: int
    keywords: tuple[str, ...]
    method: bool  # partialmethod


class _NotPartial:
    """The call is not functools' partial: the binding is read as any other call."""


NOT_PARTIAL = _NotPartial()


def merge(first: tuple[str, ...], then: tuple[str, ...]) -> tuple[str, ...]:
    """Keyword names of `{**first, **then}`, in the dict's order."""
    return first + tuple(k for k in then if k not in first)


class Partials:
    NOT = NOT_PARTIAL

    def __init__(self, resolver: Resolver) -> None:
        self.r = resolver

    def made(self, module: str, scope: str, fact: PartialFact) -> list[Value] | None | _NotPartial:
        """What `name = partial(...)` binds: a PARTIAL value, None (unknown) or NOT_PARTIAL."""
        from .resolver import Value, ValueKind

        q = self.r.qualify(module, scope, ".".join(fact.callee))
        if q not in _FUNCTOOLS:
            return NOT_PARTIAL
        if self.r.writes.touches_module("functools", q.rpartition(".")[2], outside=True):
            return None  # `functools.partial = ...` somewhere
        if fact.star:
            return None
        if fact.inner is not None:
            inner = self.made(module, scope, fact.inner)
            if isinstance(inner, _NotPartial):
                return None
        elif fact.func is not None:
            inner = self.r.path_values(module, scope, fact.func)
        else:
            return None
        if not inner:
            return None
        bound = Bound(tuple(inner), fact.positional, fact.keywords, q.endswith("method"))
        return [Value(ValueKind.PARTIAL, module, partial=bound)]

    def targets(self, v: Value) -> tuple[tuple[Target, ...], bool]:
        """The targets a call through the partial reaches, with its stored arguments on them."""
        from .resolver import Mode, TargetKind, ValueKind

        b = v.partial
        through_instance = v.implicit == 1  # `_accessed`: found in a class body through an instance
        first = 0
        if b.method:
            if not through_instance:
                return (), False
            if any(
                x.kind is not ValueKind.FUNCTION or x.mode is not Mode.PLAIN or x.implicit or self.r.index.is_stub(x.module)
                for x in b.inner
            ):
                return (), False
            first = 1  # the instance, from the bound method partialmethod wraps
        elif through_instance and (self.r.index.version or sys.version_info[:2]) >= (3, 14):
            return (), False  # partial became a method descriptor
        found, complete = self.r.targets_of(list(b.inner))
        if not complete:
            return (), False
        out: list[Target] = []
        for t in found:
            if t.kind is TargetKind.NATIVE:
                return (), False
            out.append(replace(t, implicit=t.implicit + first + b.positional, bound_keywords=merge(t.bound_keywords, b.keywords)))
        return tuple(out), True
