"""The command line: load, call, print, return an exit code. No analysis lives here.

Subcommands live in `callgraph.commands`, one module each, found at start-up.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import importlib
import os
import re
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ..version import __version__
from .common import EXIT_ERROR
from ..errors import InputError


_NOT_COMMANDS = frozenset({"cli", "common"})  # modules of this package that are not subcommands
_COMMANDS_DIR = str(Path(__file__).parent)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """A usage mistake: one line on stderr, exit 2, no usage dump (it buried the error) and no
        traceback; the line ends with where to read more, and a misspelled command gets a guess."""
        from ..reports.escape import printable

        self.exit(EXIT_ERROR, _shorten(usage_error(self.prog, printable(message), self._command_names())) + "\n")

    def _command_names(self) -> list[str]:
        actions = [a for a in self._actions if isinstance(a, argparse._SubParsersAction)]
        return [name for a in actions for name in a.choices] if actions else []


def usage_error(prog: str, message: str, commands: Sequence[str] = ()) -> str:
    """`callgraph check: error: MESSAGE (see 'callgraph check --help')`, with "did you mean" for a
    misspelled command (difflib, cutoff 0.6: 'chek' -> 'check', 'sigantures' -> 'signatures')."""
    match = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
    if match and commands:
        word = match.group(1)
        close = difflib.get_close_matches(word, list(commands), n=1, cutoff=0.6)
        guess = f"; did you mean '{close[0]}'?" if close else f"; commands: {', '.join(commands)}"
        return f"{prog}: error: unknown command '{word}'{guess} (see '{prog} --help')"
    return f"{prog}: error: {message} (see '{prog} --help')"


def _command_modules(argv: Sequence[str] | None) -> list[str]:
    """The command modules to import: only the one named after the command being run when there is
    one (`check`, `diff`, ...), else all of them (--help, `callees`, a typo: argparse lists them)."""
    names = [m.name for m in pkgutil.iter_modules([_COMMANDS_DIR]) if m.name not in _NOT_COMMANDS]
    word = next((a for a in argv if not a.startswith("-")), None) if argv else None
    return [word] if word in names else names


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the command module it runs is imported (a quicker start)."""
    parser = _Parser(
        prog="callgraph",
        description="Find every Python call that cannot bind to its target, in CPython's own words.",
        epilog="Run 'callgraph COMMAND --help' for a command's options and examples.\n"
        "Exit codes: 0 clean, 1 findings, 2 usage or input error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"callgraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = [importlib.import_module(f"{__package__}.{name}") for name in _command_modules(argv)]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(sub)
    return parser


def _shorten(line: str, limit: int = 600) -> str:
    """A line of at most `limit` characters: a 5,000-character path named in an error is elided
    in its middle (the line stays one line a person can read)."""
    if len(line) <= limit:
        return line
    half = (limit - 5) // 2
    return f"{line[:half]} ... {line[-half:]}"


def _error(message: object, lines: bool = False) -> int:
    """One line on stderr, whatever the message holds (a file name with a newline, bytes that
    are not UTF-8), but for the lines a message means to have (the candidates of an ambiguous
    symbol, each escaped where it was named): the caller's exit code is 2."""
    from ..reports.escape import printable, safe_output

    text = f"callgraph: error: {message}"
    try:
        text = safe_output(text) if lines else printable(text)
        sys.stderr.write("\n".join(_shorten(line) for line in text.split("\n")) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return EXIT_ERROR


def _drop_stdout() -> None:
    """After standard output failed (a closed pipe, a full disk), point it at /dev/null, so the
    interpreter's own flush at exit has nothing to fail on and prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # name the command whose options these are not, as its own parser would
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        owner = sub.choices.get(args.command, parser) if args.command else parser
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        code = args.run(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, not at exit: a full disk is an error we can still report
        return code
    except InputError as exc:
        return _error(exc, lines=bool(getattr(exc, "candidates", ())))
    except KeyboardInterrupt:
        print("callgraph: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `callgraph ... | head -1`: the reader left; quiet, as every filter is
        _drop_stdout()
        return EXIT_ERROR
    except OSError as exc:
        # Last resort, after the root causes are handled where they arise: a write to a full disk
        # (stdout or a report file), a name longer than the file system takes, ...
        if exc.errno in (errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT):
            _drop_stdout()
            return _error(f"cannot write the output: {exc.strerror}")
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return _error(f"{where}{exc.strerror or exc}")
    except (UnicodeError, RecursionError, ValueError) as exc:  # last resort: one line, not a traceback
        return _error(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
