"""Dynamic Python followed instead of falling silent: narrowed attribute writes, project
decorators, `*args`/`**kwargs` pass-through.

Every case is executed (our own test snippets, never analysed code): a POSITIVE case's last
statement must raise CPython's TypeError with exactly our message; a NEGATIVE case must run
without TypeError, and we must stay silent on it.
"""

from __future__ import annotations

import sys
import textwrap
import types

import pytest
from support import findings_for

POSITIVE = {
    # -- writes with unknown names: __setstate__ restores attributes, it does not invent methods
    "setattr in __setstate__": (
        "class C:\n"
        "    def __setstate__(self, state):\n"
        "        for k, v in state.items():\n"
        "            setattr(self, k, v)\n"
        "    def m(self, a): ...\n"
        "C().m()"
    ),
    "__dict__.update in __setstate__": (
        "class C:\n"
        "    def __setstate__(self, state):\n"
        "        self.__dict__.update(state)\n"
        "    def m(self): ...\n"
        "C().m(1)"
    ),
    # -- attribute writes reach only the objects their receiver may be
    "write on another class's instance": (
        "class Response:\n"
        "    def __init__(self):\n"
        "        self.request = None\n"
        "class Session:\n"
        "    def request(self, method, url, *, params=None): ...\n"
        "    def get(self, url):\n"
        "        return self.request('GET', url, {})\n"
        "def build():\n"
        "    response = Response()\n"
        "    response.request = 1\n"
        "    return response\n"
        "Session().get('u')"
    ),
    "class write on an unrelated class": (
        "class A: ...\n"
        "A.run = print\n"
        "class B:\n"
        "    def run(self): ...\n"
        "B().run(1)"
    ),
    "instance write does not reach the class": (
        "class C:\n"
        "    def __init__(self):\n"
        "        self.m = print\n"
        "    def m(self): ...\n"
        "C.m(C(), 1)"
    ),
    "write on a subclass's instance leaves a sibling": (
        "class Base:\n"
        "    def m(self): ...\n"
        "class Left(Base):\n"
        "    def __init__(self):\n"
        "        self.m = print\n"
        "class Right(Base): ...\n"
        "Right().m(1)"
    ),
}


NEGATIVE = {
    "instance write on a subclass, lookup through the base": (
        "class Base:\n"
        "    def m(self): ...\n"
        "    def go(self):\n"
        "        return self.m(1)\n"
        "class Sub(Base):\n"
        "    def __init__(self):\n"
        "        self.m = print\n"
        "Sub().go()"
    ),
    "class write on a base reaches the subclass": (
        "class Base:\n"
        "    def m(self): ...\n"
        "class Sub(Base): ...\n"
        "Base.m = lambda self, x: x\n"
        "Sub().m(1)"
    ),
    "write on an unknown receiver": (
        "class C:\n"
        "    def m(self): ...\n"
        "def patch(obj):\n"
        "    obj.m = print\n"
        "c = C()\n"
        "patch(c)\n"
        "c.m(1)"
    ),
    "setattr with names from the caller": (
        "class C:\n"
        "    def __init__(self, **kw):\n"
        "        for k, v in kw.items():\n"
        "            setattr(self, k, v)\n"
        "    def m(self): ...\n"
        "C(m=print).m(1)"
    ),
    "__dict__.update from the caller": (
        "class C:\n"
        "    def __init__(self, d):\n"
        "        self.__dict__.update(d)\n"
        "    def m(self): ...\n"
        "C({'m': print}).m(1)"
    ),
    "__setstate__ restores an attribute written elsewhere": (
        "import copy\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.m = print\n"
        "    def __setstate__(self, state):\n"
        "        self.__dict__.update(state)\n"
        "    def m(self): ...\n"
        "copy.copy(C()).m(1)"
    ),
    "setattr on self outside __setstate__": (
        "class C:\n"
        "    def load(self, k, v):\n"
        "        setattr(self, k, v)\n"
        "    def m(self): ...\n"
        "c = C()\n"
        "c.load('m', print)\n"
        "c.m(1)"
    ),
    "class write through a classmethod's cls": (
        "class C:\n"
        "    @classmethod\n"
        "    def install(cls):\n"
        "        cls.m = staticmethod(print)\n"
        "    def m(self): ...\n"
        "C.install()\n"
        "C().m(1)"
    ),
    "module attribute rebound": (
        "import types\n"
        "def f(): ...\n"
        "ns = types.SimpleNamespace(f=f)\n"
        "ns.f = print\n"
        "ns.f(1)"
    ),
}


def _run(source: str) -> types.ModuleType:
    module = types.ModuleType("case")
    sys.modules["case"] = module
    try:
        exec(compile(textwrap.dedent(source), "<case>", "exec"), module.__dict__)
    finally:
        del sys.modules["case"]
    return module


@pytest.mark.parametrize("source", POSITIVE.values(), ids=list(POSITIVE))
def test_positive_is_cpythons_error(source: str) -> None:
    found = [f for f in findings_for(source) if f.code.value != "CG201"]
    assert len(found) == 1, [f.message for f in found]
    with pytest.raises(TypeError) as info:
        _run(source)
    assert str(info.value) == found[0].message
    lines = [e.lineno + 1 for e in info.traceback if str(e.path) == "<case>"]
    assert lines[-1] == found[0].line  # the call CPython rejects is the one we report


@pytest.mark.parametrize("source", NEGATIVE.values(), ids=list(NEGATIVE))
def test_negative_binds_and_is_silent(source: str) -> None:
    _run(source)  # CPython binds every call
    assert [f.message for f in findings_for(source)] == []
