"""The parity summary names the cause, backed by the JSON report, and ends with a fix plan.

Scenarios are real: a local git repository, a sandbox directory with its own interpreter (a venv)
reached through the `cmd:` backend, and the truth established by running the entry point on both
sides. Every sentence of every kind is checked against the JSON report it claims to come from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from callgraph.commands.demo import DRIVER, MODULE, PACKAGE, SYMBOL, build
from callgraph.reports import demo_story
from callgraph.reports.parity import render, report_dict, summarise
from callgraph.reports.parity_causes import (CauseKind, GuardKind, Rule, StepKind, backing_problems, render as
                                             sentence)
from callgraph.reports.parity_diagnosis import code_difference
from callgraph.reports.parity_evidence import investigate
from callgraph.reports.tables import DEFAULT_WIDTH

PY = sys.executable


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def venv(path: Path) -> Path:
    subprocess.run([PY, "-I", "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True, timeout=120)
    return next(path.glob("lib/python3*/site-packages"))


def sandbox_prefix(home: Path, env_dir: Path) -> list[str]:
    return ["env", "-C", str(home), "-i", f"PATH={env_dir / 'bin'}:/usr/bin:/bin", f"HOME={home}"]


def spec_of(prefix: list[str], root: Path) -> str:
    import shlex

    return "cmd:" + shlex.join(prefix) + f"::{root}"


def run_entry(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


# -- unit: what "whitespace-only" means --------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "want"), [
    (b"x = 1\n", b"x = 1\r\n", "line endings"),
    (b"def f(a):\n    return a\n", b"def f(a):   \n\n    return a\n", "whitespace"),
    (b"x = f(1, 2)\n", b"x = f(1,2)  # sum\n", "comments and whitespace"),
    (b"x = 1\n", b"x = 2\n", ""),
    (b"if x:\n    y = 1\nz = 2\n", b"if x:\n    y = 1\n    z = 2\n", ""),  # indentation is code
    (b"s = 'a b'\n", b"s = 'a  b'\n", ""),  # inside a string is code
    (b"def f(:\n", b"def f( :\n", ""),  # unreadable: never called whitespace-only
])
def test_code_difference(a: bytes, b: bytes, want: str) -> None:
    assert code_difference(a, b) == want


# -- scenario: the code is the same, the environment makes it fail (a true negative) ----------------


@pytest.fixture(scope="module")
def same_code(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("same")
    files = {
        "svc/__init__.py": "",
        "svc/config.py": "import os\n\n\ndef rate() -> int:\n    return int(os.environ[\"SVC_RATE\"])\n",
        "run.py": "from svc.config import rate\n\nprint(rate() * 2)\n",
    }
    repo = demo_story.new_repo(base / "repo")
    write(repo, files)
    demo_story.commit_all(repo, "service")
    home = base / "sandbox" / "home"
    app = home / "app"
    # The upload went through a Windows checkout and an editor: CRLF and trailing blanks.
    write(app, {**files, "svc/config.py": files["svc/config.py"].replace("\n", "\r\n").encode(),
                "run.py": files["run.py"].replace("rate() * 2)", "rate() * 2)   ")})
    env_dir = base / "sandbox" / "venv"
    venv(env_dir)
    prefix = sandbox_prefix(home, env_dir)
    here = run_entry([PY, "run.py"], repo, {**os.environ, "SVC_RATE": "21"})
    there = run_entry(prefix[:1] + ["-C", str(app)] + prefix[3:] + ["python3", "run.py"], app)
    report = investigate(".", spec_of(prefix, app), cwd=repo)
    return {"here": here, "there": there, "report": report, "repo": repo}


def test_same_code_says_so_and_points_outside(same_code: dict) -> None:
    assert same_code["here"].returncode == 0 and same_code["here"].stdout == "42\n"
    assert same_code["there"].returncode == 1 and "KeyError: 'SVC_RATE'" in same_code["there"].stderr
    r = same_code["report"]
    assert [c.kind for c in r.causes][:2] == [CauseKind.SAME_CODE, CauseKind.WHITESPACE_ONLY]
    assert r.summary[0].startswith("The code that binds is the same on both sides (1 file identical, 2 differing "
                                   "only in whitespace) and no call fails only there: the failure comes from outside "
                                   "the code; compare environment variables, configuration, data and services.")
    assert r.summary[1] == ("`run.py`, `svc/config.py` differ only in line endings or whitespace: the tokens CPython "
                            "compiles are the same on both sides, so these differences cannot change what runs.")
    assert {row.path: row.difference for row in r.files} == {"run.py": "whitespace", "svc/__init__.py": "",
                                                           "svc/config.py": "line endings"}
    assert [s.kind for s in r.plan] == [StepKind.RESYNC_WHITESPACE, StepKind.LOOK_OUTSIDE]
    assert "environment variables (`env | sort` on both sides)" in sentence(r.plan[-1])
    assert not any("Root cause" in line for line in r.summary)


# -- scenario: a stale install of tag v0.4.0 in site-packages, and a third-party distribution --------


@pytest.fixture(scope="module")
def stale_tag(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("stale")
    repo = demo_story.new_repo(base / "repo")
    write(repo, {"app/__init__.py": "", "app/attr.py": "def get(obj, name):\n    return getattr(obj, name)\n"})
    demo_story.commit_all(repo, "attr: get")
    demo_story.git(repo, "tag", "v0.4.0")
    write(repo, {
        "app/attr.py": "def get(obj, name, default=None):\n    return getattr(obj, name, default)\n",
        "run.py": "import vendorlib\nfrom app.attr import get\n\nprint(get(object(), 'missing', vendorlib.DEFAULT))\n",
    })
    demo_story.commit_all(repo, "attr: a default")
    home = base / "sandbox" / "home"
    upload = home / "proj"
    write(upload, {"run.py": (repo / "run.py").read_text()})  # the package itself was pip-installed
    env_dir = base / "sandbox" / "venv"
    site = venv(env_dir)
    demo_story.export(repo, "v0.4.0", site / "_v")
    (site / "_v" / "app").rename(site / "app")
    shutil.rmtree(site / "_v")
    demo_story.dist_info(site, "app", "0.4.0")
    for where in (site, base / "local-site"):
        write(where, {"vendorlib/__init__.py": "DEFAULT = 1\n"})
        demo_story.dist_info(where, "vendorlib", "1.0")
    prefix = sandbox_prefix(home, env_dir)
    here = run_entry([PY, "run.py"], repo, {**os.environ, "PYTHONPATH": str(base / "local-site")})
    there = run_entry(prefix[:1] + ["-C", str(upload)] + prefix[3:] + ["python3", "run.py"], upload)
    report = investigate(".", spec_of(prefix, upload), modules=["app", "vendorlib"], cwd=repo,
                         local_path=[str(base / "local-site")])
    return {"here": here, "there": there, "report": report, "site": site, "upload": upload}


def test_stale_tag_names_the_version_the_install_and_no_upload_directory(stale_tag: dict) -> None:
    assert stale_tag["here"].returncode == 0 and stale_tag["here"].stdout == "1\n"
    message = "get() takes 2 positional arguments but 3 were given"
    assert stale_tag["there"].returncode == 1 and f"TypeError: {message}" in stale_tag["there"].stderr
    r, site = stale_tag["report"], stale_tag["site"]
    summary = "\n".join(r.summary)
    assert r.summary[0] == (f"Root cause: the remote runs a copy of `app/attr.py` (read from `{site}/app/attr.py`) "
                            f"whose `get` is `(obj, name)`, while the local file's is `(obj, name, default=...)`; "
                            f"1 call breaks only there: {message}.")
    assert r.summary[1].startswith("The remote runs `v0.4.0` of `app/attr.py`: its bytes are git blob ")
    assert r.summary[1].endswith(' "attr: get".')
    why = next(line for line in r.summary if line.startswith("Why:"))
    assert why.startswith(f"Why: the remote interpreter imports `app` from `{site}/app` (sys.path[")
    assert why.endswith("site-packages; installed distribution `app 0.4.0`); the upload has no copy of it.")
    assert str(stale_tag["upload"] / "app") not in summary and "not the upload" not in summary
    # vendorlib is an installed distribution's, not the project's: not "extra remotely", no "Why".
    assert "vendorlib/__init__.py" not in {row.path for row in r.files}
    assert r.installed == [("vendorlib/__init__.py", "vendorlib 1.0")]
    assert "0 extra remotely" in summary and "`vendorlib`" not in why
    assert "1 file the remote imports belong to installed distributions (`vendorlib 1.0`)" in summary
    (step, *_) = r.plan
    assert step.kind is StepKind.UNINSTALL_SHADOW
    assert sentence(step) == (f"The sandbox imports the stale copy of `app` from `{site}/app`: uninstall `app` there "
                              f"(`{site.parents[2]}/bin/python3 -m pip uninstall app`), then install the current code "
                              f"there (the upload holds no copy of it).")
    md = render(r, "markdown")
    assert "## Installed files (1: installed distributions', not the project's)" in md
    assert md.rstrip().splitlines()[-1].startswith("3. A sha256 manifest: at upload `sha256sum $(git ls-files")


# -- the demo: redefinition, fix plan at the end, 100 columns -----------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    story = build(tmp_path_factory.mktemp("demo"))
    report = investigate(".", story["spec"], modules=[MODULE], symbols=[SYMBOL], cwd=story["repo"],
                         local_path=[str(story["local_site"])])
    return {"story": story, "report": report}


def test_demo_fix_plan_and_recurrence_tests(demo: dict) -> None:
    r, site = demo["report"], demo["story"]["site"]
    driver = f"{PACKAGE}/drivers/{DRIVER}.py"
    plan = [sentence(s) for s in r.plan]
    assert plan[0] == (f"The sandbox imports the stale copy of `{PACKAGE}` from `{site / PACKAGE}`: uninstall "
                       f"`{PACKAGE}` there (`{site.parents[2]}/bin/python3 -m pip uninstall {PACKAGE}`), or put the "
                       f"upload (`{demo['story']['app'] / PACKAGE}/`) first on sys.path.")
    assert plan[1] == (f"Restore `_ddl_attempt`'s signature at `{driver}:112` (now `(self)`, the one bound) and "
                       f"delete the dead definition at :99, or delete the later one so the definition at :99 binds "
                       f"again; then redeploy.")
    assert plan[2].startswith("Pin `retrylib==1.0.4` in the remote environment (the version that binds here), or "
                              "change `osiris/fetch.py:8` to the signature retrylib 2.0.1 accepts: `(self, total=..., "
                              "allowed_methods=...")
    assert [g.kind for g in r.guards] == [GuardKind.PRE_COMMIT, GuardKind.CI_PARITY, GuardKind.MANIFEST]
    text = render(r, "text")
    assert max(len(line) for line in text.splitlines()) <= DEFAULT_WIDTH
    tail = text[text.index("## 8. Fix plan"):]
    assert "Tests to prevent recurrence:" in tail and '`callgraph parity . "$REMOTE" --fail-on drift`' in tail
    assert "## " not in tail[3:]  # the fix plan is the report's last section
    doc = json.loads(render(r, "json"))
    assert [s["kind"] for s in doc["fix_plan"]] == ["uninstall-shadow", "fix-redefinition", "pin-distribution",
                                                    "fix-both-sides"]
    assert doc["causes"][0]["kind"] == "redefinition" and doc["summary"][0] == doc["causes"][0]["text"]


def test_demo_command_ends_with_the_fix_plan(tmp_path: Path) -> None:
    proc = subprocess.run([PY, "-m", "callgraph", "demo", "--format", "text"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    parity = proc.stdout.split("$ callgraph diff", 1)[0]
    tail = parity[parity.index("## 8. Fix plan"):]
    assert "Tests to prevent recurrence:" in tail and "## " not in tail[3:]
    assert parity.rstrip().endswith("SHA256SUMS`.")
    assert max(len(line) for line in parity.splitlines()) <= DEFAULT_WIDTH


def test_fail_on(tmp_path: Path) -> None:
    l_, r_ = write(tmp_path / "l", {"a.py": "X = 1\n"}), write(tmp_path / "r", {"a.py": "X = 2\n"})

    def code(*extra: str) -> int:
        return subprocess.run([PY, "-m", "callgraph", "parity", str(l_), str(r_), "--no-environment", *extra],
                              capture_output=True, timeout=120).returncode

    assert (code(), code("--fail-on", "drift"), code("--fail-on", "findings"), code("--fail-on", "never")) == (1, 1, 0, 0)


# -- plain directories: the other kinds ------------------------------------------------------------------


LIB = "def f(a, b):\n    return a\n"
MAIN = "from .lib import f\n\n\ndef run():\n    return f(1, 2)\n"


def _dirs(tmp_path: Path, remote: dict[str, str], git: bool = False):
    local = {"app/__init__.py": "", "app/lib.py": LIB, "app/main.py": MAIN}
    l_ = write(tmp_path / "l", local)
    if git:
        demo_story.new_repo(l_)
        demo_story.commit_all(l_, "app")
    write(tmp_path / "r", {**local, **remote})
    return investigate("l", "r", cwd=tmp_path, environment=False)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict:
    t = tmp_path_factory.mktemp
    return {
        "changed": _dirs(t("changed"), {"app/lib.py": "def f(a):\n    return a\n"}, git=True),
        "caller": _dirs(t("caller"), {"app/main.py": MAIN.replace("f(1, 2)", "f(1)")}),
        "harmless": _dirs(t("harmless"), {"app/lib.py": '"""Library."""\n' + LIB}),
    }


def test_plain_directories(plain: dict) -> None:
    changed = plain["changed"]
    assert [c.kind for c in changed.causes][:2] == [CauseKind.CHANGED_SIGNATURE, CauseKind.UNKNOWN_VERSION]
    assert changed.summary[1].startswith("That remote copy of `app/lib.py` is git blob ")
    assert changed.summary[1].endswith(", on no local branch or tag.")
    assert sentence(changed.plan[0]).startswith("Redeploy `app/lib.py`: the remote's copy (sha256 ")
    assert plain["caller"].summary[0].startswith("1 call fails only remotely without a signature change")
    assert plain["harmless"].summary[0] == ("The remote copy drifted from the local one (1 file differs in code), but "
                                            "no call breaks because of it.")


# -- what callgraph could not see: the summary says so instead of "no call breaks" -----------------------

SHOP_NEW = "def render(amount, currency):\n    return f'{amount} {currency}'\n"
SHOP_OLD = "def render(amount):\n    return str(amount)\n"
SHOP_MAIN = "from shop.pricing import render\n\nprint(render(1, 'EUR'))\n"
FINDER = """import importlib.util
import sys

