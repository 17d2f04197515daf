"""The layout stays honest: one folder per stage, imports only downwards, no circles, small modules.

Every module under `callgraph/` and `probes/` is read with `ast` (never imported), and every
`import` is resolved to an absolute dotted name: relative ones included, and those inside
functions and `if TYPE_CHECKING:` blocks too. Dynamic imports (`importlib.import_module`, as
`commands/cli.py` finds its subcommands) are invisible here; keep them inside one folder.

A *node* is a folder of `callgraph/` (`facts`, `resolve`, ...), a top-level module of it
(`errors`, `config`, `pipeline`, ...) or the top-level package `probes`. `LAYERS` below is the
table of `docs/ARCHITECTURE.md`: which nodes each node may import. Lower never imports higher,
not even lazily in a function.

"Module level" means outside any function: an import under `if TYPE_CHECKING:` counts, since a
circle through type hints is still a circle in the design.
"""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("callgraph", "probes")
MAX_LINES = 800

# -- the table: node -> the nodes it may import (besides itself) ------------------------------------

LEAVES = frozenset({"errors", "version", "gc_pause", "subprocesses", "reading", "patterns"})
CORE = LEAVES | {"facts", "resolve", "analysis", "store"}

LAYERS: dict[str, frozenset[str]] = {
    # leaf modules: nothing of ours
    "errors": frozenset(),
    "version": frozenset(),
    "gc_pause": frozenset(),
    "subprocesses": frozenset(),  # the one bounded runner of other programs
    "reading": frozenset(),  # the one reader of files: regular only, bounded, inside the analysed roots
    "patterns": frozenset(),  # gitignore-style patterns, matched in linear time
    # the stages, bottom up
    "facts": LEAVES,
    "resolve": LEAVES | {"facts"},
    "analysis": LEAVES | {"facts", "resolve"},
    "store": LEAVES | {"facts", "resolve", "analysis", "environment"},  # outside modules' facts, cached
    # the wings: versions of the code to analyse. snapshots <-> probes only as NARROW says.
    "snapshots": frozenset({"errors", "subprocesses", "reading", "facts", "probes"}),
    "probes": frozenset({"errors", "subprocesses", "facts", "snapshots"}),
    "environment": frozenset({"errors", "subprocesses", "reading", "facts"}),  # the interpreter the code runs under
    "config": frozenset({"errors", "reading", "patterns", "facts"}),
    # the orchestrator, then what reads its result
    "pipeline": CORE | {"snapshots", "environment", "config"},
    "reports": CORE | {"snapshots", "environment", "probes", "config", "pipeline"},
    "commands": CORE | {"snapshots", "environment", "probes", "config", "pipeline", "reports"},
    "__main__": frozenset({"commands"}),
}

# Edges the table allows between two nodes, but only between these modules ("*": any module of it).
# snapshots/spec.py hands remote specs to probes, which import the snapshot types back, and that is
# the only way the two packages know each other.
NARROW: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("snapshots", "probes"): (("callgraph.snapshots.spec", "*"),),
    ("probes", "snapshots"): (("*", "callgraph.snapshots.base"),),
}

# The only folder-level circle: the wing and its remote kinds, through NARROW's edges.
ALLOWED_FOLDER_CIRCLES = [frozenset({"snapshots", "probes"})]

# The only module-level circle: the MRO needs names, and names need the MRO. `resolver` imports
# `classes` at module level; `classes` imports `resolver` for its type hints (and in functions).
ALLOWED_MODULE_CIRCLES = [frozenset({"callgraph.resolve.classes", "callgraph.resolve.resolver"})]

# The public API (`callgraph/__init__.py`) re-exports every layer, so it is exempt as an importer;
# nothing inside the packages may import it (that would import everything).
API = "callgraph"

# -- known violations, each one edge, kept visible until someone decides --------------------------

# Imports that name no module of ours, as (importer, what the import says): line numbers drift.
UNRESOLVED_ALLOWLIST: set[tuple[str, str]] = set()

