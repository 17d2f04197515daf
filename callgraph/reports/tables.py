"""Tables and lines that fit a terminal: one helper for every report's text and markdown tables.

A report cell may hold a 150-character note repeated on nine rows, or a remote spec of 200
characters. Three tools keep a report readable:

- `Footnotes`: a long value repeated in a column is written once under the table, as `[1] ...`,
  and the cells say `[1]`;
- `Labels`: a long value used throughout (a remote spec) gets a short name (`remote`), defined
  once at the top of the report (`labels_block`);
- in text, `fit_table` wraps cells so the table is at most `width` columns wide (tabulate's
  `maxcolwidths`), and `fit_lines` wraps every other line (bullets keep their hanging indent).

Markdown pipe tables cannot break a row over lines, so in markdown only footnotes and labels
apply: a viewer wraps the rendered table.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from tabulate import tabulate

from .escape import md_code

DEFAULT_WIDTH = 100  # columns when the output is not a terminal
MIN_WIDTH = 40
ATOM = 16  # characters: a cell token up to this long (a 16-digit hash) is never broken
REPEATED = 40  # characters: a cell value this long, on more than one row, becomes a footnote
_GAP = 2  # tabulate's "simple" format: two spaces between columns


def terminal_width(stream: IO[str] | None = None) -> int:
    """The terminal's columns when `stream` is one (and $COLUMNS when set), else 100."""
    stream = stream if stream is not None else sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= MIN_WIDTH:
        return int(columns)
    if not tty:
        return DEFAULT_WIDTH
    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MIN_WIDTH)


@dataclass
class Labels:
    """Short names for long values (`remote` for a 200-character spec), defined once at the top."""

    names: dict[str, str] = field(default_factory=dict)  # long value -> short name

    def add(self, value: str, name: str) -> None:
        if value and len(value) > len(name):
            self.names[value] = name

    def apply(self, text: str) -> str:
        for value in sorted(self.names, key=len, reverse=True):  # longest first: a value may contain another
            text = text.replace(value, self.names[value])
        return text

    def block(self, code: bool = True) -> list[str]:
        """`- remote: `cmd:...`` lines defining each label (empty when there are none)."""
        q = md_code if code else (lambda s: s)
        return [f"- {name}: {q(value)}" for value, name in self.names.items()]


def footnoted(rows: Sequence[Sequence[object]], start: int = 1) -> tuple[list[list[str]], list[str]]:
    """`rows` with each long value repeated in a column replaced by `[n]`, and the notes `[n] value`."""
    table = [["" if c is None else str(c) for c in row] for row in rows]
    notes: dict[str, int] = {}
    for col in range(max((len(r) for r in table), default=0)):
        seen = Counter(r[col] for r in table if col < len(r))
        for value, n in seen.items():
            if n > 1 and len(value) >= REPEATED and value not in notes:
                notes[value] = start + len(notes)
    if not notes:
        return table, []
    out = [[f"[{notes[c]}]" if c in notes else c for c in row] for row in table]
    return out, [f"[{i}] {value}" for value, i in notes.items()]


def _widths(rows: list[list[str]], headers: Sequence[str], width: int) -> list[int] | None:
    """Column widths (water-filling: the widest columns shrink first) so the table fits `width`;
    None when it fits as it is. tabulate pads each header by 2; headers may wrap at spaces."""
    cols = len(headers)
    cell = [max((len(x) for r in rows if i < len(r) for x in r[i].splitlines()), default=0) for i in range(cols)]
    full = [len(str(h)) + 2 for h in headers]
    room = width - _GAP * (cols - 1)
    if sum(max(c, f) for c, f in zip(cell, full)) <= room:
        return None
    word = [max((len(w) for w in str(h).split()), default=0) + 2 for h in headers]
    want = [max(c, w) for c, w in zip(cell, word)]
    # a short unbreakable token (a hash, a size, a status) is never split; longer ones (paths) may be
    atom = [
        max((len(t) for r in rows if i < len(r) for t in r[i].split() if len(t) <= ATOM), default=0) for i in range(cols)
    ]
    floor = [min(n, max(w, a, 8)) for n, w, a in zip(want, word, atom)]
    lo, hi = 1, max(want)
    while lo < hi:  # the largest cap whose capped widths fit
        mid = (lo + hi + 1) // 2
        if sum(max(min(n, mid), f) for n, f in zip(want, floor)) <= room:
            lo = mid
        else:
            hi = mid - 1
    return [max(min(n, lo), f) for n, f in zip(want, floor)]


def _wrap_cell(text: str, width: int) -> str:
    return "\n".join(
        "\n".join(textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False) or [""])
        for line in text.splitlines() or [""]
    )


def fit_table(
    rows: Sequence[Sequence[object]],
    headers: Sequence[str],
    *,
    fmt: str = "text",
    width: int = DEFAULT_WIDTH,
    labels: Labels | None = None,
    colalign: Sequence[str] | None = None,
) -> str:
    """A table in `fmt` ("text": wrapped to `width`; "markdown": a pipe table), with repeated long
    values as footnotes under it and labelled values shortened."""
    cells = [[labels.apply(str(c)) if labels else ("" if c is None else str(c)) for c in row] for row in rows]
    cells, notes = footnoted(cells)
    if fmt == "markdown":
        table = tabulate(cells, headers, tablefmt="github", colalign=colalign)  # numbers right-aligned, as before
        return table + ("\n\n" + "\n".join(f"{n}  " for n in notes) if notes else "")
    caps = _widths(cells, headers, width)
    if caps is not None:
        cells = [[_wrap_cell(c, caps[i]) if i < len(caps) else c for i, c in enumerate(row)] for row in cells]
        headers = [_wrap_cell(str(h), max(caps[i] - 2, 1)) for i, h in enumerate(headers)]
    table = tabulate(cells, headers, tablefmt="simple", disable_numparse=True, colalign=colalign)
    if notes:
        table += "\n" + "\n".join(fit_lines(n, width, indent="    ") for n in notes)
    return table


def fit_lines(text: str, width: int = DEFAULT_WIDTH, *, indent: str | None = None) -> str:
    """Every line longer than `width` wrapped; a bullet (`- `) or footnote keeps a hanging indent.
    Long words (paths) break only when alone they exceed the width."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        body = line.lstrip()
        hang = indent if indent is not None else lead + ("  " if body.startswith(("- ", "* ")) else "    ")
        out.extend(
            textwrap.wrap(
                line, width, subsequent_indent=hang, break_long_words=True, break_on_hyphens=False,
                drop_whitespace=True,
            )
        )
    return "\n".join(out)
