"""Suggestions for a rejected call: "did you mean 'width'?", or "pass 'value' by position".

Computed where the finding is made, from the call's shape and every target's verdict, and kept
on the finding as data (`facts.findings.Suggestion`); reporters word them, `callgraph fix`
applies the certain ones. A suggestion is *certain* only when the changed call shape binds to
every possible target, checked with the same binding rules that found the error: the fix is
proven, never guessed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..facts.findings import Code, FixKind, Suggestion
from ..facts.model import CallSite, CallShape, ParamKind, Signature
from ..resolve.binding import BindResult, Verdict

# difflib.SequenceMatcher ratio a parameter name must reach to be "close" to a keyword. 0.75
# accepts one transposition, deletion or insertion in a name of 6+ letters ('heigth'/'height'
# 0.83, 'widht'/'width' 0.8, 'colour'/'color' 0.91) and rejects short unrelated names
# ('sql'/'conn' 0.0, 'a'/'b' 0.0, 'port'/'sort' 0.75 is accepted: both differ by one letter).
CUTOFF = 0.75

_KEYWORDABLE = (ParamKind.POSITIONAL_OR_KEYWORD, ParamKind.KEYWORD_ONLY)
_POSITIONAL = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)


def close_match(word: str, candidates: Sequence[str]) -> str | None:
    """The one candidate close to `word` (difflib, `CUTOFF`); None for none or several."""
    matches = difflib.get_close_matches(word, list(dict.fromkeys(candidates)), n=2, cutoff=CUTOFF)
    return matches[0] if len(matches) == 1 else None


def suggest(
    call: CallSite,
    results: Sequence[tuple[Signature | None, int, BindResult]],
    rebind: Callable[[CallShape], bool],
) -> Suggestion | None:
    """The one suggestion every target agrees on, or None.

    `results`: each target's (signature, implicit leading positionals, verdict), all errors.
    `rebind(shape)`: whether that shape binds to every target (makes the suggestion certain).
    """
    shape = call.shape
    if shape.double_star:
        return None
    found = {_one(sig, implicit, r, call) for sig, implicit, r in results}
    if len(found) != 1:
        return None
    (s,) = found
    if s is None:
        return None
    return replace(s, certain=_star_free(call) and rebind(_applied(shape, s)))


def _star_free(call: CallSite) -> bool:
    return not call.shape.star and not call.shape.double_star


def _applied(shape: CallShape, s: Suggestion) -> CallShape:
    """The call shape after the suggestion."""
    if s.kind is FixKind.RENAME_KEYWORD:
        (old,) = s.keywords
        return replace(shape, keywords=tuple(s.replacement if k == old else k for k in shape.keywords))
    moved = set(s.keywords)
    return replace(shape, positional=shape.positional + len(moved), keywords=tuple(k for k in shape.keywords if k not in moved))


def _one(sig: Signature | None, implicit: int, result: BindResult, call: CallSite) -> Suggestion | None:
    if sig is None or not result.names:
        return None
    keywords = call.shape.keywords
    params = sig.params
    names = {p.name for p in params if p.kind in _KEYWORDABLE}
    if result.code is Code.CG103:
        (bad,) = result.names[:1]
        if keywords.count(bad) != 1:
            return None
        candidates = [n for n in names if n not in keywords]
        match = close_match(bad, sorted(candidates))
        return Suggestion(FixKind.RENAME_KEYWORD, (bad,), match) if match else None
    if result.code in (Code.CG102, Code.CG105):
        positional = _to_positional(params, implicit, call)
        if positional and (result.code is Code.CG105 or set(result.names) <= set(positional)):
            return Suggestion(FixKind.KEYWORD_TO_POSITIONAL, positional)
    if result.code is Code.CG102 and len(result.names) == 1:
        (missing,) = result.names
        stray = [k for k in keywords if k not in names and keywords.count(k) == 1]
        near = close_match(missing, stray)
        if near is not None and close_match(near, [n for n in names if n not in keywords]) == missing:
            return Suggestion(FixKind.RENAME_KEYWORD, (near,), missing)
    return None


def _to_positional(params: Sequence, implicit: int, call: CallSite) -> tuple[str, ...]:
    """The keyword arguments right after the positional ones that name positional-only parameters
    in exactly their positions: dropping `name=` passes each where it belongs. () when none."""
    if call.shape.star or call.shape.double_star or len(call.args) != call.shape.positional + len(call.shape.keywords):
        return ()
    posonly = [p.name for p in params if p.kind is ParamKind.POSITIONAL_ONLY]
    slot = implicit + call.shape.positional
    moved: list[str] = []
    for kind, _ in call.args[call.shape.positional :]:
        if slot < len(posonly) and kind == posonly[slot]:
            moved.append(kind)
            slot += 1
        else:
            break
    return tuple(moved)


def binds_all(targets: Sequence, verdict: Callable) -> Callable[[CallShape], bool]:
    """`rebind` for `suggest`: the shape binds to every target under `verdict(target, shape)`."""
    return lambda shape: all(verdict(t, shape).verdict is Verdict.BINDS for t in targets)
