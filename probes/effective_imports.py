"""Which bytes the remote runs for each project module, and by which mechanism: applied to the
remote snapshot so the analysis checks what actually runs.

`apply_imports` takes the validated probe answer and the snapshot's files (the upload, with its
top-level packages already replaced by the copies the remote imports) and:
- replaces a project submodule the search path finds outside the root (an old namespace portion,
  a copy on PYTHONPATH or behind a .pth line) with that copy;
- replaces a module whose bytecode CPython runs (a sourceless `.pyc`; a `__pycache__` entry that
  is not the source's own compile and whose definitions differ from the source's) with the
  signatures its code objects prove (`probes.bytecode`, read in another process);
and returns one `ImportChange` per finding, naming the mechanism and its evidence (the `.pth`
file and line, the PYTHONPATH entry, the namespace portions, the pyc's kind and version).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .import_evidence import ImportEvidence, PthImport, PycEvidence
    from .probe import Overlay, ProbeResult, RemoteFile


class Mechanism(str, Enum):
    """Why the remote runs other bytes than the upload's source for a module."""

    SOURCELESS_PYC = "sourceless-pyc"  # a .pyc in the legacy location, no .py beside it
    PYCACHE = "pycache-instead-of-source"  # a __pycache__ entry importlib accepts, not the source's compile
    PYTHONPATH = "pythonpath"  # an entry PYTHONPATH put on sys.path
    PTH_PATH = "pth-path-line"  # a path line of a .pth file
    PTH_IMPORT = "pth-import-line"  # code in a .pth file put the entry on sys.path
    NAMESPACE_PORTION = "namespace-portion"  # an earlier portion of a namespace package holds the module
    SITE_PACKAGES = "site-packages"  # an installed copy
    ZIP = "zip-on-sys-path"  # an archive on sys.path
    STARTUP_HOOK = "startup-hook"  # sitecustomize/usercustomize may have changed sys.path
    SYS_PATH = "sys-path-entry"  # another sys.path entry (the program directory, a hand-made path)


@dataclass(frozen=True, slots=True)
class ImportChange:
    """One project module the remote runs from other bytes, and why. Every field is evidence."""

    path: str  # the project path (`pkg/rates.py`)
    module: str
    mechanism: Mechanism
    runs: str  # the remote file it runs
    index: int | None = None  # the sys.path entry
    entry: str | None = None  # that entry's path
    evidence_file: str | None = None  # the .pth file, the sitecustomize module
    evidence_line: int | None = None  # the .pth line
    evidence_text: str | None = None  # that line's text, or PYTHONPATH's value
    pyc_kind: str | None = None  # timestamp | checked-hash | unchecked-hash
    pyc_version: str | None = None  # the Python version that reads the pyc's magic number
    portions: tuple[str, ...] = ()  # the namespace package's portions, in path order
    why: str = ""  # importlib's rule in words
    analysed: bool = False  # the analysis used those bytes (False: named, not read)
    note: str = ""  # what could not be read, and why


def apply_imports(files: dict[str, RemoteFile], result: ProbeResult, overlays: list[Overlay],
                  by_module: dict[str, str]) -> tuple[list[ImportChange], list[str]]:
    """Update `files` in place to the bytes the remote runs; the changes and notes."""
    from .probe import RemoteFile, under

    ev: ImportEvidence | None = result.imports  # type: ignore[assignment]
    changes: list[ImportChange] = []
    notes: list[str] = []
    for ov in overlays:
        res = result.modules.get(ov.name)
        changes.append(_change(ov.prefix, ov.name, ov.remote, res.index if res else ov.index, result, ev, analysed=True))
    covered = {ov.name for ov in overlays}
    for name, res in sorted(result.modules.items()):  # found outside the root and not read (a zip, an extension)
        where = res.origin or res.location or ""
        path = by_module.get(name)
        if name in covered or res.status != "found" or res.kind == "namespace" or path is None or not where \
                or under(_absolute(where, result.cwd), _absolute(result.root, result.cwd)) is not None:
            continue
        note = "not read: an extension module" if res.kind == "extension" else "not read: in a zip archive or not source"
        changes.append(_change(path, name, where, res.index, result, ev, note=note))
    if ev is None:
        return changes, notes
    for o in ev.origins:
        if any(o.path.startswith(ov.prefix) or o.path == ov.prefix for ov in overlays):
            continue
        if o.data is not None:
            files[o.path] = RemoteFile(o.path, o.size, o.sha256, o.data, o.origin)
        change = _change(o.path, o.name, o.origin, o.index, result, ev, analysed=o.data is not None)
        if o.portions:
            change = _replace(change, mechanism=Mechanism.NAMESPACE_PORTION, portions=o.portions,
                              why=f"{o.name.rpartition('.')[0]} is a namespace package; the first portion "
                                  f"holding {o.name.rpartition('.')[2]} wins")
        changes.append(change)
    in_trees = {where: rows for where, rows in ev.trees}
    outside = [replace(p, path=ov.prefix + p.path) for ov in overlays for p in in_trees.get(ov.remote, ())
               if ov.prefix.endswith("/")]
    modules = {path: name for name, path in by_module.items()}
    changes += _bytecode(files, list(ev.bytecode) + outside, modules, notes)
    return changes, notes


