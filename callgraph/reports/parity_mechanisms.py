"""How the remote interpreter picks other bytes than the upload's source, as data and as sentences.

`probes.effective_imports` finds the mechanisms (`ImportChange`: a sourceless `.pyc`, a
`__pycache__` entry CPython runs instead of the source, a PYTHONPATH entry, a `.pth` path or
import line, an old namespace portion, an installed copy, a zip on sys.path, start-up code) and
applies them to the remote snapshot. Here they become JSON (`change_dict`, the report's
`import_mechanisms`) and one plain sentence each (`sentences`: kind, sentence, the JSON field that
backs it), for the executive summary to take. Nothing here reads files or runs anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .escape import md_cell, md_code

if TYPE_CHECKING:
    from probes.effective_imports import ImportChange

    from ..facts.findings import Finding

FIELD = "import_mechanisms"


def change_dict(c: ImportChange) -> dict:
    """One mechanism's evidence, every field a sentence may use."""
    return {
        "path": c.path, "module": c.module, "mechanism": c.mechanism.value, "runs": c.runs,
        "sys_path_index": c.index, "sys_path_entry": c.entry, "evidence_file": c.evidence_file,
        "evidence_line": c.evidence_line, "evidence_text": c.evidence_text, "pyc_kind": c.pyc_kind,
        "pyc_version": c.pyc_version, "portions": list(c.portions), "why": c.why or None, "analysed": c.analysed,
        "note": c.note or None,
    }


def _where(c: ImportChange) -> str:
    at = f"{md_code(c.evidence_file)} line {c.evidence_line}" if c.evidence_line else md_code(c.evidence_file or "?")
    kind = c.mechanism.value
    if kind == "sourceless-pyc":
        version = f" (Python {c.pyc_version} bytecode)" if c.pyc_version else ""
        return (f"the upload has no source for {md_code(c.module)}, so CPython runs the bytecode "
                f"{md_code(c.runs)} left beside it{version}")
    if kind == "pycache-instead-of-source":
        rule = {"timestamp": "it records the source's modification time and size",
                "unchecked-hash": "it is an unchecked hash-based pyc, never compared with the source",
                "checked-hash": "its recorded hash is the source's"}.get(c.pyc_kind or "", md_cell(c.why))
        return (f"CPython runs {md_code(c.runs)} instead of {md_code(c.path)} because {rule}, "
                "but that bytecode was compiled from other source")
    if kind == "pythonpath":
        return (f"PYTHONPATH puts {md_code(c.entry or '?')} on sys.path[{c.index}], ahead of the upload, "
                f"so {md_code(c.module)} comes from {md_code(c.runs)}")
    if kind == "pth-path-line":
        return (f"the .pth file {at} adds {md_code(c.entry or '?')} to sys.path ahead of the upload, "
                f"so {md_code(c.module)} comes from {md_code(c.runs)}")
    if kind == "pth-import-line":
        return (f"the .pth file {at} is code that site runs at start-up ({md_code(c.evidence_text or '?')}), "
                f"naming {md_code(c.entry or '?')}, which sits on sys.path[{c.index}] ahead of the upload, "
                f"so {md_code(c.module)} comes from {md_code(c.runs)}")
    if kind == "namespace-portion":
        return (f"{md_code(c.module.rpartition('.')[0])} is a namespace package split over "
                f"{len(c.portions)} directories, and the first, {md_code(c.portions[0] if c.portions else '?')}, "
                f"holds another {md_code(c.module)}, which CPython imports instead of the upload's")
    if kind == "site-packages":
        # (whether the upload has a copy of it at all is the summary's "Why" line to say)
        return f"{md_code(c.module)} comes from the installed copy {md_code(c.runs)}"
    if kind == "zip-on-sys-path":
        return f"{md_code(c.module)} comes from the archive {md_code(c.entry or c.runs)} on sys.path[{c.index}]"
    if kind == "startup-hook":
        return (f"sys.path[{c.index}] {md_code(c.entry or '?')} is explained by no path line or variable; "
                f"start-up code ({md_code(c.evidence_file or '?')}) can have added it, "
                f"and {md_code(c.module)} comes from {md_code(c.runs)}")
    return f"{md_code(c.module)} comes from {md_code(c.runs)} on sys.path[{c.index}], not the upload ({md_cell(c.why)})"


def sentences(changes: list[ImportChange], remote_only: list[Finding] = ()) -> list[tuple[str, str, str]]:
    """(mechanism kind, one sentence, the JSON field backing it) per mechanism, with the first call
    that breaks in that module's definitions when there is one."""
    out = []
    for i, c in enumerate(changes):
        text = _where(c)
        text = text[0].upper() + text[1:]
        broken = next((f for f in remote_only if (f.definition is not None and f.definition.path == c.path)
                       or (f.target or "").startswith(c.module + ".")), None)
        if broken is not None:
            text += f"; the call at {md_code(f'{broken.path}:{broken.line}')} fails there: {md_cell(broken.message)}"
        elif c.note and not c.analysed:
            text += f" ({md_cell(c.note)})"
        out.append((c.mechanism.value, text + ".", f"{FIELD}[{i}]"))
    return out
