"""callgraph: find every Python call that cannot bind to its target, in CPython's own words."""

from .analysis.project import Project
from .errors import InputError
from .facts.findings import Code, Finding, Location
from .facts.model import (
    AttrAssign,
    Binding,
    BindingKind,
    CallShape,
    CallSite,
    ClassFact,
    Decorator,
    FieldFact,
    FunctionFact,
    ImportFact,
    ModuleFacts,
    Param,
    ParamKind,
    ScopeKind,
    Signature,
)
from .pipeline import analyze, analyze_sources
from .resolve.binding import BindResult, Verdict, bind, bind_no_arguments
from .resolve.calls import ResolvedCall
from .resolve.resolver import Resolution, Resolver, Target, TargetKind
from .version import __version__


def collect(module: str, source: bytes, *, is_package: bool = False) -> ModuleFacts:
    """Facts of one module: a pure function of (module name, source bytes, is_package).

    libcst is imported on first use (`callgraph.facts.collector`): a warm run that parses nothing never
    pays for it."""
    from .facts.collector import collect as _collect

    return _collect(module, source, is_package=is_package)


__all__ = [
    "AttrAssign", "BindResult", "Binding", "BindingKind", "CallShape", "CallSite", "ClassFact", "Code",
    "Decorator", "FieldFact", "Finding", "FunctionFact", "ImportFact", "InputError", "Location", "ModuleFacts",
    "Param", "ParamKind", "Project", "Resolution", "ResolvedCall", "Resolver", "ScopeKind", "Signature",
    "Target", "TargetKind", "Verdict", "analyze", "analyze_sources", "bind", "bind_no_arguments", "collect", "__version__",
]
