"""Scenario fixtures: each way the remote interpreter ends up running other bytes, found by
`callgraph parity LOCAL REMOTE` without `--module`.

Each scenario is a local git repository and a sandbox directory with its own venv (a pyenv
interpreter), reached through the `cmd:` backend. The truth is established by running the entry
point on both sides (locally it passes, remotely it fails with CPython's TypeError); the report
must name the mechanism with its evidence in `import_mechanisms`, and, where the bytes can be
read, the remote-only finding must carry exactly CPython's message."""

from __future__ import annotations

import glob
import json
import os
import py_compile
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from callgraph.reports.parity import report_dict
from callgraph.reports.parity_evidence import investigate
from callgraph.reports.parity_mechanisms import sentences

PYTHONS = sorted(glob.glob("/root/.pyenv/versions/3.12*/bin/python"))
pytestmark = pytest.mark.skipif(not PYTHONS or not shutil.which("git"), reason="needs pyenv's 3.12 and git")

NEW = "def rate(amount, currency):\n    return amount\n"
OLD = "def rate(amount):\n    return amount\n"
MAIN = 'from pkg.rates import rate\nprint(rate(10, "EUR"))\n'
MESSAGE = "rate() takes 1 positional argument but 2 were given"


@dataclass
class Sandbox:
    base: Path
    local: Path
    remote: Path
    venv: Path
    env: dict[str, str]
    cwd: Path  # where the entry point runs (and the probe with it)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site(self) -> Path:
        return Path(glob.glob(str(self.venv / "lib" / "python3.*" / "site-packages"))[0])

    def spec(self) -> str:
        env = [f"{k}={v}" for k, v in sorted(self.env.items())]
        return f"cmd:env -C {self.cwd} PATH={self.venv}/bin:/usr/bin:/bin {' '.join(env)}::{self.remote}"

    def run_remote(self, entry: str) -> subprocess.CompletedProcess:
        env = {"PATH": f"{self.venv}/bin:/usr/bin:/bin", **self.env}
        return subprocess.run([str(self.python), entry], cwd=self.cwd, env=env, capture_output=True, text=True,
                              timeout=60)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _sandbox(tmp_path: Path, files: dict[str, str], remote_files: dict[str, str] | None = None,
             cwd: str = "") -> Sandbox:
    local, remote, venv = tmp_path / "local", tmp_path / "remote", tmp_path / "venv"
    _write(local, files)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=local, check=True)
    subprocess.run(["git", "add", "-A"], cwd=local, check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], cwd=local, check=True)
    _write(remote, files if remote_files is None else remote_files)
    subprocess.run([PYTHONS[0], "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return Sandbox(tmp_path, local, remote, venv, {}, remote / cwd if cwd else remote)


def _truth(sb: Sandbox, entry: str, local_env: dict[str, str] | None = None) -> None:
    """The entry point passes locally and fails remotely with CPython's message."""
    env = {**os.environ, **(local_env or {})}
    local = subprocess.run([sys.executable, entry], cwd=sb.local / Path(sb.cwd).relative_to(sb.remote), env=env,
                           capture_output=True, text=True, timeout=60)
    assert local.returncode == 0, local.stderr
    remote = sb.run_remote(entry)
    assert remote.returncode == 1 and f"TypeError: {MESSAGE}" in remote.stderr, remote.stderr


def _report(sb: Sandbox) -> dict:
    report = investigate(str(sb.local), sb.spec(), environment=False)
    data = report_dict(report)
    json.dumps(data)  # every field is JSON
    told = sentences(report.mechanisms, report.remote_only)
    assert len(told) == len(data["import_mechanisms"])
    for kind, sentence, field in told:  # each sentence backed by its JSON field
        index = int(field.split("[")[1].rstrip("]"))
        assert data["import_mechanisms"][index]["mechanism"] == kind and sentence.endswith(".")
    data["_sentences"] = [s for _, s, _ in told]
    return data


def _mechanism(data: dict, kind: str) -> dict:
    found = [m for m in data["import_mechanisms"] if m["mechanism"] == kind]
    assert found, (kind, data["import_mechanisms"], data["notes"])
    return found[0]


def _fails_remotely(data: dict) -> None:
    assert [f["message"] for f in data["findings"]["only_remote"]] == [MESSAGE]


def _compile(source: str, where: Path, **kw) -> None:
    """`source` compiled by the sandbox's interpreter (its magic number) into `where`."""
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = where.with_name("_src_.py")
    tmp.write_text(source)
    code = (f"import py_compile; py_compile.compile({str(tmp)!r}, cfile={str(where)!r}, doraise=True, "
            f"invalidation_mode=py_compile.PycInvalidationMode.{kw.get('mode', 'TIMESTAMP')})")
    subprocess.run([PYTHONS[0], "-c", code], check=True, timeout=60)
    tmp.unlink()


# -- bytecode ---------------------------------------------------------------------------------------


def test_sourceless_pyc_in_the_legacy_location(tmp_path: Path) -> None:
    files = {"pkg/__init__.py": "", "pkg/rates.py": NEW, "main.py": MAIN}
    sb = _sandbox(tmp_path, files, {"pkg/__init__.py": "", "main.py": MAIN})
    _compile(OLD, sb.remote / "pkg" / "rates.pyc")
    _truth(sb, "main.py")
    data = _report(sb)
    m = _mechanism(data, "sourceless-pyc")
    assert m["runs"] == str(sb.remote / "pkg" / "rates.pyc") and m["path"] == "pkg/rates.py"
    assert m["pyc_version"] == "3.12" and m["analysed"]
    _fails_remotely(data)
    assert "no source for `pkg.rates`" in data["_sentences"][0] and MESSAGE in data["_sentences"][0]


def test_stale_pycache_whose_recorded_mtime_and_size_match(tmp_path: Path) -> None:
    old = OLD.replace("return amount", "return amount  # ten...")
    assert len(old) == len(NEW)
    files = {"pkg/__init__.py": "", "pkg/rates.py": NEW, "main.py": MAIN}
    sb = _sandbox(tmp_path, files)
    source = sb.remote / "pkg" / "rates.py"
    source.write_text(old)
    subprocess.run([PYTHONS[0], "-c", f"import py_compile; py_compile.compile({str(source)!r}, doraise=True)"],
                   check=True)
    stat = source.stat()
    source.write_text(NEW)  # a copy that keeps mtimes and sizes keeps the stale bytecode alive
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _truth(sb, "main.py")
    data = _report(sb)
    m = _mechanism(data, "pycache-instead-of-source")
    assert m["pyc_kind"] == "timestamp" and "__pycache__" in m["runs"] and m["analysed"]
    _fails_remotely(data)
    assert next(f for f in data["files"] if f["path"] == "pkg/rates.py")["status"] == "differs"


def test_unchecked_hash_pyc_runs_without_looking_at_the_source(tmp_path: Path) -> None:
    files = {"pkg/__init__.py": "", "pkg/rates.py": NEW, "main.py": MAIN}
    sb = _sandbox(tmp_path, files)
    tag = subprocess.run([PYTHONS[0], "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True,
                         text=True, check=True).stdout.strip()
    _compile(OLD, sb.remote / "pkg" / "__pycache__" / f"rates.{tag}.pyc", mode="UNCHECKED_HASH")
    _truth(sb, "main.py")
    data = _report(sb)
    m = _mechanism(data, "pycache-instead-of-source")
    assert m["pyc_kind"] == "unchecked-hash"
    _fails_remotely(data)
    assert "unchecked hash-based" in data["_sentences"][0]


def test_fresh_pycache_is_no_mechanism(tmp_path: Path) -> None:
    """A true negative: bytecode compiled from the very source is what the source says."""
    files = {"pkg/__init__.py": "", "pkg/rates.py": NEW, "main.py": MAIN}
    sb = _sandbox(tmp_path, files)
    subprocess.run([str(sb.python), "-c", "import compileall; compileall.compile_dir('.', quiet=1)"], cwd=sb.remote,
                   check=True)
    assert sb.run_remote("main.py").returncode == 0
    data = _report(sb)
    assert data["import_mechanisms"] == [] and data["findings"]["only_remote"] == []


# -- the search path ----------------------------------------------------------------------------------

APP = {"pkg/__init__.py": "", "pkg/rates.py": NEW, "bin/main.py": MAIN}


def _installed(tmp_path: Path) -> Sandbox:
    """The upload reached through a .pth line (an editable install); the entry point in bin/."""
    sb = _sandbox(tmp_path, APP, cwd="bin")
    (sb.site / "app.pth").write_text(f"{sb.remote}\n")
    _write(tmp_path / "old", {"pkg/__init__.py": "", "pkg/rates.py": OLD})
    return sb


def test_pth_path_line_ahead_of_the_upload(tmp_path: Path) -> None:
    sb = _installed(tmp_path)
    (sb.site / "00-old.pth").write_text(f"# an old checkout\n{tmp_path / 'old'}\n")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "pth-path-line")
    assert m["evidence_file"] == str(sb.site / "00-old.pth") and m["evidence_line"] == 2
    assert m["sys_path_entry"] == str(tmp_path / "old")
    _fails_remotely(data)


def test_pth_import_line_inserting_into_sys_path(tmp_path: Path) -> None:
    sb = _installed(tmp_path)
    (sb.site / "00-old.pth").write_text(f"import sys; sys.path.insert(0, {str(tmp_path / 'old')!r})\n")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "pth-import-line")
    assert m["evidence_file"] == str(sb.site / "00-old.pth") and m["evidence_line"] == 1
    assert "sys.path.insert" in m["evidence_text"]
    _fails_remotely(data)
    assert "00-old.pth` line 1 is code that site runs" in data["_sentences"][0]


def test_pythonpath_entry(tmp_path: Path) -> None:
    sb = _installed(tmp_path)
    sb.env["PYTHONPATH"] = str(tmp_path / "old")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "pythonpath")
    assert m["evidence_text"] == str(tmp_path / "old")
    _fails_remotely(data)


