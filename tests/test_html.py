"""`--format html` for check, diff and parity: one self-contained page, every field escaped.

Always run: the page parsed with the standard library's html.parser (every tag closed in order,
no script, nothing fetched), the pictures parsed as XML, hostile names and messages (`<script>`,
quotes, bidi, NUL) shown as text and never as markup. With a browser installed (Debian's
chromium; playwright when importable, else chromium's own --dump-dom): the page rendered
headless, a screenshot saved into pytest's tmp directory, and the key text checked visible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from callgraph.commands.cli import main
from callgraph.facts.findings import Code, Finding, FixKind, Location, Suggestion
from callgraph.reports import html, html_graph
from callgraph.reports.escape import html_columns, html_text

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
SVG_EMPTY = {"path", "rect", "line", "polygon", "ellipse", "circle", "polyline"}  # self-closed in our SVG and dot's

SAMPLE = '''\
def resize(image, width, height):
    return image


def attempt(self, sql):
    return sql


def attempt(self):
    return None


def caller():
    resize(None, width=640, heigth=480)
    attempt(1, 2, 3, 4, 5, 6)


class K:
    def m(self):
        attempt(1, "<script>alert(1)</script>")
'''


class Page(HTMLParser):
    """A strict reading: tags must nest and close; text, tags and attributes collected."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.errors: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> Page:
    p = Page()
    p.feed(document)
    p.close()
    assert p.doctype and not p.errors and not p.stack, (p.errors, p.stack)
    return p


def self_contained(document: str) -> Page:
    """Parsed, with nothing that runs or fetches: no script, no handler, no URL but SVG's namespace."""
    p = parse(document)
    assert "script" not in p.tags and "iframe" not in p.tags and "img" not in p.tags and "link" not in p.tags
    assert not [a for a, _ in p.attrs if a.startswith("on")]
    urls = {(a, v) for a, v in p.attrs if v and ("://" in v or v.startswith("//"))}  # namespaces name, never fetch
    assert urls <= {("xmlns", "http://www.w3.org/2000/svg"), ("xmlns:xlink", "http://www.w3.org/1999/xlink")}
    assert not [v for a, v in p.attrs if a in ("src", "href", "xlink:href")]
    assert "http-equiv" in dict(p.attrs) and html.CSP in [v for _, v in p.attrs]
    return p


