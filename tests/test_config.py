"""[tool.callgraph] in pyproject.toml: discovery, validation, overrides, and gitignore-style patterns."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from callgraph.config import (
    ConfigError,
    GitIgnoreSpec,
    code_enabled,
    find_config,
    load_config,
    resolve_config,
)

# -- gitignore-style patterns, checked against git itself --------------------------------------------

PATHS = [
    "a.py", "src/a.py", "src/pkg/b.py", "src/pkg/gen/c_pb2.py", "tests/test_a.py", "tests/data/x.py",
    "build/out.py", "pkg/build/z.py", "docs/conf.py", "a/b/c/d.py", "foo/bar.py", "bar/foo.py", "x[1].py",
    "src/foo/bar/baz.py", "abc.py", "ab.py", "migrations/0001.py", "app/migrations/0002.py", "deep/a/x/b/y.py",
]
PATTERNS = [
    ["*.py"], ["src/"], ["/src"], ["src"], ["build/"], ["**/gen/"], ["*_pb2.py"], ["tests/**"], ["tests/*"],
    ["**/foo"], ["foo/**/baz.py"], ["src/**/baz.py"], ["a/**/d.py"], ["a?.py"], ["a[bc].py"], ["a[!b]c.py"],
    ["src/", "!src/pkg/"], ["*.py", "!tests/*.py"], ["migrations/"], ["/migrations/"], ["deep/**/b/"], ["*/a.py"],
    ["*a*b*.py"], ["*a*a*"], ["a*/**/*y*"], ["**/*a*/**/b"], ["**/**/x.py"], ["deep/**/**/b/*"], ["s*c/*/*a*"],
    ["**"], ["src/**"], ["x\\[1\\].py"], ["tests/", "!tests/data/x.py"], ["*.py", "!src/"], ["**/pkg"], ["pkg/"],
    ["a/b"], ["b/c"], ["ab*"], ["***.py"], ["src/***"], ["# comment", "", "docs/"], ["\\#x.py", "!a.py", "*.py"],
]


def test_gitignore_spec_agrees_with_git(tmp_path: Path) -> None:
    """Differential: `git check-ignore --no-index` decides every (patterns, path) pair the same way."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    for p in PATHS:
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text("")
    disagreements = []
    for patterns in PATTERNS:
        (tmp_path / ".gitignore").write_text("\n".join(patterns) + "\n")
        out = subprocess.run(
            ["git", "check-ignore", "--no-index", "--stdin"],
            cwd=tmp_path,
            input="\n".join(PATHS),
            capture_output=True,
            text=True,
        ).stdout.split()
        spec = GitIgnoreSpec(patterns, tmp_path)
        for p in PATHS:
            if (p in out) != spec.match(p):
                disagreements.append((patterns, p, "git" if p in out else "not git"))
            assert spec.match_path(tmp_path / p) == spec.match(p)
    assert not disagreements, disagreements


@pytest.mark.parametrize(
    "pattern, path",
    [
        ("*a" * 40 + "*b", "a" * 250),  # stars in one segment: minutes with a backtracking regex
        ("*a" * 40 + "*b", "/".join(["a" * 200] * 20)),
        ("/" + "**/a/" * 40 + "b", "/".join(["a"] * 2000)),  # ** across segments
        ("/" + "*a*/**/" * 40 + "b", "/".join(["xax"] * 2000)),
        ("[a-z]*" * 60 + "!", "q" * 4000),
    ],
)
def test_patterns_match_in_linear_time(pattern: str, path: str) -> None:
    """Time stays flat as the pattern grows: the matcher never backtracks into any star but the
    last. Compared by ratio, not by a wall clock, so load cannot flake it: a pattern 8 times
    longer costs at most ~8 times more (an exponential matcher: 2**8 times and up)."""
    import time

    def cost(p: str) -> float:
        spec = GitIgnoreSpec([p])
        start = time.perf_counter()
        for _ in range(3):
            spec.match(path)
        return time.perf_counter() - start

    small = pattern[: max(len(pattern) // 8, 4)]
    cost(small)  # warm the regex cache
    t_small, t_big = min(cost(small) for _ in range(3)), min(cost(pattern) for _ in range(3))
    assert t_big < 2.0, t_big  # the old matcher took minutes on the first row
    assert t_big <= 40 * t_small + 0.05, (t_small, t_big)


def test_gitignore_spec_edges(tmp_path: Path) -> None:
    spec = GitIgnoreSpec(["docs/"], tmp_path)
    assert spec.match("docs", is_dir=True) and not spec.match("docs")  # a file named docs
    assert not spec.match_path(tmp_path.parent / "docs" / "x.py")  # outside the base
    assert not GitIgnoreSpec([])
    with pytest.raises(ValueError):
        GitIgnoreSpec(["/"])


# -- codes ------------------------------------------------------------------------------------------


def test_select_and_ignore_most_specific_wins() -> None:
    assert code_enabled("CG101", ["CG"], [])
    assert not code_enabled("CG101", ["CG"], ["CG1"])
    assert code_enabled("CG101", ["CG101"], ["CG1"])  # the longer prefix decides
    assert not code_enabled("CG102", ["CG101"], ["CG1"])
    assert not code_enabled("CG201", ["CG1"], [])
    assert not code_enabled("CG101", ["CG101"], ["CG101"])  # a tie ignores


# -- the file ---------------------------------------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "callgraph", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def findings(proc: subprocess.CompletedProcess) -> list[tuple[str, int, str]]:
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["path"], f["line"], f["code"]) for f in json.loads(proc.stdout)["findings"]]


