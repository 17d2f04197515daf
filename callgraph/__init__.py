"""callgraph: find every Python call that cannot bind to its target, in CPython's own words.

Every public name is importable from here; each is loaded on first use (PEP 562), so that
`import callgraph` is cheap and the CLI imports only the stages its command runs."""

import importlib as _importlib
import typing as _typing

from .version import __version__

# Public name -> the module that defines it.
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "AttrAssign", "Binding", "BindingKind", "CallShape", "CallSite", "ClassFact", "Decorator", "FieldFact",
            "FunctionFact", "ImportFact", "ModuleFacts", "Param", "ParamKind", "ScopeKind", "Signature",
        ),
        ".facts.model",
    ),
    **dict.fromkeys(("Code", "Finding", "Location"), ".facts.findings"),
    **dict.fromkeys(("BindResult", "Verdict", "bind", "bind_no_arguments"), ".resolve.binding"),
    **dict.fromkeys(("Resolution", "Resolver", "Target", "TargetKind"), ".resolve.resolver"),
    "ResolvedCall": ".resolve.calls",
    "Project": ".analysis.project",
    "InputError": ".errors",
    **dict.fromkeys(("analyze", "analyze_snapshot", "analyze_sources"), ".pipeline"),
    "open_snapshot": ".snapshots.spec",
    "FactsCache": ".store.cache",
    "diff_projects": ".reports.diff",
}

if _typing.TYPE_CHECKING:
    from .analysis.project import Project
    from .errors import InputError
    from .facts.findings import Code, Finding, Location
    from .facts.model import (
        AttrAssign, Binding, BindingKind, CallShape, CallSite, ClassFact, Decorator, FieldFact, FunctionFact,
        ImportFact, ModuleFacts, Param, ParamKind, ScopeKind, Signature,
    )
    from .pipeline import analyze, analyze_snapshot, analyze_sources
    from .reports.diff import diff_projects
    from .resolve.binding import BindResult, Verdict, bind, bind_no_arguments
    from .resolve.calls import ResolvedCall
    from .resolve.resolver import Resolution, Resolver, Target, TargetKind
    from .snapshots.spec import open_snapshot
    from .store.cache import FactsCache


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'callgraph' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home, __name__), name)
    globals()[name] = value  # the next lookup is a plain global
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


def collect(module: str, source: bytes, *, is_package: bool = False) -> "ModuleFacts":
    """Facts of one module: a pure function of (module name, source bytes, is_package).

    libcst is imported on first use (`callgraph.facts.collector`): a warm run that parses nothing
    never pays for it."""
    from .facts.collector import collect as _collect

    return _collect(module, source, is_package=is_package)


__all__ = sorted([*_HOMES, "collect", "__version__"])
