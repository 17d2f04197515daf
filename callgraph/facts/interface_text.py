"""Source text and expressions for the interface pass (`interface`), read from CPython's `ast`
the way libcst's collector reads them: columns in characters, a node's text as libcst renders
it alone, string keys only from one literal, references as `model.Ref` steps."""

from __future__ import annotations

import ast
import io
import re
import tokenize

from .model import PartialFact

_WS = re.compile(r"\s+")
_NEWLINE = re.compile(r"\r\n|\r|\n")
WRAPPERS = ("staticmethod", "classmethod")  # a call of one is a reference step "@name", not "()"
_CONSTANT_NAMES = {True: "True", False: "False", None: "None"}


def name_of(expr: ast.AST | None) -> str | None:
    """A name as libcst sees one: `True`, `False` and `None` are names there, constants here."""
    if type(expr) is ast.Name:
        return expr.id
    if type(expr) is ast.Constant and (expr.value is True or expr.value is False or expr.value is None):
        return _CONSTANT_NAMES[expr.value]
    return None


def dotted(expr: ast.AST | None) -> tuple[str, ...] | None:
    parts: list[str] = []
    while type(expr) is ast.Attribute:
        parts.append(expr.attr)
        expr = expr.value
    name = name_of(expr)
    if name is None:
        return None
    parts.append(name)
    return tuple(reversed(parts))


def dotted_str(expr: ast.AST | None) -> str | None:
    d = dotted(expr)
    return ".".join(d) if d else None


def partial_call(expr: ast.AST | None) -> PartialFact | None:
    """`expressions.partial_call` on CPython's ast: the same fact for the same source."""
    if type(expr) is not ast.Call:
        return None
    callee = dotted(expr.func)
    if callee is None or callee[-1] not in ("partial", "partialmethod"):
        return None
    first = expr.args[0] if expr.args else None
    if first is None or type(first) is ast.Starred or (expr.keywords and _before(expr.keywords[0], first)):
        return PartialFact(callee, None, None, 0, (), True)
    rest = expr.args[1:]
    star = any(type(a) is ast.Starred for a in rest) or any(k.arg is None for k in expr.keywords)
    keywords = tuple(k.arg for k in expr.keywords if k.arg is not None)
    positional = sum(1 for a in rest if type(a) is not ast.Starred)
    return PartialFact(callee, dotted(first), partial_call(first), positional, keywords, star)


def _before(a: ast.AST, b: ast.AST) -> bool:
    return (a.lineno, a.col_offset) < (b.lineno, b.col_offset)