def test_found_by_walking_up_past_a_pyproject_without_the_table(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.callgraph]\nignore = ['CG201']\n", "sub/pyproject.toml": "[project]\nname = 'x'\n"})
    (tmp_path / "sub" / "deeper").mkdir()
    assert find_config(tmp_path / "sub" / "deeper") == (tmp_path / "pyproject.toml").resolve()
    assert find_config(tmp_path / "sub" / "deeper" / "missing.py") == (tmp_path / "pyproject.toml").resolve()
    cfg = resolve_config(tmp_path / "sub")
    assert cfg.ignore == ("CG201",) and cfg.origins["ignore"] == str((tmp_path / "pyproject.toml").resolve())
    assert cfg.origins["select"] == "default"
    assert resolve_config(tmp_path / "sub", isolated=True).ignore == ()


FULL = """\
[tool.callgraph]
roots = ["src"]
include = ["src/", "tests/"]
exclude = ["**/migrations/"]
select = ["CG1", "CG201"]
ignore = ["CG105"]
per-file-ignores = { "tests/**" = ["CG102"] }
signature-preserving-decorators = ["mylib.retry"]
signature-mutators = ["functools.lru_cache"]
python = ".venv/bin/python"
environment = false
"""


def test_every_key_is_read(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": FULL})
    (tmp_path / "src").mkdir()
    cfg = load_config(tmp_path / "pyproject.toml")
    assert cfg.roots == ((tmp_path / "src").resolve(),)
    assert cfg.values() == {
        "roots": ["src"],
        "include": ["src/", "tests/"],
        "exclude": ["**/migrations/"],
        "select": ["CG1", "CG201"],
        "ignore": ["CG105"],
        "per-file-ignores": {"tests/**": ["CG102"]},
        "signature-preserving-decorators": ["mylib.retry"],
        "signature-mutators": ["functools.lru_cache"],
        "python": ".venv/bin/python",
        "environment": False,
    }
    assert cfg.python == str(tmp_path.resolve() / ".venv" / "bin" / "python")
    assert cfg.selects_file(tmp_path / "src" / "a.py")
    assert not cfg.selects_file(tmp_path / "src" / "app" / "migrations" / "0001.py")
    assert not cfg.selects_file(tmp_path / "setup.py")
    assert cfg.reports("CG101", tmp_path / "src" / "a.py")
    assert not cfg.reports("CG102", tmp_path / "tests" / "test_a.py")
    assert cfg.reports("CG102", tmp_path / "src" / "a.py")
    assert not cfg.reports("CG105") and not cfg.reports("CG000")


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("exlude = ['x']", ["exlude", "did you mean 'exclude'"]),
        ("per_file_ignores = {}", ["per_file_ignores", "per-file-ignores"]),
        ("select = 'CG101'", ["select", "got a string"]),
        ("select = ['CG999']", ["select", "'CG999'"]),
        ("ignore = [1]", ["ignore", "an integer"]),
        ("roots = 'src'", ["roots", "got a string"]),
        ("per-file-ignores = ['x']", ["per-file-ignores", "table"]),
        ("per-file-ignores = { 'x' = 'CG101' }", ["per-file-ignores", "got a string"]),
        ("per-file-ignores = { 'x' = ['XX1'] }", ["per-file-ignores", "'XX1'"]),
        ("signature-mutators = ['not a name']", ["signature-mutators", "'not a name'"]),
        ("signature-preserving-decorators = [true]", ["signature-preserving-decorators", "a boolean"]),
        ("exclude = ['']", ["exclude", "empty"]),
    ],
)
def test_a_bad_key_or_value_is_a_clear_error(tmp_path: Path, toml: str, words: list[str]) -> None:
    write(tmp_path, {"pyproject.toml": f"[tool.callgraph]\n{toml}\n", "m.py": "def f(): ...\n"})
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "pyproject.toml")
    for w in words:
        assert w in str(err.value)
    proc = cli(tmp_path, "check", ".")
    assert proc.returncode == 2
    assert proc.stderr.startswith("callgraph: error: ") and "Traceback" not in proc.stderr
    assert words[0] in proc.stderr and "pyproject.toml" in proc.stderr


