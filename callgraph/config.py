"""`[tool.callgraph]` in pyproject.toml, command-line overrides, and gitignore-style patterns.

The configuration file is the nearest `pyproject.toml` holding a `[tool.callgraph]` table,
found by walking up from the analysed path. Paths and patterns in it are relative to the
directory holding it; the same options given on the command line replace the file's values
and are relative to the current directory.

    [tool.callgraph]
    roots = ["src"]                                   # source roots (default: detected)
    include = ["src/", "tests/"]                      # only these files (default: all)
    exclude = ["migrations/", "*_pb2.py"]             # never these files
    select = ["CG1", "CG201"]                         # codes or prefixes to report (default: all)
    ignore = ["CG105"]                                # codes or prefixes not to report
    per-file-ignores = { "tests/**" = ["CG102"] }     # codes not to report in some files
    signature-preserving-decorators = ["mylib.retry"] # decorators that return the function unchanged
    signature-mutators = ["functools.lru_cache"]      # decorators whose result is unknown

An unknown key, a wrong type or an unknown code is a `ConfigError` naming the key (exit 2).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .facts.findings import Code
from .errors import InputError
from .patterns import GitIgnoreSpec
from .reading import NotRead, read_regular

CODES = tuple(c.value for c in Code)
MAX_CONFIG_FILE = 1024 * 1024  # bytes: a pyproject.toml is read whole; a larger one is an error, not a hang
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ConfigError(InputError):
    """A configuration mistake: reported with the file and key, exit 2."""


# -- codes ------------------------------------------------------------------------------------


def _check_codes(key: str, values: Sequence[str], where: str) -> tuple[str, ...]:
    out = []
    for v in values:
        code = v.strip().upper()
        if code == "ALL":
            code = "CG"
        if not code or not any(c.startswith(code) for c in CODES):
            raise ConfigError(
                f"{where}: {key}: {v!r} is not a code or a prefix of one (codes: {', '.join(CODES)})"
            )
        out.append(code)
    return tuple(out)


def code_enabled(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """The longest matching prefix decides (select CG1 + ignore CG101 drops CG101 only); a tie ignores."""
    best, enabled = -1, False
    for p in select:
        if code.startswith(p) and len(p) > best:
            best, enabled = len(p), True
    for p in ignore:
        if code.startswith(p) and len(p) >= best:
            best, enabled = len(p), False
    return enabled


# -- the configuration ------------------------------------------------------------------------

KEYS: dict[str, str] = {
    "roots": "list of directories",
    "include": "list of gitignore-style patterns",
    "exclude": "list of gitignore-style patterns",
    "select": "list of codes or code prefixes",
    "ignore": "list of codes or code prefixes",
    "per-file-ignores": "table of pattern = list of codes",
    "signature-preserving-decorators": "list of dotted names",
    "signature-mutators": "list of dotted names",
    "python": "string (the interpreter the code runs under; \"\": the running one)",
    "environment": "boolean (false: read nothing outside the analysed tree)",
}


@dataclass
class Config:
    """The effective configuration. `origins` says where each key's value came from."""

    file: Path | None = None
    base: Path = field(default_factory=Path.cwd)  # directory the file's paths are relative to
    roots: tuple[Path, ...] = ()
    include: GitIgnoreSpec = field(default_factory=lambda: GitIgnoreSpec(()))
    exclude: GitIgnoreSpec = field(default_factory=lambda: GitIgnoreSpec(()))
    select: tuple[str, ...] = ("CG",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[GitIgnoreSpec, tuple[str, ...]], ...] = ()
    preserving: tuple[str, ...] = ()
    mutators: tuple[str, ...] = ()
    python: str = ""  # an interpreter's path (or a name on PATH); "": the running interpreter
    environment: bool = True  # read the interpreter's pure-Python modules as call targets
    origins: dict[str, str] = field(default_factory=lambda: dict.fromkeys(KEYS, "default"))

    def selects_file(self, path: str | Path) -> bool:
        """Include/exclude for a filesystem path (absolute or relative to the current directory)."""
        if self.include and not self.include.match_path(path):
            return False
        return not (self.exclude and self.exclude.match_path(path))

    def reports(self, code: str, path: str | Path | None = None) -> bool:
        """select/ignore, then per-file-ignores for the finding's file."""
        if not code_enabled(code, self.select, self.ignore):
            return False
        if path is not None:
            for spec, codes in self.per_file_ignores:
                if spec.match_path(path) and any(code.startswith(c) for c in codes):
                    return False
        return True

    def values(self) -> dict[str, object]:
        """The effective values as plain data, keyed like the file."""

        def rel(p: Path) -> str:
            try:
                return p.relative_to(self.base).as_posix() or "."
            except ValueError:
                return p.as_posix()

        return {
            "roots": [rel(r) for r in self.roots],
            "include": list(self.include.patterns),
            "exclude": list(self.exclude.patterns),
            "select": list(self.select),
            "ignore": list(self.ignore),
            "per-file-ignores": {pat: list(codes) for spec, codes in self.per_file_ignores for pat in spec.patterns},
            "signature-preserving-decorators": list(self.preserving),
            "signature-mutators": list(self.mutators),
            "python": rel(Path(self.python)) if os.sep in self.python or "/" in self.python else self.python,
            "environment": self.environment,
        }


