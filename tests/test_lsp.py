"""`callgraph lsp` end to end: pygls's own LanguageClient launches the server as a real subprocess
(`python -m callgraph lsp`) and talks LSP over its stdio, as an editor does.

The key case is what single-file linters cannot do: editing `def f(x)` in a.py to `def f(x, y)`
(an unsaved buffer, via didChange) makes a diagnostic appear in b.py, which calls it, and undoing
the edit clears it. Hover and the keyword quick fix are asked over the same session."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

import lsprotocol.types as lsp  # pygls: the extra 'lsp', which the test extra pulls in
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from callgraph.commands.lsp import char_index, utf16_units
from callgraph.facts.findings import Code, Finding, FixKind, Suggestion
from callgraph.reports.editor import EditorWorkspace, code_fix

A = "def f(x):\n    return x\n\n\ndef draw(shape, *, width=1, colour='black'):\n    return shape\n"
B = "from a import f, draw\n\nf(1)\ndraw('box', widht=3)\n"
TIMEOUT = float(os.environ.get('CALLGRAPH_LSP_TEST_TIMEOUT', '60'))


class Session:
    """A client with the diagnostics it was sent, and a way to wait for a condition on them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("callgraph-test", "1")
        self.diagnostics: dict[str, list] = {}
        self.logs: list[str] = []
        self.changed = asyncio.Event()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.changed.set()

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def _log(params: lsp.LogMessageParams) -> None:
            self.logs.append(params.message)
            self.changed.set()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def _show(params: lsp.ShowMessageParams) -> None:
            self.logs.append(params.message)
            self.changed.set()

    def uri(self, name: str) -> str:
        return from_fs_path(str(self.root / name))

    def of(self, name: str) -> list:
        return self.diagnostics.get(self.uri(name), [])

    async def until(self, condition, what: str) -> None:
        async def wait() -> None:
            while not condition():
                self.changed.clear()
                await self.changed.wait()
        try:
            await asyncio.wait_for(wait(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; diagnostics: {self.diagnostics}; logs: {self.logs}")

    async def start(self, *extra: str) -> None:
        await self.client.start_io(sys.executable, "-m", "callgraph", "lsp", "--debounce", "0.05",
                                   "--cache-dir", str(self.root / ".cache"), *extra,
                                   cwd=str(self.root), env={**os.environ, "NO_COLOR": "1"})
        await self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(self.root)),
            workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(self.root)), name="w")],
        ))
        self.client.initialized(lsp.InitializedParams())

    def open(self, name: str, text: str) -> None:
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=self.uri(name), language_id="python", version=1, text=text)))

    def replace(self, name: str, version: int, text: str) -> None:
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri(name), version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    def edit(self, name: str, version: int, span: tuple[int, int, int, int], text: str) -> None:
        """An incremental change: (start line, start character, end line, end character) becomes `text`."""
        start, end = lsp.Position(line=span[0], character=span[1]), lsp.Position(line=span[2], character=span[3])
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri(name), version=version),
            content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=start, end=end), text=text)]))

    async def stop(self) -> int | None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        server = getattr(self.client, "_server", None)
        if server is not None:
            return await asyncio.wait_for(server.wait(), TIMEOUT)
        return None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(A)
    (tmp_path / "b.py").write_text(B)
    (tmp_path / "pyproject.toml").write_text("[tool.callgraph]\n")
    return tmp_path


