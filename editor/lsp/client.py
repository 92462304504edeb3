"""``LanguageClient``: the GUI-facing TypeScript language client.

Threading (why not a QProcess): the server is driven by an asyncio loop in a
dedicated daemon thread, as in Spyder. JSON decoding and the lsprotocol
conversion of large results (a global completion list is thousands of items)
then happen off the GUI thread, and the lifecycle/restart logic is plain
asyncio that does not need an event loop of Qt's. GUI-thread methods only
schedule work on the loop (``call_soon_threadsafe``, which keeps call order:
a didChange always reaches the server before the request that follows it);
results come back as queued Qt signals. Nothing on the GUI thread ever waits
for the server.

Outdated responses are dropped: every request carries the document version it
was made for, and a response for an older version than the client last sent is
discarded (counted in ``statistics().dropped_responses``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from editor.lsp import convert
from editor.lsp.connection import ConnectionClosed
from editor.lsp.session import LspSession, RestartPolicy
from editor.lsp.types import (
    CompletionResult,
    DefinitionResult,
    DocumentSymbols,
    HoverResult,
    LanguageClientStatistics,
    ServerStatus,
    SignatureHelpResult,
    StatusChanged,
)
from editor.types import FileDiagnostics, TextChange, TextPosition

log = logging.getLogger(__name__)

DIAGNOSTICS_DELAY_MS = 50
LANGUAGE_ID = "typescript"
LANGUAGE_IDS = {
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescriptreact",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascriptreact",
}
"""LSP language ids of the files the TypeScript server understands, by suffix."""


def serves(path: Path) -> bool:
    """True if the TypeScript language server understands `path` (TS/JS sources; not JSON, TOML, ...)."""
    return path.suffix.lower() in LANGUAGE_IDS


class SyncedDocument(Protocol):
    """What the client needs from an open document (``CodeEditor`` fits)."""

    def text(self) -> str:
        """Return the whole current text."""
        ...

    @property
    def document_version(self) -> int:
        """Return the current, strictly increasing version."""
        ...


@dataclass(frozen=True)
class RequestFailed:
    """Payload of ``LanguageClient.sig_request_failed``."""

    method: str
    """LSP method that failed."""
    message: str
    """Why it failed."""


@dataclass(frozen=True)
class _Response:
    signal_name: str
    path: Path | None
    version: int | None
    payload: object


class _Bridge(QObject):
    """Signals emitted on the loop thread, delivered queued on the GUI thread."""

    status = Signal(object)
    response = Signal(object)
    failed = Signal(object)


class _LoopThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="isoplay-lsp", daemon=True)
        self.loop = asyncio.new_event_loop()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()


class LanguageClient(QObject):
    """TypeScript language client for ``tsc --lsp --stdio`` (TypeScript 7).

    Args:
        tsc: path of the native ``tsc`` executable (the caller resolves it).
        root: project root (the folder holding ``tsconfig.json``).
        policy: restart policy when the server dies.
        parent: Qt parent.
    """

    sig_status_changed = Signal(object)
    """StatusChanged: the server is starting / ready / restarting / failed / stopped."""
    sig_diagnostics_published = Signal(object)
    """FileDiagnostics: the current diagnostics of one file (replace the previous ones)."""
    sig_completion_received = Signal(object)
    """CompletionResult: answer to ``request_completion``."""
    sig_hover_received = Signal(object)
    """HoverResult: answer to ``request_hover``."""
    sig_signature_help_received = Signal(object)
    """SignatureHelpResult: answer to ``request_signature_help``."""
    sig_definition_received = Signal(object)
    """DefinitionResult: answer to ``request_definition``."""
    sig_symbols_received = Signal(object)
    """DocumentSymbols: answer to ``request_document_symbols``."""
    sig_request_failed = Signal(object)
    """RequestFailed: a request failed for a reason other than a server restart."""

    def __init__(
        self,
        tsc: Path,
        root: Path,
        policy: RestartPolicy = RestartPolicy(),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._argv: Sequence[str] = [str(tsc), "--lsp", "--stdio"]
        self._root = root.resolve()
        self._policy = policy
        self._status = ServerStatus.STOPPED
        self._documents: dict[Path, SyncedDocument] = {}
        self._sent_versions: dict[Path, int] = {}
        self._dropped = 0
        self._thread: _LoopThread | None = None
        self._session: LspSession | None = None
        self._bridge = _Bridge()
        self._bridge.status.connect(self._on_bridge_status, Qt.ConnectionType.QueuedConnection)
        self._bridge.response.connect(self._on_bridge_response, Qt.ConnectionType.QueuedConnection)
        self._bridge.failed.connect(self.sig_request_failed, Qt.ConnectionType.QueuedConnection)
        self._diagnostics_timer = _single_shot_timer(self, DIAGNOSTICS_DELAY_MS, self.request_diagnostics)

    # -- lifecycle -----------------------------------------------------------

    @property
    def status(self) -> ServerStatus:
        """The current lifecycle status."""
        return self._status

    @property
    def root(self) -> Path:
        """The project root the server was started for."""
        return self._root

    def start(self) -> None:
        """Start the server thread and process (returns at once)."""
        if self._thread is not None:
            return
        self._thread = _LoopThread()
        self._thread.start()
        self._session = LspSession(self._argv, self._root, self._emit_status, self._on_notification, self._policy)
        self._set_status(ServerStatus.STARTING, "")
        self._call_soon(lambda: self._spawn(self._session_or_raise().start()))

    def stop(self) -> None:
        """Shut the server down and end the thread (returns at once; STOPPED follows)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        session = self._session_or_raise()

        async def shutdown() -> None:
            try:
                await session.stop()
            finally:
                thread.loop.stop()

        thread.loop.call_soon_threadsafe(lambda: self._spawn(shutdown()))

    def kill_server(self) -> None:
        """Kill the server process, as a crash would (it is restarted)."""
        self._call_soon(lambda: self._session_or_raise().kill_server())

    def statistics(self) -> LanguageClientStatistics:
        """Return a snapshot of the client's state."""
        session = self._session
        return LanguageClientStatistics(
            status=self._status,
            pid=session.pid if session is not None else None,
            restarts=session.restarts if session is not None else 0,
            open_documents=len(self._documents),
            dropped_responses=self._dropped,
        )

    def __repr__(self) -> str:
        stats = self.statistics()
        return f"<LanguageClient {stats.status.value} pid={stats.pid} docs={stats.open_documents}>"

    # -- documents -----------------------------------------------------------

    def open_document(self, path: Path, document: SyncedDocument) -> None:
        """Start synchronizing `document` (saved as `path`) with the server."""
        path = path.resolve()
        self._documents[path] = document
        if self._status is ServerStatus.READY:
            self._send_open(path, document)

    def change_document(self, path: Path, version: int, changes: Sequence[TextChange]) -> None:
        """Send incremental edits that bring the server to `version`."""
        path = path.resolve()
        if path not in self._documents or not changes:
            return
        self._sent_versions[path] = version
        params = {
            "textDocument": {"uri": convert.path_to_uri(path), "version": version},
            "contentChanges": [convert.unstructure(convert.change_to_lsp(c)) for c in changes],
        }
        self._notify("textDocument/didChange", params)
        self._diagnostics_timer.start()

    def close_document(self, path: Path) -> None:
        """Stop synchronizing `path`."""
        path = path.resolve()
        if self._documents.pop(path, None) is None:
            return
        self._sent_versions.pop(path, None)
        self._notify("textDocument/didClose", {"textDocument": {"uri": convert.path_to_uri(path)}})

    def latest_version(self, path: Path) -> int | None:
        """The last version sent for `path`, or None if it is not open."""
        return self._sent_versions.get(path.resolve())

    def _send_open(self, path: Path, document: SyncedDocument) -> None:
        version = document.document_version
        self._sent_versions[path] = version
        language = LANGUAGE_IDS.get(path.suffix.lower(), LANGUAGE_ID)
        item = {"uri": convert.path_to_uri(path), "languageId": language, "version": version, "text": document.text()}
        self._notify("textDocument/didOpen", {"textDocument": item})
        self._diagnostics_timer.start()

    # -- requests ------------------------------------------------------------

    def request_completion(self, path: Path, version: int, position: TextPosition) -> None:
        """Ask for completions; answered by ``sig_completion_received``."""

        def build(raw: Any) -> CompletionResult:
            items, incomplete = convert.completion_items(raw)
            return CompletionResult(path, version, position, items, incomplete)

        self._position_request("textDocument/completion", "sig_completion_received", path, version, position, build)

    def request_hover(self, path: Path, version: int, position: TextPosition) -> None:
        """Ask for hover text; answered by ``sig_hover_received``."""

        def build(raw: Any) -> HoverResult:
            return HoverResult(path, version, position, convert.hover_text(raw), convert.hover_markdown(raw))

        self._position_request("textDocument/hover", "sig_hover_received", path, version, position, build)

    def request_signature_help(self, path: Path, version: int, position: TextPosition) -> None:
        """Ask for signature help; answered by ``sig_signature_help_received``."""

        def build(raw: Any) -> SignatureHelpResult:
            label, span, doc = convert.signature_help(raw)
            return SignatureHelpResult(path, version, position, label, span, doc)

        method, signal = "textDocument/signatureHelp", "sig_signature_help_received"
        self._position_request(method, signal, path, version, position, build)

    def request_definition(self, path: Path, version: int, position: TextPosition) -> None:
        """Ask where the symbol at `position` is defined; answered by ``sig_definition_received``."""

        def build(raw: Any) -> DefinitionResult:
            return DefinitionResult(path, version, position, convert.locations(raw))

        self._position_request("textDocument/definition", "sig_definition_received", path, version, position, build)

    def request_document_symbols(self, path: Path, version: int) -> None:
        """Ask for the outline of `path`; answered by ``sig_symbols_received``."""
        path = path.resolve()
        params = {"textDocument": {"uri": convert.path_to_uri(path)}}

        def build(raw: Any) -> DocumentSymbols:
            return DocumentSymbols(path, version, convert.document_symbols(raw))

        self._request("textDocument/documentSymbol", params, _Target("sig_symbols_received", path, version, build))

    def request_diagnostics(self) -> None:
        """Pull diagnostics for every open document (TypeScript 7 uses pull diagnostics)."""
        for path in list(self._documents):
            version = self._sent_versions.get(path)
            params = {"textDocument": {"uri": convert.path_to_uri(path)}}
            target = _Target("sig_diagnostics_published", path, version, _diagnostics_builder(path, version))
            self._request("textDocument/diagnostic", params, target)

    def _position_request(
        self,
        method: str,
        signal_name: str,
        path: Path,
        version: int,
        position: TextPosition,
        build: Callable[[Any], object],
    ) -> None:
        path = path.resolve()
        params = {
            "textDocument": {"uri": convert.path_to_uri(path)},
            "position": {"line": position.line, "character": position.character},
        }
        self._request(method, params, _Target(signal_name, path, version, build))

    def _request(self, method: str, params: Any, target: _Target) -> None:
        if self._thread is None:
            return
        self._call_soon(lambda: self._start_request(method, params, target))

    # -- loop-thread side ------------------------------------------------------

    def _start_request(self, method: str, params: Any, target: _Target) -> None:
        future = self._session_or_raise().request(method, params)
        future.add_done_callback(lambda f: self._finish_request(method, target, f))

    def _finish_request(self, method: str, target: _Target, future: asyncio.Future[Any]) -> None:
        try:
            payload = target.build(future.result())
            if payload is None:
                return
        except ConnectionClosed as exc:
            log.debug("%s dropped: %s", method, exc)
            return
        except Exception as exc:  # reported to the GUI through sig_request_failed
            log.warning("%s failed", method, exc_info=True)
            self._bridge.failed.emit(RequestFailed(method, str(exc)))
            return
        self._bridge.response.emit(_Response(target.signal_name, target.path, target.version, payload))

    def _on_notification(self, method: str, params: Any) -> None:
        if method != "textDocument/publishDiagnostics":
            return
        path = convert.uri_to_path(params["uri"])
        builder = _diagnostics_builder(path, params.get("version"))
        payload = builder({"kind": "full", "items": params.get("diagnostics", [])})
        assert payload is not None
        self._bridge.response.emit(_Response("sig_diagnostics_published", path, payload.version, payload))

    def _emit_status(self, status: ServerStatus, message: str) -> None:
        self._bridge.status.emit(StatusChanged(status, message))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_task_error)

    def _call_soon(self, callback: Callable[[], None]) -> None:
        if self._thread is not None:
            self._thread.loop.call_soon_threadsafe(callback)

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        self._call_soon(lambda: self._session_or_raise().notify(method, params))

    def _session_or_raise(self) -> LspSession:
        if self._session is None:
            raise RuntimeError("LanguageClient was not started")
        return self._session

    # -- GUI-thread slots ------------------------------------------------------

    @Slot(object)
    def _on_bridge_status(self, change: StatusChanged) -> None:
        self._set_status(change.status, change.message)
        if change.status is ServerStatus.READY:
            for path, document in self._documents.items():
                self._send_open(path, document)

    @Slot(object)
    def _on_bridge_response(self, response: _Response) -> None:
        if self._is_outdated(response):
            self._dropped += 1
            return
        getattr(self, response.signal_name).emit(response.payload)

    def _is_outdated(self, response: _Response) -> bool:
        if response.path is None or response.version is None:
            return False
        latest = self._sent_versions.get(response.path)
        return latest is not None and response.version < latest

    def _set_status(self, status: ServerStatus, message: str) -> None:
        if status is self._status and not message:
            return
        self._status = status
        self.sig_status_changed.emit(StatusChanged(status, message))


@dataclass(frozen=True)
class _Target:
    signal_name: str
    path: Path | None
    version: int | None
    build: Callable[[Any], object | None]


def _diagnostics_builder(path: Path, version: int | None) -> Callable[[Any], FileDiagnostics | None]:
    def build(raw: Any) -> FileDiagnostics | None:
        diagnostics = convert.diagnostics_from_report(raw)
        return None if diagnostics is None else FileDiagnostics(path, version, diagnostics)

    return build


def _single_shot_timer(parent: QObject, interval_ms: int, callback: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(callback)
    return timer


def _log_task_error(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("language client task failed", exc_info=task.exception())
