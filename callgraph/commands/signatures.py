"""`callgraph signatures SYMBOL`: every definition of a function and every call that reaches it."""

from __future__ import annotations

import argparse
import json

from tabulate import tabulate as _tabulate

from ..reports.tables import fit_table, terminal_width
from ..reports.words import count
from ..reports.query import CallRow, Definition, call_sites, definitions, symbol_family
from .callers import add_common_options, load
from ..reports.escape import printable, rows_of
from .common import EXIT_CLEAN, EXIT_FINDINGS, emit, emit_json, path_name


def tabulate(rows, headers, tablefmt):  # every cell escaped: names, defaults and paths come from the tree
    return _tabulate(rows_of(rows, tablefmt == "github"), headers, tablefmt=tablefmt)

ORDER = 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "signatures",
        help="every definition of a function and every call site, with CPython's verdict",
        description=(
            "Where is SYMBOL defined (every def, redefinitions in the same class, overrides in subclasses, "
            "@overload stubs, decorators), which definition is bound at runtime, and every call site that "
            "resolves to it with its arguments and whether CPython would bind the call."
        ),
        epilog=(
            "SYMBOL is a qualified name or any dotted suffix of one:\n"
            "  callgraph signatures _ddl_attempt fixtures/etl_pipeline\n"
            "  callgraph signatures SupabaseWriterDriver._ddl_attempt . --format markdown\n\n"
            "exit codes: 0 every call binds (or fails only through a possible target, counted as 'may not\n"
            "bind'), 1 some call cannot bind whichever target it reaches, 2 usage error or unknown/ambiguous SYMBOL"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("symbol", metavar="SYMBOL", help="function or method: a qualified name or a dotted suffix")
    p.add_argument("paths", nargs="*", metavar="PATH", default=["."], type=path_name, help="files or directories (default: .)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format")
    p.add_argument(
        "--at",
        action="append",
        metavar="SNAP",
        help="the tables at a snapshot instead of the working tree (repeatable, side by side): a git ref "
        "such as main or debug/codex-test, a directory, index:, or a remote (cmd:, docker:, e2b:)",
    )
    add_common_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.at:
        return run_at(args)
    project = load(args)
    family = symbol_family(project, args.symbol)
    defs = definitions(project, family)
    rows = call_sites(project, family)
    if args.format == "json":
        emit_json(json.dumps({"symbol": family[0], "definitions": [_def_dict(d) for d in defs],
                          "calls": [_row_dict(r) for r in rows]}, indent=2))
    else:
        emit(render(family[0], defs, rows, "github" if args.format == "markdown" else "simple"), fmt=args.format)
    broken = any(_fails(r) for r in rows)
    return EXIT_FINDINGS if broken else EXIT_CLEAN


def render(symbol: str, defs: list[Definition], rows: list[CallRow], fmt: str) -> str:
    md = fmt == "github"
    head = (lambda s: f"### {s}\n") if md else (lambda s: s)
    width = terminal_width()

    def tabulate(rows: list, headers: list[str], tablefmt: str) -> str:  # fitted to the terminal in text
        md = tablefmt == "github"  # every cell escaped: names, defaults and paths come from the tree
        return fit_table(rows_of(rows, md), headers, fmt="markdown" if md else "text", width=width)

    def_table = tabulate(
        [
            [f"{d.path}:{d.line}", d.qualname, d.signature, " ".join(d.decorators), d.role,
             d.runtime + (f" ({d.note})" if d.note else "")]
            for d in defs
        ],
        headers=["defined at", "qualname", "signature", "decorators", "role", "bound at runtime"],
        tablefmt=fmt,
    )
    call_table = tabulate(
        [
            [f"{r.path}:{r.line}", r.caller, r.callee + r.arguments, r.positional + (1 if r.star else 0),
             len(r.keywords) + (1 if r.double_star else 0), f"{r.target_qualname}:{r.target_line}",
             _verdict_text(r)]
            for r in rows
        ],
        headers=["call site", "caller", "call", "pos", "kw", "target", "verdict"],
        tablefmt=fmt,
    )
    n_bad = sum(_fails(r) for r in rows)
    n_maybe = sum(r.verdict == "error" and not _fails(r) for r in rows)
    maybe = f", {n_maybe} may not bind (through a possible target)" if n_maybe else ""
    parts = [
        head(f"{printable(symbol)}: {count(len(defs), 'definition')}"),
        def_table,
        "",
        head(f"{count(len(rows), 'call site')}, {n_bad} cannot bind{maybe}"),
        call_table if rows else "(no call site resolves to it)",
    ]
    return "\n".join(parts)


def _fails(r: CallRow) -> bool:
    """A call that raises TypeError whichever target it reaches: what the exit code and the
    "cannot bind" count both mean (a possible target's rejection is reported, not counted)."""
    return r.verdict == "error" and r.complete and not r.possible


def _verdict_text(r: CallRow) -> str:
    if r.verdict == "binds":
        text = "binds"
    elif r.verdict == "error":
        text = "TypeError: " + r.message
    else:
        text = "unknown (*args/**kwargs)"
    if r.possible:
        text += " [possible target]"
    elif not r.complete:
        text += " [other targets possible]"
    return text


def _def_dict(d: Definition) -> dict:
    return {"name": d.name, "path": d.path, "line": d.line, "signature": d.signature,
            "decorators": list(d.decorators), "role": d.role, "async": d.is_async,
            "bound_at_runtime": d.runtime, "note": d.note}


def _row_dict(r: CallRow) -> dict:
    return {"path": r.path, "line": r.line, "column": r.column, "caller": r.caller, "callee": r.callee,
            "arguments": r.arguments, "positional": r.positional, "keywords": list(r.keywords),
            "star": r.star, "double_star": r.double_star, "target": r.target, "target_line": r.target_line,
            "verdict": r.verdict, "message": r.message or None, "complete": r.complete, "possible": r.possible}


def _at_snapshot(args: argparse.Namespace, spec: str, cache) -> dict:
    """One snapshot's tables, or why it has none (the symbol may not exist there)."""
    from ..analysis.graph import add_possible_edges
    from ..reports.query import SymbolError
    from ..pipeline import analyze_snapshot
    from ..snapshots.spec import open_snapshot

    with open_snapshot(spec) as snap:
        wanted = [p for p in args.paths if p not in (".", "./")]
        project = analyze_snapshot(snap, wanted, roots=args.root, cache=cache, jobs=args.jobs)
        label = snap.label
        if args.infer:  # the snapshot's own sources, never the working tree's
            from ..analysis.infer import texts_of

            texts = texts_of(project, snap.read)
    if not args.certain:
        add_possible_edges(project)
    if args.infer:
        from ..analysis.infer import add_inferred_edges

        add_inferred_edges(project, texts, certain_only=args.certain)
    try:
        family = symbol_family(project, args.symbol)
    except SymbolError as exc:
        return {"snapshot": label, "error": str(exc)}
    return {"snapshot": label, "symbol": family[0], "defs": definitions(project, family), "rows": call_sites(project, family)}


def run_at(args: argparse.Namespace) -> int:
    """`--at A --at B`: the same tables for each snapshot, after a one-line-per-snapshot comparison."""
    from ..store.memory import MemoryCache
    from .common import open_cache

    from ..reports.query import SymbolError

    with MemoryCache(open_cache(args)) as cache:
        sides = [_at_snapshot(args, spec, cache) for spec in args.at]
    if all("error" in s for s in sides):
        raise SymbolError(sides[0]["error"] + " at any of the snapshots given")
    broken = any(_fails(r) for s in sides for r in s.get("rows", ()))
    if args.format == "json":
        emit_json(json.dumps({"symbol": args.symbol, "snapshots": [
            {"snapshot": s["snapshot"], "error": s["error"]} if "error" in s else
            {"snapshot": s["snapshot"], "symbol": s["symbol"], "definitions": [_def_dict(d) for d in s["defs"]],
             "calls": [_row_dict(r) for r in s["rows"]]}
            for s in sides]}, indent=2))
        return EXIT_FINDINGS if broken else EXIT_CLEAN
    fmt = "github" if args.format == "markdown" else "simple"
    summary = []
    for s in sides:
        if "error" in s:
            summary.append([s["snapshot"], "", "(not found)", "", ""])
            continue
        bound = [d for d in s["defs"] if d.runtime == "yes"]
        summary.append([
            s["snapshot"], len(s["defs"]), " | ".join(d.signature for d in bound) or "?",
            len(s["rows"]), sum(_fails(r) for r in s["rows"]),
        ])
    parts = [tabulate(summary, ["snapshot", "definitions", "bound at runtime", "call sites", "cannot bind"], tablefmt=fmt)]
    for s in sides:
        parts.append("")
        label = printable(s["snapshot"])
        parts.append(f"## at {label}" if fmt == "github" else f"== at {label} ==")
        parts.append(printable(s["error"]) if "error" in s else render(s["symbol"], s["defs"], s["rows"], fmt))
    emit("\n".join(parts), fmt=args.format)
    return EXIT_FINDINGS if broken else EXIT_CLEAN
