"""Every command, run as the installed console script, against hostile names and arguments.

Two promises of docs/RELIABILITY.md, each as a table:

- **Every report is safe to paste**: file and module names holding a newline followed by a
  workflow command, ESC sequences, CR, U+2028, a bidi override, backticks and pipes, `##[`, HTML
  and bytes that are not UTF-8 reach every text format of every command (`check`, `diff`,
  `parity`, `signatures`, `callers`, `path`, `graph --format dot`) escaped: no raw control
  character, no line that GitHub's runner would take for a command but the `github` format's own,
  and Markdown tables whose rows keep their column count.
- **No traceback, whatever the input**: each hostile argument gives exit 2 and exactly one line
  on stderr (a full disk too); a closed pipe is quiet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "callgraph")
REPO = Path(__file__).resolve().parent.parent
LONG_NAME = "a" * 5000  # one name longer than NAME_MAX
LONG_PATH = "/".join(["b" * 250] * 20)  # names that fit, a path longer than PATH_MAX

# name (as bytes: some are not UTF-8) -> what it tries
HOSTILE_NAMES: dict[str, bytes] = {
    "newline-command": b"a\n::error file=x.py::pwned",
    "line-starts-command": b"::warning title=x::pwned",
    "old-command": b"x ##[error]pwned",
    "esc": b"esc\x1b[31mred\x1b]0;title\x07",
    "cr": b"cr\rback",
    "c1": "c1\x85\x9b".encode(),
    "line-separator": "ls\u2028ps\u2029".encode(),
    "bidi": "bidi\u202eyp\u2066".encode(),
    "markdown": b"b`tick|pipe``<script>x</script>&amp;",
    "not-utf8": b"bad\xff\xfe",
}

# `parity` refuses a snapshot path with a C0 or C1 control character (the remote's rule, kept for
# local directories); the names it accepts must still print escaped.
PARITY_NAMES = {k: v for k, v in HOSTILE_NAMES.items() if not re.search(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]", v)}

SOURCE = b"def f(a):\n    return a\n\nf(1, 2)\n"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdout=subprocess.PIPE, timeout: float = 120):
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([CLI, *args], cwd=cwd, env=full_env, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One package per hostile name (a directory and a module named after it), each with a
    function `f` and a call that cannot bind, so the names reach paths, targets and messages."""
    root = tmp_path_factory.mktemp("hostile")
    for tree_name, names in (("tree", HOSTILE_NAMES), ("ptree", PARITY_NAMES)):
        tree = root / tree_name
        tree.mkdir()
        for i, name in enumerate(names.values()):
            d = os.path.join(os.fsencode(tree), b"p%d_" % i + name.replace(b"/", b"_"))
            os.mkdir(d)
            with open(os.path.join(d, name.replace(b"/", b"_") + b".py"), "wb") as f:
                f.write(SOURCE)
    (root / "empty").mkdir()
    (root / "cache").mkdir()
    return root


def assert_safe(out: bytes, *, fmt: str) -> None:
    """No raw control character, no command line but ours, Markdown rows of one width."""
    text = out.decode("utf-8")  # every report is UTF-8 (names that are not are escaped)
    bad = sorted({hex(ord(c)) for c in text if c != "\n" and not c.isprintable()})
    assert not bad, f"raw non-printable characters {bad} in:\n{text[:2000]}"
    assert "##[" not in text, text[:2000]
    for line in text.split("\n"):
        if line.lstrip().startswith("::"):
            assert fmt == "github" and re.match(r"^::(error|notice) file=[^,:]*(,line=\d+,col=\d+)?,title=[^,:]*::", line), line
    if fmt == "markdown":
        widths = set()
        for line in text.split("\n"):
            if line.startswith("|"):
                widths.add(len(re.findall(r"(?<!\\)\|", line)))
            elif widths:
                assert len(widths) == 1, f"a row of another width in a table:\n{text[:3000]}"
                widths = set()
        assert len(widths) <= 1, text[:3000]


COMMANDS = [
    ("check", ["check", "tree", "--no-cache"], ("text", "github", "markdown", "json", "sarif", "html")),
    ("check -o", ["check", "tree", "--no-cache", "-o", "report.out"], ("text", "github", "markdown", "sarif", "html")),
    ("diff", ["diff", "empty", "tree", "--no-cache"], ("text", "markdown", "json", "html")),
    ("parity", ["parity", "empty", "ptree"], ("markdown", "json", "html")),
    ("signatures", ["signatures", "f", "tree", "--no-cache"], ("text", "markdown", "json")),
    ("callers", ["callers", "f", "tree", "--no-cache"], ("text",)),
    ("graph", ["graph", "tree", "--no-cache"], ("dot", "json")),
]


