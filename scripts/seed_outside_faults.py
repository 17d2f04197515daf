"""Seed faults into real calls to outside pure-Python code and count how many `check` catches.

    python scripts/seed_outside_faults.py PACKAGE_DIR --python VENV/bin/python [--limit N]

1. Analyse PACKAGE_DIR (a package in a venv's site-packages) with that environment, in process.
2. Candidates: call sites with a complete resolution whose every target is defined in an outside
   module (the stdlib or another installed package: pure-Python source), without *args/**kwargs.
3. For each, one mutation at a time on a copy of the file's bytes: drop every argument, add a
   misspelt keyword, or add surplus positionals. A mutation is a seeded fault when it cannot bind
   to any target (binding.bind on the target's own signature: the same rules CPython's
   initialize_locals follows, differential-tested in tests/test_binding.py).
4. Re-run the whole check with the mutated file (facts cache in a temp dir) and count a fault as
   caught when a finding appears on that line.
`--native` seeds only into calls of C functions (targets read from stubs).
Prints caught / seeded, and each miss with its reason where known. Never imports analysed code."""

from __future__ import annotations

import argparse
import ast
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callgraph import analyze_sources  # noqa: E402
from callgraph.environment.model import Environment  # noqa: E402
from callgraph.facts.model import CallShape  # noqa: E402
from callgraph.resolve.binding import Verdict, bind  # noqa: E402
from callgraph.snapshots.tree import discover, read_sources  # noqa: E402
from callgraph.store.cache import FactsCache  # noqa: E402


def mutations(source: str, line: int, column: int) -> list[tuple[str, str, CallShape]]:
    """(kind, mutated source, new shape) for the call starting at (line, column 1-based)."""
    tree = ast.parse(source)
    # `f(x).strip()` starts where `f(x)` does: the innermost call at that position is the one.
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno == line and n.col_offset == column - 1]
    call = min(found, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0), default=None)
    if call is None or call.end_lineno is None:
        return []
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for text in lines:
        offsets.append(offsets[-1] + len(text.encode()))
    data = source.encode()

    def at(lineno: int, col: int) -> int:
        return offsets[lineno - 1] + col

    start = at(call.func.end_lineno, call.func.end_col_offset)  # just before "("
    end = at(call.end_lineno, call.end_col_offset)  # just after ")"
    positional = len(call.args)
    keywords = tuple(k.arg for k in call.keywords if k.arg)
    out = []
    out.append(("drop-all", (data[:start] + b"()" + data[end:]).decode(), CallShape(0, ())))
    close = end - 1
    sep = b", " if call.args or call.keywords else b""
    out.append(("misspelt-keyword", (data[:close] + sep + b"seeded_kw_=1" + data[close:]).decode(), CallShape(positional, keywords + ("seeded_kw_",))))
    if call.args:
        after = at(call.args[-1].end_lineno, call.args[-1].end_col_offset)
        extra = b", None" * 8
    else:
        after = start + 1
        extra = b"None, " * 8 if call.keywords else b", ".join([b"None"] * 8)
    out.append(("surplus-positionals", (data[:after] + extra + data[after:]).decode(), CallShape(positional + 8, keywords)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package")
    ap.add_argument("--python", default=None)
    ap.add_argument("--limit", type=int, default=150, help="seeded faults at most (default 150)")
    ap.add_argument("--native", action="store_true", help="only calls of C functions (builtins, extension modules, methods of builtin types), read from stubs")
    args = ap.parse_args()
    env = Environment.local(args.python)
    sources, _ = read_sources(discover([args.package], []), None)
    with tempfile.TemporaryDirectory() as tmp, FactsCache.open(Path(tmp)) as cache:
        base = analyze_sources(sources, cache=cache, environment=env)
        index = base.index
        candidates = []
        for rc in base.calls:
            res = rc.resolution
            if not res.complete or not res.targets or rc.call.shape.star or rc.call.shape.double_star:
                continue
            if rc.call.expects_type_error or not all(index.is_outside(t.module) for t in res.targets):
                continue
            if args.native and not all(index.is_stub(t.module) for t in res.targets):
                continue
            candidates.append(rc)
        by_path = {s[0]: i for i, s in enumerate(sources)}
        seeded = caught = 0
        misses = []
        for rc in candidates:
            i = by_path[rc.path]
            original = sources[i][3].decode("utf-8")
            for kind, mutated, shape in mutations(original, rc.call.line, rc.call.column):
                if seeded >= args.limit:
                    break
                if not all(bind(t.signature, shape, t.qualname, implicit=t.implicit).verdict is Verdict.ERROR for t in rc.resolution.targets if t.signature is not None):
                    continue  # not a fault: the target accepts the mutated call
                seeded += 1
                changed = list(sources)
                changed[i] = (*sources[i][:3], mutated.encode())
                found = analyze_sources(changed, cache=cache, environment=env).findings()
                if any(f.path == rc.path and f.line == rc.call.line for f in found):
                    caught += 1
                else:
                    misses.append(f"{rc.path}:{rc.call.line} {kind} {rc.call.callee_text} -> {[t.full_name for t in rc.resolution.targets]}")
        outside_calls = sum(1 for rc in base.calls if rc.resolution.complete and rc.resolution.targets and all(index.is_outside(t.module) for t in rc.resolution.targets))
    print(f"{args.package}: {len(base.calls)} calls, {outside_calls} resolve completely into outside code, {len(candidates)} candidates")
    print(f"caught {caught} / seeded {seeded} = {caught / seeded if seeded else float('nan'):.3f}")
    for m in misses[:20]:
        print("  missed:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
