"""Binding calls to C functions (builtins, extension modules, methods of builtin types), in the
words CPython uses for them, for the target interpreter's version.

Whether a call binds is decided by the stub's signature with Python's rules (`binding.bind`): a
stub marks positional-only parameters with `/`, as C functions have them. The words differ: C
functions do not go through `initialize_locals`, they check their arguments in one of a few
calling conventions (Objects/methodobject.c, Objects/descrobject.c, Python/getargs.c):

- METH_NOARGS: `list.copy() takes no arguments (1 given)`;
- METH_O: `len() takes exactly one argument (2 given)`;
- either with a keyword: `math.sqrt() takes no keyword arguments` (the function's qualified
  name, `_PyObject_FunctionStr`, since 3.9; its bare name before);
- Argument Clinic, positional-only (`_PyArg_CheckPositional`): `divmod expected 2 arguments, got 3`;
- Argument Clinic with keywords (`_PyArg_UnpackKeywords`): `split() takes at most 2 arguments
  (3 given)`, `pow() missing required argument 'exp' (pos 2)`, `'x' is an invalid keyword
  argument for print()` (3.13: `print() got an unexpected keyword argument 'x'`).

A stub does not say which convention a function uses (older functions parse with PyArg_ParseTuple
and speak otherwise), so the convention is guessed from the signature's shape, and the message is
exact only for functions whose guess the differential test confirmed under every interpreter on
the machine (`VERIFIED`); any other gets the suffix `(message not verified)`."""

from __future__ import annotations

import enum

from ..facts.findings import Code
from ..facts.model import CallShape, ParamKind, Signature
from .binding import BindResult, Verdict, bind

NOT_VERIFIED = " (message not verified)"
BUILTINS = "builtins"

# Functions whose messages the differential test (tests/test_native.py) found equal to CPython's
# for every wrong shape it tried, under 3.8-3.13: module.qualname.
VERIFIED = frozenset(
    {
        "builtins.len", "builtins.abs", "builtins.repr", "builtins.hash", "builtins.id", "builtins.chr",
        "builtins.ord", "builtins.divmod", "builtins.isinstance", "builtins.issubclass", "builtins.getattr",
        "builtins.round", "builtins.pow", "builtins.callable", "builtins.hex", "builtins.oct", "builtins.bin",
        "builtins.str.join", "builtins.str.upper", "builtins.str.lower", "builtins.str.split", "builtins.str.rsplit",
        "builtins.str.strip", "builtins.str.encode", "builtins.str.format_map", "builtins.str.splitlines",
        "builtins.bytes.decode", "builtins.dict.get", "builtins.dict.pop", "builtins.dict.setdefault",
        "builtins.dict.copy", "builtins.dict.keys", "builtins.dict.items", "builtins.dict.values",
        "builtins.list.append", "builtins.list.copy", "builtins.list.insert", "builtins.list.index",
        "builtins.list.extend", "builtins.list.remove", "builtins.list.clear", "builtins.set.add",
        "builtins.set.discard", "builtins.int.to_bytes", "builtins.int.bit_length", "math.sqrt", "math.floor",
        "math.pow", "math.isclose", "math.gcd", "math.exp", "builtins.print", "builtins.str.replace",
    }
)


class Convention(enum.Enum):
    NOARGS = "METH_NOARGS"
    ONE = "METH_O"
    POSITIONAL = "clinic positional-only"
    KEYWORDS = "clinic keywords"


def convention(sig: Signature, implicit: int) -> Convention | None:
    """The calling convention a C function with this stub signature most likely has."""
    params = sig.params[implicit:]
    kinds = [p.kind for p in params]
    if ParamKind.VAR_KEYWORD in kinds:
        return None
    if ParamKind.VAR_POSITIONAL in kinds:
        return Convention.KEYWORDS if ParamKind.KEYWORD_ONLY in kinds else None
    if not params:
        return Convention.NOARGS
    if all(k is ParamKind.POSITIONAL_ONLY for k in kinds):
        if len(params) == 1 and not params[0].has_default:
            return Convention.ONE
        return Convention.POSITIONAL
    return Convention.KEYWORDS


def function_str(module: str, qualname: str, version: tuple[int, int]) -> str:
    """`_PyObject_FunctionStr` (3.9+): "len()", "math.sqrt()", "str.join()"; the bare name before."""
    if version < (3, 9):
        return qualname.rpartition(".")[2] + "()"
    if "." in qualname or module == BUILTINS:
        return qualname + "()"
    return f"{module}.{qualname}()"


def bind_native(
    sig: Signature, shape: CallShape, module: str, qualname: str, *, implicit: int, version: tuple[int, int]
) -> BindResult:
    """Bind with Python's rules; on an error, word it as the C function would."""
    return bind_overloads((sig,), shape, module, qualname, implicit=implicit, version=version)


