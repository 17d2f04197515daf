"""Finding codes and the Finding record: messages are plain data, reporters format them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Code(enum.Enum):
    """Each code's value is its id; `slug` is the stable short name used in JSON."""

    CG000 = "CG000"
    CG101 = "CG101"
    CG102 = "CG102"
    CG103 = "CG103"
    CG104 = "CG104"
    CG105 = "CG105"
    CG201 = "CG201"
    CG900 = "CG900"

    @property
    def slug(self) -> str:
        return _SLUGS[self][0]

    @property
    def description(self) -> str:
        return _SLUGS[self][1]


_SLUGS: dict[Code, tuple[str, str]] = {
    Code.CG000: ("parse-error", "The file does not parse; the rest of the project is still analysed."),
    Code.CG101: ("too-many-positional", "The call passes more positional arguments than the target accepts."),
    Code.CG102: ("missing-argument", "The call leaves a required positional or keyword-only parameter unfilled."),
    Code.CG103: ("unexpected-keyword", "The call passes a keyword the target has no parameter for."),
    Code.CG104: ("multiple-values", "The call fills one parameter both positionally and by keyword."),
    Code.CG105: ("positional-only-as-keyword", "The call passes a positional-only parameter by keyword."),
    Code.CG201: (
        "redefined-with-different-signature",
        "A function is defined again in the same scope with another signature; callers bind to the later one.",
    ),
    Code.CG900: (
        "unused-suppression",
        "A suppression comment silences nothing on its line (reported with --warn-unused-ignores).",
    ),
}


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int


class FixKind(enum.Enum):
    """What a suggestion changes in the call; `callgraph fix` applies the certain ones."""

    RENAME_KEYWORD = "rename-keyword"  # `heigth=` becomes `height=`
    KEYWORD_TO_POSITIONAL = "keyword-to-positional"  # `value=5` becomes `5`, in the same place


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A change to the call that the finding's message points at, as data (reporters word it).

    `certain`: the changed call binds to every possible target (checked when the finding is made),
    so `callgraph fix` may apply it; otherwise it is only shown as a hint."""

    kind: FixKind
    keywords: tuple[str, ...]  # the keyword arguments as the call passes them, in source order
    replacement: str = ""  # RENAME_KEYWORD: the parameter name the keyword should be
    certain: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    code: Code
    path: str
    line: int
    column: int
    message: str
    target: str | None = None  # qualified name of the function the call was bound to
    definition: Location | None = None
    # the definition's parameter list as written, "(self, sql)": for a call, the target's; for a
    # redefinition (CG201), the earlier def's
    signature: str | None = None
    suggestion: Suggestion | None = None
    span: int = 1  # characters from `column` to underline: the callee, or `def name`

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code.value, self.message)
