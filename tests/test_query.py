"""Symbol lookup, the signatures tables, callers/callees/path, and the edge-vs-finding policy split."""

from __future__ import annotations

import re

import json
import textwrap
from pathlib import Path

import pytest

from callgraph import analyze_sources
from callgraph.commands.cli import main
from callgraph.analysis.graph import add_possible_edges
from callgraph.reports.query import call_sites, definitions, resolve_symbol, shortest_paths, symbol_family, walk

ETL = str(Path(__file__).resolve().parents[1] / "fixtures" / "etl_pipeline")


def project_of(files: dict[str, str], possible: bool = True):
    sources = []
    for path, text in files.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        sources.append((path, ".".join(parts[:-1] if is_package else parts), is_package, textwrap.dedent(text).encode()))
    project = analyze_sources(sources)
    if possible:
        add_possible_edges(project)
    return project


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# -- signatures ------------------------------------------------------------------------------


def test_signatures_ddl_attempt_json(capsys) -> None:
    rc, out, _ = run_cli(capsys, "signatures", "_ddl_attempt", ETL, "--format", "json", "--no-cache")
    doc = json.loads(out)
    assert rc == 1  # some call cannot bind
    assert doc["symbol"] == "etl.drivers.supabase.SupabaseWriterDriver._ddl_attempt"
    defs = doc["definitions"]
    assert [(d["line"], d["bound_at_runtime"]) for d in defs] == [(99, "no"), (112, "yes")]
    assert defs[0]["signature"] == "(self, conn: _MemoryConnection, sql: str, table: str, mode: str, channel: str)"
    assert defs[1]["signature"] == "(self)"
    assert "replaced by the def at line 112" in defs[0]["note"]
    calls = doc["calls"]
    assert [c["line"] for c in calls] == [66, 72, 78, 97]
    broken = [c for c in calls if c["verdict"] == "error"]
    assert len(broken) == 3
    assert {c["message"] for c in broken} == {
        "SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given"
    }
    assert broken[2]["arguments"] == "(conn, sql, table, mode, channel)"  # multi-line call, comment dropped
    assert calls[3] == {**calls[3], "verdict": "binds", "positional": 0, "caller": "etl.drivers.supabase.SupabaseWriterDriver.stats"}


@pytest.mark.parametrize("fmt,marker", [("text", "bound at runtime"), ("markdown", "| defined at")])
def test_signatures_tables(capsys, monkeypatch, fmt: str, marker: str) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no cell wraps
    rc, out, _ = run_cli(capsys, "signatures", "SupabaseWriterDriver._ddl_attempt", ETL, "--format", fmt, "--no-cache")
    assert rc == 1
    assert marker in out
    assert "no (replaced by the def at line 112)" in out
    # the message repeated on three rows is written once, as a footnote under the table
    message = "TypeError: SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given"
    assert out.count(message) == 1
    (n,) = re.findall(r"^\[(\d+)\] " + re.escape(message), out, re.M)
    assert out.count(f"[{n}]") == 4


