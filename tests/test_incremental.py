"""Reusing the previous run's findings: always exactly what a run from scratch finds."""

from __future__ import annotations

import random
import shutil
import textwrap
from pathlib import Path

import pytest

from callgraph import analyze, collect
from callgraph.store.reuse import Run
from callgraph.store.cache import FactsCache
from callgraph.store.runs import State, decode_state, encode_state, interface_digest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def digest(source: str) -> str:
    return interface_digest(collect("m", textwrap.dedent(source).encode()))


def test_the_interface_ignores_bodies_and_positions() -> None:
    base = digest("def f(a):\n    return g(a)\n")
    assert digest("\n\n# moved down\ndef f(a):\n    return g(a, 1, 2)  # callgraph: ignore\n") == base
    assert digest("def f(a):\n    h()\n    return g(a)\n") == base


@pytest.mark.parametrize(
    "changed",
    [
        "def f(a, b):\n    return g(a)\n",  # a signature
        "def f(a):\n    x = 1\n    return g(a)\n",  # a local binding
        "@dec\ndef f(a):\n    return g(a)\n",  # a decorator
        "import os\ndef f(a):\n    return g(a)\n",  # an import
        "if a:\n    def f(a):\n        return g(a)\n",  # a conditional definition
    ],
)
def test_the_interface_sees_what_resolution_reads(changed: str) -> None:
    assert digest(changed) != digest("def f(a):\n    return g(a)\n")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


REUSED: list[int] = []


def same_as_from_scratch(root: Path, cache_dir: Path) -> list:
    """Findings and stats with the cache (reusing the previous run) equal those without it."""
    with FactsCache.open(cache_dir) as cache:
        warm = analyze([root], cache=cache, jobs=1)
        REUSED.append(warm.reused)
        got = (warm.findings(), {k: v for k, v in warm.stats.items() if k in ("files", "functions", "calls", "resolved_calls")})
    cold = analyze([root], jobs=1)
    want = (cold.findings(), {k: v for k, v in cold.stats.items() if k in ("files", "functions", "calls", "resolved_calls")})
    assert got == want
    return got[0]


def test_a_definition_that_moves_moves_every_finding_pointing_at_it(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, {
        "pkg/__init__.py": "",
        "pkg/a.py": "def target(x):\n    return x\n",
        "pkg/b.py": "from pkg.a import target\n\ndef use():\n    return target(1, 2)\n",
        "pkg/c.py": "from pkg.a import target\n\ndef fine():\n    return target(1)\n",
    })
    cache = tmp_path / "cache"
    [first] = same_as_from_scratch(root, cache)
    assert (first.path.endswith("b.py"), first.definition.line) == (True, 1)
    same_as_from_scratch(root, cache)
    assert REUSED[-1] == 4  # nothing changed: every file's findings reused
    (root / "pkg/a.py").write_text("\n\n\ndef target(x):\n    return x\n")  # the same interface, lines moved
    [moved] = same_as_from_scratch(root, cache)
    assert moved.definition.line == 4
    (root / "pkg/c.py").write_text("from pkg.a import target\n\ndef fine():\n    return target(1, 2, 3)\n")
    assert len(same_as_from_scratch(root, cache)) == 2  # an edit inside a body: only c.py is redone
    (root / "pkg/a.py").write_text("def target(x, y):\n    return x\n")  # the interface changed
    assert [f.path.rsplit("/", 1)[-1] for f in same_as_from_scratch(root, cache)] == ["c.py"]
    (root / "pkg/d.py").write_text("from pkg.a import target\ntarget()\n")  # a new file
    assert len(same_as_from_scratch(root, cache)) == 2


