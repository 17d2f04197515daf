"""The environment sections of `callgraph parity`: interpreters, distributions that differ, and
the calls that bind here and fail there, in markdown and JSON, plus the summary lines naming the
cause. The evidence comes from `reports.environment_drift`; `reports.parity` calls these."""

from __future__ import annotations

from collections.abc import Callable

from typing import TYPE_CHECKING

from tabulate import tabulate

from .escape import md_cell, md_code

if TYPE_CHECKING:
    from .environment_drift import EnvironmentCall, EnvironmentDrift

MAX_DISTRIBUTION_ROWS = 50  # in markdown; JSON lists them all


def _code(text: object) -> str:
    return md_code(text) if str(text) else ""


def _with(dist: str | None, where: str) -> str:
    return f"with {md_cell(dist)} {where}" if dist else where


HERE_THERE = ("here", "there")
LOCAL_REMOTE = ("local", "remote")


def cause(c: EnvironmentCall, where: tuple[str, str] = HERE_THERE) -> str:
    """One line: `fetcher/client.py:14` `Retry(..., method_whitelist=...)` binds with urllib3 1.26.20
    here and fails with urllib3 2.2.3 there: `Retry.__init__() got an unexpected keyword ...`."""
    here, there = c.local_distribution, c.remote_distribution
    if c.fails == "remote":
        verdict = f"binds {_with(here, where[0])} and fails {_with(there, where[1])}"
    else:
        verdict = f"fails {_with(here, where[0])} and binds {_with(there, where[1])}"
    return f"{_code(f'{c.path}:{c.line}')} {_code(c.call)} {verdict}: {_code(c.message)}"


def summary_lines(drift: EnvironmentDrift | None, where: tuple[str, str] = HERE_THERE) -> list[str]:
    """The summary's lines for the environment, the cause first (at most three calls named)."""
    if drift is None or not drift.calls:
        return []
    lines = [f"Root cause (environment): {cause(c, where)}." for c in drift.calls[:3]]
    if len(drift.calls) > 3:
        lines.append(f"{len(drift.calls) - 3} more calls bind on one side's packages only (see Calls that bind "
                     f"here and fail there).")
    return lines


def explained(drift: EnvironmentDrift | None) -> set[tuple[str, int, int]]:
    """The call sites the environment explains: (path, line, column)."""
    return {(c.path, c.line, c.column) for c in drift.calls} if drift else set()


def render_markdown(drift: EnvironmentDrift | None, sides: tuple[str, str] = LOCAL_REMOTE,
                    title: str = "Calls that bind here and fail there",
                    table: Callable[[list[list[str]], list[str]], str] | None = None) -> list[str]:
    """The sections as markdown lines (nothing when no environment was compared); `sides` names
    the two environments ("local", "remote"; `callgraph diff`: "old", "new"); `table` renders a
    table (the report's own, so that text output is a fitted text table, not a pipe table)."""
    if drift is None:
        return []
    t = table or (lambda rows, headers: tabulate(rows, headers, tablefmt="github", disable_numparse=True))  # noqa: E731
    out = ["", "## Interpreters", ""]
    out.append(t([[sides[0], md_cell(drift.local.python), _code(drift.local.executable)],
                  [sides[1], md_cell(drift.remote.python), _code(drift.remote.executable)]], ["side", "Python", "executable"]))
    out.append("")
    out += [f"## Distributions that differ ({len(drift.distributions)})", ""]
    if drift.distributions:
        rows = [[_code(d.name), md_cell(d.local or "(not installed)"), md_cell(d.remote or "(not installed)")]
                for d in drift.distributions[:MAX_DISTRIBUTION_ROWS]]
        out.append(t(rows, ["distribution", *sides]))
        if len(drift.distributions) > MAX_DISTRIBUTION_ROWS:
            out.append(f"\n... and {len(drift.distributions) - MAX_DISTRIBUTION_ROWS} more (all in --format json).")
    else:
        out.append("The same distributions, at the same versions, on both sides.")
    out.append("")
    out += [f"## {title} ({len(drift.calls)})", ""]
    if drift.calls:
        rows = [[_code(f"{c.path}:{c.line}"), _code(c.call), _code(c.target), md_cell(c.local_distribution or ""),
                 _code(c.local_signature or "(none)"), md_cell(c.remote_distribution or ""), _code(c.remote_signature or "(none)"),
                 f"fails {_adverb(sides[1] if c.fails == 'remote' else sides[0])}: {_code(c.message)}"]
                for c in drift.calls]
        out.append(t(rows, ["call site", "call", "target", f"{sides[0]} package", f"{sides[0]} signature",
                            f"{sides[1]} package", f"{sides[1]} signature", "CPython says"]))
    else:
        out.append("No call binds on one side's packages and fails on the other's.")
    if drift.notes:
        out += [""] + [f"- {n}" for n in drift.notes]
    out.append("")
    return out


def _adverb(side: str) -> str:
    return {"local": "locally", "remote": "remotely"}.get(side, f"in {side.upper()}")


def report_dict(drift: EnvironmentDrift | None) -> dict | None:
    if drift is None:
        return None

    def side(s):
        return {"python": s.python, "version": list(s.version) if s.version else None, "platform": s.platform or None,
                "executable": s.executable or None, "distributions": len(s.distributions)}

    return {
        "interpreters": {"local": side(drift.local), "remote": side(drift.remote)},
        "distributions": [{"name": d.name, "local": d.local, "remote": d.remote} for d in drift.distributions],
        "calls": [{"path": c.path, "line": c.line, "column": c.column, "call": c.call, "target": c.target,
                   "fails": c.fails, "message": c.message, "local_signature": c.local_signature,
                   "remote_signature": c.remote_signature, "local_distribution": c.local_distribution,
                   "remote_distribution": c.remote_distribution} for c in drift.calls],
        "notes": list(drift.notes),
    }


__all__ = ["cause", "explained", "render_markdown", "report_dict", "summary_lines"]
