"""Which statements a parity report makes: the causes (its summary), the fix plan, the guards.

Reads a built `ParityReport` (and both analyses, for compact signatures) and returns
`reports.parity_causes.Statement`s whose fields point into the report's JSON. The decisions:
a redefinition inside the remote copy is called one (the CG201 finding is its evidence); a file
whose tokens are the same is whitespace-only drift; when the code that binds is the same and no
call fails only remotely, the answer is outside the code.
"""

from __future__ import annotations

import io
import shlex
import tokenize
from collections import defaultdict
from collections.abc import Sequence

from .diff import SymbolStatus
from .parity import DIFFERS, EXTRA, MISSING, SAME, ParityReport
from .parity_causes import CauseKind, GuardKind, Rule, Statement, StepKind, field, mechanism, tally
from ..facts.findings import Finding

_LAYOUT = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def _tokens(data: bytes, comments: bool) -> list[tuple[int, str]] | None:
    try:
        toks = list(tokenize.tokenize(io.BytesIO(data).readline))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    return [(t.type, "" if t.type in _LAYOUT else t.string) for t in toks
            if t.type != tokenize.NL and (comments or t.type != tokenize.COMMENT)]


def code_difference(local: bytes, remote: bytes) -> str:
    """How two copies differ when CPython would compile the same tokens: "line endings",
    "whitespace", "comments and whitespace"; "" when the code differs (or cannot be read)."""
    if local == remote:
        return ""
    if local.replace(b"\r\n", b"\n").replace(b"\r", b"\n") == remote.replace(b"\r\n", b"\n").replace(b"\r", b"\n"):
        return "line endings"
    a, b = _tokens(local, True), _tokens(remote, True)
    if a is not None and a == b:
        return "whitespace"
    a, b = _tokens(local, False), _tokens(remote, False)
    return "comments and whitespace" if a is not None and a == b else ""


def _cg1(f: Finding) -> bool:
    return f.code.value.startswith("CG1")


