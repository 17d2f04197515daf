"""Reporters: findings in, text out. The JSON and SARIF shapes are stable contracts.

Formats: `text` (each finding with its source line, a caret, the bound definition and a
suggestion: `reports.annotated`), `concise` (one `path:line:col: CODE message [target]` per
line, for editors and pre-commit), `json`,
`sarif` (SARIF 2.1.0 as GitHub code scanning reads it), `github` (workflow commands that
annotate a pull request), `markdown` (a pipe table for PR comments and job summaries).
Each reporter takes findings whose `path` is what the user should see; SARIF and GitHub also
take a repository-relative path for each finding.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote


# A finding's identity is computed where findings are selected (baseline matching uses it too);
# `call_index` is re-exported for the callers that build `identities` for `sarif`.
from ..analysis.selection import call_index, finding_identity  # noqa: F401
from ..facts.findings import Code, Finding
from .annotated import help_text, note_text
from .words import count
from ..version import __version__
from .escape import gh_data, gh_property, md_code, md_text, printable

if TYPE_CHECKING:
    from ..analysis.project import Project

FORMATS = ("text", "concise", "json", "sarif", "github", "markdown", "html")  # html: reports/html.py
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "callgraph/v1"


# -- what each code means: `callgraph explain`, SARIF rule help ------------------------------------


@dataclass(frozen=True, slots=True)
class RuleDoc:
    why: str  # what goes wrong at runtime
    wrong: str  # a minimal module that has the finding
    right: str  # the same module, fixed


RULE_DOCS: dict[Code, RuleDoc] = {
    Code.CG000: RuleDoc(
        "CPython cannot compile the file, so importing it raises SyntaxError. callgraph reports "
        "CPython's own message and analyses the rest of the project; nothing in this file is checked.",
        "def area(width, height)\n    return width * height\n",
        "def area(width, height):\n    return width * height\n",
    ),
    Code.CG101: RuleDoc(
        "The call passes more positional arguments than the function has positional parameters, "
        "so it raises TypeError before the body runs.",
        'def greet(name):\n    return "hello " + name\n\ngreet("Ada", "Lovelace")\n',
        'def greet(name):\n    return "hello " + name\n\ngreet("Ada Lovelace")\n',
    ),
    Code.CG102: RuleDoc(
        "A parameter without a default gets no value, so the call raises TypeError: the signature "
        "gained a parameter that this caller was not updated for, or an argument was dropped.",
        'def connect(host, port):\n    return (host, port)\n\nconnect("db.internal")\n',
        'def connect(host, port):\n    return (host, port)\n\nconnect("db.internal", 5432)\n',
    ),
    Code.CG103: RuleDoc(
        "The call names a keyword the function does not accept (often a typo or a renamed "
        "parameter), so it raises TypeError.",
        "def resize(image, width, height):\n    return image\n\nresize(None, width=640, heigth=480)\n",
        "def resize(image, width, height):\n    return image\n\nresize(None, width=640, height=480)\n",
    ),
    Code.CG104: RuleDoc(
        "One parameter is filled by position and again by keyword, so the call raises TypeError.",
        "def move(x, y):\n    return (x, y)\n\nmove(3, x=1)\n",
        "def move(x, y):\n    return (x, y)\n\nmove(x=1, y=3)\n",
    ),
    Code.CG105: RuleDoc(
        "A parameter before `/` in the signature is positional-only; passing it by name raises TypeError.",
        "def clamp(value, /, low, high):\n    return max(low, min(value, high))\n\nclamp(value=5, low=0, high=10)\n",
        "def clamp(value, /, low, high):\n    return max(low, min(value, high))\n\nclamp(5, low=0, high=10)\n",
    ),
    Code.CG201: RuleDoc(
        "A later `def` with the same name in the same block replaces the earlier one: the earlier "
        "body is dead code and every caller binds to the later signature.",
        "class Driver:\n    def attempt(self, sql):\n        return sql\n\n    def attempt(self):\n        return 0\n",
        "class Driver:\n    def attempt(self, sql):\n        return sql\n\n    def attempts(self):\n        return 0\n",
    ),
    Code.CG900: RuleDoc(
        "A `# callgraph: ignore` or `# noqa: CG...` comment matches no finding on its line: the "
        "problem it silenced is gone, or the code it names is wrong. Stale suppressions hide the next "
        "real finding on that line. Reported only with --warn-unused-ignores.",
        "def greet(name):\n    return name\n\ngreet('Ada')  # callgraph: ignore[CG101]\n",
        "def greet(name):\n    return name\n\ngreet('Ada')\n",
    ),
}


def suppress_hint(code: Code) -> str:
    return (
        f"To suppress one finding, end its line with `# callgraph: ignore[{code.value}]` "
        f"(or `# noqa: {code.value}`); for a whole file or project, use `per-file-ignores` or "
        f"`ignore = [\"{code.value}\"]` under [tool.callgraph] in pyproject.toml."
    )


def explain(code: Code) -> str:
    """Plain text for `callgraph explain CODE`."""
    doc = RULE_DOCS[code]
    indent = lambda s: textwrap.indent(s.rstrip("\n"), "    ")  # noqa: E731
    return (
        f"{code.value} {code.slug}: {code.description}\n\n"
        f"{textwrap.fill(doc.why, 88)}\n\n"
        f"Wrong:\n\n{indent(doc.wrong)}\n\n"
        f"Right:\n\n{indent(doc.right)}\n\n"
        f"Suppress one finding with `# callgraph: ignore[{code.value}]` (or `# noqa: {code.value}`) at the end\n"
        f"of its line; for files or the whole project, use `per-file-ignores` or\n"
        f"`ignore = [\"{code.value}\"]` under [tool.callgraph] in pyproject.toml.\n"
    )


def explain_markdown(code: Code) -> str:
    doc = RULE_DOCS[code]
    return (
        f"**{code.value} {code.slug}**: {code.description}\n\n{doc.why}\n\n"
        f"Wrong:\n\n```python\n{doc.wrong.rstrip()}\n```\n\n"
        f"Right:\n\n```python\n{doc.right.rstrip()}\n```\n\n{suppress_hint(code)}\n"
    )


# -- text ----------------------------------------------------------------------------------------

_BOLD, _RED, _DIM, _YELLOW, _RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[2m", "\x1b[33m", "\x1b[0m"


def text_line(f: Finding, *, color: bool = False, suppressed: bool = False) -> str:
    """One line; the path, message and target escaped (`printable`), so a name cannot add a line."""
    target = f" [{printable(f.target)}]" if f.target else ""
    tail = " (suppressed)" if suppressed else ""
    path, message = printable(f.path), printable(f.message)
    if not color:
        return f"{path}:{f.line}:{f.column}: {f.code.value} {message}{target}{tail}"
    code_color = _YELLOW if suppressed else _RED
    return (
        f"{_BOLD}{path}:{f.line}:{f.column}:{_RESET} {code_color}{f.code.value}{_RESET} {message}"
        f"{_DIM}{target}{tail}{_RESET}"
    )


def text(findings: Iterable[Finding], *, color: bool = False, suppressed: Iterable[Finding] = ()) -> str:
    lines = [text_line(f, color=color) for f in findings]
    lines += [text_line(f, color=color, suppressed=True) for f in suppressed]
    return "\n".join(lines)


# -- json ----------------------------------------------------------------------------------------


def finding_dict(f: Finding) -> dict:
    return {
        "code": f.code.value,
        "name": f.code.slug,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "message": f.message,
        "target": f.target,
        "definition": {"path": f.definition.path, "line": f.definition.line} if f.definition else None,
        "signature": f.signature,
        "suggestion": suggestion_dict(f),
    }


def suggestion_dict(f: Finding) -> dict | None:
    """A finding's suggestion for JSON and SARIF: its kind, keywords, replacement, certainty and words."""
    s = f.suggestion
    if s is None:
        return None
    return {
        "kind": s.kind.value,
        "keywords": list(s.keywords),
        "replacement": s.replacement or None,
        "certain": s.certain,
        "message": help_text(s, f.code),
    }


