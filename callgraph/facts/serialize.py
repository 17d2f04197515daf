"""`ModuleFacts` to bytes and back, safely: the bytes are never trusted.

The encoding is compact JSON of the dataclass tree in `model.py`, walked generically from the
dataclasses' fields and type hints: a dataclass is a list of its field values in field order, an
enum is its value, a tuple is a list, None is null. Decoding never unpickles, evals or imports
anything; it checks every value against the field's declared type while rebuilding the tree, so
malformed, truncated, foreign or hand-crafted input raises `CacheDecodeError` and nothing else.

The payload is zlib-compressed (its Adler-32 checksum catches flipped bits) and starts with the
format version and a fingerprint of the model's shape, so facts written by a build whose
`model.py` differs are rejected rather than misread.

    data = dumps(facts)          # bytes
    facts == loads(data)         # True
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import operator
import types
import typing
import zlib
from collections.abc import Callable
from typing import Any

from .model import ModuleFacts

FORMAT_VERSION = 1
_MAGIC = b"CGF"
_MAX_INFLATED = 256 * 1024 * 1024  # a decompression bomb stops here


class CacheDecodeError(ValueError):
    """The bytes are not facts this build wrote: malformed, truncated, foreign or from another version."""


_Decoder = Callable[[Any], Any]
_Encoder = Callable[[Any], Any]


def _fail(what: str, value: Any) -> typing.NoReturn:
    raise CacheDecodeError(f"expected {what}, got {type(value).__name__}")


# -- decoders, one closure per type, built once -------------------------------------------


def _dec_str(v: Any) -> str:
    if type(v) is not str:
        _fail("str", v)
    return v


def _dec_int(v: Any) -> int:
    if type(v) is not int:  # bool is not an int here
        _fail("int", v)
    return v


def _dec_bool(v: Any) -> bool:
    if type(v) is not bool:
        _fail("bool", v)
    return v


def _dec_float(v: Any) -> float:
    if type(v) is not float and type(v) is not int:
        _fail("float", v)
    return float(v)


def _dec_none(v: Any) -> None:
    if v is not None:
        _fail("null", v)
    return None


_SCALARS: dict[Any, tuple[_Decoder, _Encoder | None]] = {
    str: (_dec_str, None),
    int: (_dec_int, None),
    bool: (_dec_bool, None),
    float: (_dec_float, None),
    type(None): (_dec_none, None),
}


class _Codec:
    """Decoders and encoders for every type reachable from a root dataclass."""

    def __init__(self, root: type) -> None:
        self.decoders: dict[Any, _Decoder] = {}
        self.encoders: dict[Any, _Encoder | None] = {}  # None: the value encodes as itself
        self.shape: list[str] = []
        self.root_decoder = self.decoder(root)
        self.root_encoder = self.encoder(root)
        self.fingerprint = hashlib.sha1("\n".join(self.shape).encode()).hexdigest()[:16]

    # decoding
    def decoder(self, tp: Any) -> _Decoder:
        key = tp
        if key in self.decoders:
            return self.decoders[key]
        if tp in _SCALARS:
            dec = _SCALARS[tp][0]
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            dec = self._enum_decoder(tp)
        elif dataclasses.is_dataclass(tp):
            self.decoders[key] = lambda v: dec_ref(v)  # recursion guard for self-referencing types
            dec = self._dataclass_decoder(tp)
        else:
            dec = self._generic_decoder(tp)
        dec_ref = dec
        self.decoders[key] = dec
        return dec

    def _enum_decoder(self, tp: type[enum.Enum]) -> _Decoder:
        by_value = {m.value: m for m in tp}
        for value in by_value:
            if type(value) not in (str, int):
                raise TypeError(f"{tp.__name__}: only str or int enum values are encodable")
        self.shape.append(f"enum {tp.__qualname__}: {sorted(map(repr, by_value))}")

        def dec(v: Any) -> enum.Enum:
            try:
                return by_value[v]
            except (KeyError, TypeError):  # TypeError: an unhashable list or dict
                raise CacheDecodeError(f"not a {tp.__name__} value: {v!r:.40}") from None

        return dec

    def _dataclass_decoder(self, tp: type) -> _Decoder:
        hints = typing.get_type_hints(tp)
        fields = [f for f in dataclasses.fields(tp) if f.init]
        if len(fields) != len(dataclasses.fields(tp)):
            raise TypeError(f"{tp.__name__}: fields with init=False are not encodable")
        self.shape.append(f"class {tp.__qualname__}: " + ", ".join(f"{f.name}: {hints[f.name]}" for f in fields))
        decs = [self.decoder(hints[f.name]) for f in fields]
        n = len(decs)
        name = tp.__name__
        # (decoder, None) for structured fields; (None, type) for scalars, checked inline: faster
        inline = {_dec_str: str, _dec_int: int, _dec_bool: bool}
        steps = tuple((None, inline[d]) if d in inline else (d, None) for d in decs)

        def bad_field(x: Any, t: type) -> typing.NoReturn:
            _fail(f"{name} field of type {t.__name__}", x)

        def dec(v: Any) -> Any:
            if type(v) is not list or len(v) != n:
                raise CacheDecodeError(f"expected {name} as a list of {n}, got {type(v).__name__}")
            return tp(
                *[d(x) if d is not None else x if type(x) is t else bad_field(x, t) for x, (d, t) in zip(v, steps)]
            )

        return dec

    def _generic_decoder(self, tp: Any) -> _Decoder:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = self.decoder(args[0])
            if item is _dec_str:

                def dec(v: Any) -> tuple:
                    if type(v) is not list:
                        _fail("list", v)
                    for x in v:
                        if type(x) is not str:
                            _fail("str", x)
                    return tuple(v)

                return dec

            def dec(v: Any) -> tuple:
                if type(v) is not list:
                    _fail("list", v)
                return tuple([item(x) for x in v])

            return dec
        if origin is frozenset and len(args) == 1:
            member = self.decoder(args[0])

            def dec(v: Any) -> frozenset:
                if type(v) is not list:
                    _fail("list", v)
                return frozenset([member(x) for x in v])

            return dec
        if origin is tuple:
            items = [self.decoder(a) for a in args]
            n = len(items)

            def dec(v: Any) -> tuple:
                if type(v) is not list or len(v) != n:
                    _fail(f"list of {n}", v)
                return tuple([d(x) for d, x in zip(items, v)])

            return dec
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            optional = len(options) != len(args)
            alternatives = [self.decoder(a) for a in options]
            if len(alternatives) == 1:
                only = alternatives[0]

                def dec(v: Any) -> Any:
                    return None if v is None and optional else only(v)

                return dec

            def dec(v: Any) -> Any:
                if v is None and optional:
                    return None
                for alt in alternatives:
                    try:
                        return alt(v)
                    except CacheDecodeError:
                        continue
                raise CacheDecodeError(f"no alternative of {tp} accepts {type(v).__name__}")

            return dec
        raise TypeError(f"cannot encode values of type {tp!r}")

    # encoding
    def encoder(self, tp: Any) -> _Encoder | None:
        if tp in self.encoders:
            return self.encoders[tp]
        enc: _Encoder | None
        if tp in _SCALARS:
            enc = None
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            enc = _enum_value
        elif dataclasses.is_dataclass(tp):
            self.encoders[tp] = lambda v: enc_ref(v)
            hints = typing.get_type_hints(tp)
            names = [f.name for f in dataclasses.fields(tp)]
            encs = [self.encoder(hints[n]) for n in names]
            values = operator.attrgetter(*names) if len(names) > 1 else (lambda v: (getattr(v, names[0]),))
            if all(e is None for e in encs):

                def enc(v: Any) -> list:
                    return list(values(v))

            else:

                def enc(v: Any) -> list:
                    return [x if e is None else e(x) for x, e in zip(values(v), encs)]

        else:
            origin, args = typing.get_origin(tp), typing.get_args(tp)
            if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
                item = self.encoder(args[0])  # a tuple of plain values: JSON writes it as a list itself
                enc = None if item is None else (lambda v: [item(x) for x in v])
            elif origin is frozenset and len(args) == 1:
                member = self.encoder(args[0])
                enc = lambda v: sorted(  # noqa: E731 - sorted by JSON text: the same bytes every run
                    (x if member is None else member(x) for x in v), key=lambda e: json.dumps(e, sort_keys=True)
                )
            elif origin is tuple:
                items = [self.encoder(a) for a in args]
                if all(e is None for e in items):
                    enc = None
                else:
                    enc = lambda v: [x if e is None else e(x) for e, x in zip(items, v)]  # noqa: E731
            elif origin in (typing.Union, types.UnionType):
                alts = [(a, self.encoder(a)) for a in args]
                others = [e for a, e in alts if a is not type(None)]
                if all(e is None for _, e in alts):
                    enc = None
                elif len(others) == 1 and len(alts) == 2:  # X | None
                    only = others[0]
                    enc = lambda v: None if v is None else only(v)  # noqa: E731
                else:
                    enc = lambda v: _encode_union(alts, v)  # noqa: E731
            else:
                raise TypeError(f"cannot encode values of type {tp!r}")
        enc_ref = enc
        self.encoders[tp] = enc
        return enc


def _enum_value(v: enum.Enum) -> Any:
    return v.value


def _encode_union(alts: list[tuple[Any, _Encoder | None]], v: Any) -> Any:
    for tp, enc in alts:
        check = typing.get_origin(tp) or tp
        if isinstance(v, check) if isinstance(check, type) else False:
            return v if enc is None else enc(v)
    raise TypeError(f"value {v!r:.40} matches no alternative")


try:
    _CODEC: _Codec | None = _Codec(ModuleFacts)
    UNSUPPORTED: str | None = None
except Exception as exc:  # a model type this codec does not know: the cache turns itself off
    _CODEC = None
    UNSUPPORTED = f"model.py has a type the facts cache cannot encode: {exc}"

#: changes whenever a dataclass or enum in model.py changes shape (fields, types, enum values)
SCHEMA_FINGERPRINT = _CODEC.fingerprint if _CODEC is not None else "unsupported"


def dumps(facts: ModuleFacts) -> bytes:
    """Compressed compact JSON; `loads(dumps(f)) == f`."""
    if type(facts) is not ModuleFacts:
        raise TypeError(f"expected ModuleFacts, got {type(facts).__name__}")
    if _CODEC is None:
        raise TypeError(UNSUPPORTED)
    return _MAGIC + pack_json([FORMAT_VERSION, SCHEMA_FINGERPRINT, _CODEC.root_encoder(facts)])


def pack_json(doc: Any) -> bytes:
    """Compact ASCII JSON, zlib-compressed: the one stored form of the cache's entries (facts, run
    states, call tables)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return zlib.compress(text.encode("ascii"), 6)


