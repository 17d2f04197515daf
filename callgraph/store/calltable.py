"""Each file's call resolutions, kept beside the run state: a body edit is checked without the index.

A call's resolution depends only on its module, its scope, its callee and the project's
interfaces (`store.runs.interface_digest`): never on its arguments or position. So while no
interface changed (the run state's token says which generation of interfaces a table belongs
to), the previous resolution of the same (scope, callee) in the same file still holds, and an
edited file whose call keys were all seen before is checked from its table alone, without
decoding any other file's facts or building the index.

One table per file, stored under its own key, so that an edit reads and writes only the files it
redoes. A target keeps what a verdict and a finding need (kind, qualname, signature, implicit,
where it is defined), the blob of its defining file when its line was read, and a reference into
that file's facts: when the file has changed since, the line is read again. The stored form is
untrusted like every cache entry: anything malformed means "no table"."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..facts.findings import Location
from ..facts.model import ModuleFacts, Param, ParamKind, Signature
from ..resolve.resolver import Target, TargetKind
from ..facts.serialize import pack_json, unpack_json

if TYPE_CHECKING:
    from ..resolve.index import Index
    from ..resolve.calls import ResolvedCall

TABLE_VERSION = 5

Key = tuple[str, tuple[str, ...]]  # (scope, callee)


@dataclasses.dataclass(frozen=True, slots=True)
class KnownTarget:
    target: Target  # function and cls are None: a verdict needs kind, qualname, signature, implicit
    path: str | None  # the file that defines it, for the finding's definition
    line: int
    ref: tuple[str, int] | None  # ("f" functions | "l" lambdas | "c" classes, index) in its module's facts
    blob: str | None  # that file's blob when `line` was read: another blob, read the line again

    def definition(self, blobs: dict[str, str], facts_of: Callable[[str], ModuleFacts]) -> Location | None:
        """Where it is defined now: its line is read again when its file changed since."""
        if self.path is None:
            return None
        if self.ref is None or blobs.get(self.path) == self.blob:
            return Location(self.path, self.line)
        kind, i = self.ref
        facts = facts_of(self.path)
        items = {"f": facts.functions, "l": facts.lambdas, "c": facts.classes}[kind]
        return Location(self.path, items[i].line if i < len(items) else self.line)


Resolved = tuple[bool, tuple[KnownTarget, ...]]  # (complete, targets)
FileTable = dict[Key, Resolved]


def knows(table: FileTable, facts: ModuleFacts) -> bool:
    """Every call of the file (with a dotted callee) has a recorded resolution."""
    return all(c.callee is None or (c.scope, c.callee) in table for c in facts.calls)


def record(index: Index, calls: Iterable[ResolvedCall], blobs: dict[str, str]) -> dict[str, FileTable]:
    """The resolutions of these calls, by file and (scope, callee); `blobs`: each file's blob id."""
    refs: dict[str, dict[int, tuple[str, int]]] = {}

    def ref_of(module: str, obj: Any) -> tuple[str, int] | None:
        if module not in refs:
            facts = index.facts(module)
            table: dict[int, tuple[str, int]] = {}
            for kind, items in (("f", facts.functions), ("l", facts.lambdas), ("c", facts.classes)):
                table.update((id(x), (kind, i)) for i, x in enumerate(items))
            refs[module] = table
        return refs[module].get(id(obj))

    known_targets: dict[tuple, KnownTarget] = {}

    def known(t: Target) -> KnownTarget:
        key = (t.kind, t.module, t.qualname, t.implicit, id(t.function), id(t.cls), t.bound_keywords)
        if key not in known_targets:
            owner = t.function if t.function is not None else t.cls
            inside = owner is not None and t.module in index.modules
            outside = owner is not None and not inside and index.is_outside(t.module)
            path = index.path_of(t.module) if inside or outside else None
            known_targets[key] = KnownTarget(
                Target(t.kind, t.module, t.qualname, t.signature, t.implicit, version=t.version, bound_keywords=t.bound_keywords),
                path,
                owner.line if path is not None else 0,
                ref_of(t.module, owner) if inside else None,  # an outside line never moves: a changed
                index.outside[t.module].blob if outside else blobs.get(path) if path is not None else None,
            )  # outside module redoes the whole run (`store.outside`)
        return known_targets[key]

    out: dict[str, FileTable] = {}
    for rc in calls:
        table = out.setdefault(rc.path, {})
        if rc.call.callee is None:
            continue
        key = (rc.call.scope, rc.call.callee)
        if key not in table:
            table[key] = (rc.resolution.complete, tuple(known(t) for t in rc.resolution.targets))
    return out


