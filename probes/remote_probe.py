"""callgraph's remote probe: read, hash and list a tree, and say what an interpreter would import.

Stdlib only, Python 3.8+. It is sent over stdin to `python3 -B -` on the remote side (ssh,
docker exec, kubectl exec, an E2B sandbox). It imports nothing but the standard library, never
imports or executes the code it looks at, writes nothing, and answers one JSON document between
two marker lines on stdout, file contents base64-encoded. It is also usable by hand:

    python3 -B remote_probe.py '{"root": "/srv/app", "modules": ["pkg.mod"]}'

The request (a JSON object; the sender prepends `REQUEST = '...'` to this source):
    root             the directory to read ("." = the current directory)
    files            list and read the Python files under root (default true)
    read             include file contents (default true; false: sizes and hashes only)
    modules          dotted module names to resolve along sys.path
    auto_modules     also resolve the root's own top-level packages and modules (default true)
    trees            for a package resolved outside root, list (and read) its files too (default true)
    sys_path         search path to use instead of this interpreter's sys.path (the dir backend)
    site_dirs        with sys_path: site directories whose .pth files extend it, as site.py would
    skip_dirs        directory names never entered
    max_files, max_file_bytes, max_total_bytes   limits: over them, the probe refuses
    environment      also describe the interpreter: version_info, platform, sysconfig's stdlib
                     paths, and the distributions on the search path (their METADATA, top_level.txt
                     and RECORD files are read, never imported)
    sources          dotted module names whose .py source to send (read, hashed, within the limits):
                     the outside modules a call site of the project reaches, asked for in a second
                     round trip with `files` false; a sourceless one is sent as its .pyc (`bytecode`)
    imports          which bytes run for each module of the tree (default true): `bytecode` (the
                     pycs importlib would run, by its rules), `module_origins` (project submodules
                     the path finds outside root), `startup` (.pth lines, sitecustomize,
                     PYTHON* variables), `tree_bytecode` (the same pycs for packages read outside
                     root); the functions are remote_imports.py's, which the sender puts first
"""

import sys

sys.dont_write_bytecode = True

# `python3 -` (and `python3 remote_probe.py`) put the current (script) directory first on
# sys.path: when the remote runs in the analysed tree, its json.py, base64.py, ... would shadow
# the standard library and run. The probe imports the stdlib without that entry, then restores
# sys.path, which it reports as the interpreter's.
_SYS_PATH = list(sys.path)
if sys.path and not (sys.flags.isolated or getattr(sys.flags, "safe_path", False)):
    del sys.path[0]

import base64  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import stat  # noqa: E402
import zipfile  # noqa: E402

sys.path[:] = _SYS_PATH

BEGIN = "-----BEGIN CALLGRAPH PROBE-----"
END = "-----END CALLGRAPH PROBE-----"
PROTOCOL = 1

