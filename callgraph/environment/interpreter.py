"""The one gateway to a local interpreter: run it, isolated and bounded, and validate what it says.

An interpreter is asked about itself by running `PYTHON -I -S -B -c SCRIPT`:
- `-I`: no PYTHON* variables, no user site, neither the current directory nor the script's on
  sys.path; `-S`: `site` does not run, so no `.pth` file is read or executed; `-B`: nothing written;
- no shell, stdin closed, a clean environment (`_ENV_KEPT` only: never PYTHONPATH/PYTHONHOME/
  PYTHONSTARTUP), the current directory an empty temporary one (nothing there can be imported);
- a timeout, a bounded output (its whole process group is killed on either), and a stdlib-only script
  (`SCRIPT`, Python 3.4+ syntax) that imports `sysconfig`, `importlib.machinery` and `site`
  (imported under -S, `site` defines functions and runs nothing).

The answer is untrusted input: every field's type and size are checked, and anything wrong becomes
one `InterpreterError` line (an `InputError`: the CLI prints it and exits 2), never a traceback.
Every limit of the environment wing that concerns a subprocess lives here."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, TypeVar

from ..errors import InputError
from ..subprocesses import Messages, run_bounded

TIMEOUT = 20.0  # seconds for one interpreter to answer (a cold start on a loaded machine: ~1 s)
MAX_OUTPUT = 2 * 1024 * 1024  # bytes of stdout; the real answer is ~20 KiB
MAX_ERRORS = 64 * 1024  # bytes of stderr kept for the error message
MAX_PATH = 4096  # characters in one path
MAX_LIST = 20_000  # items in one list (module names, sys.path)
MAX_NAME = 256  # characters in one module name, suffix, scheme key
PROTOCOL = 1
T = TypeVar("T")

BEGIN = "-----BEGIN CALLGRAPH INTERPRETER-----"
END = "-----END CALLGRAPH INTERPRETER-----"
# Environment variables the interpreter may see: enough to find its home and decode file names.
_ENV_KEPT = ("HOME", "PATH", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "USERPROFILE", "APPDATA", "TMPDIR")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Runs in the target interpreter (3.4+ syntax: no f-strings). It imports the standard library only,
# and only after -I has removed every directory a project or the environment could put first.
SCRIPT = r"""
import sys
def _frozen():
    try:
        import _imp
    except ImportError:
        return []
    names = getattr(_imp, "_frozen_module_names", None)  # 3.11+
    candidates = list(names()) if names else ["_frozen_importlib", "_frozen_importlib_external",
                                              "zipimport", "__hello__", "__phello__", "__phello__.spam"]
    out = set()
    for name in candidates:
        try:
            if _imp.is_frozen(name):
                out.add(name)
        except Exception:
            pass
    return sorted(out)
def _json(o):
    # JSON without the json module (importing it and re costs a third of the start-up), ASCII only.
    if o is None or o is True or o is False:
        return {None: "null", True: "true", False: "false"}[o]
    if isinstance(o, int):
        return str(int(o))
    if isinstance(o, str):
        out = []
        for c in o:
            n = ord(c)
            if 0x20 <= n < 0x7f and c not in '"\\':
                out.append(c)
            elif n > 0xffff:
                n -= 0x10000
                out.append("\\u%04x\\u%04x" % (0xd800 + (n >> 10), 0xdc00 + (n & 0x3ff)))
            else:
                out.append("\\u%04x" % n)
        return '"' + "".join(out) + '"'
    if isinstance(o, dict):
        return "{" + ",".join(_json(str(k)) + ":" + _json(v) for k, v in o.items()) + "}"
    return "[" + ",".join(_json(v) for v in o) + "]"
