"""`check --executor ray[:ADDRESS]`: fact extraction on Ray gives byte for byte what local workers give.

Real Ray throughout: one local instance (`ray.init(num_cpus=2)`) shared by the library tests, a
fresh one per `callgraph check` subprocess, and a head node started with `ray start --head` for
the by-address path. Tests marked `ray` skip when Ray is not installed (`pip install '.[ray]'`);
the usage errors and the missing-Ray message are checked either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callgraph.config import resolve_config
from callgraph.errors import InputError
from callgraph.pipeline import analyze_tree
from callgraph.reports import render
from callgraph.store.cache import FILE_NAME, FactsCache
from callgraph.store.ray_executor import RayExecutor, parse_executor

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
REQUESTS = Path("/tmp/corpus5/requests")  # a developer machine's corpus; CI has none
HAVE_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason="Ray is not installed (pip install '.[ray]')")


def cli(*args: str, cwd: Path | str = REPO, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def facts_rows(cache_dir: Path) -> list[tuple]:
    """Every stored facts entry of an analysed file, as the cache holds it: blob id, module,
    is_package, analyser, bytes. (Outside modules' interface facts, under their own keys, are read
    on the driver and remembered per process: not what an executor makes.)"""
    with sqlite3.connect(cache_dir / FILE_NAME) as conn:
        rows = conn.execute("SELECT blob, module, is_package, analyzer, data FROM facts ORDER BY blob, module, is_package").fetchall()
    return [row for row in rows if not row[0].startswith("interface-")]


def without_seconds(report: str) -> str:
    return re.sub(r'"seconds": [0-9.e+-]+', '"seconds": 0', report)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- what needs no Ray ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [
        ("spark", "unknown executor 'spark'"),
        ("ray:", "needs an ADDRESS"),
        ("ray:xyz", "not a Ray address: 'xyz'"),
        ("ray:host:0", "not a Ray address"),
        ("ray:ray://host:10001/path", "not a Ray address"),
        ("local:x", "unknown executor"),
    ],
)
def test_a_bad_executor_is_a_usage_error(value: str, words: str) -> None:
    proc = cli("check", "fixtures/layouts", "--executor", value)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("value, address", [("local", None), ("ray:auto", "auto"), ("ray:10.0.0.1:6379", "10.0.0.1:6379"),
                                            ("ray:ray://head:10001", "ray://head:10001"), ("ray:[::1]:6379", "[::1]:6379")])
def test_executor_forms(value: str, address: str | None) -> None:
    if address is not None and not HAVE_RAY:
        pytest.skip("Ray is not installed (pip install '.[ray]')")
    assert parse_executor(value) == address


def test_without_ray_the_error_says_how_to_install_it() -> None:
    """`sys.modules['ray'] = None` is how Python itself spells "this import fails"."""
    code = "import sys; sys.modules['ray'] = None; from callgraph.commands.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, "check", "fixtures/layouts", "--executor", "ray"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "pip install 'callgraph[ray]'" in proc.stderr, proc.stderr


def test_few_files_never_reach_ray() -> None:
    """Below `min_files` misses the executor extracts in-process: Ray is neither imported nor started."""
    sources = [(f"m{k}.py", f"m{k}", False, f"def f{k}(a): ...\nf{k}()\n".encode()) for k in range(3)]
    executor = RayExecutor("127.0.0.1:1", jobs=2)
    got = list(executor.extract(sources, [0, 1, 2], encode=True))
    assert sorted((i, facts.module) for i, facts, _ in got) == [(0, "m0"), (1, "m1"), (2, "m2")]
    assert executor.extracted == 0 and executor._ray is None


# -- one local Ray instance for the library tests --------------------------------------------------


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install '.[ray]')")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.mark.ray
@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_project_same_on_ray(name: str, local_ray, tmp_path: Path) -> None:
    """Each fixture project, analysed with local workers and on Ray: the same report, and the same
    facts stored under the same blob ids."""
    project_dir = FIXTURES / name
    cfg = resolve_config(project_dir)
    reports, rows = [], []
    for mode in ("local", "ray"):
        cache_dir = tmp_path / mode
        executor = RayExecutor("", jobs=2, min_files=0) if mode == "ray" else None
        with FactsCache.open(cache_dir) as cache:
            project = analyze_tree([str(project_dir)], cfg, cache, None, 2, None, executor)
            reports.append(without_seconds(render.json_report(project, sorted(project.findings(), key=lambda f: f.sort_key))))
        rows.append(facts_rows(cache_dir))
        if executor is not None:
            assert executor.extracted == len(project.files) > 0
            executor.close()  # a connection it did not make stays open
            assert local_ray.is_initialized()
    assert reports[0] == reports[1]
    assert rows[0] == rows[1] and rows[0]


@pytest.mark.ray
def test_a_worker_that_dies_is_one_error(local_ray) -> None:
    def die(items):
        os._exit(1)

    class Dying(RayExecutor):
        remote_function = staticmethod(die)

    sources = [(f"m{k}.py", f"m{k}", False, b"x = 1\n") for k in range(4)]
    with pytest.raises(InputError, match=r"^--executor ray: the Ray cluster failed: \w+") as info:
        list(Dying("", min_files=0).extract(sources, list(range(4))))
    assert "\n" not in str(info.value)


@pytest.mark.ray
def test_workers_of_another_build_are_refused(local_ray) -> None:
    def other(items):
        return "callgraph 0.0.0; another build", []

    class Other(RayExecutor):
        remote_function = staticmethod(other)

    sources = [(f"m{k}.py", f"m{k}", False, b"x = 1\n") for k in range(4)]
    with pytest.raises(InputError, match="another build"):
        list(Other("", min_files=0).extract(sources, list(range(4))))


# -- the command, each run with its own Ray -------------------------------------------------------


def _targets() -> list:
    real = pytest.param(REQUESTS, id="requests", marks=pytest.mark.skipif(not REQUESTS.is_dir(), reason=f"no {REQUESTS} here"))
    return [pytest.param(FIXTURES, id="fixtures"), pytest.param(REPO / "callgraph", id="callgraph-package"), real]


@pytest.mark.ray
@needs_ray
@pytest.mark.parametrize("source", _targets())
def test_check_on_ray_is_byte_identical(source: Path, tmp_path: Path) -> None:
    """`check --executor ray` (a local instance of -j 2 CPUs) against `check -j 2`: the same report
    byte for byte (less the seconds it took), and the same facts in the cache."""
    tree = tmp_path / "tree"
    shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__"))
    outputs, rows = [], []
    for mode in ("local", "ray"):
        extra = ["--executor", "ray"] if mode == "ray" else []
        proc = cli("check", ".", "--format", "json", "--isolated", "-j", "2", "--cache-dir", str(tmp_path / mode), "-v", *extra,
                   cwd=tree, env={"RAY_ADDRESS": ""})
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr
        if mode == "ray":
            files = re.search(r"executor: ray \(a local instance\); (\d+) files? extracted there", proc.stderr)
            assert files and int(files.group(1)) > 0, proc.stderr
        outputs.append(without_seconds(proc.stdout))
        rows.append(facts_rows(tmp_path / mode))
    assert outputs[0] == outputs[1]
    assert rows[0] == rows[1] and rows[0]


@pytest.mark.ray
@needs_ray
def test_a_warm_run_never_reaches_ray(tmp_path: Path) -> None:
    """Nothing to extract, nothing to connect to: an address where nobody answers is not even tried."""
    args = ("check", "fixtures", "--format", "json", "--cache-dir", str(tmp_path))  # 164 files: Ray's share
    first = cli(*args)
    second = cli(*args, "--executor", f"ray:127.0.0.1:{free_port()}")
    assert second.returncode == first.returncode, second.stderr
    reports = [json.loads(first.stdout), json.loads(second.stdout)]
    assert reports[1]["stats"]["cache_misses"] == 0
    for report in reports:
        del report["stats"]
    assert reports[0] == reports[1]


@pytest.mark.ray
@needs_ray
def test_an_address_nobody_answers_is_one_line(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = cli("check", "fixtures", "--no-cache", "--executor", f"ray:127.0.0.1:{free_port()}")
    assert time.monotonic() - started < 120
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "no Ray head node answers at 127.0.0.1:" in proc.stderr, proc.stderr


@pytest.mark.ray
@needs_ray
def test_a_cluster_by_address(tmp_path: Path) -> None:
    """`ray start --head` in its own process group (ended by its id, never `ray stop`, which ends
    every Ray on the machine), then `--executor ray:127.0.0.1:PORT`: callgraph is shipped to the
    cluster with the job, and the report is the local one."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("no ray command beside this interpreter")
    port = free_port()
    head = subprocess.Popen(
        [str(ray_bin), "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false", "--block",
         "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert head.poll() is None, "ray start --head exited"
                time.sleep(1)
        tree = tmp_path / "tree"
        shutil.copytree(FIXTURES, tree, ignore=shutil.ignore_patterns("__pycache__"))
        args = ("check", ".", "--format", "json", "--isolated", "--no-cache", "-j", "2")
        local = cli(*args, cwd=tree)
        remote = cli(*args, "-v", "--executor", f"ray:127.0.0.1:{port}", cwd=tree)
        assert remote.returncode == local.returncode, remote.stderr
        assert re.search(rf"executor: ray \(127\.0\.0\.1:{port}\); \d+ files extracted there", remote.stderr), remote.stderr
        assert without_seconds(remote.stdout) == without_seconds(local.stdout)
    finally:
        try:
            os.killpg(head.pid, signal.SIGTERM)
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(timeout=60)
        except ProcessLookupError:
            pass
