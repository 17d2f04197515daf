"""What `callgraph fix` prints: unified diffs of the files it would change, and a summary line."""

from __future__ import annotations

import difflib

from .words import count


def unified(path: str, old: bytes, new: bytes) -> str:
    """A `git apply`-able unified diff of one file (`a/PATH`, `b/PATH`), decoded for display."""
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_summary(applied: int, files: int, skipped: int, uncertain: int, *, written: bool) -> str:
    """`2 fixes in 1 file (written)`, with what was left and why."""
    verb = "applied" if written else "to apply (run with --write)"
    parts = [f"callgraph fix: {count(applied, 'fix', 'fixes')} in {count(files, 'file')} {verb if applied else ''}".rstrip()]
    if skipped:
        parts.append(f"{skipped} skipped: the source no longer matches the finding")
    if uncertain:
        parts.append(f"{count(uncertain, 'suggestion')} left: the changed call would still not bind")
    return "; ".join(parts)
