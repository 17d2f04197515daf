"""The evidence for `callgraph parity LOCAL REMOTE`: why it passes here and fails there.

Gathers both analyses, file hashes, what each interpreter would import, and the git provenance of
the remote copies, and hands them to `reports.parity.build_report`, which turns them into the
report. `investigate` is the whole job as a function; `callgraph parity` and `callgraph demo`
call it. Remote copies are reached through `probes`, imported on use.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shlex
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis.project import Project
from ..errors import InputError
from ..facts.source import blob_id
from ..pipeline import analyze_snapshot
from ..snapshots.base import Snapshot, name_modules
from ..snapshots.git import GitSnapshot, run_git
from ..snapshots.spec import open_snapshot
from ..snapshots.tree import DirSnapshot
from ..store.memory import MemoryCache
from ..store.outside import EnvironmentModules
from .escape import md_cell, md_code
from .environment_drift import analyze_remote, environment_drift, local_side, remote_side
from .parity import (FileFacts, ModuleRow, OverlayRow, ParityReport, Place, Provenance, SymbolReport, SymbolSide,
                     build_report)
from .parity_diagnosis import code_difference
from .parity_unseen import find_unseen, imported_tops

if TYPE_CHECKING:
    from probes import Limits, RemoteSnapshot

    from ..environment.model import Environment
    from ..store.cache import FactsCache, NullCache
    from probes.probe import ProbeResult, Resolution


# -- the investigation ----------------------------------------------------------------------------


def open_remote_side(spec: str, modules: list[str], limits: Limits, effective: bool, cwd: str | Path = ".",
                     remote_path: list[str] = ()) -> Snapshot:
    """A remote spec through its probe; a directory validated as a remote one (a mounted copy,
    whose import path is its root then `remote_path`, their .pth files read);
    anything else (a git ref, index:) as a plain snapshot."""
    from probes import REMOTE_PREFIXES, DirProbe, RemoteSnapshot, open_remote

    if spec.startswith(REMOTE_PREFIXES):
        return open_remote(spec, modules, limits, effective)
    snap = open_snapshot(spec, cwd)
    if isinstance(snap, DirSnapshot):  # a mounted filesystem: the same validation, modules resolved in it
        extra = [os.path.abspath(p) for p in remote_path]
        probe = DirProbe(snap.root, search_path=[str(snap.root), *extra], site_dirs=extra, limits=limits, label=spec)
        return RemoteSnapshot(probe, modules, effective=effective, label=spec)
    return snap


def investigate(
    local_spec: str,
    remote_spec: str,
    *,
    modules: list[str] = (),
    symbols: list[str] = (),
    limits: Limits | None = None,
    local_python: str = "python3",
    effective: bool = True,
    roots: list[str] = (),
    cwd: str | Path = ".",
    environment: bool = True,
    local_path: list[str] = (),
    remote_path: list[str] = (),
    cache: FactsCache | NullCache | MemoryCache | None = None,
    mechanisms: list[tuple] = (),
) -> ParityReport:
    """Open both sides, analyse them, gather every section's evidence, and build the report
    (its `exit_code` says whether the remote runs the code you have here).

    `environment`: check each side against its own environment: the local side against
    `local_python`'s (with `local_path` first on its import path, as PYTHONPATH would put it), a
    remote side against the remote interpreter's modules, fetched as call sites reach them
    (`reports.environment_drift`); `remote_path`: a directory REMOTE's import path after its root.
    `cache`: where outside modules' facts are looked up and kept, by blob id (default: in memory,
    shared by both sides, so a module with the same bytes on both is parsed once).
    `mechanisms`: causes the import model found, (kind, sentence, JSON pointers[, fix-plan step])."""
    from probes import Limits, RemoteSnapshot

    limits = limits or Limits.from_env()
    for m in modules:
        if not all(part.isidentifier() for part in m.split(".")):
            raise InputError(f"--module {m!r}: not a dotted module name")
    with ExitStack() as stack:
        if local_spec.startswith(("cmd:", "docker:", "e2b:")):
            local = stack.enter_context(open_remote_side(local_spec, list(modules), limits, effective, cwd))
        else:
            local = stack.enter_context(open_snapshot(local_spec, cwd))
        env_notes: list[str] = []
        env = _local_environment(local_python, local_path, env_notes) if environment else None
        cache = cache if cache is not None else MemoryCache()
        local_project = analyze_snapshot(local, roots=roots, cache=cache,
                                         **({"outside": EnvironmentModules(env, cache)} if env else {}))
        # the local tree's own top-level modules it imports too: where the remote takes them from is the question
        asked = list(dict.fromkeys([*modules, *imported_tops(local.entries(), local_project)]))
        remote = stack.enter_context(open_remote_side(remote_spec, asked, limits, effective, cwd, remote_path))
        drift = None
        if env is not None and isinstance(remote, RemoteSnapshot):  # each side against its own environment
            remote_project, fetched, more = analyze_remote(remote, roots, cache=cache)
            env_notes += more
            drift = environment_drift(local_side(env), remote_side(remote.result.environment, remote.result.python),
                                      local_project, remote_project, local_project.outside, fetched)
            drift.notes += env_notes
        else:
            remote_project = analyze_snapshot(remote, roots=roots, cache=cache,
                                              **({"outside": EnvironmentModules(env, cache)} if env else {}))
        local_files = _facts(local)
        remote_files = _facts(remote)
        rsnap = remote if isinstance(remote, RemoteSnapshot) else None
        file_notes = _file_notes(rsnap, local_files) if rsnap else {}
        if rsnap:  # upload files the interpreter does not import (replaced by a shadowing copy)
            for path, f in rsnap.uploaded.items():
                if path not in remote_files and path not in file_notes:
                    file_notes[path] = f"in the upload ({f.origin}) but not imported: shadowed"
        differing = [p for p in sorted(local_files.keys() & remote_files.keys())
                     if local_files[p].sha256 != remote_files[p].sha256]
        provenance = _provenance(local, {p: blob_id(remote.read(p)) for p in differing + sorted(
            remote_files.keys() - local_files.keys()) if not remote_files[p].origin.endswith(".pyc")})
        differences = {p: code_difference(local.read(p), remote.read(p)) for p in differing}
        overlays = _overlays(rsnap) if rsnap else []
        installed = _installed(rsnap, overlays, local_files) if rsnap else {}
        local_result = _local_modules(local, list(modules), local_python, limits) if modules else None
        rows = [_module_row(m, local, local_result, rsnap, remote) for m in modules]
        symbol_reports = [_symbol(s, local_project, remote_project) for s in symbols]
        result = rsnap.result if rsnap else None
        report = build_report(
            local_label=local_spec,
            remote_label=remote_spec,
            local_project=local_project,
            remote_project=remote_project,
            local_files=local_files,
            remote_files=remote_files,
            file_notes=file_notes,
            provenance=provenance,
            modules=rows,
            symbols=symbol_reports,
            commands=_commands(local_spec, remote_spec, local, rsnap, modules, symbols, differing) + (
                _environment_commands(local, drift) if drift else []),
            local_python=_python(local_result.python if local_result else None) or (
                f"{drift.local.python} ({drift.local.executable})" if drift else ""),
            remote_python=_python(result.python if result else None),
            remote_sys_path=result.sys_path if result else [],
            remote_cwd=result.cwd if result else None,
            overlays=overlays,
            installed=installed,
            differences=differences,
            mechanisms=list(mechanisms),
            notes=[f"local: {n}" for n in local.notes] + [f"remote: {n}" for n in remote.notes] + (
                [] if drift else [f"environment: {n}" for n in env_notes]),
            environment=drift,
            import_changes=rsnap.changes if rsnap else [],
            unseen=find_unseen(local_files, local_project, rsnap) if rsnap else [],
        )
    return report


def _environment_commands(local: Snapshot, drift) -> list[tuple[str, str]]:
    """The local side's check against its environment, for each call the environment explains."""
    if not isinstance(local, DirSnapshot) or not drift.calls:
        return []
    cmd = ["callgraph", "check", str(local.root.resolve()), "--python", drift.local.executable]
    return [("environments, local", shlex.join(cmd))]