def test_namespace_package_with_an_old_portion(tmp_path: Path) -> None:
    files = {"ns/rates.py": NEW, "bin/main.py": MAIN.replace("pkg.rates", "ns.rates")}
    sb = _sandbox(tmp_path, files, cwd="bin")
    _write(tmp_path / "old", {"ns/rates.py": OLD})
    (sb.site / "app.pth").write_text(f"{sb.remote}\n")
    (sb.site / "00-old.pth").write_text(f"{tmp_path / 'old'}\n")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "namespace-portion")
    assert m["portions"] == [str(tmp_path / "old" / "ns"), str(sb.remote / "ns")]
    assert m["runs"] == str(tmp_path / "old" / "ns" / "rates.py") and m["module"] == "ns.rates"
    _fails_remotely(data)


def test_installed_copy_whose_pycache_holds_older_bytecode(tmp_path: Path) -> None:
    """site-packages holds the current source, but an unchecked hash-based pyc of an older one."""
    sb = _sandbox(tmp_path, APP, cwd="bin")
    _write(sb.site, {"pkg/__init__.py": "", "pkg/rates.py": NEW})
    tag = subprocess.run([PYTHONS[0], "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True,
                         text=True, check=True).stdout.strip()
    _compile(OLD, sb.site / "pkg" / "__pycache__" / f"rates.{tag}.pyc", mode="UNCHECKED_HASH")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    _mechanism(data, "site-packages")
    m = _mechanism(data, "pycache-instead-of-source")
    assert m["path"] == "pkg/rates.py" and m["runs"] == str(sb.site / "pkg" / "__pycache__" / f"rates.{tag}.pyc")
    _fails_remotely(data)


# -- our own -------------------------------------------------------------------------------------------


def test_sitecustomize_inserting_into_sys_path(tmp_path: Path) -> None:
    sb = _installed(tmp_path)
    (sb.site / "sitecustomize.py").write_text(f"import sys\nsys.path.insert(0, {str(tmp_path / 'old')!r})\n")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "startup-hook")
    assert m["evidence_file"] == str(sb.site / "sitecustomize.py")
    _fails_remotely(data)


