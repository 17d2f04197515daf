"""Suppression comments, found by a text scan: no parse, no libcst metadata."""

from __future__ import annotations

import re


_SUPPRESSION = re.compile(
    rb"#\s*(?:callgraph:\s*ignore(?![\w-])(?:\[([^\]]*)\])?|noqa\s*:\s*([A-Za-z0-9]+(?:[\s,]+[A-Za-z0-9]+)*))"
)


def suppressions(source: bytes) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(line, codes) for each suppression comment: a text scan, no parse; codes () means all.

    `# callgraph: ignore` and `# callgraph: ignore[CG101, CG2]`; `# noqa: CG101` counts for its
    CG codes only (a bare `# noqa`, or one naming only other tools' codes, is not ours).
    """
    if b"callgraph" not in source and b"noqa" not in source:
        return ()
    out: list[tuple[int, tuple[str, ...]]] = []
    for n, line in enumerate(source.splitlines(), 1):
        if b"#" not in line or (b"callgraph" not in line and b"noqa" not in line):
            continue
        for m in _SUPPRESSION.finditer(line):
            bracket, noqa = m.group(1), m.group(2)
            if noqa is not None:
                codes = tuple(c for c in re.split(r"[\s,]+", noqa.decode("ascii").upper()) if c.startswith("CG"))
                if codes:
                    out.append((n, codes))
            elif bracket is None:
                out.append((n, ()))
            else:
                codes = tuple(c for c in re.split(r"[\s,]+", bracket.decode("ascii", "replace").upper()) if c)
                out.append((n, codes))
    return tuple(out)
