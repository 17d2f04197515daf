"""What the resolver may know of modules outside the analysed tree, and of builtin exception bases.

The resolver never finds outside modules itself: whoever builds the `Index` (the pipeline) hands
it an `OutsideModules` provider, asked lazily, one absolute module name at a time, and only for
names the project does not define. An answer of None means unknown, and unknown means silent.

Builtin exceptions are C code with no source to read: `BUILTIN_EXCEPTIONS` is the table of those
whose construction is BaseException's (any positionals, no keywords), with each one's base, as
CPython 3.11 defines them (`tests/test_outside.py` checks it against the running interpreter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..facts.model import ClassFact, ModuleFacts, ScopeKind


@dataclass(frozen=True, slots=True)
class OutsideModule:
    """One outside module read from its .py source: `path` as found, `blob` its git blob id.
    `stub`: read from a `.pyi` stub instead (C code: its functions speak as C functions do)."""

    name: str
    path: str
    blob: str
    facts: ModuleFacts
    stub: bool = False


class OutsideModules(Protocol):
    """A provider of outside modules' facts (dependency inversion: resolve/ never imports environment/)."""

    def module(self, name: str) -> OutsideModule | None:
        """The module `import name` would load, when it is pure-Python source we read; else None."""
        ...


# name -> its base, for every builtin exception whose constructor is BaseException's own:
# any number of positionals, and "<tp_name>() takes no keyword arguments" for any keyword.
# Left out (unknown): AttributeError, NameError, UnboundLocalError, ImportError,
# ModuleNotFoundError (they take keywords), the Unicode{Decode,Encode,Translate}Error (fixed
# arity), BaseExceptionGroup and ExceptionGroup (their own __new__).
BUILTIN_EXCEPTIONS: dict[str, str | None] = {
    "BaseException": None,
    "Exception": "BaseException",
    "GeneratorExit": "BaseException",
    "KeyboardInterrupt": "BaseException",
    "SystemExit": "BaseException",
    "ArithmeticError": "Exception",
    "AssertionError": "Exception",
    "BufferError": "Exception",
    "EOFError": "Exception",
    "LookupError": "Exception",
    "MemoryError": "Exception",
    "OSError": "Exception",
    "ReferenceError": "Exception",
    "RuntimeError": "Exception",
    "StopAsyncIteration": "Exception",
    "StopIteration": "Exception",
    "SyntaxError": "Exception",
    "SystemError": "Exception",
    "TypeError": "Exception",
    "ValueError": "Exception",
    "Warning": "Exception",
    "FloatingPointError": "ArithmeticError",
    "OverflowError": "ArithmeticError",
    "ZeroDivisionError": "ArithmeticError",
    "IndexError": "LookupError",
    "KeyError": "LookupError",
    "BlockingIOError": "OSError",
    "ChildProcessError": "OSError",
    "ConnectionError": "OSError",
    "FileExistsError": "OSError",
    "FileNotFoundError": "OSError",
    "InterruptedError": "OSError",
    "IsADirectoryError": "OSError",
    "NotADirectoryError": "OSError",
    "PermissionError": "OSError",
    "ProcessLookupError": "OSError",
    "TimeoutError": "OSError",
    "BrokenPipeError": "ConnectionError",
    "ConnectionAbortedError": "ConnectionError",
    "ConnectionRefusedError": "ConnectionError",
    "ConnectionResetError": "ConnectionError",
    "NotImplementedError": "RuntimeError",
    "RecursionError": "RuntimeError",
    "IndentationError": "SyntaxError",
    "TabError": "IndentationError",
    "UnicodeError": "ValueError",
    "BytesWarning": "Warning",
    "DeprecationWarning": "Warning",
    "EncodingWarning": "Warning",
    "FutureWarning": "Warning",
    "ImportWarning": "Warning",
    "PendingDeprecationWarning": "Warning",
    "ResourceWarning": "Warning",
    "RuntimeWarning": "Warning",
    "SyntaxWarning": "Warning",
    "UnicodeWarning": "Warning",
    "UserWarning": "Warning",
}
EXCEPTION_ALIASES = {"IOError": "OSError", "EnvironmentError": "OSError"}
BUILTINS = "builtins"  # the module name builtin exception classes carry


def _builtin_class(name: str) -> ClassFact:
    base = BUILTIN_EXCEPTIONS[name]
    return ClassFact(name, name, "", ScopeKind.MODULE, 0, 0, (base,) if base else (), (), None, (), (), 0, False)


# One ClassFact per builtin exception, shared by every index: identity is what MROs compare.
BUILTIN_EXCEPTION_CLASSES: dict[str, ClassFact] = {n: _builtin_class(n) for n in BUILTIN_EXCEPTIONS}


def builtin_exception(qualified: str | None) -> ClassFact | None:
    """The builtin exception a qualified name ("builtins.ValueError") denotes, when it is in the table."""
    if not qualified or not qualified.startswith("builtins."):
        return None
    name = qualified.removeprefix("builtins.")
    return BUILTIN_EXCEPTION_CLASSES.get(EXCEPTION_ALIASES.get(name, name))


def builtin_exception_chain(cls: ClassFact) -> list[ClassFact]:
    """A builtin exception's MRO without object: itself, its base, ..., BaseException."""
    out = [cls]
    while (base := BUILTIN_EXCEPTIONS[out[-1].name]) is not None:
        out.append(BUILTIN_EXCEPTION_CLASSES[base])
    return out


def is_builtin_exception(cls: ClassFact) -> bool:
    return BUILTIN_EXCEPTION_CLASSES.get(cls.name) is cls
