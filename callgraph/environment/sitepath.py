"""The import path the way `site` would build it, without running `site`.

`site.main()` (CPython 3.6 to 3.13; see Lib/site.py) takes sys.path as the interpreter starts
(`-S` shows it: the stdlib zip, the stdlib, lib-dynload), then:
1. `venv()`: a `pyvenv.cfg` beside the executable, or one directory up, makes the parent of the
   executable's directory the prefix; its site-packages come first. `include-system-site-packages`
   (default "true" when the key is missing) keeps the base prefixes, else they and the user site go;
2. the user site (`~/.local/lib/pythonX.Y/site-packages`), when enabled and a directory;
3. site.py's `getsitepackages(PREFIXES)` that are directories.
Each site dir is appended (unless already there), then its `*.pth` files are read in sorted
order: lines starting with `#` are comments, blank lines are skipped, lines starting with
`import ` or `import\\t` are CODE (recorded as `StartupCode`, never executed), any other line is a
path (relative to the site dir, trailing whitespace stripped) added if it exists and is new.

Decisions: the user site is added as site.py would for this interpreter run normally by this user
(the caller may refuse it: `user_site=False`, like `python -s`). Environment variables
(PYTHONPATH, PYTHONUSERBASE, PYTHONNOUSERSITE) are not modelled. The .pth text is taken as UTF-8
(3.13 reads it so, with a BOM allowed; earlier versions use the locale's encoding, UTF-8 here).
Limits: `MAX_PTH_FILES` per site dir, `MAX_PTH_BYTES` per file; over them, files are skipped with a note."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from .interpreter import InterpreterFacts, clean
from .model import ImportPathEntry, PathOrigin, StartupCode

MAX_PTH_FILES = 1000  # per site dir
MAX_PTH_BYTES = 256 * 1024  # per .pth file (real ones are a few lines)
MAX_CFG_BYTES = 64 * 1024  # pyvenv.cfg
MAX_CODE_CHARS = 200  # of a start-up code line, kept for notes


@dataclass(frozen=True, slots=True)
class VenvConfig:
    """A virtual environment's pyvenv.cfg: `path` (the file), `prefix` (the environment's directory,
    the parent of the executable's), `home` (its base interpreter's directory, when given)."""

    path: str
    prefix: str
    home: str | None
    include_system_site_packages: bool


@dataclass(frozen=True, slots=True)
class ImportPath:
    """`import_path`'s answer: the entries in order, the .pth code site would run, and notes."""

    entries: tuple[ImportPathEntry, ...]
    startup_code: tuple[StartupCode, ...]
    notes: tuple[str, ...]
    venv: VenvConfig | None
    user_site: str | None  # the user site directory, when it is on the path


def read_pyvenv_cfg(executable: str) -> VenvConfig | None:
    """site.venv()'s reading of pyvenv.cfg for the interpreter at `executable` (the path it runs
    as, links kept): the file beside it, else one directory up; None when neither exists."""
    exe_dir = os.path.dirname(os.path.abspath(executable))
    prefix = os.path.dirname(exe_dir)
    for candidate in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(prefix, "pyvenv.cfg")):
        if not os.path.isfile(candidate):
            continue
        system_site, home = "true", None
        try:
            with open(candidate, "rb") as fh:
                text = fh.read(MAX_CFG_BYTES).decode("utf-8", "replace")
        except OSError:
            text = ""
        for line in text.splitlines():
            if "=" in line:
                key, _, value = line.partition("=")
                key, value = key.strip().lower(), value.strip()
                if key == "include-system-site-packages":
                    system_site = value.lower()
                elif key == "home":
                    home = value
        return VenvConfig(candidate, prefix, home, system_site == "true")
    return None


def import_path(facts: InterpreterFacts, *, user_site: bool = True) -> ImportPath:
    """The full import path of the interpreter `facts` describes, with where each entry came from."""
    entries: list[ImportPathEntry] = []
    known: set[str] = set()
    notes: list[str] = []
    code: list[StartupCode] = []

    def add(path: str, origin: PathOrigin, via: str | None = None) -> None:
        key = os.path.normcase(path)
        if key not in known:
            known.add(key)
            entries.append(ImportPathEntry(path, origin, via))

    # The path before site: made absolute and without duplicates (site.removeduppaths).
    stdlib = {os.path.normcase(os.path.abspath(facts.paths[k])) for k in ("stdlib", "platstdlib")}
    for entry in facts.sys_path:
        if not entry:
            continue  # the current directory: -I leaves it out, and so does a project's interpreter run by path
        path = os.path.abspath(entry)
        add(path, _base_origin(path, stdlib))

    executable = facts.sys_executable or facts.executable
    venv = read_pyvenv_cfg(executable)
    prefixes = [facts.prefix, facts.exec_prefix]
    enable_user = user_site
    site_dirs: list[tuple[str, PathOrigin]] = []
    if venv is not None:
        site_dirs += [(d, PathOrigin.SITE_PACKAGES) for d in _layout(facts, venv.prefix, notes)]
        if venv.include_system_site_packages:
            prefixes.insert(0, venv.prefix)
            notes.append(f"virtual environment {venv.prefix}: its base's site-packages included ({venv.path})")
        else:
            prefixes, enable_user = [venv.prefix], False
            notes.append(f"virtual environment {venv.prefix}: its base's site-packages and the user site excluded ({venv.path})")
    user = facts.user_site if enable_user and facts.user_site and os.path.isdir(facts.user_site) else None
    if user is not None:
        site_dirs.append((user, PathOrigin.USER_SITE))
    for prefix in prefixes:
        site_dirs += [(d, PathOrigin.SITE_PACKAGES) for d in _layout(facts, prefix, notes)]

    done: set[str] = set()
    for site_dir, origin in site_dirs:
        site_dir = os.path.abspath(site_dir)
        if os.path.normcase(site_dir) in done or not os.path.isdir(site_dir):
            continue
        done.add(os.path.normcase(site_dir))
        add(site_dir, origin)
        for pth, line, kind, text in _pth_lines(site_dir, facts.version, notes):
            if kind == "code":
                code.append(StartupCode(pth, line, text[:MAX_CODE_CHARS]))
                continue
            path = os.path.abspath(os.path.join(site_dir, text))
            if os.path.normcase(path) not in known and os.path.exists(path):
                add(path, PathOrigin.PTH, pth)
    notes += [c.note for c in code]
    return ImportPath(tuple(entries), tuple(code), tuple(dict.fromkeys(notes)), venv, user)