def codes(diagnostics: list) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def test_editing_a_def_updates_its_callers_in_another_file(project: Path) -> None:
    async def scenario() -> None:
        s = Session(project)
        await s.start()
        try:
            # Opened or not, the whole workspace is analysed: b.py's misspelled keyword shows.
            await s.until(lambda: codes(s.of("b.py")) == ["CG103"], "b.py's CG103")
            assert not s.of("a.py")
            s.open("a.py", A)
            s.open("b.py", B)
            # An unsaved edit to a.py's def, sent as editors do (a range): b.py's f(1) now misses 'y'.
            s.edit("a.py", 2, (0, 7, 0, 7), ", y")
            await s.until(lambda: codes(s.of("b.py")) == ["CG102", "CG103"], "b.py's CG102 after the edit")
            d = next(d for d in s.of("b.py") if d.code == "CG102")
            assert d.message == "f() missing 1 required positional argument: 'y'"
            assert (d.range.start.line, d.range.start.character, d.range.end.character) == (2, 0, 1)
            assert d.related_information[0].location.uri == s.uri("a.py")
            assert d.related_information[0].location.range.start.line == 0
            assert not (project / "a.py").read_text().startswith("def f(x, y)")  # never written to disk
            # Undo: the diagnostic goes.
            s.edit("a.py", 3, (0, 7, 0, 10), "")
            await s.until(lambda: codes(s.of("b.py")) == ["CG103"], "b.py's CG102 cleared after the revert")
            # The revert is a warm run: the facts cache and the run record still hold for every file.
            held = [line for line in s.logs if "previous findings held for" in line]
            assert int(held[-1].rsplit(" ", 1)[1]) > 0, held

            # Hover on the call draw(...) in b.py: the bound definition and its signature.
            hover = await s.client.text_document_hover_async(lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=s.uri("b.py")), position=lsp.Position(line=3, character=2)))
            assert hover is not None
            assert "def draw(shape, *, width=1, colour='black')" in hover.contents.value
            assert "a.draw" in hover.contents.value and "a.py:5" in hover.contents.value

            # The quick fix for widht= is a rename to width=.
            diag = next(d for d in s.of("b.py") if d.code == "CG103")
            actions = await s.client.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=s.uri("b.py")), range=diag.range,
                context=lsp.CodeActionContext(diagnostics=[diag])))
            assert actions and len(actions) == 1
            action = actions[0]
            assert action.title == "Rename keyword 'widht' to 'width'"
            (edit,) = action.edit.changes[s.uri("b.py")]
            assert edit.new_text == "width"
            assert (edit.range.start.line, edit.range.start.character, edit.range.end.character) == (3, 12, 17)
            # Applied as an editor would, the finding goes.
            fixed = B.replace("widht=", "width=")
            s.replace("b.py", 2, fixed)
            await s.until(lambda: not s.of("b.py"), "b.py clean after the fix")
            assert not any("failed" in line for line in s.logs), s.logs
        finally:
            assert await s.stop() == 0

    asyncio.run(scenario())


def test_the_server_survives_bad_input(project: Path) -> None:
    """A request about a file that does not exist, a non-file URI, a position past the end and an
    unparsable buffer: each answered (or ignored), the server still serving afterwards."""
    async def scenario() -> None:
        s = Session(project)
        await s.start()
        try:
            await s.until(lambda: codes(s.of("b.py")) == ["CG103"], "the first analysis")
            for uri in (s.uri("nowhere.py"), "untitled:Untitled-1"):
                await s.client.text_document_hover_async(lsp.HoverParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=99, character=99)))
            s.open("a.py", "def f(:\n")
            await s.until(lambda: codes(s.of("a.py")) == ["CG000"], "a.py's parse error")
            s.replace("a.py", 2, A)
            await s.until(lambda: not s.of("a.py") and codes(s.of("b.py")) == ["CG103"], "recovery")
        finally:
            assert await s.stop() == 0

    asyncio.run(scenario())


def test_files_and_buffers_over_the_size_bound_are_not_analysed(project: Path) -> None:
    """--max-file-size (as `check`'s, default 2 MiB): a workspace file or an open buffer over it
    is skipped with a log message, never analysed (a 12 MB buffer would take GBs)."""
    pad = "# padding\n" * 200  # 2,000 bytes, over 1K
    (project / "c.py").write_text("def g():\n    pass\n\n\ng(1)\n" + pad)

    async def scenario() -> None:
        s = Session(project)
        await s.start("--max-file-size", "1K")
        try:
            await s.until(lambda: codes(s.of("b.py")) == ["CG103"] and any("c.py" in m for m in s.logs), "c.py's note")
            note = next(m for m in s.logs if "c.py" in m)
            assert "over the 1024-byte file size limit" in note, note
            assert not s.of("c.py")
            s.open("b.py", B + pad)
            await s.until(lambda: any("open buffer skipped" in m for m in s.logs) and not s.of("b.py"), "b.py's buffer skipped")
            s.replace("b.py", 2, B)
            await s.until(lambda: codes(s.of("b.py")) == ["CG103"], "b.py analysed again under the bound")
        finally:
            assert await s.stop() == 0

    asyncio.run(scenario())


def test_a_broken_stream_ends_the_server_with_one_line() -> None:
    import subprocess

    r = subprocess.run([sys.executable, "-m", "callgraph", "lsp", "--no-cache"], input=b"Content-Length: 99999999999999999999\r\n\r\n",
                       capture_output=True, timeout=TIMEOUT)
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("callgraph: error: the client's stream is broken"), err


