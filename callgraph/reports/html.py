"""`--format html` for `check`, `diff` and `parity`: one self-contained page to open or attach.

Inline CSS only: no script, no font, no image fetched (a Content-Security-Policy that allows
nothing else says so to the browser too), so the file reads the same offline, in a mail
attachment or a CI artifact. Findings show their source line and caret (`annotated.snippet`),
the bound definition and the did-you-mean; the parity sections are tables; a picture shows each
broken call's neighbourhood (`html_graph`). Every name, path, message and remote answer goes
through `escape.html_text` (or `html_columns` for a snippet line): the page is built from
escaped fields and our own tags, never from raw text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..facts.findings import Finding
from ..version import __version__
from . import html_graph
from .annotated import SourceLines, help_text, note_text, snippet
from .escape import html_columns, html_text

if TYPE_CHECKING:
    from ..analysis.project import Project
    from .diff import ProjectDiff
    from .environment_drift import EnvironmentDrift
    from .parity import ParityReport, Place

MAX_PICTURES = 40  # one picture a definition; dot runs once for each
LONG_CODE = 48  # characters: a longer code span may wrap
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a202c; background: #f7f8fa;
       margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e2e8f0; }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
p.lead { color: #4a5568; margin: 0 0 16px; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
code { background: #edf2f7; padding: 1px 4px; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
div.scroll { overflow-x: auto; }
td code { white-space: nowrap; }
code.long, td code.long { white-space: normal; overflow-wrap: anywhere; }
table.narrow { width: auto; min-width: 240px; }
th { background: #edf2f7; font-weight: 600; }
tr:nth-child(even) td { background: #fafbfc; }
.badge { display: inline-block; font: 600 12px/1.6 ui-monospace, Menlo, Consolas, monospace; padding: 0 6px;
         border-radius: 4px; background: #c53030; color: #fff; }
.badge.CG201, .badge.CG900 { background: #b7791f; }
.badge.CG000 { background: #553c9a; }
.status-same { color: #2f855a; }
.status-bad { color: #c53030; font-weight: 600; }
.empty { color: #718096; font-style: italic; }
article.finding { border: 1px solid #e2e8f0; border-left: 4px solid #c53030; border-radius: 4px; padding: 8px 14px;
                  margin: 12px 0; }
article.finding.suppressed { border-left-color: #a0aec0; opacity: .8; }
article.finding h3 { margin: 0; font-size: 15px; font-weight: 600; }
.where { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; color: #4a5568; }
pre.snippet { background: #1a202c; color: #e2e8f0; padding: 8px 12px; border-radius: 4px; overflow-x: auto;
              margin: 8px 0; line-height: 1.35; }
pre.snippet .gutter { color: #718096; }
pre.snippet .caret { color: #fc8181; font-weight: bold; }
p.note, p.help { margin: 2px 0; }
p.note b { color: #2b6cb0; }
p.help b { color: #2f855a; }
figure { margin: 12px 0 20px; overflow-x: auto; }
figcaption { font-size: 13px; color: #4a5568; margin-top: 4px; }
svg.graph { height: auto; }
.legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 4px;
            vertical-align: -1px; border: 1px solid; }
pre.commands { background: #f7fafc; border: 1px solid #e2e8f0; padding: 8px 12px; overflow-x: auto;
               white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 40px; color: #718096; font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; } }
"""


class Html(str):
    """Markup we built from escaped parts; every other str put on the page is escaped."""


def esc(value: object) -> Html:
    """A field as HTML: our own markup as it is, anything else escaped."""
    if isinstance(value, Html):
        return value
    return Html("" if value is None else html_text(value))


def tag(name: str, content: object = "", cls: str = "", **attrs: str) -> Html:
    """<name class=...>content</name>; attribute values escaped."""
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{html_text(v)}"' for k, v in attrs.items())
    klass = f' class="{html_text(cls)}"' if cls else ""
    return Html(f"<{name}{klass}{extra}>{esc(content)}</{name}>")


def join(parts: Iterable[object], sep: str = "") -> Html:
    return Html(sep.join(esc(p) for p in parts))


def code(text: object) -> Html:
    """A code span; a long one (a signature, a spec) may wrap, a short one (a path, a hash) does not."""
    if text in (None, ""):
        return Html("")
    return tag("code", text, cls="long" if len(str(text)) > LONG_CODE else "")


