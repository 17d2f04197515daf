"""A cold run extracts the outside modules its files import in worker processes, before resolving
(`EnvironmentModules.prefetch`): the same facts `module` makes one at a time, only sooner. These
tests prove the findings and the recorded lookups do not depend on it."""

from __future__ import annotations

import textwrap

from callgraph import analyze_sources
from callgraph.environment.model import Environment
from callgraph.facts.collector import collect
from callgraph.facts.interface import collect_interface
from callgraph.store import outside as outside_store
from callgraph.store.outside import EnvironmentModules, imported_outside

STDLIB = ["textwrap", "json", "json.decoder", "shlex", "string", "fnmatch", "queue", "glob", "csv",
          "difflib", "calendar", "colorsys", "base64", "bisect", "heapq", "statistics", "fractions", "pprint"]


def _project(n: int) -> list[tuple[str, str, bool, bytes]]:
    """n files, each importing some standard-library modules and calling into them, some wrongly."""
    files = []
    for i in range(n):
        a, b = STDLIB[i % len(STDLIB)], STDLIB[(i * 7 + 3) % len(STDLIB)]
        source = f"""
            import {a}
            import {b} as other
            from os import path as _path
            from . import sibling

            def f{i}(x):
                textwrap.dedent()
                json.dumps(x, 1, 2)
                return {a}, other, _path, sibling
            """
        files.append((f"pkg/m{i}.py", f"pkg.m{i}", False, textwrap.dedent(source).encode()))
    files.append(("pkg/__init__.py", "pkg", True, b""))
    files.append(("pkg/sibling.py", "pkg.sibling", False, b"import textwrap, json\n"))
    return files


def _run(jobs: int):
    outside_store._MEMO.clear()
    project = analyze_sources(_project(80), jobs=jobs, use_environment=True)
    findings = [(f.path, f.line, f.code, f.message) for f in project.findings()]
    return findings, sorted(project.outside.lookups.values(), key=lambda lookup: lookup.name)


def test_findings_and_lookups_do_not_depend_on_prefetch() -> None:
    parallel, serial = _run(2), _run(1)  # 80 files, 2 jobs: prefetched; 1 job: one by one
    assert parallel == serial
    assert any("dedent" in message for _, _, _, message in parallel[0])


def test_prefetch_makes_the_facts_module_would() -> None:
    env = Environment.local()
    outside_store._MEMO.clear()
    modules = EnvironmentModules(env)
    assert modules.prefetch(STDLIB, 2) >= 16
    assert not modules.lookups  # nothing counts as asked until resolution asks
    for name in ("textwrap", "json.decoder", "statistics"):
        found = modules.module(name)
        assert found is not None
        data = open(found.path, "rb").read()
        assert found.facts == collect_interface(name, data, is_package=found.facts.is_package)


def test_prefetch_leaves_small_sets_and_one_job_alone() -> None:
    env = Environment.local()
    outside_store._MEMO.clear()
    assert EnvironmentModules(env).prefetch(STDLIB[:3], 2) == 0
    assert EnvironmentModules(env).prefetch(STDLIB, 1) == 0
    assert not outside_store._MEMO


def test_imported_outside_names_absolute_imports_and_their_packages() -> None:
    facts = collect("pkg.m", b"import a.b.c\nfrom x.y import z\nfrom . import q\nfrom .r import s\nimport pkg.t\n")
    assert imported_outside([facts], {"pkg"}) == ["a", "a.b", "a.b.c", "x", "x.y"]
