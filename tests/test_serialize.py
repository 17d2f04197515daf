"""`callgraph.serialize`: facts survive the round trip exactly, and hostile bytes raise only
`CacheDecodeError`."""

from __future__ import annotations

import dataclasses
import enum
import json
import sysconfig
import types
import typing
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callgraph.facts import serialize
from callgraph import collect
from callgraph.facts.model import ModuleFacts
from callgraph.facts.serialize import CacheDecodeError, dumps, loads

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STDLIB = sorted(
    p for p in Path(sysconfig.get_paths()["stdlib"]).glob("*.py") if p.stat().st_size < 60_000
)


def assert_well_typed(value: object, tp: object = ModuleFacts) -> None:
    """Every field holds exactly its declared type (what downstream code relies on)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        assert value is None
    elif tp in (str, int, bool):
        assert type(value) is tp, (value, tp)
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        assert isinstance(value, tp)
    elif dataclasses.is_dataclass(tp):
        assert type(value) is tp
        hints = typing.get_type_hints(tp)
        for f in dataclasses.fields(tp):
            assert_well_typed(getattr(value, f.name), hints[f.name])
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        assert type(value) is tuple
        for x in value:
            assert_well_typed(x, args[0])
    elif origin is tuple:
        assert type(value) is tuple and len(value) == len(args)
        for x, a in zip(value, args):
            assert_well_typed(x, a)
    elif origin in (typing.Union, types.UnionType):
        for a in args:
            try:
                assert_well_typed(value, a)
                return
            except AssertionError:
                pass
        raise AssertionError(f"{value!r} is none of {args}")
    else:  # pragma: no cover
        raise AssertionError(f"unhandled type {tp}")


# -- round trips ---------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_type(ModuleFacts))
def test_round_trip_any_facts(facts: ModuleFacts) -> None:
    data = dumps(facts)
    back = loads(data)
    assert back == facts
    assert_well_typed(back)
    assert dumps(back) == data  # deterministic


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(STDLIB), st.booleans())
def test_round_trip_stdlib_files(path: Path, is_package: bool) -> None:
    facts = collect("stdlib." + path.stem, path.read_bytes(), is_package=is_package)
    assert loads(dumps(facts)) == facts


NAMES = st.sampled_from(["a", "b", "self", "cls", "f", "g", "C", "x", "é", "_ddl_attempt"])


@st.composite
def python_sources(draw: st.DrawFn) -> bytes:
    """Small programs with defs of every parameter kind, classes, decorators, calls and imports;
    sometimes truncated so that they do not parse."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["def", "class", "call", "import", "assign", "dataclass"]))
        name = draw(NAMES)
        if kind == "def":
            params = draw(st.lists(NAMES, max_size=4, unique=True))
            sep = draw(st.sampled_from(["", ", /", ", *", ", *args", ", **kw"])) if params else ""
            deco = draw(st.sampled_from(["", "@functools.wraps(f)\n", "@staticmethod\n", "@cache\n"]))
            prefix = "async " if draw(st.booleans()) else ""
            lines.append(f"{deco}{prefix}def {name}({', '.join(params)}{sep}):\n    return {name}(1, k=2)")
        elif kind == "class":
            base = draw(NAMES)
            lines.append(f"class {name}({base}, metaclass=M):\n    def m(self, a=1): super().m(a)\n    x: int = 0")
        elif kind == "dataclass":
            body = "    a: int\n    b: str = field(default_factory=str, kw_only=True)"
            lines.append(f"@dataclass\nclass {name}:\n{body}")
        elif kind == "call":
            args = draw(st.sampled_from(["", "1", "1, 2", "*a", "**k", "x=1", "1, *a, y=2, **k"]))
            lines.append(f"{name}.{draw(NAMES)}({args})\ntry:\n    {name}({args})\nexcept TypeError:\n    pass")
        elif kind == "import":
            imports = ["import os.path as p", "from . import x", "from .. m import *", "from a.b import c as d"]
            lines.append(draw(st.sampled_from(imports)))
        else:
            lines.append(f"{name} = {draw(NAMES)}.{draw(NAMES)}()\n__all__ = ['{name}']")
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    if encoding == "latin-1":
        text = "# -*- coding: latin-1 -*-\n" + text
    return text.encode(encoding, errors="replace")


@SETTINGS
@given(python_sources(), NAMES, st.booleans())
def test_round_trip_generated_sources(source: bytes, module: str, is_package: bool) -> None:
    facts = collect(module, source, is_package=is_package)
    back = loads(dumps(facts))
    assert back == facts
    assert_well_typed(back)


def test_round_trip_lone_surrogates_and_big_ints() -> None:
    facts = ModuleFacts("m\udc80", True, error="bad \ud800 text", error_line=2**70, dunder_all=("a", "\x00"))
    assert loads(dumps(facts)) == facts


# -- hostile input -------------------------------------------------------------------------


def _pack(doc: object) -> bytes:
    return serialize._MAGIC + zlib.compress(json.dumps(doc).encode())


def _valid_doc() -> list:
    facts = collect("m", b"import os\nclass C:\n    def f(self, a, *, b=1): return self.f(1, b=2)\n")
    return json.loads(zlib.decompress(dumps(facts)[len(serialize._MAGIC) :]))


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    with pytest.raises(CacheDecodeError):
        loads(data)
    with pytest.raises(CacheDecodeError):
        loads(serialize._MAGIC + data)