def diagnose(r: ParityReport, mechanisms: Sequence[tuple] = ()
             ) -> tuple[list[Statement], list[Statement], list[Statement]]:
    """(causes, fix plan, guards) for `r`; `mechanisms`: (kind, sentence, evidence pointers[, fix-plan
    step]) from the import model, each a cause (the extension point: `parity_causes.mechanism`)."""
    causes: list[Statement] = []
    steps: list[Statement] = []
    files = {row.path: i for i, row in enumerate(r.files)}
    only = {id(f): i for i, f in enumerate(r.remote_only)}
    by_target: dict[str, list[Finding]] = defaultdict(list)
    for f in r.remote_only:
        if _cg1(f):
            by_target[f.target or ""].append(f)
    drift = {c.symbol: (i, c) for i, c in enumerate(r.drift) if c.status is SymbolStatus.CHANGED}
    explained = 0
    stated_versions: set[str] = set()
    for target, found in sorted(by_target.items(), key=lambda kv: -len(kv[1])):
        if target not in drift:
            continue
        d, change = drift[target]
        explained += len(found)
        causes.append(_drift_cause(r, d, change, found, only, files))
        steps.append(_drift_step(r, d, change, only, files))
        i = files.get(change.path)
        if i is not None and change.path not in stated_versions:
            stated_versions.add(change.path)
            version = _version(r, i)
            if version:
                causes.append(version)
    for kind, sentence, evidence, *step in mechanisms:
        made = mechanism(kind, sentence, evidence, *step)
        causes += [m for m in made if isinstance(m.kind, CauseKind)]
        steps += [m for m in made if isinstance(m.kind, StepKind)]
    unseen_causes, unseen_step = _unseen(r)
    causes += unseen_causes
    env_calls = r.environment.calls if r.environment else []
    for i, c in enumerate(env_calls[:3]):
        causes.append(_environment(i, c))
        steps.append(_pin(i, c))
    on_env = {(c.path, c.line, c.column) for c in env_calls}
    unexplained = [f for f in r.remote_only if _cg1(f) and (f.target or "") not in drift
                   and (f.path, f.line, f.column) not in on_env]
    if unexplained:
        f = unexplained[0]
        k = only[id(f)]
        causes.append(Statement(CauseKind.UNEXPLAINED, (
            field("calls", len(unexplained), *(f"/findings/only_remote/{only[id(x)]}" for x in unexplained), rule=Rule.COUNT),
            field("at", f"{f.path}:{f.line}", f"/findings/only_remote/{k}/path", f"/findings/only_remote/{k}/line",
                  rule=Rule.EXISTS),
            field("message", f.message, f"/findings/only_remote/{k}/message"))))
    for i, ov in enumerate(r.overlays):
        if not any(row.path == ov.prefix or row.path.startswith(ov.prefix) for row in r.files):
            continue  # an installed distribution's, not the project's: listed under Installed files
        causes.append(_overlay(i, ov))
        step = _uninstall(r, i, ov)
        if step:
            steps.insert(0, step)
    whitespace = [i for i, row in enumerate(r.files) if row.status == DIFFERS and row.difference]
    code_differs = [i for i, row in enumerate(r.files) if row.status == DIFFERS and not row.difference]
    if whitespace:
        what = sorted({r.files[i].difference for i in whitespace})
        ptrs = [f"/files/{i}/difference" for i in whitespace]
        causes.append(Statement(CauseKind.WHITESPACE_ONLY, (
            field("paths", tuple(r.files[i].path for i in whitespace), *(f"/files/{i}/path" for i in whitespace),
                  rule=Rule.EACH),
            field("difference", " or ".join(what), *ptrs, rule=Rule.EQUALS if len(what) == 1 else Rule.EXISTS))))
        steps.append(Statement(StepKind.RESYNC_WHITESPACE, (field(
            "paths", tuple(r.files[i].path for i in whitespace), *(f"/files/{i}/path" for i in whitespace),
            rule=Rule.EACH),)))
    cg1_remote = [f for f in r.remote_only if _cg1(f)]
    plain = all(row.status == SAME or (row.status == DIFFERS and row.difference) for row in r.files)
    if unseen_step is not None:
        steps.append(unseen_step)
    if not cg1_remote and not env_calls and plain and not mechanisms and not r.unseen:
        same = [i for i, row in enumerate(r.files) if row.status == SAME]
        causes.insert(0, Statement(CauseKind.SAME_CODE, (
            tally("same", len(same), "/files", "status", SAME),
            *((field("whitespace", len(whitespace), *(f"/files/{i}/difference" for i in whitespace),
                     rule=Rule.COUNT),) if whitespace else ()),
            tally("remote_only", 0, "/findings/only_remote"),
            *((tally("environment_calls", 0, "/environments/calls"),) if r.environment else ()))))
        steps.append(Statement(StepKind.LOOK_OUTSIDE, (tally("files", len(r.files), "/files"),)))
    elif not explained and not unexplained and not env_calls and not mechanisms and not r.unseen and (
            code_differs or any(row.status in (MISSING, EXTRA) for row in r.files)):
        changed = code_differs + [i for i, row in enumerate(r.files) if row.status in (MISSING, EXTRA)]
        causes.insert(0, Statement(CauseKind.HARMLESS_DRIFT, (
            field("files", len(changed), *(f"/files/{i}/status" for i in changed), rule=Rule.COUNT),)))
    both = [i for i, f in enumerate(r.both) if _cg1(f)]
    if both:
        at = tuple(f"{r.both[i].path}:{r.both[i].line}" for i in both)
        ev = tuple(f"/findings/both/{i}/line" for i in both)
        causes.append(Statement(CauseKind.BOTH_SIDES, (field("calls", len(both), *ev, rule=Rule.COUNT),
                                                       field("at", at, *ev, rule=Rule.EXISTS))))
        steps.append(Statement(StepKind.FIX_BOTH_SIDES, (field("at", at, *ev, rule=Rule.EXISTS),)))
    causes += _counts(r)
    return causes, steps, _guards(r)


def _sig_ptr(d: int, side: str) -> str:
    return f"/signature_drift/{d}/{side}_parameters"


def _messages(found: list[Finding], only: dict[int, int]) -> Statement:
    first: dict[str, int] = {}
    for f in found:
        first.setdefault(f.message, only[id(f)])
    ordered = sorted(first)
    return field("messages", tuple(ordered), *(f"/findings/only_remote/{first[m]}/message" for m in ordered),
                 rule=Rule.EACH)


