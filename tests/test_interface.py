"""Interface facts of outside modules (`facts.interface`): CPython's `ast` gives what the libcst
pass gives, on the fields the resolver reads, so outside modules cost a fifth of the parse and
check results cannot change.

The oracle is the full collector itself: on real modules (the running interpreter's standard
library and installed packages, .pyi stubs included), the interface facts equal the full facts
with `calls`, `suppressions` and `uses` emptied (what only a checked module needs)."""

from __future__ import annotations

import importlib.util
import sysconfig
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from callgraph import analyze_sources
from callgraph.environment.model import Environment
from callgraph.facts.collector import collect
from callgraph.facts.interface import collect_interface
from callgraph.facts.source import blob_id
from callgraph.store.cache import FactsCache
from callgraph.store.identity import CacheKey
from callgraph.store.outside import EnvironmentModules, interface_key


def projection(module: str, data: bytes, is_package: bool = False):
    full = collect(module, data, is_package=is_package)
    return replace(full, calls=(), suppressions=(), uses=(), flows=())


STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Modules a real project's resolver reaches first, and the hardest ones to mirror.
STDLIB_SAMPLE = (
    "argparse", "typing", "dataclasses", "enum", "subprocess", "pathlib", "json/__init__", "collections/__init__",
    "functools", "threading", "logging/__init__", "email/message", "http/client", "unittest/case", "textwrap",
    "concurrent/futures/_base", "datetime", "zipfile", "re/_parser", "tempfile", "socket", "string", "contextlib",
    "abc", "copy", "io", "os", "configparser", "xml/etree/ElementTree", "sqlite3/__init__",
)


def _installed(package: str) -> list[Path]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(root.rglob("*.py"))[:15] + sorted(root.rglob("*.pyi"))[:10]


@pytest.mark.parametrize("name", sorted(set(STDLIB_SAMPLE)))
def test_stdlib_interface_equals_the_full_facts_projection(name: str) -> None:
    path = STDLIB / f"{name}.py"
    data = path.read_bytes()
    module = name.removesuffix("/__init__").replace("/", ".")
    is_package = name.endswith("__init__")
    assert collect_interface(module, data, is_package=is_package) == projection(module, data, is_package)


@pytest.mark.parametrize("package", ["libcst", "attr", "_pytest", "pluggy"])
def test_installed_interface_equals_the_full_facts_projection(package: str) -> None:
    paths = _installed(package)
    if not paths:
        pytest.skip(f"{package} is not installed here")
    for path in paths:
        data = path.read_bytes()
        is_package = path.stem == "__init__"
        full = projection(package, data, is_package)
        if full.unsupported:
            continue  # libcst could not read it; the interface reads more, never less
        assert collect_interface(package, data, is_package=is_package) == full, path


TRICKY = '''
import os, sys as s
from . import x
from ..a.b import (c as d, e)
from m import *
__all__ = ["f", "G"]
__all__ += ["H"]
DEBUG = False
try:
    import y
except ImportError as exc:
    y = None
if sys.version_info >= (3, 10):
    def f(  # leading comment
        a, /, b: int = 1, *args, c, d=(2), **kw  # trailing comment
    ) -> int:
        return lambda q=lambda: 0: q
elif x:
    f = None
else:
    if y:
        pass
@dec(k=(1), j=2)
@other
class G(Base[int], metaclass=Meta, total=False):
    x: int
    y: "str" = field(default_factory=list, init=False, kw_only=True)
    z: (
        int
    ) = field(kw_only=None)
    def m(self, v):
        self.z = v
        super().__init__(v)
        super(G, self).x.__dict__.update(v)
        setattr(self, "w", v)
        setattr(self, "a" "b", v)
        self.__dict__.update(v)
        [u for u in range(3) if (t := u)]
        with open(v) as (fh, gg):
            del fh, self.q
        for i, *j in v: pass
        match v:
            case {"a": aa, **rest}: pass
            case [1, *others] if others: pass
            case Point(x=px) | Point(y=px): pass
        globals()["zz"] = 1
        globals().update(v)
        return {k: v for k, v in kw.items()}, self.m
    async def n(self): ...
H = G.m
I = staticmethod(f)
J = {"a": f, "b" "c": g, 1: h, True: i, **kw}
K = (f, *g)
M = f(a=1, *b)
N = x[0]["k"][1:2][a, b]
class L: x: int
def outer():
    x = 1
    def inner():
        nonlocal x
        global DEBUG
        x = 2
        DEBUG = True
    return inner
P = lambda *a, **k: (a, k) if a else (lambda: k)
Q = [lambda: 1, lambda: 2][0]
'''


