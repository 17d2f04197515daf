"""Options and exit codes shared by the subcommands."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..store.cache import FactsCache, NullCache

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def add_root_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="a source root to name modules from (repeatable; default: detected like Python's sys.path)",
    )


def add_cache_options(p: argparse.ArgumentParser) -> None:
    """`--no-cache`, `--cache-dir DIR` and `-j N`, for every command that analyses code."""
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache of per-file facts",
    )
    add_cache_dir_option(p)
    p.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes that parse files not in the cache (default: the CPU count)",
    )


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _limit(name: str, default: int) -> int:
    try:
        return int(os.pathconf("/", name))
    except (OSError, ValueError, AttributeError):
        return default


def path_name(text: str) -> str:
    """A path argument the file system can take at all, checked when the options are parsed: a
    name longer than NAME_MAX or a path longer than PATH_MAX (ENAMETOOLONG) is a usage error, not
    an OSError from wherever the path is first used."""
    raw = os.fsencode(text)
    if b"\0" in raw:
        raise argparse.ArgumentTypeError("a path cannot hold a NUL byte")
    name_max, path_max = _limit("PC_NAME_MAX", 255), _limit("PC_PATH_MAX", 4096)
    longest = max((len(part) for part in raw.split(b"/")), default=0)
    if longest > name_max:
        raise argparse.ArgumentTypeError(f"a name in the path is {longest} bytes long; the file system takes {name_max}")
    if len(raw) >= path_max:
        raise argparse.ArgumentTypeError(f"the path is {len(raw)} bytes long; the file system takes {path_max - 1}")
    return text


def positive_float(text: str) -> float:
    """A finite number above 0 (a timeout): `nan`, `inf` and negatives are usage errors."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number above 0 (a count, a size): at most 18 digits, so `int()` never refuses it."""
    text = text.strip()
    if not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 10**18, got {text[:40]!r}")
    return int(text)


def add_cache_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=path_name,
        default=None,
        help="where the cache of per-file facts lives (default: $CALLGRAPH_CACHE_DIR, "
        "else $XDG_CACHE_HOME/callgraph, else ~/.cache/callgraph)",
    )


def open_cache(args: argparse.Namespace) -> FactsCache | NullCache:
    """The cache the options ask for; a `NullCache` for --no-cache or when it cannot be used
    (after one warning on stderr: the command still runs, uncached)."""
    from ..store.cache import FactsCache, NullCache, stderr_warning

    if getattr(args, "no_cache", False):
        return NullCache()
    return FactsCache.open(getattr(args, "cache_dir", None), warn=stderr_warning)


# -- output ------------------------------------------------------------------------------------------


def emit(
    report: str | bytes, output: str | None = None, *, fmt: str = "text", end: str = "\n", colored: bool = False
) -> None:
    """Print a report, or write it to `output`: the one way a command's result leaves.

    Text formats pass `safe_output` (no raw control character, no line that starts a GitHub
    workflow command but the `github` format's own); JSON and SARIF are written as built, their
    strings escaped by JSON. Text is encoded for the stream with `backslashreplace`, so a name that
    is not UTF-8, or a terminal that is ASCII only, can never stop the write."""
    from ..errors import InputError
    from ..reports.escape import safe_output

    if isinstance(report, str):
        if fmt in ("json", "sarif", "pycg"):
            # GitHub's runner takes "##[" anywhere in a line for a command, inside a JSON string
            # too: "#\u0023[" is the same string to every JSON reader.
            report = report.replace("##[", "#\\u0023[")
        elif fmt != "graphml":
            report = safe_output(report, commands=fmt == "github", colored=colored)
        report += end
    if output is None:
        stream = sys.stdout
        if stream is None:  # started with standard output closed (`>&-`)
            raise InputError("standard output is closed; write the report with -o FILE")
        data = report if isinstance(report, bytes) else report.encode(stream.encoding or "utf-8", "backslashreplace")
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()
        return
    data = report if isinstance(report, bytes) else report.encode("utf-8", "backslashreplace")
    try:
        with open(output, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise InputError(f"{printable_path(output)}: cannot write: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the name
        raise InputError(f"{printable_path(output)}: cannot write: {exc}") from None


def emit_json(text: str, output: str | None = None) -> None:
    """`emit` for a JSON document."""
    emit(text, output, fmt="json")


def printable_path(path: object) -> str:
    from ..reports.escape import printable

    return printable(path)
