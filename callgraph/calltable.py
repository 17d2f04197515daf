"""Each file's call resolutions, kept beside the run state: a body edit is checked without the index.

A call's resolution depends only on its module, its scope, its callee and the project's
interfaces (`incremental.interface_digest`): never on its arguments or position. So while no
interface changed, the previous run's resolution of the same (scope, callee) in the same file
still holds, and an edited file whose call keys were all seen before is checked from this table
alone, without decoding any other file's facts or building the index.

A target keeps what a verdict and a finding need (kind, qualname, signature, implicit, where it
is defined) and a reference into its module's facts, so that its line follows its file when only
that file changed. The stored form is untrusted like every cache entry: anything malformed means
"no table".
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .findings import Location
from .model import ModuleFacts, Param, ParamKind, Signature
from .resolve import Target, TargetKind

if TYPE_CHECKING:
    from .index import Index
    from .project import ResolvedCall

TABLE_VERSION = 2
_MAX_BYTES = 256 * 1024 * 1024

Key = tuple[str, tuple[str, ...]]  # (scope, callee)


@dataclasses.dataclass(frozen=True, slots=True)
class KnownTarget:
    target: Target  # function and cls are None: a verdict needs kind, qualname, signature, implicit
    path: str | None  # the file that defines it, for the finding's definition
    line: int
    ref: tuple[str, int] | None  # ("f" functions | "l" lambdas | "c" classes, index) in its module's facts

    @property
    def definition(self) -> Location | None:
        return Location(self.path, self.line) if self.path is not None else None


Resolved = tuple[bool, tuple[KnownTarget, ...]]  # (complete, targets)


@dataclasses.dataclass
class CallTable:
    token: str  # the interfaces it holds for (incremental: a new token whenever they may have changed)
    files: dict[str, dict[Key, Resolved]]
    blobs: dict[str, str]  # each file's blob when its targets' lines were read: others need `moved`

    def stale(self, blobs: dict[str, str]) -> set[str]:
        """Files whose content differs from when the table's lines were read."""
        return {p for p, b in blobs.items() if self.blobs.get(p) != b}

    def knows(self, path: str, facts: ModuleFacts) -> bool:
        """Every call of this file (with a dotted callee) has a recorded resolution."""
        known = self.files.get(path, {})  # a file without calls has no entry
        return all(c.callee is None or (c.scope, c.callee) in known for c in facts.calls)

    def moved(self, facts_by_path: dict[str, ModuleFacts]) -> CallTable:
        """The table with the lines of targets defined in these (re-read) files taken from their facts."""

        done: dict[int, KnownTarget] = {}  # one new object per target, shared like the old one

        def fresh(kt: KnownTarget) -> KnownTarget:
            facts = facts_by_path.get(kt.path) if kt.path is not None else None
            if facts is None or kt.ref is None:
                return kt
            if id(kt) not in done:
                kind, i = kt.ref
                items = {"f": facts.functions, "l": facts.lambdas, "c": facts.classes}[kind]
                done[id(kt)] = dataclasses.replace(kt, line=items[i].line) if i < len(items) else kt
            return done[id(kt)]

        if not facts_by_path:
            return self
        return CallTable(
            self.token,
            {p: {k: (c, tuple(fresh(t) for t in ts)) for k, (c, ts) in known.items()} for p, known in self.files.items()},
            self.blobs,
        )


def record(index: Index, calls: Iterable[ResolvedCall]) -> dict[str, dict[Key, Resolved]]:
    """The resolutions of these calls, by file and (scope, callee)."""
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
        key = (t.kind, t.module, t.qualname, t.implicit, id(t.function), id(t.cls))
        if key not in known_targets:
            owner = t.function if t.function is not None else t.cls
            path = index.path_of(t.module) if owner is not None and t.module in index.modules else None
            known_targets[key] = KnownTarget(
                Target(t.kind, t.module, t.qualname, t.signature, t.implicit),
                path,
                owner.line if path is not None else 0,
                ref_of(t.module, owner) if path is not None else None,
            )
        return known_targets[key]

    out: dict[str, dict[Key, Resolved]] = {}
    for rc in calls:
        table = out.setdefault(rc.path, {})
        if rc.call.callee is None:
            continue
        key = (rc.call.scope, rc.call.callee)
        if key not in table:
            table[key] = (rc.resolution.complete, tuple(known(t) for t in rc.resolution.targets))
    return out


# -- the stored form -----------------------------------------------------------------------------


def encode(table: CallTable) -> bytes:
    ids: dict[int, int] = {}  # by identity: hashing a target would hash its whole signature
    targets: list[list] = []

    def tid(t: KnownTarget) -> int:
        n = ids.get(id(t))
        if n is None:
            n = ids[id(t)] = len(targets)
            targets.append(_encode_target(t))
        return n

    files = []
    for path, known in table.files.items():
        rows = []
        for (scope, callee), (complete, ts) in known.items():
            rows.append([scope, list(callee), complete, [tid(t) for t in ts]])
        files.append([path, rows])
    doc = [TABLE_VERSION, table.token, sorted(table.blobs.items()), targets, files]
    return zlib.compress(json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode("ascii"), 6)


def _encode_target(kt: KnownTarget) -> list:
    t = kt.target
    sig = None
    if t.signature is not None:
        sig = [t.signature.text, [[p.name, p.kind.value, p.has_default, p.annotation] for p in t.signature.params]]
    return [t.kind.value, t.module, t.qualname, t.implicit, sig, kt.path, kt.line, list(kt.ref) if kt.ref else None]


def decode(data: bytes | None) -> CallTable | None:
    """The table `encode` wrote, or None for anything else."""
    if data is None:
        return None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(bytes(data), _MAX_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            return None
        version, token, blobs, targets, files = json.loads(raw.decode("ascii"))
        if version != TABLE_VERSION or type(token) is not str:
            return None
        for path, blob in blobs:
            _check(str, path, blob)
        known = [_decode_target(t) for t in targets]
        out: dict[str, dict[Key, Resolved]] = {}
        for path, rows in files:
            _check(str, path)
            table = out.setdefault(path, {})
            for scope, callee, complete, ids in rows:
                _check(str, scope, *callee)
                _check(bool, complete)
                _check(int, *ids)
                table[(scope, tuple(callee))] = (complete, tuple(known[i] for i in ids))
        return CallTable(token, out, dict(blobs))
    except Exception:  # zlib.error, ValueError, TypeError, IndexError, RecursionError, ...
        return None


def _check(tp: type, *values: Any) -> None:
    for v in values:
        if type(v) is not tp:
            raise TypeError(f"expected {tp.__name__}")


def _decode_target(row: Any) -> KnownTarget:
    kind, module, qualname, implicit, sig, path, line, ref = row
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
    return KnownTarget(Target(TargetKind(kind), module, qualname, signature, implicit), path, line, ref)