def test_the_state_is_used_and_recorded(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, {"m.py": "def f(a):\n    pass\n\nf()\n", "n.py": "import m\nm.f(1, 2)\n"})
    cache_dir = tmp_path / "cache"
    same_as_from_scratch(root, cache_dir)
    with FactsCache.open(cache_dir) as cache:
        rows = cache._conn.execute("SELECT identity, data FROM runs WHERE identity NOT LIKE '%:calls:%' ORDER BY identity").fetchall()
    assert len(rows) == 2 and ":" in rows[1][0]  # the latest run of these paths, and this exact content
    assert rows[0][1] == rows[1][1]
    state = decode_state(rows[0][1])
    assert state is not None and sorted(len(r.findings) for r in state.files.values()) == [1, 1]
    assert decode_state(encode_state(state)) == state


@pytest.mark.parametrize("garbage", [b"", b"not zlib", encode_state(State("t", {}))[:-3], b"x\x9c\x03\x00\x00\x00\x00\x01"])
def test_a_damaged_state_means_no_previous_run(tmp_path: Path, garbage: bytes) -> None:
    root = tmp_path / "proj"
    write(root, {"m.py": "def f(a):\n    pass\n\nf()\n"})
    cache_dir = tmp_path / "cache"
    same_as_from_scratch(root, cache_dir)
    with FactsCache.open(cache_dir) as cache:
        cache._conn.execute("UPDATE runs SET data = ?", (garbage,))
    assert len(same_as_from_scratch(root, cache_dir)) == 1
    assert decode_state(garbage) is None


def _mutate(path: Path, rng: random.Random, history: dict[Path, list[str]]) -> None:
    text = path.read_text()
    seen = history.setdefault(path, [])
    seen.append(text)
    lines = text.splitlines(keepends=True)
    i = rng.randrange(len(lines) + 1)
    op = rng.choice(["blank", "delete", "duplicate", "comment", "swap-args", "swap-args", "revert"])
    if op == "revert":  # back to an earlier version: its exact state is in the cache
        path.write_text(rng.choice(seen))
        return
    if op == "blank":
        lines.insert(i, "\n")
    elif op == "delete" and lines:
        del lines[min(i, len(lines) - 1)]
    elif op == "duplicate" and lines:
        j = min(i, len(lines) - 1)
        lines.insert(j, lines[j])
    elif op == "comment":
        lines.append("# edited\n")
    else:  # add or drop an argument of a call on a random line
        j = min(i, len(lines) - 1) if lines else 0
        if lines and "(" in lines[j]:
            lines[j] = lines[j].replace("(", "(0, ", 1) if rng.random() < 0.5 else lines[j].replace("0, ", "", 1)
    path.write_text("".join(lines))


