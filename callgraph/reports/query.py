"""Questions asked of one analysis: where is a symbol defined, who calls it, how is it reached.

Everything here reads a finished `Project` (facts, resolved calls, the call graph) and returns
plain records; the commands only format them. Symbols are named as the graph names its nodes
("pkg.mod.Class.method", a module's own code by the module name), or by any dotted suffix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

import io
import tokenize
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field


from ..resolve.binding import Verdict
from ..analysis.checks import verdict
from .escape import printable
from ..facts.model import BindingKind, FunctionFact, ScopeKind
from ..analysis.project import Project
from ..errors import InputError

# Node kinds a symbol may name: the graph's functions, methods and modules.
CALLABLE_KINDS = frozenset({"function", "method", "module", "synthesised", "lambda"})


class SymbolError(InputError):
    """No node or several nodes match a symbol: a user mistake, exit 2, candidates listed."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


def _plain(name: str) -> str:
    """`outer.<locals>.inner` as people write it: `outer.inner`."""
    return name.replace(".<locals>", "")


def matches(name: str, symbol: str) -> bool:
    """The full name equals the symbol or ends with `.symbol` (`<locals>` optional)."""
    for n in (name, _plain(name)):
        if n == symbol or n.endswith("." + symbol):
            return True
    return False


def candidates(project: Project, symbol: str, kinds: Iterable[str] = CALLABLE_KINDS) -> list[str]:
    kinds = frozenset(kinds)
    symbol = symbol.strip()
    exact = [n for n, d in project.graph.nodes(data=True) if d.get("kind") in kinds and n == symbol]
    if exact:
        return exact
    return sorted(n for n, d in project.graph.nodes(data=True) if d.get("kind") in kinds and matches(n, symbol))


def resolve_symbol(project: Project, symbol: str, kinds: Iterable[str] = CALLABLE_KINDS) -> str:
    """The one graph node a symbol names; SymbolError listing the candidates otherwise."""
    found = candidates(project, symbol, kinds)
    if len(found) == 1:
        return found[0]
    if not found:
        classes = candidates(project, symbol, ("class",))
        hint = f" ({classes[0]} is a class: name a method such as {symbol}.__init__)" if classes else ""
        raise SymbolError(f"no function, method or module named {symbol!r}{hint}")
    raise SymbolError(_ambiguous(symbol, found), tuple(found))


def _ambiguous(symbol: str, found: list[str]) -> str:
    shown = "\n".join(f"  {printable(n)}" for n in found[:30])  # one line each, whatever the name holds
    more = f"\n  ... and {len(found) - 30} more" if len(found) > 30 else ""
    return f"{symbol!r} is ambiguous, {len(found)} candidates (give more of the dotted name):\n{shown}{more}"


# -- definitions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Definition:
    """One `def` of the symbol (or of an override of it), and whether it is what a call reaches."""

    name: str  # full dotted name
    qualname: str
    path: str
    line: int
    signature: str  # the source text, "(self, conn, sql)"
    decorators: tuple[str, ...]
    role: str  # definition | redefinition | override | overload stub
    runtime: str  # yes | no | maybe
    note: str  # why, for no and maybe
    is_async: bool = False
    function: FunctionFact | None = field(default=None, compare=False, repr=False)


