"""callgraph.environment with real parts: the running interpreter, real virtual environments made
with `python -m venv`, real .pth files, pyenv's other interpreters, and hostile "interpreters"
(shell scripts). CPython is the oracle: import paths are compared with the sys.path `site` really
builds, and module lookups with `importlib.util.find_spec` run in a subprocess of the same
interpreter (-I -S for standard-library names; with site only in environments these tests made,
whose .pth files hold no code)."""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import FrozenInstanceError
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import callgraph.environment
from callgraph.environment import interpreter
from callgraph.environment.interpreter import InterpreterError, query
from callgraph.environment.model import Distribution, Environment, ModuleKind, ModuleLocation, PathOrigin
from callgraph.errors import InputError

PY = sys.executable
K = ModuleKind

# -- helpers -----------------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}, **extra}


def make_venv(where: Path, base: str = PY, *, system_site: bool = False) -> Path:
    """A real virtual environment (no pip: nothing but what the test puts there); its python."""
    flags = ["--system-site-packages"] if system_site else []
    subprocess.run([base, "-m", "venv", "--without-pip", *flags, str(where)], check=True, capture_output=True,
                   timeout=120, env=clean_env())
    return where / "bin" / "python"


def site_packages(python: Path) -> Path:
    (found,) = (python.parent.parent / "lib").glob("python3*/site-packages")
    return found


def write(files: dict[Path, str | bytes]) -> None:
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def real_sys_path(python: str | Path, cwd: Path, *flags: str, env: dict[str, str] | None = None) -> list[str]:
    """sys.path as `site` really builds it (sys.path[0], the -c directory, left out)."""
    out = subprocess.run([str(python), *flags, "-c", "import sys, json; print(json.dumps(sys.path))"], cwd=cwd,
                         env=env or clean_env(), capture_output=True, text=True, timeout=60, check=True).stdout
    path = json.loads(out)
    return path[1:] if path and path[0] == "" else path


ORACLE = r"""
import importlib.machinery, importlib.util, json, sys
out = {}
for name in json.loads(sys.argv[1]):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, AttributeError):  # 3.6: a module's submodule is an AttributeError
        spec = None
    if spec is None:
        out[name] = None
        continue
    locations = spec.submodule_search_locations
    row = {"origin": spec.origin, "locations": None if locations is None else list(locations)}
    if spec.origin == "frozen" and "." not in name:
        found = importlib.machinery.PathFinder.find_spec(name)
        row["file"] = found.origin if found else None
    out[name] = row
print(json.dumps(out))
"""


def find_spec_in(python: str | Path, names: list[str], cwd: Path, *flags: str) -> dict[str, dict | None]:
    """importlib.util.find_spec for each name, in a subprocess of `python` (it imports parents)."""
    out = subprocess.run([str(python), *flags, "-c", ORACLE, json.dumps(names)], cwd=cwd, env=clean_env(),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out)


def assert_agrees(loc: ModuleLocation, row: dict | None, env: Environment) -> None:
    """Our answer against CPython's spec for the same name."""
    where = f"{loc.name}: {loc} vs {row}"
    if row is None:
        assert loc.kind in (K.NOT_FOUND, K.STUB), where
    elif row["origin"] == "built-in":
        assert loc.kind is K.BUILTIN, where
    elif row["origin"] is None and row["locations"] is None:  # 3.6: sys and _frozen_importlib, set up by hand
        assert loc.kind in (K.BUILTIN, K.FROZEN), where
    elif row["origin"] == "frozen":  # ours: the stdlib file it was frozen from, else FROZEN
        if "file" in row and row["file"] is None:
            assert loc.kind is K.FROZEN, where
        elif "file" in row:
            assert loc.kind in (K.SOURCE, K.PACKAGE) and loc.path == row["file"], where
        else:
            assert loc.kind is K.FROZEN or (loc.origin is PathOrigin.STDLIB and loc.path.endswith(".py")), where
    elif row["locations"] is not None and row["origin"] in (None, "namespace"):
        assert loc.kind is K.NAMESPACE and loc.search_locations == tuple(row["locations"]), where
    elif row["locations"] is not None:
        assert loc.kind is K.PACKAGE and loc.path == row["origin"], where
        assert loc.search_locations == tuple(row["locations"]), where
    else:
        assert loc.path == row["origin"], where
        if row["origin"].endswith(env.extension_suffixes):
            assert loc.kind is K.EXTENSION, where
        elif row["origin"].endswith(env.bytecode_suffixes):
            assert loc.kind is K.BYTECODE, where
        else:
            assert loc.kind is K.SOURCE, where


