"""`callgraph config`: the effective configuration, and where each value came from."""

from __future__ import annotations

import argparse
import json

from ..config import KEYS
from .check import add_config_options, config_from_args
from .common import EXIT_CLEAN, emit, emit_json, path_name

ORDER = 80


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="print the effective configuration and where each value came from",
        description=(
            "Find the configuration `callgraph check PATH` would use (the nearest pyproject.toml with a "
            "[tool.callgraph] table, walking up from PATH), apply the same command-line overrides, and "
            "print every key with its value and its origin: the file, a flag, or the default."
        ),
        epilog=(
            "examples:\n"
            "  callgraph config\n"
            "  callgraph config src/ --exclude 'migrations/'\n"
            "  callgraph config --format json\n\n"
            "exit codes: 0, or 2 for an invalid configuration (the message names the key)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", nargs="?", default=".", metavar="PATH", type=path_name, help="where to start looking (default: .)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    add_config_options(p)
    p.set_defaults(run=run)


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    return json.dumps(value)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args, args.path)
    values = cfg.values()
    if args.format == "json":
        doc = {
            "file": str(cfg.file) if cfg.file else None,
            "base": str(cfg.base),
            "values": values,
            "origins": {k: cfg.origins[k] for k in KEYS},
        }
        emit_json(json.dumps(doc, indent=2))
        return EXIT_CLEAN
    out = [
        f"# configuration file: {cfg.file or 'none found (defaults)'}",
        f"# paths are relative to: {cfg.base}",
        "[tool.callgraph]",
    ]
    lines = [(f"{k} = {_toml(values[k])}", cfg.origins[k]) for k in KEYS]
    width = max(len(line) for line, _ in lines)
    out += [f"{line:<{width}}  # {origin}" for line, origin in lines]
    emit("\n".join(out))  # escaped: a pattern or path may hold any character
    return EXIT_CLEAN