def _module_of(project: Project, name: str) -> tuple[str, str] | None:
    """(module, qualname) of a full function name, the longest module prefix winning."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        if module in project.index.modules:
            return module, ".".join(parts[i:])
    return None


def _family(project: Project, names: list[str]) -> list[str] | None:
    """When every candidate is the same method overridden down one class tree: its root first."""
    from ..resolve.resolver import Resolver

    resolver = Resolver(project.index)
    info = []
    for n in names:
        mq = _module_of(project, n)
        fns = project.index.functions_by_qualname.get(mq, []) if mq else []
        if not fns or fns[0].scope_kind is not ScopeKind.CLASS:
            return None
        owners = project.index.class_by_qualname.get((mq[0], fns[0].scope), [])
        if len(owners) != 1:
            return None
        info.append((n, mq[0], owners[0], fns[0].name))
    if len({i[3] for i in info}) != 1:
        return None
    roots = []
    for n, module, cls, _ in info:
        mro = resolver.classes.mro(module, cls) or [(module, cls)]
        if not any(id(other) in {id(c) for _, c in mro[1:]} for _, _, other, _ in info):
            roots.append(n)
    if len(roots) != 1:
        return None
    return roots + [n for n in names if n != roots[0]]


def symbol_family(project: Project, symbol: str) -> list[str]:
    """The function a symbol names plus every override of it in subclasses, root first."""
    found = candidates(project, symbol, ("function", "method"))
    if not found:
        resolve_symbol(project, symbol, ("function", "method"))  # raises with a hint
    if len(found) > 1:
        family = _family(project, found)
        if family is None:
            raise SymbolError(_ambiguous(symbol, found), tuple(found))
        root = family[0]
    else:
        root = found[0]
    return [root] + _overrides(project, root)


def _overrides(project: Project, name: str) -> list[str]:
    """Full names of the same method defined in subclasses of its class."""
    from ..resolve.resolver import Resolver

    mq = _module_of(project, name)
    fns = project.index.functions_by_qualname.get(mq, []) if mq else []
    if not fns or fns[0].scope_kind is not ScopeKind.CLASS:
        return []
    owners = project.index.class_by_qualname.get((mq[0], fns[0].scope), [])
    if len(owners) != 1:
        return []
    resolver = Resolver(project.index)
    out = []
    for module, sub in resolver.classes.subclasses(mq[0], owners[0]):
        for fn in project.index.functions_by_qualname.get((module, f"{sub.qualname}.{fns[0].name}"), []):
            out.append(f"{module}.{fn.qualname}")
            break
    return sorted(set(out) - {name}, key=out.index)


def definitions(project: Project, family: list[str]) -> list[Definition]:
    out: list[Definition] = []
    for i, name in enumerate(family):
        module, qualname = _module_of(project, name) or (None, None)
        if module is None:
            continue
        facts = project.index.facts(module)
        path = project.index.path_of(module)
        fns = [(k, fn) for k, fn in enumerate(facts.functions) if fn.qualname == qualname]
        for j, (k, fn) in enumerate(fns):
            runtime, note = _runtime(project, module, k, fn)
            decorators = tuple("@" + d.text for d in fn.decorators)
            if any((d.name or "").split(".")[-1] == "overload" for d in fn.decorators):
                role = "overload stub"
            elif i > 0:
                role = "override"
            else:
                role = "redefinition" if j > 0 else "definition"
            out.append(
                Definition(name, fn.qualname, path, fn.line, fn.signature.text or fn.signature.render(), decorators, role,
                           runtime, note, fn.is_async, fn)
            )
    return out


def _runtime(project: Project, module: str, k: int, fn: FunctionFact) -> tuple[str, str]:
    """Is this def what the name holds once its scope has run? yes, no (replaced) or maybe."""
    bindings = project.index.scope_bindings(module, fn.scope, fn.name)
    mine = next((n for n, b in enumerate(bindings) if b.kind is BindingKind.DEF and b.index == k), None)
    if mine is None:
        return "maybe", "bound indirectly"
    later = bindings[mine + 1 :]
    for b in later:
        if not b.conditional and b.kind is not BindingKind.GLOBAL:
            where = f" at line {b.line}" if b.line else ""
            what = "def" if b.kind is BindingKind.DEF else "binding"
            return "no", f"replaced by the {what}{where}"
    if fn.conditional:
        return "maybe", "defined under a condition"
    if later:
        return "maybe", "conditionally rebound later"
    if fn.decorators and not all(
        (d.name or "").split(".")[-1] in ("staticmethod", "classmethod", "abstractmethod", "cache", "lru_cache",
                                          "final", "override", "wraps")
        for d in fn.decorators
    ):
        return "yes", "as returned by its decorators"
    return "yes", ""


# -- call sites --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call site reaching one of the symbol's definitions, and CPython's verdict on it."""

    path: str
    line: int
    column: int
    caller: str
    callee: str  # the callee as written
    arguments: str  # the arguments as written, "(conn, sql)"
    positional: int
    keywords: tuple[str, ...]
    star: bool
    double_star: bool
    target: str
    target_qualname: str
    target_line: int
    verdict: str  # binds | error | unknown
    message: str  # CPython's TypeError text when verdict is error
    complete: bool  # every possible target of the call is known
    possible: bool  # an edge the checker does not use (a possible target only)


