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
    """Resolve every call site of `files`; what each file's resolutions read goes to
    `resolver.file_reads` (the modules, and the keys of the project-wide answers used)."""
    out: list[ResolvedCall] = []
    index = resolver.index
    with gc_paused():
        for f in files:
            outer = index.reads, resolver.keys
            index.reads, resolver.keys = set(), set()
            try:
                out.extend(ResolvedCall(f.path, f.module, call, resolver.resolve_call(f.module, call)) for call in f.facts.calls)
            finally:
                resolver.file_reads[f.path] = (index.reads, resolver.keys)
                index.reads, resolver.keys = outer
    return out