def _local_environment(python: str, extra: list[str], notes: list[str]) -> Environment | None:
    """The local environment parity checks against: `python`'s, `extra` first on its import path."""
    from ..environment.model import Environment, ImportPathEntry, PathOrigin

    try:
        env = Environment.local(python)
    except (InputError, OSError) as exc:
        notes.append(f"the local environment is unknown, outside calls are not checked locally: {exc}")
        return None
    if extra:
        entries = tuple(ImportPathEntry(os.path.abspath(p), PathOrigin.OTHER) for p in extra)
        env = replace(env, import_path=entries + env.import_path)
    return env


def _facts(snap: Snapshot) -> dict[str, FileFacts]:
    from probes import RemoteSnapshot

    if isinstance(snap, RemoteSnapshot):
        return {p: FileFacts(f.sha256, f.size, f.origin) for p, f in snap.files.items()}
    paths = sorted(snap.entries())
    data = snap.read_many(paths)
    root = snap.root.resolve() if isinstance(snap, DirSnapshot) else None
    return {
        p: FileFacts(hashlib.sha256(data[p]).hexdigest(), len(data[p]), str(root / p) if root else "")
        for p in paths
    }


def _file_notes(snap: RemoteSnapshot, local: dict[str, FileFacts]) -> dict[str, str]:
    notes: dict[str, str] = {}
    for ov in snap.overlays:
        for path, f in snap.files.items():
            if not (path == ov.prefix or path.startswith(ov.prefix)):
                continue
            up = snap.uploaded.get(path)
            if up is None:
                state = "not in the upload"
            elif path in local and up.sha256 == local[path].sha256:
                state = "the upload matches local"
            else:
                state = f"the upload is {up.sha256[:16]}"
            notes[path] = f"the copy on sys.path[{ov.index}] ({ov.remote}), not the upload; {state}"
    return notes


