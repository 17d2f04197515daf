"""Commands: the `callgraph` command line. Load, call, print, return an exit code.

In: the command line. Out: printed reports and an exit code (0 clean, 1 findings, 2 usage or
input error, never a traceback for an `InputError`). One module per subcommand: each exposes
`register(subparsers)`, which adds its parser and sets `run=callable(args) -> int` as the parser
default; `cli.py` discovers them at start-up and imports only the one being run, so adding a
command never edits `cli.py`; `common.py` holds the options and exit codes they share. Analysis,
selection and report building live below (`pipeline`, `analysis/`, `reports/`), so the library
can do everything the command line does. May import: every layer and `probes`. Must never be
imported by any of them: only `callgraph/__main__.py` and the `callgraph` script reach it.
"""
