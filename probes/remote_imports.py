"""The remote probe's import evidence: which bytes the remote interpreter runs for each module.

Stdlib only, Python 3.8+, no module-level imports: the sender puts this file's text before
`remote_probe.py`'s (`probe.probe_source`), and `DirProbe` hands its functions in. Nothing is
imported or executed: bytecode headers are read and compared as importlib would
(Lib/importlib/_bootstrap_external.py, `SourceLoader.get_code` and `SourcelessFileLoader`), and a
source is compiled (never run) only to tell a fresh cache entry from a stale one.

- `bytecode_evidence`: per module file of a tree, the `__pycache__` entry CPython would run instead
  of the source (a timestamp pyc whose recorded mtime and size match the source's; an unchecked
  hash-based pyc; a checked one whose recorded hash is the source's) and the sourceless `.pyc`
  files in the legacy location (no `.py` beside them); its bytes are sent when they are not the
  source's own compile, so the receiving side can read its code objects.
- `module_origins`: per project module, where the search path puts it when that is outside the root.
- `startup_evidence`: `.pth` import lines with their file, line and the paths they name;
  `sitecustomize`/`usercustomize` found on the path; the PYTHON* variables that pick the bytes.
"""

ENV_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE",
            "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE", "PYTHONCASEOK", "PYTHONPLATLIBDIR")
MAX_PYC_ITEMS = 500


def _room(budget, size):
    """Bytes of evidence count against the byte limit, not the file count: over it, not sent."""
    if budget.total + size > budget.max_total_bytes:
        return False
    budget.total += size
    return True


def _pyc_header(data):
    """(flags, field 8:12, field 12:16) of a pyc, or an error string, as `_classify_pyc` reads it."""
    import importlib.util

    if len(data) < 16:
        return "shorter than its 16-byte header"
    if data[:4] != importlib.util.MAGIC_NUMBER:
        return "magic number %s is another Python version's" % data[:4].hex()
    flags = int.from_bytes(data[4:8], "little")
    if flags & ~0b11:
        return "invalid flags %r" % flags
    return flags


def _same_compile(source_full, source, data):
    """True when the pyc's code is exactly what this interpreter compiles from the source, but for
    the file name it was compiled under (`compileall .` records a relative one): the name is one
    marshalled string, every other use of it a reference, so the bytes around it must be equal."""
    import marshal

    try:
        code = compile(source, source_full, "exec", dont_inherit=True)
    except Exception:  # a SyntaxError: the source cannot be what the pyc came from
        return False
    ours = marshal.dumps(code)  # `code` held by a name, as py_compile holds it: marshal's ref flags agree
    theirs = data[16:]
    if ours == theirs:
        return True
    name = source_full.encode("utf-8", "surrogateescape")
    i = ours.find(name)
    if i >= 2 and ours[i - 1] == len(name) and ours[i - 2] & 0x7F in (ord("z"), ord("Z")):
        start = i - 2
    elif i >= 5 and int.from_bytes(ours[i - 4:i], "little") == len(name) and ours[i - 5] & 0x7F in b"aAut":
        start = i - 5
    else:
        return False
    before, after = ours[:start], ours[i + len(name):]
    return len(theirs) > len(before) + len(after) and theirs.startswith(before) and theirs.endswith(after)


COMPARE_SECONDS = 30.0  # compiling sources to compare with their pycs, in all: past it, not compared
_spent = [0.0]


def pyc_state(source_full, pyc, data, read_source):
    """How importlib treats `pyc` (bytes `data`) for the source at `source_full` (None: sourceless)."""
    import _imp
    import importlib.util
    import os

    header = _pyc_header(data)
    out = {"pyc": pyc, "role": "sourceless" if source_full is None else "cache", "magic": data[:4].hex(),
           "pyc_size": len(data)}
    if isinstance(header, str):
        out["kind"] = "invalid"
        out["used"] = False
        out["why"] = header + ("; the import fails (ImportError)" if source_full is None
                               else "; CPython compiles the source instead")
        return out
    flags = header
    out["kind"] = "timestamp" if not flags & 1 else ("checked-hash" if flags & 2 else "unchecked-hash")
    if source_full is None:
        out["used"] = True
        out["why"] = "no source beside it: CPython runs the bytecode (SourcelessFileLoader)"
        return out
    source = None
    if flags & 1:
        mode = getattr(_imp, "check_hash_based_pycs", "default")
        if mode != "never" and (flags & 2 or mode == "always"):
            source = read_source()
            key = int.from_bytes(importlib.util.MAGIC_NUMBER, "little")
            out["used"] = source is not None and _imp.source_hash(key, source) == data[8:16]
            out["why"] = ("a checked hash-based pyc whose hash is the source's" if out["used"]
                          else "a checked hash-based pyc whose hash is not the source's: the source is compiled")
        else:
            out["used"] = True
            out["why"] = "an unchecked hash-based pyc: CPython runs it without looking at the source"
            if mode == "always":
                out["why"] = "check_hash_based_pycs is always"
    else:
        st = os.stat(source_full)
        mtime, size = int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF
        rec_mtime, rec_size = int.from_bytes(data[8:12], "little"), int.from_bytes(data[12:16], "little")
        out["recorded"] = [rec_mtime, rec_size]
        out["source_stat"] = [mtime, size]
        out["used"] = rec_mtime == mtime and rec_size == size
        out["why"] = ("a timestamp pyc recording the source's mtime and size" if out["used"]
                      else "a timestamp pyc recording another mtime or size: the source is compiled")
    if out["used"]:
        import time

        if _spent[0] > COMPARE_SECONDS:
            out["same_as_source"] = None  # not compared: the probe's time for it is spent
            return out
        started = time.monotonic()
        source = source if source is not None else read_source()
        out["same_as_source"] = source is not None and _same_compile(source_full, source, data)
        _spent[0] += time.monotonic() - started
    return out