def inline(text: object) -> Html:
    """A summary line whose `backtick` spans become code spans; everything escaped."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: not spans
        return esc(text)
    return join(code(p) if i % 2 else p for i, p in enumerate(parts))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], empty: str = "Nothing.", cls: str = "") -> Html:
    """A table; each cell escaped unless it is `Html`."""
    body = [tag("tr", join(tag("td", c) for c in row)) for row in rows]
    if not body:
        return tag("p", empty, cls="empty")
    head = tag("thead", tag("tr", join(tag("th", h) for h in headers)))
    return tag("div", tag("table", join([head, tag("tbody", join(body, "\n"))], "\n"), cls=cls), cls="scroll")


def page(title: str, heading: object, lead: object, sections: Iterable[object]) -> str:
    """The whole document: head with CSP and CSS, then the sections in <main>."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="callgraph {html_text(__version__)}">',
        tag("title", title),
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        tag("h1", heading),
        tag("p", lead, cls="lead"),
        *(esc(s) for s in sections),
        tag("footer", f"callgraph {__version__}: a static report; nothing here runs or fetches anything."),
        "</main>",
        "</body>",
        "</html>",
    ]) + "\n"


# -- findings ---------------------------------------------------------------------------------------


def snippet_html(f: Finding, lines: Sequence[str] | None) -> Html:
    """The source line with its caret, as `annotated.snippet` lays it out: the caret in red."""
    rows = snippet(f, lines)
    if not rows:
        return Html("")
    out = []
    for i, row in enumerate(rows):
        gutter, bar, rest = row.partition(" |")
        text = rest[1:] if rest.startswith(" ") else rest
        shown = tag("span", text, cls="caret") if i == 2 else Html(html_columns(text))
        out.append(Html(f'<span class="gutter">{html_text(gutter)} |</span>' + (f" {shown}" if text else "")))
    return Html('<pre class="snippet">' + "\n".join(out) + "</pre>")


def badge(f: Finding) -> Html:
    return tag("span", f.code.value, cls=f"badge {f.code.value}", title=f.code.slug)


def finding_html(f: Finding, lines: Sequence[str] | None, suppressed: bool = False) -> Html:
    """One finding, as the text format shows it: where, code, message, snippet, note, help."""
    head = join([badge(f), " ", tag("span", f"{f.path}:{f.line}:{f.column}", cls="where"), " ", f.message,
                 " (suppressed)" if suppressed else ""])
    parts = [tag("h3", head), snippet_html(f, lines)]
    note = note_text(f)
    if note:
        parts.append(tag("p", join([tag("b", "note:"), " ", note]), cls="note"))
    if f.suggestion:
        certain = " (certain: callgraph fix applies it)" if f.suggestion.certain else ""
        parts.append(tag("p", join([tag("b", "help:"), " ", help_text(f.suggestion, f.code), certain]), cls="help"))
    return tag("article", join(parts, "\n"), cls="finding suppressed" if suppressed else "finding")


def findings_table(findings: Sequence[Finding], empty: str = "No findings.") -> Html:
    return table(["where", "code", "CPython says", "bound to"],
                 ([code(f"{f.path}:{f.line}:{f.column}"), badge(f), f.message, code(f.target)] for f in findings),
                 empty=empty)


def pictures(findings: Iterable[Finding], scope_of: html_graph.ScopeOf | None = None, graphviz: bool | None = None,
             heading: str = "Where the broken calls bind") -> Html:
    """The neighbourhood pictures, one per bound definition, with a legend; "" when no finding has one."""
    hoods = html_graph.neighbourhoods(findings, scope_of)
    if not hoods:
        return Html("")
    left = len(hoods) - MAX_PICTURES
    hoods = sorted(hoods, key=lambda n: -len(n.calls))[:MAX_PICTURES]  # the definitions most calls fail at
    legend = tag("p", join(
        tag("span", join([Html(f'<i style="background:{bg};border-color:{fg}"></i>'), text]))
        for bg, fg, text in (("#ffffff", "#4a5568", "caller"), ("#fde8e8", "#c53030", "call that cannot bind"),
                             ("#e6f0ff", "#2b6cb0", "definition bound at runtime"),
                             ("#eeeeee", "#a0aec0", "dead definition (replaced, never bound)"))), cls="legend")
    figures = []
    for n, (svg, how) in zip(hoods, html_graph.pictures(hoods, graphviz)):
        caption = join([code(n.target + n.signature), f" at {n.where}: ",
                        f"{len(n.calls)} call{'s' if len(n.calls) != 1 else ''} cannot bind",
                        f"; {len(n.dead)} dead definition{'s' if len(n.dead) != 1 else ''}" if n.dead else "",
                        f" (drawn by {'Graphviz' if how == 'graphviz' else 'callgraph'})"])
        figures.append(tag("figure", join([Html(svg), tag("figcaption", caption)], "\n")))
    if left > 0:
        figures.append(tag("p", f"... and {left} more definitions with calls that cannot bind (listed below).", cls="empty"))
    return join([tag("h2", heading), legend, *figures], "\n")


