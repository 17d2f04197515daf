"""astroid as an opt-in deeper resolver (`--infer` on the graph commands).

For the calls our own resolver leaves incomplete (a receiver returned by a function, a factory,
`make().run()`), ask astroid's inference what the callee is, and add what it finds to the call
graph as edges marked `inferred=True`.

Never executing analysed code: astroid parses each project module from its source text
(`AstroidBuilder.string_build`), and while inference runs, `AstroidManager.ast_from_module_name`
is replaced by a lookup that knows only the project's modules and what astroid already holds
(`builtins`). Every other import is unknown: astroid neither reads nor imports modules outside
the project, nor loads C extensions. The manager's cache is restored afterwards.

Bounded: each call site gets a time limit (SIGALRM, in the main thread) and at most
`MAX_VALUES` inferred values; anything astroid raises means "unknown".

No false positives: an inferred edge is `complete` (and so may feed a verdict) only when the
inference is unambiguous: exactly one value, no Uninferable, a def or class in the project whose
name nothing reassigns, undecorated (or trusted decorators only), not reached through `self`/`cls`,
on a class without dynamic members whose project subclasses do not override the method; and
every edge the call already had is that same target. Everything else is `possible=True`,
`complete=False`, which checks never read. `callgraph check` does not use this module.
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
import time
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from .graph import _target_node, caller_node
from ..reading import NotRead, read_regular
from ..facts.model import BindingKind, ClassFact, FunctionFact, ScopeKind
from ..resolve.resolver import Resolver, Target, TargetKind

if TYPE_CHECKING:
    from .project import Project
    from ..resolve.calls import ResolvedCall

MAX_VALUES = 8  # more inferred values than this: give up on the call site
TIMEOUT = 0.25  # seconds of inference per call site
_TRIVIAL_DECORATORS = frozenset({"staticmethod", "classmethod", "builtins.staticmethod", "builtins.classmethod"})


class _Timeout(BaseException):
    """Raised by the alarm: a BaseException so that astroid's own `except Exception` cannot swallow it."""


@dataclass
class InferStats:
    """What one `--infer` pass did: call sites asked, answered, edges added, time spent."""

    asked: int = 0  # incomplete call sites put to astroid
    resolved: int = 0  # of those, sites that gained at least one edge
    unambiguous: int = 0  # of those, sites whose inference was unambiguous (complete edges)
    edges: int = 0  # edges added
    upgraded: int = 0  # possible edges confirmed by an unambiguous inference
    timeouts: int = 0
    errors: int = 0  # astroid raised: unknown
    seconds: float = 0.0
    modules_failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "modules_failed"} | {
            "modules_failed": len(self.modules_failed)
        }


def add_inferred_edges(
    project: Project,
    texts: dict[str, str] | None = None,
    *,
    timeout: float = TIMEOUT,
    deadline: float | None = None,
    certain_only: bool = False,
) -> InferStats:
    """Add astroid's edges to `project.graph` (once); `texts` maps module -> source (default: read each file).

    `deadline`: total seconds for the pass; the remaining call sites stay as they are.
    `certain_only` (--certain): add unambiguous inferences only, no possible edges.
    """
    graph = project.graph
    if graph.graph.get("inferred") is not None:
        return graph.graph["inferred"]
    stats = InferStats()
    graph.graph["inferred"] = stats
    start = time.perf_counter()
    try:
        import astroid  # noqa: F401
    except ImportError:  # astroid is a dependency; without it --infer adds nothing
        return stats
    sources = _sources(project, texts)
    with _sandbox(sources) as builder:
        _infer_all(project, graph, builder, stats, timeout, None if deadline is None else start + deadline, certain_only)
    stats.seconds = round(time.perf_counter() - start, 3)
    return stats


