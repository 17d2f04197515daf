"""The picture in an HTML report: each broken call's neighbourhood, callers -> the call -> the
definition it binds to, with the dead definition (the earlier `def` a redefinition replaced) greyed.

Drawn by Graphviz's `dot` when it is installed (through `run_bounded`: timed out, output bounded;
any failure falls back), otherwise laid out here as plain inline SVG: three columns of boxes and
arrows, no script, no font or file fetched. Every label passes `html_text` (the SVG's text) or
`printable` plus DOT's own quoting (dot's input), so a name cannot open a tag in either.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..facts.findings import Code, Finding, Location
from ..subprocesses import run_bounded
from .escape import html_text, printable

MAX_CALLS = 12  # call boxes per picture; the rest are counted in one box
MAX_LABEL = 46  # characters of a box's line; the whole text is in its <title> (a tooltip)
_CHAR, _LINE, _PAD, _GAP, _BOX_GAP = 7.3, 16, 8, 28, 12  # px: monospace 12px advance, line height, padding, gaps

ScopeOf = Callable[[Finding], "str | None"]  # a broken call's enclosing function, when known


@dataclass(frozen=True, slots=True)
class BrokenCall:
    """One call that cannot bind: who makes it, where, and CPython's words."""

    caller: str  # the enclosing function's qualname, "<module>", or "" when unknown
    where: str  # path:line:column
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Dead:
    """An earlier definition of the same name, replaced before any call could bind to it."""

    where: str  # path:line
    signature: str


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """The calls that all bind to one definition and fail there."""

    target: str
    signature: str
    where: str  # the bound definition's path:line
    calls: tuple[BrokenCall, ...]
    dead: tuple[Dead, ...] = ()


def neighbourhoods(findings: Iterable[Finding], scope_of: ScopeOf | None = None) -> list[Neighbourhood]:
    """Broken calls grouped by the definition they bind to; a redefinition (CG201) found at that
    definition names the dead one. Findings with no bound definition (CG000, ...) are left out."""
    items = list(findings)
    redefined: dict[tuple[str, int], list[Dead]] = {}
    for f in items:
        if f.code is Code.CG201 and f.definition is not None:
            redefined.setdefault((f.path, f.line), []).append(Dead(_at(f.definition), f.signature or ""))
    groups: dict[tuple[str, int, str], list[Finding]] = {}
    for f in items:
        if f.code in (Code.CG201, Code.CG000, Code.CG900) or f.definition is None:
            continue
        groups.setdefault((f.definition.path, f.definition.line, f.target or ""), []).append(f)
    out = []
    for (path, line, target), calls in groups.items():
        first = calls[0]
        out.append(Neighbourhood(
            target=target or "(the target)",
            signature=first.signature or "",
            where=f"{path}:{line}",
            calls=tuple(BrokenCall((scope_of(f) if scope_of else None) or "", f"{f.path}:{f.line}:{f.column}",
                                   f.code.value, f.message) for f in calls),
            dead=tuple(redefined.get((path, line), ())),
        ))
    return out


def _at(loc: Location) -> str:
    return f"{loc.path}:{loc.line}"


def _within(qualname: str, path: str) -> str:
    """A full dotted name less the module its file names ("pkg.mod.C.m" in pkg/mod.py: "C.m")."""
    module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return qualname[len(module) + 1 :] if qualname.startswith(module + ".") else qualname


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _wrapped(text: str, lines: int = 2) -> tuple[str, ...]:
    """`text` in at most `lines` lines of MAX_LABEL characters, the last one cut short when needed."""
    out = textwrap.wrap(text, MAX_LABEL, break_long_words=True) or [""]
    if len(out) > lines:
        out = out[: lines - 1] + [_short(" ".join(out[lines - 1 :]))]
    return tuple(out)


def _tail(label: str, where: str, limit: int = MAX_LABEL) -> str:
    """`label where` in `limit` characters, a long path cut at its start: its end names the file and line."""
    room = limit - len(label) - 1
    return f"{label} {where if len(where) <= room else chr(0x2026) + where[len(where) - room + 1 :]}"


# -- the boxes, whoever draws them ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Box:
    key: str
    kind: str  # caller | call | definition | dead | more
    lines: tuple[str, ...]  # each printable already
    tooltip: str


