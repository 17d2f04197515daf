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
    # -- project decorators
    "decorator returning its function": "def deco(f): return f\n@deco\ndef f(a): ...\nf()",
    "wraps *args **kwargs": (
        "import functools\ndef deco(fn):\n    @functools.wraps(fn)\n    def w(*a, **k): return fn(*a, **k)\n"
        "    return w\n@deco\ndef f(a): ...\nf(1, 2)"
    ),
    "pass-through without wraps, after other statements": (
        "def logged(fn):\n"
        "    def inner(*args, **kwargs):\n"
        "        print('calling')\n"
        "        return fn(*args, **kwargs)\n"
        "    return inner\n"
        "@logged\n"
        "def f(a, *, b): ...\n"
        "f(1)"
    ),
    "wrapper of another signature": (
        "def timed(fn):\n"
        "    def run():\n"
        "        return fn('x')\n"
        "    return run\n"
        "@timed\n"
        "def greet(name): ...\n"
        "greet('x')"
    ),
    "wraps copies the name, the wrapper's parameters bind": (
        "import functools\n"
        "def one(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def run(x):\n"
        "        return fn(x, 0)\n"
        "    return run\n"
        "@one\n"
        "def add(a, b): ...\n"
        "add(1, 2)"
    ),
    "decorator factory": (
        "from functools import wraps\n"
        "def retry(times):\n"
        "    def decorate(fn):\n"
        "        @wraps(fn)\n"
        "        def attempt(*args, **kwargs):\n"
        "            return fn(*args, **kwargs)\n"
        "        return attempt\n"
        "    return decorate\n"
        "@retry(3)\n"
        "def fetch(url): ...\n"
        "fetch(url='u', timeout=2)"
    ),
    "factory wrapper of another signature": (
        "def every(n):\n"
        "    def decorate(fn):\n"
        "        def tick(count):\n"
        "            return fn()\n"
        "        return tick\n"
        "    return decorate\n"
        "@every(2)\n"
        "def beat(): ...\n"
        "beat()"
    ),
    "decorated method": (
        "import functools\n"
        "def deco(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def w(*a, **k):\n"
        "        return fn(*a, **k)\n"
        "    return w\n"
        "class C:\n"
        "    @deco\n"
        "    def m(self, x): ...\n"
        "C().m()"
    ),
    "decorated method, wrapper of another signature": (
        "def deco(fn):\n"
        "    def w(self):\n"
        "        return fn(self, 1)\n"
        "    return w\n"
        "class C:\n"
        "    @deco\n"
        "    def m(self, x): ...\n"
        "C().m(1)"
    ),
    "decorator returning the function or a wrapper": (
        "import os\n"
        "def maybe(fn):\n"
        "    if os.environ.get('NO_WRAP'):\n"
        "        return fn\n"
        "    def w(*a, **k):\n"
        "        return fn(*a, **k)\n"
        "    return w\n"
        "@maybe\n"
        "def f(): ...\n"
        "f(1)"
    ),
    "update_wrapper under cast, leading self handed on": (
        "import typing as t\n"
        "from functools import update_wrapper\n"
        "def setupmethod(f):\n"
        "    name = f.__name__\n"
        "    def wrapper_func(self, *args, **kwargs):\n"
        "        self.check(name)\n"
        "        return f(self, *args, **kwargs)\n"
        "    return t.cast('F', update_wrapper(wrapper_func, f))\n"
        "class App:\n"
        "    def check(self, name): ...\n"
        "    @setupmethod\n"
        "    def add_url_rule(self, rule, endpoint=None): ...\n"
        "App().add_url_rule('/', 'index', 3)"
    ),
    "leading parameter given twice": (
        "import typing as t\n"
        "from functools import update_wrapper\n"
        "def setupmethod(f):\n"
        "    name = f.__name__\n"
        "    def wrapper_func(self, *args, **kwargs):\n"
        "        self.check(name)\n"
        "        return f(self, *args, **kwargs)\n"
        "    return t.cast('F', update_wrapper(wrapper_func, f))\n"
        "class App:\n"
        "    def check(self, name): ...\n"
        "    @setupmethod\n"
        "    def add_url_rule(self, rule, endpoint=None): ...\n"
        "App().add_url_rule('/', rule='/x')"
    ),
    "the wrapper's own error comes first": (
        "import typing as t\n"
        "from functools import update_wrapper\n"
        "def setupmethod(f):\n"
        "    name = f.__name__\n"
        "    def wrapper_func(self, *args, **kwargs):\n"
        "        self.check(name)\n"
        "        return f(self, *args, **kwargs)\n"
        "    return t.cast('F', update_wrapper(wrapper_func, f))\n"
        "class App:\n"
        "    def check(self, name): ...\n"
        "    @setupmethod\n"
        "    def add_url_rule(self, rule, endpoint=None): ...\n"
        "App.add_url_rule()"
    ),
    "wraps(fn)(wrapper) with a leading parameter": (
        "from functools import wraps\n"
        "def plain(f):\n"
        "    def w(a, *args, **kwargs):\n"
        "        return f(a, *args, **kwargs)\n"
        "    return wraps(f)(w)\n"
        "@plain\n"
        "def g(a, b): ...\n"
        "g(1)"
    ),
    # -- object creation
    "super().__new__ passes cls explicitly": (
        "class Base:\n"
        "    def __new__(cls, value):\n"
        "        return super().__new__(cls)\n"
        "class Reading(Base):\n"
        "    def __new__(cls, value, unit):\n"
        "        return super().__new__(cls)\n"
        "Reading(1, 'c')"
    ),
    "__new__ alone decides": (
        "class Token:\n"
        "    def __new__(cls, text):\n"
        "        return super().__new__(cls)\n"
        "Token()"
    ),
    "a base's __new__ rejects before the subclass __init__": (
        "class Base:\n"
        "    def __new__(cls):\n"
        "        return super().__new__(cls)\n"
        "class C(Base):\n"
        "    def __init__(self, x): ...\n"
        "C(1)"
    ),
    "project metaclass without __call__": (
        "class Registry(type):\n"
        "    names = []\n"
        "    def all(cls):\n"
        "        return cls.names\n"
        "class Sub(Registry): ...\n"
        "class Node(metaclass=Sub):\n"
        "    def __init__(self, left, right): ...\n"
        "class Leaf(Node): ...\n"
        "Leaf(1)"
    ),
    # -- *args/**kwargs handed on
    "function handing its call on": (
        "def target(a, b): ...\n"
        "def wrap(*a, **kw):\n"
        "    return target(*a, **kw)\n"
        "wrap(1)"
    ),
    "handing on to a class": (
        "class Point:\n"
        "    def __init__(self, x, y): ...\n"
        "def make(*args, **kwargs):\n"
        "    return Point(*args, **kwargs)\n"
        "make(1, 2, z=3)"
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
    # -- decorators that change the arguments stay unknown
    "wrapper injects a positional": (
        "import functools\n"
        "def with_session(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def wrapper(*args, **kwargs):\n"
        "        return fn('session', *args, **kwargs)\n"
        "    return wrapper\n"
        "@with_session\n"
        "def query(session, sql): ...\n"
        "query('select 1')"
    ),
    "wrapper injects a keyword": (
        "import functools\n"
        "def inject(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def wrapper(*args, **kwargs):\n"
        "        kwargs.setdefault('conn', None)\n"
        "        return fn(*args, **kwargs)\n"
        "    return wrapper\n"
        "@inject\n"
        "def save(row, *, conn): ...\n"
        "save(1)"
    ),
    "wrapper strips a keyword": (
        "def timed(fn):\n"
        "    def wrapper(*args, timeout=None, **kwargs):\n"
        "        return fn(*args, **kwargs)\n"
        "    return wrapper\n"
        "@timed\n"
        "def fetch(url): ...\n"
        "fetch('u', timeout=3)"
    ),
    "wrapper may not call the function": (
        "def cached(fn):\n"
        "    def wrapper(*args, **kwargs):\n"
        "        if args:\n"
        "            return None\n"
        "        return fn(*args, **kwargs)\n"
        "    return wrapper\n"
        "@cached\n"
        "def f(): ...\n"
        "f(1)"
    ),
    "wrapper swallows the error": (
        "def safe(fn):\n"
        "    def wrapper(*args, **kwargs):\n"
        "        try:\n"
        "            return fn(*args, **kwargs)\n"
        "        except Exception:\n"
        "            return None\n"
        "    return wrapper\n"
        "@safe\n"
        "def f(): ...\n"
        "f(1)"
    ),
    "decorator returning something unknowable": (
        "import functools\n"
        "def deco(fn):\n"
        "    return functools.partial(fn, 1)\n"
        "@deco\n"
        "def f(a): ...\n"
        "f()"
    ),
    "decorator that may return None": (
        "import os\n"
        "def register(fn):\n"
        "    if os.environ.get('X'):\n"
        "        return fn\n"
        "@register\n"
        "def f(a): ...\n"
        "os.environ.get('X') and f(1)"
    ),
    "async wrapper": (
        "def deco(fn):\n"
        "    async def w(*a, **k):\n"
        "        return await fn(*a, **k)\n"
        "    return w\n"
        "@deco\n"
        "async def f(): ...\n"
        "f(1).close()"
    ),
    "decorator with options": (
        "def deco(fn=None, *, name=''):\n"
        "    return fn\n"
        "@deco\n"
        "def f(a): ...\n"
        "f(1)"
    ),
    "leading parameter given by keyword": (
        "import typing as t\n"
        "from functools import update_wrapper\n"
        "def setupmethod(f):\n"
        "    name = f.__name__\n"
        "    def wrapper_func(self, *args, **kwargs):\n"
        "        self.check(name)\n"
        "        return f(self, *args, **kwargs)\n"
        "    return t.cast('F', update_wrapper(wrapper_func, f))\n"
        "class App:\n"
        "    def check(self, name): ...\n"
        "    @setupmethod\n"
        "    def add_url_rule(self, rule, endpoint=None): ...\n"
        "App().add_url_rule(rule='/')"
    ),
    "a base's __new__ may return something else: __init__ is not run": (
        "class Base:\n"
        "    def __new__(cls, *a):\n"
        "        return 42\n"
        "class C(Base):\n"
        "    def __init__(self): ...\n"
        "C(1)"
    ),
    "__new__ with super().__new__ accepting": (
        "class Base:\n"
        "    def __new__(cls, *args, **kwargs):\n"
        "        return super().__new__(cls)\n"
        "class C(Base):\n"
        "    def __new__(cls, value):\n"
        "        return super().__new__(cls, value, 1)\n"
        "C(1)"
    ),
    "metaclass __call__ is the target": (
        "class Pairing(type):\n"
        "    def __call__(cls, *args):\n"
        "        return super().__call__()\n"
        "class Node(metaclass=Pairing):\n"
        "    def __init__(self): ...\n"
        "Node(1, 2)"
    ),
    "metaclass __init__ may rewrite the class": (
        "class Meta(type):\n"
        "    def __init__(cls, name, bases, ns):\n"
        "        super().__init__(name, bases, ns)\n"
        "        setattr(cls, '__init__', lambda self, *a: None)\n"
        "class Node(metaclass=Meta):\n"
        "    def __init__(self): ...\n"
        "Node(1, 2)"
    ),
    "metaclass __new__ may return anything": (
        "class Meta(type):\n"
        "    def __new__(mcs, name, bases, ns):\n"
        "        return print\n"
        "class Node(metaclass=Meta):\n"
        "    def __init__(self): ...\n"
        "Node(1, 2)"
    ),
    "handing on after changing args": (
        "def target(a, b): ...\n"
        "def wrap(*a, **kw):\n"
        "    a = a + (2,)\n"
        "    return target(*a, **kw)\n"
        "wrap(1)"
    ),
    "handing on with a leading parameter": (
        "def g(a, b): ...\n"
        "def h(a, *args, **kwargs):\n"
        "    return g(a, *args, **kwargs)\n"
        "h(b=2, a=1)"
    ),
    "handing on to an unknown callee": (
        "import os\n"
        "def wrap(*a, **kw):\n"
        "    return os.path.join(*a, **kw)\n"
        "wrap('a', 'b', 'c')"
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
    assert found[0].line in lines  # the reported call is on the way to the TypeError


@pytest.mark.parametrize("source", NEGATIVE.values(), ids=list(NEGATIVE))
def test_negative_binds_and_is_silent(source: str) -> None:
    _run(source)  # CPython binds every call
    assert [f.message for f in findings_for(source)] == []


def test_preserving_and_mutator_name_project_decorators() -> None:
    """`--preserving pkg.deco` trusts a project decorator whose body we cannot follow;
    `--mutator pkg.deco` distrusts one we could."""
    from callgraph import analyze_sources

    source = (
        "import registry\n"
        "def opaque(fn):\n"
        "    return registry.wrap(fn)\n"
        "def plain(fn):\n"
        "    return fn\n"
        "@opaque\n"
        "def f(a): ...\n"
        "@plain\n"
        "def g(a): ...\n"
        "f()\n"
        "g()\n"
    ).encode()
    files = [("m.py", "m", False, source)]
    messages = lambda **kw: [x.message for x in analyze_sources(files, **kw).findings()]  # noqa: E731
    assert messages() == ["g() missing 1 required positional argument: 'a'"]
    assert messages(preserving=["m.opaque"]) == [
        "f() missing 1 required positional argument: 'a'",
        "g() missing 1 required positional argument: 'a'",
    ]
    assert messages(mutators=["m.plain"]) == []


def test_fixture_markers_are_cpythons_verdict() -> None:
    """fixtures/dynamic: every `# expect:` line raises CPython's TypeError with the message we
    report on it, and every `# valid` line binds (our own fixture code, executed here)."""
    import re
    from pathlib import Path

    from callgraph import analyze_sources

    root = Path(__file__).resolve().parents[1] / "fixtures" / "dynamic"
    files = sorted(root.rglob("*.py"))
    sources = []
    for path in files:
        rel = path.relative_to(root)
        parts = rel.with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        sources.append((rel.as_posix(), module, is_package, path.read_bytes()))
    found = {f.line: f.message for f in analyze_sources(sources).findings() if f.path == "app/main.py"}
    text = (root / "app" / "main.py").read_text()
    lines = text.splitlines()
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
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]
    assert sum("expect:" in line for line in marked.values()) == len(found)
