"""Options and exit codes shared by the subcommands."""

from __future__ import annotations

import argparse

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def add_root_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="a source root to name modules from (repeatable; default: detected like Python's sys.path)",
    )