@pytest.mark.parametrize(
    "source",
    [
        TRICKY,
        "# -*- coding: latin-1 -*-\ndef f(a='\xe9', b=1): return f\nclass C: pass\n".encode("latin-1"),
        "\ufeffdef f(x):\n    return x\n",
        "def f(é, /, ü=1):\n    '''ünïcode'''\n    return lambda ä=1: ä\nX = f\n",
        "if True:\n    @d(\n        k=(\n            1\n        ),\n    )\n    def f(): pass\n",
        "import functools as ft\np = ft.partial(ft.partial(f, 1, k=2), *a, j=3, **kw)\nq = partial(k=1, *a)\n"
        "class C:\n    m = partialmethod(g, 1)\n    def __init__(self):\n        self.h = partial(self.m, x=1)\n",
    'class C:\n    @d(\n        """\n        text\n        """,\n        f"""\n    x\n        """,\n    )\n    def f(self): pass\n',
    'class C:\n    @d(\n        "one "\n        \'two\',\n        k="a"\n        """b\n  c""",\n    )\n    def f(self): pass\n',
    ],
)
def test_tricky_sources(source: str | bytes) -> None:
    data = source if isinstance(source, bytes) else textwrap.dedent(source).encode()
    assert collect_interface("pkg.m", data) == projection("pkg.m", data)


def test_a_syntax_error_is_the_same_error() -> None:
    data = b"def f(:\n"
    assert collect_interface("m", data) == collect("m", data)


def test_stubs_are_read_like_sources() -> None:
    """typeshed's .pyi are Python syntax: overloads, version branches, `...` bodies."""
    stub = textwrap.dedent('''
        import sys
        from typing import overload
        if sys.version_info >= (3, 10):
            def zip(*iterables: object, strict: bool = ...) -> object: ...
        else:
            def zip(*iterables: object) -> object: ...
        class str:
            @overload
            def split(self, sep: str | None = None, maxsplit: int = -1) -> list[str]: ...
            @overload
            def split(self, sep: bytes, maxsplit: int = ...) -> list[str]: ...
    ''').encode()
    facts = collect_interface("builtins", stub)
    assert facts == projection("builtins", stub)
    assert [f.qualname for f in facts.functions] == ["zip", "zip", "str.split", "str.split"]


def test_outside_facts_are_cached_apart_from_full_facts(tmp_path: Path) -> None:
    """Stored under their own key (never a project file's), and read back instead of parsed."""
    import callgraph.store.outside as outside

    outside._MEMO.clear()  # facts an earlier test left in memory would skip the cache altogether
    env = Environment.local()
    with FactsCache.open(tmp_path / "cache") as cache:
        found = EnvironmentModules(env, cache).module("textwrap")
        assert found is not None
        data = Path(found.path).read_bytes()
        key = interface_key(blob_id(data), "textwrap", False)
        assert key.blob != blob_id(data) and key.blob.endswith(blob_id(data))
        assert cache.get_many([key])[key] == collect_interface("textwrap", data)
        assert cache.get_many([CacheKey(blob_id(data), "textwrap", False)]) == {}  # no full facts written


def test_check_results_are_the_same_with_either_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    source = textwrap.dedent('''
        import subprocess, textwrap, threading, json, argparse
        class HostError(Exception):
            def __init__(self, msg, *, host): ...
        class Worker(threading.Thread):
            def __init__(self, owner, interval): super().__init__()
        HostError("down")
        Worker(1)
        textwrap.wrap("t", widht=70)
        json.loads("1", 1, 2, 3, 4, 5, 6, 7, 8)
        argparse.ArgumentParser(prog="p").add_argument("-x", action="store_true")
        subprocess.run(["ls"], check=True)
    ''').encode()

    def findings() -> list[tuple]:
        project = analyze_sources([("m.py", "m", False, source)], use_environment=True)
        return [(f.code, f.line, f.message) for f in project.findings()]

    import callgraph.store.outside as outside

    outside._MEMO.clear()
    fast = findings()
    outside._MEMO.clear()
    monkeypatch.setattr(outside, "collect_interface", collect)  # the full libcst pass instead
    assert findings() == fast and len(fast) >= 3
    outside._MEMO.clear()
