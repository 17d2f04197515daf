"""functools.partial and partialmethod, project class decorators, and writes of `__init__`:
followed where the binding is certain, unknown (silent) elsewhere.

Every case is executed (our own test snippets, never analysed code): a POSITIVE case's last
statement must raise CPython's TypeError with exactly our message; a NEGATIVE case must run
without TypeError, and we must stay silent on it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from support import findings_for
from test_dynamic import _run

from callgraph.facts.collector import collect
from callgraph.facts.model import PartialFact
from callgraph.resolve.partials import merge

DESCRIBE = "from functools import partial\ndef describe(label, kind, wheels): ...\n"

POSITIVE = {
    # -- the chain: keywords may be overridden at call time, positionals may not
    "chain, nothing given": DESCRIBE + "p = partial(partial(describe, kind='car'), wheels=4)\np()",
    "chain, a keyword's slot filled by position": (
        DESCRIBE + "p = partial(partial(describe, kind='car'), wheels=4)\np('blue', 'truck')"
    ),
    "chain through names": DESCRIBE + "car = partial(describe, kind='car')\np = partial(car, wheels=4)\np('b', 't')",
    "stored positionals count in the message": DESCRIBE + "p = partial(describe, 1, 2)\np(3, 4)",
    "stored positionals fill the first slots": DESCRIBE + "p = partial(describe, 1)\np(2, kind=3, wheels=4, label=5)",
    "module functools.partial": (
        "import functools\ndef f(a, *, b): ...\np = functools.partial(f, b=1)\np(1, 2)"
    ),
    "alias of the module": "import functools as ft\ndef f(a): ...\np = ft.partial(f, 1)\np(2)",
    "unexpected keyword stored": DESCRIBE + "p = partial(describe, colour='red')\np(1, 2, 3)",
    "stored keyword order decides the message": (
        "from functools import partial\ndef f(a, b): ...\np = partial(f, b=1, c=2)\np(1, b=3, d=4)"
    ),
    "a local partial": DESCRIBE + "def run():\n    p = partial(describe, 'a')\n    p()\nrun()",
    "partial of a class": (
        "from functools import partial\nclass C:\n    def __init__(self, a): ...\np = partial(C, 1)\np(2)"
    ),
    "partial of a class without __init__": "from functools import partial\nclass C: ...\np = partial(C, 1)\np()",
    "partial of a bound method in __init__": (
        "from functools import partial\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.go = partial(self.run, 1)\n"
        "    def run(self, a, b): ...\n"
        "C().go()"
    ),
    "partial in a class body is no descriptor (<= 3.13)": (
        DESCRIBE + "class C:\n    p = partial(describe, 1)\n    def m(self):\n        self.p(2)\nC().m()"
    ),
    "partial in a class body through the class": DESCRIBE + "class C:\n    p = partial(describe, 1, 2, 3)\nC.p(4)",
    "partialmethod through an instance": (
        "from functools import partialmethod\n"
        "class C:\n"
        "    def paint(self, colour, coats=1): ...\n"
        "    primer = partialmethod(paint, 'grey')\n"
        "C().primer(2, 3)"
    ),
    "partialmethod keyword stored": (
        "import functools\n"
        "class C:\n"
        "    def paint(self, colour, coats=1): ...\n"
        "    thick = functools.partialmethod(paint, coats=3)\n"
        "C().thick('red', 2)"
    ),
    "partial of a pass-through wrapper": (
        "import functools\n"
        "def deco(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def w(*a, **k): return fn(*a, **k)\n"
        "    return w\n"
        "@deco\n"
        "def f(a, b): ...\n"
        "p = functools.partial(f, 1)\n"
        "p(2, 3)"
    ),
    # -- project class decorators
    "class decorator returning the class": (
        "REG = []\ndef register(cls):\n    REG.append(cls)\n    return cls\n"
        "@register\nclass C:\n    def __init__(self, a): ...\nC()"
    ),
    "class decorator factory returning the class": (
        "REG = []\ndef tagged(tag):\n    def deco(cls):\n        REG.append((tag, cls))\n        return cls\n    return deco\n"
        "@tagged('x')\nclass C:\n    def m(self, a): ...\nC().m()"
    ),
    "class decorator that writes a known name": (
        "def deco(cls):\n    cls.extra = 1\n    return cls\n@deco\nclass C:\n    def m(self): ...\nC().m(1)"
    ),
    # -- writes of __init__ reach only what they can
    "super().__init__ unaffected by a write on an unrelated class": (
        "class A:\n    def __init__(self, a): ...\nclass B(A):\n    def __init__(self):\n        super().__init__()\n"
        "class Z:\n    def __init__(self): ...\ndef other(self, *a): ...\nZ.__init__ = other\nB()"
    ),
    "a write on an instance's __init__ is not construction": (
        "class C:\n    def __init__(self, a): ...\ndef other(*a): ...\nc = C(1)\nc.__init__ = other\nC()"
    ),
    "an __init__ write on a receiver we cannot resolve is trusted not to reach": (
        "class C:\n    def __init__(self, a): ...\nclass D: ...\ndef other(self, *a): ...\n"
        "def patch(obj):\n    obj.__init__ = other\npatch(D)\nC()"
    ),
    "a write on another class's __init__": (
        "class A:\n    def __init__(self, a): ...\nclass B:\n    def __init__(self, a): ...\n"
        "def other(self, *a): ...\nA.__init__ = other\nB()"
    ),
}

NEGATIVE = {
    "chain, keyword overridden": DESCRIBE + "p = partial(partial(describe, kind='car'), wheels=4)\np('b', kind='bus')",
    "stored keyword overridden again": DESCRIBE + "p = partial(describe, 1, kind=2)\np(kind=3, wheels=4)",
    "project partial is not functools'": "def partial(f, *a): return f\ndef f(a, b, c): ...\np = partial(f, 1)\np(1, 2, 3)",
    "imported partial shadowed": (
        "from functools import partial\ndef partial(f, *a): return f\ndef f(a, b, c): ...\np = partial(f, 1)\np(1, 2, 3)"
    ),
    "partial of an unknown callable": "import os\nfrom functools import partial\np = partial(os.path.join, 'a')\np('b', 'c')",
    "stored *args": "from functools import partial\ndef f(a, b): ...\nargs = (1, 2)\np = partial(f, *args)\np()",
    "stored **kwargs": "from functools import partial\ndef f(a, b): ...\nkw = {'a': 1, 'b': 2}\np = partial(f, **kw)\np()",
    "call with **kwargs": DESCRIBE + "p = partial(describe, 1)\np(**{'kind': 2, 'wheels': 3})",
    "call with *args": DESCRIBE + "p = partial(describe, 1)\np(*(2, 3))",
    "rebound to something else": (
        DESCRIBE + "import sys\np = partial(describe, 1)\nif sys:\n    p = lambda *a: a\np(1, 2, 3, 4, 5)"
    ),
    "functools.partial replaced": (
        "import functools\ndef f(a): ...\nfunctools.partial = lambda fn, *a, **k: (lambda *b, **c: None)\n"
        "p = functools.partial(f, 1)\np(2, 3)"
    ),
    "partial of a C function": "from functools import partial\np = partial(int, base=2)\np('101')",
    "partialmethod through the class is unknown": (
        "from functools import partialmethod\n"
        "class C:\n"
        "    def paint(self, colour): ...\n"
        "    grey = partialmethod(paint, 'grey')\n"
        "C.grey(C())"
    ),
    "partialmethod binds": (
        "import functools\n"
        "class C:\n"
        "    def paint(self, colour, coats=1): ...\n"
        "    primer = functools.partialmethod(paint, 'grey')\n"
        "C().primer(2)"
    ),
    "instance attribute replaced by a partial": (
        "from functools import partial\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.run = partial(self.go, 1)\n"
        "    def go(self, a, b): ...\n"
        "    def run(self): ...\n"
        "C().run(2)"
    ),
    # -- class decorators: something else than the class, or members we cannot see
    "class decorator returning something else": (
        "def swap(cls):\n    return lambda *a: a\n@swap\nclass C:\n    def __init__(self): ...\nC(1, 2)"
    ),
    "class decorator that setattrs unknown names": (
        "def add(cls):\n    for k in ('m',):\n        setattr(cls, k, lambda self, *a: None)\n    return cls\n"
        "@add\nclass C:\n    def m(self): ...\nC().m(1)"
    ),
    "class decorator returning a subclass": (
        "def sub(cls):\n    class S(cls):\n        def __init__(self, *a): ...\n    return S\n"
        "@sub\nclass C:\n    def __init__(self): ...\nC(1, 2)"
    ),
    "class decorator with a conditional other return": (
        "import sys\ndef maybe(cls):\n    if sys:\n        return lambda *a: a\n    return cls\n"
        "@maybe\nclass C:\n    def __init__(self): ...\nC(1)"
    ),
    "class decorator that writes __init__ through its parameter": (  # red team, stop 22
        "def add_init(cls):\n    cls.__init__ = lambda self, a, b: None\n    return cls\n"
        "@add_init\nclass E:\n    pass\nE(1, 2)"
    ),
    "class decorator whose nested def writes __init__ on its parameter": (
        "def add_init(cls):\n    def init(self, a, b): ...\n    def install():\n        cls.__init__ = init\n"
        "    install()\n    return cls\n@add_init\nclass E:\n    def __init__(self): ...\nE(1, 2)"
    ),
    # -- writes of __init__
    "class __init__ replaced": (
        "class C:\n    def __init__(self, a): ...\ndef other(self, *a): ...\nC.__init__ = other\nC(1, 2, 3)"
    ),
    "a base's __init__ replaced": (
        "class A:\n    def __init__(self, a): ...\nclass B(A): ...\n"
        "def other(self, *a): ...\nA.__init__ = other\nB()"
    ),
    "setattr of __init__ on the class": (
        "class C:\n    def __init__(self, a): ...\ndef other(self, *a): ...\nsetattr(C, '__init__', other)\nC()"
    ),
    "a base's __init__ replaced, reached through super()": (
        "class A:\n    def __init__(self, a): ...\nclass B(A):\n    def __init__(self):\n        super().__init__(1, 2)\n"
        "def other(self, *a): ...\nA.__init__ = other\nB()"
    ),
    "__new__ replaced": (
        "class C:\n    def __init__(self, a): ...\nC.__new__ = lambda cls, *a: object.__new__(cls)\nC.__init__ = lambda *a: None\nC()"
    ),
}


@pytest.mark.parametrize("source", POSITIVE.values(), ids=list(POSITIVE))
def test_positive_is_cpythons_error(source: str) -> None:
    found = [f for f in findings_for(source) if f.code.value != "CG201"]
    assert len(found) == 1, [f.message for f in found]
    with pytest.raises(TypeError) as info:
        _run(source)
    assert str(info.value) == found[0].message
    lines = [e.lineno + 1 for e in info.traceback if str(e.path) == "<case>"]
    assert found[0].line in lines  # the reported call is on the way to the TypeError


@pytest.mark.parametrize("source", NEGATIVE.values(), ids=list(NEGATIVE))
def test_negative_binds_and_is_silent(source: str) -> None:
    import functools

    saved = functools.partial
    try:
        _run(source)  # CPython binds every call
    finally:
        functools.partial = saved
    assert [f.message for f in findings_for(source) if f.code.value != "CG201"] == []


def test_partial_of_an_outside_python_function() -> None:
    """json.loads is read from this interpreter's standard library (never imported from there by us)."""
    from callgraph import analyze_sources
    from callgraph.environment.model import Environment

    source = "import functools, json\nloads = functools.partial(json.loads, '1')\nloads(object_hook=None)\nloads(1, 2, 3)\n"
    project = analyze_sources([("m.py", "m", False, source.encode())], environment=Environment.local(sys.executable))
    found = [(f.line, f.message) for f in project.findings()]
    with pytest.raises(TypeError) as info:
        _run(source)
    assert found == [(4, str(info.value))]