def scopes_from(project: Project, pairs: Iterable[tuple[Finding, Finding]]) -> dict[Finding, str]:
    """Each shown finding's enclosing function, from the call sites of the analysed `project`:
    `pairs` are (the finding as analysed, the finding as shown, its path made relative)."""
    files = {f.path: f for f in project.files}
    scopes: dict[str, dict[tuple[int, int], str]] = {}
    out: dict[Finding, str] = {}
    for raw, shown in pairs:
        if raw.path not in scopes:
            src = files.get(raw.path)
            scopes[raw.path] = {(c.line, c.column): c.scope or "<module>" for c in src.facts.calls} if src else {}
        scope = scopes[raw.path].get((raw.line, raw.column))
        if scope is not None:
            out[shown] = scope
    return out


def check_report(
    findings: Sequence[Finding],
    source: SourceLines,
    *,
    summary: str,
    suppressed: Sequence[Finding] = (),
    notes: Iterable[tuple[str, str]] = (),
    scopes: dict[Finding, str] | None = None,
    graphviz: bool | None = None,
) -> str:
    """`callgraph check --format html`: the summary, the pictures, then every finding in full."""
    by_code: dict[str, int] = {}
    for f in findings:
        by_code[f.code.value] = by_code.get(f.code.value, 0) + 1
    sections: list[object] = []
    if by_code:
        sections.append(table(["code", "findings"], ([tag("span", c, cls=f"badge {c}"), n] for c, n in sorted(by_code.items())),
                              cls="narrow"))
    sections.append(pictures(list(findings), scopes.get if scopes else None, graphviz))
    sections.append(tag("h2", f"Findings ({len(findings)})"))
    sections += [finding_html(f, source(f.path)) for f in findings] or [tag("p", "No findings.", cls="empty")]
    if suppressed:
        sections.append(tag("h2", f"Suppressed ({len(suppressed)})"))
        sections += [finding_html(f, source(f.path), suppressed=True) for f in suppressed]
    notes = list(notes)
    if notes:
        sections += [tag("h2", "Notes"), tag("ul", join(tag("li", join([code(p), ": ", m])) for p, m in notes))]
    return page("callgraph check", "callgraph check", summary, sections)


# -- diff ---------------------------------------------------------------------------------------------


def diff_report(
    d: ProjectDiff,
    source: SourceLines | None = None,
    *,
    scopes: dict[Finding, str] | None = None,
    drift: EnvironmentDrift | None = None,
    graphviz: bool | None = None,
) -> str:
    """`callgraph diff --format html`: the text report's sections as tables, the broken calls
    pictured and shown with NEW's source lines (`source`, when given)."""
    lines = source or (lambda path: None)
    s: list[object] = [tag("h2", f"Signature changes ({len(d.signatures)})")]
    s.append(table(["status", "symbol", "old", "new", "what changed", "where"],
                   ([c.status.value, code(c.symbol), code(c.old), code(c.new), "; ".join(c.details),
                     code(f"{c.path}:{c.line}")] for c in d.signatures), empty="No signature changed."))
    s.append(tag("h2", f"Calls broken by the change ({len(d.broken)})"))
    s.append(table(["call", "code", "CPython says", "caused by"],
                   ([code(f"{b.finding.path}:{b.finding.line}:{b.finding.column}"), badge(b.finding), b.finding.message,
                     join([code(b.cause.symbol), ": ", "; ".join(b.cause.details)]) if b.cause else ""]
                    for b in d.broken), empty="No call broken by a signature change."))
    broken = {b.finding for b in d.broken}
    shown = [b.finding for b in d.broken] + [f for f in d.new_findings if f not in broken]
    s.append(pictures(shown, scopes.get if scopes else None, graphviz, "Where the new broken calls bind"))
    s.append(tag("h2", "Findings"))
    s.append(tag("p", f"{len(d.new_findings)} new, {len(d.fixed_findings)} fixed, {d.unchanged_findings} unchanged"))
    if d.new_findings:
        s += [tag("h3", "New")] + [finding_html(f, lines(f.path)) for f in d.new_findings]
    if d.fixed_findings:
        s += [tag("h3", "Fixed"), findings_table(d.fixed_findings)]
    s.append(tag("h2", f"Files ({len(d.files)} changed)"))
    s.append(table(["status", "path", "was"], ([c.status.value, code(c.path), code(c.old_path)] for c in d.files),
                   empty="No file changed."))
    s += environment_sections(drift, ("old", "new"), "Calls that bind with OLD's environment and fail with NEW's")
    heading = join(["callgraph diff ", code(d.old_label), " \u2192 ", code(d.new_label)])
    lead = f"{len(d.new_findings)} new findings, {len(d.broken)} calls broken by a signature change"
    return page(f"callgraph diff {d.old_label} \u2192 {d.new_label}", heading, lead, s)


