"""Differential check of callgraph.binding against the running interpreter.

Generates random valid signatures and call shapes, asks `bind()` for a verdict, then builds the
real function (exec of generated `def` source) and makes the real call with concrete values.
ERROR must mean every instantiation raises TypeError with exactly our message, BINDS that every
instantiation succeeds; UNKNOWN is only allowed for shapes with *expr or **expr.

    .venv/bin/python scripts/binding_agreement.py [--examples N] [--seed S]

tests/test_binding.py imports the generator and oracle from here (by path), so both use one copy.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from callgraph.resolve.binding import Verdict, bind  # noqa: E402
from callgraph.facts.findings import Code  # noqa: E402
from callgraph.facts.model import CallShape, Param, ParamKind, Signature  # noqa: E402

NAMES = ("a", "b", "c", "d", "e", "g", "h")  # parameter names: a small pool so keywords collide
STRANGERS = ("x", "y")  # keyword names no signature uses
_POSITIONAL = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class Case:
    sig: Signature
    shape: CallShape
    implicit: int  # 1: the function is method C.f, called through an instance (bound self)

    @property
    def qualname(self) -> str:
        return "C.f" if self.implicit else "f"


def random_signature(rng: random.Random) -> Signature:
    """All five kinds, trailing positional defaults, any kw-only defaults, distinct names."""
    kinds = (
        [ParamKind.POSITIONAL_ONLY] * rng.randint(0, 3)
        + [ParamKind.POSITIONAL_OR_KEYWORD] * rng.randint(0, 3)
        + [ParamKind.VAR_POSITIONAL] * (rng.random() < 0.35)
        + [ParamKind.KEYWORD_ONLY] * rng.randint(0, 3)
        + [ParamKind.VAR_KEYWORD] * (rng.random() < 0.3)
    )
    while len(kinds) > len(NAMES):  # drop a regular parameter, keeping the shape's variety
        kinds.remove(ParamKind.KEYWORD_ONLY if ParamKind.KEYWORD_ONLY in kinds else ParamKind.POSITIONAL_OR_KEYWORD)
    names = rng.sample(NAMES, len(kinds))
    n_positional = sum(1 for k in kinds if k in _POSITIONAL)
    first_default = n_positional - rng.randint(0, n_positional)
    params = []
    for i, (name, kind) in enumerate(zip(names, kinds)):
        if kind in _POSITIONAL:
            default = i >= first_default
        else:
            default = kind is ParamKind.KEYWORD_ONLY and rng.random() < 0.5
        params.append(Param(name, kind, default))
    return Signature(tuple(params))


def random_shape(rng: random.Random, sig: Signature) -> CallShape:
    """Half the time aimed at the signature (fitting counts, its own names) so binds are common too."""
    if rng.random() < 0.5:
        positional = rng.randint(0, 6)
        keywords = tuple(rng.sample(NAMES + STRANGERS, rng.randint(0, 4)))
    else:
        positional = rng.randint(0, sum(1 for p in sig.params if p.kind in _POSITIONAL))
        own = [p.name for p in sig.params if p.kind is not ParamKind.VAR_POSITIONAL]
        keywords = tuple(rng.sample(own, rng.randint(0, len(own))))
    return CallShape(positional, keywords, rng.random() < 0.3, rng.random() < 0.15)


def random_case(rng: random.Random) -> Case:
    sig = random_signature(rng)
    return Case(sig, random_shape(rng, sig), int(rng.random() < 0.3))


def def_source(case: Case) -> str:
    """`def f(...)` (or `class C` holding it) for the case's signature; independent of Signature.render."""
    parts: list[str] = []
    params = case.sig.params
    for i, p in enumerate(params):
        if p.kind is ParamKind.KEYWORD_ONLY and not any(
            q.kind in (ParamKind.VAR_POSITIONAL, ParamKind.KEYWORD_ONLY) for q in params[:i]
        ):
            parts.append("*")
        prefix = {ParamKind.VAR_POSITIONAL: "*", ParamKind.VAR_KEYWORD: "**"}.get(p.kind, "")
        parts.append(prefix + p.name + ("=0" if p.has_default else ""))
        if p.kind is ParamKind.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind is not p.kind):
            parts.append("/")
    func = f"def f({', '.join(parts)}):\n    pass\n"
    return "class C:\n" + "".join("    " + line + "\n" for line in func.splitlines()) if case.implicit else func


