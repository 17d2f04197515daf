"""The graph as data (PyCG adjacency, GraphML, node-link JSON, DOT) and as a picture (svg/png via dot)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import networkx as nx
import pytest
from test_query import ETL, project_of, run_cli

from callgraph.reports import export

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SOURCE = {
    "pkg/__init__.py": "",
    "pkg/base.py": """
        class Base:
            def __init__(self):
                self.setup()
            def setup(self): ...
        class Plain:
            def go(self): ...
    """,
    "pkg/main.py": """
        from dataclasses import dataclass
        from .base import Base, Plain
        class Child(Base): ...
        @dataclass
        class Row:
            a: int
        def idle(): ...
        def outer():
            def inner():
                Plain().go()
            inner()
        Child()
        Row(1)
        outer()
        idle(1)
    """,
}


def test_pycg_adjacency() -> None:
    adj = export.to_pycg(export.code_graph(project_of(SOURCE).graph))
    assert adj["pkg.main"] == ["pkg.base.Base.__init__", "pkg.main.Row.__init__", "pkg.main.idle", "pkg.main.outer"]
    assert adj["pkg.base.Base.__init__"] == ["pkg.base.Base.setup"]
    assert adj["pkg.main.outer"] == ["pkg.main.outer.inner"]  # <locals> dropped, as PyCG names it
    assert adj["pkg.main.outer.inner"] == ["pkg.base.Plain.go"]  # Plain() has no __init__: no edge
    assert adj["pkg.main.idle"] == [] and adj["pkg.base.Base.setup"] == [] and adj["pkg"] == []
    assert list(adj) == sorted(adj)


def test_graphml_and_json_round_trip() -> None:
    cut = export.code_graph(project_of(SOURCE).graph)
    back = nx.read_graphml(io.StringIO(export.to_graphml(cut)))
    assert set(back.nodes) == set(cut.nodes)
    assert back.number_of_edges() == cut.number_of_edges()
    edge = next(d for u, v, d in back.edges(data=True) if v == "pkg.main.idle")
    assert edge["verdict"] == "error" and edge["message"] == "idle() takes 0 positional arguments but 1 was given"
    doc = json.loads(export.to_json(cut))
    assert doc["directed"] and doc["multigraph"]
    assert nx.node_link_graph(doc, edges="edges").number_of_edges() == cut.number_of_edges()


def test_focus_neighbourhood_and_dot() -> None:
    graph = project_of(SOURCE).graph
    keep = export.neighbourhood(graph, "pkg.main.outer", 1)
    assert keep == {"pkg.main.outer", "pkg.main", "pkg.main.outer.<locals>.inner"}
    dot = export.to_dot(export.code_graph(graph), "pkg.main.idle")
    assert dot.startswith('digraph "callgraph" {') and "subgraph cluster_" in dot
    broken = next(line for line in dot.splitlines() if '-> "pkg.main.idle"' in line)
    assert "TypeError" in broken and "#c62828" in broken  # a call CPython rejects is drawn red
    assert '"pkg.main.idle" [label="idle\\n()"' in dot and "#ffe08a" in dot  # the focus is highlighted


@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_with_dot(capsys, tmp_path: Path, fmt: str, magic: bytes) -> None:
    out = tmp_path / f"ddl.{fmt}"
    rc, _, err = run_cli(capsys, "graph", ETL, "--focus", "_ddl_attempt", "--format", fmt, "-o", str(out), "--no-cache")
    assert rc == 0, err
    assert magic in out.read_bytes()[:400]


def test_missing_dot_is_a_clear_error(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    rc, _, err = run_cli(capsys, "graph", ETL, "--format", "svg", "-o", str(tmp_path / "x.svg"), "--no-cache")
    assert rc == 2
    assert "dot' is not installed" in err and "apt-get install graphviz" in err and "Traceback" not in err


def test_graph_cli_formats(capsys) -> None:
    rc, out, _ = run_cli(capsys, "graph", ETL, "--format", "pycg", "--no-cache")
    adj = json.loads(out)
    assert rc == 0
    assert "etl.drivers.supabase.SupabaseWriterDriver._ddl_attempt" in adj["etl.drivers.supabase.SupabaseWriterDriver.stats"]
    rc, out, _ = run_cli(capsys, "graph", ETL, "--focus", "_ddl_attempt", "--depth", "1", "--format", "dot", "--no-cache")
    # 4 callers, and `raise DriverError(...)`: BaseException's constructor (a synthesised __init__)
    assert out.count(" -> ") == 5
    assert '"etl.drivers.supabase.SupabaseWriterDriver._ddl_attempt" -> "etl.drivers.base.DriverError.__init__"' in out
    rc, _, err = run_cli(capsys, "graph", ETL, "--focus", "nope", "--no-cache")
    assert rc == 2 and "no function" in err