def _table(path: Path) -> dict | None:
    """The [tool.callgraph] table of a pyproject.toml, or None when it has none."""
    try:
        data = read_regular(path, MAX_CONFIG_FILE, limit_name="limit for a configuration file")
    except NotRead as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # arrays or tables nested thousands deep: tomllib recurses
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    tool = doc.get("tool")
    if not isinstance(tool, dict) or "callgraph" not in tool:
        return None
    table = tool["callgraph"]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.callgraph] must be a table, got {_type_name(table)}")
    return table


def find_config(start: str | Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.callgraph] table, from `start` up to the filesystem root."""
    d = Path(start).resolve()
    if not d.is_dir():
        d = d.parent
    for candidate in (d, *d.parents):
        f = candidate / "pyproject.toml"
        if f.is_file() and _table(f) is not None:
            return f
    return None


def _type_name(v: object) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array", dict: "a table"}.get(
        type(v), type(v).__name__
    )


def _str_list(where: str, key: str, v: object) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        got = _type_name(v) if not isinstance(v, list) else "an array holding " + ", ".join(
            sorted({_type_name(x) for x in v if not isinstance(x, str)})
        )
        raise ConfigError(f"{where}: {key} must be a {KEYS[key]} (an array of strings), got {got}")
    for x in v:
        if not x.strip():
            raise ConfigError(f"{where}: {key}: an empty string is not allowed")
    return list(v)


def _spec(where: str, key: str, patterns: Sequence[str], base: Path) -> GitIgnoreSpec:
    try:
        return GitIgnoreSpec(patterns, base)
    except (ValueError, re.error) as exc:
        raise ConfigError(f"{where}: {key}: {exc}") from None


def _dotted(where: str, key: str, names: Sequence[str]) -> tuple[str, ...]:
    for n in names:
        if not _DOTTED.match(n.strip()):
            raise ConfigError(f"{where}: {key}: {n!r} is not a dotted name such as 'mylib.decorators.retry'")
    return tuple(n.strip() for n in names)


def _apply_table(cfg: Config, table: dict, where: str, origin: str) -> None:
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}{hint}; known keys: {', '.join(KEYS)}")
    base = cfg.base
    for key, value in table.items():
        if key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key} must be a {KEYS[key]}, got {_type_name(value)}")
            pairs = []
            for pattern, codes in value.items():
                codes = _str_list(where, key, codes)
                pairs.append((_spec(where, key, [pattern], base), _check_codes(f"{key} {pattern!r}", codes, where)))
            cfg.per_file_ignores = tuple(pairs)
        elif key == "python":
            if not isinstance(value, str):
                raise ConfigError(f"{where}: {key} must be a {KEYS[key]}, got {_type_name(value)}")
            cfg.python = _interpreter(value, base)
        elif key == "environment":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be a {KEYS[key]}, got {_type_name(value)}")
            cfg.environment = value
        else:
            items = _str_list(where, key, value)
            if key == "roots":
                cfg.roots = tuple((base / r).resolve() for r in items)
            elif key == "include":
                cfg.include = _spec(where, key, items, base)
            elif key == "exclude":
                cfg.exclude = _spec(where, key, items, base)
            elif key == "select":
                cfg.select = _check_codes(key, items, where)
            elif key == "ignore":
                cfg.ignore = _check_codes(key, items, where)
            elif key == "signature-preserving-decorators":
                cfg.preserving = _dotted(where, key, items)
            elif key == "signature-mutators":
                cfg.mutators = _dotted(where, key, items)
        cfg.origins[key] = origin


def _interpreter(value: str, base: Path) -> str:
    """An interpreter setting: a path (relative to `base`) when it has a separator, else a name on PATH."""
    if not value or ("/" not in value and "\\" not in value):
        return value
    return str(base / value)


def load_config(path: str | Path) -> Config:
    """Read and validate one pyproject.toml (its [tool.callgraph] table; none is an empty one)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    cfg = Config(file=path, base=path.parent)
    table = _table(path) or {}
    _apply_table(cfg, table, f"{path} [tool.callgraph]", f"{path}")
    return cfg


