"""The call graph follows values (issue 15): one resolver in two modes, value flows, callbacks.

The edges here are possible ones (dashed, never a finding); what CPython really does for each
shape is checked by the traced cases under fixtures/cg_bench (tests/test_cg_bench.py).
"""

from __future__ import annotations

import textwrap

import pytest

from callgraph import analyze_sources
from callgraph.analysis.graph import add_possible_edges
from callgraph.facts.collector import collect
from callgraph.facts.model import FlowKind
from callgraph.resolve.possible import PossibleResolver
from callgraph.resolve.resolver import Resolver


def graph_of(source: str):
    project = analyze_sources([("m.py", "m", False, textwrap.dedent(source).encode())])
    graph = add_possible_edges(project)
    return project, graph


def edges(graph) -> set[tuple[str, str]]:
    return {(u, v) for u, v in graph.edges()}


def test_one_resolver_two_modes() -> None:
    """The lenient resolver is the checker's, with `lenient` set: no rule of its own but the flows."""
    assert Resolver.lenient is False and PossibleResolver.lenient is True
    own = {name for name in vars(PossibleResolver) if callable(vars(PossibleResolver)[name])}
    copied = own & {
        "attr_values", "_class_member", "_instance_attr", "_super_values", "call_result", "_bindings_values",
        "_binding_values", "function_values", "targets_of",
    }
    assert copied == set()


@pytest.mark.parametrize(
    "source, kind, name, key, ref",
    [
        ("def g():\n    yield f\n", FlowKind.YIELD, "", "[?]", ("f",)),
        ("def g():\n    yield from h()\n", FlowKind.YIELD, "", "[*]", ("h", "()")),
        ("with open(p) as fh:\n    pass\n", FlowKind.BIND, "fh", "", ("open", "()", "__enter__", "()")),
        ("try:\n    pass\nexcept E as e:\n    pass\n", FlowKind.BIND, "e", "", ("E", "()")),
        ("a, b = f, g\n", FlowKind.BIND, "b", "", ("g",)),
        ("a, b = pair\n", FlowKind.BIND, "b", "", ("pair", "[1]")),
        ("for k, v in d.items():\n    pass\n", FlowKind.BIND, "v", "[*]", ("d", "values", "()")),
        ("[g() for g in [f, h]]\n", FlowKind.BIND, "g", "", ("h",)),
        ("d['k'] = f\n", FlowKind.ITEM, "d", "['k']", ("f",)),
        ("hooks.append(f)\n", FlowKind.ITEM, "hooks", "[?]", ("f",)),
        ("class C:\n    def m(self, f):\n        self.h = f\n", FlowKind.ATTR, "h", "", ("f",)),
    ],
)
def test_flow_facts(source: str, kind: FlowKind, name: str, key: str, ref: tuple) -> None:
    flows = collect("m", source.encode()).flows
    assert any(f.kind is kind and f.name == name and f.key == key and f.ref == ref for f in flows), flows


def test_flows_make_possible_edges_and_never_findings() -> None:
    """Each target below rejects its call, yet no finding: the values are only possible."""
    project, graph = graph_of("""
        def one(a): ...
        def gen():
            yield one
        for step in gen():
            step(1, 2, 3)
        table = {}
        table["k"] = one
        table["k"](1, 2, 3)
        class Box:
            def __init__(self, handler):
                self.handler = handler
            def fire(self):
                self.handler(1, 2, 3)
        Box(one).fire()
        list(map(one, [1]))
    """)
    got = edges(graph)
    assert {("m", "m.one"), ("m.Box.fire", "m.one")} <= got
    for u, v, d in graph.edges(data=True):
        if v == "m.one":
            assert d["possible"] and not d["complete"]
    assert project.findings() == []


def test_callback_edges_carry_no_call() -> None:
    """`sorted(xs, key=f)`: f runs with sorted's arguments, never the call's, so no verdict is drawn."""
    _, graph = graph_of("""
        def weight(a, b, c): ...
        sorted([1], key=weight)
    """)
    callback = [d for u, v, d in graph.edges(data=True) if (u, v) == ("m", "m.weight")]
    assert callback and all(d["call"] is None and d["kind"] == "callback" for d in callback)


def test_cycles_end_without_truncating() -> None:
    """A generator that yields from itself and an attribute rebuilt from itself: a recursion once
    dropped every possible edge of django and rich (RecursionError, `possible_truncated`)."""
    _, graph = graph_of("""
        def leaf(): ...
        def walk(n):
            yield leaf
            yield from walk(n)
        for f in walk(1):
            f()
        class Node:
            def __init__(self):
                self.next = Node()
            def step(self):
                self.next = self.next.grow()
                return self.next
            def grow(self):
                return self
        Node().step().grow()
    """)
    assert not graph.graph.get("possible_truncated")
    assert ("m", "m.leaf") in edges(graph)


def test_certain_leaves_out_the_flows() -> None:
    project = analyze_sources([("m.py", "m", False, b"def f(): ...\nfor g in [f]:\n    g()\n")])
    assert ("m", "m.f") not in edges(project.graph)
    assert ("m", "m.f") in edges(add_possible_edges(project))