def json_report(project: Project, findings: list[Finding], *, suppressed: Sequence[Finding] | None = None) -> str:
    doc = {
        "tool": {"name": "callgraph", "version": __version__},
        "findings": [finding_dict(f) for f in findings],
        "errors": [{"path": e.path, "message": e.message} for e in project.errors],
        "stats": project.stats,
    }
    if suppressed is not None:
        doc["suppressed"] = [finding_dict(f) for f in suppressed]
    return json.dumps(doc, indent=2)


def summary(project: Project, findings: list[Finding], *, suppressed: int = 0, focus: int | None = None) -> str:
    """The closing line; `focus`: how many files were named (only findings involving them are shown)."""
    s = project.stats
    hidden = f" ({suppressed} suppressed)" if suppressed else ""
    only = f"; shown: those involving the {count(focus, 'named file')}" if focus is not None else ""
    return (
        f"{count(len(findings), 'finding')}{hidden} in {count(s['files'], 'file')} "
        f"({count(s['functions'], 'function')}, {count(s['calls'], 'call')}, {s['resolved_calls']} resolved) in {s['seconds']:.2f}s"
        f"{only}"
    )


def no_python_files(paths: Sequence[str]) -> str:
    """The warning for a tree without Python files (exit 0: an empty tree is not broken)."""
    return f"callgraph: warning: no Python files under {', '.join(paths)}; nothing was checked"