@pytest.mark.parametrize("fixture", ["resolution", "classes", "etl_pipeline"])
def test_random_edits_always_agree_with_a_run_from_scratch(
    fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths: list[str] = []
    for name in ("reuse_all", "reuse_calls", "settle"):  # count which way each run went
        original = getattr(Run, name)
        monkeypatch.setattr(Run, name, lambda self, *a, _o=original, _n=name: (paths.append(_n), _o(self, *a))[1])
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    files = sorted(root.rglob("*.py"))
    rng = random.Random(fixture)
    cache = tmp_path / "cache"
    same_as_from_scratch(root, cache)
    REUSED.clear()
    history: dict[Path, list[str]] = {}
    for _ in range(40):
        _mutate(rng.choice(files), rng, history)
        same_as_from_scratch(root, cache)
    assert sum(1 for n in REUSED if n) >= 5, REUSED  # the edits did exercise the reuse
    assert {"reuse_all", "reuse_calls", "settle"} <= set(paths), paths  # and every way of reusing


def test_diff_and_baseline_are_the_same_cold_warm_and_uncached(tmp_path: Path) -> None:
    """Warm, both refs find their own previous run and nothing is resolved again: same report."""
    import json
    import subprocess
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from gitrepo import ddl_story

    repo = ddl_story(tmp_path / "repo")
    cache = str(tmp_path / "cache")

    def run(*args: str) -> tuple[int, dict]:
        proc = subprocess.run(
            [sys.executable, "-m", "callgraph", *args], cwd=repo, capture_output=True, text=True, timeout=120
        )
        assert proc.stderr == "" or "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, json.loads(proc.stdout)

    for old, new in (("main", "debug/codex-test"), ("debug/codex-test", "main")):
        reports = [run("diff", old, new, "--format", "json", *extra) for extra in (["--no-cache"], ["--cache-dir", cache], ["--cache-dir", cache])]
        assert reports[0] == reports[1] == reports[2]
    subprocess.run(["git", "checkout", "-q", "debug/codex-test"], cwd=repo, check=True)
    checks = [
        run("check", ".", "--baseline", "main", "--format", "json", *extra)[1]["findings"]
        for extra in (["--no-cache"], ["--cache-dir", cache], ["--cache-dir", cache])
    ]
    assert checks[0] == checks[1] == checks[2] and len(checks[0]) == 4


def _interface_edit(files: list[Path], rng: random.Random, history: dict[Path, list[str]]) -> str:
    """An edit other modules can see: a new parameter, a renamed def, an import added or removed,
    a class moved to another module, changed bases, an attribute written from outside."""
    path = rng.choice(files)
    text = path.read_text()
    history.setdefault(path, []).append(text)
    lines = text.splitlines(keepends=True)
    defs = [i for i, line in enumerate(lines) if line.lstrip().startswith("def ")]
    classes = [i for i, line in enumerate(lines) if line.startswith("class ")]
    names = sorted({line.split()[1].split("(")[0].rstrip(":") for line in lines if line.startswith(("def ", "class "))})
    op = rng.choice(["param", "rename", "import", "unimport", "move", "bases", "write", "revert"])
    if op == "revert" and len(history[path]) > 1:
        path.write_text(rng.choice(history[path][:-1]))
        return op
    if op == "param" and defs:
        i = rng.choice(defs)
        lines[i] = lines[i].replace(")", ", extra=None)" if "()" not in lines[i] else "extra=None)", 1)
    elif op == "rename" and defs:
        i = rng.choice(defs)
        lines[i] = lines[i].replace("def ", "def renamed_", 1)
    elif op == "import":
        other = rng.choice(files).relative_to(files[0].parents[len(files[0].parts) - len(path.parts) - 1]).with_suffix("")
        lines.insert(0, rng.choice(["import os\n", f"import {'.'.join(other.parts)}\n", "from typing import *\n"]))
    elif op == "unimport":
        imports = [i for i, line in enumerate(lines) if line.startswith(("import ", "from "))]
        if imports:
            del lines[rng.choice(imports)]
    elif op == "move" and classes:
        start = rng.choice(classes)
        end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() and not lines[j][0].isspace()), len(lines))
        block = lines[start:end]
        del lines[start:end]
        target = rng.choice([f for f in files if f != path] or [path])
        history.setdefault(target, []).append(target.read_text())
        target.write_text(target.read_text() + "\n\n" + "".join(block))
    elif op == "bases" and classes:
        i = rng.choice(classes)
        head = lines[i].split(":", 1)[0].split("(")[0]
        lines[i] = lines[i].replace(lines[i].split(":", 1)[0], rng.choice([head, f"{head}(object)", f"{head}(Exception)"] + [f"{head}({n})" for n in names[:3]]), 1)
    elif op == "write" and names:
        lines.append(f"\n{rng.choice(names)}.{rng.choice(['run', 'area', 'load', 'save', '__init__'])} = None\n")
    path.write_text("".join(lines))
    return op