def environment_sections(drift: EnvironmentDrift | None, sides: tuple[str, str], title: str) -> list[Html]:
    """Interpreters, distributions that differ, and the calls that bind on one side only."""
    if drift is None:
        return []
    out = [tag("h2", "Interpreters"),
           table(["side", "Python", "executable"], [[sides[0], drift.local.python, code(drift.local.executable)],
                                                    [sides[1], drift.remote.python, code(drift.remote.executable)]]),
           tag("h2", f"Distributions that differ ({len(drift.distributions)})"),
           table(["distribution", *sides], ([code(x.name), x.local or "(not installed)", x.remote or "(not installed)"]
                                             for x in drift.distributions),
                 empty="The same distributions, at the same versions, on both sides."),
           tag("h2", f"{title} ({len(drift.calls)})"),
           table(["call site", "call", "target", f"{sides[0]} signature", f"{sides[1]} signature", "CPython says"],
                 ([code(f"{c.path}:{c.line}"), code(c.call), code(c.target), code(c.local_signature or "(none)"),
                   code(c.remote_signature or "(none)"), join([f"fails {sides[1] if c.fails == 'remote' else sides[0]}: ",
                                                               code(c.message)])] for c in drift.calls),
                 empty="No call binds on one side's packages and fails on the other's.")]
    if drift.notes:
        out.append(tag("ul", join(tag("li", n) for n in drift.notes)))
    return out


# -- parity -------------------------------------------------------------------------------------------


def _place(p: Place | None) -> Html:
    if p is None:
        return Html("same")
    if p.status != "found":
        return esc(p.note or p.status)
    extra = p.details()
    return join([code(p.file or p.kind or ""), f" ({'; '.join(extra)})" if extra else ""])


def _status(text: str) -> Html:
    return tag("span", text, cls="status-same" if text == "same" else "status-bad")


