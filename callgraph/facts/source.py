"""One analysed file: its name, its content id and its facts (loaded on first use), or why it was not read.

A file's content id is git's blob id of its bytes: a working-tree file, the same blob read from
git's object store and the facts cache's entry all share it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from .model import ModuleFacts


def blob_id(data: bytes) -> str:
    """Git's object id for a blob with these bytes: `git hash-object` of the file."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class ReadError:
    """A file skipped or unreadable, or a note about one (an unsupported construct): shown, never fatal."""

    path: str
    message: str


class SourceFile:
    """One analysed file. Its facts may be loaded on first use: a warm run that reuses the previous
    run's findings (`store.reuse`) never decodes most of them."""

    __slots__ = ("path", "module", "blob", "_facts", "_load")

    def __init__(
        self,
        path: str,
        module: str,
        facts: ModuleFacts | None = None,
        load: Callable[[], ModuleFacts] | None = None,
        blob: str | None = None,
    ) -> None:
        if facts is None and load is None:
            raise TypeError("SourceFile needs facts or a way to load them")
        self.path = path  # as shown to the user
        self.module = module
        self.blob = blob  # git blob id of its bytes, when known: equal blobs, equal facts
        self._facts = facts
        self._load = load

    @property
    def facts(self) -> ModuleFacts:
        if self._facts is None:
            assert self._load is not None
            self._facts, self._load = self._load(), None
        return self._facts

    @property
    def loaded(self) -> bool:
        return self._facts is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceFile):
            return NotImplemented
        return (self.path, self.module, self.facts) == (other.path, other.module, other.facts)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SourceFile(path={self.path!r}, module={self.module!r})"
