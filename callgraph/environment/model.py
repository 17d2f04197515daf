"""The facts of an environment: the interpreter a project runs under and what its import path holds.

All are frozen, slotted dataclasses and enums: learned once (`Environment.local`), then read-only.
An `Environment` answers `find_module` (where `import name` would land, without importing it) and
`distributions` (what `*.dist-info` directories say is installed), from the files on disk only."""

from __future__ import annotations

import enum
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from .interpreter import TIMEOUT, AnswerMemo, InterpreterFacts, query, resolve_executable


class PathOrigin(enum.Enum):
    """Why a directory is on the import path."""

    STDLIB = "stdlib"  # sysconfig's stdlib/platstdlib, and the stdlib zip
    DYNLOAD = "dynload"  # the standard library's extension modules (lib-dynload, DLLs)
    SITE_PACKAGES = "site-packages"  # site.py's site dirs for the environment's prefixes
    USER_SITE = "user site"  # ~/.local/lib/pythonX.Y/site-packages, when the interpreter adds it
    PTH = ".pth"  # a path line of a .pth file in a site dir
    OTHER = "other"  # anything else sys.path held without site (a ._pth file, a patched build)


class ModuleKind(enum.Enum):
    """What `import name` would load, as the import system decides it."""

    SOURCE = "source"  # a .py file
    PACKAGE = "package"  # a regular package: `path` is its __init__ (.py, or an extension, or .pyc)
    EXTENSION = "extension"  # a compiled module (one of the interpreter's extension suffixes)
    BYTECODE = "bytecode"  # a .pyc with no source beside it (sourceless)
    BUILTIN = "builtin"  # compiled into the interpreter (sys.builtin_module_names)
    FROZEN = "frozen"  # frozen into the interpreter, with no standard-library file to read
    NAMESPACE = "namespace"  # directories without __init__, possibly over several path entries
    STUB = "stub"  # only a .pyi: Python cannot import it, a type checker can read it
    NOT_FOUND = "not found"


@dataclass(frozen=True, slots=True)
class ImportPathEntry:
    """One directory (or zip archive) on the import path; `via`: the .pth file that added it."""

    path: str
    origin: PathOrigin
    via: str | None = None


@dataclass(frozen=True, slots=True)
class StartupCode:
    """A .pth line that `site` would execute at start-up (it starts with `import`): never executed
    here, only recorded. `line` counts from 1; `code` is at most 200 characters of it."""

    pth: str
    line: int
    code: str

    @property
    def note(self) -> str:
        return f"{self.pth} line {self.line} runs code at start-up; not executed"


@dataclass(frozen=True, slots=True)
class ModuleLocation:
    """Where `import name` would land.

    `path`: the file (a .py, a package's __init__, an extension, a .pyc, a .pyi for STUB); None for
    BUILTIN, FROZEN, NAMESPACE and NOT_FOUND. Inside a zip archive it reads `archive/member` (as
    `__file__` would) and `archive` is set. `entry`: the import path entry it was found under (for
    a submodule, the entry holding its parent's directory), with its `origin`. `search_locations`:
    a package's `__path__` (its directory; a namespace package's portions, in path order).
    `stub`: a `.pyi` beside the file (or in the package's directory), when there is one."""

    name: str
    kind: ModuleKind
    path: str | None = None
    entry: str | None = None
    origin: PathOrigin | None = None
    search_locations: tuple[str, ...] = ()
    stub: str | None = None
    archive: str | None = None

    @property
    def found(self) -> bool:
        return self.kind is not ModuleKind.NOT_FOUND

    @property
    def is_package(self) -> bool:
        """Submodules may be imported from it."""
        return self.kind in (ModuleKind.PACKAGE, ModuleKind.NAMESPACE)