class SourceText:
    """One module's decoded text and the readings of its expressions that need it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _NEWLINE.split(text)
        self.offsets = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self.lambda_ids: dict[int, int] = {}

    def _col(self, line: int, col_bytes: int) -> int:
        s = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if s.isascii():
            return col_bytes
        return len(s.encode("utf-8")[:col_bytes].decode("utf-8", errors="replace"))

    def _at(self, line: int, col_bytes: int) -> int:
        return self.offsets[line - 1] + self._col(line, col_bytes)

    def _start(self, node: ast.AST) -> int:
        return self._at(node.lineno, node.col_offset)

    def _end(self, node: ast.AST) -> int:
        return self._at(node.end_lineno, node.end_col_offset)

    def _code(self, node: ast.AST, line: int) -> str:
        """The node's source text as libcst renders a node alone: with the parentheses around it
        (libcst's nodes own theirs), continuation lines less the indentation of the statement
        on `line`. Only used where the token before is `@`, `=` or `:`, so a "(" there is not a call's."""
        code = self._parenthesized(node)
        if "\n" in code:
            s = self.lines[line - 1]
            indent = s[: len(s) - len(s.lstrip())]
            if indent:
                inside = {  # lines that begin inside a string literal keep their text
                    n for s in ast.walk(node) if type(s) in (ast.Constant, ast.JoinedStr) and s.end_lineno > s.lineno
                    for n in self._string_lines(s)
                }
                first, *rest = code.split("\n")
                at = node.lineno  # the parentheses around the node never start a line of their own here
                code = "\n".join([first, *(
                    r[len(indent):] if r.startswith(indent) and at + i not in inside else r
                    for i, r in enumerate(rest, 1)
                )])
        return code

    def _string_lines(self, node: ast.AST) -> range | set[int]:
        """The lines that begin inside one multi-line literal of `node` (implicitly concatenated
        literals on their own lines begin outside any)."""
        if type(node) is not ast.Constant:
            return range(node.lineno + 1, node.end_lineno + 1)
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(self._text(node)).readline))
        except (tokenize.TokenError, SyntaxError):
            return range(node.lineno + 1, node.end_lineno + 1)
        return {
            node.lineno - 1 + row
            for t in tokens if t.type == tokenize.STRING and t.end[0] > t.start[0]
            for row in range(t.start[0] + 1, t.end[0] + 1)
        }

    def _parenthesized(self, node: ast.AST) -> str:
        text = self.text
        start, end = self._start(node), self._end(node)
        while True:
            i, j = start - 1, end
            while i >= 0 and text[i] in " \t\r\n\\":
                i -= 1
            while j < len(text) and text[j] in " \t\r\n\\":
                j += 1
            if i < 0 or j >= len(text) or text[i] != "(" or text[j] != ")":
                return text[start:end]
            start, end = i, j + 1

    def _text(self, node: ast.AST) -> str:
        return self.text[self._start(node) : self._end(node)]

    def _single_string(self, node: ast.Constant) -> bool:
        """One string literal, not an implicit concatenation (libcst's SimpleString)."""
        seg = self._text(node)
        quote = seg.lstrip("rRuU")[:1]
        if quote and seg.count(quote) == 2 and "\\" not in seg:
            return True
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(seg).readline))
        except (tokenize.TokenError, SyntaxError):
            return False
        return sum(t.type == tokenize.STRING for t in tokens) == 1

    def string_value(self, expr: ast.AST | None) -> str | None:
        if type(expr) is ast.Constant and type(expr.value) is str and self._single_string(expr):
            return expr.value
        return None

    def key_step(self, expr: ast.AST | None) -> str:
        if type(expr) is ast.Constant:
            v = expr.value
            if type(v) is str:
                return f"[{v!r}]" if self._single_string(expr) else "[?]"
            if type(v) is int:
                return f"[{v!r}]"
        return "[?]"

    def _params_text(self, open_at: int, spans: list[ast.AST], close: str) -> str:
        """The text between `open_at` and the `close` character ending a parameter list, with
        the defaults' and annotations' own text jumped over; leading comments dropped, as libcst
        gives them to the def, not to its parameters."""
        jumps = {self._start(n): self._end(n) for n in spans}
        text = self.text
        i, depth, first = open_at, 0, None
        n = len(text)
        while i < n:
            if i in jumps:
                if first is None:
                    first = i
                i = max(jumps[i], i + 1)
                continue
            c = text[i]
            if c == "#":
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if depth == 0 and c == close:
                break
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            if first is None and not c.isspace() and c != "\\":
                first = i
            i += 1
        body = text[first:i] if first is not None else ""
        return "(" + _WS.sub(" ", body).strip().rstrip(",").strip() + ")"

    # -- references ------------------------------------------------------------------------
    def as_ref(self, expr: ast.AST | None) -> tuple[str, ...] | None:
        steps: list[str] = []
        while expr is not None:
            t = type(expr)
            name = name_of(expr)
            if name is not None:
                steps.append(name)
                return tuple(reversed(steps))
            if t is ast.Lambda:
                steps.append(f"<lambda@{id(expr)}>")
                return tuple(reversed(steps))
            if t is ast.Attribute:
                steps.append(expr.attr)
                expr = expr.value
            elif t is ast.Call:
                fname = expr.func.id if type(expr.func) is ast.Name else None
                if fname in WRAPPERS and len(expr.args) == 1 and not expr.keywords and type(expr.args[0]) is not ast.Starred:
                    steps.append("@" + fname)
                    expr = expr.args[0]
                else:
                    steps.append("()")
                    expr = expr.func
            elif t is ast.Subscript:
                s = expr.slice
                steps.append("[?]" if type(s) in (ast.Slice, ast.Tuple) else self.key_step(s))
                expr = expr.value
            else:
                return None
        return None

    def fix_ref(self, ref: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if ref is None or not ref[0].startswith("<lambda@"):
            return ref
        n = self.lambda_ids.get(int(ref[0][8:-1]))
        return None if n is None else (f"<lambda>#{n}", *ref[1:])

    def display_elements(self, value: ast.AST | None):
        t = type(value)
        if t is ast.Dict:
            return tuple((self.key_step(k), self.as_ref(v)) for k, v in zip(value.keys, value.values) if k is not None)
        if t in (ast.List, ast.Tuple, ast.Set):
            return tuple(
                ("[?]", None) if type(e) is ast.Starred else (f"[{i!r}]", self.as_ref(e)) for i, e in enumerate(value.elts)
            )
        return None