@functools.cache
def pyenv_pythons() -> dict[str, str]:
    """{"3.9": path to its python3.9, ...} for pyenv's interpreters (`pyenv versions --bare`)."""
    exe = shutil.which("pyenv")
    if exe is None:
        return {}
    try:
        root = subprocess.run([exe, "root"], capture_output=True, text=True, timeout=30).stdout.strip()
        bare = subprocess.run([exe, "versions", "--bare"], capture_output=True, text=True, timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return {}
    out: dict[str, str] = {}
    for version in bare:
        m = re.fullmatch(r"(\d+)\.(\d+)\.\d+", version)
        if m:
            minor = f"{m[1]}.{m[2]}"
            path = Path(root) / "versions" / version / "bin" / f"python{minor if m[1] != '2' else ''}"
            if path.exists():
                out[minor] = str(path)
    return out


def pyenv_python(minor: str) -> str:
    path = pyenv_pythons().get(minor)
    if path is None:
        pytest.skip(f"no pyenv Python {minor} on this machine (pyenv versions --bare)")
    if Path(path).resolve() == Path(PY).resolve():
        pytest.skip(f"pyenv's {minor} is the running interpreter")
    return path


def interpreter_for(which: str) -> str:
    if which == "running":
        return PY
    if which == "system":
        if not os.access("/usr/bin/python3", os.X_OK):
            pytest.skip("no /usr/bin/python3")
        return "/usr/bin/python3"
    return pyenv_python(which)


OTHER_INTERPRETERS = ["3.6", "3.9", "3.12", "3.13"]


# -- the running interpreter ---------------------------------------------------------------------------


def test_the_running_interpreter_is_learned_through_the_gateway_like_any_other(tmp_path: Path) -> None:
    Environment.clear_local_cache()
    started = time.perf_counter()
    env = Environment.local()
    cold = time.perf_counter() - started
    assert cold < 10
    assert Environment.local() is env and Environment.local(PY) is env  # remembered per executable
    assert env.executable == os.path.abspath(PY)
    assert env.version == tuple(sys.version_info) and env.version >= (3, 11)
    assert (env.implementation, env.platform) == (sys.implementation.name, sys.platform)
    assert env.builtin_module_names == frozenset(sys.builtin_module_names)
    assert env.stdlib_module_names == frozenset(sys.stdlib_module_names)
    assert env.extension_suffixes == tuple(EXTENSION_SUFFIXES)
    assert env.prefix == sys.prefix and env.base_prefix == sys.base_prefix
    # The tests run in a virtual environment whose .pth files hold code (the editable install's finder).
    assert env.paths == tuple(real_sys_path(PY, tmp_path))
    assert env.import_path[0].origin is PathOrigin.STDLIB
    assert {e.origin for e in env.import_path} >= {PathOrigin.STDLIB, PathOrigin.DYNLOAD, PathOrigin.SITE_PACKAGES}
    for code in env.startup_code:
        assert f"{code.pth} line {code.line} runs code at start-up; not executed" in env.notes
    with pytest.raises(FrozenInstanceError):
        env.platform = "win32"  # type: ignore[misc]
    assert hash(env) == hash(env)


STDLIB_NAMES = [
    "json", "textwrap", "_json", "math", "sys", "posix", "_io", "os", "zipimport", "codecs", "abc", "stat",
    "xml.etree.ElementTree", "importlib.util", "encodings.utf_8", "email.mime.text", "concurrent.futures",
    "sqlite3", "_sqlite3", "ctypes", "_ctypes", "unicodedata", "array", "collections.abc", "asyncio.events",
    "distutils", "__hello__", "_frozen_importlib", "nonexistent_module_xyz", "json.nonexistent", "textwrap.nope",
]


@pytest.mark.parametrize("which", ["running", *OTHER_INTERPRETERS, "system"])
def test_stdlib_lookups_agree_with_find_spec_in_that_interpreter(which: str, tmp_path: Path) -> None:
    python = interpreter_for(which)
    env = Environment.local(python)
    specs = find_spec_in(python, STDLIB_NAMES, tmp_path, "-I", "-S")
    for name in STDLIB_NAMES:
        assert_agrees(env.find_module(name), specs[name], env)
    assert env.find_module("json").kind is K.PACKAGE
    assert env.find_module("textwrap").kind is K.SOURCE
    assert env.find_module("math").kind in (K.EXTENSION, K.BUILTIN)
    assert env.find_module("json") is env.find_module("json")  # remembered


@pytest.mark.parametrize("minor", OTHER_INTERPRETERS)
def test_another_pyenv_interpreter_has_its_own_version_paths_and_names(minor: str, tmp_path: Path) -> None:
    python = pyenv_python(minor)
    env = Environment.local(python)
    here = Environment.local()
    major, minor_ = map(int, minor.split("."))
    assert env.version[:2] == (major, minor_) and env.version[:2] != here.version[:2]
    assert env.platform == sys.platform  # the same machine
    assert env.executable == python and env.venv is None
    assert all(f"python{minor}" in p or f"python{major}{minor_}.zip" in p for p in env.paths)
    assert not set(env.paths) & set(here.paths)
    assert any(f"cpython-{major}{minor_}" in s for s in env.extension_suffixes)
    assert (env.stdlib_module_names is None) == (env.version < (3, 10))
    assert env.paths == tuple(real_sys_path(python, tmp_path, "-s")) or env.user_site is not None
    assert env.find_module("textwrap").path == os.path.join(env.paths[1], "textwrap.py")


def test_a_python_2_interpreter_is_refused_in_one_line() -> None:
    python = pyenv_pythons().get("2.7")
    if python is None:
        pytest.skip("no pyenv Python 2.7 on this machine")
    with pytest.raises(InterpreterError, match=r"not a Python 3\.4\+ interpreter \(it does not know -I: Python 2\?\)"):
        Environment.local(python)


# -- virtual environments and .pth files ---------------------------------------------------------------


@pytest.mark.parametrize("system_site", [False, True], ids=["isolated", "system-site-packages"])
def test_a_real_venv_import_path_is_the_one_site_builds(system_site: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    python = make_venv(tmp_path / "env with spaces" / "venv", system_site=system_site)
    site = site_packages(python)
    here = Environment.local()
    user_site = home / ".local" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    write({
        site / "rel dir" / "m.py": "",
        tmp_path / "abs dir" / "n.py": "",
        user_site / "u.py": "",
        site / "paths.pth": f"# comment\n\nrel dir\n{tmp_path / 'abs dir'}\nmissing dir\nrel dir\n  # not a comment\n",
    })
    env_vars = clean_env(HOME=str(home))
    real = real_sys_path(python, tmp_path, env=env_vars)
    monkeypatch.setenv("HOME", str(home))  # the gateway passes HOME on: the user site is under it
    env = Environment.from_interpreter(query(python))
    assert env.paths == tuple(real)
    assert env.prefix == str(python.parent.parent) and env.base_prefix == here.base_prefix
    assert env.venv == str(python.parent.parent / "pyvenv.cfg")
    assert env.system_site_packages is system_site
    assert (env.user_site == str(user_site)) is system_site  # a venv without system site-packages has no user site
    origins = {e.path: (e.origin, e.via) for e in env.import_path}
    assert origins[str(site)] == (PathOrigin.SITE_PACKAGES, None)
    assert origins[str(site / "rel dir")] == (PathOrigin.PTH, str(site / "paths.pth"))
    assert origins[str(tmp_path / "abs dir")] == (PathOrigin.PTH, str(site / "paths.pth"))
    base_site = [p for p in here.paths if "site-packages" in p and not p.startswith(sys.prefix)]
    assert all((p in env.paths) is system_site for p in base_site)
    assert env.find_module("u").kind is (K.SOURCE if system_site else K.NOT_FOUND)
    assert env.find_module("m").origin is PathOrigin.PTH


@pytest.mark.parametrize("setting, included", [("false", False), ("TRUE", True), (None, True), ("no", False)])
def test_pyvenv_cfg_is_read_like_site_reads_it(setting: str | None, included: bool, tmp_path: Path) -> None:
    python = make_venv(tmp_path / "venv")
    cfg = python.parent.parent / "pyvenv.cfg"
    lines = [ln for ln in cfg.read_text().splitlines() if not ln.startswith("include-system-site-packages")]
    cfg.write_text("\n".join(lines + ([f"include-system-site-packages = {setting}"] if setting else [])) + "\n")
    env = Environment.from_interpreter(query(python), user_site=False)
    assert env.system_site_packages is included
    assert env.paths == tuple(real_sys_path(python, tmp_path, "-s"))


def test_pth_code_is_recorded_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    python = make_venv(tmp_path / "venv")
    site = site_packages(python)
    write({
        site / "extra" / "extra_mod.py": "",
        site / "a.pth": f"extra\nimport pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\nimport\tos\n",
        site / "b.pth": "import os, sys; sys.path.append('/nowhere')\n",
    })
    Environment.clear_local_cache()
    env = Environment.local(python)
    env.find_module("extra_mod"), env.distributions(), env.find_module("pathlib")
    assert not marker.exists()
    assert [(Path(c.pth).name, c.line) for c in env.startup_code] == [("a.pth", 2), ("a.pth", 3), ("b.pth", 1)]
    assert env.startup_code[0].code.startswith("import pathlib")
    assert f"{site / 'a.pth'} line 2 runs code at start-up; not executed" in env.notes
    assert str(site / "extra") in env.paths and "/nowhere" not in env.paths
    assert env.find_module("extra_mod").entry == str(site / "extra")
    # The proof that the line is live code: site itself runs it.
    real_sys_path(python, tmp_path)
    assert marker.read_text() == "ran"


@pytest.mark.parametrize("which", ["running", *OTHER_INTERPRETERS])
def test_version_dependent_pth_rules_agree_with_that_versions_site(which: str, tmp_path: Path) -> None:
    """3.13 skips .pth files named with a leading dot, strips a BOM and splits lines with
    str.splitlines; earlier versions read them all, line by line."""
    python = make_venv(tmp_path / "venv", interpreter_for(which))
    site = site_packages(python)
    dirs = ["hidden", "bom", "crlf", "cr", "ff", "after ff", "tab"]
    write({site / d / "keep": "" for d in dirs})
    write({
        site / ".hidden.pth": "hidden\n",
        site / "crlf.pth": b"crlf\r\ncr\rff\x0cafter ff\n",
        site / "tab.pth": b"tab \t \n",
    })
    if Environment.local(python).version >= (3, 7):  # 3.6 in a C locale would fail on the BOM itself
        write({site / "bom.pth": b"\xef\xbb\xbfbom\n"})
    env = Environment.from_interpreter(query(python), user_site=False)
    assert env.paths == tuple(real_sys_path(python, tmp_path, "-s"))


# -- module lookup on real files -------------------------------------------------------------------------


EXT = EXTENSION_SUFFIXES[0]
PYC = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(compile("", "compiled", "exec"))  # sourceless, valid


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Environment, dict[str, Path]]:
    """A venv whose .pth file adds two portion directories and a zip, with every kind of module."""
    root = tmp_path_factory.mktemp("world") / "a place with spaces"
    python = make_venv(root / "venv one")
    site = site_packages(python)
    a, b, eggs = root / "portion A", root / "portion B", root / "eggs.zip"
    write({
        a / "ns" / "a.py": "", b / "ns" / "b.py": "",
        a / "nsp" / "x.py": "", b / "nsp" / "__init__.py": "",
        a / "mod" / "data.txt": "", b / "mod.py": "",
        a / "both" / "data.txt": "", a / "both.py": "",
        a / "pkgmod" / "__init__.py": "", a / "pkgmod.py": "",
        a / f"fast{EXT}": "", a / "fast.pyi": "",
        a / "onlystub.pyi": "", a / "compiled.pyc": PYC,
        a / "typed.py": "", a / "typed.pyi": "",
        a / "tpkg" / "__init__.py": "", a / "tpkg" / "__init__.pyi": "", a / "tpkg" / "sub.pyi": "",
        site / "mypkg" / "__init__.py": "",
        site / "my_pkg-1.2.3.dist-info" / "METADATA": "Metadata-Version: 2.1\nName: My_Pkg\nVersion: 1.2.3\n\nName: Evil\n",
        site / "paths.pth": f"{a}\n{b}\n{eggs}\n",
    })
    with zipfile.ZipFile(eggs, "w") as zf:
        for member in ("zpkg/__init__.py", "zpkg/sub.py", "zmod.py", "zns/", "zns/part.py", "zimplicit/part.py"):
            zf.writestr(member, "")
        zf.writestr("zcomp.pyc", PYC)
    env = Environment.from_interpreter(query(python), user_site=False)
    return python, env, {"a": a, "b": b, "eggs": eggs, "site": site, "root": root}


WORLD_NAMES = [
    "ns", "ns.a", "ns.b", "nsp", "nsp.x", "mod", "both", "pkgmod", "fast", "onlystub", "compiled", "typed", "tpkg",
    "tpkg.sub", "mypkg", "zpkg", "zpkg.sub", "zmod", "zns", "zns.part", "zcomp", "zimplicit", "ns.missing", "json",
]


def test_lookups_in_a_real_venv_agree_with_find_spec_there(world: tuple[Path, Environment, dict[str, Path]]) -> None:
    python, env, where = world
    assert env.paths == tuple(real_sys_path(python, where["root"], "-s"))
    specs = find_spec_in(python, WORLD_NAMES, where["root"], "-s")
    for name in WORLD_NAMES:
        assert_agrees(env.find_module(name), specs[name], env)


def test_the_path_finder_rules_on_real_files(world: tuple[Path, Environment, dict[str, Path]]) -> None:
    _, env, w = world
    a, b, eggs = str(w["a"]), str(w["b"]), str(w["eggs"])
    find = env.find_module
    # A namespace package over two entries; its submodules are found in their own portion.
    assert find("ns") == ModuleLocation("ns", K.NAMESPACE, None, a, PathOrigin.PTH, (f"{a}/ns", f"{b}/ns"))
    assert (find("ns.a").entry, find("ns.b").entry, find("ns.b").path) == (a, b, f"{b}/ns/b.py")
    # A regular package or module anywhere on the path beats a portion found earlier.
    assert (find("nsp").kind, find("nsp").path, find("nsp.x").kind) == (K.PACKAGE, f"{b}/nsp/__init__.py", K.NOT_FOUND)
    assert (find("mod").kind, find("mod").path) == (K.SOURCE, f"{b}/mod.py")
    # In one directory: a package beats a module, a module beats a portion.
    assert (find("pkgmod").kind, find("both").kind) == (K.PACKAGE, K.SOURCE)
    # Extensions, sourceless bytecode, stubs.
    assert (find("fast").kind, find("fast").stub) == (K.EXTENSION, f"{a}/fast.pyi")
    assert (find("compiled").kind, find("compiled").path) == (K.BYTECODE, f"{a}/compiled.pyc")
    assert find("onlystub") == ModuleLocation("onlystub", K.STUB, f"{a}/onlystub.pyi", a, PathOrigin.PTH, (), f"{a}/onlystub.pyi")
    assert (find("typed").kind, find("typed").stub, find("tpkg").stub) == (K.SOURCE, f"{a}/typed.pyi", f"{a}/tpkg/__init__.pyi")
    assert find("tpkg.sub").kind is K.STUB
    # Zip archives, by zipimport's rules.
    assert find("zpkg") == ModuleLocation("zpkg", K.PACKAGE, f"{eggs}/zpkg/__init__.py", eggs, PathOrigin.PTH,
                                          (f"{eggs}/zpkg",), None, eggs)
    assert (find("zpkg.sub").path, find("zmod").kind, find("zcomp").kind) == (f"{eggs}/zpkg/sub.py", K.SOURCE, K.BYTECODE)
    assert (find("zns").kind, find("zns.part").archive, find("zimplicit").kind) == (K.NAMESPACE, eggs, K.NOT_FOUND)
    # Site-packages, the standard library, nothing.
    assert (find("mypkg").origin, find("json").origin) == (PathOrigin.SITE_PACKAGES, PathOrigin.STDLIB)
    assert find("nothing.here") == ModuleLocation("nothing.here", K.NOT_FOUND)
    assert find("json.decoder.x").kind is K.NOT_FOUND  # json.decoder is a module, not a package


@pytest.mark.parametrize("name", ["", ".rel", "a..b", "a.", "a/b", "a\\b", "a\0b"])
def test_a_malformed_module_name_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="not an absolute module name"):
        Environment.local().find_module(name)


