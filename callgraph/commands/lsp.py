"""`callgraph lsp`: a language server over stdio (pygls), for any editor with an LSP client.

Diagnostics cover the whole workspace, not just the open file: an edit to a `def` in a.py
re-checks its callers in b.py, and b.py's diagnostics change although b.py was never touched.
Open buffers overlay the working tree (unsaved text is analysed as it is); changes are debounced;
each analysis reuses the facts cache and the previous run's findings (`store/`), as `check` does.

The analysis lives in `reports/editor.py`; this module only speaks the protocol. pygls is the
optional extra `lsp` (`pip install 'callgraph[lsp]'`), imported only when the server starts.
No input stops the server: a failing request is logged to the client and answered empty."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..facts.findings import Code, Finding
from ..reports.editor import CodeFix, EditorWorkspace, callee_span, code_fix
from ..version import __version__
from .check import DEFAULT_MAX_FILE_SIZE, _file_size
from .common import EXIT_ERROR, add_cache_options, open_cache

ORDER = 65
DEBOUNCE_SECONDS = 0.3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lsp",
        help="a language server over stdio: workspace diagnostics as you type, hover, quick fixes",
        description=(
            "Serve the Language Server Protocol over standard input and output, for an editor's LSP client. "
            "Diagnostics cover every file of the workspace and follow unsaved edits: changing a def updates "
            "the diagnostics of its callers in other files. Hover on a call shows the definition it binds to "
            "and its signature; each certain suggestion `callgraph fix` would apply (a misspelled keyword, a "
            "positional-only parameter passed by keyword) is a quick fix. "
            "Configuration: [tool.callgraph] in the workspace's pyproject.toml. Needs pygls "
            "(pip install 'callgraph[lsp]')."
        ),
        epilog="exit codes: 0 after the client's shutdown and exit, 2 when pygls is missing or the stream is broken",
    )
    p.add_argument("--debounce", type=float, default=DEBOUNCE_SECONDS, metavar="SECONDS",
                   help=f"wait this long after the last keystroke before analysing (default: {DEBOUNCE_SECONDS})")
    p.add_argument("--max-file-size", type=_file_size, default=DEFAULT_MAX_FILE_SIZE, metavar="BYTES",
                   help="skip workspace files and open buffers larger than this, with a log message; suffixes K, M, G; "
                   "0: no limit (default: 2M)")
    add_cache_options(p)
    p.set_defaults(run=run, jobs=1)


def run(args: argparse.Namespace) -> int:
    try:
        server = build_server(args)
    except ImportError as exc:
        raise InputError(f"the language server needs pygls: pip install 'callgraph[lsp]' ({exc})") from None
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol stream
    try:
        server.start_io(stdin, stdout)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a broken stream (a Content-Length no read can take, ...)
        print(f"callgraph: error: the client's stream is broken: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
        return EXIT_ERROR
    return 0


# -- positions: LSP counts UTF-16 code units, findings count characters ------------------------------


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def char_index(line: str, units: int) -> int:
    """The character index in `line` of a UTF-16 offset."""
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


SEVERITY = {Code.CG000: 1, Code.CG201: 2, Code.CG900: 3}  # LSP: 1 error, 2 warning, 3 information


def build_server(args: argparse.Namespace) -> Any:
    """The pygls server, its handlers bound to one `State`."""
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer
    from pygls.uris import from_fs_path, to_fs_path

    server = LanguageServer("callgraph", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
    state = State(server, args, lsp, from_fs_path, to_fs_path)

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Log any error to the client and answer None: the server keeps serving. (The wrapper takes
        `params` alone: pygls passes the server only to a handler whose first parameter is `ls`.)"""
        if asyncio.iscoroutinefunction(fn):
            async def wrapper_async(params: Any) -> Any:
                try:
                    return await fn(params)
                except Exception as exc:  # noqa: BLE001 - the server must survive any input
                    state.log_error(fn.__name__, exc)
                    return None
            return wrapper_async

        def wrapper(params: Any) -> Any:
            try:
                return fn(params)
            except Exception as exc:  # noqa: BLE001
                state.log_error(fn.__name__, exc)
                return None
        return wrapper

    server.feature(lsp.INITIALIZED)(guarded(state.initialized))
    server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)(guarded(state.changed))
    server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)(guarded(state.changed))
    server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)(guarded(state.changed))
    server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)(guarded(state.saved))
    server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)(guarded(state.watched))
    server.feature(lsp.TEXT_DOCUMENT_HOVER)(guarded(state.hover))
    server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])
    )(guarded(state.code_action))
    return server


