"""`--infer`: astroid's inference as an opt-in deeper resolver for the graph commands.

Inferred edges are marked `inferred`; only an unambiguous inference makes an edge complete (and so
able to feed a verdict), and `callgraph check` never asks astroid.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from callgraph import analyze_sources
from callgraph.analysis.checks import call_findings
from callgraph.commands.cli import main
from callgraph.analysis.graph import add_possible_edges
from callgraph.analysis.infer import add_inferred_edges
from callgraph.pipeline import analyze

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

MODELS = """
class Runner:
    def run(self, x):
        return x

class Other:
    def run(self):
        return 1

def make():
    return Runner()

def pick(flag):
    if flag:
        return Runner()
    return Other()
"""


def project_of(files: dict[str, str], *, possible: bool = True, infer: bool = True):
    sources, texts = [], {}
    for path, text in files.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        text = textwrap.dedent(text)
        texts[module] = text
        sources.append((path, module, is_package, text.encode()))
    project = analyze_sources(sources)
    if possible:
        add_possible_edges(project)
    if infer:
        project.infer_stats = add_inferred_edges(project, texts)
    return project


def edges_at(project, line: int, module: str = "app.main") -> list[dict]:
    return [
        d | {"callee": v}
        for _, v, d in project.graph.edges(data=True)
        if d.get("call") is not None and d["call"].module == module and d["line"] == line
    ]


def app(main_text: str, models: str = MODELS) -> dict[str, str]:
    return {"app/__init__.py": "", "app/models.py": models, "app/main.py": main_text}


# -- what inference adds ---------------------------------------------------------------------------


def test_receiver_returned_by_a_function() -> None:
    p = project_of(app("""
        from app import models

        def get():
            return models.Runner()

        def main():
            r = get()
            r.run(1, 2)
    """), possible=False)
    [edge] = edges_at(p, 9)
    assert edge["callee"] == "app.models.Runner.run"
    assert edge["inferred"] and edge["complete"] and not edge["possible"]
    [finding] = call_findings(p)  # an unambiguous inference may feed a verdict (only with --infer)
    assert "takes 2 positional arguments but 3 were given" in finding.message


def test_factory_through_an_alias() -> None:
    p = project_of(app("""
        from app.models import make

        def main():
            factory = make
            obj = factory()
            obj.run(3)
    """), possible=False)
    [edge] = edges_at(p, 7)
    assert edge["callee"] == "app.models.Runner.run" and edge["inferred"] and edge["complete"]


def test_chain_make_run_upgrades_the_possible_edge() -> None:
    p = project_of(app("""
        from app.models import make

        def main():
            make().run(1)
    """))
    edges = [e for e in edges_at(p, 5) if e["callee"] == "app.models.Runner.run"]
    assert len(edges) == 1  # the possible edge is confirmed, not duplicated
    assert edges[0]["inferred"] and edges[0]["complete"] and not edges[0]["possible"]
    assert p.infer_stats.upgraded == 1


def test_class_returned_by_a_function_is_constructed() -> None:
    p = project_of(app("""
        from app.models import Runner

        def kind():
            return Runner

        def main():
            kind()()
    """), possible=False)
    [edge] = [e for e in edges_at(p, 8) if e.get("inferred")]
    assert edge["callee"] == "app.models.Runner.__init__"


# -- ambiguity: edges, never verdicts ----------------------------------------------------------------


def test_two_inferred_values_are_possible_only() -> None:
    p = project_of(app("""
        from app.models import pick

        def main(flag):
            pick(flag).run()
    """), possible=False)
    edges = [e for e in edges_at(p, 5) if e["callee"].endswith(".run")]
    assert {e["callee"] for e in edges} == {"app.models.Runner.run", "app.models.Other.run"}
    assert all(e["inferred"] and e["possible"] and not e["complete"] for e in edges)
    assert call_findings(p) == []


@pytest.mark.parametrize(
    "models, call",
    [
        # a subclass in the project overrides the method
        (MODELS + "\nclass Sub(Runner):\n    def run(self):\n        return 2\n", "make().run()"),
        # an unknown decorator: the call reaches whatever it returned
        ("import functools\ndef deco(f):\n    return f\nclass Runner:\n    @deco\n    def run(self, x):\n        pass\n"
         "def make():\n    return Runner()\n", "make().run()"),
        # the method name is reassigned on some object elsewhere
        (MODELS + "\ndef patch(o):\n    o.run = len\n", "make().run()"),
    ],
)
def test_unsafe_targets_never_complete(models: str, call: str) -> None:
    p = project_of(app(f"""
        from app.models import make

        def main():
            {call}
    """, models), possible=False)
    inferred = [e for e in edges_at(p, 5) if e.get("inferred")]
    assert all(e["possible"] and not e["complete"] for e in inferred)
    assert call_findings(p) == []


def test_self_and_type_self_receivers_never_complete() -> None:
    p = project_of(app(main_text := """
        from app.models import Runner

        class Box:
            def __init__(self):
                self.r = Runner()

            def go(self):
                self.r.run(1, 2)
                type(self)(1)
    """), possible=False)
    for line in (9, 10):
        assert all(not e["complete"] for e in edges_at(p, line) if e.get("inferred"))
    plain = project_of(app(main_text), possible=False, infer=False)
    assert call_findings(p) == call_findings(plain)  # whatever the checker says itself, nothing more


def test_unknown_parameter_and_outside_modules_add_nothing() -> None:
    p = project_of(app("""
        import json
        from app.models import Runner

        def main(x, r=Runner()):
            x.run(1, 2, 3)
            r.run(1, 2, 3)
            json.loads("1", 2, 3, 4)
    """), possible=False)
    for line in (6, 7, 8):
        assert not [e for e in edges_at(p, line) if e.get("inferred") and e["complete"]]
    assert call_findings(p) == []


def test_certain_only_adds_unambiguous_edges_only() -> None:
    files = app("""
        from app.models import make, pick

        def main(flag):
            make().run(1)
            pick(flag).run()
    """)
    sources = [(k, k.removesuffix(".py").replace("/__init__", "").replace("/", "."), k.endswith("__init__.py"),
                textwrap.dedent(v).encode()) for k, v in files.items()]
    p = analyze_sources(sources)
    add_inferred_edges(p, {m: textwrap.dedent(files[k]) for k, m, _, _ in sources}, certain_only=True)
    assert [e["callee"] for e in edges_at(p, 5) if e["callee"].endswith(".run")] == ["app.models.Runner.run"]
    assert [e for e in edges_at(p, 6) if e["callee"].endswith(".run")] == []


# -- safety: never import, restore astroid, check untouched --------------------------------------------


def test_never_imports_analysed_code_and_restores_astroid(tmp_path: Path, monkeypatch) -> None:
    from astroid import MANAGER
    from astroid.manager import AstroidManager

    marker = tmp_path / "imported"
    pkg = tmp_path / "boom"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass A:\n    def m(self): pass\n")
    (pkg / "use.py").write_text("import boom\nimport sitecustomize_not_here\n\ndef f():\n    return boom.A()\n\nf().m()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    original = AstroidManager.ast_from_module_name
    before = set(MANAGER.astroid_cache)
    project = analyze([str(pkg)])
    stats = add_inferred_edges(project)
    assert stats.asked >= 1 and stats.resolved >= 1
    assert not marker.exists()
    assert AstroidManager.ast_from_module_name is original
    assert set(MANAGER.astroid_cache) == before
    assert "boom" not in MANAGER.astroid_cache


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_inference_adds_no_finding_on_fixtures(fixture: str) -> None:
    project = analyze([str(FIXTURES / fixture)])
    before = {(f.path, f.line, f.code) for f in call_findings(project)}
    add_possible_edges(project)
    add_inferred_edges(project)
    assert {(f.path, f.line, f.code) for f in call_findings(project)} == before


# -- the commands --------------------------------------------------------------------------------------


def write_app(root: Path, main_text: str) -> Path:
    for rel, text in app(main_text).items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(textwrap.dedent(text))
    return root / "app"


def test_commands_accept_infer(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # text tables wide enough that no message wraps
    write_app(tmp_path, """
        from app.models import make

        def main():
            make().run(1, 2)
    """)
    assert main(["signatures", "Runner.run", "app", "--certain", "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["signatures", "Runner.run", "app", "--certain", "--infer", "--no-cache"]) == 1
    assert "takes 2 positional arguments but 3 were given" in capsys.readouterr().out
    assert main(["callees", "app.main.main", "app", "--certain", "--infer", "--no-cache"]) == 0
    assert "app.models.Runner.run" in capsys.readouterr().out
    assert main(["path", "app.main.main", "Runner.run", "app", "--certain", "--infer", "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["graph", "app", "--certain", "--format", "json", "--no-cache"]) == 0
    without = json.loads(capsys.readouterr().out)
    assert main(["graph", "app", "--certain", "--format", "json", "--infer", "--no-cache"]) == 0
    with_infer = json.loads(capsys.readouterr().out)
    key = "links" if "links" in with_infer else "edges"
    assert len(with_infer[key]) == len(without[key]) + 1


def test_check_has_no_infer_option(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--infer", str(FIXTURES / "unknown_silent")])
    capsys.readouterr()