def _drift_cause(r: ParityReport, d: int, change, found: list[Finding], only: dict[int, int],
                 files: dict[str, int]) -> Statement:
    i = files.get(change.path)
    common = [
        field("path", change.path, f"/signature_drift/{d}/path"),
        field("qualname", r.qualnames.get(change.symbol, change.symbol), f"/signature_drift/{d}/symbol",
              rule=Rule.EXISTS),
        field("calls", len(found), *(f"/findings/only_remote/{only[id(f)]}" for f in found), rule=Rule.COUNT),
        _messages(found, only),
    ]
    if i is not None and r.files[i].remote and r.files[i].remote.origin:
        common.append(field("origin", r.files[i].remote.origin, f"/files/{i}/remote/origin"))
    old_ptr = _sig_ptr(d, "local")
    redefined = next((f for f in r.remote_only if f.code.value == "CG201" and f.target == change.symbol
                      and f.path == change.path and f.definition), None)
    new = field("new", r.parameters[change.symbol][1], _sig_ptr(d, "remote"))
    if redefined is None:
        return Statement(CauseKind.CHANGED_SIGNATURE, (*common, new, field("old", r.parameters[change.symbol][0], old_ptr)))
    k = only[id(redefined)]
    earlier = f"/findings/only_remote/{k}/signature"
    local_full = f"/signature_drift/{d}/local"
    same = redefined.signature == change.old
    return Statement(CauseKind.REDEFINITION, (
        *common, new,
        field("line", redefined.line, f"/findings/only_remote/{k}/line"),
        field("earlier_line", redefined.definition.line, f"/findings/only_remote/{k}/definition/line"),
        *((field("old", r.parameters[change.symbol][0], old_ptr),
           field("as_local", True, earlier, local_full, rule=Rule.SAME)) if same else (
            field("old", redefined.signature, earlier),)),
        field("finding", k + 1, f"/findings/only_remote/{k}", rule=Rule.ORDINAL),
    ))


def _drift_step(r: ParityReport, d: int, change, only: dict[int, int], files: dict[str, int]) -> Statement:
    redefined = next((f for f in r.remote_only if f.code.value == "CG201" and f.target == change.symbol
                      and f.path == change.path and f.definition), None)
    if redefined is not None:
        k = only[id(redefined)]
        return Statement(StepKind.FIX_REDEFINITION, (
            field("name", change.symbol.rsplit(".", 1)[-1], f"/findings/only_remote/{k}/target", rule=Rule.EXISTS),
            field("at", f"{redefined.path}:{redefined.line}", f"/findings/only_remote/{k}/path",
                  f"/findings/only_remote/{k}/line", rule=Rule.EXISTS),
            field("new", r.parameters[change.symbol][1], _sig_ptr(d, "remote")),
            field("earlier_line", redefined.definition.line, f"/findings/only_remote/{k}/definition/line"),
        ))
    i = files[change.path]
    row = r.files[i]
    return Statement(StepKind.REDEPLOY, (
        field("path", change.path, f"/files/{i}/path"),
        field("remote_sha", row.remote.sha256[:16] if row.remote else "", f"/files/{i}/remote/sha256", rule=Rule.EXISTS),
        field("local_sha", row.local.sha256[:16] if row.local else "", f"/files/{i}/local/sha256", rule=Rule.EXISTS),
    ))


def _unseen(r: ParityReport) -> tuple[list[Statement], Statement | None]:
    """One cause per module the remote may take from places callgraph did not read, one per piece
    of start-up or sys.path code that may change any module; and the step that looks there."""
    from .parity_unseen import FIELD, UnseenKind

    if not r.unseen:
        return [], None
    by_module: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(r.unseen):
        by_module[u.module].append(i)
    out = []
    for module, rows in by_module.items():
        for group in ([rows] if module else [[i] for i in rows]):
            why = "; ".join(_unseen_reason(r.unseen[i]) for i in group)
            ptrs = [f"/{FIELD}/{i}/kind" for i in group] + [f"/{FIELD}/{i}/where" for i in group]
            fields = (field("module", module, f"/{FIELD}/{group[0]}/module"),) if module else ()
            out.append(Statement(CauseKind.UNSEEN, (*fields, field("why", why, *ptrs, rule=Rule.EXISTS))))
    modules = tuple(m for m in by_module if m)
    files = tuple(dict.fromkeys(u.where for u in r.unseen if u.kind is UnseenKind.STARTUP_CODE and not u.module))
    step = Statement(StepKind.CHECK_UNSEEN, (
        *((field("modules", modules, *(f"/{FIELD}/{by_module[m][0]}/module" for m in modules), rule=Rule.EACH),)
          if modules else ()),
        *((field("files", files, *(f"/{FIELD}/{i}/where" for i, u in enumerate(r.unseen)
                                   if u.kind is UnseenKind.STARTUP_CODE and not u.module), rule=Rule.EACH),)
          if files else ())))
    return out, step