MAPPING = {'shop': %r}


class _Finder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname in MAPPING:
            return importlib.util.spec_from_file_location(
                fullname, MAPPING[fullname] + '/__init__.py', submodule_search_locations=[MAPPING[fullname]])
        return None


def install():
    sys.meta_path.append(_Finder)
"""


def _unseen_scenario(base: Path, upload: dict[str, str], site: dict[str, str | bytes], main: str = SHOP_MAIN) -> dict:
    files = {"shop/__init__.py": "", "shop/pricing.py": SHOP_NEW, "main.py": main}
    repo = demo_story.new_repo(base / "repo")
    write(repo, files)
    demo_story.commit_all(repo, "shop")
    home = base / "sandbox"
    app = home / "app"
    write(app, {k: v.replace("{main}", main) for k, v in upload.items()})
    env_dir = home / "venv"
    site_dir = venv(env_dir)
    write(site_dir, {k: v.replace("{base}", str(base)) if isinstance(v, str) else v for k, v in site.items()})
    prefix = sandbox_prefix(home, env_dir)
    here = run_entry([PY, "main.py"], repo)
    there = run_entry(prefix[:1] + ["-C", str(app)] + prefix[3:] + ["python3", "main.py"], app)
    report = investigate(".", spec_of(prefix, app), cwd=repo, environment=False)
    return {"here": here, "there": there, "report": report, "site": site_dir}


def _egg(base: Path) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("shop/__init__.py", "")
        zf.writestr("shop/pricing.py", SHOP_OLD)
    return buf.getvalue()


@pytest.fixture(scope="module")
def unseen(tmp_path_factory: pytest.TempPathFactory) -> dict:
    t = tmp_path_factory.mktemp
    old = {"old/shop/__init__.py": "", "old/shop/pricing.py": SHOP_OLD}
    editable = t("editable")
    write(editable, old)
    egg = f"shop-0.1-py{sys.version_info[0]}.{sys.version_info[1]}.egg"
    vendor_main = ("import os\nimport sys\nsys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "
                   "'vendor'))\n\n" + SHOP_MAIN)
    json_main = "import json\n\nfrom shop.pricing import render\n\nprint(json.dumps(render(1, 'EUR'), indent=2))\n"
    return {
        # setuptools' editable install: a .pth import line installs a meta-path finder; no sys.path entry holds shop
        "editable": _unseen_scenario(editable, {"main.py": "{main}"}, {
            "__editable__.shop-0.1.pth": "import __editable___shop_0_1_finder; __editable___shop_0_1_finder.install()\n",
            "__editable___shop_0_1_finder.py": FINDER % str(editable / "old" / "shop")}),
        # a zipped egg behind easy-install.pth
        "egg": _unseen_scenario(t("egg"), {"main.py": "{main}"}, {"easy-install.pth": f"./{egg}\n", egg: _egg(Path())}),
        # the program puts its vendor/ directory first on sys.path, holding an old copy
        "vendor": _unseen_scenario(t("vendor"), {"main.py": "{main}", "shop/__init__.py": "", "shop/pricing.py": SHOP_NEW,
                                                 "vendor/shop/__init__.py": "", "vendor/shop/pricing.py": SHOP_OLD},
                                   {}, vendor_main),
        # a log harness's sitecustomize replaces json.dumps: the code is the same on both sides
        "sitecustomize": _unseen_scenario(t("sitecustomize"), {"main.py": "{main}", "shop/__init__.py": "",
                                                                "shop/pricing.py": SHOP_NEW}, {
            "sitecustomize.py": "import json\n_orig = json.dumps\n\n\ndef _dumps(obj):\n    return _orig(obj)\n\n\n"
                                "json.dumps = _dumps\n"}, json_main),
    }


def test_what_callgraph_could_not_see_is_said(unseen: dict) -> None:
    for name, s in unseen.items():
        assert s["here"].returncode == 0, (name, s["here"].stderr)
        assert s["there"].returncode == 1, (name, s["there"].stdout)
        r = s["report"]
        assert not any("no call breaks" in line or line.startswith("No drift") for line in r.summary), (name, r.summary)
        assert StepKind.CHECK_UNSEEN in [p.kind for p in r.plan] and StepKind.LOOK_OUTSIDE not in [p.kind for p in r.plan]
        doc = report_dict(r)
        assert all(backing_problems(c, doc) == [] for c in r.causes + r.plan), name
    site = unseen["editable"]["site"]
    assert "render() takes 1 positional argument but 2 were given" in unseen["editable"]["there"].stderr
    assert unseen["editable"]["report"].summary[0] == (
        "callgraph could not see what `shop` runs remotely (the local side imports it, but no remote sys.path entry "
        f"holds it; the .pth file `{site}/__editable__.shop-0.1.pth` line 1 runs `import __editable___shop_0_1_finder; "
        "__editable___shop_0_1_finder.install()` at start-up, which can install an import hook for it); a call into it "
        "may fail there.")
    egg = unseen["egg"]
    assert "render() takes 1 positional argument but 2 were given" in egg["there"].stderr
    assert egg["report"].summary[0] == (
        f"callgraph could not see what `shop` runs remotely (the remote imports it from `{egg['site']}/shop-0.1-py"
        f"{sys.version_info[0]}.{sys.version_info[1]}.egg/shop/__init__.py`, which callgraph did not read); a call into "
        "it may fail there.")
    vendor = unseen["vendor"]
    assert "render() takes 1 positional argument but 2 were given" in vendor["there"].stderr
    assert vendor["report"].summary[0].startswith(
        "callgraph could not see what `shop` runs remotely (`main.py` line 3 changes sys.path at run time (`sys.path."
        "insert(0, os.path.join(")
    assert "and the upload holds another copy, `vendor/shop/`); a call into it may fail there." in \
        vendor["report"].summary[0]
    hook = unseen["sitecustomize"]
    assert "got an unexpected keyword argument 'indent'" in hook["there"].stderr
    assert hook["report"].summary[0] == (
        f"callgraph could not see what the start-up code `{hook['site']}/sitecustomize.py` (sitecustomize) does "
        "remotely: it runs before the program and can replace any module or function; a call may fail there.")
    assert report_dict(hook["report"])["unseen"] == [{"kind": "startup-code", "module": None, "line": None,
                                                     "where": f"{hook['site']}/sitecustomize.py",
                                                     "text": "sitecustomize", "also": None}]


# -- every sentence of every kind is backed by the JSON report ---------------------------------------------


def _reports(same_code, stale_tag, demo, plain, unseen=None) -> list:
    reports = [same_code["report"], stale_tag["report"], demo["report"], *plain.values(),
               *(s["report"] for s in (unseen or {}).values())]
    # The import model's extension point: a (kind, sentence, evidence[, step]) tuple becomes a cause.
    extra = plain["caller"]
    extra.summary = summarise(extra, _project(extra, "local"), _project(extra, "remote"), [(
        "pth", "A .pth file puts `/srv/old` ahead of the upload (`/remote_sys_path/0`).", ("/files/0/path",),
        "Delete the .pth line.")])
    return reports


def _project(r, side: str):
    from callgraph.pipeline import analyze_snapshot
    from callgraph.snapshots.spec import open_snapshot

    label = r.local_label if side == "local" else r.remote_label
    root = Path(r.files[0].local.origin if side == "local" else r.files[0].remote.origin).parents[1]
    with open_snapshot(label, root.parent) as snap:
        return analyze_snapshot(snap)


def test_every_sentence_is_backed_by_the_json_report(same_code, stale_tag, demo, plain, unseen) -> None:
    seen = set()
    for r in _reports(same_code, stale_tag, demo, plain, unseen):
        doc = report_dict(r)
        assert doc["summary"] == [s["text"] for s in doc["causes"]][: len(doc["summary"])]
        for s in r.causes + r.plan + r.guards:
            seen.add(s.kind)
            assert backing_problems(s, doc) == [], sentence(s)
            if s.kind is not GuardKind.PRE_COMMIT:
                assert s.fields and all(f.evidence for f in s.fields), s
            text = sentence(s)
            for f in s.fields:  # what the sentence shows is the field's value
                if f.rule in (Rule.EQUALS, Rule.COUNT, Rule.ORDINAL, Rule.TALLY) and isinstance(f.value, (str, int)) \
                        and not isinstance(f.value, bool) and f.name not in ("remote_only", "environment_calls"):
                    assert str(f.value) in text, (f, text)
                if f.rule is Rule.EACH:
                    assert all(str(v) in text for v in f.value), (f, text)
    every = set(CauseKind) | set(StepKind) | set(GuardKind)
    assert seen == every, f"kinds no scenario produced: {sorted(k.value for k in every - seen)}"


def test_a_pointer_that_leads_nowhere_or_a_wrong_value_is_caught(demo: dict) -> None:
    from callgraph.reports.parity_causes import Statement, field, tally

    doc = report_dict(demo["report"])
    bad = [Statement(CauseKind.FILES, (field("compared", 99, "/files/0", rule=Rule.COUNT),)),
           Statement(CauseKind.FILES, (tally("missing", 1, "/files", "status", "missing remotely"),)),
           Statement(CauseKind.VERSION, (field("ref", "v9", "/files/0/path"),)),
           Statement(CauseKind.VERSION, (field("ref", "v9", "/no/such"),))]
    assert all(backing_problems(s, doc) for s in bad)


# -- provenance: the remote copy's bytes under another path (a vendored copy of an old tag) -----------


def test_provenance_finds_the_blob_under_any_path_and_in_history(tmp_path: Path) -> None:
    v0, v1, v2 = ("def total(items):\n    return %s\n" % x for x in ("0", "sum(items)", "sum(items) + 1"))
    repo = demo_story.new_repo(tmp_path / "l")
    write(repo, {"shop/__init__.py": "", "shop/pricing.py": v0})
    old = demo_story.commit_all(repo, "v0 zero")[:7]
    write(repo, {"shop/pricing.py": v1})
    demo_story.commit_all(repo, "v0.1 sum")
    demo_story.git(repo, "tag", "v0.1")
    write(repo, {"shop/pricing.py": v2})
    demo_story.commit_all(repo, "v0.2 plus one")
    write(tmp_path / "r", {"shop/__init__.py": "", "shop/pricing.py": v2, "vendor/shop/pricing.py": v1,
                           "old/pricing.py": v0})
    r = investigate("l", "r", cwd=tmp_path, environment=False)
    rows = {row.path: row for row in r.files}
    p = rows["vendor/shop/pricing.py"].provenance_detail
    assert (p.path, p.refs, p.subject) == ("shop/pricing.py", ("v0.1",), "v0.1 sum")
    assert "the blob of `shop/pricing.py` at `v0.1`" in rows["vendor/shop/pricing.py"].provenance
    h = rows["old/pricing.py"].provenance_detail  # on no tip: the commit of the history that holds it
    assert (h.path, h.refs) == ("shop/pricing.py", (old,))
    assert report_dict(r)["files"][[f.path for f in r.files].index("vendor/shop/pricing.py")][
        "provenance_detail"]["path"] == "shop/pricing.py"
    version = [c for c in r.causes if c.kind is CauseKind.VERSION]
    doc = report_dict(r)
    assert all(backing_problems(c, doc) == [] for c in r.causes)
    assert not version or "is the blob of `shop/pricing.py` at `v0.1`" in " ".join(map(sentence, version))