def call_source(shape: CallShape) -> str:
    args = [str(i) for i in range(shape.positional)]
    args += ["*s"] * shape.star + [f"{k}={i}" for i, k in enumerate(shape.keywords)] + ["**m"] * shape.double_star
    return f"F({', '.join(args)})"


def instances(case: Case) -> list[tuple[list[int], dict[str, int]]]:
    """Concrete (*s, **m) values: lengths well past the co_argcount + 2 bind() enumerates, several mappings."""
    co_argcount = sum(1 for p in case.sig.params if p.kind in _POSITIONAL)
    lengths = [*range(co_argcount + 5), co_argcount + 9] if case.shape.star else [0]
    mappings: list[dict[str, int]] = [{}]
    if case.shape.double_star:
        mappings += [{n: 0} for n in NAMES + STRANGERS] + [dict.fromkeys(NAMES, 0)]
    return [(list(range(n)), m) for n in lengths for m in mappings]


def expected_code(message: str) -> Code:
    """The code a CPython message belongs to, to check bind() labels its errors consistently."""
    for needle, code in (
        ("positional-only arguments passed as keyword", Code.CG105),
        ("multiple values for argument", Code.CG104),
        ("unexpected keyword argument", Code.CG103),
        (" missing ", Code.CG102),
        (" positional argument", Code.CG101),
    ):
        if needle in message:
            return code
    raise ValueError(f"unrecognised binding message: {message!r}")


def describe(case: Case) -> str:
    return f"{def_source(case).strip()}  |  {call_source(case.shape)}  (implicit={case.implicit})"


def check(case: Case) -> tuple[Verdict, str | None]:
    """bind()'s verdict and None when the interpreter agrees on every instantiation, else why not."""
    result = bind(case.sig, case.shape, case.qualname, implicit=case.implicit)
    if result.verdict is Verdict.UNKNOWN:
        if case.shape.star or case.shape.double_star:
            return result.verdict, None
        return result.verdict, "UNKNOWN for a call without *expr or **expr"
    if result.verdict is Verdict.ERROR:
        assert result.message is not None
        if result.code is not expected_code(result.message):
            return result.verdict, f"code {result.code} for {result.message!r}"
    namespace: dict[str, object] = {}
    exec(def_source(case), namespace)
    callee = namespace["C"]().f if case.implicit else namespace["f"]  # type: ignore[operator, attr-defined]
    call = compile(call_source(case.shape), "<call>", "eval")
    for s, m in instances(case):
        try:
            eval(call, {"F": callee, "s": s, "m": m})
            observed = None
        except TypeError as exc:
            observed = str(exc)
        if observed != (result.message if result.verdict is Verdict.ERROR else None):
            return result.verdict, f"we said {result.verdict.name} {result.message!r}, *s={s} **m={m} gave {observed!r}"
    return result.verdict, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    verdicts: Counter[Verdict] = Counter()
    codes: Counter[str] = Counter()
    failures: list[str] = []
    start = time.perf_counter()
    for _ in range(args.examples):
        case = random_case(rng)
        verdict, problem = check(case)
        verdicts[verdict] += 1
        if verdict is Verdict.ERROR:
            code = bind(case.sig, case.shape, case.qualname, implicit=case.implicit).code
            codes[code.value if code else "?"] += 1
        if problem is not None:
            failures.append(f"{describe(case)}\n    {problem}")
    elapsed = time.perf_counter() - start
    for failure in failures[:5]:
        print("DISAGREE:", failure)
    agreed = args.examples - len(failures)
    print(
        f"binding agreement: {agreed}/{args.examples} ({100 * agreed / max(args.examples, 1):.2f}%) "
        + " ".join(f"{v.name}={verdicts[v]}" for v in (Verdict.ERROR, Verdict.BINDS, Verdict.UNKNOWN))
        + f" seed={args.seed} in {elapsed:.1f}s"
    )
    print("errors by code: " + " ".join(f"{code}={n}" for code, n in sorted(codes.items())))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