def _unseen_reason(u) -> str:
    from .escape import md_code
    from .parity_unseen import UnseenKind

    at = f"{md_code(u.where)} line {u.line}" if u.line else md_code(u.where)
    if u.kind is UnseenKind.NOT_FOUND:
        return "the local side imports it, but no remote sys.path entry holds it"
    if u.kind is UnseenKind.NOT_READ:
        return f"the remote imports it from {md_code(u.where)}, which callgraph did not read"
    if u.kind is UnseenKind.SYS_PATH_CODE and u.module:
        return (f"{at} changes sys.path at run time ({md_code(u.text)}), and the upload holds another copy, "
                f"{md_code(u.also)}")
    if u.kind is UnseenKind.SYS_PATH_CODE:
        return f"where modules come from after {at} changes sys.path at run time ({md_code(u.text)})"
    if u.module:
        return f"the .pth file {at} runs {md_code(u.text)} at start-up, which can install an import hook for it"
    if u.line:
        return (f"what the .pth import line {at} ({md_code(u.text)}) does remotely: it runs before the program "
                "and can replace any module or function")
    return (f"what the start-up code {at} ({u.text}) does remotely: it runs before the program and can replace "
            "any module or function")


def _version(r: ParityReport, i: int) -> Statement | None:
    row = r.files[i]
    p = row.provenance_detail
    if p is None:
        return None
    base = f"/files/{i}/provenance_detail"
    if not p.refs:
        return Statement(CauseKind.UNKNOWN_VERSION, (field("path", row.path, f"/files/{i}/path"),
                                                     field("blob", p.blob[:12], f"{base}/blob", rule=Rule.EXISTS)))
    return Statement(CauseKind.VERSION, (
        field("ref", p.refs[0], f"{base}/refs/0"),
        field("path", row.path, f"/files/{i}/path"),
        field("blob", p.blob[:12], f"{base}/blob", rule=Rule.EXISTS),
        field("commit", p.commit, f"{base}/commit"),
        field("subject", p.subject, f"{base}/subject"),
        *((field("source_path", p.path, f"{base}/path"),) if p.path else ()),
    ))


def _environment(i: int, c) -> Statement:
    from .parity_environment import cause

    base = f"/environments/calls/{i}"
    return Statement(CauseKind.ENVIRONMENT, (field("sentence", cause(c), *(f"{base}/{k}" for k in (
        "path", "line", "call", "message", "local_distribution", "remote_distribution")), rule=Rule.EXISTS),))


def _pin(i: int, c) -> Statement:
    base = f"/environments/calls/{i}"
    good, bad = (c.local_distribution, c.remote_distribution) if c.fails == "remote" else (
        c.remote_distribution, c.local_distribution)
    name, _, version = (good or "").partition(" ")
    return Statement(StepKind.PIN_DISTRIBUTION, (
        field("pin", f"{name}=={version}" if version else name or "?",
              f"{base}/{'local' if c.fails == 'remote' else 'remote'}_distribution", rule=Rule.EXISTS),
        field("at", f"{c.path}:{c.line}", f"{base}/path", f"{base}/line", rule=Rule.EXISTS),
        field("remote_distribution", bad, f"{base}/{'remote' if c.fails == 'remote' else 'local'}_distribution"),
        field("signature", (c.remote_signature if c.fails == "remote" else c.local_signature) or "(none)",
              f"{base}/{'remote' if c.fails == 'remote' else 'local'}_signature", rule=Rule.EXISTS),
    ))