@SETTINGS
@given(st.data())
def test_damaged_payload_raises_only_decode_error(data: st.DataObject) -> None:
    good = dumps(collect("m", b"def f(a, /, b, *c, d, **e): f(1)\n"))
    how = data.draw(st.sampled_from(["truncate", "flip", "append"]))
    if how == "truncate":
        bad = good[: data.draw(st.integers(0, len(good) - 1))]
    elif how == "flip":
        i = data.draw(st.integers(0, len(good) - 1))
        bad = good[:i] + bytes([good[i] ^ data.draw(st.integers(1, 255))]) + good[i + 1 :]
    else:
        bad = good + data.draw(st.binary(min_size=1, max_size=20))
    try:
        facts = loads(bad)
    except CacheDecodeError:
        return
    assert_well_typed(facts)  # a flip the checksum cannot see still yields well-typed facts


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_document_is_rejected_or_well_typed(data: st.DataObject) -> None:
    doc = _valid_doc()
    node = doc
    # walk down a random path, then replace what is there with arbitrary JSON
    while True:
        if not isinstance(node, list) or not node:
            break
        i = data.draw(st.integers(0, len(node) - 1))
        if not isinstance(node[i], list) or not node[i] or data.draw(st.booleans()):
            node[i] = data.draw(JSON)
            break
        node = node[i]
    try:
        facts = loads(_pack(doc))
    except CacheDecodeError:
        return
    assert_well_typed(facts)


@pytest.mark.parametrize(
    "doc",
    [
        None,
        {},
        [],
        [1, serialize.SCHEMA_FINGERPRINT],
        [2, serialize.SCHEMA_FINGERPRINT, []],  # another format version
        [1, "0" * 16, []],  # another model schema
        [True, serialize.SCHEMA_FINGERPRINT, []],
        "not facts",
    ],
    ids=repr,
)
def test_wrong_envelope(doc: object) -> None:
    with pytest.raises(CacheDecodeError):
        loads(_pack(doc))


def test_wrong_types_inside_valid_envelope() -> None:
    doc = _valid_doc()
    doc[2][1] = 1  # is_package must be a bool, not an int
    with pytest.raises(CacheDecodeError):
        loads(_pack(doc))
    doc = _valid_doc()
    doc[2][0] = ["m"]  # module must be a str
    with pytest.raises(CacheDecodeError):
        loads(_pack(doc))


def test_nan_and_deep_nesting_and_bombs(monkeypatch: pytest.MonkeyPatch) -> None:
    base = json.dumps(_valid_doc())
    with pytest.raises(CacheDecodeError):
        loads(serialize._MAGIC + zlib.compress(base.replace("false", "NaN", 1).encode()))
    with pytest.raises(CacheDecodeError):
        loads(serialize._MAGIC + zlib.compress(b"[" * 200_000 + b"]" * 200_000))
    monkeypatch.setattr(serialize, "_MAX_INFLATED", 1024)
    with pytest.raises(CacheDecodeError):
        loads(serialize._MAGIC + zlib.compress(b" " * 10_000 + base.encode()))
    with pytest.raises(CacheDecodeError):
        loads("text is not bytes")  # type: ignore[arg-type]


def test_dumps_refuses_other_objects() -> None:
    with pytest.raises(TypeError):
        dumps({"module": "m"})  # type: ignore[arg-type]


def test_schema_fingerprint_is_stable_and_covers_the_model() -> None:
    assert len(serialize.SCHEMA_FINGERPRINT) == 16
    shape = "\n".join(serialize._CODEC.shape)
    for name in ("ModuleFacts", "FunctionFact", "CallSite", "ParamKind", "positional-only", "expects_type_error"):
        assert name in shape


@dataclasses.dataclass(frozen=True)
class _Extra:
    ratio: float
    tags: frozenset[str]
    pairs: tuple[tuple[float, bool], ...] | None = None


def test_codec_is_generic_over_future_field_types() -> None:
    """Types model.py may grow: floats, frozensets, optional nested tuples."""
    codec = serialize._Codec(_Extra)
    value = _Extra(0.1, frozenset({"b", "a"}), ((1.0, True),))
    encoded = codec.root_encoder(value)  # tuples of plain values are left for JSON to write as lists
    assert json.loads(json.dumps(encoded)) == [0.1, ["a", "b"], [[1.0, True]]]
    assert codec.root_decoder(json.loads(json.dumps(encoded))) == value
    with pytest.raises(CacheDecodeError):
        codec.root_decoder([True, [], None])


def test_unsupported_model_type_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from callgraph.store.cache import FactsCache, NullCache

    @dataclasses.dataclass(frozen=True)
    class Odd:
        blob: bytes

    with pytest.raises(TypeError):
        serialize._Codec(Odd)
    monkeypatch.setattr(serialize, "UNSUPPORTED", "model.py has a type the facts cache cannot encode: bytes")
    warnings: list[str] = []
    cache = FactsCache.open(tmp_path, warn=warnings.append)
    assert isinstance(cache, NullCache) and len(warnings) == 1 and "cannot encode" in warnings[0]