@dataclass(frozen=True, slots=True)
class Distribution:
    """An installed distribution, from its `*.dist-info/METADATA` (or `*.egg-info`) headers only.

    `path`: its metadata directory (or an `.egg-info` file). `name`, `version`: the `Name:` and
    `Version:` headers, else the directory name's parts."""

    name: str
    version: str
    path: str

    @property
    def normalized_name(self) -> str:
        """PEP 503's form: `Foo_Bar.baz` -> `foo-bar-baz`."""
        return normalize_name(self.name)


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_LOCAL: dict[tuple[str, bool], Environment] = {}
_LOCAL_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Environment:
    """An interpreter and its import path, as learned at one moment (not watched afterwards).

    `version`: sys.version_info as a tuple, e.g. (3, 11, 7, "final", 0) (compares with (3, 10)).
    `import_path`: sys.path as `site` would leave it, in import order, each entry with its origin
    (environment variables such as PYTHONPATH are not part of it). `prefix`: the environment's
    (a virtual environment's own directory), `base_prefix`: its base interpreter's.
    `venv`: the pyvenv.cfg file, or None; `system_site_packages`: whether a virtual environment sees
    its base's site-packages (always True outside one). `user_site`: the user site directory when
    it is on the import path. `startup_code`: the .pth lines site would execute (never executed).
    `stdlib_module_names`: None before 3.10. `notes`: what the model left out or assumed, one line each."""

    executable: str
    version: tuple[int, int, int, str, int]
    implementation: str
    platform: str
    prefix: str
    base_prefix: str
    venv: str | None
    system_site_packages: bool
    user_site: str | None
    import_path: tuple[ImportPathEntry, ...]
    builtin_module_names: frozenset[str]
    stdlib_module_names: frozenset[str] | None
    frozen_module_names: frozenset[str]
    extension_suffixes: tuple[str, ...]
    source_suffixes: tuple[str, ...] = (".py",)
    bytecode_suffixes: tuple[str, ...] = (".pyc",)
    startup_code: tuple[StartupCode, ...] = ()
    notes: tuple[str, ...] = ()
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    # -- learning one ------------------------------------------------------------------------------

    @classmethod
    def local(
        cls, python: str | os.PathLike[str] | None = None, *, user_site: bool = True, timeout: float = TIMEOUT,
        memo: AnswerMemo | None = None,
    ) -> Environment:
        """The environment of the interpreter at `python` (None: the running one, learned through
        the same subprocess as any other). Remembered per absolute executable path (symbolic links
        kept: a virtual environment's python links to its base) and `user_site`, for the process's
        life; `clear_local_cache()` forgets. 40-70 ms cold (one interpreter start), then a dict lookup.

        `user_site`: add the user site directory where the interpreter would (not inside a virtual
        environment without system site-packages); False leaves it out, as `python -s` does.
        `memo`: where the interpreter's answer is kept between processes (`interpreter.query`).
        Raises InterpreterError (an InputError) with one line when the interpreter is unusable."""
        key = (resolve_executable(python), user_site)
        env = _LOCAL.get(key)
        if env is None:
            env = cls.from_interpreter(query(key[0], timeout=timeout, memo=memo), user_site=user_site)
            with _LOCAL_LOCK:
                env = _LOCAL.setdefault(key, env)
        return env

    @staticmethod
    def clear_local_cache() -> None:
        """Forget every environment `local` learned: the next call asks the interpreter again."""
        with _LOCAL_LOCK:
            _LOCAL.clear()

    @classmethod
    def from_interpreter(cls, facts: InterpreterFacts, *, user_site: bool = True) -> Environment:
        """The environment from an interpreter's validated answer, its import path computed the way
        `site` would (see `sitepath.import_path`), reading pyvenv.cfg and .pth files, executing none."""
        from .sitepath import import_path

        found = import_path(facts, user_site=user_site)
        return cls(
            executable=facts.executable,
            version=facts.version,
            implementation=facts.implementation,
            platform=facts.platform,
            prefix=found.venv.prefix if found.venv else facts.prefix,
            base_prefix=facts.base_prefix,
            venv=found.venv.path if found.venv else None,
            system_site_packages=found.venv.include_system_site_packages if found.venv else True,
            user_site=found.user_site,
            import_path=found.entries,
            builtin_module_names=facts.builtin_module_names,
            stdlib_module_names=facts.stdlib_module_names,
            frozen_module_names=facts.frozen_module_names,
            extension_suffixes=facts.extension_suffixes,
            source_suffixes=facts.source_suffixes,
            bytecode_suffixes=facts.bytecode_suffixes,
            startup_code=found.startup_code,
            notes=found.notes,
        )

    # -- what it serves ------------------------------------------------------------------------------

    @property
    def paths(self) -> tuple[str, ...]:
        """The import path as plain strings, in order."""
        return tuple(e.path for e in self.import_path)

    @property
    def site_packages(self) -> tuple[str, ...]:
        """The site directories on the import path (site-packages and the user site), in order."""
        return tuple(e.path for e in self.import_path if e.origin in (PathOrigin.SITE_PACKAGES, PathOrigin.USER_SITE))

    def find_module(self, name: str) -> ModuleLocation:
        """Where `import name` (absolute, dotted) would land, by the import system's rules, without
        importing anything: builtins, then frozen modules, then the path-based finder (see
        `finder.Finder`). Answers are remembered per environment. ValueError for a malformed name."""
        finder = self._memo.get("finder")
        if finder is None:
            from .finder import Finder

            finder = self._memo.setdefault("finder", Finder(self))
        return finder.find(name)

    def distributions(self) -> tuple[Distribution, ...]:
        """Every `*.dist-info` (and `*.egg-info`) on the import path, in path order, read once."""
        found = self._memo.get("distributions")
        if found is None:
            from .distributions import read_distributions

            found = self._memo.setdefault("distributions", read_distributions(self.paths))
        return found

    def distribution(self, name: str) -> Distribution | None:
        """The first distribution on the import path with this name (compared in PEP 503 form), as
        `importlib.metadata.distribution` would pick it; None when none is installed."""
        wanted = normalize_name(name)
        return next((d for d in self.distributions() if d.normalized_name == wanted), None)