def test_editable_install_pointing_at_another_checkout(tmp_path: Path) -> None:
    """setuptools' `__editable__.*.pth` path line naming an old checkout instead of the upload."""
    sb = _sandbox(tmp_path, APP, cwd="bin")
    _write(tmp_path / "old", {"pkg/__init__.py": "", "pkg/rates.py": OLD})
    (sb.site / "__editable__.pkg-0.1.pth").write_text(f"{tmp_path / 'old'}\n")
    (sb.site / "pkg-0.1.dist-info").mkdir()
    (sb.site / "pkg-0.1.dist-info" / "METADATA").write_text("Name: pkg\nVersion: 0.1\n")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "pth-path-line")
    assert m["evidence_file"].endswith("__editable__.pkg-0.1.pth") and m["evidence_line"] == 1
    _fails_remotely(data)


def test_zip_on_sys_path_is_named_though_not_read(tmp_path: Path) -> None:
    sb = _installed(tmp_path)
    archive = tmp_path / "old.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("pkg/rates.py", OLD)
    sb.env["PYTHONPATH"] = str(archive)
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    m = _mechanism(data, "zip-on-sys-path")
    assert m["sys_path_entry"] == str(archive) and not m["analysed"] and "not read" in m["note"]
    assert data["findings"]["only_remote"] == []  # unknown means silent: the archive is named, not guessed