def _overlay(i: int, ov) -> Statement:
    base = f"/overlays/{i}"
    fields = [field("name", ov.name, f"{base}/name"), field("remote", ov.remote, f"{base}/remote"),
              field("index", ov.index, f"{base}/sys_path_index")]
    if ov.entry_origin:
        fields.append(field("entry_origin", ov.entry_origin, f"{base}/entry_origin"))
    if ov.distribution:
        fields.append(field("distribution", ov.distribution, f"{base}/distribution"))
    if ov.upload is None:
        return Statement(CauseKind.INSTALLED_ELSEWHERE, tuple(fields))
    fields.append(field("upload", ov.upload, f"{base}/upload"))
    if ov.upload_index is not None:
        fields.append(field("upload_index", ov.upload_index, f"{base}/upload_index"))
        if ov.upload_origin:
            fields.append(field("upload_origin", ov.upload_origin, f"{base}/upload_origin"))
    if ov.from_root:
        fields.append(field("from_root", True, f"{base}/from_root"))
    return Statement(CauseKind.SHADOWED_UPLOAD, tuple(fields))


def _uninstall(r: ParityReport, i: int, ov) -> Statement | None:
    prefix = ov.prefix if ov.prefix.endswith("/") else ov.prefix
    stale = [j for j, row in enumerate(r.files) if row.path.startswith(prefix) and row.status != SAME
             and not row.difference]
    if not stale:
        return None
    base = f"/overlays/{i}"
    fields = [field("name", ov.name, f"{base}/name"), field("remote", ov.remote, f"{base}/remote")]
    if ov.upload:
        fields.append(field("upload", ov.upload, f"{base}/upload"))
    if ov.distribution:
        dist = ov.distribution.split(" ")[0]
        exe = r.environment.remote.executable if r.environment and r.environment.remote.executable else ""
        command = f"{shlex.quote(exe)} -m pip uninstall {dist}" if exe else f"pip uninstall {dist}"
        fields += [field("distribution", dist, f"{base}/distribution", rule=Rule.EXISTS),
                   field("uninstall", command, f"{base}/distribution",
                         *(("/environments/interpreters/remote/executable",) if exe else ()), rule=Rule.EXISTS)]
    return Statement(StepKind.UNINSTALL_SHADOW, tuple(fields))


def _counts(r: ParityReport) -> list[Statement]:
    def n(status: str, name: str):
        return tally(name, sum(row.status == status for row in r.files), "/files", "status", status)

    out = [Statement(CauseKind.FILES, (
        tally("compared", len(r.files), "/files"),
        n(SAME, "same"), n(DIFFERS, "differ"), n(MISSING, "missing"), n(EXTRA, "extra")))]
    if r.installed:
        dists = tuple(sorted({d for _, d in r.installed}))
        out.append(Statement(CauseKind.INSTALLED_FILES, (
            field("files", len(r.installed), *(f"/installed/{i}" for i in range(len(r.installed))), rule=Rule.COUNT),
            field("distributions", dists, *(f"/installed/{i}/distribution" for i in range(len(r.installed))),
                  rule=Rule.EXISTS))))

    def f(name: str, key: str, items: list):
        return tally(name, len(items), f"/findings/{key}")

    out.append(Statement(CauseKind.FINDINGS, (f("remote_only", "only_remote", r.remote_only),
                                              f("local_only", "only_local", r.local_only), f("both", "both", r.both))))
    if r.local_python or r.remote_python:
        out.append(Statement(CauseKind.INTERPRETERS, (
            field("local", r.local_python or None, "/interpreters/local"),
            field("remote", r.remote_python or None, "/interpreters/remote"))))
    return out


def _guards(r: ParityReport) -> list[Statement]:
    cmd = shlex.join(["callgraph", "parity", r.local_label, r.remote_label, "--fail-on", "drift"])
    out = [Statement(GuardKind.PRE_COMMIT, ()),
           Statement(GuardKind.CI_PARITY, (field("command", cmd, "/local", "/remote", rule=Rule.EXISTS),))]
    roots = [(i, row.remote.origin[: -len(row.path)].rstrip("/")) for i, row in enumerate(r.files)
             if row.remote and row.remote.origin.endswith("/" + row.path)]
    if roots:
        i, root = roots[0]
        record = "sha256sum $(git ls-files '*.py') > SHA256SUMS"
        check = f"cd {shlex.quote(root)} && sha256sum --check --quiet --ignore-missing SHA256SUMS"
        out.append(Statement(GuardKind.MANIFEST, (field("record", record, "/files", rule=Rule.EXISTS),
                                                  field("check", check, f"/files/{i}/remote/origin", rule=Rule.EXISTS))))
    return out


__all__ = ["code_difference", "diagnose"]