# Modules over MAX_LINES: path -> the most lines it may have until it is split (never more).
SIZE_ALLOWLIST: dict[str, int] = {}


# -- reading the imports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    importer: str  # dotted name of the importing module
    path: str  # its file, relative to the repository
    line: int
    target: str  # dotted name of the imported module (ours only), or what the import said
    in_function: bool
    type_checking: bool
    resolved: bool = True

    @property
    def where(self) -> str:
        how = " (in a function)" if self.in_function else " (under TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.path}:{self.line}{how}"


def module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def module_files(root: Path = REPO) -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            files[module_name(path, root)] = path
    return files


def node_of(module: str) -> str:
    """The layer a module belongs to: `callgraph.facts.model` -> `facts`, `probes.probe` -> `probes`."""
    parts = module.split(".")
    if parts[0] == "probes":
        return "probes"
    return parts[1] if len(parts) > 1 else API


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Reader(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, root: Path) -> None:
        self.module, self.path, self.is_package = module, str(path.relative_to(root)), path.name == "__init__.py"
        self.known = module_files(root)
        self.imports: list[Import] = []
        self.functions = 0
        self.type_checking = 0

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            return self.generic_visit(node)
        self.visit(node.test)
        self.type_checking += 1
        for child in node.body:
            self.visit(child)
        self.type_checking -= 1
        for child in node.orelse:
            self.visit(child)

    def _add(self, node: ast.stmt, target: str, resolved: bool = True) -> None:
        if resolved and target.split(".")[0] not in PACKAGES:
            return  # the standard library or a dependency
        if resolved and target not in self.known:  # `from callgraph.gone import x` names no module
            resolved = False
        self.imports.append(
            Import(self.module, self.path, node.lineno, target, self.functions > 0, self.type_checking > 0, resolved)
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:  # `import a.b.c`: a.b.c (its parents' `__init__`s hold no imports but the API's)
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            if node.level > len(package):  # climbs above the top-level package: ImportError when run
                said = f"from {'.' * node.level}{node.module or ''} import {', '.join(a.name for a in node.names)}"
                return self._add(node, said, resolved=False)
            base = ".".join(package[: len(package) - node.level + 1])
            source = f"{base}.{node.module}" if node.module else base
        else:
            source = node.module or ""
        for alias in node.names:  # `from pkg import mod` imports the module pkg.mod; else pkg itself
            submodule = f"{source}.{alias.name}"
            self._add(node, submodule if submodule in self.known else source)


@functools.cache
def all_imports(root: Path = REPO) -> tuple[Import, ...]:
    imports = []
    for module, path in module_files(root).items():
        reader = _Reader(module, path, root)
        reader.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        imports.extend(reader.imports)
    return tuple(imports)


def resolved_imports() -> list[Import]:
    return [i for i in all_imports() if i.resolved]


def _cycle_text(graph: nx.DiGraph, nodes: set[str]) -> str:
    cycle = nx.find_cycle(graph.subgraph(nodes))
    return " -> ".join(f"{a} ({graph.edges[a, b]['where']})" for a, b in cycle) + f" -> {cycle[0][0]}"


def _nodes_present() -> set[str]:
    return {node_of(m) for m in module_files()} - {API}


# -- the tests ----------------------------------------------------------------------------------------


READER_CASES = {
    "callgraph/__init__.py": "from .facts.model import Fact\n",
    "callgraph/errors.py": "",
    "callgraph/facts/__init__.py": '"""Facts."""\n',
    "callgraph/facts/model.py": "import os.path\nimport callgraph.errors as e\n",
    "callgraph/facts/source.py": "from . import model\nfrom .model import Fact\n",
    "callgraph/store/__init__.py": '"""Store."""\n',
    "callgraph/store/cache.py": (
        "from typing import TYPE_CHECKING\n"
        "from ..facts import source, model as m\n"
        "if TYPE_CHECKING:\n"
        "    from ..errors import InputError\n"
        "else:\n"
        "    import callgraph.facts.gone\n"
        "class Cache:\n"
        "    def get(self):\n"
        "        from .. import errors\n"
        "        from probes import open_remote\n"
        "        from ...outside import thing\n"
    ),
    "probes/__init__.py": "from callgraph.facts.source import blob\n",
}


def test_the_reader_resolves_every_kind_of_import(tmp_path: Path) -> None:
    """The reader itself, on a made-up tree: relative imports resolved; lazy and type-only ones seen."""
    for relative, text in READER_CASES.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    seen = {
        (i.importer.removeprefix("callgraph."), i.line, i.target, i.in_function, i.type_checking, i.resolved)
        for i in all_imports(tmp_path)
    }
    assert seen == {
        ("callgraph", 1, "callgraph.facts.model", False, False, True),
        ("facts.model", 2, "callgraph.errors", False, False, True),  # os.path is not ours
        ("facts.source", 1, "callgraph.facts.model", False, False, True),  # `from . import module`
        ("facts.source", 2, "callgraph.facts.model", False, False, True),
        ("store.cache", 2, "callgraph.facts.source", False, False, True),  # `from ..pkg import module`
        ("store.cache", 2, "callgraph.facts.model", False, False, True),
        ("store.cache", 4, "callgraph.errors", False, True, True),
        ("store.cache", 6, "callgraph.facts.gone", False, False, False),  # names no module
        ("store.cache", 9, "callgraph.errors", True, False, True),  # `from .. import module`, in a method
        ("store.cache", 10, "probes", True, False, True),  # `from package import name`: the package
        ("store.cache", 11, "from ...outside import thing", True, False, False),  # above the top package
        ("probes", 1, "callgraph.facts.source", False, False, True),
    }


def test_every_node_has_a_row_in_the_table() -> None:
    missing = sorted(_nodes_present() - LAYERS.keys())
    assert not missing, (
        f"{missing}: new folder or top-level module; add a row to LAYERS in tests/test_layers.py "
        "and to the table in docs/ARCHITECTURE.md (what it may import, what it must never import)"
    )


def test_every_import_of_ours_names_a_module() -> None:
    """A stale name after a move, or a relative import that climbs above the package, fails here."""
    broken = [
        f"{i.where}: {i.target}"
        for i in all_imports()
        if not i.resolved and (i.importer, i.target) not in UNRESOLVED_ALLOWLIST
    ]
    assert not broken, "imports that name no module of callgraph/ or probes/:\n" + "\n".join(broken)


@pytest.mark.parametrize("node", sorted(LAYERS))
def test_imports_only_go_down(node: str) -> None:
    """Each node imports only what its row of LAYERS allows, lazily or not."""
    allowed = LAYERS[node]
    wrong = []
    for i in resolved_imports():
        imported = node_of(i.target)
        if node_of(i.importer) != node or i.importer == API or imported == node:
            continue
        if imported == API:
            wrong.append(f"{i.where} imports {i.target}, the public API (it imports every layer): import the module")
        elif imported not in allowed:
            wrong.append(
                f"{i.where} imports {i.target}: {node} may import only {sorted(allowed) or 'nothing of ours'}"
            )
        elif (node, imported) in NARROW and not any(
            src in ("*", i.importer) and dst in ("*", i.target) for src, dst in NARROW[node, imported]
        ):
            wrong.append(f"{i.where} imports {i.target}: {node} -> {imported} only as {NARROW[node, imported]}")
    assert not wrong, "imports against the layer table (docs/ARCHITECTURE.md):\n" + "\n".join(wrong)


def _folder_graph(source: str) -> nx.DiGraph:
    graph = nx.DiGraph()
    if source == "the table":
        for node, allowed in LAYERS.items():
            graph.add_edges_from(((node, other) for other in allowed), where="LAYERS")
        return graph
    for i in resolved_imports():
        a, b = node_of(i.importer), node_of(i.target)
        if i.importer != API and a != b and not graph.has_edge(a, b):
            graph.add_edge(a, b, where=i.where)
    return graph


@pytest.mark.parametrize("source", ["the imports", "the table"])
def test_no_circle_between_folders(source: str) -> None:
    """Folders and top-level modules form no circle, lazy imports included (public API exempt)."""
    graph = _folder_graph(source)
    circles = [
        _cycle_text(graph, scc)
        for scc in nx.strongly_connected_components(graph)
        if len(scc) > 1 and scc not in ALLOWED_FOLDER_CIRCLES
    ]
    assert not circles, f"circles between folders in {source}:\n" + "\n".join(circles)


def test_no_module_level_circle() -> None:
    """No circle of module-level imports anywhere, but the one ALLOWED_MODULE_CIRCLES names."""
    graph = nx.DiGraph()
    for i in resolved_imports():
        if not i.in_function and not graph.has_edge(i.importer, i.target):
            graph.add_edge(i.importer, i.target, where=i.where)
    circles = [
        _cycle_text(graph, scc)
        for scc in nx.strongly_connected_components(graph)
        if (len(scc) > 1 or graph.has_edge(*(2 * list(scc)))) and scc not in ALLOWED_MODULE_CIRCLES
    ]
    assert not circles, "module-level import circles:\n" + "\n".join(circles)


def test_the_remote_probe_imports_only_the_standard_library() -> None:
    """`probes/remote_probe.py` is sent over stdin to a bare `python3 -`: nothing of ours exists there."""
    path = REPO / "probes" / "remote_probe.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else (node.module or "").split(".")[0])
    assert sorted(names - sys.stdlib_module_names) == []


@pytest.mark.parametrize("module", sorted(module_files()))
def test_modules_stay_under_the_size_limit(module: str) -> None:
    path = module_files()[module]
    relative = str(path.relative_to(REPO))
    lines = len(path.read_text(encoding="utf-8").splitlines())
    limit = SIZE_ALLOWLIST.get(relative, MAX_LINES)
    assert lines <= limit, f"{relative} has {lines} lines (limit {limit}): split it by job"


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in (REPO / "callgraph").glob("*/__init__.py")))
def test_folder_init_says_what_flows_and_imports_nothing(folder: str) -> None:
    """Each folder's `__init__.py` is its docstring only: importing a module never drags in its siblings."""
    path = REPO / "callgraph" / folder / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.relative_to(REPO)}: say what flows in, what flows out, what it may import"
    code = [n for n in tree.body[1:] if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    assert not code, f"{path.relative_to(REPO)}:{code[0].lineno}: keep __init__.py free of code and imports"


def test_allowlists_hold_no_stale_entries() -> None:
    """Each exception above still exists: once fixed, its entry goes."""
    stale = []
    unresolved = {(i.importer, i.target) for i in all_imports() if not i.resolved}
    stale += [f"UNRESOLVED_ALLOWLIST {entry}" for entry in sorted(UNRESOLVED_ALLOWLIST - unresolved)]
    for relative in SIZE_ALLOWLIST:
        path = REPO / relative
        if not path.exists() or len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES:
            stale.append(f"SIZE_ALLOWLIST {relative}")
    graph = nx.DiGraph((i.importer, i.target) for i in resolved_imports() if not i.in_function)
    sccs = list(nx.strongly_connected_components(graph))
    stale += [f"ALLOWED_MODULE_CIRCLES {sorted(c)}" for c in ALLOWED_MODULE_CIRCLES if c not in sccs]
    folders = _folder_graph("the imports")
    stale += [
        f"ALLOWED_FOLDER_CIRCLES {sorted(c)}"
        for c in ALLOWED_FOLDER_CIRCLES
        if c not in list(nx.strongly_connected_components(folders))
    ]
    stale += [f"LAYERS[{node!r}]: no such folder or module" for node in LAYERS.keys() - _nodes_present()]
    assert not stale, "remove these entries from tests/test_layers.py:\n" + "\n".join(stale)