def not_python(path: str) -> str:
    """The error for a named file `check` cannot read as Python (exit 2)."""
    return f"{path}: not a Python file (check reads .py files, and directories holding them)"


# -- fingerprints --------------------------------------------------------------------------------


def fingerprints(items: Sequence[tuple[Finding, str, str]]) -> list[str]:
    """One fingerprint per (finding, repository-relative path, identity); repeats get an ordinal."""
    seen: Counter[str] = Counter()
    out = []
    for f, rel, identity in items:
        key = f"{f.code.value}\0{rel}\0{identity}"
        seen[key] += 1
        out.append(hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogateescape")).hexdigest()[:32])
    return out


# -- SARIF 2.1.0 ---------------------------------------------------------------------------------


def _uri(rel: str) -> tuple[str, bool]:
    """(URI, relative?) for a repository-relative posix path or an absolute one."""
    raw = rel.encode("utf-8", "surrogateescape")  # a non-UTF-8 name: its own bytes, percent-encoded
    if PurePosixPath(rel).is_absolute():
        return "file://" + quote(raw, safe="/"), False
    if re.match(r"^[A-Za-z]:[\\/]", rel):
        return "file:///" + rel[:2] + quote(raw[2:].replace(b"\\", b"/"), safe="/"), False
    return quote(raw, safe="/"), True


def _artifact(rel: str) -> dict:
    uri, relative = _uri(rel)
    return {"uri": uri, "uriBaseId": SRCROOT} if relative else {"uri": uri}


def sarif_rules() -> list[dict]:
    rules = []
    for code in Code:
        doc = RULE_DOCS[code]
        rules.append(
            {
                "id": code.value,
                "name": code.slug,
                "shortDescription": {"text": code.description},
                "fullDescription": {"text": doc.why},
                "help": {"text": explain(code), "markdown": explain_markdown(code)},
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["correctness", "python"], "precision": "very-high", "problem.severity": "error"},
            }
        )
    return rules