def _boxes(n: Neighbourhood) -> tuple[list[_Box], list[_Box], list[_Box], list[tuple[str, str, str]]]:
    """(callers, calls, definitions) columns and the edges (from, to, kind) between their keys."""
    callers: dict[str, _Box] = {}
    calls: list[_Box] = []
    edges: list[tuple[str, str, str]] = []
    for i, c in enumerate(n.calls[:MAX_CALLS]):
        key = f"call{i}"
        short_where = c.where.rsplit("/", 1)[-1]  # the caller's box names the file
        calls.append(_Box(key, "call", (printable(f"{c.code} at {short_where}"), *_wrapped(printable(c.message))),
                          printable(f"{c.where}: {c.code} {c.message}")))
        name = _within(c.caller, c.where.rsplit(":", 2)[0]) or c.where.rsplit(":", 2)[0]
        ck = f"caller{len(callers)}" if name not in callers else callers[name].key
        if name not in callers:
            path = c.where.rsplit(":", 2)[0]
            label = _tail("module level of", path) if c.caller == "<module>" else _tail("in", path) if c.caller else "a file"
            callers[name] = _Box(ck, "caller", (printable(_short(name)), printable(label)), printable(name))
        edges.append((ck, key, "calls"))
        edges.append((key, "def", "binds"))
    if len(n.calls) > MAX_CALLS:
        calls.append(_Box("more", "more", (f"... {len(n.calls) - MAX_CALLS} more broken calls",), ""))
    name = _within(n.target, n.where.rsplit(":", 1)[0])
    definition = _Box("def", "definition", (printable(_short(name + n.signature)), printable(_tail("bound:", n.where))),
                      printable(f"{n.target}{n.signature} at {n.where}"))
    defs = [definition]
    for i, d in enumerate(n.dead):
        defs.append(_Box(f"dead{i}", "dead", (printable(_short(name + d.signature)), printable(_tail("dead:", d.where))),
                         printable(f"never bound: {n.target}{d.signature} at {d.where}, replaced at {n.where}")))
        edges.append((f"dead{i}", "def", "replaced"))
    return list(callers.values()), calls, defs, edges


# -- Graphviz ----------------------------------------------------------------------------------------