def test_invalid_toml_and_non_table(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.callgraph\n"})
    proc = cli(tmp_path, "check", ".")
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr
    write(tmp_path, {"pyproject.toml": "[tool]\ncallgraph = 3\n"})
    proc = cli(tmp_path, "check", ".")
    assert proc.returncode == 2 and "[tool.callgraph] must be a table" in proc.stderr


def test_bad_command_line_values_exit_2(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "def f(): ...\n"})
    for args in (["--select", "CG7"], ["--per-file-ignores", "nocodes"], ["--mutator", "1x"], ["--root", "missing"]):
        proc = cli(tmp_path, "check", ".", *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (args, proc.stderr)


# -- the configuration at work ----------------------------------------------------------------------

PROJECT = {
    "src/app/__init__.py": "",
    "src/app/core.py": """\
        import functools
        import mylib

        def plain(a):
            return a

        @mylib.retry
        def retried(a):
            return a

        @functools.lru_cache
        def cached(a):
            return a
        """,
    "src/app/use.py": """\
        from app.core import plain, retried, cached

        plain()
        retried()
        cached(1, 2)
        """,
    "src/app/migrations/m0001.py": "from app.core import plain\nplain(1, 2)\n",
    "tests/test_core.py": "from app.core import plain\nplain()\n",
}


def test_configuration_drives_check(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)
    base = findings(cli(tmp_path, "check", ".", "--format", "json"))
    assert base == [
        ("src/app/migrations/m0001.py", 2, "CG101"),
        ("src/app/use.py", 3, "CG102"),
        ("src/app/use.py", 5, "CG101"),
        ("tests/test_core.py", 2, "CG102"),
    ]
    write(tmp_path, {"pyproject.toml": FULL})
    got = findings(cli(tmp_path, "check", ".", "--format", "json"))
    # migrations excluded; tests/ CG102 ignored per file; mylib.retry trusted (use.py:4 now checked);
    # lru_cache is a mutator (use.py:5 now unknown)
    assert got == [("src/app/use.py", 3, "CG102"), ("src/app/use.py", 4, "CG102")]
    # the config is found from a subdirectory of the project too
    sub = cli(tmp_path / "src" / "app", "check", ".", "--format", "json")
    assert [(p, n, c) for p, n, c in findings(sub)] == [("use.py", 3, "CG102"), ("use.py", 4, "CG102")]


def test_command_line_overrides_the_file(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)
    write(tmp_path, {"pyproject.toml": FULL})
    got = findings(cli(tmp_path, "check", ".", "--format", "json", "--exclude", "tests/", "--select", "CG101,CG102"))
    # --exclude replaces the file's list (migrations are back, tests are out); --select drops nothing here
    assert got == [("src/app/migrations/m0001.py", 2, "CG101"), ("src/app/use.py", 3, "CG102"), ("src/app/use.py", 4, "CG102")]
    got = findings(cli(tmp_path, "check", ".", "--format", "json", "--ignore", "CG102"))
    assert got == []
    got = findings(cli(tmp_path, "check", ".", "--format", "json", "--isolated"))
    assert ("src/app/use.py", 5, "CG101") in got
    got = findings(cli(tmp_path, "check", ".", "--format", "json", "--isolated", "--per-file-ignores", "src/app/use.py:CG101"))
    assert ("src/app/use.py", 5, "CG101") not in got and ("src/app/use.py", 3, "CG102") in got


def test_roots_name_modules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/shapes.py": "def area(w, h):\n    return w * h\n",
            "scripts/run.py": "from shapes import area\narea(1)\n",
        },
    )
    assert findings(cli(tmp_path, "check", ".", "--format", "json")) == []  # `shapes` is not a module here
    write(tmp_path, {"pyproject.toml": "[tool.callgraph]\nroots = ['lib', 'scripts']\n"})
    proc = cli(tmp_path, "check", ".", "--format", "json")
    assert findings(proc) == [("scripts/run.py", 2, "CG102")]
    assert json.loads(proc.stdout)["findings"][0]["target"] == "shapes.area"


def test_config_command_shows_values_and_origins(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.callgraph]\nexclude = ['build/']\nselect = ['CG1']\n"})
    proc = cli(tmp_path, "config", "--ignore", "CG105")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"# configuration file: {(tmp_path / 'pyproject.toml').resolve()}"
    assert any(line.startswith('exclude = ["build/"]') and line.endswith(str((tmp_path / "pyproject.toml").resolve())) for line in lines)
    assert any(line.startswith('ignore = ["CG105"]') and line.endswith("# --ignore") for line in lines)
    assert any(line.startswith("roots = []") and line.endswith("# default") for line in lines)
    doc = json.loads(cli(tmp_path, "config", "--format", "json").stdout)
    assert doc["values"]["select"] == ["CG1"] and doc["origins"]["select"].endswith("pyproject.toml")
    assert doc["origins"]["roots"] == "default"


def test_check_help_lists_the_options() -> None:
    out = subprocess.run([sys.executable, "-m", "callgraph", "check", "--help"], capture_output=True, text=True).stdout
    for flag in ("--config", "--isolated", "--include", "--exclude", "--select", "--ignore", "--per-file-ignores",
                 "--preserving", "--mutator", "--staged", "--show-suppressed", "--format", "sarif", "github", "markdown"):
        assert flag in out, flag