@pytest.mark.parametrize("fixture", ["resolution", "classes", "etl_pipeline"])
def test_interface_edits_redo_only_the_readers_and_agree_with_a_run_from_scratch(
    fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths: list[str] = []
    for name in ("reuse_all", "reuse_calls", "settle"):
        original = getattr(Run, name)
        monkeypatch.setattr(Run, name, lambda self, *a, _o=original, _n=name: (paths.append(_n), _o(self, *a))[1])
    unread = Run._unread
    kept: list[int] = []

    def counting(self: Run, *a):  # the dependency path: how many files it kept
        found = unread(self, *a)
        kept.append(-1 if found is None else len(found))
        return found

    monkeypatch.setattr(Run, "_unread", counting)
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    files = sorted(root.rglob("*.py"))
    rng = random.Random(f"interface:{fixture}")
    cache = tmp_path / "cache"
    same_as_from_scratch(root, cache)
    history: dict[Path, list[str]] = {}
    ops = []
    for step in range(40):
        if step % 4 == 3:
            _mutate(rng.choice(files), rng, history)  # a body or no-op edit between: the other paths too
        else:
            ops.append(_interface_edit(files, rng, history))
        same_as_from_scratch(root, cache)
    assert {"param", "rename", "import", "move", "bases", "write"} <= set(ops), ops
    assert sum(1 for n in kept if n > 0) >= 5, kept  # the readers path ran and kept files' findings
    assert {"reuse_all", "settle"} <= set(paths), paths


BASE = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": "class Shape:\n    def area(self, scale):\n        return scale\n",
    "pkg/use.py": "from pkg.shapes import Shape\n\ndef go(s: Shape):\n    return s.area(1, 2)\n",
    "pkg/plain.py": "def alone(x):\n    return x\n\nalone(1)\n",
    "pkg/other.py": "import os\n\ndef helper():\n    return os.getcwd()\n",
}


@pytest.mark.parametrize(
    ("edit", "redone"),
    [
        # a new parameter: the caller that read the class is redone, the others keep their findings
        ({"pkg/shapes.py": "class Shape:\n    def area(self, scale, more=0):\n        return scale\n"}, {"shapes.py", "use.py"}),
        # an import added to a module nobody reads
        ({"pkg/other.py": "import os\nimport sys\n\ndef helper():\n    return os.getcwd()\n"}, {"other.py"}),
        # a subclass elsewhere overrides the method: the subclasses answer changed
        ({"pkg/other.py": "from pkg.shapes import Shape\n\nclass Square(Shape):\n    def area(self, *a):\n        return 0\n"},
         {"other.py", "use.py"}),
        # an attribute write elsewhere: the writes answer changed
        ({"pkg/other.py": "from pkg.shapes import Shape\n\nShape.area = print\n"}, {"other.py", "use.py"}),
        # a renamed def: its module's readers only
        ({"pkg/plain.py": "def alone2(x):\n    return x\n\nalone2(1)\n"}, {"plain.py"}),
    ],
)
def test_an_interface_edit_redoes_the_files_that_read_it(edit: dict, redone: set, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "proj"
    write(root, BASE)
    cache = tmp_path / "cache"
    same_as_from_scratch(root, cache)
    write(root, edit)
    unread = Run._unread
    kept: list[set[str]] = []
    monkeypatch.setattr(Run, "_unread", lambda self, *a: (kept.append(unread(self, *a)), kept[-1])[1])
    same_as_from_scratch(root, cache)
    assert kept and kept[0] is not None
    assert {Path(p).name for p in BASE if p.endswith(".py")} - {Path(p).name for p in kept[0]} == redone


def test_a_revert_after_an_interface_edit_then_a_body_edit_uses_no_stale_call_table(tmp_path: Path) -> None:
    """Red team, stop 22 (seen first as a stale LSP diagnostic): an interface edit, its revert (which
    finds the first run's state by content), then a body edit elsewhere. The interface edit's call
    tables must not be stored under the token of the state the revert finds."""
    root, cache = tmp_path / "p", tmp_path / "cache"
    a = "def f(x):\n    return x\n\n\ndef draw(shape, *, width=1, colour='black'):\n    return shape\n"
    b = "from a import f, draw\n\nf(1)\ndraw('box', widht=3)\n"
    write(root, {"a.py": a, "b.py": b})
    same_as_from_scratch(root, cache)
    write(root, {"a.py": a.replace("def f(x):", "def f(x, y):")})
    assert [f.code.value for f in same_as_from_scratch(root, cache)] == ["CG102", "CG103"]
    write(root, {"a.py": a})
    assert [f.code.value for f in same_as_from_scratch(root, cache)] == ["CG103"]
    write(root, {"b.py": b.replace("widht=", "width=")})
    assert same_as_from_scratch(root, cache) == []