def _main():
    import os, sysconfig
    from importlib import machinery
    v = sys.version_info
    d = {"protocol": @PROTOCOL@, "version_info": [v[0], v[1], v[2], v[3], v[4]],
         "implementation": sys.implementation.name, "platform": sys.platform,
         "executable": sys.executable or "", "prefix": sys.prefix,
         "base_prefix": getattr(sys, "base_prefix", sys.prefix), "exec_prefix": sys.exec_prefix,
         "base_exec_prefix": getattr(sys, "base_exec_prefix", sys.exec_prefix),
         "paths": sysconfig.get_paths(), "user_paths": None, "sys_path": list(sys.path),
         "builtin_module_names": sorted(sys.builtin_module_names),
         "stdlib_module_names": None, "frozen_module_names": _frozen(),
         "extension_suffixes": list(machinery.EXTENSION_SUFFIXES),
         "source_suffixes": list(machinery.SOURCE_SUFFIXES),
         "bytecode_suffixes": list(machinery.BYTECODE_SUFFIXES),
         "site_packages": {}, "user_site": None}
    if hasattr(sys, "stdlib_module_names"):
        d["stdlib_module_names"] = sorted(sys.stdlib_module_names)
    try:
        if hasattr(sysconfig, "get_preferred_scheme"):
            scheme = sysconfig.get_preferred_scheme("user")
        elif sys.platform == "darwin" and sysconfig.get_config_var("PYTHONFRAMEWORK"):
            scheme = "osx_framework_user"
        else:
            scheme = os.name + "_user"
        d["user_paths"] = sysconfig.get_paths(scheme)
    except Exception:
        pass
    # site.py's own layout of site-packages per prefix (Debian adds dist-packages, lib64, ...), for
    # the prefixes site.main() would use: sys.prefix, sys.exec_prefix, and the virtual environment's
    # (the parent of the executable's directory, as site.venv() computes it).
    try:
        import site
        venv = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable))) if sys.executable else None
        for prefix in (sys.prefix, sys.exec_prefix, venv):
            if prefix and prefix not in d["site_packages"]:
                d["site_packages"][prefix] = list(site.getsitepackages([prefix]))
        d["user_site"] = site.getusersitepackages()
    except Exception:
        pass
    sys.stdout.write("@BEGIN@\n" + _json(d) + "\n@END@\n")
    sys.stdout.flush()
