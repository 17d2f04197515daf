"""`callgraph parity LOCAL REMOTE`: why it passes here and fails there, as one report.

This module gathers the evidence (both analyses, file hashes, what each interpreter would import,
git provenance of the remote copies) and hands it to `callgraph.parity`, which builds and renders
the report. `investigate` is the whole job as a function; `callgraph demo` calls it too.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import posixpath
import shlex
import subprocess
from contextlib import ExitStack
from pathlib import Path

from ..reports.parity import FileFacts, ModuleRow, ParityReport, Place, SymbolReport, SymbolSide, build_report, render
from ..analysis.project import Project
from ..errors import InputError
from ..facts.source import blob_id
from ..pipeline import analyze_snapshot
from ..snapshots.base import Snapshot, name_modules
from ..snapshots.git import GitSnapshot
from ..snapshots.spec import open_snapshot
from ..snapshots.tree import DirSnapshot
from .common import EXIT_ERROR, add_root_option

ORDER = 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parity",
        help="the investigation report: does the remote run the code you have here, and what breaks there",
        description=(
            "Compare the local copy of the code with the copy a remote interpreter runs (over ssh, docker exec, "
            "kubectl exec, an E2B sandbox, or a mounted directory) and write the report an engineer would "
            "otherwise assemble by hand: an executive summary naming the root cause, a file-integrity table "
            "(sha256 and size on both sides), signature drift in the files that differ, findings only remotely / "
            "only locally / on both sides, the file each interpreter would import for each --module (site-packages "
            "shadowing, stale copies, .pth entries), definitions and call sites of each --symbol on both sides, "
            "and the commands that reproduce each section. The remote is read, hashed and parsed; nothing of it is "
            "imported or executed, and its answer is validated (paths, sizes, counts, timeouts)."
        ),
        epilog=(
            "snapshot specs (LOCAL and REMOTE alike):\n"
            "  PATH | dir:PATH | REF | git:REF | index:   as in callgraph diff\n"
            "  cmd:PREFIX[::ROOT]         any command prefix that runs `python3 -` remotely, split like a\n"
            "                             shell would but run without one; ROOT defaults to the remote's cwd\n"
            "  docker:CONTAINER[:ROOT]    docker exec -i CONTAINER\n"
            "  e2b:SANDBOX_ID[:ROOT]      an E2B sandbox (pip install 'callgraph[e2b]'; key from E2B_API_KEY;\n"
            "                             ROOT default /home/user)\n\n"
            "examples:\n"
            "  callgraph parity . 'cmd:ssh build-box::/srv/app' --module etl.drivers.supabase\n"
            "  callgraph parity . docker:etl-worker:/app --symbol SupabaseWriterDriver._ddl_attempt\n"
            "  callgraph parity main e2b:i8k2m3n4:/home/user/app --format json\n"
            "  callgraph parity . 'cmd:kubectl exec -i etl-0 --::/app' --timeout 30 --max-files 20000\n\n"
            "limits (also CALLGRAPH_PROBE_MAX_FILES, CALLGRAPH_PROBE_MAX_FILE_BYTES, CALLGRAPH_PROBE_MAX_TOTAL_BYTES,\n"
            "CALLGRAPH_PROBE_TIMEOUT): 5000 files, 2 MiB a file, 64 MiB in all, 60 s a remote call.\n\n"
            "exit codes: 0 the remote runs the same code and no call fails only there,\n"
            "            1 drift (a file differs, is missing or extra, a module is imported from another file)\n"
            "              or findings that exist only remotely,\n"
            "            2 usage or input error (bad spec, unreachable or refused remote, unknown --symbol)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("local", metavar="LOCAL", help="the local snapshot (a directory, a git ref, ...)")
    p.add_argument("remote", metavar="REMOTE", help="the remote snapshot (cmd:, docker:, e2b:, or a directory)")
    p.add_argument("--module", "-m", action="append", default=[], metavar="M",
                   help="a dotted module name: which file each interpreter would import (repeatable)")
    p.add_argument("--symbol", "-s", action="append", default=[], metavar="S",
                   help="a function or method (a dotted suffix is enough): definitions and call sites on both sides "
                        "(repeatable)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format (default: markdown)")
    p.add_argument("--max-files", type=int, metavar="N", help="refuse a remote listing more Python files than this")
    p.add_argument("--max-file-size", type=int, metavar="BYTES", help="refuse a remote file larger than this")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up on a remote call after this long")
    p.add_argument("--local-python", default="python3", metavar="PYTHON",
                   help="the local interpreter asked where --module would be imported from (default: python3)")
    p.add_argument("--uploaded-only", action="store_true",
                   help="analyse the uploaded tree under the remote root even when the remote interpreter imports a "
                        "top-level package from elsewhere (default: analyse what it imports)")
    add_root_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from probes import Limits

    limits = Limits.from_env(max_files=args.max_files, max_file_bytes=args.max_file_size, timeout=args.timeout)
    report = investigate(
        args.local, args.remote, modules=args.module, symbols=args.symbol, limits=limits,
        local_python=args.local_python, effective=not args.uploaded_only, roots=args.root,
    )
    print(render(report, args.format), end="" if args.format == "markdown" else "\n")
    return report.exit_code


# -- the investigation ----------------------------------------------------------------------------


def open_remote_side(spec: str, modules: list[str], limits, effective: bool, cwd: str | Path = ".") -> Snapshot:
    from probes import REMOTE_PREFIXES, DirProbe, RemoteSnapshot, open_remote

    if spec.startswith(REMOTE_PREFIXES):
        return open_remote(spec, modules, limits, effective)
    snap = open_snapshot(spec, cwd)
    if isinstance(snap, DirSnapshot):  # a mounted filesystem: the same validation, modules resolved in it
        return RemoteSnapshot(DirProbe(snap.root, limits=limits, label=spec), modules, effective=effective, label=spec)
    return snap


def investigate(
    local_spec: str,
    remote_spec: str,
    *,
    modules: list[str] = (),
    symbols: list[str] = (),
    limits=None,
    local_python: str = "python3",
    effective: bool = True,
    roots: list[str] = (),
    cwd: str | Path = ".",
) -> ParityReport:
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
        remote = stack.enter_context(open_remote_side(remote_spec, list(modules), limits, effective, cwd))
        local_project = analyze_snapshot(local, roots=roots)
        remote_project = analyze_snapshot(remote, roots=roots)
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
            remote_files.keys() - local_files.keys())})
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
            commands=_commands(local_spec, remote_spec, local, rsnap, modules, symbols, differing),
            local_python=_python(local_result.python if local_result else None),
            remote_python=_python(result.python if result else None),
            remote_sys_path=result.sys_path if result else [],
            remote_cwd=result.cwd if result else None,
            shadowing=_shadowing(rsnap) if rsnap else [],
            notes=[f"local: {n}" for n in local.notes] + [f"remote: {n}" for n in remote.notes],
        )
    return report


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


def _file_notes(snap, local: dict[str, FileFacts]) -> dict[str, str]:
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


def _shadowing(snap) -> list[str]:
    out = []
    result = snap.result
    root = result.root
    rows = {posixpath.normpath(r.get("resolved") or r["entry"]): r for r in result.sys_path}
    for ov in snap.overlays:
        res = result.modules.get(ov.name)
        entry = result.sys_path[ov.index] if ov.index is not None and ov.index < len(result.sys_path) else None
        where = f"sys.path[{ov.index}]" + (f", {entry['origin']}" if entry and entry.get("origin") else "")
        upload_dir = posixpath.join(root, ov.prefix.rsplit("/", 2)[0]) if ov.prefix.count("/") > 1 else root
        up = rows.get(posixpath.normpath(upload_dir))
        ahead = f"`{posixpath.join(root, ov.prefix)}`"
        if up is not None:
            ahead += f" (sys.path[{up['index']}], {up.get('origin') or 'on sys.path'})"
        else:
            ahead += " (its directory is not on the remote sys.path)"
        text = f"Why: the remote interpreter imports `{ov.name}` from `{ov.remote}` ({where}), not the upload {ahead}"
        if res and res.from_root and res.from_root.get("origin", "").startswith(root.rstrip("/") + "/"):
            text += "; started from the root (`python -m`) it would import the upload"
        out.append(text + ".")
    return out


def _python(info: dict | None) -> str:
    if not info:
        return ""
    impl = {"cpython": "CPython", "pypy": "PyPy"}.get(info.get("implementation") or "", info.get("implementation") or "")
    return f"{impl} {info.get('version')} ({info.get('executable')})"


# -- modules --------------------------------------------------------------------------------------


def _local_modules(local: Snapshot, modules: list[str], python: str, limits):
    """Ask the local interpreter, started in the local root, where each module would come from."""
    from probes.probe import ProbeError, build_result, extract_document, probe_source, run_bounded

    if not isinstance(local, DirSnapshot):
        return None
    root = str(local.root.resolve())
    request = {"root": root, "files": False, "auto_modules": False, "modules": modules, "trees": False,
               "read": False, **limits.request()}
    label = f"local {python}"
    try:
        out, err, _ = run_bounded([python, "-B", "-"], probe_source(request), limits.timeout, limits.max_output,
                                  label, cwd=root)
        return build_result(extract_document(out, err, limits, label), "local", label, limits, files_expected=False)
    except ProbeError as exc:
        local.notes.append(f"where modules import from locally is unknown: {exc}")
        return None


def _snapshot_path(snap: Snapshot, module: str) -> str | None:
    names = name_modules(sorted(snap.entries()), package_name=snap.package_name)
    for path, (mod, _) in names.items():
        if mod == module:
            return path
    return None


def _place_from(res, root: str | None, rows: list[dict], snap_path: str | None, sha: str | None = None) -> Place:
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
        note = "shadows " + ", ".join(f"`{s}`" for s in res.shadowed[:3])
    if res.kind == "namespace":
        note = "namespace package: " + ", ".join(res.portions[:3])
    return Place("found", res.origin or res.location, res.kind, res.sha256 or sha, res.index, origin, res.shadowed,
                 snap_path, note)


def _module_row(module: str, local: Snapshot, local_result, rsnap, remote: Snapshot) -> ModuleRow:
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
    from ..reports.query import SymbolError, call_sites, definitions, symbol_family

    try:
        family = symbol_family(project, symbol)
    except SymbolError as exc:
        return SymbolSide(False, error=str(exc).splitlines()[0])
    return SymbolSide(True, family[0], definitions(project, family), call_sites(project, family))


# -- git provenance of the remote copies ------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _provenance(local: Snapshot, oids: dict[str, str]) -> dict[str, str]:
    """For each remote copy, the local branches and tags that hold exactly that content."""
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
    prefix = _git(cwd, "rev-parse", "--show-prefix") or ""
    refs = (_git(Path(top), "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags") or "").split()
    out: dict[str, str] = {}
    for path, oid in list(oids.items())[:20]:
        hits = []
        for ref in refs[:50]:
            if _git(Path(top), "rev-parse", "--verify", "--quiet", f"{ref}:{prefix}{path}") == oid:
                log = _git(Path(top), "log", "-1", "--format=%h %s", ref, "--", f"{prefix}{path}") or ""
                hits.append((ref, log))
        if hits:
            ref, log = hits[0]
            more = f" (also {', '.join(h[0] for h in hits[1:4])})" if len(hits) > 1 else ""
            commit, _, subject = log.partition(" ")
            out[path] = f"git blob {oid[:12]}, the version on `{ref}`{more}, last changed in {commit} \"{subject}\""
        else:
            out[path] = f"git blob {oid[:12]}, on no local branch or tag"
    return out


# -- reproduce --------------------------------------------------------------------------------------


def _commands(local_spec: str, remote_spec: str, local: Snapshot, rsnap, modules: list[str], symbols: list[str],
              differing: list[str]) -> list[tuple[str, str]]:
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


__all__ = ["investigate", "register", "run", "EXIT_ERROR"]
