"""Every call site joined to its resolution: the input of the checks and of the call graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..facts.model import CallSite
from ..facts.source import SourceFile
from ..gc_pause import gc_paused
from .resolver import Resolution, Resolver


@dataclass(frozen=True, slots=True)
class ResolvedCall:
    path: str
    module: str
    call: CallSite
    resolution: Resolution


def resolve_calls(resolver: Resolver, files: Iterable[SourceFile]) -> list[ResolvedCall]:
    """Resolve every call site of `files`."""
    with gc_paused():
        return [
            ResolvedCall(f.path, f.module, call, resolver.resolve_call(f.module, call))
            for f in files
            for call in f.facts.calls
        ]
