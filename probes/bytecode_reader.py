"""Read the definitions a `.pyc`'s code objects prove, in a process of its own (stdlib only).

Run as `python -I -S -B -` with this text on stdin, after `PYCS = [...]` (base64 strings): it
limits its own memory and CPU time first (CPython's `marshal` is not secure against erroneous or
malicious data, so it never runs in the analysing process), then for each pyc checks its magic
number against this interpreter's, unmarshals the code (never executed: no function is built),
and walks the module's and its classes' bodies instruction by instruction. Each `def` (a
MAKE_FUNCTION stored under a name) gives its signature from the code object (co_argcount,
co_posonlyargcount, co_kwonlyargcount, CO_VARARGS, CO_VARKEYWORDS, co_varnames) and from the
bytecode that builds the function (how many positional defaults, which keyword-only defaults);
anything the walk cannot prove (a decorator, a name bound twice, defaults it cannot count, class
bases) is answered as unknown. One JSON line per pyc on stdout."""

import sys


def _limit():
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (512 * 1024 * 1024, 512 * 1024 * 1024))
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
    except Exception:
        pass


_limit()

import base64  # noqa: E402
import dis  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import marshal  # noqa: E402

CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
_SIMPLE = {"LOAD_CONST": (0, 1), "LOAD_NAME": (0, 1), "LOAD_FAST": (0, 1), "LOAD_DEREF": (0, 1),
           "LOAD_CLOSURE": (0, 1), "PUSH_NULL": (0, 1), "LOAD_SMALL_INT": (0, 1), "KW_NAMES": (0, 0),
           "NOP": (0, 0), "CACHE": (0, 0), "EXTENDED_ARG": (0, 0), "RESUME": (0, 0), "UNARY_NEGATIVE": (1, 1),
           "LOAD_FAST_BORROW": (0, 1), "LOAD_FAST_LOAD_FAST": (0, 2), "LOAD_FAST_CHECK": (0, 1)}
_LOADS = ("LOAD_CONST", "LOAD_NAME", "LOAD_GLOBAL", "LOAD_ATTR", "PUSH_NULL", "PRECALL", "KW_NAMES", "CACHE",
          "EXTENDED_ARG", "LOAD_SMALL_INT")


def _effect(ins):
    if ins.opname in _SIMPLE:
        return _SIMPLE[ins.opname]
    if ins.opname == "LOAD_GLOBAL":
        return (0, 2 if sys.version_info >= (3, 11) and ins.arg & 1 else 1)
    if ins.opname == "LOAD_ATTR":
        return (1, 2 if sys.version_info >= (3, 12) and ins.arg & 1 else 1)
    if ins.opname in ("BUILD_TUPLE", "BUILD_LIST", "BUILD_SET"):
        return (ins.arg, 1)
    if ins.opname == "BUILD_MAP":
        return (2 * ins.arg, 1)
    if ins.opname == "BUILD_CONST_KEY_MAP":
        return (ins.arg + 1, 1)
    return None


def _producer(code, i, depth):
    """The instruction index that pushed the stack slot `depth` below the top before code[i]."""
    for j in range(i - 1, -1, -1):
        eff = _effect(code[j])
        if eff is None:
            return None
        pops, pushes = eff
        if depth < pushes:
            return j if pushes == 1 else None
        depth = depth - pushes + pops
    return None


def _count_defaults(code, j):
    ins = code[j]
    if ins.opname == "LOAD_CONST" and isinstance(ins.argval, tuple):
        return len(ins.argval)
    if ins.opname == "BUILD_TUPLE":
        return ins.arg
    return None


def _kw_names(code, j):
    ins = code[j]
    if ins.opname == "BUILD_CONST_KEY_MAP":
        k = _producer(code, j, 0)
        if k is not None and code[k].opname == "LOAD_CONST" and isinstance(code[k].argval, tuple):
            return list(code[k].argval)
        return None
    if ins.opname == "BUILD_MAP":
        names = []
        for n in range(ins.arg):
            k = _producer(code, j, 2 * (ins.arg - n) - 1)
            if k is None or code[k].opname != "LOAD_CONST" or not isinstance(code[k].argval, str):
                return None
            names.append(code[k].argval)
        return names
    return None


def _signature(co, ndefaults, kwdefaults):
    n, k = co.co_argcount, co.co_kwonlyargcount
    names = list(co.co_varnames[: n + k])
    at = n + k
    varargs = varkw = None
    if co.co_flags & CO_VARARGS:
        varargs, at = co.co_varnames[at], at + 1
    if co.co_flags & CO_VARKEYWORDS:
        varkw = co.co_varnames[at]
    return {"posonly": getattr(co, "co_posonlyargcount", 0), "argcount": n, "kwonly": k, "names": names,
            "varargs": varargs, "varkw": varkw, "ndefaults": ndefaults, "kwdefaults": kwdefaults}