# -- the stored form -----------------------------------------------------------------------------


def encode(token: str, table: FileTable) -> bytes:
    """One file's table, for the run state whose interfaces carry `token`."""
    ids: dict[int, int] = {}  # by identity: hashing a target would hash its whole signature
    targets: list[list] = []

    def tid(t: KnownTarget) -> int:
        n = ids.get(id(t))
        if n is None:
            n = ids[id(t)] = len(targets)
            targets.append(_encode_target(t))
        return n

    rows = [[scope, list(callee), complete, [tid(t) for t in ts]] for (scope, callee), (complete, ts) in table.items()]
    doc = [TABLE_VERSION, token, targets, rows]
    return pack_json(doc)


def _encode_target(kt: KnownTarget) -> list:
    t = kt.target
    sig = None
    if t.signature is not None:
        sig = [t.signature.text, [[p.name, p.kind.value, p.has_default, p.annotation] for p in t.signature.params]]
    version = list(t.version) if t.version else None
    return [t.kind.value, t.module, t.qualname, t.implicit, sig, kt.path, kt.line, list(kt.ref) if kt.ref else None, kt.blob, version,
            list(t.bound_keywords)]


def decode(data: bytes | None, token: str) -> FileTable | None:
    """The table `encode` wrote for `token`, or None for anything else."""
    if data is None:
        return None
    try:
        version, stored_token, targets, rows = unpack_json(data)
        if version != TABLE_VERSION or stored_token != token:
            return None
        known = [_decode_target(t) for t in targets]
        table: FileTable = {}
        for scope, callee, complete, ids in rows:
            _check(str, scope, *callee)
            _check(bool, complete)
            _check(int, *ids)
            table[(scope, tuple(callee))] = (complete, tuple(known[i] for i in ids))
        return table
    except Exception:  # CacheDecodeError, zlib.error, ValueError, TypeError, IndexError, RecursionError, ...
        return None


def _check(tp: type, *values: Any) -> None:
    for v in values:
        if type(v) is not tp:
            raise TypeError(f"expected {tp.__name__}")


def _decode_target(row: Any) -> KnownTarget:
    kind, module, qualname, implicit, sig, path, line, ref, blob, version, bound = row
    _check(str, *bound)
    if version is not None:
        _check(int, *version)
        version = (version[0], version[1])
    _check(str, module, qualname)
    _check(int, implicit, line)
    signature = None
    if sig is not None:
        text, params = sig
        _check(str, text)
        decoded = []
        for name, pkind, has_default, annotation in params:
            _check(str, name)
            _check(bool, has_default)
            if annotation is not None:
                _check(str, annotation)
            decoded.append(Param(name, ParamKind(pkind), has_default, annotation))
        signature = Signature(tuple(decoded), text)
    if path is not None:
        _check(str, path)
    if ref is not None:
        ref_kind, ref_index = ref
        if ref_kind not in ("f", "l", "c"):
            raise TypeError("bad reference")
        _check(int, ref_index)
        ref = (ref_kind, ref_index)
    if blob is not None:
        _check(str, blob)
    target = Target(TargetKind(kind), module, qualname, signature, implicit, version=version, bound_keywords=tuple(bound))
    return KnownTarget(target, path, line, ref, blob)