def _run(cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.py").write_text(SAMPLE)
    return tmp_path / "p"


def test_check_html_is_one_self_contained_page(sample: Path, monkeypatch, capsys) -> None:
    code, _ = _run(sample, monkeypatch, capsys, "check", ".", "--no-cache", "--format", "html", "-o", "report.html")
    assert code == 1
    doc = (sample / "report.html").read_text()
    page = self_contained(doc)
    text = "".join(page.text)
    assert "resize() got an unexpected keyword argument 'heigth'" in text
    assert "resize(None, width=640, heigth=480)" in text  # the snippet
    assert "did you mean 'height'?" in text and "bound to a.resize(image, width, height), defined at a.py:1" in text
    assert "the earlier definition (self, sql) is at a.py:5" in text
    assert 'attempt(1, "<script>alert(1)</script>")' in text  # source text shown, never markup
    assert "4 findings in 1 file" in text
    assert doc.count('<figure>') == 2  # resize, and attempt with its dead definition


def test_the_snippet_caret_stays_under_the_call() -> None:
    f = Finding(Code.CG101, "a.py", 1, 7, "f() takes 0 positional arguments but 1 was given", span=1)
    snip = html.snippet_html(f, ["x =\u00a0\u2003 f(<1>)"])
    rows = [r for r in snip.split("\n")]
    source = Page()
    source.feed(rows[1])
    caret = Page()
    caret.feed(rows[2].replace("</pre>", ""))
    src_text, caret_text = "".join(source.text), "".join(caret.text)
    assert src_text.split("| ", 1)[1].index("f") == caret_text.split("| ", 1)[1].index("^")
    assert html_columns("a\u00a0<b>") == "a &lt;b&gt;"


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'onmouseover='alert(1)",
    "a\u202eevil\u202c.py",
    "nul\x00byte",
    "&lt;already&gt;",
    "]]><!--",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_and_messages_stay_text(name: str) -> None:
    f = Finding(Code.CG103, f"pkg/{name}.py", 3, 5, f"{name}() got an unexpected keyword argument '{name}'",
                target=f"m.{name}", definition=Location(f"{name}.py", 1), signature=f"({name})",
                suggestion=Suggestion(FixKind.RENAME_KEYWORD, (name,), name, certain=True), span=3)
    redef = Finding(Code.CG201, f"{name}.py", 1, 1, f"{name} is defined again", definition=Location(f"{name}.py", 0),
                    signature=f"({name}, x)")
    for graphviz in (False, None):
        doc = html.check_report([f, redef], lambda path: [f"call({name})"] * 5, summary=name, notes=[(name, name)],
                                scopes={f: name}, graphviz=graphviz)
        page = self_contained(doc)
        text = "".join(page.text)
        for raw in ("\x00", "\u202e", "\u202c"):
            assert raw not in doc
        shown = name.replace("\x00", "\\x00").replace("\u202e", "\\u202e").replace("\u202c", "\\u202c")
        assert shown in text
    doc = html.page(name, name, name, [html.table([name], [[name, html.code(name)]])])
    page = self_contained(doc)
    assert page.text.count(shown) >= 4 and html_text(name) in doc


def test_the_plain_picture_is_svg_with_the_dead_definition_greyed() -> None:
    f = Finding(Code.CG101, "w.py", 66, 16, "attempt() takes 1 positional argument but 6 were given",
                target="w.D.attempt", definition=Location("w.py", 112), signature="(self)")
    redef = Finding(Code.CG201, "w.py", 112, 5, "redefined", definition=Location("w.py", 99), signature="(self, conn, sql)")
    (n,) = html_graph.neighbourhoods([f, redef], lambda x: "w.D.create_table")
    assert n.dead == (html_graph.Dead("w.py:99", "(self, conn, sql)"),) and n.calls[0].caller == "w.D.create_table"
    svg = ET.fromstring(html_graph.plain_svg(n))
    ns = "{http://www.w3.org/2000/svg}"
    kinds = [g.get("class") for g in svg.iter(f"{ns}g")]
    assert kinds == ["node caller", "node call", "node definition", "node dead"]
    dead = next(g for g in svg.iter(f"{ns}g") if g.get("class") == "node dead")
    assert dead.find(f"{ns}rect").get("fill") == "#eeeeee" and dead.find(f"{ns}rect").get("stroke-dasharray")
    texts = ["".join(t.itertext()) for t in svg.iter(f"{ns}text")]
    assert "D.create_table" in texts and "D.attempt(self, conn, sql)" in texts and "dead: w.py:99" in texts
    assert {e.get("class") for e in svg.iter(f"{ns}line")} == {"edge-calls", "edge-binds", "edge-replaced"}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_graphviz_draws_the_picture_when_dot_is_installed() -> None:
    name = '<script>"x"&amp;\u202e'
    f = Finding(Code.CG101, "w.py", 6, 1, f"{name}() takes 1 positional argument but 2 were given",
                target=f"w.{name}", definition=Location("w.py", 1), signature="(self)")
    (n,) = html_graph.neighbourhoods([f])
    svg, how = html_graph.picture(n)
    assert how == "graphviz" and svg.startswith("<svg")
    root = ET.fromstring(svg)  # XML, so it embeds in HTML as is
    text = "".join(root.itertext())
    assert '<script>"x"&amp;\\u202e' in text and "\u202e" not in svg and "<script" not in svg


def test_diff_html(tmp_path: Path, monkeypatch, capsys) -> None:
    for d, body in (("old", "def f(a, b):\n    return a\n"), ("new", "def f(a):\n    return a\n")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text(body)
        (tmp_path / d / "use.py").write_text("from m import f\n\n\ndef g():\n    return f(1, 2)\n")
    code, out = _run(tmp_path, monkeypatch, capsys, "diff", "old", "new", "--no-cache", "--format", "html")
    assert code == 1
    text = "".join(self_contained(out).text)
    for needed in ("Signature changes (1)", "Calls broken by the change (1)", "f() takes 1 positional argument but 2 "
                   "were given", "return f(1, 2)", "parameter removed: 'b'", "Files (1 changed)"):
        assert needed in text, needed
    assert "g" in [t.strip() for t in text.split("\n")] or ">g<" in out  # the caller, in the picture


@pytest.fixture(scope="module")
def parity_report(tmp_path_factory: pytest.TempPathFactory):
    from callgraph.commands.demo import MODULE, SYMBOL, build
    from callgraph.reports.parity_evidence import investigate

    story = build(tmp_path_factory.mktemp("demo"))
    return investigate(".", story["spec"], modules=[MODULE], symbols=[SYMBOL], cwd=story["repo"])


def test_parity_html_has_every_section_as_a_table(parity_report) -> None:
    doc = html.parity_report(parity_report, graphviz=False)
    page = self_contained(doc)
    text = "".join(page.text)
    for title in ("1. Executive summary", "2. File integrity", "3. Signature drift", "4. Findings", "5. What each",
                  "6. Symbols", "7. Reproduce", "Remotely: where the broken calls bind"):
        assert title in text, title
    assert page.tags.count("table") >= 6
    # the picture: the three callers' calls bind to the one-parameter _ddl_attempt; the earlier def greyed
    hood = next(n for n in html_graph.neighbourhoods(parity_report.remote_only) if n.dead)
    assert hood.target.endswith("SupabaseWriterDriver._ddl_attempt") and hood.signature == "(self)"
    assert len(hood.calls) == 3
    callers = {c.caller for sym in parity_report.symbols for c in sym.remote.calls}
    assert "osiris.drivers.supabase_writer_driver.SupabaseWriterDriver.create_table" in callers
    assert ">SupabaseWriterDriver.create_table</text>" in doc  # named in the picture, less its module
    assert 'class="node dead"' in doc and "dead: \u2026is/drivers/supabase_writer_driver.py:99" in text  # cut at its start
    assert "at osiris/drivers/supabase_writer_driver.py:99, replaced at" in text  # whole in the tooltip
    # the note the unchanged files share is written once, as a footnote
    assert '<ol class="footnotes">' in doc and "[1]" in text
    assert text.count("not the upload; the upload matches local") == 2  # the footnote, and the differing file's note


# -- a real browser --------------------------------------------------------------------------------------

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome", "chrome")) if p), None)


def _in_browser(page_file: Path, screenshot: Path, profile: Path) -> tuple[str, list[str]]:
    """(the page's visible text, every URL it requested) in headless Chromium; a screenshot saved."""
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium installed (apt-get install chromium; .ci/run installs it when it can)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is not None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=BROWSER_FLAGS[1:])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
                requests: list[str] = []
                page.on("request", lambda r: requests.append(r.url))
                page.goto(page_file.as_uri())
                page.screenshot(path=str(screenshot), full_page=True)
                visible = page.locator("body").inner_text()  # rendered text: what CSS hides is left out
                for needle in ("callgraph check", "did you mean 'height'?"):
                    assert page.get_by_text(needle, exact=False).first.is_visible()
                return visible, requests
            finally:
                browser.close()
    run = lambda *extra: subprocess.run([exe, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2000",  # noqa: E731
                                         *extra, page_file.as_uri()], capture_output=True, timeout=120)
    run(f"--screenshot={screenshot}")
    dom = run("--dump-dom").stdout.decode("utf-8", "replace")
    page = Page()
    page.feed(dom)
    return "".join(page.text), [page_file.as_uri()]


def test_check_html_in_a_headless_browser(sample: Path, monkeypatch, capsys, tmp_path: Path) -> None:
    code, _ = _run(sample, monkeypatch, capsys, "check", ".", "--no-cache", "--format", "html", "-o", "report.html")
    assert code == 1
    shot = tmp_path / "check-report.png"
    visible, requests = _in_browser(sample / "report.html", shot, tmp_path / "profile")
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for needle in ("callgraph check", "Where the broken calls bind", "CG103", "a.py:14:5",
                   "resize() got an unexpected keyword argument 'heigth'", "did you mean 'height'?",
                   "resize(None, width=640, heigth=480)", "the earlier definition (self, sql) is at a.py:5"):
        assert needle in visible, needle
    assert requests == [(sample / "report.html").as_uri()]  # nothing fetched beyond the file itself
    print(f"screenshot: {shot}")


def test_parity_html_in_a_headless_browser(parity_report, tmp_path: Path) -> None:
    if _chromium() is None:
        pytest.skip("no Chromium installed (apt-get install chromium; .ci/run installs it when it can)")
    page_file = tmp_path / "parity.html"
    page_file.write_text(html.parity_report(parity_report, graphviz=False))
    shot = tmp_path / "parity-report.png"
    exe = _chromium()
    subprocess.run([exe, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,3000",
                    f"--screenshot={shot}", page_file.as_uri()], capture_output=True, timeout=120)
    dom = subprocess.run([exe, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          page_file.as_uri()], capture_output=True, timeout=120).stdout.decode("utf-8", "replace")
    assert shot.read_bytes()[:4] == b"\x89PNG"
    page = Page()
    page.feed(dom)
    text = "".join(page.text)
    for needle in ("Executive summary", "File integrity", "SupabaseWriterDriver._ddl_attempt", "dead: "):
        assert needle in text, needle


def test_html_is_a_format_of_each_command() -> None:
    from callgraph.reports.render import FORMATS

    assert "html" in FORMATS
    for cmd in (["diff", "--help"], ["parity", "--help"]):
        out = subprocess.run([sys.executable, "-m", "callgraph", *cmd], capture_output=True, text=True).stdout
        assert "html" in out, cmd
    assert json.loads(json.dumps(html.CSP))  # a plain string


def test_the_readme_html_example_runs_as_shown(tmp_path: Path) -> None:
    """README's `--format html` block, run by bash from the repository root (the demo kept in a
    temporary directory instead of /tmp/demo, the check page written there too): three pages."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("**html** (`check`, `diff` and `parity`)", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    demo = tmp_path / "demo"
    script = block.replace("/tmp/demo", str(demo)).replace("-o check.html", f"-o {tmp_path / 'check.html'}")
    script = "\n".join(line.split("  #")[0] if "callgraph check" in line else line for line in script.splitlines())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", "-c", "set -u\n" + script], cwd=Path(__file__).resolve().parent.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr and "error" not in proc.stderr.lower(), proc.stderr
    for page_file, needle in ((tmp_path / "check.html", "did you mean 'batch_size'?"),
                              (demo / "osiris-etl" / "diff.html", "Calls broken by the change (3)"),
                              (demo / "osiris-etl" / "parity.html", "1. Executive summary")):
        text = "".join(self_contained(page_file.read_text()).text)
        assert needle in text, page_file


def test_pictures_are_bounded() -> None:
    findings = [Finding(Code.CG101, "m.py", i, 1, f"f{i}() takes 0 positional arguments but 1 was given",
                        target=f"m.f{i}", definition=Location("m.py", 1000 + i), signature="()") for i in range(1, 60)]
    out = html.pictures(findings, graphviz=False)
    assert out.count("<figure>") == html.MAX_PICTURES and "and 19 more definitions" in out
