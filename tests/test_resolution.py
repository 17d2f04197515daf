"""Resolution patterns, one small program each.

Positive cases end with the one broken call at module level: the test also
executes the snippet (our own test code, never analysed code) and requires
CPython's TypeError text to equal our message.
"""

from __future__ import annotations

import sys
import textwrap
import types

import pytest
from support import assert_findings, findings_for

POSITIVE = {
    "module function": ("def f(a): ...\nf()", "CG102"),
    "too many": ("def f(a): ...\nf(1, 2)", "CG101"),
    "unexpected keyword": ("def f(a): ...\nf(1, b=2)", "CG103"),
    "multiple values": ("def f(a): ...\nf(1, a=2)", "CG104"),
    "positional-only as keyword": ("def f(a, /): ...\nf(a=1)", "CG105"),
    "nested function": ("def outer():\n    def inner(a): ...\n    return inner()\nouter()", "CG102"),
    "bound method": ("class C:\n    def m(self): ...\nC().m(1)", "CG101"),
    "unbound through class": ("class Shape:\n    def area(self): ...\nShape.area()", "CG102"),
    "staticmethod through instance": (
        "class C:\n    @staticmethod\n    def s(a): ...\nC().s(1, 2)",
        "CG101",
    ),
    "classmethod through class": ("class C:\n    @classmethod\n    def k(cls): ...\nC.k(1)", "CG101"),
    "constructor __init__": ("class C:\n    def __init__(self, a): ...\nC()", "CG102"),
    "inherited __init__": ("class I:\n    def __init__(self): ...\nclass J(I): ...\nJ(1)", "CG101"),
    "diamond __init__": (
        "class A:\n    def __init__(self): ...\nclass B(A): ...\n"
        "class C(A):\n    def __init__(self, x): ...\nclass D(B, C): ...\nD()",
        "CG102",
    ),
    "__new__": ("class N:\n    def __new__(cls): return object.__new__(cls)\nN(1)", "CG101"),
    "takes no arguments": ("class S: ...\nS(1)", "CG101"),
    "takes no arguments keyword": ("class S: ...\nS(x=1)", "CG103"),
    "dataclass": (
        "from dataclasses import dataclass, field\n@dataclass\nclass P:\n    a: int\n    b: int = 0\n"
        "    c: list = field(default_factory=list)\n    d: int = field(default=1)\nP(1, 2, 3, 4, 5)",
        "CG101",
    ),
    "dataclass kw_only": (
        "import dataclasses\n@dataclasses.dataclass(kw_only=True)\nclass P:\n    a: int\nP(1)",
        "CG101",
    ),
    "dataclass KW_ONLY": (
        "from dataclasses import dataclass, KW_ONLY\n@dataclass\nclass P:\n    a: int\n    _: KW_ONLY\n    b: int\nP(1)",
        "CG102",
    ),
    "dataclass init=False field": (
        "from dataclasses import dataclass, field\n@dataclass\nclass P:\n    a: int\n    b: int = field(init=False)\nP(1, 2)",
        "CG101",
    ),
    "dataclass inheritance": (
        "from dataclasses import dataclass\n@dataclass\nclass A:\n    a: int\n@dataclass\nclass B(A):\n    b: int\nB(1)",
        "CG102",
    ),
    "self method": (
        "class C:\n    def run(self):\n        self.go(1)\n    def go(self): ...\nC().run()",
        "CG101",
    ),
    "redefined later wins": (
        "class C:\n    def run(self):\n        self.m(1)\n    def m(self, a): ...\n    def m(self): ...\nC().run()",
        "CG101 CG201",
    ),
    "instance from constructor": (
        "class D:\n    def run(self, a): ...\ndef main():\n    d = D()\n    d.run()\nmain()",
        "CG102",
    ),
    "instance attribute": (
        "class Conn:\n    def q(self): ...\nclass D:\n    def __init__(self):\n        self.c = Conn()\n"
        "    def go(self):\n        self.c.q(1)\nD().go()",
        "CG101",
    ),
    "annotated parameter": ("class D:\n    def run(self): ...\ndef f(d: D):\n    d.run(1)\nf(D())", "CG101"),
    "super()": (
        "class A:\n    def m(self): ...\nclass B(A):\n    def m(self):\n        super().m(1)\nB().m()",
        "CG101",
    ),
    "super(C, self)": (
        "class A:\n    def m(self): ...\nclass B(A):\n    def m(self):\n        super(B, self).m(1)\nB().m()",
        "CG101",
    ),
    "nested class": (
        "def outer():\n    class Local:\n        def go(self, a): ...\n    Local().go(1, 2)\nouter()",
        "CG101",
    ),
    "preserving decorator": ("import functools\n@functools.lru_cache(maxsize=None)\ndef f(a): ...\nf()", "CG102"),
    "alias": ("def f(a): ...\ng = f\ng()", "CG102"),
    "except ValueError does not guard": ("def f(a): ...\ntry:\n    f()\nexcept ValueError:\n    pass", "CG102"),
    "guard ends at a nested def": (
        "def f(a): ...\ntry:\n    def g():\n        f()\nexcept TypeError:\n    pass\ng()",
        "CG102",
    ),
    "generic base": (
        "from typing import Generic, TypeVar\nT = TypeVar('T')\nclass B(Generic[T]):\n    def __init__(self): ...\nB(1)",
        "CG101",
    ),
}