@dataclass
class Overrides:
    """Command-line values; None means not given. Paths and patterns are relative to the cwd."""

    roots: Sequence[str] | None = None
    include: Sequence[str] | None = None
    exclude: Sequence[str] | None = None
    select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    per_file_ignores: Sequence[str] | None = None  # "PATTERN:CODE,CODE"
    preserving: Sequence[str] | None = None
    mutators: Sequence[str] | None = None
    python: str | None = None
    environment: bool | None = None


def _split_codes(values: Sequence[str]) -> list[str]:
    return [c for v in values for c in re.split(r"[,\s]+", v) if c]


def resolve_config(
    start: str | Path = ".",
    *,
    config_file: str | Path | None = None,
    isolated: bool = False,
    overrides: Overrides | None = None,
) -> Config:
    """The file's configuration (found from `start` unless given; none when `isolated`), then the flags."""
    if isolated:
        cfg = Config()
    else:
        found = Path(config_file) if config_file else find_config(start)
        cfg = load_config(found) if found else Config()
    o = overrides or Overrides()
    cwd = Path.cwd()
    where = "command line"
    if o.roots:
        cfg.roots = tuple((cwd / r).resolve() for r in o.roots)
        cfg.origins["roots"] = "--root"
    if o.include:
        cfg.include = _spec(where, "--include", o.include, cwd)
        cfg.origins["include"] = "--include"
    if o.exclude:
        cfg.exclude = _spec(where, "--exclude", o.exclude, cwd)
        cfg.origins["exclude"] = "--exclude"
    if o.select:
        cfg.select = _check_codes("--select", _split_codes(o.select), where)
        cfg.origins["select"] = "--select"
    if o.ignore:
        cfg.ignore = _check_codes("--ignore", _split_codes(o.ignore), where)
        cfg.origins["ignore"] = "--ignore"
    if o.per_file_ignores:
        pairs = []
        for item in o.per_file_ignores:
            pattern, sep, codes = item.rpartition(":")
            if not sep or not pattern or not codes:
                raise ConfigError(f"{where}: --per-file-ignores {item!r}: expected PATTERN:CODE[,CODE...]")
            pairs.append(
                (_spec(where, "--per-file-ignores", [pattern], cwd), _check_codes("--per-file-ignores", _split_codes([codes]), where))
            )
        cfg.per_file_ignores = tuple(pairs)
        cfg.origins["per-file-ignores"] = "--per-file-ignores"
    if o.preserving:
        cfg.preserving = _dotted(where, "--preserving", o.preserving)
        cfg.origins["signature-preserving-decorators"] = "--preserving"
    if o.mutators:
        cfg.mutators = _dotted(where, "--mutator", o.mutators)
        cfg.origins["signature-mutators"] = "--mutator"
    if o.python is not None:
        cfg.python = _interpreter(o.python, cwd)
        cfg.origins["python"] = "--python"
    if o.environment is not None:
        cfg.environment = o.environment
        cfg.origins["environment"] = "--no-environment" if not o.environment else "--environment"
    return cfg