def _bytecode(files: dict[str, RemoteFile], pycs: list[PycEvidence], modules: dict[str, str],
              notes: list[str]) -> list[ImportChange]:
    from .bytecode import read_pycs, signature_table
    from .probe import RemoteFile

    used = [p for p in pycs if p.used and p.data is not None and not p.same_as_source]
    unknown = [p for p in pycs if p.used and p.role == "cache" and p.same_as_source is None]
    if unknown:
        notes.append(f"{len(unknown)} __pycache__ entries CPython runs were not compared with their sources "
                     f"(the probe's time for it was spent), e.g. {unknown[0].pyc}")
    for p in pycs:
        if not p.used and p.role == "sourceless":
            notes.append(f"{p.pyc}: {p.why}")
    if not used:
        return []
    readings = read_pycs([p.data for p in used])  # type: ignore[misc]
    out = []
    for p, facts in zip(used, readings):
        module = modules.get(p.path) or p.path[:-3].replace("/", ".").removesuffix(".__init__")
        mech = Mechanism.SOURCELESS_PYC if p.role == "sourceless" else Mechanism.PYCACHE
        change = ImportChange(p.path, module, mech, p.pyc, pyc_kind=p.kind, pyc_version=facts.version, why=p.why)
        if facts.stub is None:
            out.append(_replace(change, note=f"its definitions cannot be read: {facts.error}"))
            notes.append(f"{p.pyc}: {facts.error}")
            continue
        source = files.get(p.path)
        if mech is Mechanism.PYCACHE and source is not None and source.data is not None:
            stub_table, source_table = signature_table(facts.stub), signature_table(source.data)
            if stub_table is not None and source_table is not None and all(
                    source_table.get(k) == v for k, v in stub_table.items()):
                continue  # not byte for byte the source's compile (another file name), but the same definitions
        files[p.path] = RemoteFile(p.path, len(p.data or b""), p.sha256, facts.stub, p.pyc)
        out.append(_replace(change, analysed=True, note="definitions read from its code objects; the code inside "
                            "them is not checked"))
    return out


def _absolute(path: str, cwd: str | None) -> str:
    """A remote path as the remote process sees it: relative ones (sys.path[0] of `python dir/x.py`,
    a spec given as `r`) are relative to its working directory."""
    if cwd and not posixpath.isabs(path):
        path = posixpath.join(cwd, path)
    return posixpath.normpath(path)


def _replace(change: ImportChange, **kw) -> ImportChange:
    return replace(change, **kw)


def _change(path: str, module: str, runs: str, index: int | None, result: ProbeResult, ev: ImportEvidence | None,
            analysed: bool = False, note: str = "") -> ImportChange:
    """The mechanism that put sys.path[index] there, with its evidence."""
    row = result.sys_path[index] if index is not None and 0 <= index < len(result.sys_path) else None
    base = ImportChange(path, module, Mechanism.SYS_PATH, runs, index, row["entry"] if row else None,
                        analysed=analysed, note=note)
    if row is None:
        return base
    resolved, origin = posixpath.normpath(row.get("resolved") or row["entry"] or "/"), row.get("origin") or ""
    lines: tuple[PthImport, ...] = ev.pth_lines if ev else ()
    if row.get("kind") == "zip":
        return _replace(base, mechanism=Mechanism.ZIP, why="an archive on sys.path: zipimport reads it")
    if origin == "PYTHONPATH":
        value = dict(ev.env).get("PYTHONPATH") if ev else None
        return _replace(base, mechanism=Mechanism.PYTHONPATH, evidence_text=value,
                        why="PYTHONPATH puts its entries ahead of site-packages")
    for kind, mech in (("path", Mechanism.PTH_PATH), ("import", Mechanism.PTH_IMPORT)):
        for line in lines:
            if line.kind == kind and any(posixpath.normpath(p) == resolved for p in line.paths):
                why = ("site adds a .pth file's path lines to sys.path" if kind == "path" else
                       "site runs a .pth file's import lines at start-up; this one names the entry")
                return _replace(base, mechanism=mech, evidence_file=line.file, evidence_line=line.line,
                                evidence_text=line.text, why=why)
    if origin.startswith(".pth: "):
        return _replace(base, mechanism=Mechanism.PTH_PATH, evidence_file=origin[6:],
                        why="site adds a .pth file's path lines to sys.path")
    if origin == "site-packages":
        return _replace(base, mechanism=Mechanism.SITE_PACKAGES, why="an installed copy")
    if origin == "other" and ev is not None:
        code = [line for line in lines if line.kind == "import"]
        if ev.hooks or code:
            hook = ev.hooks[0] if ev.hooks else None
            return _replace(base, mechanism=Mechanism.STARTUP_HOOK if hook else Mechanism.PTH_IMPORT,
                            evidence_file=hook[1] if hook else code[0].file,
                            evidence_line=None if hook else code[0].line,
                            evidence_text=None if hook else code[0].text,
                            why="an entry no path line or variable explains: start-up code can have added it")
    return _replace(base, why=f"sys.path[{index}] ({origin or 'origin unknown'})")