@pytest.mark.parametrize("source,codes", POSITIVE.values(), ids=list(POSITIVE))
def test_positive(source: str, codes: str) -> None:
    found = assert_findings(source, *codes.split())
    call = [f for f in found if f.code.value != "CG201"]
    module = types.ModuleType("case")
    sys.modules["case"] = module  # dataclasses looks its class's module up there
    try:
        with pytest.raises(TypeError) as info:
            exec(compile(textwrap.dedent(source), "<case>", "exec"), module.__dict__)
    finally:
        del sys.modules["case"]
    assert str(info.value) == call[-1].message


NEGATIVE = {
    "unknown decorator": "import registry\ndef deco(f): return registry.wrap(f)\n@deco\ndef f(a): ...\nf()",
    "conditional definitions": "import sys\nif sys.version_info >= (3,):\n    def f(a): ...\nelse:\n    def f(a, b): ...\ndef g():\n    f(1, 2)",
    "try/except fallback": "try:\n    from fast import f\nexcept ImportError:\n    def f(a): ...\nf(1, 2)",
    "subclass override accepts": (
        "class A:\n    def run(self):\n        self.m(1)\n    def m(self): ...\nclass B(A):\n    def m(self, x): ..."
    ),
    "rebound locally": "def f(a): ...\ndef g(f):\n    f()",
    "assigned elsewhere": "def f(a): ...\nf = print\nf()",
    "monkeypatched method": "class C:\n    def m(self): ...\nC.m = lambda self, x: x\nC().m(1)",
    "instance attribute shadows": "class C:\n    def m(self): ...\n    def __init__(self):\n        self.m = print\nC().m(1)",
    "metaclass": "class M(type):\n    def __call__(cls, *a): ...\nclass C(metaclass=M):\n    def __init__(self): ...\nC(1)",
    "outside base": "class E(Exception): ...\nE(1, 2)",
    "enum": "from enum import Enum\nclass C(Enum):\n    A = 1\nC(1)",
    "namedtuple": "from typing import NamedTuple\nclass N(NamedTuple):\n    a: int\nN(1)",
    "partial": "import functools\ndef f(a): ...\ng = functools.partial(f, 1)\ng()",
    "getattr": "class C:\n    def m(self): ...\ngetattr(C(), 'm')(1)",
    "star args": "def f(a): ...\ndef g(xs):\n    f(*xs)",
    "double star": "def f(a): ...\ndef g(kw):\n    f(**kw)",
    "mixin super": (
        "class Mixin:\n    def __init__(self, a, b):\n        super().__init__(a, b)\n"
        "class Base:\n    def __init__(self, a, b): ...\nclass C(Mixin, Base): ...\nC(1, 2)"
    ),
    "legacy staticmethod": "class C:\n    def s(a): ...\n    s = staticmethod(s)\nC().s(1)",
    "class decorator": "def deco(c): return c()\n@deco\nclass C:\n    def __init__(self): ...\nC(1)",
    "overload stubs": (
        "from typing import overload\n@overload\ndef f(a: int) -> int: ...\n@overload\ndef f(a: str) -> str: ...\n"
        "def f(a, b=None): ...\ndef g():\n    f(1, 2)"
    ),
    "property": "class C:\n    @property\n    def p(self): return print\nC().p(1)",
    "classmethod cls with override": (
        "class A:\n    @classmethod\n    def make(cls):\n        return cls(1)\n    def __init__(self): ...\n"
        "class B(A):\n    def __init__(self, x): ..."
    ),
    "stdlib call": "import os\nos.path.join()",
    "builtin": "len(1, 2)",
    "__getattribute__ is not our business": "class C:\n    def __getattr__(self, n): return print\nC().m(1)",
    "object's own method": "class C: ...\nC().__init__(1)",
    "third-party base": "from somewhere import Base\nclass C(Base):\n    def m(self): ...\nC(1)",
    "unknown metaclass keyword": "class C(metaclass=Meta): ...\nC(1)",
    "subclass with a base we cannot place": {
        "pkg/__init__.py": "globals().update({})\n",
        "pkg/base.py": "class Base:\n    def _run(self): ...\n    def start(self):\n        self._run(self)\n",
        "pkg/ctx.py": "from . import base\nclass P(base.Base):\n    @staticmethod\n    def _run(p): ...\n",
    },
    "try/except TypeError fallback": "def f(a): ...\ntry:\n    f(1, 2)\nexcept TypeError:\n    f(1)",
    "assertRaises(TypeError)": "def f(a): ...\ndef test(self):\n    with self.assertRaises(TypeError):\n        f()",
    "pytest.raises((ValueError, TypeError))": (
        "import pytest\ndef f(a): ...\ndef test():\n    with pytest.raises((ValueError, TypeError)):\n        f()"
    ),
}


