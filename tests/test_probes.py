"""probes/: the cmd backend over a real python3 subprocess, the path-finder rules, and every refusal
of a hostile remote (a fake remote command that prints what a hostile host would)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from callgraph.errors import InputError
from callgraph.pipeline import analyze_snapshot
from callgraph.snapshots.spec import open_snapshot
from probes import CommandProbe, DirProbe, DockerProbe, Limits, ProbeError, RemoteSnapshot, open_remote, parse_spec
from probes import remote_probe
from probes.probe import BEGIN, END, SCRIPT_PATH

PY = sys.executable


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def cmd_spec(remote_cwd: Path, root: Path) -> str:
    """A real local python3 started by `env` in its own directory: the cmd backend end to end."""
    return f"cmd:env -C {remote_cwd} PATH={Path(PY).parent}:/usr/bin:/bin::{root}"


APP = {
    "pkg/__init__.py": "from .mod import g\n",
    "pkg/mod.py": "def f(a):\n    return a\n\n\ndef g():\n    return f()\n",
    "tool.py": "import pkg\n",
}


# -- the cmd backend, for real -----------------------------------------------------------------------


def test_cmd_backend_reads_hashes_and_resolves_with_a_real_python(tmp_path: Path) -> None:
    app = tree(tmp_path / "remote" / "app", APP)
    before = listing(tmp_path)
    with open_snapshot(cmd_spec(tmp_path / "remote", app)) as snap:
        assert isinstance(snap, RemoteSnapshot)
        assert sorted(snap.entries()) == ["pkg/__init__.py", "pkg/mod.py", "tool.py"]
        assert snap.read("pkg/mod.py") == (app / "pkg" / "mod.py").read_bytes()
        import hashlib

        assert snap.sha256("tool.py") == hashlib.sha256((app / "tool.py").read_bytes()).hexdigest()
        r = snap.result
        assert r.root == str(app.resolve())
        assert r.python["implementation"] == "cpython" and r.python["version"].count(".") == 2
        assert r.sys_path[0]["origin"].startswith("program directory") and r.cwd == str((tmp_path / "remote").resolve())
        pkg = r.modules["pkg"]  # auto: the root's own top-level names
        assert pkg.status == "not found"  # the remote cwd is not the root ...
        assert pkg.from_root["origin"] == str(app / "pkg" / "__init__.py")  # ... started there, it is found
        project = analyze_snapshot(snap)
        assert [f.code.value for f in project.findings()] == ["CG102"]
    assert listing(tmp_path) == before, "the probe wrote something"


def test_cmd_backend_module_resolution_and_shadowing(tmp_path: Path) -> None:
    app = tree(tmp_path / "app", APP)
    shadow = tree(tmp_path / "shadow", {"pkg/__init__.py": "", "pkg/mod.py": "def f():\n    pass\n\n\ndef g():\n    return f()\n"})
    spec = f"cmd:env -C {tmp_path} PYTHONPATH={shadow}::{app}"
    snap = open_remote(spec, modules=["pkg.mod"])
    res = snap.result.modules["pkg.mod"]
    assert res.status == "found" and res.origin == str(shadow / "pkg" / "mod.py")
    assert res.index == 1 and snap.result.sys_path[1]["origin"] == "PYTHONPATH"
    assert res.inside_root is False and res.from_root["origin"] == str(app / "pkg" / "mod.py")
    # The effective snapshot is what the interpreter imports: the shadowing package, not the upload.
    assert [o.name for o in snap.overlays] == ["pkg"]
    assert snap.read("pkg/mod.py").startswith(b"def f():")
    assert snap.origin("pkg/mod.py") == str(shadow / "pkg" / "mod.py")
    assert any("imports" in n and str(shadow / "pkg") in n for n in snap.notes)
    assert analyze_snapshot(snap).findings() == []
    uploaded = open_remote(spec, effective=False)
    assert uploaded.read("pkg/mod.py") == (app / "pkg" / "mod.py").read_bytes()


def test_diff_and_check_take_a_remote_spec(tmp_path: Path) -> None:
    app = tree(tmp_path / "app", APP)
    local = tree(tmp_path / "local", {**APP, "pkg/mod.py": "def f(a):\n    return a\n\n\ndef g():\n    return f(1)\n"})
    proc = subprocess.run([PY, "-m", "callgraph", "diff", str(local), cmd_spec(tmp_path, app), "--format", "json"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    new = json.loads(proc.stdout)["findings"]["new"]
    assert [f["message"] for f in new] == ["f() missing 1 required positional argument: 'a'"]


# -- spec syntax ----------------------------------------------------------------------------------


def test_spec_syntax() -> None:
    p = parse_spec("cmd:ssh -p 2222 'build box'::/srv/app")
    assert isinstance(p, CommandProbe) and p.prefix == ["ssh", "-p", "2222", "build box"] and p.root == "/srv/app"
    assert p.argv == ["ssh", "-p", "2222", "build box", "python3", "-B", "-"]
    assert parse_spec("cmd:kubectl exec -i etl-0 --").root == "."
    assert parse_spec("cmd:ssh fe80::1").prefix == ["ssh", "fe80::1"]  # no path after '::': no root
    assert parse_spec("cmd:ssh box::~/app").root == "~/app"
    d = parse_spec("docker:etl-worker:/app")
    assert isinstance(d, DockerProbe) and d.argv[:4] == ["docker", "exec", "-i", "etl-worker"] and d.root == "/app"
    for bad, why in [("cmd:", "empty command prefix"), ("cmd:ssh 'host", "cannot split"), ("cmd:ssh host::", "empty root"),
                     ("docker:-v:/x", "not a container"), ("docker:", "not a container"), ("e2b:../x", "not a sandbox id"),
                     ("e2b:abc:relative", "absolute path")]:
        with pytest.raises(InputError, match=why):
            parse_spec(bad)


def test_a_missing_command_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="cannot run 'no-such-remote-shell'"):
        open_remote("cmd:no-such-remote-shell host").entries()
    proc = subprocess.run([PY, "-m", "callgraph", "diff", ".", "cmd:no-such-remote-shell host"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "not found" in proc.stderr


# -- the probe script itself --------------------------------------------------------------------


def test_probe_script_is_python_38_and_stdlib_only() -> None:
    source = SCRIPT_PATH.read_text()
    tree_ = ast.parse(source, feature_version=(3, 8))
    imported = {a.name.split(".")[0] for n in ast.walk(tree_) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree_) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= set(sys.stdlib_module_names) | {"_imp"}
    assert not any(isinstance(n, ast.AnnAssign) for n in ast.walk(tree_))


def resolve(path: list[Path], name: str) -> dict:
    return remote_probe.resolve(name, [str(p) for p in path])


def test_path_finder_rules(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    tree(a, {"both/__init__.py": "", "modfirst.py": "", "nsp/x.py": "", "dironly/readme.txt": "", "dironly.py": ""})
    tree(b, {"both/__init__.py": "", "nsp/y.py": "", "modfirst/__init__.py": "", "pyc_only.pyc": ""})
    (b / "ext.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    (b / "ext.py").write_text("")
    r = resolve([a, b], "both")
    assert r["kind"] == "package" and r["origin"] == str(a / "both" / "__init__.py") and r["index"] == 0
    assert r["shadowed"] == [str(b / "both" / "__init__.py")]
    assert resolve([a, b], "modfirst")["origin"] == str(a / "modfirst.py")  # first entry wins, module or package
    assert resolve([a, b], "dironly")["origin"] == str(a / "dironly.py")  # a dir without __init__ yields to a module
    ns = resolve([a, b], "nsp")
    assert ns["kind"] == "namespace" and ns["portions"] == [str(a / "nsp"), str(b / "nsp")]
    assert resolve([a, b], "nsp.y")["origin"] == str(b / "nsp" / "y.py")  # submodules search every portion
    assert resolve([a, b], "pyc_only")["kind"] == "bytecode"
    from importlib.machinery import EXTENSION_SUFFIXES

    if ".cpython-311-x86_64-linux-gnu.so" in EXTENSION_SUFFIXES:
        assert resolve([a, b], "ext")["kind"] == "extension"  # extensions before source, as FileFinder orders them
    assert resolve([a, b], "sys")["kind"] == "builtin"
    missing = resolve([a, b], "both.nothing")
    assert missing["status"] == "not found" and missing["missing"] == "both.nothing"
    assert resolve([a, b], "modfirst.x")["status"] == "not found"  # a module is not a package


def test_zip_entries_and_pth_files_without_running_them(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zpkg/__init__.py", "")
        zf.writestr("zpkg/inner.py", "")
    site = tree(tmp_path / "site", {"first/sp.py": ""})
    extra = tree(tmp_path / "extra", {"fromppth.py": ""})
    canary = tmp_path / "canary"
    (site / "a.pth").write_text(f"# comment\n{extra}\nimport os; open({str(canary)!r}, 'w')\nmissing-dir\n")
    path, pth = remote_probe.build_search_path([str(archive)], [str(site)])
    assert path == [str(archive), str(site), str(extra)]
    assert pth[0]["import_lines"] == 1 and not canary.exists()
    assert resolve([Path(p) for p in path], "fromppth")["index"] == 2
    z = resolve([archive], "zpkg.inner")
    assert z["status"] == "found" and z["origin"] == f"{archive}/zpkg/inner.py"


def test_dir_probe_runs_the_same_rules_in_process(tmp_path: Path) -> None:
    app = tree(tmp_path / "app", APP)
    site = tree(tmp_path / "site", {"pkg/__init__.py": "", "pkg/mod.py": "def g():\n    pass\n"})
    snap = RemoteSnapshot(DirProbe(app, search_path=[str(tmp_path / "nowhere")], site_dirs=[str(site)]), ["pkg.mod"])
    assert snap.result.modules["pkg.mod"].origin == str(site / "pkg" / "mod.py")
    assert snap.read("pkg/mod.py") == b"def g():\n    pass\n"
    assert snap.read("tool.py") == b"import pkg\n"


# -- refusals, on a real tree ---------------------------------------------------------------------


def test_real_symlinks_inside_are_kept_and_outside_refused(tmp_path: Path) -> None:
    app = tree(tmp_path / "app", {"a.py": "x = 1\n"})
    (app / "b.py").symlink_to(app / "a.py")
    assert sorted(open_remote(cmd_spec(tmp_path, app)).entries()) == ["a.py", "b.py"]
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'x'\n")
    (app / "leak.py").symlink_to(secret)
    for snap in (open_remote(cmd_spec(tmp_path, app)), RemoteSnapshot(DirProbe(app))):
        with pytest.raises(ProbeError, match="leak.py points outside the root"):
            snap.entries()


def test_real_size_and_count_limits(tmp_path: Path) -> None:
    app = tree(tmp_path / "app", {f"m{i}.py": "x = 1\n" for i in range(5)})
    (app / "big.py").write_text("# " + "x" * 5000 + "\n")
    with pytest.raises(ProbeError, match="big.py is 5003 bytes, over the 1000-byte file size limit"):
        open_remote(cmd_spec(tmp_path, app), limits=Limits(max_file_bytes=1000)).entries()
    with pytest.raises(ProbeError, match="more than 3 Python files"):
        open_remote(cmd_spec(tmp_path, app), limits=Limits(max_files=3)).entries()
    with pytest.raises(ProbeError, match="over the 1000-byte file size limit"):
        RemoteSnapshot(DirProbe(app, limits=Limits(max_file_bytes=1000))).entries()


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLGRAPH_PROBE_MAX_FILES", "7")
    monkeypatch.setenv("CALLGRAPH_PROBE_TIMEOUT", "2.5")
    assert Limits.from_env() == Limits(max_files=7, timeout=2.5)
    assert Limits.from_env(max_files=9).max_files == 9
    monkeypatch.setenv("CALLGRAPH_PROBE_MAX_FILES", "many")
    with pytest.raises(ProbeError, match="not a number"):
        Limits.from_env()


# -- a hostile remote ------------------------------------------------------------------------------

FAKE = textwrap.dedent(
    """
    import base64, hashlib, json, sys, time
    mode = sys.argv[1]
    sys.stdin.read()  # the probe it was sent: ignored, this remote answers what it likes
    B, E = "-----BEGIN CALLGRAPH PROBE-----", "-----END CALLGRAPH PROBE-----"

    def row(path, data=b"x = 1\\n", size=None, sha=None, enc=None):
        return {"path": path, "size": len(data) if size is None else size,
                "sha256": sha or hashlib.sha256(data).hexdigest(),
                "data": base64.b64encode(data).decode() if enc is None else enc}

    def doc(files=(), **extra):
        d = {"protocol": 1, "ok": True, "root": "/srv/app", "cwd": "/srv", "files": list(files), "symlinks": [],
             "python": {"version": "3.8.10", "implementation": "cpython"}, "sys_path": [], "modules": {}}
        d.update(extra)
        return d

    def say(d):
        sys.stdout.write(B + "\\n" + json.dumps(d) + "\\n" + E + "\\n")

    if mode == "ok":
        sys.stdout.write("Welcome to build-box! (a login banner)\\n")
        say(doc([row("pkg/a.py")]))
    elif mode == "dotdot":
        say(doc([row("../../etc/passwd.py")]))
    elif mode == "inner_dotdot":
        say(doc([row("pkg/../../x.py")]))
    elif mode == "absolute":
        say(doc([row("/etc/passwd.py")]))
    elif mode == "control":
        say(doc([row("pkg/\\x1b[2Jevil.py")]))
    elif mode == "not_python":
        say(doc([row("pkg/a.so")]))
    elif mode == "symlink_out":
        say(doc([row("pkg/a.py")], symlinks=[{"path": "pkg/leak.py", "target": "/etc/shadow", "inside": False}]))
    elif mode == "big":
        say(doc([row("pkg/a.py", b"#" * 5000)]))
    elif mode == "count":
        say(doc([row("m%d.py" % i) for i in range(10)]))
    elif mode == "sha":
        say(doc([row("pkg/a.py", sha="0" * 64)]))
    elif mode == "short":
        say(doc([row("pkg/a.py", size=500)]))
    elif mode == "base64":
        say(doc([row("pkg/a.py", enc="%%%not base64%%%")]))
    elif mode == "duplicate":
        say(doc([row("pkg/a.py"), row("pkg/a.py")]))
    elif mode == "protocol":
        say(dict(doc(), protocol=99))
    elif mode == "error":
        say({"protocol": 1, "ok": False, "error": "boom \\x1b[31mred"})
    elif mode == "refused":
        say({"protocol": 1, "ok": False, "refused": "more than 3 Python files (the manifest count limit)"})
    elif mode == "not_json":
        sys.stdout.write(B + "\\n{this is not json\\n" + E + "\\n")
    elif mode == "array":
        sys.stdout.write(B + "\\n[1, 2]\\n" + E + "\\n")
    elif mode == "truncated":
        sys.stdout.write(B + "\\n" + json.dumps(doc([row("pkg/a.py")]))[:40])
    elif mode == "truncated_stderr":  # a patched stdlib function broke the probe mid-answer
        sys.stdout.write(B + "\\n")
        sys.stderr.write("Traceback (most recent call last):\\n  File x\\nTypeError: dumps() got an "
                         "unexpected keyword argument 'separators'\\x1b[0m\\n")
        sys.exit(1)
    elif mode == "silent":
        sys.stderr.write("bash: python3: command not found\\n")
        sys.exit(127)
    elif mode == "stall":
        sys.stdout.write(B + "\\n")
        sys.stdout.flush()
        time.sleep(60)
    elif mode == "flood":
        chunk = "A" * 65536
        while True:
            sys.stdout.write(chunk)
    elif mode == "bad_root":
        say(dict(doc(), root="relative/root"))
    elif mode == "bad_module":
        say(doc(modules={"pkg": {"status": "found", "index": "zero"}}))
    elif mode in ("module_path", "module_dots", "module_space"):
        name = {"module_path": "/etc", "module_dots": "pkg..up", "module_space": "os path"}[mode]
        res = {"status": "found", "kind": "package", "inside_root": False, "tree": "/etc", "index": 0}
        say(doc([row("pkg/a.py")], modules={name: res}, trees={"/etc": {"kind": "package", "files": [row("passwd.py")]}}))
    elif mode == "declared_small":
        say(doc([row("pkg/a.py", b"#" * 5000, size=10)]))
    elif mode == "declared_small_total":
        say(doc([row("a%d.py" % i, b"#" * 900, size=1) for i in range(3)]))
    elif mode == "tree_twice":
        res = {"status": "found", "kind": "package", "inside_root": False, "tree": "/lib/pkg", "index": 0}
        say(doc([row("pkg/a.py")], modules={"pkg": res},
                trees={"/lib/pkg": {"kind": "package", "files": [row("b.py"), row("b.py")]}}))
    elif mode == "values":
        sys.stdout.write(B + "\\n" + json.dumps(doc())[:-1] + ', "notes": [' + ",".join(["{}"] * 300000) + "]}\\n" + E + "\\n")
    elif mode == "long_int":
        sys.stdout.write(B + "\\n" + json.dumps(doc())[:-1] + ', "cwd": ' + "9" * 5000 + "}\\n" + E + "\\n")
    elif mode in ("background", "linger"):
        say(doc([row("pkg/a.py")]))
        sys.stdout.flush()
        if mode == "background":  # a child that keeps stdout open after the answer, its parent gone
            import subprocess
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        else:  # the command itself hangs on after answering (ssh waiting for such a child)
            time.sleep(60)
    """
)

HOSTILE = [
    ("dotdot", "escapes the root"),
    ("inner_dotdot", "escapes the root"),
    ("absolute", "absolute file path"),
    ("control", "control characters"),
    ("not_python", "not Python source"),
    ("symlink_out", "leak.py points outside the root"),
    ("big", "5000 bytes, over the 1000-byte size limit"),
    ("count", "over the 3-file count limit"),
    ("sha", "does not match its sha256"),
    ("short", "truncated"),
    ("base64", "not valid base64"),
    ("duplicate", "twice"),
    ("protocol", "unknown probe protocol"),
    ("error", "the probe failed: boom"),
    ("refused", "refused by the probe: more than 3 Python files"),
    ("not_json", "malformed JSON"),
    ("array", "not a JSON object"),
    ("truncated", "truncated"),
    ("truncated_stderr", "its stderr ends: Traceback (most recent call last): | File x | TypeError: dumps() got an "
                         "unexpected keyword argument 'separators'\\x1b[0m"),
    ("silent", "did not answer with a probe document"),
    ("stall", "did not answer within 1 s"),
    ("flood", "over the output limit"),
    ("bad_root", "invalid root"),
    ("bad_module", "invalid sys.path index"),
    ("module_path", "invalid module name, refusing: '/etc'"),
    ("module_dots", "invalid module name, refusing: 'pkg..up'"),
    ("module_space", "invalid module name"),
    ("declared_small", "5000 bytes, over the 1000-byte size limit"),
    ("declared_small_total", "is 900 bytes but declared 1"),
    ("tree_twice", "twice in /lib/pkg"),
    ("values", "JSON values, over the memory limit"),
    ("long_int", "malformed JSON"),
]


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fake") / "fake_remote.py"
    path.write_text(FAKE)
    return path


def hostile(fake: Path, mode: str) -> RemoteSnapshot:
    limits = Limits(max_files=3, max_file_bytes=1000, max_total_bytes=2000, timeout=1)
    return RemoteSnapshot(CommandProbe([PY, str(fake), mode], "/srv/app", limits), label=f"fake:{mode}")


def test_a_friendly_fake_remote_is_accepted_banner_and_all(fake: Path) -> None:
    snap = hostile(fake, "ok")
    assert snap.read("pkg/a.py") == b"x = 1\n" and snap.result.root == "/srv/app"


@pytest.mark.parametrize(("mode", "message"), HOSTILE, ids=[m for m, _ in HOSTILE])
def test_a_hostile_remote_is_refused(fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                                     message: str) -> None:
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    with pytest.raises(ProbeError) as err:
        hostile(fake, mode).entries()
    text = str(err.value)
    assert message in text
    assert "\x1b" not in text and len(text) < 1000
    assert time.monotonic() - started < 10  # a hang is cut at the timeout, a flood at the limit
    assert list(tmp_path.iterdir()) == [], "something was written locally"


@pytest.mark.parametrize(("command", "mode"), [("diff", "dotdot"), ("parity", "stall"), ("parity", "not_json")])
def test_hostile_remotes_through_the_cli_exit_2_without_traceback(fake: Path, tmp_path: Path, command: str,
                                                                  mode: str) -> None:
    local = tree(tmp_path / "local", {"pkg/a.py": "x = 1\n"})
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "CALLGRAPH_PROBE_TIMEOUT": "1"}
    spec = f"cmd:{PY} {fake} {mode}::/srv/app"
    proc = subprocess.run([PY, "-m", "callgraph", command, str(local), spec], capture_output=True, text=True,
                          timeout=60, cwd=work, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("callgraph: error:")
    assert proc.stdout == ""
    assert list(work.iterdir()) == []


def test_the_probe_document_round_trips_through_the_markers() -> None:
    out = subprocess.run([PY, "-B", str(SCRIPT_PATH), json.dumps({"root": str(SCRIPT_PATH.parent), "modules": ["json"]})],
                         capture_output=True, text=True, timeout=60).stdout
    assert out.startswith(BEGIN + "\n") and out.rstrip().endswith(END)
    doc = json.loads(out.split("\n")[1])
    assert doc["ok"] and "remote_probe.py" in [f["path"] for f in doc["files"]]
    assert doc["modules"]["json"]["kind"] == "package"


@pytest.mark.parametrize("mode", ["background", "linger"])
def test_the_answer_is_complete_at_the_end_marker(fake: Path, mode: str) -> None:
    """A background child holding stdout open, or a command that hangs on after answering, cannot
    turn a full answer into a timeout: reading stops at the end marker and the rest is stopped."""
    limits = Limits(max_files=3, max_file_bytes=1000, max_total_bytes=2000, timeout=20)
    started = time.monotonic()
    snap = RemoteSnapshot(CommandProbe([PY, str(fake), mode], "/srv/app", limits), label=f"fake:{mode}")
    assert snap.read("pkg/a.py") == b"x = 1\n"
    assert time.monotonic() - started < 10
    if mode == "linger":
        assert any("still running after answering" in n for n in snap.notes)


def test_a_module_name_asked_for_may_come_back_unresolved() -> None:
    """The honest probe answers a bad name we asked about with status "invalid": kept, never a path."""
    from probes.probe import build_result

    doc = {"protocol": 1, "ok": True, "root": "/srv/app", "files": [],
           "modules": {"not-a-name": {"status": "invalid"}, "pkg.mod": {"status": "not found"}}}
    result = build_result(doc, "cmd", "remote", Limits(), requested=["not-a-name", "pkg.mod"])
    assert result.modules["not-a-name"].status == "invalid"
    with pytest.raises(ProbeError, match="invalid module name"):
        build_result(doc, "cmd", "remote", Limits())
    doc["modules"]["not-a-name"]["status"] = "found"
    with pytest.raises(ProbeError, match="invalid module name"):
        build_result(doc, "cmd", "remote", Limits(), requested=["not-a-name"])


@pytest.mark.parametrize(("key", "value"), [
    ("version", "3.11<img src=x onerror=alert(1)>"), ("version", "3.11.7" + "x" * 40), ("version", "3.11.7 <b>"),
    ("implementation", "c`python`"), ("implementation", "x" * 65), ("platform", "linux<i>"),
    ("executable", "/usr/bin/py\nthon"), ("executable", "/usr/bin/\u202epython"), ("executable", "/" + "x" * 5000),
    ("executable", 42),
])
def test_the_remote_interpreter_fields_keep_a_real_interpreters_shape(key: str, value: object) -> None:
    """Printed in parity's interpreter line and table: a value of another shape is dropped, with a note."""
    from probes.probe import build_result

    good = {"version": "3.13.0rc1", "implementation": "cpython", "executable": "/opt/my python/bin/python3",
            "platform": "linux"}
    doc = {"protocol": 1, "ok": True, "root": "/srv/app", "files": [], "python": good}
    assert build_result(doc, "cmd", "remote", Limits()).python == {**good, "prefix": None, "base_prefix": None}
    doc["python"] = {**good, key: value}
    try:
        result = build_result(doc, "cmd", "remote", Limits())
    except ProbeError as exc:  # refused outright (not a string, too long)
        assert f"python.{key}" in str(exc)
        return
    assert result.python[key] is None and {k: v for k, v in result.python.items() if k != key} == {
        **{k: v for k, v in good.items() if k != key}, "prefix": None, "base_prefix": None}
    assert any(f"python.{key}" in n for n in result.notes)


@pytest.mark.parametrize("value", [
    {"a": [1, -2, 2.5, 1e300, None, True, False], "b": {}, "c": []},
    "plain ascii", "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f", "é ü 漢字 😀 \ud800",
    {"nested": [{"k": ("tuple", 1)}], "": ""},
])
def test_the_probe_encodes_json_as_json_dumps_does(value: object) -> None:
    """The probe's own encoder (a sitecustomize may replace json.dumps): the stdlib's bytes exactly."""
    from probes.remote_json import encode_json

    assert encode_json(value) == json.dumps(value, separators=(",", ":"))
