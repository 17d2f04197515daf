"""Gitignore-style patterns (`include`, `exclude`, `per-file-ignores`), matched in linear time.

A pattern comes from a configuration file or a command line we do not control, and a glob
translated naively to a backtracking regex takes exponential time: `*a*a*a*a*a*a*a*a*b` against a
long file name ran for minutes. So a pattern is split at its slashes into segment patterns, and:

- within a segment, stars match any run of characters; the fixed chunk after each star but the
  last is matched atomically at its leftmost place (`(?>.*?chunk)`: the earliest end leaves the
  most room for the star that follows, so no other place can do better), and only the last star
  backtracks: O(len(name) x len(pattern)) per segment;
- across segments, `**` (zero or more directories) is a loop of a small automaton whose states are
  the pattern's segment positions, run once over the path's segments in step: O(segments x
  pattern segments), and every directory prefix of the path is decided in the same pass.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_DSTAR = "**"  # a whole segment of two or more stars: zero or more segments
_ONE = "?"  # any one segment (the first of a trailing "/**": everything *inside*)
_Segment = re.Pattern[str] | str


def _tokens(body: str) -> list[list[str]]:
    """A pattern body as segments of regex pieces; "*" is a star, every other piece fixed-width."""
    segments: list[list[str]] = [[]]
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "/":
            segments.append([])
            i += 1
        elif c == "*":
            segments[-1].append("*")
            i += 1
        elif c == "?":
            segments[-1].append(".")
            i += 1
        elif c == "[":
            j = i + 1
            if j < n and body[j] in "!^":
                j += 1
            if j < n and body[j] == "]":
                j += 1
            while j < n and body[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: a literal '['
                segments[-1].append(re.escape(c))
                i += 1
                continue
            inner = body[i + 1 : j]
            negate = inner[:1] in ("!", "^")
            if negate:
                inner = inner[1:]
            cls = "".join("\\" + ch if ch in "\\[]^&~|" else ch for ch in inner)
            segments[-1].append(f"[^{cls}]" if negate else f"[{cls}]")
            i = j + 1
        elif c == "\\" and i + 1 < n:
            segments[-1].append(re.escape(body[i + 1]))
            i += 2
        else:
            segments[-1].append(re.escape(c))
            i += 1
    return segments


def _segment_regex(pieces: Sequence[str]) -> re.Pattern[str]:
    """One segment's pieces as a regex that never backtracks into any star but the last."""
    chunks: list[list[str]] = [[]]
    for p in pieces:
        if p == "*":
            if chunks[-1] or len(chunks) == 1:
                chunks.append([])
        else:
            chunks[-1].append(p)
    if len(chunks) == 1:
        return re.compile("".join(chunks[0]), re.DOTALL)
    head, *middle, last = ("".join(c) for c in chunks)
    body = head + "".join(f"(?>.*?{m})" for m in middle) + ".*" + last
    return re.compile(body, re.DOTALL)


def compile_pattern(body: str) -> tuple[_Segment, ...]:
    """A pattern body (no leading '!', no trailing '/') as segment matchers, `_DSTAR` and `_ONE`."""
    anchored = "/" in body
    if body.startswith("/"):
        body = body[1:]
    out: list[_Segment] = [] if anchored else [_DSTAR]
    segments = _tokens(body)
    for k, pieces in enumerate(segments):
        if len(pieces) >= 2 and all(p == "*" for p in pieces):
            if k == len(segments) - 1:  # "x/**" or "**": everything inside, at least one segment
                out.append(_ONE)
            out.append(_DSTAR)
        else:
            out.append(_segment_regex(pieces))
    return tuple(out)


def prefixes_matched(segments: Sequence[_Segment], parts: Sequence[str]) -> list[bool]:
    """`[k]`: whether the path `parts[:k]` matches (k = 0 .. len(parts)); one pass over the parts."""
    m = len(segments)
    if m == 2 and segments[0] is _DSTAR and isinstance(segments[1], re.Pattern):  # "*_pb2.py", "build/"
        last = segments[1]
        return [False, *(last.fullmatch(part) is not None for part in parts)]
    states = [False] * (m + 1)
    states[0] = True

    def close(s: list[bool]) -> list[bool]:
        for j in range(m):  # epsilon edges only go forward: one ascending pass closes
            if s[j] and segments[j] is _DSTAR:
                s[j + 1] = True
        return s

    states = close(states)
    out = [states[m]]
    for part in parts:
        nxt = [False] * (m + 1)
        alive = False
        for j in range(m):
            if not states[j]:
                continue
            seg = segments[j]
            if seg is _DSTAR:
                nxt[j] = alive = True
            elif seg is _ONE or seg.fullmatch(part):  # type: ignore[union-attr]
                nxt[j + 1] = alive = True
        states = close(nxt)
        out.append(states[m])
        if not alive:
            out.extend([False] * (len(parts) + 1 - len(out)))
            break
    return out