def call_sites(project: Project, names: Iterable[str]) -> list[CallRow]:
    wanted = set(names)
    rows: list[CallRow] = []
    for caller, callee, data in project.graph.edges(data=True):
        if callee not in wanted or data.get("call") is None:
            continue
        rc, target = data["call"], data["target"]
        call = rc.call
        result = verdict(target, call.shape) if target.signature is not None or target.function is None else None
        v = result.verdict.value if result else Verdict.UNKNOWN.value
        tline = target.function.line if target.function is not None else (target.cls.line if target.cls else 0)
        rows.append(
            CallRow(
                rc.path, call.line, call.column, caller, call.callee_text, _one_line(call.args_text),
                call.shape.positional, call.shape.keywords, call.shape.star, call.shape.double_star,
                callee, target.qualname, tline, v, (result.message or "") if result else "", data.get("complete", False),
                bool(data.get("possible", False)),
            )
        )
    return sorted(rows, key=lambda r: (r.path, r.line, r.column, r.target, r.target_line))


def _one_line(text: str) -> str:
    """Arguments as written, on one line, comments dropped."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        tokens = []
    lines = text.splitlines(keepends=True)
    for tok in reversed([t for t in tokens if t.type == tokenize.COMMENT]):
        (row, col), (_, end) = tok.start, tok.end
        lines[row - 1] = lines[row - 1][:col] + lines[row - 1][end:]
    text = "".join(lines)
    return " ".join(text.split()).replace("( ", "(").replace(", )", ")").replace(",)", ")")


# -- callers, callees, paths -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hop:
    """One caller -> callee edge of a walk, with every call site that makes it."""

    depth: int
    caller: str
    callee: str
    sites: tuple[tuple[str, int], ...]  # (path, line)
    possible: bool  # only possible targets make this edge (the checker does not rely on it)


def _edge_sites(graph: nx.MultiDiGraph, u: str, v: str) -> tuple[tuple[tuple[str, int], ...], bool]:
    sites: set[tuple[str, int]] = set()
    certain = False
    for data in graph.get_edge_data(u, v, default={}).values():
        rc = data.get("call")
        path = rc.path if rc is not None else graph.nodes[u].get("path", "")
        sites.add((path, data.get("line", 0)))
        certain = certain or not data.get("possible", False)
    return tuple(sorted(sites)), not certain


def walk(project: Project, start: str, depth: int | None, *, reverse: bool) -> list[Hop]:
    """Breadth-first callers (reverse) or callees of `start`, each edge once, up to `depth` hops."""
    graph = project.graph
    hops: list[Hop] = []
    seen = {start}
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    while queue:
        node, d = queue.popleft()
        if depth is not None and d >= depth:
            continue
        nexts = graph.predecessors(node) if reverse else graph.successors(node)
        for other in sorted(set(nexts)):
            u, v = (other, node) if reverse else (node, other)
            sites, possible = _edge_sites(graph, u, v)
            hops.append(Hop(d + 1, u, v, sites, possible))
            if other not in seen:
                seen.add(other)
                queue.append((other, d + 1))
    return hops


def tree(hops: list[Hop], start: str, *, reverse: bool) -> list[tuple[int, Hop, bool]]:
    """Hops in depth-first display order: (indent, hop, already expanded above)."""
    children: dict[str, list[Hop]] = defaultdict(list)
    for h in hops:
        children[h.callee if reverse else h.caller].append(h)
    out: list[tuple[int, Hop, bool]] = []
    expanded = {start}

    def visit(node: str, indent: int) -> None:
        for h in children.get(node, []):
            other = h.caller if reverse else h.callee
            again = other in expanded
            out.append((indent, h, again))
            if not again:
                expanded.add(other)
                visit(other, indent + 1)

    visit(start, 0)
    return out


def shortest_paths(project: Project, source: str, target: str, limit: int = 10) -> list[list[Hop]]:
    """The shortest call chains from `source` to `target` (at most `limit`), each hop with its lines."""
    import networkx as nx  # imported on use: a warm check never needs it

    simple = nx.DiGraph(project.graph)
    if source not in simple or target not in simple:
        return []
    try:
        chains = []
        for nodes in nx.all_shortest_paths(simple, source, target):
            chains.append(nodes)
            if len(chains) >= limit:
                break
    except nx.NetworkXNoPath:
        return []
    out = []
    for nodes in chains:
        hops = []
        for i, (u, v) in enumerate(zip(nodes, nodes[1:]), 1):
            sites, possible = _edge_sites(project.graph, u, v)
            hops.append(Hop(i, u, v, sites, possible))
        out.append(hops)
    return out