def test_sourceless_pyc_of_a_python_without_a_reader_is_a_note(tmp_path: Path) -> None:
    """Bytecode whose magic number no interpreter here reads: said plainly, never a crash."""
    files = {"pkg/__init__.py": "", "pkg/rates.py": NEW, "main.py": MAIN}
    sb = _sandbox(tmp_path, files, {"pkg/__init__.py": "", "main.py": MAIN})
    pyc = sb.remote / "pkg" / "rates.pyc"
    _compile(OLD, pyc)
    data = bytearray(pyc.read_bytes())
    data[16:] = b"\xff" * 8  # bad marshal data behind a valid header
    pyc.write_bytes(bytes(data))
    result = _report(sb)
    m = _mechanism(result, "sourceless-pyc")
    assert not m["analysed"] and "bad marshal data" in m["note"]
    assert any("bad marshal data" in n for n in result["notes"])


def test_outside_module_installed_as_sourceless_bytecode(tmp_path: Path) -> None:
    """A dependency the remote has only as a `.pyc` (a "compiled-only" install): its definitions
    come from the code objects, and the call that breaks there is named with CPython's words."""
    files = {"main.py": MAIN.replace("pkg.rates", "ratelib")}
    sb = _sandbox(tmp_path, files)
    _compile(OLD, sb.site / "ratelib.pyc")
    here = tmp_path / "here"
    subprocess.run([PYTHONS[0], "-m", "venv", "--without-pip", str(here)], check=True, timeout=120)
    here_site = Path(glob.glob(str(here / "lib" / "python3.*" / "site-packages"))[0])
    (here_site / "ratelib.py").write_text(NEW)
    assert subprocess.run([str(here / "bin" / "python"), "main.py"], cwd=sb.local).returncode == 0
    remote = sb.run_remote("main.py")
    assert f"TypeError: {MESSAGE}" in remote.stderr
    report = investigate(str(sb.local), sb.spec(), local_python=str(here / "bin" / "python"))
    calls = report_dict(report)["environments"]["calls"]
    assert [(c["fails"], c["message"], c["remote_signature"]) for c in calls] == [("remote", MESSAGE, "(amount)")]


def test_sitecustomize_patching_json_dumps_does_not_break_the_probe(tmp_path: Path) -> None:
    """A log harness's sitecustomize replaces json.dumps before the probe runs: the probe writes its
    answer with its own encoder, and the report names the hook."""
    sb = _installed(tmp_path)
    (sb.site / "sitecustomize.py").write_text(
        "import json, sys\n_orig = json.dumps\n\n\ndef _compact(obj):\n    return _orig(obj)\n\n\n"
        f"json.dumps = _compact\njson.JSONEncoder = None\nsys.path.insert(0, {str(tmp_path / 'old')!r})\n")
    _truth(sb, "main.py", {"PYTHONPATH": str(sb.local)})
    data = _report(sb)
    assert _mechanism(data, "startup-hook")["evidence_file"] == str(sb.site / "sitecustomize.py")
    _fails_remotely(data)
