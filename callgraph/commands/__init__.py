"""One module per subcommand. Each exposes `register(subparsers)`, which adds its parser and
sets `run=callable(args) -> int` as the parser default. cli.py discovers them; adding a command
never edits cli.py."""