def _distribution(snap: RemoteSnapshot, name: str) -> str:
    """The remote distribution that installs the top-level `name`: "osiris 0.4.0", or ""."""
    env = snap.result.environment
    for d in env.distributions if env else ():
        if name in d.top_level:
            return f"{d.name} {d.version}"
    return ""


def _overlays(snap: RemoteSnapshot) -> list[OverlayRow]:
    """Each top-level name the remote imports from outside the upload, with the upload's own copy
    (only when the upload holds one: no directory that does not exist is ever named)."""
    out = []
    result = snap.result
    root = result.root
    rows = {posixpath.normpath(r.get("resolved") or r["entry"]): r for r in result.sys_path}
    for ov in snap.overlays:
        res = result.modules.get(ov.name)
        entry = result.sys_path[ov.index] if ov.index is not None and ov.index < len(result.sys_path) else None
        in_upload = any(p == ov.prefix or p.startswith(ov.prefix) for p in snap.uploaded) if ov.prefix.endswith(
            "/") else ov.prefix in snap.uploaded
        upload = posixpath.join(root, ov.prefix) if in_upload else None
        upload_dir = posixpath.join(root, ov.prefix.rsplit("/", 2)[0]) if ov.prefix.count("/") > 1 else root
        up = rows.get(posixpath.normpath(upload_dir)) if upload else None
        from_root = bool(upload and res and res.from_root
                         and res.from_root.get("origin", "").startswith(root.rstrip("/") + "/"))
        out.append(OverlayRow(ov.name, ov.prefix, ov.remote, ov.index, (entry or {}).get("origin") or "", upload,
                              up["index"] if up else None, (up.get("origin") or "") if up else "", from_root,
                              _distribution(snap, ov.name)))
    return out


def _installed(snap: RemoteSnapshot, overlays: list[OverlayRow], local: dict[str, FileFacts]) -> dict[str, str]:
    """Remote files that belong to an installed distribution, not to the project: those under a
    name a distribution installs, where neither the upload nor the local copy has that name."""
    out = {}
    for ov in overlays:
        if not ov.distribution or ov.upload is not None or any(p.startswith(ov.prefix) or p == ov.prefix for p in local):
            continue
        for path in snap.files:
            if path == ov.prefix or path.startswith(ov.prefix):
                out[path] = ov.distribution
    return out


def _python(info: dict | None) -> str:
    if not info:
        return ""
    impl = {"cpython": "CPython", "pypy": "PyPy"}.get(info.get("implementation") or "", info.get("implementation") or "")
    return f"{impl} {info.get('version')} ({info.get('executable')})"


# -- modules --------------------------------------------------------------------------------------


def _local_modules(local: Snapshot, modules: list[str], python: str, limits: Limits) -> ProbeResult | None:
    """Ask the local interpreter, started in the local root, where each module would come from."""
    from probes.probe import ProbeError, build_result, extract_document, probe_source, run_bounded

    if not isinstance(local, DirSnapshot):
        return None
    root = str(local.root.resolve())
    request = {"root": root, "files": False, "auto_modules": False, "modules": modules, "trees": False,
               "read": False, "imports": False, **limits.request()}
    label = f"local {python}"
    try:
        done = run_bounded([python, "-B", "-"], probe_source(request), limits.timeout, limits.max_output, label,
                           cwd=root)
        return build_result(extract_document(done.out, done.err, limits, label), "local", label, limits,
                            files_expected=False, requested=modules)
    except ProbeError as exc:
        local.notes.append(f"where modules import from locally is unknown: {exc}")
        return None


def _snapshot_path(snap: Snapshot, module: str) -> str | None:
    names = name_modules(sorted(snap.entries()), package_name=snap.package_name)
    for path, (mod, _) in names.items():
        if mod == module:
            return path
    return None