def sarif(
    findings: Sequence[Finding],
    *,
    relpath: Callable[[str], str] = lambda p: p,
    identities: Sequence[str] | None = None,
    root_uri: str | None = None,
    suppressed: Sequence[Finding] = (),
    suppressed_identities: Sequence[str] | None = None,
    notes: Iterable[tuple[str, str]] = (),
) -> str:
    """A SARIF 2.1.0 log with one run.

    `relpath` maps a finding's path to the repository-relative posix path that becomes
    `artifactLocation.uri` (relative to `%SRCROOT%`, which `root_uri` names when given).
    `identities` (from `finding_identity`) make `partialFingerprints` survive unrelated edits.
    `suppressed` findings are listed with an in-source suppression; `notes` are (path, message).
    """
    order = {code: i for i, code in enumerate(Code)}
    ids = list(identities) if identities is not None else [finding_identity(f) for f in findings]
    sids = list(suppressed_identities) if suppressed_identities is not None else [finding_identity(f) for f in suppressed]
    items = [(f, relpath(f.path), i, False) for f, i in zip(findings, ids)]
    items += [(f, relpath(f.path), i, True) for f, i in zip(suppressed, sids)]
    prints = fingerprints([(f, rel, i) for f, rel, i, _ in items])
    results = []
    for (f, rel, _, is_suppressed), fp in zip(items, prints):
        result: dict = {
            "ruleId": f.code.value,
            "ruleIndex": order[f.code],
            "level": "error",
            "message": {"text": printable(f.message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(rel),
                        "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fp},
        }
        if f.definition is not None and f.target:
            result["relatedLocations"] = [
                {
                    "id": 1,
                    "message": {"text": printable(note_text(f) or f"{f.target} is defined here")},
                    "physicalLocation": {
                        "artifactLocation": _artifact(relpath(f.definition.path)),
                        "region": {"startLine": max(f.definition.line, 1)},
                    },
                }
            ]
        if f.target:
            result["properties"] = {"target": printable(f.target)}
        if f.signature:
            result.setdefault("properties", {})["signature"] = printable(f.signature)
        if f.suggestion:
            result.setdefault("properties", {})["suggestion"] = suggestion_dict(f)
        if is_suppressed:
            result["suppressions"] = [{"kind": "inSource"}]
        results.append(result)
    run: dict = {
        "tool": {
            "driver": {
                "name": "callgraph",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": sarif_rules(),
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if root_uri:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}}
    notifications = [
        {
            "level": "note",
            "message": {"text": printable(message)},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(relpath(path))}}],
        }
        for path, message in notes
        if message
    ]
    invocation: dict = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run["invocations"] = [invocation]
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False)


# -- GitHub Actions workflow commands ------------------------------------------------------------


escape_data, escape_property = gh_data, gh_property  # as @actions/core escapes, after `printable`


def github(
    findings: Iterable[Finding], *, relpath: Callable[[str], str] = lambda p: p, notes: Iterable[tuple[str, str]] = ()
) -> str:
    """`::error file=…,line=…,col=…,title=CG101::message` per finding; notes as `::notice`."""
    lines = []
    for f in findings:
        props = f"file={escape_property(relpath(f.path))},line={f.line},col={f.column},title={escape_property(f.code.value)}"
        target = f" [{f.target}]" if f.target else ""
        lines.append(f"::error {props}::{escape_data(f.message + target)}")
    for path, message in notes:
        lines.append(f"::notice file={escape_property(relpath(path))},title=callgraph::{escape_data(message)}")
    return "\n".join(lines)


# -- Markdown ------------------------------------------------------------------------------------

def markdown(findings: Sequence[Finding], project: Project | None = None, *, suppressed: Sequence[Finding] = ()) -> str:
    """A heading line and a pipe table (tabulate) of the findings."""
    files = f" in {count(project.stats['files'], 'file')}" if project is not None else ""
    n = len(findings)
    hidden = f" ({len(suppressed)} suppressed)" if suppressed else ""
    if not findings and not suppressed:
        return f"**callgraph**: no findings{files}."
    head = f"**callgraph**: {n} finding{'s' if n != 1 else ''}{hidden}{files}"
    rows = [
        [md_code(f"{f.path}:{f.line}:{f.column}"), f.code.value, md_text(f.message), md_code(f.target or "")]
        for f in findings
    ]
    rows += [
        [md_code(f"{f.path}:{f.line}:{f.column}"), f"{f.code.value} (suppressed)", md_text(f.message), md_code(f.target or "")]
        for f in suppressed
    ]
    from tabulate import tabulate  # imported on use: most runs print no table

    table = tabulate(rows, ["location", "code", "message", "target"], tablefmt="pipe", disable_numparse=True)
    return f"{head}\n\n{table}"