def unpack_json(data: bytes) -> Any:
    """The document `pack_json` wrote. Truncated, oversized (a decompression bomb) or trailing data
    raises CacheDecodeError; malformed JSON raises what `json` raises."""
    inflater = zlib.decompressobj()
    raw = inflater.decompress(bytes(data), _MAX_INFLATED)
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise CacheDecodeError("truncated, oversized or trailing data")
    return json.loads(raw.decode("ascii"), parse_constant=_reject_constant)


def loads(data: bytes) -> ModuleFacts:
    """The facts `dumps` wrote; anything else raises `CacheDecodeError` (and only that)."""
    try:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise CacheDecodeError(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if not data.startswith(_MAGIC):
            raise CacheDecodeError("not callgraph facts (bad magic)")
        doc = unpack_json(data[len(_MAGIC) :])
        if type(doc) is not list or len(doc) != 3:
            raise CacheDecodeError("not a facts document")
        version, fingerprint, body = doc
        if version != FORMAT_VERSION or type(version) is not int:
            raise CacheDecodeError(f"format version {version!r:.20}, this build reads {FORMAT_VERSION}")
        if fingerprint != SCHEMA_FINGERPRINT or _CODEC is None:
            raise CacheDecodeError("facts written for another model schema")
        facts = _CODEC.root_decoder(body)
    except CacheDecodeError:
        raise
    except Exception as exc:  # zlib.error, UnicodeError, JSONDecodeError, RecursionError, MemoryError, ...
        raise CacheDecodeError(f"{type(exc).__name__}: {exc}"[:200]) from None
    return facts


def _reject_constant(name: str) -> Any:
    raise CacheDecodeError(f"{name} is not valid here")