@pytest.mark.parametrize("source", NEGATIVE.values(), ids=list(NEGATIVE))
def test_negative(source: str) -> None:
    assert_findings(source)


def test_cross_module_import_forms() -> None:
    files = {
        "pkg/__init__.py": "from .a import f as f\nfrom .b import *\n",
        "pkg/a.py": "def f(x): ...\n",
        "pkg/b.py": "__all__ = ['g']\ndef g(): ...\ndef h(): ...\n",
        "main.py": (
            "import pkg\nimport pkg.a\nimport pkg.a as pa\nfrom pkg import f, g\nfrom pkg.a import f as ff\n"
            "pkg.f()\npkg.a.f()\npa.f()\nf()\nff()\ng(1)\npkg.g(1)\n"
        ),
    }
    found = findings_for(files)
    assert [(f.path, f.line, f.code.value) for f in found] == [("main.py", n, c) for n, c in [
        (6, "CG102"), (7, "CG102"), (8, "CG102"), (9, "CG102"), (10, "CG102"), (11, "CG101"), (12, "CG101")]]


def test_star_import_honours_all() -> None:
    files = {
        "b.py": "__all__ = ['g']\ndef g(): ...\ndef h(x): ...\n",
        "main.py": "from b import *\ndef h(): ...\nh()\n",
    }
    assert_findings(files)


def test_relative_import_levels() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/util.py": "def u(a): ...\n",
        "pkg/sub/mod.py": "from ..util import u\nfrom .. import util\nu()\nutil.u()\n",
    }
    found = findings_for(files)
    assert [(f.line, f.code.value) for f in found] == [(3, "CG102"), (4, "CG102")]


def test_finding_fields() -> None:
    (finding,) = findings_for("class S:\n    def _ddl_attempt(self): ...\n    def run(self):\n        self._ddl_attempt(1, 2, 3, 4, 5)\n")
    assert finding.message == "S._ddl_attempt() takes 1 positional argument but 6 were given"
    assert (finding.line, finding.column) == (4, 9)
    assert finding.target == "m.S._ddl_attempt"
    assert finding.definition.line == 2


REDEFINITIONS = {
    "method redefined": ("class C:\n    def m(self, a): ...\n    def m(self): ...", ["CG201"]),
    "private name too": ("def _f(a): ...\ndef _f(): ...", ["CG201"]),
    "used before redefinition": ("def f(a): ...\nhandler = f\ndef f(): ...", []),
    "called before redefinition": ("def t():\n    def f(a): ...\n    f(1)\n    def f(): ...\n    f()", []),
    "registering decorator": ("@app.route('/')\ndef index(): ...\n@app.route('/x')\ndef index(a): ...", []),
    "attribute of same name is no use": (
        "class C:\n    def m(self, a): ...\n    def run(self):\n        self.m(1)\n    def m(self): ...",
        ["CG101", "CG201"],
    ),
    "same signature": ("def f(a): ...\ndef f(a): ...", []),
    "different branches": ("import sys\nif sys:\n    def f(a): ...\nelse:\n    def f(): ...", []),
    "overload": ("from typing import overload\n@overload\ndef f(a: int): ...\ndef f(a, b=1): ...", []),
    "property setter": (
        "class C:\n    @property\n    def x(self): ...\n    @x.setter\n    def x(self, v): ...",
        [],
    ),
    "singledispatch register": (
        "from functools import singledispatch\n@singledispatch\ndef f(a): ...\n@f.register\ndef _(a: int, b=1): ...\n"
        "@f.register\ndef _(a: str): ...",
        [],
    ),
}


@pytest.mark.parametrize("source,codes", REDEFINITIONS.values(), ids=list(REDEFINITIONS))
def test_redefinition(source: str, codes: list[str]) -> None:
    assert_findings(source, *codes)
