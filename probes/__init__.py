"""Fetch the copy of the code that actually runs elsewhere (filled by a later issue)."""
