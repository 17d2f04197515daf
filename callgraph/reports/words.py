"""Counted nouns for every report: "1 file", "2 files", never "1 files"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for exactly one ("1 file", "0 files", "3 analyses")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