@pytest.mark.parametrize("ioencoding", ["", "utf-8"])
@pytest.mark.parametrize(
    "command, fmt", [(name, fmt) for name, _, fmts in COMMANDS for fmt in fmts], ids=lambda v: str(v).replace(" ", "")
)
def test_every_report_is_safe_to_paste(hostile_tree: Path, command: str, fmt: str, ioencoding: str) -> None:
    args = next(a for name, a, _ in COMMANDS if name == command)
    env = {"PYTHONIOENCODING": ioencoding} if ioencoding else {}
    env["CALLGRAPH_CACHE_DIR"] = str(hostile_tree / "cache")
    if command == "signatures":  # one of the many `f`s: the one in the `markdown` package, the rest as candidates
        args = ["signatures", "f", "tree", "--no-cache"]
    report = hostile_tree / "report.out"
    report.unlink(missing_ok=True)
    r = run(*args, "--format", fmt, cwd=hostile_tree, env=env)
    err = r.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in r.stderr, err
    assert r.returncode in (0, 1, 2), err
    if r.returncode == 2:  # `signatures f` and `callers f`: ambiguous; the candidates are escaped too
        assert "is ambiguous" in err, err
        assert_safe(r.stderr, fmt="text")
        return
    out = report.read_bytes() if "-o" in args else r.stdout
    assert out.strip()
    assert_safe(out, fmt=fmt)
    assert_safe(r.stderr, fmt="text")  # notes and the summary too
    if fmt == "html":  # the names are text on the page: no tag of theirs, no character that is not escaped
        assert b"<script" not in out and b"&lt;script&gt;x&lt;_script&gt;" in out and b"\\xff\\xfe" in out
    if fmt in ("text", "github", "markdown") and command == "check":
        assert out.count(b"CG101") == len(HOSTILE_NAMES)  # one finding a name: none split or lost


def test_parity_refuses_control_characters_in_one_line(hostile_tree: Path) -> None:
    r = run("parity", "empty", "tree", cwd=hostile_tree)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert b"control characters" in r.stderr
    assert_safe(r.stderr, fmt="text")


def test_path_walks_and_signatures_show_hostile_names_escaped(hostile_tree: Path) -> None:
    """A symbol named through a hostile module: `signatures`, `callers` and `path` print it escaped."""
    name = "p9_bad\udcff\udcfe.bad\udcff\udcfe.f"  # the module that is not UTF-8
    arg = os.fsdecode(os.fsencode(name))
    for args in (["signatures", arg, "tree"], ["callers", arg, "tree"], ["path", arg, arg, "tree"]):
        r = run(*args, "--no-cache", cwd=hostile_tree)
        assert b"Traceback" not in r.stderr, r.stderr
        assert r.returncode in (0, 1), (args, r.stderr)
        assert b"bad\\xff\\xfe" in r.stdout, r.stdout
        assert_safe(r.stdout, fmt="text")