def test_a_write_on_an_outside_class_reaches_only_its_subclasses() -> None:
    """`pdb.Pdb.__init__ = f` (click's testing.py) once made every constructor unknown: it
    reaches the classes whose MRO holds `pdb.Pdb`, and no other."""
    import pdb

    from callgraph import analyze_sources
    from callgraph.environment.model import Environment

    source = (
        "import pdb\n"
        "class C:\n    def __init__(self, a): ...\n"
        "class P(pdb.Pdb): ...\n"
        "def patched(self, *a, **k): ...\n"
        "pdb.Pdb.__init__ = patched\n"
        "P(1, 2, 3)\n"
        "C()\n"
    )
    project = analyze_sources([("m.py", "m", False, source.encode())], environment=Environment.local(sys.executable))
    found = [(f.line, f.message) for f in project.findings()]
    saved = pdb.Pdb.__init__
    try:
        with pytest.raises(TypeError) as info:
            _run(source)
    finally:
        pdb.Pdb.__init__ = saved
    assert found == [(8, str(info.value))]


def test_partial_facts() -> None:
    facts = collect("m", b"import functools\np = functools.partial(functools.partial(f, 1, k=2), *a, j=3)\n")
    (b,) = [b for b in facts.bindings if b.name == "p"]
    inner = PartialFact(("functools", "partial"), ("f",), None, 1, ("k",), False)
    assert b.partial == PartialFact(("functools", "partial"), None, inner, 0, ("j",), True)
    assert merge(("a", "b"), ("b", "c")) == ("a", "b", "c")


