"""The target interpreter's own signatures of its C functions: the oracle a stub stands in for.

Typeshed describes types, and sometimes narrows a signature on purpose (`sqlite3.adapt(obj)` is
valid: its stub asks for `proto`, whose runtime default has no Python spelling). Where the target
interpreter states a C function's signature itself (`__text_signature__`, as `inspect.signature`
reads it), that signature wins over the stub's. The probe runs the target interpreter with
`-I -S` (no site-packages, no user code) and imports only the standard library's own modules
without source (`sys.builtin_module_names`, and extension modules of the standard library), which
is exactly where stubs are read: never a project or site-packages module.

Answers are remembered per (interpreter, module) for the process's life. A probe that fails, or an
environment without a local interpreter, leaves the stub as it is."""

from __future__ import annotations

import json
import os
import threading

from ..subprocesses import run_bounded

TIMEOUT = 20.0  # seconds for one probe
MAX_OUTPUT = 4 * 1024 * 1024
Params = list[tuple[str, int, bool]]  # (name, inspect.Parameter kind as int, has default)

# For each module named on the command line: {qualname: params, or None when the callable states
# no signature}, for module-level callables and the instance methods of its classes.
PROBE = r"""
import ast, importlib, json, re, sys
def params(obj, bound=False):
    text = getattr(obj, "__text_signature__", None)
    if not isinstance(text, str) or not text.startswith("("):
        return None
    text = re.sub(r"=<[^>]*>", "=None", text)  # a default with no Python spelling
    try:
        args = ast.parse("def f" + text.replace("$", "") + ": pass").body[0].args
    except SyntaxError:
        return None
    out = []
    positional = getattr(args, "posonlyargs", []) + args.args
    first_default = len(positional) - len(args.defaults)
    for i, a in enumerate(positional):
        out.append([a.arg, 0 if i < len(getattr(args, "posonlyargs", [])) else 1, i >= first_default])
    if args.vararg:
        out.append([args.vararg.arg, 2, False])
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append([a.arg, 3, d is not None])
    if args.kwarg:
        out.append([args.kwarg.arg, 4, False])
    if bound and text.startswith("($"):
        out = out[1:]  # the object it is bound to: $module, or $self of a module-level method
    return out
out = {}
for name in sys.argv[1:]:
    try:
        mod = importlib.import_module(name)
    except BaseException:
        out[name] = None
        continue
    table = {}
    for key, obj in list(vars(mod).items()):
        if isinstance(obj, type):
            if getattr(obj, "__module__", None) not in (name, "builtins") and name != "builtins":
                continue
            for attr, member in list(vars(obj).items()):
                if type(member).__name__ == "method_descriptor":
                    table[key + "." + attr] = params(member)
        elif type(obj).__name__ == "builtin_function_or_method":
            table[key] = params(obj, bound=True)
    out[name] = table
sys.stdout.write(json.dumps(out))
"""

_MEMO: dict[tuple[str, str], dict[str, Params | None] | None] = {}
_LOCK = threading.Lock()


class ProbeError(Exception):
    pass


def runtime_signatures(executable: str, module: str, also: tuple[str, ...] = ()) -> dict[str, Params | None] | None:
    """`module`'s C signatures as the interpreter at `executable` states them; None when unknown.
    `also`: more modules to learn in the same run (their answers are remembered)."""
    key = (executable, module)
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
    if not os.path.isfile(executable):
        return None
    names = [module] + [m for m in also if (executable, m) not in _MEMO and m != module]
    try:
        done = run_bounded([executable, "-I", "-S", "-c", PROBE, *names], error=ProbeError, label="signature probe",
                           timeout=TIMEOUT, max_output=MAX_OUTPUT)
        answer = json.loads(done.out) if done.code == 0 else {}
    except (ProbeError, ValueError):
        answer = {}
    with _LOCK:
        for name in names:
            table = answer.get(name) if isinstance(answer, dict) else None
            _MEMO[(executable, name)] = _valid(table)
        return _MEMO[key]


def _valid(table: object) -> dict[str, Params | None] | None:
    if not isinstance(table, dict):
        return None
    out: dict[str, Params | None] = {}
    for qualname, params in table.items():
        if params is None:
            out[qualname] = None
            continue
        if not isinstance(params, list) or not all(
            isinstance(p, list) and len(p) == 3 and isinstance(p[0], str) and type(p[1]) is int and 0 <= p[1] <= 4
            and isinstance(p[2], bool) for p in params
        ):
            return None
        out[qualname] = [(p[0], p[1], p[2]) for p in params]
    return out