# -- no traceback: exit 2 and one line -----------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_places(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("places")
    subprocess.run(["git", "init", "-q", str(root / "repo")], check=True)
    (root / "repo" / "a.py").write_text("def f(a):\n    return a\n\nf(1, 2)\n")
    for d in ("deep", "notutf8"):
        (root / d / "sub").mkdir(parents=True)
        (root / d / "sub" / "a.py").write_text("def f(a):\n    return a\n")
    # any parent directory: the configuration search walks up from the analysed path
    (root / "deep" / "pyproject.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    (root / "notutf8" / "pyproject.toml").write_bytes(b'[tool.callgraph]\nexclude = ["\xff\xfe"]\n')
    fake = root / "fake-remote"  # a `cmd:` remote whose answer holds an integer int() refuses
    from probes.probe import BEGIN, END

    fake.write_text(
        "#!/bin/sh\ncat >/dev/null\n"
        f"printf '%s\\n' '{BEGIN}' '{{\"protocol\": 1, \"files\": [], \"size\": {'9' * 5000}}}' '{END}'\n"
    )
    fake.chmod(0o755)
    (root / "d1").mkdir()
    (root / "fixable").mkdir()  # `fix` has a diff to print
    (root / "fixable" / "m.py").write_text("def f(colour):\n    return colour\n\n\nf(color=1)\n")
    return root


HOSTILE_ARGS = [
    # paths and refs the file system cannot hold
    (["check", LONG_NAME], "repo", {}),
    (["check", LONG_PATH], "repo", {}),
    (["check", ".", "-o", LONG_NAME], "repo", {}),
    (["check", ".", "--config", LONG_NAME], "repo", {}),
    (["check", ".", "--cache-dir", LONG_NAME], "repo", {}),
    (["check", ".", "--baseline", LONG_NAME], "repo", {}),
    (["graph", LONG_NAME], "repo", {}),
    (["graph", ".", "-o", LONG_PATH], "repo", {}),
    (["signatures", "f", LONG_NAME], "repo", {}),
    (["signatures", "f", ".", "--at", LONG_NAME], "repo", {}),
    (["callers", "f", LONG_NAME], "repo", {}),
    (["path", "f", "f", LONG_NAME], "repo", {}),
    (["config", LONG_NAME], "repo", {}),
    (["diff", LONG_NAME, "HEAD"], "repo", {}),
    (["diff", "HEAD", LONG_PATH], "repo", {}),
    (["parity", LONG_NAME, "."], "repo", {}),
    (["demo", "--keep", LONG_NAME], "repo", {}),
    # a configuration in a parent directory: nested 100,000 deep, or not UTF-8
    (["check", "."], "deep/sub", {}),
    (["config"], "deep/sub", {}),
    (["check", "."], "notutf8/sub", {}),
    # numbers that are not finite, or too long for int()
    (["parity", "d1", "d1", "--timeout", "nan"], ".", {}),
    (["parity", "d1", "d1", "--timeout", "inf"], ".", {}),
    (["parity", "d1", "d1", "--timeout", "-1"], ".", {}),
    (["parity", "d1", "d1", "--max-files", "9" * 5000], ".", {}),
    (["parity", "d1", "d1"], ".", {"CALLGRAPH_PROBE_TIMEOUT": "nan"}),
    (["parity", "d1", "d1"], ".", {"CALLGRAPH_PROBE_TIMEOUT": "-inf"}),
    (["parity", "d1", "d1"], ".", {"CALLGRAPH_PROBE_MAX_FILES": "9" * 5000}),
    (["parity", "d1", "cmd:{fake}::/app"], ".", {}),  # a remote JSON integer of 5,000 digits
    (["check", ".", "-j", "9" * 5000], "repo", {}),
    (["check", ".", "--max-file-size", "9" * 5000 + "K"], "repo", {}),
    # demo --keep: devices, kernel file systems, a file
    (["demo", "--keep", "/dev/null"], ".", {}),
    (["demo", "--keep", "/proc/self"], ".", {}),
    (["demo", "--keep", "/proc/callgraph-demo"], ".", {}),
    (["demo", "--keep", "/sys/callgraph-demo"], ".", {}),
    (["demo", "--keep", "repo/a.py"], ".", {}),
    # names and codes that do not exist, usage mistakes
    (["explain", "CG999"], ".", {}),
    (["check", ".", "--format", "\n::error::x"], "repo", {}),
    (["signatures", "no\n::error::such", "."], "repo", {}),
]


@pytest.mark.parametrize("args, where, env", HOSTILE_ARGS, ids=lambda v: re.sub(r"(.)\1{20,}", r"\1...", str(v))[:60])
def test_hostile_arguments_exit_2_with_one_line(hostile_places: Path, args: list[str], where: str, env: dict) -> None:
    args = [a.replace("{fake}", str(hostile_places / "fake-remote")) for a in args]
    r = run(*args, cwd=hostile_places / where, env={"CALLGRAPH_CACHE_DIR": str(hostile_places / "cache"), **env})
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert r.returncode == 2, (r.returncode, err, r.stdout[-500:])
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err.startswith("callgraph"), err
    assert_safe(r.stderr, fmt="text")


@pytest.mark.parametrize(
    "args",
    [
        ["check", "."],
        ["check", ".", "--format", "json"],
        ["check", ".", "--format", "sarif"],
        ["fix", "../fixable"],
        ["graph", "."],
        ["signatures", "f", "."],
        ["config"],
        ["explain", "CG101"],
        ["explain"],
        ["cache", "info"],
    ],
    ids=" ".join,
)
def test_a_full_disk_is_one_line_and_exit_2(hostile_places: Path, args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        r = run(*args, cwd=hostile_places / "repo", env={"CALLGRAPH_CACHE_DIR": str(hostile_places / "cache")}, stdout=full)
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err, err
    assert err == "callgraph: error: cannot write the output: No space left on device\n", err


@pytest.mark.parametrize(
    "args",
    [["graph", "fixtures", "--no-cache"], ["check", "fixtures", "--no-cache", "--format", "sarif"], ["fix", "fixtures", "--no-cache"]],
    ids=" ".join,
)
def test_a_closed_pipe_is_quiet(args: list[str]) -> None:
    """`callgraph ... | head -1`: the reader has gone; nothing on stderr, no traceback."""
    read, write = os.pipe()
    os.close(read)
    try:
        r = run(*args, cwd=REPO, stdout=write)
    finally:
        os.close(write)
    assert r.stderr == b"" or b"finding" in r.stderr and b"Traceback" not in r.stderr, r.stderr  # fix: the diff fails first
    assert r.returncode == 2


@pytest.mark.parametrize("args", [["explain", "CG101"], ["fix", "../fixable"]], ids=" ".join)
def test_stdout_closed_is_one_line(hostile_places: Path, args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-c", f"import os, sys; os.close(1); os.execv({CLI!r}, [{CLI!r}, *{args!r}])"],
        cwd=hostile_places / "repo",
        stderr=subprocess.PIPE,
        timeout=60,
    )
    assert r.returncode == 2 and len(r.stderr.decode().splitlines()) == 1, r.stderr


def test_fix_write_with_stdout_closed_writes_and_says_so(tmp_path: Path) -> None:
    """`fix --write >&-`: nothing goes to stdout, so the files are written and the run ends cleanly."""
    (tmp_path / "m.py").write_text("def f(colour):\n    return colour\n\n\nf(color=1)\n")
    r = subprocess.run(
        [sys.executable, "-c", f"import os, sys; os.close(1); os.execv({CLI!r}, [{CLI!r}, 'fix', '.', '--write', '--no-cache'])"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
    assert "f(colour=1)" in (tmp_path / "m.py").read_text()
