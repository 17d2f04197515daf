"""What `callgraph parity` could not see on the remote side, so the summary never claims more.

The analysis checks the bytes the probe found along sys.path. The remote interpreter can run
others: an import hook installed by a `.pth` import line (setuptools' editable finder), a zipped
egg, a directory the program itself puts on sys.path, start-up code (`sitecustomize`,
`usercustomize`, `.pth` import lines) that may replace any module or function. Each such place is
one `Unseen` row, in the JSON report's `unseen`, and a sentence in the summary instead of "no call
breaks" or "Nothing to fix". Nothing here runs or imports remote code; it reads the probe's answer
and the files' text.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from probes import RemoteSnapshot

    from ..analysis.project import Project

FIELD = "unseen"
MAX_ROWS = 20

# setuptools' own .pth import lines: which distutils is imported; easy-install.pth's reordering of
# its own path lines (those are modelled as path lines)
_KNOWN_PTH = {"distutils-precedence.pth"}
_KNOWN_LINES = ("import sys; sys.__plen = len(sys.path)", "import sys; new = sys.path[sys.__plen:]")
_SYS_PATH_CODE = re.compile(rb"^[ \t]*(?:[\w.]*\bsys\.path\.(?:insert|append|extend)\s*\(|[\w.]*\bsys\.path\s*(?:\[[^\]\n]*\]\s*)?[+]?=[^=]|"
                            rb"site\.addsitedir\s*\()", re.M)


class UnseenKind(str, Enum):
    """Why callgraph could not see what a module runs remotely."""

    NOT_FOUND = "not-found"  # the local side imports it; the probe's path search finds it nowhere remotely
    NOT_READ = "not-read"  # found remotely, in a place callgraph did not read (a zip archive, an extension)
    SYS_PATH_CODE = "sys-path-code"  # the program changes sys.path at run time
    STARTUP_CODE = "startup-code"  # sitecustomize, usercustomize or a .pth import line runs before the program


@dataclass(frozen=True, slots=True)
class Unseen:
    """One place the remote can take other bytes from than those analysed. Every field is evidence."""

    kind: UnseenKind
    module: str  # the project's top-level module; "" when any module may be affected
    where: str  # the remote file: the module's origin, the .pth or sitecustomize file, the program file
    line: int | None = None  # the line of that file
    text: str = ""  # that line's text (bounded)
    also: str = ""  # another copy of the module in the upload (`vendor/shop/`)


def row_dict(u: Unseen) -> dict:
    return {"kind": u.kind.value, "module": u.module or None, "where": u.where, "line": u.line,
            "text": u.text or None, "also": u.also or None}


def _tops(paths) -> set[str]:
    """Top-level module names of a tree's files (`shop/pricing.py` -> shop, `main.py` -> main)."""
    out = set()
    for p in paths:
        head = p.split("/", 1)[0]
        name = head[:-3] if head.endswith(".py") and "/" not in p else head
        if name.isidentifier():
            out.add(name)
    return out


def imported_tops(paths, project: Project) -> list[str]:
    """The names to ask the remote probe about: the local tree's own top-level modules it imports."""
    return sorted(_tops(paths) & _imported(project))


def _imported(project: Project) -> set[str]:
    """Top-level names the project imports absolutely."""
    out = set()
    for f in project.files:
        try:
            imports = f.facts.imports
        except Exception:  # noqa: BLE001 - an unreadable file imports nothing we can name
            continue
        out.update(i.module.split(".")[0] for i in imports if i.level == 0 and i.module)
    return out


def find_unseen(local_paths, local_project: Project, rsnap: RemoteSnapshot) -> list[Unseen]:
    """The rows, at most MAX_ROWS: modules the local side imports that the remote takes from places
    callgraph did not read, the program's own sys.path changes, and start-up code."""
    result = rsnap.result
    uploaded = rsnap.uploaded
    wanted = imported_tops(local_paths, local_project)
    ev = result.imports
    pth = [ln for ln in (ev.pth_lines if ev else ()) if ln.kind == "import"
           and posixpath.basename(ln.file) not in _KNOWN_PTH and not ln.text.startswith(_KNOWN_LINES)]
    out: list[Unseen] = []
    named: set[int] = set()
    in_upload = _tops(uploaded)
    for name in wanted:
        res = result.modules.get(name)
        if (res is None or res.status != "found") and name in in_upload:
            continue  # in the upload's root: sys.path[0] of a program run there (the probe may run elsewhere)
        if res is None or res.status != "found":
            out.append(Unseen(UnseenKind.NOT_FOUND, name, ""))
            for i, ln in enumerate(pth):  # an import line naming the module: an import hook's installer
                if name in ln.text:
                    named.add(i)
                    out.append(Unseen(UnseenKind.STARTUP_CODE, name, ln.file, ln.line, _clip(ln.text)))
        elif res.inside_root is not True and not res.tree and (res.origin or res.location):
            out.append(Unseen(UnseenKind.NOT_READ, name, res.origin or res.location or ""))
    sys_path_code = []
    for path, f in sorted(uploaded.items()):
        m = _SYS_PATH_CODE.search(f.data or b"", 0, 1 << 20)
        if m:
            line = (f.data or b"").count(b"\n", 0, m.start()) + 1
            text = (f.data or b"")[m.start():].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            sys_path_code.append((path, line, _clip(text)))
    for path, line, text in sys_path_code[:3]:
        copies = [(name, _copy(name, uploaded)) for name in wanted]
        copies = [(n, c) for n, c in copies if c]
        for name, copy in copies:
            out.append(Unseen(UnseenKind.SYS_PATH_CODE, name, path, line, text, copy))
        if not copies:
            out.append(Unseen(UnseenKind.SYS_PATH_CODE, "", path, line, text))
    for kind, file, _ in (ev.hooks if ev else ()):
        out.append(Unseen(UnseenKind.STARTUP_CODE, "", file, None, kind))
    out += [Unseen(UnseenKind.STARTUP_CODE, "", ln.file, ln.line, _clip(ln.text)) for i, ln in enumerate(pth)
            if i not in named]
    return out[:MAX_ROWS]


def _copy(name: str, uploaded) -> str:
    """Another copy of top-level module `name` deeper in the upload (`vendor/shop/`), or ""."""
    for p in sorted(uploaded):
        parts = p.split("/")
        if len(parts) >= 3 and parts[-2] == name and parts[-1] == "__init__.py":
            return "/".join(parts[:-1]) + "/"
        if len(parts) >= 2 and parts[-1] == f"{name}.py":
            return p
    return ""


def _clip(text: str, limit: int = 80) -> str:
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[:limit] + "…"


__all__ = ["FIELD", "Unseen", "UnseenKind", "find_unseen", "imported_tops", "row_dict"]