def test_frozen_modules_without_a_file_and_os_path() -> None:
    env = Environment.local()
    assert env.find_module("_frozen_importlib").kind is K.FROZEN
    assert env.find_module("os").kind is K.SOURCE  # the file that was frozen
    # os.path is set in sys.modules by os at import time; 3.11+ also freezes it under that name.
    assert env.find_module("os.path").kind is (K.FROZEN if "os.path" in env.frozen_module_names else K.NOT_FOUND)


# -- distributions ------------------------------------------------------------------------------------------


def test_distributions_from_hand_made_metadata_agree_with_importlib_metadata(world: tuple[Path, Environment, dict[str, Path]], tmp_path: Path) -> None:
    python, env, w = world
    site = w["site"]
    mine = env.distribution("my-pkg")
    assert mine == Distribution("My_Pkg", "1.2.3", str(site / "my_pkg-1.2.3.dist-info"))
    assert env.distribution("MY.PKG") is mine and env.distribution("not-installed") is None
    assert env.distributions() is env.distributions()
    code = "import importlib.metadata as m, json; print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))"
    out = subprocess.run([str(python), "-s", "-c", code], capture_output=True, text=True, cwd=tmp_path, env=clean_env(),
                         check=True, timeout=60).stdout
    assert sorted(map(tuple, json.loads(out))) == sorted((d.name, d.version) for d in env.distributions())