class State:
    """The workspace, the last diagnostics published per file, and the pending analysis."""

    def __init__(self, server: Any, args: argparse.Namespace, lsp: Any, from_fs_path: Any, to_fs_path: Any) -> None:
        self.server, self.args, self.lsp = server, args, lsp
        self.from_fs_path, self.to_fs_path = from_fs_path, to_fs_path
        self.debounce = max(0.0, float(getattr(args, "debounce", DEBOUNCE_SECONDS)))
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callgraph-analysis")
        self.workspace: EditorWorkspace | None = None
        self.findings: dict[str, list[Finding]] = {}  # absolute path -> findings, last analysis
        self.published: dict[str, tuple] = {}  # uri -> what was last published
        self.timer: asyncio.TimerHandle | None = None
        self.generation = 0
        self.skipped: list[str] = []  # the size notes last logged

    # -- plumbing -------------------------------------------------------------------------------

    def log(self, message: str, kind: int = 4) -> None:
        self.server.window_log_message(self.lsp.LogMessageParams(type=self.lsp.MessageType(kind), message=message))

    def log_error(self, where: str, exc: BaseException) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        try:
            self.log(f"callgraph: {where} failed: {exc}\n{text}", 1)
        except Exception:  # noqa: BLE001 - the client may be gone; stderr is the editor's log
            print(text, file=sys.stderr)

    async def in_worker(self, fn: Callable[..., Any], *a: Any) -> Any:
        """Run `fn` on the one analysis thread: the workspace is used from one thread only."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *a)

    def root(self) -> Path:
        folders = getattr(self.server.workspace, "folders", None) or {}
        for folder in folders.values():
            path = self.to_fs_path(folder.uri)
            if path:
                return Path(path)
        root_uri = getattr(self.server.workspace, "root_uri", None)
        path = self.to_fs_path(root_uri) if root_uri else None
        return Path(path) if path else Path.cwd()

    def overlays(self) -> dict[str, str]:
        """The open buffers' text by absolute path (Python files only)."""
        out = {}
        for uri, doc in dict(self.server.workspace.text_documents).items():
            path = self.to_fs_path(uri) if uri.startswith("file:") else None
            if path and path.endswith(".py"):
                out[os.path.realpath(path)] = doc.source
        return out

    # -- events -----------------------------------------------------------------------------------

    def initialized(self, params: Any) -> None:
        root = self.root()
        cache = open_cache(self.args)
        self.workspace = EditorWorkspace(root, cache, getattr(self.args, "max_file_size", DEFAULT_MAX_FILE_SIZE),
                                         jobs=getattr(self.args, "jobs", 1) or 1)
        problem = self.workspace.reload_config()
        if problem:
            self.log(f"callgraph: {problem}; using the defaults", 2)
        self.log(f"callgraph {__version__}: workspace {root}")
        self.schedule(0)

    def changed(self, params: Any) -> None:
        self.schedule(self.debounce)

    def saved(self, params: Any) -> None:
        path = self.to_fs_path(params.text_document.uri) or ""
        if Path(path).name == "pyproject.toml" and self.workspace is not None:
            problem = self.workspace.reload_config()
            if problem:
                self.log(f"callgraph: {problem}; using the defaults", 2)
        self.schedule(0)

    def watched(self, params: Any) -> None:
        self.schedule(self.debounce)

    def schedule(self, delay: float) -> None:
        """Analyse after `delay` seconds without another change."""
        if self.timer is not None:
            self.timer.cancel()
        loop = asyncio.get_running_loop()
        self.generation += 1
        self.timer = loop.call_later(delay, lambda: loop.create_task(self.refresh_logged()))

    async def refresh_logged(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:  # noqa: BLE001 - an analysis that failed keeps the last diagnostics
            self.log_error("analysis", exc)

    async def flush(self) -> None:
        """Before answering about positions: analyse now if an edit is waiting."""
        if self.timer is not None and self.timer.when() > asyncio.get_running_loop().time():
            self.timer.cancel()
            await self.refresh_logged()

    async def refresh(self) -> None:
        if self.workspace is None:
            return
        self.timer = None
        generation = self.generation
        overlays = self.overlays()
        started = asyncio.get_running_loop().time()
        findings = await self.in_worker(self.workspace.analyse, overlays)
        project = self.workspace.project
        self.log(f"callgraph: analysed {len(findings)} files ({len(overlays)} open) in "
                 f"{(asyncio.get_running_loop().time() - started) * 1000:.0f} ms; previous findings held for "
                 f"{getattr(project, 'reused', 0)}", 4)
        if self.workspace.skipped != self.skipped:  # not analysed: over --max-file-size (said once)
            self.skipped = list(self.workspace.skipped)
            for note in self.skipped:
                self.log(f"callgraph: {note}", 2)
        if generation != self.generation:  # a newer edit is waiting: its analysis publishes
            return
        self.findings = findings
        self.publish(findings, overlays)

    def publish(self, findings: dict[str, list[Finding]], overlays: dict[str, str]) -> None:
        """Send diagnostics for every file whose findings changed; clear the files that lost theirs."""
        fresh: dict[str, tuple] = {}
        for path, items in findings.items():
            if items:
                fresh[self.from_fs_path(path)] = (path, tuple(items))
        for uri in list(self.published):
            if uri not in fresh:
                self.server.text_document_publish_diagnostics(self.lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
                del self.published[uri]
        for uri, (path, items) in fresh.items():
            if self.published.get(uri) == items:
                continue
            lines = self.lines(path, overlays)
            diagnostics = [self.diagnostic(f, lines) for f in items]
            self.server.text_document_publish_diagnostics(
                self.lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
            )
            self.published[uri] = items

    def lines(self, path: str, overlays: dict[str, str]) -> list[str]:
        if path in overlays:
            return overlays[path].splitlines()
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    def range(self, lines: list[str], line: int, column: int, length: int) -> Any:
        lsp = self.lsp
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        start = utf16_units(text[: max(column - 1, 0)])
        end = start + max(utf16_units(text[max(column - 1, 0): max(column - 1, 0) + length]), 1)
        row = max(line - 1, 0)
        return lsp.Range(start=lsp.Position(line=row, character=start), end=lsp.Position(line=row, character=end))

    def span(self, lines: list[str], fix: CodeFix) -> Any:
        """A fix's characters as an LSP range (UTF-16 units), over one line or several."""
        lsp = self.lsp

        def position(line: int, column: int) -> Any:
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            return lsp.Position(line=max(line - 1, 0), character=utf16_units(text[: max(column - 1, 0)]))

        return lsp.Range(start=position(fix.line, fix.column), end=position(fix.end_line, fix.end_column))

    def diagnostic(self, f: Finding, lines: list[str]) -> Any:
        lsp = self.lsp
        span = callee_span(lines, f.line, f.column)
        related = None
        if f.definition is not None:
            def_path = f.definition.path if os.path.isabs(f.definition.path) else str(self.root() / f.definition.path)
            related = [lsp.DiagnosticRelatedInformation(
                location=lsp.Location(
                    uri=self.from_fs_path(def_path),
                    range=lsp.Range(start=lsp.Position(line=max(f.definition.line - 1, 0), character=0),
                                    end=lsp.Position(line=max(f.definition.line - 1, 0), character=0)),
                ),
                message=f"{f.target or 'the target'} is defined here",
            )]
        return lsp.Diagnostic(
            range=self.range(lines, f.line, f.column, len(span)),
            message=f.message,
            severity=lsp.DiagnosticSeverity(SEVERITY.get(f.code, 1)),
            code=f.code.value,
            source="callgraph",
            related_information=related,
        )

    # -- requests ---------------------------------------------------------------------------------

    async def hover(self, params: Any) -> Any:
        await self.flush()
        path, text = self.document(params.text_document.uri)
        if self.workspace is None or path is None:
            return None
        lines = text.splitlines()
        row = params.position.line
        line_text = lines[row] if row < len(lines) else ""
        column = char_index(line_text, params.position.character) + 1
        answer = await self.in_worker(self.workspace.hover, path, row + 1, column, text)
        if answer is None:
            return None
        return self.lsp.Hover(contents=self.lsp.MarkupContent(kind=self.lsp.MarkupKind.Markdown, value=answer.markdown()))

    async def code_action(self, params: Any) -> Any:
        await self.flush()
        lsp = self.lsp
        path, text = self.document(params.text_document.uri)
        if self.workspace is None or path is None:
            return None
        actions = []
        for d in params.context.diagnostics:
            if d.source != "callgraph":
                continue
            row = d.range.start.line
            lines = text.splitlines()
            column = char_index(lines[row] if row < len(lines) else "", d.range.start.character) + 1
            finding = next((f for f in self.findings.get(path, ())
                            if f.line == row + 1 and f.column == column and f.code.value == d.code), None)
            if finding is None or finding.suggestion is None or not finding.suggestion.certain:
                continue
            fix = await self.in_worker(code_fix, finding, text)  # the edit `callgraph fix` makes
            if fix is None:
                continue
            edit = lsp.TextEdit(range=self.span(lines, fix), new_text=fix.new_text)
            actions.append(lsp.CodeAction(
                title=fix.title,
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[d],
                is_preferred=True,
                edit=lsp.WorkspaceEdit(changes={params.text_document.uri: [edit]}),
            ))
        return actions

    def document(self, uri: str) -> tuple[str | None, str]:
        """(absolute path, text) of a document: the open buffer, else the file on disk."""
        path = self.to_fs_path(uri) if uri.startswith("file:") else None
        if not path:
            return None, ""
        doc = self.server.workspace.get_text_document(uri)
        return os.path.realpath(path), doc.source