def _place_from(
    res: Resolution | None, root: str | None, rows: list[dict], snap_path: str | None, sha: str | None = None
) -> Place:
    if res is None:
        return Place("unknown", note="not asked")
    if res.status != "found":
        missing = f"{res.missing} not found" if getattr(res, "missing", None) else res.status
        return Place("not found", note=missing)
    origin = ""
    if res.index is not None and res.index < len(rows):
        origin = rows[res.index].get("origin", "")
    note = ""
    if res.shadowed:
        note = "shadows " + ", ".join(md_code(s) for s in res.shadowed[:3])
    if res.kind == "namespace":
        note = "namespace package: " + ", ".join(res.portions[:3])
    return Place("found", res.origin or res.location, res.kind, res.sha256 or sha, res.index, origin, res.shadowed,
                 snap_path, note)


def _module_row(module: str, local: Snapshot, local_result: ProbeResult | None, rsnap: RemoteSnapshot | None,
                remote: Snapshot) -> ModuleRow:
    from probes import RemoteSnapshot

    local_path = _snapshot_path(local, module)
    if local_result is not None:
        res = local_result.modules.get(module)
        lplace = _place_from(res, None, local_result.sys_path, local_path)
    elif local_path:
        data = local.read(local_path)
        lplace = Place("found", local_path, "module", hashlib.sha256(data).hexdigest(), path=local_path,
                       note="in the snapshot (no interpreter asked)")
    else:
        lplace = Place("not found", note="not in the snapshot")
    from_root = None
    if isinstance(remote, RemoteSnapshot):
        result = remote.result
        res = result.modules.get(module)
        rpath = _snapshot_path(remote, module)
        rplace = _place_from(res, result.root, result.sys_path, rpath)
        if res is not None and res.from_root:
            fr = res.from_root
            from_root = Place(fr.get("status") or "", fr.get("origin") or fr.get("location"), fr.get("kind"), None,
                              fr.get("index"), "")
            inside = rpath and (fr.get("origin") or "").startswith(result.root.rstrip("/") + "/")
            if rplace.status != "found" and from_root.status == "found" and inside:
                # Not importable from the remote's default directory; started from the root it is the upload.
                rplace = Place("found", from_root.file, from_root.kind, remote.files[rpath].sha256, from_root.index,
                               "the root", path=rpath, note="only when started from the root")
                from_root = None
    else:
        rpath = _snapshot_path(remote, module)
        if rpath:
            rplace = Place("found", rpath, "module", hashlib.sha256(remote.read(rpath)).hexdigest(), path=rpath,
                           note="in the snapshot (no interpreter asked)")
        else:
            rplace = Place("not found", note="not in the snapshot")
    if rplace.status != "found":
        verdict = "not found remotely"
    elif lplace.status != "found":
        verdict = "not found locally"
    elif lplace.sha256 and rplace.sha256 and lplace.sha256 == rplace.sha256:
        verdict = "same"
    elif lplace.sha256 and rplace.sha256:
        verdict = "differs"
    else:
        verdict = "unknown"
    return ModuleRow(module, lplace, rplace, from_root, verdict)


# -- symbols --------------------------------------------------------------------------------------


def _symbol(symbol: str, local: Project, remote: Project) -> SymbolReport:
    sides = [_side(symbol, local), _side(symbol, remote)]
    if not any(s.found for s in sides):
        raise InputError(f"--symbol {symbol}: {sides[0].error}")
    return SymbolReport(symbol, *sides)


def _side(symbol: str, project: Project) -> SymbolSide:
    from .query import SymbolError, call_sites, definitions, symbol_family

    try:
        family = symbol_family(project, symbol)
    except SymbolError as exc:
        return SymbolSide(False, error=str(exc).splitlines()[0])
    return SymbolSide(True, family[0], definitions(project, family), call_sites(project, family))


# -- git provenance of the remote copies ------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str | None:
    """git's answer, or None when it fails: provenance is a courtesy, never a reason to stop."""
    try:
        out = run_git(*args, cwd=cwd, timeout=20, max_output=16 * 1024 * 1024)
    except (InputError, OSError):
        return None
    return out.decode("utf-8", "replace").strip()


