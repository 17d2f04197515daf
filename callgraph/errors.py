"""Errors that reach the user: each says what is wrong in one line, and the CLI exits 2 without a traceback."""


class InputError(Exception):
    """A user mistake or unusable input (a path that does not exist, a bad snapshot spec, a corrupt
    repository): reported as one line, exit 2."""
