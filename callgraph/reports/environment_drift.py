"""Drift between two environments: which calls bind against the packages installed here and fail
against the ones installed there (or the other way round), and why.

Each side is checked against its own environment: the local side against a local interpreter's
(`Environment.local`, read from disk), the remote side against the remote interpreter's, whose
outside modules are fetched through the probe only when a call site of the project reaches them
(`analyze_remote`: analyse, fetch what the resolver asked for, analyse again, at most
`MAX_ROUNDS` times; each source validated and bounded by the probe's limits, its facts cached by
blob id). `environment_drift` then compares the two analyses' findings whose target lies outside
the project, and the distributions each side has. Rendering lives in `reports.parity_environment`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..analysis.project import Project
from ..facts.findings import Finding
from ..pipeline import analyze_snapshot
from ..store.fetched import FetchedModules, FetchedSource
from .diff import compare_findings

if TYPE_CHECKING:
    from probes import RemoteSnapshot
    from probes.remote_environment import RemoteEnvironment

    from ..environment.model import Environment

MAX_ROUNDS = 4  # sources round trips after the first probe: a re-export chain deeper than this stays unknown


# -- the facts of the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """One distribution on one side: its name as its metadata spells it, version, top-level names."""

    name: str
    version: str
    top_level: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvironmentSide:
    """What one side runs under: `python` ("CPython 3.11.9 on linux"), distributions by PEP 503 name."""

    label: str
    python: str
    version: tuple[int, ...] | None
    platform: str
    executable: str = ""
    distributions: dict[str, Installed] = field(default_factory=dict)

    def owner(self, module: str) -> Installed | None:
        """The distribution that installs the top-level package of `module`."""
        top = module.split(".", 1)[0]
        return next((d for d in self.distributions.values() if top in d.top_level), None)


@dataclass(frozen=True)
class DistributionRow:
    name: str
    local: str | None  # version; None: not installed on that side
    remote: str | None


@dataclass(frozen=True)
class EnvironmentCall:
    """A call site whose outside target binds on one side and fails on the other."""

    path: str
    line: int
    column: int
    call: str  # `Retry(..., method_whitelist=...)`
    target: str
    fails: str  # "remote" or "local"
    message: str  # CPython's words on the failing side
    local_signature: str | None  # None: no such function on that side (or unread)
    remote_signature: str | None
    local_distribution: str | None  # "urllib3 1.26.20"
    remote_distribution: str | None


@dataclass
class EnvironmentDrift:
    local: EnvironmentSide
    remote: EnvironmentSide
    distributions: list[DistributionRow]
    calls: list[EnvironmentCall]
    notes: list[str] = field(default_factory=list)


# -- each side -----------------------------------------------------------------------------------------


def local_side(env: Environment, label: str = "local") -> EnvironmentSide:
    from ..environment.distributions import top_level_names
    from ..environment.model import normalize_name

    dists: dict[str, Installed] = {}
    for d in env.distributions():
        dists.setdefault(normalize_name(d.name), Installed(d.name, d.version, top_level_names(d)))
    v = env.version
    python = f"{_impl(env.implementation)} {_version_text(v)} on {env.platform}"
    return EnvironmentSide(label, python, tuple(v[:3]), env.platform, env.executable, dists)


def remote_side(env: RemoteEnvironment | None, python: dict | None, label: str = "remote") -> EnvironmentSide:
    from ..environment.model import normalize_name

    if env is None:
        return EnvironmentSide(label, "unknown (the probe did not describe its environment)", None, "")
    dists: dict[str, Installed] = {}
    for d in env.distributions:
        dists.setdefault(normalize_name(d.name), Installed(d.name, d.version, d.top_level))
    text = f"{_impl(env.implementation)} {_version_text(env.version)} on {env.platform}"
    return EnvironmentSide(label, text, tuple(env.version[:3]), env.platform, (python or {}).get("executable") or "", dists)


def _impl(name: str) -> str:
    return {"cpython": "CPython", "pypy": "PyPy"}.get(name, name)


def _version_text(v: tuple) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}" + ("" if v[3] == "final" else f"{str(v[3])[:1]}{v[4]}")


def analyze_remote(snap: RemoteSnapshot, roots: list[str] = (), max_rounds: int = MAX_ROUNDS, cache: Any = None,
                   **options: Any) -> tuple[Project, FetchedModules, list[str]]:
    """The remote snapshot analysed against the remote interpreter's outside modules: each round
    fetches the sources the resolver asked for and did not have (one probe round trip), then
    analyses again. Returns the project, its provider and notes (what stayed unknown, and why)."""
    from probes.probe import ProbeError

    sources: dict[str, FetchedSource | None] = {}
    notes: list[str] = []
    for round_ in range(max_rounds + 1):
        provider = FetchedModules(sources, cache)
        project = analyze_snapshot(snap, roots=roots, outside=provider, cache=cache, **options)
        project.findings()  # every call resolved: the provider now knows what was asked
        wanted = [n for n in provider.wanted if n not in sources]
        if not wanted:
            break
        if round_ == max_rounds:
            notes.append(f"outside modules still unknown after {max_rounds} round trips: {', '.join(wanted[:5])}")
            break
        try:
            answers = snap.probe.fetch_sources(wanted)
        except ProbeError as exc:
            notes.append(f"the remote's outside modules are unknown: {exc}")
            break
        for name in dict.fromkeys([*wanted, *answers]):  # the submodules the probe sent along too
            a = answers.get(name)
            ok = a is not None and a.status == "found" and a.data is not None and a.path is not None
            if ok or name not in sources:
                sources[name] = FetchedSource(name, a.path, a.is_package, a.data) if ok else None
    return project, provider, notes


# -- the comparison ----------------------------------------------------------------------------------


def _outside_signature(provider: Any, target: str) -> tuple[bool, str | None]:
    """(known, signature) of the function `target` names in the provider's modules: known is False
    when no module prefix of it could be read (unknown, so nothing can be said)."""
    parts = target.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = ".".join(parts[:i])
        fetched = getattr(provider, "sources", None)
        if fetched is not None and mod not in fetched:
            continue  # never fetched: asking would only add it to the provider's wanted list
        m = provider.module(mod)
        if m is None:
            continue
        qual = ".".join(parts[i:])
        for fn in m.facts.functions:
            if fn.qualname == qual:
                return True, replace(fn.signature, text="").render()
        return True, None
    return False, None


_KEYWORD = re.compile(r"keyword argument '([A-Za-z_][A-Za-z0-9_]*)'")


def _call_text(project: Project, f: Finding) -> str:
    """The call as written, shortened: `Retry(..., method_whitelist=...)` when a keyword is the cause."""
    for sf in project.files:
        if sf.path != f.path:
            continue
        for c in sf.facts.calls:
            if c.line == f.line and c.column == f.column:
                kw = _KEYWORD.search(f.message)
                if kw and f"{kw.group(1)}=" in c.args_text:
                    return f"{c.callee_text}(..., {kw.group(1)}=...)"
                args = c.args_text if len(c.args_text) <= 60 else c.args_text[:57] + "..."
                return f"{c.callee_text}({args})"
    return "call"


def environment_drift(local: EnvironmentSide, remote: EnvironmentSide, local_project: Project,
                      remote_project: Project, local_provider: Any, remote_provider: Any) -> EnvironmentDrift:
    """The distributions that differ, and every call whose outside target's signature differs
    between the two environments and whose verdict differs, with CPython's message where it fails."""
    rows = []
    for key in sorted(local.distributions.keys() | remote.distributions.keys()):
        a, b = local.distributions.get(key), remote.distributions.get(key)
        if a is None or b is None or a.version != b.version:
            rows.append(DistributionRow((a or b).name, a.version if a else None, b.version if b else None))
    own = {sf.module for sf in local_project.files} | {sf.module for sf in remote_project.files}
    remote_only, local_only, _ = compare_findings(local_project.findings(), remote_project.findings())
    calls: list[EnvironmentCall] = []
    for side, found, project in (("remote", remote_only, remote_project), ("local", local_only, local_project)):
        for f in found:
            if not f.target or not f.code.value.startswith("CG1") or _inside(f.target, own):
                continue
            lk, lsig = _outside_signature(local_provider, f.target) if local_provider else (False, None)
            rk, rsig = _outside_signature(remote_provider, f.target) if remote_provider else (False, None)
            if not (lk and rk) or lsig == rsig:
                continue  # the same signature (or unknown on one side): not the environment's doing
            lo, ro = local.owner(f.target), remote.owner(f.target)
            calls.append(EnvironmentCall(
                f.path, f.line, f.column, _call_text(project, f), f.target, side, f.message, lsig, rsig,
                f"{lo.name} {lo.version}" if lo else None, f"{ro.name} {ro.version}" if ro else None,
            ))
    calls.sort(key=lambda c: (c.path, c.line, c.column))
    # The distributions a call names first, then those at another version, then those only the
    # remote (the side that fails) has, then those only the local side has.
    named = {d.split(" ", 1)[0] for c in calls for d in (c.local_distribution, c.remote_distribution) if d}
    rows.sort(key=lambda r: (r.name not in named, r.local is None or r.remote is None, r.remote is None,
                             r.name.lower()))
    return EnvironmentDrift(local, remote, rows, calls)


def _inside(target: str, modules: set[str]) -> bool:
    parts = target.split(".")
    return any(".".join(parts[:i]) in modules for i in range(1, len(parts)))


__all__ = [
    "DistributionRow",
    "EnvironmentCall",
    "EnvironmentDrift",
    "EnvironmentSide",
    "Installed",
    "analyze_remote",
    "environment_drift",
    "local_side",
    "remote_side",
]
