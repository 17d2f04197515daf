"""Every report is safe to paste: the one place names, paths and messages are escaped for output.

A file name, a module name, a remote's answer or a default value in analysed source can hold a
newline, an ESC sequence, a bidi override or bytes that are not UTF-8. Printed raw, a newline
followed by `::error ...` becomes a GitHub Actions workflow command (the runner reads every line of
a job's output), ESC sequences drive the reader's terminal, a bidi override shows a name other than
the real one, a `|` or a backtick breaks out of a Markdown table cell, and a lone surrogate (what
Python makes of a non-UTF-8 file name) cannot even be encoded. So every renderer passes each
field through one of these, and `safe_output` guards whole reports where they are written.

Non-printable characters (`str.isprintable`: control characters C0 and C1, DEL, format characters
such as bidi overrides and zero-width joiners, line and paragraph separators U+2028/U+2029,
surrogates, unassigned code points, and spaces other than ' ') become Python-style escapes: `\\n`,
`\\x1b`, `\\u202e`; a surrogate from a non-UTF-8 byte shows as that byte, `\\xff`.
"""

from __future__ import annotations

import html as _html
import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~!&])")
_MD_CELL = re.compile(r"([\\`|<>&])")  # what can end a cell, open code or start HTML
# GitHub's runner runs a line as a command when, after leading white space, it starts with "::"
# (workflow commands), and whenever it holds "##[" (the older syntax, anywhere in a line).
_COMMAND_START = re.compile(r"^(\s*):(?=:)", re.MULTILINE)


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    n = ord(ch)
    if 0xDC80 <= n <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{n - 0xDC00:02x}"
    if n <= 0xFF:
        return f"\\x{n:02x}"
    if n <= 0xFFFF:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def printable(text: object) -> str:
    """One line of visible characters: every non-printable character escaped, `##[` defused."""
    s = str(text)
    if not s.isprintable():
        s = "".join(ch if ch.isprintable() else _escape_char(ch) for ch in s)
    return s.replace("##[", "#\\x23[") if "##[" in s else s


def safe_output(report: str, *, commands: bool = False, colored: bool = False) -> str:
    """A whole report, as a last guard where it is written: the line breaks are kept, every other
    non-printable character escaped (but for `colored` text, whose fields were escaped one by one
    and whose ESC sequences are our own colours), and no line starts a workflow command unless
    `commands` (the `github` format, whose lines are commands built from escaped fields)."""
    out = report if colored else "\n".join(printable(line) for line in report.split("\n"))
    return out if commands else _COMMAND_START.sub(r"\1\\x3a", out)


# -- GitHub Actions workflow commands ------------------------------------------------------------


def gh_data(text: object) -> str:
    """A workflow command's message, as @actions/core escapes it ('%', CR, LF), then `printable`."""
    return printable(str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def gh_property(text: object) -> str:
    """A workflow command's property value (`file=`, `title=`): also ':' and ','."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


# -- Markdown --------------------------------------------------------------------------------------


def md_text(text: object) -> str:
    """Plain text in Markdown (a table cell, a list item): every character with a meaning escaped,
    `|` included, so a cell cannot end early; HTML cannot start (`<`, `&` escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", printable(text))


def md_cell(text: object) -> str:
    """A Markdown table cell, escaped lightly: only what can end the cell (`|`), open a code span
    or start HTML or an entity; emphasis characters are left, since they cannot break out."""
    return _MD_CELL.sub(r"\\\1", printable(text))


def md_code(text: object) -> str:
    """A code span that holds any text: fenced by one more backtick than the longest run inside
    (padded when it starts or ends with one), and `|` escaped, which GitHub requires in tables
    even inside code."""
    s = printable(text).replace("|", "\\|")
    if not s:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" ") and s.strip()) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def cell(value: object, markdown: bool = False) -> object:
    """A table cell (tabulate): text escaped for the table's format; numbers and None as they are."""
    if value is None or isinstance(value, (int, float)):
        return value
    return md_cell(value) if markdown else printable(value)


def rows_of(rows: list[list[object]], markdown: bool = False) -> list[list[object]]:
    """Every cell of a table through `cell`."""
    return [[cell(v, markdown) for v in row] for row in rows]


# -- HTML ------------------------------------------------------------------------------------------


def html_text(text: object) -> str:
    """Text in HTML (element content or a quoted attribute value, in SVG too): `printable` first,
    so no NUL, control character or bidi override reaches the page, then `& < > " '` as entities,
    so no name can open a tag, end an attribute or start an entity."""
    return _html.escape(printable(text), quote=True)


def html_columns(line: str) -> str:
    """A source line for a snippet whose caret must stay under the same column: the line already
    made visible (`annotated.snippet`), so only spaces other than ' ' remain to be made plain
    (one character each, where `printable` would write four), then escaped as `html_text` does."""
    return html_text("".join(" " if ch.isspace() else ch for ch in line))