def bind_overloads(
    sigs: tuple[Signature, ...], shape: CallShape, module: str, qualname: str, *, implicit: int, version: tuple[int, int]
) -> BindResult:
    """One C function described by one or more `@overload`s: it binds when any overload accepts the
    shape. One C function has one convention, so the words come from all overloads together (a
    positional-only function's arity is the overloads' least to their most)."""
    results = [bind(sig, shape, qualname, implicit=implicit) for sig in sigs]
    for r in results:
        if r.verdict is not Verdict.ERROR:
            return r
    convs = {convention(sig, implicit) for sig in sigs}
    if convs == {Convention.ONE, Convention.POSITIONAL}:
        convs = {Convention.POSITIONAL}  # `pop(key, /)` and `pop(key, default, /)`: one function
    conv = convs.pop() if len(convs) == 1 else None
    found = None
    if conv is not None and not shape.star:
        if conv is Convention.KEYWORDS:
            texts = {_unpack_keywords(sig.params[implicit:], shape.positional, shape.keywords, qualname.rpartition(".")[2], version) for sig in sigs}
            found = texts.pop() if len(texts) == 1 else None
        else:
            arity = [(sum(1 for p in s.params[implicit:] if not p.has_default), len(s.params[implicit:])) for s in sigs]
            low, high = min(a for a, _ in arity), max(b for _, b in arity)
            if conv is Convention.ONE and (low, high) != (1, 1):
                conv = Convention.POSITIONAL
            found = _positional_message(conv, low, high, shape, module, qualname, version)
    if found is None:
        first = results[0]
        text = first.message.replace(f"{qualname}()", qualname.rpartition(".")[2] + "()", 1) + NOT_VERIFIED
        return BindResult(Verdict.ERROR, first.code, text)
    text, code = found
    unexpected = "got an unexpected keyword argument" in text
    if f"{module}.{qualname}" not in VERIFIED or (version >= (3, 13) and unexpected):
        text += NOT_VERIFIED  # 3.13 may add "Did you mean ...?" to an unknown keyword
    return BindResult(Verdict.ERROR, code, text)


def _positional_message(conv, low, high, shape, module, qualname, version) -> tuple[str, Code] | None:
    """METH_NOARGS, METH_O and `_PyArg_CheckPositional` words."""
    n = shape.positional
    name = qualname.rpartition(".")[2]
    fs = function_str(module, qualname, version)
    if shape.keywords:
        return f"{fs} takes no keyword arguments", Code.CG103
    if conv is Convention.NOARGS:
        return f"{fs} takes no arguments ({n} given)", Code.CG101
    if conv is Convention.ONE:
        return f"{fs} takes exactly one argument ({n} given)", (Code.CG101 if n > 1 else Code.CG102)
    if n < low:
        bound, code, k = ("" if low == high else "at least "), Code.CG102, low
    elif n > high:
        bound, code, k = ("" if low == high else "at most "), Code.CG101, high
    else:
        return None
    return f"{name} expected {bound}{k} argument{'' if k == 1 else 's'}, got {n}", code


def _unpack_keywords(params, n, kws, name, version) -> tuple[str, Code] | None:
    """`_PyArg_UnpackKeywords`' checks, in its order."""
    varargs = any(p.kind is ParamKind.VAR_POSITIONAL for p in params)
    slots = [p for p in params if p.kind is not ParamKind.VAR_POSITIONAL]
    positional = [p for p in slots if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)]
    posonly = sum(1 for p in positional if p.kind is ParamKind.POSITIONAL_ONLY)
    maxpos, maxargs = len(positional), len(slots)
    minpos = sum(1 for p in positional if not p.has_default)
    minposonly = min(posonly, minpos)
    f = f"{name}()"
    total = n + len(kws)
    if varargs:
        # Only an unknown keyword is worded the same way by the older parsers that *args needs.
        known = {p.name for p in slots if p.kind is not ParamKind.POSITIONAL_ONLY}
        bad = next((k for k in kws if k not in known), None)
        return (_unexpected(bad, f, version), Code.CG103) if bad is not None else None
    if total > maxargs:
        s = "" if maxargs == 1 else "s"
        return f"{f} takes at most {maxargs} {'keyword ' if n == 0 else ''}argument{s} ({total} given)", Code.CG101
    if n > maxpos:
        if maxpos == 0:
            return f"{f} takes no positional arguments", Code.CG101
        how = "at most" if minpos < maxpos else "exactly"
        return f"{f} takes {how} {maxpos} positional argument{'' if maxpos == 1 else 's'} ({n} given)", Code.CG101
    if n < minposonly:
        how = "at least" if minposonly < maxpos else "exactly"
        return f"{f} takes {how} {minposonly} positional argument{'' if minposonly == 1 else 's'} ({n} given)", Code.CG102
    for i in range(n, maxargs):
        p = slots[i]
        if p.name in kws:
            continue
        if i < posonly:
            return None
        if not p.has_default:
            return f"{f} missing required argument '{p.name}' (pos {i + 1})", Code.CG102
    names = {p.name: i for i, p in enumerate(slots) if i >= posonly}
    for kw in kws:
        i = names.get(kw)
        if i is not None and i < n:
            return f"argument for {f} given by name ('{kw}') and position ({i + 1})", Code.CG104
    bad = next((k for k in kws if k not in names), None)
    if bad is None:
        return None
    if any(p.name == bad for p in slots[:posonly]):
        return None  # a positional-only name as keyword: worded differently across versions
    return _unexpected(bad, f, version), Code.CG103


def _unexpected(keyword: str, f: str, version: tuple[int, int]) -> str:
    if version >= (3, 13):
        return f"{f} got an unexpected keyword argument '{keyword}'"
    return f"'{keyword}' is an invalid keyword argument for {f}"


def for_version(result: BindResult, qualname: str, version: tuple[int, int]) -> BindResult:
    """A Python function's message (`binding.bind` speaks 3.11) in the target's words: before 3.10
    CPython named the code object (`__init__()`), not its qualified name (`Retry.__init__()`);
    3.13 may add "Did you mean ...?" to an unknown keyword, which we do not compute."""
    if result.verdict is not Verdict.ERROR or result.message is None:
        return result
    text = result.message
    if version < (3, 10) and "." in qualname and text.startswith(qualname + "()"):
        text = qualname.rpartition(".")[2] + text[len(qualname):]
    if version >= (3, 13) and result.code is Code.CG103 and "got an unexpected keyword" in text:
        text += NOT_VERIFIED
    return text == result.message and result or BindResult(result.verdict, result.code, text)