def test_signatures_text_fits_100_columns_when_not_a_terminal(capsys, monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    rc, out, _ = run_cli(capsys, "signatures", "SupabaseWriterDriver._ddl_attempt", ETL, "--no-cache")
    assert rc == 1 and max(len(line) for line in out.splitlines()) <= 100


def test_signatures_overrides_in_subclasses() -> None:
    project = project_of({"m.py": """
        class A:
            def run(self, x): ...
        class B(A):
            def run(self): ...
        class C: 
            def other(self): ...
        def go(a: A):
            a.run(1)
    """})
    family = symbol_family(project, "run")  # A.run and B.run are one family: not ambiguous
    assert family == ["m.A.run", "m.B.run"]
    defs = definitions(project, family)
    assert [(d.qualname, d.role, d.runtime) for d in defs] == [("A.run", "definition", "yes"), ("B.run", "override", "yes")]
    rows = call_sites(project, family)
    assert {(r.target, r.verdict) for r in rows} == {("m.A.run", "binds"), ("m.B.run", "error")}


def test_signatures_overload_stubs_and_decorators() -> None:
    project = project_of({"m.py": """
        from typing import overload
        import functools
        @overload
        def f(a: int) -> int: ...
        @overload
        def f(a: str) -> str: ...
        @functools.lru_cache(maxsize=None)
        def f(a, b=None): ...
    """})
    defs = definitions(project, symbol_family(project, "f"))
    assert [d.role for d in defs] == ["overload stub", "overload stub", "redefinition"]
    assert [d.runtime for d in defs] == ["no", "no", "yes"]
    assert defs[2].decorators == ("@functools.lru_cache(maxsize=None)",)


def test_unknown_and_ambiguous_symbols_exit_2(capsys) -> None:
    rc, out, err = run_cli(capsys, "signatures", "nothing_like_this", ETL, "--no-cache")
    assert rc == 2 and "no function, method or module named 'nothing_like_this'" in err and "Traceback" not in err
    rc, out, err = run_cli(capsys, "callers", "open", ETL, "--no-cache")  # three unrelated classes' open()
    assert rc == 2
    assert "ambiguous" in err and "etl.drivers.base.BaseDriver.open" in err and "CsvReaderDriver.open" in err
    rc, out, err = run_cli(capsys, "signatures", "PipelineConfig", ETL, "--no-cache")
    assert rc == 2 and "is a class" in err


# -- callers, callees, path ------------------------------------------------------------------


def test_callers_and_callees_with_depth(capsys) -> None:
    rc, out, _ = run_cli(capsys, "callers", "_ddl_attempt", ETL, "--depth", "1", "--no-cache")
    assert rc == 0
    assert "<- etl.drivers.supabase.SupabaseWriterDriver.create_table  [" in out
    assert "supabase.py:66]" in out and "Pipeline.prepare" not in out
    rc, out, _ = run_cli(capsys, "callers", "_ddl_attempt", ETL, "--depth", "all", "--format", "json", "--no-cache")
    edges = json.loads(out)["edges"]
    assert ("etl.cli.main", "etl.pipeline.Pipeline.run") in {(e["caller"], e["callee"]) for e in edges}
    rc, out, _ = run_cli(capsys, "callees", "etl.cli.main", ETL, "--depth", "1", "--no-cache")
    assert "-> etl.pipeline.Pipeline.run  [" in out and "cli.py:31, 32]" in out


def test_path_shortest_chain(capsys) -> None:
    rc, out, _ = run_cli(capsys, "path", "etl.cli.main", "_ddl_attempt", ETL, "--no-cache")
    assert rc == 0
    assert out.splitlines()[:2] == ["chain 1 (3 calls):", "  etl.cli.main"]
    assert "-> etl.drivers.supabase.SupabaseWriterDriver._ddl_attempt  [" in out
    rc, out, _ = run_cli(capsys, "path", "etl.transform.chunked", "etl.cli.main", ETL, "--no-cache")
    assert rc == 1 and out.startswith("no call chain")


def test_walk_and_paths_api() -> None:
    project = project_of({"m.py": """
        def a(): b(); c()
        def b(): d()
        def c(): d()
        def d(): ...
        a()
    """})
    hops = walk(project, resolve_symbol(project, "d"), None, reverse=True)
    assert {(h.caller, h.callee) for h in hops} == {("m.b", "m.d"), ("m.c", "m.d"), ("m.a", "m.b"), ("m.a", "m.c"), ("m", "m.a")}
    chains = shortest_paths(project, "m", "m.d")
    assert sorted([h.callee for h in c] for c in chains) == [["m.a", "m.b", "m.d"], ["m.a", "m.c", "m.d"]]


# -- the two policies ----------------------------------------------------------------------


def test_possible_edges_never_make_findings() -> None:
    """Calls reached only through possible targets: edges, marked possible, and no finding."""
    source = """
        def apply(fn):
            return fn(1, 2)
        def takes_one(a): ...
        apply(takes_one)
        handlers = {"x": takes_one}
        handlers["x"](1, 2, 3)
        f = lambda: takes_one(1)
        f(1, 2)
    """
    project = project_of({"m.py": source})
    edges = [(u, v, d) for u, v, d in project.graph.edges(data=True) if v in ("m.takes_one", "m.<lambda1>")]
    assert {(u, v) for u, v, _ in edges} == {
        ("m.apply", "m.takes_one"), ("m", "m.takes_one"), ("m", "m.<lambda1>"), ("m.<lambda1>", "m.takes_one")
    }
    possible = [d for u, v, d in edges if u != "m.<lambda1>"]
    assert all(d["possible"] and not d["complete"] for d in possible)
    # every target of those calls rejects them, yet the checker stays silent: unknown means silent
    assert project.findings() == []
    # ...while a certain call to the same function still reports
    found = project_of({"m.py": source.rstrip() + "\n        takes_one()\n"}).findings()
    assert [(f.code.value, f.line) for f in found] == [("CG102", 10)]


def test_calls_inside_lambdas_start_at_the_lambda() -> None:
    project = project_of({"m.py": """
        def g(a): ...
        h = lambda: g()
    """}, possible=False)
    assert [f.code.value for f in project.findings()] == ["CG102"]  # unchanged by the lambda node
    assert ("m.<lambda1>", "m.g") in project.graph.edges()
    assert project.graph.nodes["m.<lambda1>"]["kind"] == "lambda"