def test_a_broken_configuration_is_reported_and_the_defaults_apply(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.callgraph]\nselect = 3\n")

    async def scenario() -> None:
        s = Session(project)
        await s.start()
        try:
            await s.until(lambda: codes(s.of("b.py")) == ["CG103"], "diagnostics under the defaults")
            assert any("select" in line for line in s.logs), s.logs
        finally:
            assert await s.stop() == 0

    asyncio.run(scenario())


def test_configuration_is_read_from_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.callgraph]\nignore = ["CG103"]\n')
    ws = EditorWorkspace(project, jobs=1)
    assert ws.reload_config() is None
    found = ws.analyse({str(project / "a.py"): A.replace("def f(x):", "def f(x, y):")})
    assert [f.code.value for f in found[os.path.realpath(project / "b.py")]] == ["CG102"]


@pytest.mark.parametrize("text, units, index", [("abc", 2, 2), ("é=1", 1, 1), ("\U0001f600x", 2, 1), ("ab", 9, 2)])
def test_utf16_positions(text: str, units: int, index: int) -> None:
    assert char_index(text, units) == index
    assert utf16_units(text[:index]) == min(units, utf16_units(text))


def _fix(text: str, suggestion: Suggestion, line: int = 1, column: int = 1):
    return code_fix(Finding(Code.CG103, "b.py", line, column, "m", suggestion=suggestion), text)


def test_code_fix_is_the_codemods_edit_narrowed_to_whole_names() -> None:
    """The quick fix is `callgraph fix`'s own edit (analysis/fix.py): a rename replaces the whole
    keyword, other names that merely contain it untouched; a keyword made positional loses `name=`."""
    text = "draw(\n    x_widht=1,\n    widht=2,\n)\n"
    fix = _fix(text, Suggestion(FixKind.RENAME_KEYWORD, ("widht",), "width", True))
    assert (fix.line, fix.column, fix.end_line, fix.end_column, fix.new_text) == (3, 5, 3, 10, "width")
    assert fix.title == "Rename keyword 'widht' to 'width'"
    fix = _fix("x = 1\nf(1, value=5)  # keep\n", Suggestion(FixKind.KEYWORD_TO_POSITIONAL, ("value",), "", True), 2)
    assert (fix.line, fix.column, fix.end_line, fix.end_column, fix.new_text) == (2, 6, 2, 12, "")
    assert fix.title == "Pass 'value' by position"
    # not certain, or the buffer no longer holds the keyword: no action
    assert _fix(text, Suggestion(FixKind.RENAME_KEYWORD, ("widht",), "width", False)) is None
    assert _fix("draw(width=2)\n", Suggestion(FixKind.RENAME_KEYWORD, ("widht",), "width", True)) is None


def test_a_positional_only_quick_fix_over_a_real_session(tmp_path: Path) -> None:
    """Not only renames: a CG105 whose suggestion is certain (drop `value=`) is offered as the edit
    `callgraph fix` makes, and applying it clears the diagnostic."""
    (tmp_path / "a.py").write_text("def scale(value, /, factor=2):\n    return value * factor\n")
    b = "from a import scale\n\nscale(value=5, factor=3)  # keep this comment\n"
    (tmp_path / "b.py").write_text(b)
    (tmp_path / "pyproject.toml").write_text("[tool.callgraph]\n")

    async def scenario() -> None:
        s = Session(tmp_path)
        await s.start()
        try:
            await s.until(lambda: codes(s.of("b.py")) == ["CG105"], "b.py's CG105")
            s.open("b.py", b)
            (diag,) = s.of("b.py")
            actions = await s.client.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=s.uri("b.py")), range=diag.range,
                context=lsp.CodeActionContext(diagnostics=[diag])))
            assert actions and [a.title for a in actions] == ["Pass 'value' by position"]
            (edit,) = actions[0].edit.changes[s.uri("b.py")]
            assert edit.new_text == "" and (edit.range.start.line, edit.range.start.character,
                                            edit.range.end.character) == (2, 6, 12)
            fixed = b.replace("value=5", "5")
            s.replace("b.py", 2, fixed)
            await s.until(lambda: not s.of("b.py"), "b.py clean after the fix")
        finally:
            assert await s.stop() == 0

    asyncio.run(scenario())