def bytecode_evidence(top, rel_sources, budget, read, skip, read_bounded, limit):
    """The pyc CPython would consider for each source under `top`, and the sourceless .pyc files."""
    import base64
    import hashlib
    import importlib.util
    import os

    items = []
    candidates = []
    for rel in rel_sources:
        full = os.path.join(top, *rel.split("/"))
        try:
            pyc = importlib.util.cache_from_source(full)
        except (NotImplementedError, ValueError):
            continue
        if os.path.isfile(pyc):
            candidates.append((rel, full, pyc))
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in skip and d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".pyc") and name[:-4] + ".py" not in filenames:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, top).replace(os.sep, "/")[:-1]  # the .py it stands for
                candidates.append((rel, None, full))
    for rel, source_full, pyc in candidates[:MAX_PYC_ITEMS]:
        try:
            got = read_bounded(pyc, limit)
        except (IOError, OSError):
            continue
        if got is None or len(got[1]) > limit:
            continue
        data = got[1]

        def read_source(full=source_full):
            got = read_bounded(full, limit) if full else None
            return got[1] if got and len(got[1]) <= limit else None

        try:
            state = pyc_state(source_full, pyc, data, read_source)
        except (IOError, OSError):
            continue
        state["path"] = rel
        state["sha256"] = hashlib.sha256(data).hexdigest()
        stale = state["role"] == "sourceless" or state.get("same_as_source") is False
        if state.get("used") and stale and read and _room(budget, len(data)):
            state["data"] = base64.b64encode(data).decode("ascii")
        items.append(state)
    return items


def module_origins(rel_sources, root, path, resolve, inside, read_bounded, limit, budget, read):
    """Each project module (dotted, from its path under root) that the search path finds outside
    root: where, on which entry, and its hash (and bytes, when `read`)."""
    import base64
    import hashlib

    out, tops = {}, {}
    for rel in rel_sources[:2000]:
        parts = rel[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or "." in parts or not all(p.isidentifier() for p in parts) or len(parts) < 2:
            continue  # top-level names are the probe's own `modules`
        if parts[0] not in tops:
            tops[parts[0]] = resolve(parts[0], path).get("kind")
        if tops[parts[0]] != "namespace":
            continue  # a regular package's submodules come from its own directory (its copy is the probe's `trees`)
        name = ".".join(parts)
        res = resolve(name, path)
        origin = res.get("origin")
        if res.get("status") != "found" or not origin or inside(origin, root) or res.get("loader") == "zip":
            continue
        try:
            got = read_bounded(origin, limit)
        except (IOError, OSError):
            continue
        if got is None or len(got[1]) > limit:
            continue
        steps = res.get("steps") or []
        last = steps[-1] if steps else {}
        out[name] = {"path": rel, "origin": origin, "kind": res.get("kind"), "loader": res.get("loader"),
                     "index": last.get("index"), "entry": last.get("entry"),
                     "portions": list(steps[-2].get("portions") or []) if len(steps) > 1 else [],
                     "sha256": hashlib.sha256(got[1]).hexdigest(), "size": len(got[1])}
        if read and _room(budget, len(got[1])):
            out[name]["data"] = base64.b64encode(got[1]).decode("ascii")
    return out


def _literals(text):
    import ast

    try:
        tree = ast.parse(text)
    except Exception:
        return []
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def startup_evidence(site_dirs, resolve, path, listdir, read_bounded):
    """The .pth import lines (file, line, text, the path literals they name), sitecustomize and
    usercustomize as the path finds them, and the environment variables that choose bytes."""
    import os
    import sys

    lines = []
    for d in site_dirs:
        for name in sorted(n for n in (listdir(d) or ()) if n.endswith(".pth") and not n.startswith(".")):
            full = os.path.abspath(os.path.join(d, name))
            try:
                got = read_bounded(full, 1024 * 1024 - 1)
            except (IOError, OSError):
                continue
            if got is None:
                continue
            for number, line in enumerate(got[1].decode("utf-8", "replace").splitlines(), 1):
                if len(lines) >= 400 or not line.strip() or line.startswith("#"):
                    continue
                if not line.startswith(("import ", "import\t")):
                    lines.append({"file": full, "line": number, "text": line.strip()[:300], "kind": "path",
                                  "paths": [os.path.abspath(os.path.join(d, line.rstrip()))][: len(line) < 4096]})
                    continue
                if True:
                    named = [os.path.abspath(os.path.join(d, s)) for s in _literals(line)
                             if s and "/" in s and len(s) < 4096 and s.isprintable()][:10]
                    lines.append({"file": full, "line": number, "text": line.strip()[:300], "kind": "import",
                                  "paths": named})
    hooks = {}
    for hook in ("sitecustomize", "usercustomize"):
        res = resolve(hook, path)
        if res.get("status") == "found" and res.get("origin"):
            hooks[hook] = {"origin": os.path.abspath(res["origin"]), "index": res.get("index")}
    env = {k: os.environ[k][:1000] for k in ENV_VARS if k in os.environ}
    flags = {k: int(getattr(sys.flags, k, 0) or 0) for k in
             ("isolated", "ignore_environment", "no_user_site", "no_site", "safe_path")}
    return {"pth_imports": lines, "hooks": hooks, "env": env, "flags": flags}