def test_fixture_markers_are_cpythons_verdict() -> None:
    """fixtures/partial: every `# expect:` line raises CPython's TypeError with the message we
    report on it, and every `# valid` line binds (our own fixture code, executed here)."""
    from callgraph import analyze_sources

    root = Path(__file__).resolve().parents[1] / "fixtures" / "partial"
    sources = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        sources.append((path.relative_to(root).as_posix(), module, is_package, path.read_bytes()))
    found = {f.line: f.message for f in analyze_sources(sources).findings() if f.path == "shop/main.py"}
    lines = (root / "shop" / "main.py").read_text().splitlines()
    marked = {n: line for n, line in enumerate(lines, 1) if re.search(r"#\s*(expect:|valid$)", line)}
    body = "\n".join("pass" if n in marked else line for n, line in enumerate(lines, 1))
    sys.path.insert(0, str(root))
    try:
        namespace: dict = {"__name__": "fixture_main"}
        exec(compile(body, "main.py", "exec"), namespace)
        for n, line in marked.items():
            statement = line.split("#")[0].strip()
            if "# valid" in line:
                exec(statement, namespace)
                assert n not in found, (n, found[n])
            else:
                with pytest.raises(TypeError) as info:
                    exec(statement, namespace)
                assert found.get(n) == str(info.value), (n, line)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
            del sys.modules[name]
    assert sum("expect:" in line for line in marked.values()) == len(found)
