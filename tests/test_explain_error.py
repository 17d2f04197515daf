"""`callgraph explain-error`: a logged TypeError explained against the demo's local repository and
its sandbox (a real `cmd:` remote: a python3 subprocess fed the probe).

The log lines are CPython's own: the message table is made by executing the calls, and the
traceback by running the sandbox's own interpreter on the demo package (our fixture, not code
under analysis), then prefixing every line with timestamps and log levels as a log collector does."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callgraph.commands import demo
from callgraph.errors import InputError
from callgraph.reports.explain_error import parse_log

SEED = "Supabase write failed: SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given"


class C:
    def m(self, a, /, b, *, c): ...


def _f(a, b=1, *, c): ...


def _g(): ...


CALLS = [
    lambda: C().m(1, 2, 3, c=1),
    lambda: C().m(1),
    lambda: C().m(1, 2),
    lambda: C().m(a=1, b=2, c=3),
    lambda: C().m(1, 2, c=3, d=4),
    lambda: _f(1, a=2, c=3),
    lambda: _f(),
    lambda: _g(1),
    lambda: _f(1, 2, 3),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("prefix", ["", "2026-11-30 02:57:46,199 ERROR app: write failed: ", '{"level":"error","msg":"'])
def test_parse_log_reads_cpythons_own_message(call, prefix: str) -> None:
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    logged = parse_log(prefix + message + ('"}' if prefix.startswith("{") else "") + "\n")
    assert logged.message == message
    assert logged.frames == ()
    assert message.startswith(logged.callee + "() ")


def test_parse_log_takes_the_frames_of_the_last_traceback() -> None:
    text = (
        "Traceback (most recent call last):\n  File \"/x/old.py\", line 3, in g\nValueError: no\n"
        "Traceback (most recent call last):\n"
        "  File \"/srv/app/main.py\", line 10, in <module>\n"
        "  File \"/srv/app/pkg/mod.py\", line 42, in run\n"
        "TypeError: f() got an unexpected keyword argument 'x'\n"
    )
    logged = parse_log(text)
    assert [(f.path, f.line, f.function) for f in logged.frames] == [
        ("/srv/app/main.py", 10, "<module>"), ("/srv/app/pkg/mod.py", 42, "run")]


@pytest.mark.parametrize("text", ["", "hello", "TypeError: unsupported operand type(s) for +: 'int' and 'str'"])
def test_parse_log_without_a_binding_error_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse_log(text)


# -- end to end, against the demo -----------------------------------------------------------------


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return demo.build(tmp_path_factory.mktemp("explain-demo"))


def explain_error(story: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALLGRAPH_CACHE_DIR": str(story["base"] / "cache")}
    return subprocess.run([sys.executable, "-m", "callgraph", "explain-error", *args], input=stdin, text=True,
                          capture_output=True, cwd=story["repo"], env=env, timeout=300)


def test_the_seeds_bare_log_line_against_the_demos_sandbox(story: dict) -> None:
    proc = explain_error(story, "-", "--remote", story["spec"], stdin=SEED + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    driver = "osiris/drivers/supabase_writer_driver.py"
    assert "found in remote, by the message" in out
    assert f"calls: {driver}:66:16, :72:9, :78:9" in out
    assert f"bound: {driver}:112 def _ddl_attempt(self) (read from {story['site']}/{driver})" in out
    assert "also defined at :99 def _ddl_attempt(self, conn: _MemoryConnection, sql: str, table: str, mode: str, " \
        "channel: str), dead: the later def wins" in out
    local = (story["repo"] / driver).read_bytes()
    remote = (story["site"] / driver).read_bytes()
    assert (f"{driver} differs: local sha256 {hashlib.sha256(local).hexdigest()[:16]}, "
            f"remote {hashlib.sha256(remote).hexdigest()[:16]}") in out
    assert f"local: the same calls bind; there it is {driver}:99 def _ddl_attempt(self, conn" in out
    assert ("predicted: SupabaseWriterDriver._ddl_attempt() takes 1 positional argument but 6 were given "
            "(equal to the log's)") in out
    assert len(out.splitlines()) <= 12


def test_a_real_traceback_with_log_prefixes(story: dict) -> None:
    """The sandbox's interpreter runs the stale driver; its logged traceback names the call's line."""
    home = story["sandbox"] / "home" / "user"
    script = (
        "import logging\n"
        "logging.basicConfig(format='%(asctime)s %(levelname)s %(name)s: %(message)s')\n"
        "from osiris.drivers import SupabaseWriterDriver\n"
        "d = SupabaseWriterDriver(url='memory://x').open()\n"
        "try:\n    d.add_column('t', 'c')\n"
        "except TypeError:\n    logging.getLogger('osiris').exception('Supabase write failed')\n"
    )
    python = story["sandbox"] / "venv" / "bin" / "python3"
    ran = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=home, timeout=60,
                         env={"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home)})
    assert "Traceback (most recent call last)" in ran.stderr, ran.stderr
    log = "".join(f"2026-11-30T02:00:00Z app[web.1]: {line}\n" for line in ran.stderr.splitlines())
    logfile = story["base"] / "sandbox.log"
    logfile.write_text(log)
    proc = explain_error(story, str(logfile), "--remote", story["spec"])
    assert proc.returncode == 0, proc.stderr
    assert "found in remote, by the traceback's frame osiris/drivers/supabase_writer_driver.py:78" in proc.stdout
    assert "call: osiris/drivers/supabase_writer_driver.py:78:9" in proc.stdout
    assert "(equal to the log's)" in proc.stdout


def test_not_in_the_local_copy_alone(story: dict) -> None:
    proc = explain_error(story, stdin=SEED)
    assert proc.returncode == 1, proc.stderr
    assert "not found" in proc.stdout
    assert "local: osiris/drivers/supabase_writer_driver.py:99 def _ddl_attempt(self, conn" in proc.stdout
    assert "give --remote SNAP" in proc.stdout


@pytest.mark.parametrize("args, stdin, says", [
    ((), "nothing to see\n", "no TypeError about a call's arguments"),
    (("missing.log",), "", "missing.log"),
    (("--remote", "no-such-ref"), SEED, "no-such-ref"),
])
def test_bad_input_exits_2_with_one_line(story: dict, args: tuple[str, ...], stdin: str, says: str) -> None:
    proc = explain_error(story, *args, stdin=stdin)
    assert proc.returncode == 2
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr



# -- without the demo: one local snapshot, the matching rules -----------------------------------------

REDEFINED = (
    "class Writer:\n"
    "    def attempt(self, conn, sql):\n        return 1\n\n"
    "    def attempt(self):\n        return 0\n\n"
    "    def create(self):\n"
    "        return self.attempt(\n            1,\n            2,\n        )\n"
)


def _local(tmp_path: Path):
    from callgraph.pipeline import analyze_snapshot
    from callgraph.reports.explain_error import Side
    from callgraph.snapshots.spec import open_snapshot

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "w.py").write_text(REDEFINED)
    snap = open_snapshot(str(tmp_path))
    return Side("local", str(tmp_path), snap, analyze_snapshot(snap))


def test_a_python_39_message_is_matched_by_name_with_a_note(tmp_path: Path) -> None:
    """Before 3.10 CPython named a method without its class: still found, and the difference said."""
    from callgraph.reports.explain_error import explain, render

    side = _local(tmp_path)
    ex = explain(parse_log("ERROR attempt() takes 1 positional argument but 3 were given"), [side])
    assert ex.explained and ex.via == "the qualified name"
    out = render(ex, [side])
    assert "predicted: Writer.attempt() takes 1 positional argument but 3 were given" in out
    assert "an interpreter before 3.10 names a method without its class" in out


def test_a_frame_on_a_later_line_of_a_multiline_call(tmp_path: Path) -> None:
    """Some interpreters report the line of the last argument: the call starting above is taken."""
    from callgraph.reports.explain_error import explain

    side = _local(tmp_path)
    text = (f'  File "/deploy/site-packages/pkg/w.py", line 11, in create\n'
            "TypeError: Writer.attempt() takes 1 positional argument but 3 were given\n")
    ex = explain(parse_log(text), [side])
    assert ex.explained and [(f.path, f.line) for f in ex.calls] == [("pkg/w.py", 9)]
    assert ex.via == "the traceback's frame pkg/w.py:11"


def test_a_frame_without_a_failing_call_falls_back_to_the_message_and_says_so(tmp_path: Path) -> None:
    from callgraph.reports.explain_error import explain, render

    side = _local(tmp_path)
    text = ('  File "/srv/pkg/w.py", line 2, in attempt\n'
            "TypeError: Writer.attempt() takes 1 positional argument but 3 were given\n")
    ex = explain(parse_log(text), [side])
    assert ex.explained and ex.via == "the message"
    assert "note: the traceback's last frame in a snapshot, local pkg/w.py:2, holds no call" in render(ex, [side])


# -- C functions' binding messages, as each interpreter on the machine words them ---------------------

NATIVE_CALLS = ["zip([1], [2], strict=True)", "abs(x=1)", "len()", "len(1, 2)", "getattr(1)", "range()",
                "print(foo=1)", "sorted([], 1)", "int.from_bytes()", "'a'.split(1, 2, 3)", "divmod(1)",
                "(1).bit_length(1)", "[].append()", "open()", "'a'.encode(foo=1)"]
NATIVE_PYTHONS = sorted({p for v in ("3.8", "3.9", "3.11", "3.13") for p in
                         __import__("glob").glob(f"/root/.pyenv/versions/{v}*/bin/python")})


@pytest.mark.skipif(not NATIVE_PYTHONS, reason="needs pyenv's interpreters")
@pytest.mark.parametrize("python", NATIVE_PYTHONS)
def test_parse_log_reads_c_functions_binding_messages(python: str) -> None:
    """Each interpreter's own words for a builtin's binding TypeError (zip's strict= before 3.10),
    found after log prefixes, with the callee it names."""
    code = ("import sys\nfor c in sys.argv[1:]:\n    try:\n        eval(c)\n    except TypeError as e:\n"
            "        print(e)\n    else:\n        print('-')\n")
    out = subprocess.run([python, "-c", code, *NATIVE_CALLS], capture_output=True, text=True, timeout=60).stdout
    messages = [m for m in out.splitlines() if m != "-"]
    assert len(messages) >= len(NATIVE_CALLS) - 1  # zip(strict=True) binds from 3.10 on
    for message in messages:
        logged = parse_log(f"2026-11-30 ERROR worker: {message}\n")
        assert logged.message == message, message
        assert logged.callee.split(".")[-1] in message and logged.callee.isidentifier() or "." in logged.callee


def test_a_c_functions_message_says_what_it_depends_on(tmp_path: Path) -> None:
    from callgraph.reports.explain_error import explain, render

    side = _local(tmp_path)
    text = ('  File "/srv/pkg/w.py", line 2, in attempt\n'
            "    return [p * q for p, q in zip(prices, quantities, strict=True)]\n"
            "TypeError: zip() takes no keyword arguments\n")
    logged = parse_log(text)
    assert (logged.message, logged.callee, logged.native) == ("zip() takes no keyword arguments", "zip", True)
    assert "note: zip is a C function (a builtin or an extension's): the arguments it accepts depend on the " \
           "interpreter's version and build; compare `python3 -VV` on both sides" in render(explain(logged, [side]), [side])