def _fixed_prefixes(fixed: Sequence[_Segment], inside: bool, parts: Sequence[str]) -> list[bool]:
    """`prefixes_matched` for a pattern of fixed segments (`src/*/x.py`), or of fixed segments then
    everything inside (`tests/**`, when `inside`): no automaton needed, the first miss ends it."""
    m = len(fixed)
    out = [False] * (len(parts) + 1)
    if len(parts) < m or not all(seg is _ONE or seg.fullmatch(part) for seg, part in zip(fixed, parts)):  # type: ignore[union-attr]
        return out
    if inside:
        out[m + 1 :] = [True] * (len(parts) - m)
    else:
        out[m] = True
    return out


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str
    segments: tuple[_Segment, ...]
    negated: bool
    dir_only: bool

    def hits(self, parts: Sequence[str], is_dir: bool) -> bool:
        """Whether the path or a directory above it matches (what `match` needs when no rule
        is negated), stopping at the first hit."""
        segs, n = self.segments, len(parts)
        if len(segs) == 2 and segs[0] is _DSTAR and isinstance(segs[1], re.Pattern):  # "*_pb2.py", "build/"
            last, upto = segs[1], n if (is_dir or not self.dir_only) else n - 1
            return any(last.fullmatch(parts[k]) for k in range(upto))
        matched = self.prefixes(parts)
        return any(matched[1:n]) or (matched[n] and (is_dir or not self.dir_only))

    def prefixes(self, parts: Sequence[str]) -> list[bool]:
        """Which prefixes of `parts` match; the shapes most patterns have take a shortcut."""
        segs = self.segments
        if _DSTAR not in segs:
            return _fixed_prefixes(segs, False, parts)
        if segs[-2:] == (_ONE, _DSTAR) and _DSTAR not in segs[:-2]:
            return _fixed_prefixes(segs[:-2], True, parts)
        return prefixes_matched(segs, parts)


class GitIgnoreSpec:
    """Patterns with gitignore's meaning, matched against posix paths relative to `base`.

    `*` and `?` never cross '/', `**` spans directories, a pattern with a '/' other than a
    trailing one is anchored to the base, a trailing '/' matches directories only, `!`
    re-includes, and the last matching pattern wins. A file under a matched directory is
    matched, and, as in git, cannot be re-included by a later `!` pattern.
    """

    def __init__(self, patterns: Iterable[str], base: str | Path = ".") -> None:
        self.patterns = tuple(patterns)
        self.base = Path(base)
        self._abs_base = os.path.abspath(self.base)
        self.rules: list[_Rule] = []
        for raw in self.patterns:
            p = raw.strip()
            if not p or p.startswith("#"):
                continue
            negated = p.startswith("!")
            if negated:
                p = p[1:]
            elif p.startswith("\\!") or p.startswith("\\#"):
                p = p[1:]
            dir_only = p.endswith("/")
            p = p.rstrip("/")
            if not p:
                raise ValueError(f"{raw!r} matches nothing")
            self.rules.append(_Rule(raw, compile_pattern(p), negated, dir_only))

        self._negated = any(rule.negated for rule in self.rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, rel: str, is_dir: bool = False) -> bool:
        """`rel`: a posix path relative to the base."""
        rel = rel.strip("/")
        if not rel or rel == ".":
            return False
        parts = rel.split("/")
        n = len(parts)
        if not self._negated:  # no `!`: any rule matching the path or a directory above it decides
            return any(rule.hits(parts, is_dir) for rule in self.rules)
        table = [rule.prefixes(parts) for rule in self.rules]
        for k in range(1, n + 1):
            as_dir = k < n or is_dir
            hit = False
            for rule, matched in zip(self.rules, table):
                if rule.dir_only and not as_dir:
                    continue
                if rule.negated == hit and matched[k]:
                    hit = not rule.negated
            if hit:
                return True
        return False

    def match_path(self, path: str | Path) -> bool:
        """A filesystem path (absolute, or relative to the current directory); False outside the base."""
        rel = os.path.relpath(os.path.abspath(path), self._abs_base)
        if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
            return False
        return self.match(Path(rel).as_posix())