def test_metadata_reading_is_bounded_and_falls_back_to_the_directory_name(tmp_path: Path) -> None:
    python = make_venv(tmp_path / "venv")
    site = site_packages(python)
    write({
        site / "big-2.0.dist-info" / "METADATA": "Name: big\nVersion: 2.0\n" + "Summary: x\n" * 200_000,
        site / "nameless-0.3.dist-info" / "METADATA": "Metadata-Version: 2.1\n",
        site / "nometa-0.4.dist-info" / "RECORD": "",
        site / "old_style-0.5-py3.11.egg-info": "Metadata-Version: 1.0\nName: old-style\nVersion: 0.5\n",
        site / "eggdir-0.6-py3.11.egg-info" / "PKG-INFO": "Name: eggdir\nVersion: 0.6\n",
    })
    env = Environment.from_interpreter(query(python), user_site=False)
    got = {d.name: d.version for d in env.distributions()}
    assert got == {"big": "2.0", "nameless": "0.3", "nometa": "0.4", "old-style": "0.5", "eggdir": "0.6"}


# -- the gateway: isolation and hostile answers ---------------------------------------------------------------


def fake(tmp_path: Path, name: str, body: str) -> Path:
    d = tmp_path / "fake interpreters"
    d.mkdir(exist_ok=True)
    path = d / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def real_answer() -> dict:
    out = subprocess.run([PY, "-I", "-S", "-c", interpreter.SCRIPT], capture_output=True, text=True, check=True).stdout
    return json.loads(out.split(interpreter.BEGIN + "\n", 1)[1].split("\n" + interpreter.END, 1)[0])