def _dot_string(text: str) -> str:
    """A DOT string: `printable`, then DOT's escapes; `&` as an entity, since dot reads entities."""
    s = printable(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{s}"'


def to_dot(n: Neighbourhood) -> str:
    """The neighbourhood as DOT: left to right, the dead definition dashed and grey."""
    callers, calls, defs, edges = _boxes(n)
    styles = {
        "caller": 'shape=box style="rounded" color="#4a5568"',
        "call": 'shape=box style="rounded,filled" fillcolor="#fde8e8" color="#c53030"',
        "more": 'shape=box style="rounded,dashed" color="#a0aec0"',
        "definition": 'shape=box style="rounded,filled" fillcolor="#e6f0ff" color="#2b6cb0"',
        "dead": 'shape=box style="rounded,dashed,filled" fillcolor="#eeeeee" color="#a0aec0" fontcolor="#718096"',
    }
    out = ["digraph neighbourhood {", "  rankdir=LR;", '  node [fontname="monospace" fontsize=10];',
           '  edge [fontname="monospace" fontsize=9];']
    for box in callers + calls + defs:
        label = "\\n".join(_dot_string(line)[1:-1] for line in box.lines)
        out.append(f'  {box.key} [label="{label}" tooltip={_dot_string(box.tooltip)} {styles[box.kind]}];')
    edge_style = {"calls": 'color="#4a5568"', "binds": 'color="#c53030" label="cannot bind"',
                  "replaced": 'color="#a0aec0" style=dashed label="replaced by"'}
    out += [f"  {a} -> {b} [{edge_style[k]}];" for a, b, k in edges]
    out += ["  { rank=same; " + " ".join(b.key for b in defs) + "; }", "}"]
    return "\n".join(out) + "\n"


class _DotFailed(Exception):
    pass


def dot_svgs(hoods: list[Neighbourhood], exe: str, *, timeout: float = 60.0) -> list[str] | None:
    """Every picture by Graphviz in one run of dot (one graph each in its input, one <svg> each in
    its output), as inline <svg> elements; None when dot fails in any way."""
    try:
        done = run_bounded([exe, "-Tsvg"], error=_DotFailed, label="dot", timeout=timeout,
                           max_output=8 * 1024 * 1024 * max(len(hoods), 1),
                           stdin="".join(to_dot(n) for n in hoods).encode("utf-8"))
    except _DotFailed:
        return None
    text = done.out.decode("utf-8", "replace")
    svgs = re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
    if done.code != 0 or len(svgs) != len(hoods) or "<script" in text.lower():
        return None
    return [re.sub(r"<!--.*?-->", "", svg, flags=re.S).replace("<svg ", '<svg class="graph" role="img" ', 1)
            for svg in svgs]


# -- the fallback: laid out here ----------------------------------------------------------------------


def _size(box: _Box) -> tuple[float, float]:
    return max(len(line) for line in box.lines) * _CHAR + 2 * _PAD, len(box.lines) * _LINE + 2 * _PAD - 4


def plain_svg(n: Neighbourhood) -> str:
    """The picture as inline SVG laid out in three columns (callers, calls, definitions), with
    arrows; text in a monospace font whose advance sizes each box."""
    columns = _boxes(n)[:3]
    edges = _boxes(n)[3]
    widths = [max((_size(b)[0] for b in col), default=0) for col in columns]
    gaps = [_BOX_GAP, _BOX_GAP, 3 * _BOX_GAP]  # room for the "replaced by" arrow between definitions
    heights = [sum(_size(b)[1] for b in col) + gap * (len(col) - 1) for col, gap in zip(columns, gaps)]
    height = max(heights) + 2 * _BOX_GAP
    width = sum(widths) + 2 * _GAP * 2 + 2 * _BOX_GAP
    pos: dict[str, tuple[float, float, float, float]] = {}
    x = _BOX_GAP
    for col, w, h, gap in zip(columns, widths, heights, gaps):
        y = (height - h) / 2
        for b in col:
            bw, bh = _size(b)
            pos[b.key] = (x, y, bw, bh)
            y += bh + gap
        x += w + 2 * _GAP
    parts = [
        f'<svg class="graph" role="img" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">',
        "<defs>" + "".join(
            f'<marker id="arrow-{k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
            for k, c in (("calls", "#4a5568"), ("binds", "#c53030"), ("replaced", "#a0aec0"))) + "</defs>",
    ]
    for a, b, kind in edges:
        ax, ay, aw, ah = pos[a]
        bx, by, bw, bh = pos[b]
        if kind == "replaced":  # the dead definition sits under the bound one: an arrow upwards
            x1, y1, x2, y2 = ax + aw / 2, ay, bx + bw / 2, by + bh
        else:
            x1, y1, x2, y2 = ax + aw, ay + ah / 2, bx, by + bh / 2
        colour = {"calls": "#4a5568", "binds": "#c53030", "replaced": "#a0aec0"}[kind]
        dash = ' stroke-dasharray="5,4"' if kind == "replaced" else ""
        parts.append(f'<line class="edge-{kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#arrow-{kind})"/>')
    style = {
        "caller": ("#ffffff", "#4a5568", "#1a202c", ""),
        "call": ("#fde8e8", "#c53030", "#742a2a", ""),
        "more": ("#ffffff", "#a0aec0", "#4a5568", ' stroke-dasharray="4,3"'),
        "definition": ("#e6f0ff", "#2b6cb0", "#1a365d", ""),
        "dead": ("#eeeeee", "#a0aec0", "#718096", ' stroke-dasharray="5,4"'),
    }
    for col in columns:
        for b in col:
            x0, y0, bw, bh = pos[b.key]
            fill, stroke, ink, dash = style[b.kind]
            parts.append(f'<g class="node {b.kind}"><title>{html_text(b.tooltip)}</title>'
                         f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{bw:.1f}" height="{bh:.1f}" rx="6" fill="{fill}" '
                         f'stroke="{stroke}" stroke-width="1.5"{dash}/>')
            for i, line in enumerate(b.lines):
                weight = ' font-weight="bold"' if i == 0 and b.kind != "more" else ""
                parts.append(f'<text x="{x0 + _PAD:.1f}" y="{y0 + _PAD + 11 + i * _LINE:.1f}" fill="{ink}"{weight}>'
                             f"{html_text(line)}</text>")
            parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def pictures(hoods: list[Neighbourhood], graphviz: bool | None = None) -> list[tuple[str, str]]:
    """(svg, "graphviz" or "plain") for each: dot's drawings when `graphviz` is True or None and
    dot is on PATH and succeeds, otherwise the plain layout."""
    exe = shutil.which("dot") if graphviz is not False and hoods else None
    drawn = dot_svgs(hoods, exe) if exe else None
    if drawn is not None:
        return [(svg, "graphviz") for svg in drawn]
    return [(plain_svg(n), "plain") for n in hoods]


def picture(n: Neighbourhood, graphviz: bool | None = None) -> tuple[str, str]:
    """One neighbourhood's (svg, how), as `pictures`."""
    return pictures([n], graphviz)[0]


__all__ = ["BrokenCall", "Dead", "Neighbourhood", "dot_svgs", "neighbourhoods", "picture", "pictures", "plain_svg", "to_dot"]