def _base_origin(path: str, stdlib: set[str]) -> PathOrigin:
    key = os.path.normcase(path)
    if key in stdlib or (key.endswith(".zip") and os.path.dirname(key) in {os.path.dirname(s) for s in stdlib}):
        return PathOrigin.STDLIB
    if os.path.basename(key) in ("lib-dynload", "dlls"):
        return PathOrigin.DYNLOAD
    return PathOrigin.OTHER


def _layout(facts: InterpreterFacts, prefix: str, notes: list[str]) -> tuple[str, ...]:
    """site.py's site-packages for `prefix`, as the interpreter reported them; sysconfig's purelib
    and platlib (moved to `prefix`) when it could not say."""
    found = facts.site_packages.get(prefix)
    if found is not None:
        return found
    notes.append(f"site.getsitepackages() unknown for {prefix}: sysconfig's purelib and platlib used")
    out: list[str] = []
    for key in ("purelib", "platlib"):
        path = facts.paths[key]
        if prefix != facts.prefix and path.startswith(facts.prefix + os.sep):
            path = prefix + path[len(facts.prefix) :]
        if path not in out:
            out.append(path)
    return tuple(out)


def _pth_lines(site_dir: str, version: tuple[int, int, int, str, int], notes: list[str]) -> list[tuple[str, int, str, str]]:
    """(file, line number, "code" or "path", text) of the .pth files of `site_dir`, in site's order."""
    try:
        names = sorted(n for n in os.listdir(site_dir) if n.endswith(".pth"))
    except OSError:
        return []
    if version >= (3, 13):
        names = [n for n in names if not n.startswith(".")]
    if len(names) > MAX_PTH_FILES:
        notes.append(f"{site_dir}: {len(names)} .pth files, only the first {MAX_PTH_FILES} read")
        names = names[:MAX_PTH_FILES]
    out: list[tuple[str, int, str, str]] = []
    for name in names:
        full = os.path.join(site_dir, name)
        raw = _read_pth(full, version, notes)
        if raw is None:
            continue
        if version >= (3, 13):  # utf-8-sig, str.splitlines
            lines = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff").splitlines()
        else:  # a text file read line by line: universal newlines, no BOM handling
            text = raw.decode("utf-8", "surrogateescape")
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for number, line in enumerate(lines, 1):
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith(("import ", "import\t")):
                out.append((full, number, "code", line.strip()))
            elif "\0" in line:  # os.path.exists: False from 3.8, ValueError (site stops the file) before
                if version < (3, 8):
                    notes.append(f"{full} line {number}: a NUL character; site stops reading the file there")
                    break
            else:
                out.append((full, number, "path", line.rstrip()))
    return out


def _read_pth(full: str, version: tuple[int, int, int, str, int], notes: list[str]) -> bytes | None:
    try:
        st = os.stat(full)
        if not stat.S_ISREG(st.st_mode):
            return None
        if version >= (3, 13) and (
            getattr(st, "st_flags", 0) & getattr(stat, "UF_HIDDEN", 0)
            or getattr(st, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0)
        ):
            return None  # 3.13 skips hidden .pth files
        if st.st_size > MAX_PTH_BYTES:
            notes.append(f"{full}: {st.st_size} bytes, over the {MAX_PTH_BYTES}-byte .pth limit; not read")
            return None
        with open(full, "rb") as fh:
            raw = fh.read(MAX_PTH_BYTES + 1)
    except OSError as exc:
        notes.append(f"{full}: cannot read: {clean(exc.strerror or exc)}")
        return None
    if len(raw) > MAX_PTH_BYTES:
        notes.append(f"{full}: grew over the {MAX_PTH_BYTES}-byte .pth limit while read; not read")
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"{full}: not UTF-8; undecodable bytes kept as they are")
    return raw