def answering(tmp_path: Path, doc: object, name: str = "answers") -> Path:
    body = tmp_path / f"{name}.txt"
    body.write_text(f"{interpreter.BEGIN}\n{doc if isinstance(doc, str) else json.dumps(doc)}\n{interpreter.END}\n")
    return fake(tmp_path, name, f"cat '{body}'\n")


def test_a_fake_interpreter_with_a_valid_answer_is_accepted(tmp_path: Path) -> None:
    env = Environment.from_interpreter(query(answering(tmp_path, real_answer())))
    assert env.version == tuple(sys.version_info)
    assert "/fake interpreters/" in env.executable


def test_the_interpreter_runs_isolated_in_a_neutral_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "seen"
    spy = fake(tmp_path, "spy", f"env > '{seen}.env'; pwd > '{seen}.cwd'; echo \"$@\" > '{seen}.args'\n"
                                f"if read line; then echo line > '{seen}.stdin'; else echo eof > '{seen}.stdin'; fi\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("PYTHONHOME", "/nonexistent")
    monkeypatch.setenv("PYTHONSTARTUP", str(tmp_path / "startup.py"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InterpreterError, match="did not answer like a Python interpreter: no output"):
        query(spy)
    assert not [ln for ln in Path(f"{seen}.env").read_text().splitlines() if ln.startswith("PYTHON")]
    cwd = Path(Path(f"{seen}.cwd").read_text().strip())
    assert cwd != tmp_path and "callgraph-interpreter-" in cwd.name and not cwd.exists()
    assert Path(f"{seen}.args").read_text().startswith("-I -S -B -c ")
    assert Path(f"{seen}.stdin").read_text().strip() == "eof"
    # And a real interpreter: nothing in the current directory, PYTHONPATH or PYTHONSTARTUP runs.
    marker = tmp_path / "IMPORTED"
    for shadow in ("json.py", "sysconfig.py", "site.py", "startup.py", "os.py"):
        (tmp_path / shadow).write_text(f"open({str(marker)!r}, 'a').write({shadow!r})\n")
    facts = query(PY)
    assert not marker.exists() and facts.version == tuple(sys.version_info)


HOSTILE = {
    "garbage": ("echo 'hello, I am not python'\n", "did not answer like a Python interpreter: hello, I am not python"),
    "silent": ("exit 0\n", "did not answer like a Python interpreter: no output"),
    "failing": ("echo boom >&2; exit 3\n", "exited with status 3 without answering: boom"),
    "flood": ("yes\n", "answered more than 2097152 bytes, over the output limit; stopped it"),
    "sleeper": ("sleep 30\n", "no answer within 1 s (timeout); stopped it"),
    "half an answer": (f"echo '{interpreter.BEGIN}'; echo '{{'; sleep 30\n", "no answer within 1 s (timeout)"),
    "bad json": (f"printf '%s\\n{{nope\\n%s\\n' '{interpreter.BEGIN}' '{interpreter.END}'\n", "its answer is not valid JSON"),
    "control characters": ("printf 'a\\033[2Jb\\n' >&2; exit 1\n", r"exited with status 1 without answering: a\x1b[2Jb"),
}


@pytest.mark.parametrize("mode", HOSTILE)
def test_a_hostile_interpreter_is_refused_in_one_line(mode: str, tmp_path: Path) -> None:
    body, message = HOSTILE[mode]
    path = fake(tmp_path, mode.replace(" ", "-"), body)
    started = time.perf_counter()
    with pytest.raises(InterpreterError) as caught:
        Environment.local(path, timeout=1)
    assert time.perf_counter() - started < 10
    text = str(caught.value)
    assert isinstance(caught.value, InputError) and "\n" not in text
    assert text.startswith(str(path)) and message in text, text


def test_a_process_left_holding_the_output_is_killed_with_its_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    path = fake(tmp_path, "daemon", f"sleep 30 & echo $! > '{pidfile}'\nexit 0\n")
    started = time.perf_counter()
    with pytest.raises(InterpreterError, match=r"no answer within 1 s \(timeout\)"):
        query(path, timeout=1)
    assert time.perf_counter() - started < 10
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{pid}/stat").is_file() and Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z":
            break  # killed; its new parent has not reaped it yet
        time.sleep(0.05)
    else:
        pytest.fail(f"the background sleep {pid} is still running")


def mutate(doc: dict, path: str, value: object) -> dict:
    doc = json.loads(json.dumps(doc))
    *keys, last = path.split("/")
    target = doc
    for key in keys:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


MALFORMED = [
    ("protocol", 2, "invalid protocol"),
    ("version_info", "3.11", "invalid version_info"),
    ("version_info/3", "gamma", "invalid version_info"),
    ("version_info/0", 2, "Python 2.11 is not supported (Python 3 only)"),
    ("prefix", "relative/prefix", "invalid sys.prefix"),
    ("prefix", 7, "invalid sys.prefix"),
    ("executable", "x" * 5000, "invalid sys.executable"),
    ("sys_path", "/usr/lib", "invalid sys.path"),
    ("sys_path", ["/a"] * 30_000, "invalid sys.path"),
    ("builtin_module_names", [1, 2], "invalid builtin module names"),
    ("builtin_module_names/0", "x" * 300, "invalid builtin module names"),
    ("extension_suffixes", ["so"], "invalid extension suffixes"),
    ("paths", {"stdlib": "/x"}, "invalid sysconfig paths"),
    ("paths/purelib", None, "invalid sysconfig paths"),
    ("site_packages", [], "invalid site_packages"),
    ("stdlib_module_names", {"a": 1}, "invalid stdlib module names"),
    ("user_site", "rel", "invalid user site"),
]


@pytest.mark.parametrize("field, value, message", MALFORMED, ids=[f"{f}={str(v)[:12]}" for f, v, _ in MALFORMED])
def test_a_malformed_answer_is_refused_field_by_field(field: str, value: object, message: str, tmp_path: Path) -> None:
    path = answering(tmp_path, mutate(real_answer(), field, value))
    with pytest.raises(InterpreterError) as caught:
        query(path)
    assert message in str(caught.value) and "\n" not in str(caught.value) and len(str(caught.value)) < 500


@pytest.mark.parametrize("doc", ["[]", "[" * 100_000 + "]" * 100_000, '"a string"', "1e999999"], ids=["list", "deep", "string", "number"])
def test_an_answer_that_is_not_an_object_is_refused(doc: str, tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="not valid JSON|invalid document"):
        query(answering(tmp_path, doc))


def test_paths_that_are_not_interpreters(tmp_path: Path) -> None:
    text = tmp_path / "dir with spaces" / "notes.txt"
    write({text: "just text\n"})
    no_shebang = tmp_path / "dir with spaces" / "no-shebang"
    write({no_shebang: "echo hi\n"})
    no_shebang.chmod(0o755)
    cases = {
        tmp_path / "missing": "no such file",
        text.parent: "is a directory, not a Python interpreter",
        text: "not an executable file",
        no_shebang: "cannot run it: Exec format error",
        "surely-not-a-python-on-path": "no such interpreter on PATH",
    }
    for path, message in cases.items():
        with pytest.raises(InterpreterError, match=re.escape(message)):
            Environment.local(path)


def test_a_venv_is_not_its_base_interpreter(tmp_path: Path) -> None:
    """The venv's python is a link to the base: the memo keys on the link, not on its target."""
    python = make_venv(tmp_path / "venv")
    assert python.is_symlink()
    env, base = Environment.local(python), Environment.local(os.path.realpath(python))
    assert env is not base and env.venv is not None and base.venv is None
    assert env.prefix == str(tmp_path / "venv") and base.prefix == base.base_prefix == env.base_prefix


# -- the wing's boundaries ----------------------------------------------------------------------------------------


def test_the_wing_imports_only_errors_facts_and_the_standard_library() -> None:
    """And the shared bounded runner (`callgraph.subprocesses`), a leaf like `errors`."""
    folder = Path(callgraph.environment.__file__).parent
    for file in sorted(folder.glob("*.py")):
        assert len(file.read_text().splitlines()) < 500, file.name
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                top = (node.module or "").split(".")[0]
                assert node.level == 1 or (node.level == 2 and top in ("errors", "subprocesses", "facts")), f"{file.name}: {top}"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    assert name.split(".")[0] in sys.stdlib_module_names | {"__future__"}, f"{file.name}: {name}"