def _provenance(local: Snapshot, oids: dict[str, str]) -> dict[str, Provenance]:
    """For each remote copy, the local tags and branches (tags first) that hold exactly that content,
    at its own path or, failing that, under any path (a vendored copy of `shop/pricing.py`); failing
    that, the commit of any branch's history that holds the blob. Read from git's objects only."""
    if not oids:
        return {}
    if isinstance(local, DirSnapshot):
        cwd = local.root.resolve()
    elif isinstance(local, GitSnapshot):
        cwd = Path(local.git.cwd).resolve()
    else:
        return {}
    top = _git(cwd, "rev-parse", "--show-toplevel")
    if not top:
        return {}
    root = Path(top)
    prefix = _git(cwd, "rev-parse", "--show-prefix") or ""
    full = (_git(root, "for-each-ref", "--format=%(refname)", "refs/tags", "refs/heads") or "").split()[:50]
    full.sort(key=lambda r: not r.startswith("refs/tags/"))
    refs = [r.split("/", 2)[2] for r in full]
    trees = {ref: _tree(root, f) for ref, f in zip(refs, full)}
    out: dict[str, Provenance] = {}
    for path, oid in list(oids.items())[:20]:
        own = f"{prefix}{path}"
        hits = [ref for ref in refs if trees[ref].get(own) == oid]
        at = own
        if not hits:  # the same bytes under another path: a vendored or moved copy
            for ref in refs:
                if (at := _path_of(trees[ref], oid, prefix)):
                    hits = [r for r in refs if trees[r].get(at) == oid]
                    break
        if not hits:  # in some commit's tree, though on no tag's or branch's tip
            found = (_git(root, "log", "--all", "--no-show-signature", "--no-ext-diff", "--no-textconv",
                          "--format=%h", f"--find-object={oid}") or "").split()[-1:]  # the oldest: it added it
            found = found[0] if found else ""
            if found and (at := _path_of(_tree(root, found), oid, prefix)):
                hits = [found]
        if not hits:
            out[path] = Provenance(oid)
            continue
        log = _git(root, "log", "-1", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--format=%h %s",
                   "--end-of-options", hits[0], "--", at) or ""
        commit, _, subject = log.partition(" ")
        shown = at[len(prefix):] if at.startswith(prefix) else at
        out[path] = Provenance(oid, tuple(hits), commit, subject, "" if at == own else shown)
    return out


def _path_of(tree: dict[str, str], oid: str, prefix: str) -> str:
    """The path holding `oid` in `tree`, preferring one under the analysed directory; "" if none."""
    paths = sorted(p for p, o in tree.items() if o == oid)
    inside = [p for p in paths if p.startswith(prefix)]
    return (inside or paths or [""])[0]


def _tree(root: Path, ref: str) -> dict[str, str]:
    """Every file path of `ref`'s tree (from the repository's top) to its blob id."""
    out = _git(root, "ls-tree", "-r", "--full-tree", "-z", "--end-of-options", ref) or ""
    tree: dict[str, str] = {}
    for entry in out.split("\0")[:200_000]:
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            tree[path] = parts[2]
    return tree


# -- reproduce --------------------------------------------------------------------------------------


def _commands(local_spec: str, remote_spec: str, local: Snapshot, rsnap: RemoteSnapshot | None, modules: list[str],
              symbols: list[str], differing: list[str]) -> list[tuple[str, str]]:
    j = shlex.join
    extra = [a for m in modules for a in ("--module", m)] + [a for s in symbols for a in ("--symbol", s)]
    out = [("all sections", j(["callgraph", "parity", local_spec, remote_spec, *extra, "--format", "json"]))]
    local_root = str(local.root.resolve()) if isinstance(local, DirSnapshot) else None
    for path in differing[:5]:
        if local_root:
            out.append(("2. integrity, local", j(["sha256sum", os.path.join(local_root, path)])))
        if rsnap is not None:
            out.append(("2. integrity, remote", rsnap.probe.hash_command(rsnap.origin(path))))
    out.append(("3-4. signature drift, findings", j(["callgraph", "diff", local_spec, remote_spec])))
    if local_root:
        out.append(("4. findings, local", j(["callgraph", "check", local_root])))
    for m in modules:
        code = f'import importlib.util as u; print(u.find_spec("{m}").origin)'
        if local_root:
            out.append((f"5. {m}, local (imports its parent packages)",
                        f"cd {shlex.quote(local_root)} && " + j(["python3", "-c", code])))
        if rsnap is not None:
            out.append((f"5. {m}, remote (imports its parent packages)", rsnap.probe.python_command(code)))
    for s in symbols:
        if local_root:
            out.append((f"6. {s}, local", j(["callgraph", "signatures", s, local_root])))
        out.append((f"6. {s}, both sides", j(["callgraph", "parity", local_spec, remote_spec, "--symbol", s])))
    return out


__all__ = ["investigate", "open_remote_side"]