DEFAULT_SKIP = ["__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "env"]


class Refused(Exception):
    """The probe stops: the tree is over a limit."""


def _suffixes():
    try:
        from importlib import machinery

        return list(machinery.EXTENSION_SUFFIXES), list(machinery.SOURCE_SUFFIXES), list(machinery.BYTECODE_SUFFIXES)
    except Exception:  # pragma: no cover - a stripped interpreter
        return [".so"], [".py"], [".pyc"]


EXTENSION_SUFFIXES, SOURCE_SUFFIXES, BYTECODE_SUFFIXES = _suffixes()


def _inside(path, root):
    """True when the real path lies under the real root."""
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Budget(object):
    def __init__(self, request):
        self.max_files = int(request.get("max_files", 5000))
        self.max_file_bytes = int(request.get("max_file_bytes", 2 * 1024 * 1024))
        self.max_total_bytes = int(request.get("max_total_bytes", 64 * 1024 * 1024))
        self.files = 0
        self.total = 0

    def take(self, rel, size):
        self.files += 1
        if self.files > self.max_files:
            raise Refused("more than %d Python files (the manifest count limit)" % self.max_files)
        if size > self.max_file_bytes:
            raise Refused("%s is %d bytes, over the %d-byte file size limit" % (rel, size, self.max_file_bytes))
        self.total += size
        if self.total > self.max_total_bytes:
            raise Refused("more than %d bytes of Python files in all" % self.max_total_bytes)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _read_bounded(full, limit):
    """(st, bytes) of a regular file, at most `limit` + 1 bytes; None when it is not a regular file.

    The probe's copy of `callgraph.reading.read_regular` (this script is stdlib only): opened
    non-blocking, so a FIFO cannot block the open and a /proc file cannot block the read, its type
    checked on the descriptor, the read bounded whatever size the file claims."""
    fd = os.open(full, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return st, b"".join(chunks)
    finally:
        os.close(fd)


def _read_file(full, rel, budget, read):
    st = os.stat(full)
    if not stat.S_ISREG(st.st_mode):
        return None
    budget.take(rel, st.st_size)
    got = _read_bounded(full, budget.max_file_bytes)
    if got is None:
        return None  # replaced by a FIFO or a device since the stat
    data = got[1]
    if len(data) > budget.max_file_bytes:
        raise Refused("%s grew past the %d-byte file size limit while read" % (rel, budget.max_file_bytes))
    out = {"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if read:
        out["data"] = base64.b64encode(data).decode("ascii")
    return out


def list_tree(top, budget, read, skip, notes):
    """Every .py file under `top` (relative posix paths), symbolic links kept inside `top`."""
    files, links = [], []
    top = os.path.abspath(top)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        kept = []
        for d in sorted(dirnames):
            if d.startswith(".") or d in skip:
                continue
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                rel = os.path.relpath(full, top).replace(os.sep, "/")
                target = os.path.realpath(full)
                links.append({"path": rel, "target": target, "inside": _inside(full, top), "dir": True})
                notes.append("%s: directory symbolic link not followed" % rel)
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, top).replace(os.sep, "/")
            if os.path.islink(full):
                target = os.path.realpath(full)
                inside = _inside(full, top)
                links.append({"path": rel, "target": target, "inside": inside, "dir": False})
                if not inside:
                    continue  # reported; the receiving side refuses it
            try:
                entry = _read_file(full, rel, budget, read)
            except (IOError, OSError) as exc:
                notes.append("%s: cannot read: %s" % (rel, exc.strerror or exc))
                continue
            if entry is not None:
                files.append(entry)
    return files, links


# -- the path-finder rules, without importing ----------------------------------------------------


_LISTED = [None]  # a dict of directory listings while every project module is resolved at once


def _listdir(path):
    kept = _LISTED[0]
    if kept is not None and path in kept:
        return kept[path]
    try:
        names = set(os.listdir(path))
    except (IOError, OSError):
        names = None
    if kept is not None:
        kept[path] = names
    return names
    try:
        return set(os.listdir(path))
    except (IOError, OSError):
        return None


def _listdir_kept(path):
    if path not in _LISTED:
        _LISTED[path] = _listdir(path)
    return _LISTED[path]


def _find_in_dir(entry, tail):
    """FileFinder's rules for one directory: package first, then module files by suffix order."""
    names = _listdir(entry)
    if names is None:
        return None
    order = [(s, "extension") for s in EXTENSION_SUFFIXES]
    order += [(s, "source") for s in SOURCE_SUFFIXES] + [(s, "bytecode") for s in BYTECODE_SUFFIXES]
    if tail in names:
        pkg = os.path.join(entry, tail)
        if os.path.isdir(pkg):
            inner = _listdir(pkg) or set()
            for suffix, kind in order:
                init = "__init__" + suffix
                if init in inner and os.path.isfile(os.path.join(pkg, init)):
                    return {"kind": "package", "loader": kind, "origin": os.path.join(pkg, init), "location": pkg}
            namespace = pkg
        else:
            namespace = None
    else:
        namespace = None
    for suffix, kind in order:
        name = tail + suffix
        if name in names and os.path.isfile(os.path.join(entry, name)):
            return {"kind": "module" if kind == "source" else kind, "loader": kind,
                    "origin": os.path.join(entry, name), "location": os.path.join(entry, name)}
    if namespace:
        return {"kind": "namespace-portion", "location": namespace}
    return None


def _find_in_zip(entry, parts_prefix, tail):
    try:
        with zipfile.ZipFile(entry) as zf:
            names = set(zf.namelist())
    except Exception:
        return None
    base = "/".join(parts_prefix + [tail])
    for cand, kind in ((base + "/__init__.py", "package"), (base + "/__init__.pyc", "package"),
                       (base + ".py", "module"), (base + ".pyc", "bytecode")):
        if cand in names:
            return {"kind": kind, "loader": "zip", "origin": entry + "/" + cand, "location": entry + "/" + base,
                    "zip": True}
    return None


def resolve(name, search_path):
    """Where `import name` would land on `search_path`: every step, no import."""
    parts = name.split(".")
    steps = []
    path = list(search_path)
    result = None
    zip_prefix = []
    for i, tail in enumerate(parts):
        full = ".".join(parts[: i + 1])
        if i == 0:
            if tail in sys.builtin_module_names:
                return {"name": name, "status": "found", "kind": "builtin", "origin": None, "steps": steps}
            try:
                import _imp

                if _imp.is_frozen(tail):
                    return {"name": name, "status": "found", "kind": "frozen", "origin": None, "steps": steps}
            except Exception:
                pass
        found = None
        portions = []
        shadowed = []
        for index, entry in enumerate(path):
            where = entry or os.getcwd()
            if os.path.isfile(where):
                hit = _find_in_zip(where, zip_prefix, tail)
            else:
                hit = _find_in_dir(where, tail)
            if hit is None:
                continue
            hit["entry"] = entry
            hit["index"] = index
            if hit["kind"] == "namespace-portion":
                portions.append(hit["location"])
                continue
            if found is None:
                found = hit
            else:
                shadowed.append(hit.get("origin") or hit.get("location"))
        if found is None and portions:
            found = {"kind": "namespace", "origin": None, "portions": portions, "location": portions[0]}
        if found is None:
            steps.append({"name": full, "status": "not found"})
            return {"name": name, "status": "not found", "missing": full, "steps": steps}
        found["name"] = full
        found["shadowed"] = shadowed
        steps.append(found)
        result = found
        if i < len(parts) - 1:
            if found["kind"] == "package":
                if found.get("zip"):
                    zip_prefix = zip_prefix + [tail]
                    path = [found["entry"]]
                else:
                    path = [found["location"]]
            elif found["kind"] == "namespace":
                path = list(portions)
            else:
                steps.append({"name": ".".join(parts[: i + 2]), "status": "not found",
                              "reason": "%s is not a package" % full})
                return {"name": name, "status": "not found", "missing": ".".join(parts[: i + 2]), "steps": steps}
    out = {"name": name, "status": "found"}
    for key in ("kind", "loader", "origin", "location", "portions"):
        if key in result:
            out[key] = result[key]
    # The sys.path entry is the top-level package's; later steps search the package's __path__.
    out["entry"], out["index"] = steps[0].get("entry"), steps[0].get("index")
    out["shadowed"] = list(steps[0].get("shadowed") or [])
    if result is not steps[0]:
        out["shadowed"] += [s for s in result.get("shadowed") or [] if s not in out["shadowed"]]
    out["steps"] = steps
    return out


# -- sys.path and where each entry comes from -----------------------------------------------------


def _site_dirs():
    out = []
    try:
        import site

        for d in list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()]:
            if d and os.path.isdir(d) and d not in out:
                out.append(d)
    except Exception:
        pass
    return out


def read_pth(site_dir):
    """The .pth files of a site directory, in the order site.py reads them; import lines are never run."""
    out = []
    names = sorted(n for n in (_listdir(site_dir) or ()) if n.endswith(".pth") and not n.startswith("."))
    for name in names:
        full = os.path.join(site_dir, name)
        entries, imports = [], 0
        try:
            got = _read_bounded(full, 1024 * 1024 - 1)
        except (IOError, OSError):
            continue
        if got is None:
            continue  # a FIFO or a device named *.pth
        raw = got[1]
        for line in raw.decode("utf-8", "replace").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith(("import ", "import\t")):
                imports += 1
                continue
            entries.append(os.path.normpath(os.path.join(site_dir, line.rstrip())))
        out.append({"file": full, "entries": entries, "import_lines": imports})
    return out


def build_search_path(base, site_dirs):
    """What site.addsitedir does to `base`: each site dir, then its .pth entries that exist."""
    path = list(base)
    pth = []
    for d in site_dirs:
        if d not in path:
            path.append(d)
        for item in read_pth(d):
            pth.append(item)
            for e in item["entries"]:
                if os.path.exists(e) and e not in path:
                    path.append(e)
    return path, pth


def describe_path(path, pth, site_dirs, path0):
    from_pth = {}
    for item in pth:
        for e in item["entries"]:
            from_pth.setdefault(e, item["file"])
    pythonpath = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    stdlib = os.path.normpath(os.path.join(getattr(sys, "base_prefix", sys.prefix), "lib"))
    out = []
    for i, entry in enumerate(path):
        where = entry or os.getcwd()
        if i == 0 and path0:
            origin = "program directory"
        elif entry in pythonpath or os.path.abspath(where) in [os.path.abspath(p) for p in pythonpath]:
            origin = "PYTHONPATH"
        elif entry in from_pth:
            origin = ".pth: " + from_pth[entry]
        elif entry in site_dirs:
            origin = "site-packages"
        elif os.path.normpath(where).startswith(stdlib) or where.endswith(".zip"):
            origin = "standard library"
        else:
            origin = "other"
        kind = "dir" if os.path.isdir(where) else ("zip" if os.path.isfile(where) else "missing")
        out.append({"index": i, "entry": entry, "resolved": os.path.abspath(where), "origin": origin, "kind": kind})
    return out


def _top_level_names(files):
    names = []
    for f in files:
        parts = f["path"].split("/")
        if len(parts) == 1 and parts[0].endswith(".py") and parts[0] != "__init__.py":
            name = parts[0][:-3]
        elif len(parts) == 2 and parts[1] == "__init__.py":
            name = parts[0]
        elif len(parts) == 3 and parts[0] == "src" and parts[2] == "__init__.py":
            name = parts[1]
        else:
            continue
        if name.isidentifier() and name not in names:
            names.append(name)
    return names


# -- the environment: distributions and outside sources, read from metadata files only -----------

MAX_DISTRIBUTIONS = 2000
MAX_METADATA = 64 * 1024
MAX_RECORD = 4 * 1024 * 1024
MAX_SOURCES = 500


def _read_text(path, limit):
    try:
        got = _read_bounded(path, limit)
    except (IOError, OSError):
        return None
    if got is None:
        return None
    return got[1][:limit].decode("utf-8", "replace")


def _headers(text):
    out = {}
    for line in (text or "").splitlines():
        if not line.strip():
            break
        if line[:1] in " \t" or ":" not in line:
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("name", "version") and key not in out:
            out[key] = value.strip()
    return out


def _distribution(directory, name):
    """One *.dist-info or *.egg-info: Name and Version headers, top-level names, RECORD's file count."""
    full = os.path.join(directory, name)
    is_dir = os.path.isdir(full)
    if name.endswith(".dist-info"):
        stem, meta = name[: -len(".dist-info")], os.path.join(full, "METADATA")
    else:
        stem = name[: -len(".egg-info")]
        meta = os.path.join(full, "PKG-INFO") if is_dir else full
    headers = _headers(_read_text(meta, MAX_METADATA))
    base, _, version = stem.partition("-")
    top, files = [], 0
    if is_dir:
        text = _read_text(os.path.join(full, "top_level.txt"), MAX_METADATA)
        if text:
            top = [t.strip() for t in text.splitlines() if t.strip()]
        record = _read_text(os.path.join(full, "RECORD" if name.endswith(".dist-info") else "installed-files.txt"),
                            MAX_RECORD)
        derived = []
        for line in (record or "").splitlines():
            path = line.split(",", 1)[0].strip()
            if not path:
                continue
            files += 1
            first, sep, _ = path.partition("/")
            if sep and not first.endswith((".dist-info", ".egg-info", ".data")):
                mod = first
            elif not sep and first.endswith(".py"):
                mod = first[:-3]
            else:
                continue
            if mod.isidentifier() and mod not in derived:
                derived.append(mod)
        top = top or derived
    return {"name": headers.get("name") or base, "version": headers.get("version") or version.partition("-")[0],
            "path": full, "top_level": top[:100], "files": files}


def distributions(path):
    out = []
    for entry in path:
        names = _listdir(entry or os.getcwd())
        if not names:
            continue
        for name in sorted(names):
            if name.endswith((".dist-info", ".egg-info")):
                out.append(_distribution(entry or os.getcwd(), name))
                if len(out) >= MAX_DISTRIBUTIONS:
                    return out
    return out


def describe_environment(path):
    import sysconfig

    paths = {}
    try:
        got = sysconfig.get_paths()
        paths = {k: got.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib") if got.get(k)}
    except Exception:
        pass
    return {
        "version_info": list(sys.version_info[:3]) + [sys.version_info[3], sys.version_info[4]],
        "platform": sys.platform,
        "implementation": sys.implementation.name,
        "paths": paths,
        "distributions": distributions(path),
    }


def _followed(name, is_package, data):
    """The submodules of its own package a module imports from (`from .retry import Retry`,
    `from pkg.sub import x`): read with `ast.parse`, never run. Their sources usually come next,
    so sending them now saves a round trip."""
    import ast

    try:
        tree = ast.parse(data)
    except Exception:
        return []
    top = name.split(".")[0]
    base = name if is_package else name.rpartition(".")[0]
    out = []
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            parts = base.split(".") if base else []
            if node.level - 1 > len(parts) - 1:
                continue
            parts = parts[: len(parts) - (node.level - 1)]
            target = ".".join(parts + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        if not target or target.split(".")[0] != top:
            continue
        out.append(target)
        out += [target + "." + a.name for a in node.names if a.name != "*"]
    return out


def fetch_sources(names, path, budget, notes, follow=2):
    """The .py source of each module, when `import name` would load one: hashed and sent whole.
    Submodules of the same package that a sent module imports from are sent too (`follow` levels
    deep), when they are source: the resolver would ask for them next."""
    out = {}
    queue = [(n, 0) for n in list(names)[:MAX_SOURCES]]
    asked = set(n for n, _ in queue)
    while queue and len(out) < MAX_SOURCES:
        name, depth = queue.pop(0)
        if name in out or not isinstance(name, str) or not name or not all(p.isidentifier() for p in name.split(".")):
            continue
        res = resolve(name, path)
        origin = res.get("origin")
        followed = name not in asked
        if res.get("status") != "found":
            if not followed:
                out[name] = {"status": "not found"}
            continue
        bytecode = res.get("loader") == "bytecode" and bool(origin) and origin.endswith(".pyc") and not followed
        if not bytecode and (res.get("kind") not in ("module", "package") or res.get("loader") != "source"
                             or not origin or not origin.endswith(".py")):
            if not followed:
                out[name] = {"status": "not source", "kind": res.get("kind")}
            continue
        try:
            entry = _read_file(origin, name, budget, True)
        except (IOError, OSError) as exc:
            notes.append("%s: cannot read: %s" % (origin, exc.strerror or exc))
            entry = None
        if entry is None:
            if not followed:
                out[name] = {"status": "unreadable"}
            continue
        is_package = res.get("kind") == "package"
        out[name] = {"status": "found", "path": origin, "package": is_package,
                     "size": entry["size"], "sha256": entry["sha256"], "data": entry["data"]}
        if bytecode:  # sourceless: the receiving side reads its code objects in a bounded process
            out[name]["bytecode"] = True
            continue
        if depth < follow:
            for sub in _followed(name, is_package, base64.b64decode(entry["data"])):
                if sub not in out and sub not in asked:
                    queue.append((sub, depth + 1))
    return out


def probe(request, helpers=None):
    """The answer to `request`. `helpers`: remote_imports' functions (default: this script's
    globals, where the sender put them)."""
    helpers = globals() if helpers is None else helpers
    root = os.path.expanduser(request.get("root") or ".")
    read = bool(request.get("read", True))
    skip = set(request.get("skip_dirs") or DEFAULT_SKIP)
    budget = Budget(request)
    notes = []
    doc = {
        "protocol": PROTOCOL,
        "ok": True,
        "python": {
            "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
            "implementation": sys.implementation.name,
            "executable": sys.executable,
            "prefix": sys.prefix,
            "base_prefix": getattr(sys, "base_prefix", sys.prefix),
            "platform": sys.platform,
        },
        "cwd": os.getcwd(),
        "root": os.path.realpath(root),
        "notes": notes,
        "files": [],
        "symlinks": [],
        "modules": {},
        "trees": {},
    }
    if not os.path.isdir(root):
        doc["ok"] = False
        doc["error"] = "%s: not a directory" % root
        return doc
    try:
        if request.get("files", True):
            doc["files"], doc["symlinks"] = list_tree(root, budget, read, skip, notes)
        # The search path: this interpreter's (site has already added the .pth entries), or
        # the one given (the dir backend), extended by site directories as site.py would.
        if request.get("sys_path") is not None:
            path, pth = build_search_path(list(request["sys_path"]), list(request.get("site_dirs") or []))
            site_dirs = list(request.get("site_dirs") or [])
            path0 = False
        else:
            path = list(sys.path)
            site_dirs = _site_dirs()
            pth = [item for d in site_dirs for item in read_pth(d)]
            path0 = True
        doc["sys_path"] = describe_path(path, pth, site_dirs, path0)
        doc["pth"] = pth
        if request.get("environment"):
            doc["environment"] = describe_environment(path)
        if request.get("sources"):
            doc["sources"] = fetch_sources(request["sources"], path, budget, notes)
        if request.get("imports", True) and "bytecode_evidence" in helpers:
            rels = [f["path"] for f in doc["files"]]
            limit = budget.max_file_bytes
            doc["bytecode"] = helpers["bytecode_evidence"](root, rels, budget, read, skip, _read_bounded, limit)
            _LISTED[0] = {}  # nothing changes meanwhile: one listing per directory for the whole walk
            try:
                doc["module_origins"] = helpers["module_origins"](rels, root, path, resolve, _inside, _read_bounded,
                                                                  limit, budget, read)
            finally:
                _LISTED[0] = None
            doc["startup"] = helpers["startup_evidence"](site_dirs, resolve, path, _listdir, _read_bounded)
        doc["meta_path"] = [type(f).__name__ if not isinstance(f, type) else f.__name__ for f in sys.meta_path]
        names = list(request.get("modules") or [])
        if request.get("auto_modules", True):
            names += [n for n in _top_level_names(doc["files"]) if n not in names]
        from_root = [os.path.realpath(root)] + path[1:] if path0 else None
        for name in names:
            if not all(p.isidentifier() for p in name.split(".")):
                doc["modules"][name] = {"name": name, "status": "invalid", "steps": []}
                continue
            res = resolve(name, path)
            if from_root is not None:
                alt = resolve(name, from_root)
                if alt.get("origin") != res.get("origin") or alt.get("location") != res.get("location"):
                    res["from_root"] = {k: alt.get(k) for k in ("status", "kind", "origin", "location", "index")}
            _attach(res, root, budget, read, skip, notes, request.get("trees", True), doc["trees"])
            doc["modules"][name] = res
        if request.get("imports", True) and "bytecode_evidence" in helpers:  # the packages read outside root
            doc["tree_bytecode"] = {
                where: helpers["bytecode_evidence"](where, [f["path"] for f in tree["files"]], budget, read, skip,
                                                    _read_bounded, budget.max_file_bytes)
                for where, tree in doc["trees"].items() if tree.get("kind") == "package"}
    except Refused as exc:
        doc["ok"] = False
        doc["refused"] = str(exc)
    return doc


def _attach(res, root, budget, read, skip, notes, trees, listed):
    """Hash the file that would be imported; read it (and its package) when it lies outside root."""
    origin = res.get("origin")
    if res.get("status") != "found" or not origin or res.get("loader") == "zip":
        return
    inside = _inside(origin, root)
    res["inside_root"] = inside
    try:
        got = _read_bounded(origin, budget.max_file_bytes)
        if got is None:
            notes.append("%s: not a regular file; not read" % origin)
            return
        data = got[1]
        res["size"] = len(data)
        res["sha256"] = hashlib.sha256(data).hexdigest()
    except (IOError, OSError) as exc:
        notes.append("%s: cannot read: %s" % (origin, exc.strerror or exc))
        return
    if inside or not trees:
        return
    top = res["steps"][0] if res.get("steps") else None
    if not top or top.get("zip"):
        return
    if top.get("kind") == "package" and top.get("loader") in ("source", "bytecode"):
        where = top["location"]
        if _inside(where, root):
            return
        res["tree"] = where
        if where not in listed:
            files, links = list_tree(where, budget, read, skip, notes)
            listed[where] = {"kind": "package", "files": files, "symlinks": links}
    elif top.get("kind") == "module" and top.get("origin") and not _inside(top["origin"], root):
        where = top["origin"]
        res["tree"] = where
        if where not in listed:
            entry = _read_file(where, os.path.basename(where), budget, read)
            listed[where] = {"kind": "module", "files": [entry] if entry else [], "symlinks": []}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = globals().get("REQUEST")
    if text is None:
        text = argv[0] if argv else "{}"
    try:
        request = json.loads(text)
        if not isinstance(request, dict):
            raise ValueError("the request is not a JSON object")
        doc = probe(request)
    except Exception as exc:  # the receiving side reports it
        doc = {"protocol": PROTOCOL, "ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    # remote_json.py's encoder, which the sender puts first: start-up code may have replaced json.dumps
    encode = globals().get("encode_json") or (lambda d: json.dumps(d, separators=(",", ":")))
    try:
        body = encode(doc)
    except Exception as exc:  # an unencodable value: still one document
        body = encode({"protocol": PROTOCOL, "ok": False, "error": "%s: %s" % (type(exc).__name__, exc)})
    out = sys.stdout
    out.write(BEGIN + "\n")
    out.write(body)
    out.write("\n" + END + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