_main()
""".replace("@PROTOCOL@", str(PROTOCOL)).replace("@BEGIN@", BEGIN).replace("@END@", END)


class InterpreterError(InputError):
    """An interpreter that cannot be run or whose answer is unusable: one line for the user."""


@dataclass(frozen=True, slots=True)
class InterpreterFacts:
    """What an interpreter said about itself, validated. Paths are absolute strings, as it spelt them.

    `executable`: the path we ran (absolute, symbolic links kept: a virtual environment's python is a
    link to its base interpreter, and only the link's place says which environment it is);
    `sys_executable`: what it reports as `sys.executable` ("" when it does not know).
    `paths`/`user_paths`: `sysconfig.get_paths()` for the default and the user scheme.
    `sys_path`: sys.path as seen with -I -S (the standard library and dynload dirs only).
    `site_packages`: site.py's `getsitepackages([prefix])` for each prefix it may use.
    `stdlib_module_names`: None before 3.10. The mappings are read-only views."""

    executable: str
    sys_executable: str
    version: tuple[int, int, int, str, int]
    implementation: str
    platform: str
    prefix: str
    base_prefix: str
    exec_prefix: str
    base_exec_prefix: str
    paths: Mapping[str, str]
    user_paths: Mapping[str, str] | None
    sys_path: tuple[str, ...]
    builtin_module_names: frozenset[str]
    stdlib_module_names: frozenset[str] | None
    frozen_module_names: frozenset[str]
    extension_suffixes: tuple[str, ...]
    source_suffixes: tuple[str, ...]
    bytecode_suffixes: tuple[str, ...]
    site_packages: Mapping[str, tuple[str, ...]]
    user_site: str | None


def clean(text: object, limit: int = 200) -> str:
    """Untrusted text made safe for one line: control characters escaped, length bounded."""
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return s if len(s) <= limit else s[:limit] + "…"


_INTERPRETER_NAME = re.compile(r"(python|pypy)(\d+(\.\d+)*)?[a-z]?(\.exe)?", re.IGNORECASE)


def vet_configured(python: str, config_dir: str | os.PathLike[str], origin: str) -> None:
    """Refuse an interpreter a configuration file names unless it is plainly one: a configuration
    found in (or above) the analysed tree is written by whoever wrote the tree, and running the
    program it names would execute code from the tree. Its real path (links followed: a virtual
    environment's `bin/python` links to its base interpreter, which passes) must be a regular file
    named like a Python interpreter, not a `#!` script, outside the configuration's directory,
    owned by root or by us and writable by no one else. `--python` on the command line is the
    user's own choice and is never vetted.

    Raises InterpreterError (exit 2, one line) saying why and how to choose it anyway."""
    exe = resolve_executable(python)
    real = os.path.realpath(exe)
    base = os.path.realpath(os.fspath(config_dir))
    why = None
    try:
        st = os.stat(real)
    except OSError as exc:
        raise InterpreterError(f"{clean(exe)}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        why = "not a regular file"
    elif real == base or real.startswith(base.rstrip(os.sep) + os.sep):
        why = f"inside {clean(base)}, the directory of the configuration that names it"
    elif not _INTERPRETER_NAME.fullmatch(os.path.basename(real)):
        why = "not named like a Python interpreter"
    elif st.st_uid not in (0, os.getuid()) or st.st_mode & 0o022:
        why = "owned by another user or writable by others"
    else:
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
            try:
                head = os.read(fd, 2)
            finally:
                os.close(fd)
        except OSError as exc:
            raise InterpreterError(f"{clean(real)}: cannot be read ({exc.strerror})") from None
        if head == b"#!":
            why = "a script, not an interpreter"
    if why is not None:
        raise InterpreterError(
            f"{origin}: python = {clean(repr(python))} is not run: its real path {clean(real)} is {why}; "
            f"to use it anyway, pass --python on the command line"
        )


def resolve_executable(python: str | os.PathLike[str] | None) -> str:
    """The absolute path of the interpreter to run: `python` as given (a bare name is looked up on
    PATH), or the running interpreter's when None. Symbolic links are kept (see `InterpreterFacts`).

    Raises InterpreterError when it does not exist, is not a file or is not executable."""
    if python is None:
        if not sys.executable:
            raise InterpreterError("the running interpreter does not know its own path (sys.executable is empty)")
        given = sys.executable
    else:
        given = os.fspath(python)
        if not given or "\0" in given:
            raise InterpreterError(f"{clean(repr(given))}: not a valid interpreter path")
        if os.sep not in given and not (os.altsep and os.altsep in given):
            found = shutil.which(given)
            if found is None:
                raise InterpreterError(f"{clean(given)}: no such interpreter on PATH")
            given = found
    path = os.path.abspath(given)
    if not os.path.exists(path):
        raise InterpreterError(f"{clean(path)}: no such file")
    if os.path.isdir(path):
        raise InterpreterError(f"{clean(path)}: is a directory, not a Python interpreter")
    if not os.access(path, os.X_OK):
        raise InterpreterError(f"{clean(path)}: not an executable file")
    return path


class AnswerMemo(Protocol):
    """Where interpreter answers are kept between runs (the facts cache's `runs` table does)."""

    def get_run(self, identity: str) -> bytes | None: ...

    def put_run(self, identity: str, data: bytes) -> None: ...


def answer_key(executable: str, env: Mapping[str, str]) -> str | None:
    """What an interpreter's answer depends on, as a memo key: the script, the executable's path,
    its file and its link's (device, inode, size, mtime), the file it resolves to, the pyvenv.cfg
    that `site` would find, and the environment variables it is given. None when one cannot be
    read (then the interpreter is asked)."""
    h = hashlib.sha1(f"{PROTOCOL}\0{SCRIPT}\0{executable}\0{os.path.realpath(executable)}".encode("utf-8", "surrogatepass"))
    here = os.path.dirname(executable)
    try:
        for st in (os.stat(executable), os.lstat(executable)):
            h.update(repr((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)).encode())
        for cfg in (os.path.join(here, "pyvenv.cfg"), os.path.join(os.path.dirname(here), "pyvenv.cfg")):
            try:
                st = os.stat(cfg)
            except FileNotFoundError:
                h.update(b"\0-")
            else:
                h.update(repr((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)).encode())
    except OSError:
        return None
    h.update(repr(sorted(env.items())).encode("utf-8", "surrogatepass"))
    return "interpreter:" + h.hexdigest()


def query(
    python: str | os.PathLike[str] | None, *, timeout: float = TIMEOUT, max_output: int = MAX_OUTPUT,
    memo: AnswerMemo | None = None,
) -> InterpreterFacts:
    """Ask the interpreter at `python` (None: the running one, through the same subprocess) about
    itself. Takes one interpreter start (40-70 ms on a busy 2-core machine). Raises InterpreterError, with one line saying why.

    `memo`: where a previous answer of the same interpreter file (`answer_key`) may be kept; it is
    validated again like a fresh one, and a damaged one means asking again. Warm runs start none."""
    executable = resolve_executable(python)
    argv = [executable, "-I", "-S", "-B", "-c", SCRIPT]
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    key = answer_key(executable, env) if memo is not None else None
    if key is not None:
        stored = _recall(memo, key)
        if stored is not None and len(stored) <= max_output:
            try:
                return _parse(executable, stored, b"", 0)
            except InterpreterError:
                pass  # damaged or from another build: ask again
    with tempfile.TemporaryDirectory(prefix="callgraph-interpreter-") as neutral:
        out, err, code = _run(argv, executable, neutral, env, timeout, max_output)
    facts = _parse(executable, out, err, code)
    if key is not None:
        try:
            memo.put_run(key, out)
        except Exception:  # a memo that cannot keep it costs one interpreter start next time
            pass
    return facts


def _recall(memo: AnswerMemo, key: str) -> bytes | None:
    try:
        stored = memo.get_run(key)
    except Exception:  # an unusable memo is no memo
        return None
    return stored if isinstance(stored, bytes) else None


# -- running, bounded ---------------------------------------------------------------------------


_MESSAGES = Messages(
    missing="{label}: cannot run it: {reason}",
    cannot_run="{label}: cannot run it: {reason}",
    timeout="{label}: no answer within {timeout:g} s (timeout); stopped it",
    flood="{label}: answered more than {limit} bytes, over the output limit; stopped it",
    no_exit="{label}: did not exit within {timeout:g} s (timeout); stopped it",
    unstoppable="{label}: could not be stopped",
)


def _run(argv: list[str], label: str, cwd: str, env: dict[str, str], timeout: float, max_output: int) -> tuple[bytes, bytes, int]:
    """Run argv through the shared bounded runner: (stdout, the tail of stderr, exit status). Its
    process group is killed on timeout or flooding, and at the end: nothing it started keeps running."""
    done = run_bounded(argv, error=InterpreterError, label=clean(label), timeout=timeout, max_output=max_output,
                       cwd=cwd, env=env, max_errors=MAX_ERRORS, messages=_MESSAGES)
    return done.out, done.err, done.code


# -- validating the answer ------------------------------------------------------------------------


def _parse(executable: str, out: bytes, err: bytes, code: int) -> InterpreterFacts:
    label = clean(executable)
    text = out.decode("ascii", "replace")
    start = text.find(BEGIN + "\n")
    end = text.find("\n" + END, start + 1) if start >= 0 else -1
    if start < 0 or end < 0:
        message = err.decode("utf-8", "replace")
        if "Unknown option: -I" in message or "Unknown option -I" in message:
            raise InterpreterError(f"{label}: not a Python 3.4+ interpreter (it does not know -I: Python 2?)")
        lines = [ln for ln in message.strip().splitlines() if ln.strip()]
        hint = clean(lines[-1]) if lines else (clean(text.strip().splitlines()[0]) if text.strip() else "no output")
        if code != 0:
            raise InterpreterError(f"{label}: exited with status {code} without answering: {hint}")
        raise InterpreterError(f"{label}: did not answer like a Python interpreter: {hint}")
    try:
        doc = json.loads(text[start + len(BEGIN) + 1 : end])
    except (ValueError, RecursionError) as exc:
        raise InterpreterError(f"{label}: its answer is not valid JSON: {clean(exc)}") from None
    return _facts(executable, doc)


def _fail(executable: str, what: str, value: object) -> InterpreterError:
    return InterpreterError(f"{clean(executable)}: its answer has an invalid {what}: {clean(repr(value), 80)}")


def _facts(executable: str, doc: object) -> InterpreterFacts:
    """The answer's fields, each checked for type and size; InterpreterError names the first bad one."""

    def need(cond: bool, what: str, value: object) -> None:
        if not cond:
            raise _fail(executable, what, value)

    def text(value: object, what: str, limit: int = MAX_NAME) -> str:
        if not isinstance(value, str) or len(value) > limit or "\0" in value:
            raise _fail(executable, what, value)
        return value

    def path(value: object, what: str, empty: bool = False) -> str:
        s = text(value, what, MAX_PATH)
        need((empty and s == "") or os.path.isabs(s), what, value)
        return s

    def items(value: object, what: str, each: Callable[[object, str], T]) -> tuple[T, ...]:
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise _fail(executable, what, value)
        return tuple(each(v, what) for v in value)

    def scheme(value: object, what: str) -> Mapping[str, str]:
        if not isinstance(value, dict) or len(value) > 64:
            raise _fail(executable, what, value)
        return MappingProxyType({text(k, what): path(v, what) for k, v in value.items()})

    def names(value: object, what: str) -> frozenset[str]:
        return frozenset(items(value, what, text))

    def suffix(value: object, what: str) -> str:
        need(isinstance(value, str) and value.startswith("."), what, value)
        return text(value, what)

    if not isinstance(doc, dict):
        raise _fail(executable, "document", type(doc).__name__)
    need(doc.get("protocol") == PROTOCOL, "protocol", doc.get("protocol"))
    v = doc.get("version_info")
    if not isinstance(v, list) or len(v) != 5:
        raise _fail(executable, "version_info", v)
    need(all(type(x) is int and 0 <= x < 10_000 for x in (v[0], v[1], v[2], v[4])), "version_info", v)
    need(v[3] in ("alpha", "beta", "candidate", "final"), "version_info", v)
    if v[0] != 3:
        raise InterpreterError(f"{clean(executable)}: Python {v[0]}.{v[1]} is not supported (Python 3 only)")
    paths = scheme(doc.get("paths"), "sysconfig paths")
    need(all(k in paths for k in ("stdlib", "platstdlib", "purelib", "platlib")), "sysconfig paths", sorted(paths))
    user_paths = doc.get("user_paths")
    site = doc.get("site_packages")
    if not isinstance(site, dict) or len(site) > 16:
        raise _fail(executable, "site_packages", site)
    user_site = doc.get("user_site")
    stdlib = doc.get("stdlib_module_names")
    return InterpreterFacts(
        executable=executable,
        sys_executable=path(doc.get("executable"), "sys.executable", empty=True),
        version=(v[0], v[1], v[2], v[3], v[4]),
        implementation=text(doc.get("implementation"), "implementation name", 64),
        platform=text(doc.get("platform"), "platform", 64),
        prefix=path(doc.get("prefix"), "sys.prefix"),
        base_prefix=path(doc.get("base_prefix"), "sys.base_prefix"),
        exec_prefix=path(doc.get("exec_prefix"), "sys.exec_prefix"),
        base_exec_prefix=path(doc.get("base_exec_prefix"), "sys.base_exec_prefix"),
        paths=paths,
        user_paths=None if user_paths is None else scheme(user_paths, "user scheme paths"),
        sys_path=items(doc.get("sys_path"), "sys.path", lambda p, w: text(p, w, MAX_PATH)),  # "" may appear
        builtin_module_names=names(doc.get("builtin_module_names"), "builtin module names"),
        stdlib_module_names=None if stdlib is None else names(stdlib, "stdlib module names"),
        frozen_module_names=names(doc.get("frozen_module_names"), "frozen module names"),
        extension_suffixes=items(doc.get("extension_suffixes"), "extension suffixes", suffix),
        source_suffixes=items(doc.get("source_suffixes"), "source suffixes", suffix),
        bytecode_suffixes=items(doc.get("bytecode_suffixes"), "bytecode suffixes", suffix),
        site_packages=MappingProxyType({path(k, "site prefix"): items(d, "site-packages", path) for k, d in site.items()}),
        user_site=None if user_site is None else path(user_site, "user site"),
    )