def parity_report(r: ParityReport, graphviz: bool | None = None) -> str:
    """`callgraph parity --format html`: the report's sections, each a readable table, and the
    broken calls pictured for each side (callers from the `--symbol` call sites, when given)."""
    s: list[object] = [tag("h2", "1. Executive summary"), tag("ul", join((tag("li", inline(line)) for line in r.summary), "\n"))]
    s.append(tag("h2", f"2. File integrity ({len(r.files)} files; sha256 to 16 hex digits, all 64 in --format json)"))
    notes = ["; ".join(x for x in (f.note, f.provenance) if x) for f in r.files]
    repeated = {n: i for i, n in enumerate(dict.fromkeys(n for n in notes if n and notes.count(n) > 1), 1)}
    s.append(table(
        ["path", "local sha256", "local size", "remote sha256", "remote size", "status", "notes"],
        ([code(f.path), code(f.local.sha256[:16] if f.local else ""), f.local.size if f.local else "",
          code(f.remote.sha256[:16] if f.remote else ""), f.remote.size if f.remote else "", _status(f.status),
          f"[{repeated[n]}]" if n in repeated else n] for f, n in zip(r.files, notes)),
        empty="No Python files on either side."))
    if repeated:
        s.append(tag("ol", join(tag("li", n) for n in repeated), cls="footnotes"))
    s.append(tag("h2", f"3. Signature drift in the files that differ ({len(r.drift)})"))
    s.append(table(["symbol", "status", "local", "remote", "what changed", "where"],
                   ([code(c.symbol), c.status.value, code(c.old), code(c.new), "; ".join(c.details),
                     code(f"{c.path}:{c.line}")] for c in r.drift), empty="No signature differs."))
    s.append(tag("h2", f"4. Findings: {len(r.remote_only)} only remotely, {len(r.local_only)} only locally, "
                       f"{len(r.both)} on both sides"))
    s.append(table(["where", "call", "code", "CPython says", "target"],
                   ([side, code(f"{f.path}:{f.line}:{f.column}"), badge(f), f.message, code(f.target)]
                    for side, items in (("only remotely", r.remote_only), ("only locally", r.local_only), ("both", r.both))
                    for f in items), empty="No findings on either side."))
    callers = {side: {(c.path, c.line, c.column): c.caller for sym in r.symbols for c in getattr(sym, side).calls}
               for side in ("local", "remote")}
    for side, items, title in (("remote", r.remote_only + r.both, "Remotely: where the broken calls bind"),
                               ("local", r.local_only, "Locally: where the broken calls bind")):
        known = callers[side]
        s.append(pictures(items, lambda f, known=known: known.get((f.path, f.line, f.column)), graphviz, title))
    s.append(tag("h2", "5. What each interpreter would import"))
    s.append(table(["module", "local imports", "local sha256", "remote imports", "remote sha256",
                    "remote, started from the root", "verdict"],
                   ([code(m.module), _place(m.local), code((m.local.sha256 or "")[:16]), _place(m.remote),
                     code((m.remote.sha256 or "")[:16]), _place(m.remote_from_root), _status(m.verdict)]
                    for m in r.modules), empty="No --module given."))
    if r.remote_sys_path:
        s.append(tag("h3", join(["Remote sys.path (cwd ", code(r.remote_cwd or "?"), ")"])))
        s.append(table(["#", "entry", "from", "kind"], ([row.get("index", ""), code(row.get("entry") or "''"),
                                                         row.get("origin", ""), row.get("kind", "")]
                                                        for row in r.remote_sys_path)))
    s.append(tag("h2", "6. Symbols"))
    if not r.symbols:
        s.append(tag("p", "No --symbol given.", cls="empty"))
    for sym in r.symbols:
        s.append(tag("h3", code(sym.symbol)))
        for side_name, side in (("local", sym.local), ("remote", sym.remote)):
            if not side.found:
                s.append(tag("p", join([tag("b", side_name), ": ", side.error])))
                continue
            s.append(tag("p", join([tag("b", side_name), f": {len(side.definitions)} definition"
                                    f"{'s' if len(side.definitions) != 1 else ''}"])))
            s.append(table(["defined at", "qualname", "signature", "role", "bound at runtime"],
                           ([code(f"{d.path}:{d.line}"), code(d.qualname), code(d.signature), d.role,
                             d.runtime + (f" ({d.note})" if d.note else "")] for d in side.definitions)))
            s.append(table(["call site", "caller", "call", "target line", "verdict"],
                           ([code(f"{c.path}:{c.line}"), code(c.caller), code(c.callee + c.arguments), c.target_line,
                             "binds" if c.verdict == "binds" else f"TypeError: {c.message}" if c.verdict == "error"
                             else "unknown"] for c in side.calls), empty="(no call site resolves to it)"))
    s += environment_sections(r.environment, ("local", "remote"), "Calls that bind here and fail there")
    s.append(tag("h2", "7. Reproduce"))
    s.append(table(["section", "command"], ([section, tag("pre", cmd, cls="commands")] for section, cmd in r.commands),
                   empty="No commands."))
    if r.notes:
        s += [tag("h2", "Notes"), tag("ul", join(tag("li", n) for n in r.notes))]
    heading = join(["callgraph parity: ", code(r.local_label), " (local) vs ", code(r.remote_label), " (remote)"])
    verdict = "drift found" if r.drifted else "no drift"
    lead = f"{verdict}; {len(r.remote_only)} findings only remotely, {len(r.local_only)} only locally, {len(r.both)} on both sides"
    return page("callgraph parity", heading, lead, s)


__all__ = ["CSP", "check_report", "diff_report", "esc", "finding_html", "page", "parity_report", "pictures",
           "scopes_from", "snippet_html", "table", "tag"]