def _make_function(code, i):
    """(flags, index after the function is complete, operand depth of the code object's group)."""
    flags, after = 0, i + 1
    if sys.version_info >= (3, 13):
        while after < len(code) and code[after].opname == "SET_FUNCTION_ATTRIBUTE":
            flags |= code[after].arg
            after += 1
    else:
        flags = code[i].arg
    return flags, after


def _next(code, k):
    while k < len(code) and code[k].opname in ("CACHE", "EXTENDED_ARG", "NOP"):
        k += 1
    return k


def _walk(co, scope, out, depth=0):
    code = list(dis.get_instructions(co))
    stored = {}
    for ins in code:
        if ins.opname in ("STORE_NAME", "STORE_GLOBAL", "DELETE_NAME", "IMPORT_NAME", "IMPORT_FROM"):
            stored[ins.argval] = stored.get(ins.argval, 0) + (1 if ins.opname.startswith(("STORE", "DELETE")) else 0)
    for i, ins in enumerate(code):
        if ins.opname != "MAKE_FUNCTION":
            continue
        top = 1 if sys.version_info >= (3, 11) else 2
        c = _producer(code, i, top - 1)
        if c is None or not hasattr(code[c].argval, "co_code"):
            continue
        fco = code[c].argval
        flags, after = _make_function(code, i)
        builds_class = c >= 1 and any(code[x].opname == "LOAD_BUILD_CLASS" for x in range(max(0, c - 3), c))
        if builds_class:
            k = _next(code, after)
            if k >= len(code) or code[k].opname != "LOAD_CONST":
                continue
            name = code[k].argval
            k += 1
            bases = False
            while k < len(code) and not code[k].opname.startswith("CALL"):
                if code[k].opname not in _LOADS:
                    break
                bases = bases or code[k].opname in ("LOAD_NAME", "LOAD_GLOBAL", "LOAD_ATTR")
                k += 1
            if k >= len(code) or not code[k].opname.startswith("CALL"):
                continue
            k = _next(code, k + 1)
            if k < len(code) and code[k].opname == "STORE_NAME" and code[k].argval == name and stored.get(name) == 1:
                out.append({"scope": scope, "kind": "class", "name": name, "line": fco.co_firstlineno,
                            "bases": bases})
                if depth < 20:
                    _walk(fco, scope + [name], out, depth + 1)
            elif isinstance(name, str) and name.isidentifier():
                out.append({"scope": scope, "kind": "unknown", "name": name})
            continue
        k = _next(code, after)
        decorated = False
        while k < len(code) and code[k].opname.startswith(("CALL", "PRECALL", "CACHE")):
            decorated, k = True, k + 1  # decorators applied: what the name holds is unknown
        if k >= len(code) or code[k].opname not in ("STORE_NAME", "STORE_GLOBAL"):
            continue  # a default argument of another call, a lambda used in place
        name = code[k].argval
        if decorated:
            out.append({"scope": scope, "kind": "unknown", "name": name})
            continue
        entry = {"scope": scope, "name": name, "line": fco.co_firstlineno}
        slots = [bit for bit in (0x08, 0x10, 0x04) if flags & bit]
        depth_at = top + len(slots)
        kwdefaults, ndefaults = [], 0
        known = stored.get(name) == 1
        if flags & 0x02:
            p = _producer(code, i, depth_at)
            kwdefaults = _kw_names(code, p) if p is not None else None
            depth_at += 1
            known = known and kwdefaults is not None
        if flags & 0x01:
            p = _producer(code, i, depth_at)
            ndefaults = _count_defaults(code, p) if p is not None else None
            known = known and ndefaults is not None
        if known and fco.co_name.isidentifier():  # a lambda's messages say `<lambda>()`: not a def's
            entry.update(kind="def", sig=_signature(fco, ndefaults, kwdefaults),
                         is_async=bool(fco.co_flags & 0x80))
        else:
            entry["kind"] = "unknown"
        out.append(entry)


def read(data):
    if data[:4] != importlib.util.MAGIC_NUMBER:
        return {"ok": False, "magic": data[:4].hex(), "error": "written by another Python version"}
    if len(data) < 16:
        return {"ok": False, "error": "shorter than its 16-byte header"}
    try:
        co = marshal.loads(data[16:])
    except Exception as exc:
        return {"ok": False, "error": "bad marshal data: %s" % type(exc).__name__}
    if not hasattr(co, "co_code"):
        return {"ok": False, "error": "not a code object"}
    out = []
    _walk(co, [], out)
    return {"ok": True, "defs": out, "version": list(sys.version_info[:2])}


def main():
    for raw in globals().get("PYCS", []):
        try:
            answer = read(base64.b64decode(raw))
        except Exception as exc:  # a walk that meets what it does not know: nothing is proved
            answer = {"ok": False, "error": "unreadable: %s" % type(exc).__name__}
        sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


main()
