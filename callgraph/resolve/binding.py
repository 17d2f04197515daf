"""Decide statically whether a call shape binds to a signature, with CPython 3.11's exact TypeError.

The algorithm replays `initialize_locals` (Python/ceval.c, 3.11) on counts and names only: which
slots get filled, in which order the checks fire, and how the messages are worded. Binding never
looks at argument values, so for a call without `*expr`/`**expr` the shape alone decides.
Assumed throughout: a `*expr` is an iterable and a `**expr` a mapping (otherwise CPython raises
its own "argument after * must be an iterable" kind of error, which is not a binding question).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..facts.findings import Code
from ..facts.model import CallShape, ParamKind, Signature


class Verdict(enum.Enum):
    BINDS = "binds"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class BindResult:
    verdict: Verdict
    code: Code | None = None  # set only for ERROR
    message: str | None = None  # CPython's exact text, set only for ERROR
    # the names the message is about: the unexpected keyword (CG103), the missing parameters
    # (CG102), the positional-only parameters passed by keyword (CG105); data for suggestions
    names: tuple[str, ...] = field(default=(), compare=False)  # the message already says them


_BINDS = BindResult(Verdict.BINDS)
_UNKNOWN = BindResult(Verdict.UNKNOWN)
_POSITIONAL = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)


def _error(code: Code, message: str, names: tuple[str, ...] = ()) -> BindResult:
    return BindResult(Verdict.ERROR, code, message, names)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def bind(sig: Signature, shape: CallShape, qualname: str, *, implicit: int = 0) -> BindResult:
    """Bind `shape` (plus `implicit` leading positionals such as a bound self) to `sig`.

    `**expr` gives UNKNOWN: its content may repeat an explicit keyword ("got multiple values for
    keyword argument"), carry a non-string key ("keywords must be strings"), or name any
    parameter, so no single verdict holds for every mapping.

    `*expr` adds an unknown count k >= 0 of positionals; we answer for every k at once by trying
    k = 0 .. co_argcount + 2. That suffices: once the positional total A reaches co_argcount,
    every positional slot is filled by position, so the keyword loop sees the same state and
    gives the same outcome for all larger A. After it, a function with *args binds or fails
    identically for all such A; one without *args reports "too many" with A inside the text, so
    A = co_argcount + 1 and + 2 (both reached, as A >= k) already disagree and force UNKNOWN.
    Hence every count beyond the range repeats a behaviour inside it.
    """
    if shape.double_star:
        return _UNKNOWN
    given = implicit + shape.positional
    if not shape.star:
        return _bind_exact(sig, given, shape.keywords, qualname)
    co_argcount = sum(1 for p in sig.params if p.kind in _POSITIONAL)
    outcomes = {_bind_exact(sig, given + extra, shape.keywords, qualname) for extra in range(co_argcount + 3)}
    return outcomes.pop() if len(outcomes) == 1 else _UNKNOWN


def _bind_exact(sig: Signature, given: int, keywords: tuple[str, ...], qualname: str) -> BindResult:
    """initialize_locals for exactly `given` positionals and the explicit `keywords`, in order."""
    positional = [p for p in sig.params if p.kind in _POSITIONAL]
    kwonly = [p for p in sig.params if p.kind is ParamKind.KEYWORD_ONLY]
    kinds = {p.kind for p in sig.params}
    has_varargs = ParamKind.VAR_POSITIONAL in kinds
    has_varkw = ParamKind.VAR_KEYWORD in kinds
    co_argcount = len(positional)
    posonly = [p.name for p in positional if p.kind is ParamKind.POSITIONAL_ONLY]
    slots = positional + kwonly  # co_varnames[:total_args]
    filled = [i < given for i in range(co_argcount)] + [False] * len(kwonly)
    # Keywords match pos-or-keyword and keyword-only slots only: never positional-only names,
    # nor the names of *args / **kwargs.
    index = {p.name: j for j, p in enumerate(slots) if j >= len(posonly)}

    for keyword in keywords:
        j = index.get(keyword)
        if j is None:
            if has_varkw:
                continue  # lands in **kwargs, even when it names a positional-only parameter
            # CPython lists the clashes in parameter order, joined inside one pair of quotes.
            clashes = [name for name in posonly for kw in keywords if kw == name]
            if clashes:
                return _error(
                    Code.CG105,
                    f"{qualname}() got some positional-only arguments passed as keyword arguments: "
                    f"'{', '.join(clashes)}'",
                    tuple(clashes),
                )
            return _error(Code.CG103, f"{qualname}() got an unexpected keyword argument '{keyword}'", (keyword,))
        if filled[j]:
            return _error(Code.CG104, f"{qualname}() got multiple values for argument '{keyword}'")
        filled[j] = True

    defcount = sum(1 for p in positional if p.has_default)  # len(func.__defaults__)
    if given > co_argcount and not has_varargs:
        kwonly_given = sum(filled[co_argcount:])
        if defcount:
            takes, plural = f"from {co_argcount - defcount} to {co_argcount}", True
        else:
            takes, plural = str(co_argcount), co_argcount != 1
        extra = (
            f" positional argument{_plural(given)} (and {kwonly_given} keyword-only argument{_plural(kwonly_given)})"
            if kwonly_given
            else ""
        )
        verb = "was" if given == 1 and not kwonly_given else "were"
        return _error(
            Code.CG101,
            f"{qualname}() takes {takes} positional argument{'s' if plural else ''} but {given}{extra} {verb} given",
        )

    missing = [p.name for j, p in enumerate(positional[: co_argcount - defcount]) if not filled[j]]
    if missing:
        return _error(Code.CG102, _missing(qualname, "positional", missing), tuple(missing))
    missing = [p.name for j, p in enumerate(kwonly) if not filled[co_argcount + j] and not p.has_default]
    if missing:
        return _error(Code.CG102, _missing(qualname, "keyword-only", missing), tuple(missing))
    return _BINDS


def _missing(qualname: str, kind: str, names: list[str]) -> str:
    """format_missing: 'a' / 'a' and 'b' / 'a', 'b', and 'c' (Oxford comma, repr'd names)."""
    quoted = [repr(name) for name in names]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-2]) + f", {quoted[-2]}, and {quoted[-1]}"
    return f"{qualname}() missing {len(names)} required {kind} argument{_plural(len(names))}: {listed}"


def bind_no_arguments(type_name: str, shape: CallShape) -> BindResult:
    """A class with neither __init__ nor __new__: object() rejects any argument at all.

    Any `**expr` gives UNKNOWN: the mapping may be empty, and it may repeat an explicit keyword or
    a key of another `**expr` (the shape does not say how many there are), in which case the merge
    fails first with "got multiple values for keyword argument". A lone `*expr` may be empty.
    """
    message = f"{type_name}() takes no arguments"
    if shape.double_star:
        return _UNKNOWN
    if shape.positional > 0:
        return _error(Code.CG101, message)
    if shape.keywords:
        return _error(Code.CG103, message)
    return _UNKNOWN if shape.star else _BINDS


def bind_no_keywords(type_name: str, shape: CallShape) -> BindResult:
    """BaseException's constructor (BaseException_init): any positionals, and no keyword at all.

    A `**expr` may be empty (it binds) or not (it fails): UNKNOWN."""
    if shape.double_star:
        return _UNKNOWN
    if shape.keywords:
        return _error(Code.CG103, f"{type_name}() takes no keyword arguments")
    return _BINDS
