"""One-line helpers for unit tests: analyse source text, compare finding codes."""

from __future__ import annotations

import textwrap

from callgraph import Finding, analyze_sources


def findings_for(source: str | dict[str, str]) -> list[Finding]:
    """Findings for one module `m` (a string) or several ({"pkg/mod.py": source, ...})."""
    files = {"m.py": source} if isinstance(source, str) else source
    sources = []
    for path, text in files.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        sources.append((path, module, is_package, textwrap.dedent(text).encode()))
    return analyze_sources(sources).findings()


def assert_findings(source: str | dict[str, str], *codes: str) -> list[Finding]:
    """`assert_findings("def f(a): ...\\nf()", "CG102")`: exactly these codes, in line order."""
    found = findings_for(source)
    got = [f.code.value for f in found]
    assert got == list(codes), "\n".join(f"{f.path}:{f.line}: {f.code.value} {f.message}" for f in found)
    return found


def assert_message(source: str | dict[str, str], message: str) -> None:
    found = findings_for(source)
    assert [f.message for f in found] == [message], [f.message for f in found]