def decode(data: bytes) -> str | None:
    """Source bytes as text, honouring a PEP 263 coding line; None when they do not decode."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None


def texts_of(project: Project, read) -> dict[str, str]:
    """module -> source text, with `read(path) -> bytes` (a snapshot's reader, say)."""
    out: dict[str, str] = {}
    for f in project.files:
        try:
            text = decode(read(f.path))
        except Exception:  # a file that went away: no inference there
            text = None
        if text is not None:
            out.setdefault(f.module, text)
    return out


def _sources(project: Project, texts: dict[str, str] | None) -> dict[str, tuple[str, str]]:
    """module -> (source text, path) for every parsed project module."""
    out: dict[str, tuple[str, str]] = {}
    for f in project.files:
        if f.facts.error is not None:
            continue
        if texts is not None:
            text = texts.get(f.module)
        else:
            try:
                # Already read once under --max-file-size: the same bound holds; a regular file only.
                text = decode(read_regular(f.path, None))
            except NotRead:
                text = None
        if text is not None:
            out.setdefault(f.module, (text, f.path))
    return out


class _Builder:
    """Builds project modules from source text on demand, into the (sandboxed) astroid cache."""

    def __init__(self, sources: dict[str, tuple[str, str]]) -> None:
        from astroid.builder import AstroidBuilder
        from astroid.manager import AstroidManager

        self.sources = sources
        self.manager = AstroidManager()
        self.builder = AstroidBuilder(self.manager)
        self.failed: set[str] = set()

    def module(self, name: str):
        cache = self.manager.astroid_cache
        if name in cache:
            return cache[name]
        if name in self.failed or name not in self.sources:
            return None
        text, path = self.sources[name]
        try:
            return self.builder.string_build(text, modname=name, path=str(Path(path).resolve()))
        except RecursionError:
            self.failed.add(name)
        except Exception:
            self.failed.add(name)
        return None


@contextlib.contextmanager
def _sandbox(sources: dict[str, tuple[str, str]]):
    """Swap astroid's module loading for project-only, source-text-only loading; restore it after."""
    from astroid import MANAGER
    from astroid.exceptions import AstroidImportError
    from astroid.manager import AstroidManager

    cache = MANAGER.astroid_cache
    if "builtins" not in cache:
        MANAGER.bootstrap()
    saved_cache = dict(cache)
    saved_flag = MANAGER.always_load_extensions
    original = AstroidManager.ast_from_module_name
    for name in sources:  # a project module shadows whatever astroid held under its name
        cache.pop(name, None)
    builder = _Builder(sources)

    def ast_from_module_name(self, modname, context_file=None, use_cache=True):
        if modname is None:
            raise AstroidImportError("No module name given.")
        if modname in sources:
            found = builder.module(modname)
            if found is not None:
                return found
        elif modname == "builtins" and modname in cache:  # astroid's own model of the interpreter
            return cache[modname]
        raise AstroidImportError("{modname} is outside the analysed project", modname=modname)

    MANAGER.always_load_extensions = False
    AstroidManager.ast_from_module_name = ast_from_module_name
    try:
        yield builder
    finally:
        AstroidManager.ast_from_module_name = original
        MANAGER.always_load_extensions = saved_flag
        cache.clear()
        cache.update(saved_cache)
        with contextlib.suppress(Exception):
            from astroid.context import _invalidate_cache
            from astroid.inference_tip import clear_inference_tip_cache

            clear_inference_tip_cache()
            _invalidate_cache()


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise _Timeout after `seconds` (main thread, POSIX); elsewhere, no limit but MAX_VALUES."""
    usable = (
        seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        # Re-armed first: where the exception is swallowed (a gc callback, a __del__), the next
        # alarm raises it again, so the limit still holds.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call_nodes(module) -> dict[tuple[int, int], list]:
    """(line, 1-based character column) -> astroid Call nodes there, outermost first (as collect orders them)."""
    from astroid import nodes

    lines = (module.file_bytes or b"").decode("utf-8", "replace").splitlines() if module.file_bytes else []
    found = defaultdict(list)
    for call in module.nodes_of_class(nodes.Call):
        if call.lineno is None or call.col_offset is None:
            continue
        col = call.col_offset
        if 0 < call.lineno <= len(lines):  # ast columns are UTF-8 byte offsets
            col = len(lines[call.lineno - 1].encode("utf-8")[: call.col_offset].decode("utf-8", "replace"))
        found[(call.lineno, col + 1)].append(call)
    for calls in found.values():
        calls.sort(key=lambda n: (-(n.end_lineno or 0), -(n.end_col_offset or 0)))
    return found


def _infer_all(project: Project, graph: nx.MultiDiGraph, builder: _Builder, stats: InferStats, timeout: float,
               deadline: float | None, certain_only: bool = False) -> None:
    from ..resolve.possible import PossibleResolver

    resolver = Resolver(project.index)
    lenient = PossibleResolver(project.index, budget=200_000)
    lambdas = {f.module: f.facts.lambdas for f in project.files}
    edges_of: dict[int, list[tuple]] = defaultdict(list)  # id(ResolvedCall) -> [(u, v, key, data)]
    for u, v, k, d in graph.edges(keys=True, data=True):
        if d.get("call") is not None:
            edges_of[id(d["call"])].append((u, v, k, d))
    by_module: dict[str, list[ResolvedCall]] = defaultdict(list)
    for rc in project.calls:
        if not rc.resolution.complete and rc.module in builder.sources:
            by_module[rc.module].append(rc)
    for module, rcs in by_module.items():
        if deadline is not None and time.perf_counter() > deadline:
            break
        tree = builder.module(module)
        if tree is None:
            stats.modules_failed.append(module)
            continue
        positions = _call_nodes(tree)
        seen_at: dict[tuple[int, int], int] = defaultdict(int)
        for rc in rcs:
            where = (rc.call.line, rc.call.column)
            n = seen_at[where]
            seen_at[where] += 1
            candidates = positions.get(where, [])
            if n >= len(candidates):
                continue
            if deadline is not None and time.perf_counter() > deadline:
                return
            stats.asked += 1
            targets, unambiguous = _infer_targets(project, resolver, rc, candidates[n], stats, timeout)
            if unambiguous:  # every binding the project's source shows must agree with astroid
                unambiguous = _lenient_agrees(lenient, rc, targets)
            if not targets or (certain_only and not unambiguous):
                continue
            _add_edges(graph, rc, targets, unambiguous, edges_of[id(rc)], lambdas, stats)


def _lenient_agrees(lenient, rc, targets: list[Target]) -> bool:
    """The lenient resolver's targets (lambdas, rebindings such as `globals()["f"] = ...`, ...) are
    all among astroid's: astroid may miss a binding our facts record, never the reverse."""
    try:
        return set(lenient.targets(rc.module, rc.call)) <= set(targets)
    except BaseException as exc:  # BudgetExceeded, RecursionError, anything: not sure
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return False


def _add_edges(graph, rc, targets: list[Target], unambiguous: bool, existing: list[tuple], lambdas, stats) -> None:
    have = {d["target"]: (u, v, k, d) for u, v, k, d in existing}
    wanted = set(targets)
    # Complete only when the call's whole edge set is the inferred one: a finding needs every target.
    certain = unambiguous and set(have) <= wanted
    caller = caller_node(rc.module, rc.call, lambdas.get(rc.module, ()))
    added = 0
    for t in dict.fromkeys(targets):
        if t in have:
            if certain:
                data = have[t][3]
                if data.get("possible") or not data.get("complete"):
                    data.update(complete=True, possible=False, inferred=True)
                    stats.upgraded += 1
            continue
        graph.add_edge(
            caller, _target_node(graph, t), call=rc, target=t, line=rc.call.line, complete=certain,
            possible=not certain, inferred=True,
        )
        added += 1
    if certain:  # the checker's own edges of this call are now known to be all of them
        for t, (_, _, _, data) in have.items():
            if not data.get("complete"):
                data.update(complete=True, possible=False, inferred=True)
    stats.edges += added
    if added or (certain and have):
        stats.resolved += 1
        stats.unambiguous += int(certain)


def _infer_targets(project, resolver: Resolver, rc, node, stats: InferStats, timeout: float):
    """(targets, unambiguous) of one call site; ([], False) when astroid does not know."""
    from astroid import util
    from astroid.context import InferenceContext

    try:
        with _time_limit(timeout):
            values = list(islice(node.func.infer(context=InferenceContext()), MAX_VALUES + 1))
    except _Timeout:
        stats.timeouts += 1
        return [], False
    except (Exception, RecursionError):  # InferenceError, NameInferenceError, AttributeInferenceError, ...
        stats.errors += 1
        return [], False
    if not values or len(values) > MAX_VALUES:
        return [], False
    unambiguous = len(values) == 1
    out: list[Target] = []
    for value in values:
        if value is util.Uninferable or isinstance(value, util.UninferableBase):
            unambiguous = False
            continue
        try:
            found, sure = _targets_of(project, resolver, rc, value)
        except (Exception, RecursionError):
            found, sure = None, False
        if not found:
            unambiguous = False
            continue
        out.extend(found)
        unambiguous = unambiguous and sure
    if unambiguous and rc.call.callee_ref and _opaque_name(project.index, rc.module, rc.call.scope, rc.call.callee_ref[0]):
        unambiguous = False
    return list(dict.fromkeys(out)), unambiguous and bool(out) and _plain_callee(node.func)


def _targets_of(project, resolver: Resolver, rc, value) -> tuple[list[Target] | None, bool]:
    """Our targets for one inferred astroid value, and whether they are safe to treat as certain."""
    from astroid import bases, nodes

    index = project.index
    if isinstance(value, bases.BoundMethod):
        fn_node, implicit = value._proxied, 1
        while isinstance(fn_node, bases.UnboundMethod):
            fn_node = fn_node._proxied
        if type(fn_node) not in (nodes.FunctionDef, nodes.AsyncFunctionDef) or fn_node.name == "__new__":
            return None, False
        found = _function_fact(index, fn_node)
        if found is None:
            return None, False
        module, fn = found
        sure = _plain_function(resolver, module, fn) and _safe_receiver(rc)
        instance = getattr(value, "bound", None)
        owner = getattr(instance, "_proxied", None) if instance is not None else None
        cls_found = _class_fact(index, owner) if isinstance(owner, nodes.ClassDef) else None
        if cls_found is None or not _static_class(resolver, *cls_found):
            sure = False
        else:
            sure = sure and _not_overridden(project, resolver, *cls_found, fn.name)
        return [Target(TargetKind.FUNCTION, module, fn.qualname, fn.signature, implicit, fn)], sure
    while isinstance(value, bases.UnboundMethod):
        value = value._proxied
    # exact types: astroid's brains model functools.partial & co. as FunctionDef subclasses
    if type(value) in (nodes.FunctionDef, nodes.AsyncFunctionDef):
        found = _function_fact(index, value)
        if found is None:
            return None, False
        module, fn = found
        sure = _plain_function(resolver, module, fn) and _safe_receiver(rc) and not _dynamic_module(index, rc.module)
        return [Target(TargetKind.FUNCTION, module, fn.qualname, fn.signature, 0, fn)], sure
    if type(value) is nodes.ClassDef:
        found_cls = _class_fact(index, value)
        if found_cls is None:
            return None, False
        module, cls = found_cls
        made = resolver.classes.constructors(module, cls, True)
        if not made:
            return None, False
        sure = (
            _safe_receiver(rc) and cls.name not in resolver._patched and _static_class(resolver, module, cls)
            and not _opaque_name(index, module, cls.scope, cls.name)
            and not _dynamic_module(index, module) and not _dynamic_module(index, rc.module)
        )
        return list(made), sure
    return None, False


def _function_fact(index, node) -> tuple[str, FunctionFact] | None:
    module = node.root().name
    if module not in index.modules:
        return None
    for fn in index.facts(module).functions:
        if fn.line == node.lineno and fn.name == node.name:
            return module, fn
    return None


def _class_fact(index, node) -> tuple[str, ClassFact] | None:
    module = node.root().name
    if module not in index.modules:
        return None
    for cls in index.facts(module).classes:
        if cls.line == node.lineno and cls.name == node.name:
            return module, cls
    return None


def _opaque_name(index, module: str, scope: str, name: str) -> bool:
    """The name, looked up from `scope` outwards, has a binding our facts cannot read and astroid may not
    see either (`globals()["f"] = ...`, `del`, with/except/walrus targets): do not trust astroid on it."""
    seen: set[str] = set()
    while scope not in seen:
        seen.add(scope)
        bindings = index.scope_bindings(module, scope, name)
        if bindings:
            return any(
                b.kind in (BindingKind.DELETE, BindingKind.GLOBAL, BindingKind.NONLOCAL)
                or (b.kind is BindingKind.OTHER and ((b.ref is None and b.iterates is None) or b.line == 0))
                for b in bindings
            )
        if not scope:
            return False
        scope = index.parent.get((module, scope), "")
    return False


def _dynamic_module(index, module: str) -> bool:
    """`globals()[name] = ...` with a name we cannot read: any of the module's names may be rebound."""
    src = index.modules.get(module)
    return src is None or src.facts.dynamic_globals


def _static_class(resolver: Resolver, module: str, cls: ClassFact) -> bool:
    """A class whose body is what the name holds: no class decorator (it may return anything), no
    metaclass or class keywords, no `*bases`, the same for every class of its MRO, none dynamic."""
    mro = resolver.classes.mro(module, cls)
    if mro is None:
        return False
    for m, c in mro:
        if c.decorators or c.metaclass or c.keywords or c.has_star_bases or _dynamic_module(resolver.index, m):
            return False
        if resolver.classes.has_dynamic_members(m, c, True) or resolver.classes.has_dynamic_members(m, c, False):
            return False
    return True


def _plain_function(resolver: Resolver, module: str, fn: FunctionFact) -> bool:
    """Calls reach this def itself: no decorator we cannot vouch for, nothing rebinds its name, and
    the class it is defined in (if any) is static."""
    if fn.name in resolver._patched or _dynamic_module(resolver.index, module):
        return False
    if _opaque_name(resolver.index, module, fn.scope, fn.name):
        return False
    if fn.scope:
        owners = resolver.index.class_by_qualname.get((module, fn.scope), [])
        if fn.scope_kind is ScopeKind.CLASS and (len(owners) != 1 or not _static_class(resolver, module, owners[0])):
            return False
    for d in fn.decorators:
        q = resolver.qualify(module, fn.scope, d.name) if d.name else None
        if d.is_call or q is None or (q not in _TRIVIAL_DECORATORS and q not in resolver.preserving):
            return False
    return True


def _safe_receiver(rc) -> bool:
    """`self.m()` / `cls.m()` / `super().m()` dispatch over subclasses astroid does not weigh."""
    callee = rc.call.callee
    return not (callee and callee[0] in ("self", "cls", "super()"))


_RECEIVERS = frozenset({"self", "cls", "type", "super", "getattr"})


def _plain_callee(func) -> bool:
    """The callee is a chain of names, attributes and calls (`make().run`, `mod.Cls`) rooted at a name
    that is not the method's own receiver: `type(self)(...)`, `self.x.m()` and `d[k].m()` may reach a
    subclass's or a replaced value's method that astroid does not weigh."""
    from astroid import nodes

    node = func
    while True:
        if isinstance(node, nodes.Attribute):
            node = node.expr
        elif isinstance(node, nodes.Call):
            node = node.func
        elif isinstance(node, nodes.Name):
            break
        else:
            return False
    if node.name in _RECEIVERS:
        return False
    scope = func.scope()
    while isinstance(scope, nodes.FunctionDef):  # a closure inside a method sees its receiver too
        if isinstance(scope.parent, nodes.ClassDef):
            first = scope.args.posonlyargs + scope.args.args
            return not (first and first[0].name == node.name)
        scope = scope.parent.scope() if scope.parent is not None else None
    return True


def _not_overridden(project, resolver: Resolver, module: str, cls: ClassFact, name: str) -> bool:
    if resolver.classes.has_dynamic_members(module, cls, True):
        return False
    subs = resolver.classes.subclasses(module, cls)
    if subs is None:
        return False
    return not any(project.index.scope_bindings(m, c.qualname, name) for m, c in subs)
