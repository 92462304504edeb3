"""The language server's lifecycle on the client loop: start, initialize, restart.

Runs entirely on the language client's asyncio loop thread. It owns one
``LspConnection`` at a time, restarts the server with backoff when it dies
unexpectedly, and gives up (status FAILED) when it keeps dying.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from editor.lsp.connection import ConnectionClosed, LspConnection, NotificationHandler
from editor.lsp.convert import path_to_uri, unstructure
from editor.lsp.types import ServerStatus

log = logging.getLogger(__name__)

StatusHandler = Callable[[ServerStatus, str], None]


@dataclass(frozen=True)
class RestartPolicy:
    """How eagerly a dead server is restarted."""

    max_restarts: int = 5
    """Restarts allowed inside ``window_seconds`` before giving up."""
    window_seconds: float = 60.0
    """Sliding window for counting restarts."""
    first_delay: float = 0.2
    """Delay before the first restart; doubles each time, capped at ``max_delay``."""
    max_delay: float = 5.0
    """Longest delay between restarts."""
    initialize_timeout: float = 30.0
    """Seconds the server gets to answer ``initialize``."""


def client_capabilities() -> lsp.ClientCapabilities:
    """Return what this client supports (plain text hover, pull diagnostics, ...)."""
    text = lsp.TextDocumentClientCapabilities(
        synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=False),
        completion=lsp.CompletionClientCapabilities(
            completion_item=lsp.ClientCompletionItemOptions(snippet_support=False)
        ),
        hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]),
        signature_help=lsp.SignatureHelpClientCapabilities(
            signature_information=lsp.ClientSignatureInformationOptions(
                documentation_format=[lsp.MarkupKind.PlainText],
                parameter_information=lsp.ClientSignatureParameterInformationOptions(label_offset_support=True),
            )
        ),
        definition=lsp.DefinitionClientCapabilities(link_support=False),
        document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
        diagnostic=lsp.DiagnosticClientCapabilities(related_document_support=False),
    )
    general = lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16])
    return lsp.ClientCapabilities(text_document=text, general=general)


def initialize_params(root: Path) -> dict[str, Any]:
    """Return the JSON params of ``initialize`` for a project root."""
    folder = lsp.WorkspaceFolder(uri=path_to_uri(root), name=root.name)
    params = lsp.InitializeParams(
        process_id=os.getpid(),
        root_uri=folder.uri,
        capabilities=client_capabilities(),
        workspace_folders=[folder],
        client_info=lsp.ClientInfo(name="isoplay"),
    )
    return unstructure(params)  # type: ignore[no-any-return]


class LspSession:
    """Keeps one initialized server alive; all methods run on the loop thread."""

    def __init__(
        self,
        argv: Sequence[str],
        root: Path,
        on_status: StatusHandler,
        on_notification: NotificationHandler,
        policy: RestartPolicy = RestartPolicy(),
    ) -> None:
        self._argv = list(argv)
        self._root = root
        self._on_status = on_status
        self._on_notification = on_notification
        self._policy = policy
        self._connection: LspConnection | None = None
        self._ready = False
        self._stopping = False
        self._opened: set[str] = set()
        self._restart_times: list[float] = []
        self._tasks: set[asyncio.Future[None]] = set()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """Process id of the running server, if any."""
        return self._connection.pid if self._connection is not None else None

    async def start(self) -> None:
        """Start (or restart) the server and initialize it."""
        self._ready = False
        self._opened.clear()
        self._connection = LspConnection(self._argv, self._root, self._on_notification, self._on_connection_exit)
        try:
            await self._connection.start()
            init = self._connection.request("initialize", initialize_params(self._root))
            await asyncio.wait_for(init, self._policy.initialize_timeout)
        except (OSError, asyncio.TimeoutError, ConnectionClosed) as exc:
            self._handle_start_failure(exc)
            return
        self._connection.notify("initialized", {})
        self._ready = True
        self._on_status(ServerStatus.READY, "")

    def _handle_start_failure(self, exc: BaseException) -> None:
        log.warning("language server failed to start: %s", exc)
        if isinstance(exc, OSError):
            self._stopping = True
            self._on_status(ServerStatus.FAILED, f"cannot start language server: {exc}")
        elif self._connection is not None:
            self._connection.kill()  # its exit handler decides whether to restart

    async def stop(self) -> None:
        """Shut the server down for good."""
        self._stopping = True
        self._ready = False
        if self._connection is not None:
            await self._connection.close()
        self._on_status(ServerStatus.STOPPED, "")

    def kill_server(self) -> None:
        """Kill the server process (it is restarted like after a crash)."""
        if self._connection is not None:
            self._connection.kill()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a document notification; dropped unless the server can take it."""
        if not self._ready or self._connection is None:
            return
        uri = params["textDocument"]["uri"]
        if method == "textDocument/didOpen":
            self._opened.add(uri)
        elif uri not in self._opened:
            return
        elif method == "textDocument/didClose":
            self._opened.discard(uri)
        self._connection.notify(method, params)

    def request(self, method: str, params: Any) -> asyncio.Future[Any]:
        """Send a request; the future fails at once if the server is not ready."""
        if not self._ready or self._connection is None:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_exception(ConnectionClosed(f"{method}: server not ready"))
            return future
        return self._connection.request(method, params)

    def _on_connection_exit(self, returncode: int | None) -> None:
        self._ready = False
        if self._stopping:
            return
        log.warning("language server exited with %s; restarting", returncode)
        delay = self._next_restart_delay()
        if delay is None:
            self._stopping = True
            self._on_status(ServerStatus.FAILED, f"language server keeps exiting (last code {returncode})")
            return
        self._on_status(ServerStatus.RESTARTING, f"language server exited ({returncode})")
        asyncio.get_running_loop().call_later(delay, self._restart)

    def _restart(self) -> None:
        if not self._stopping:
            self.restarts += 1
            task = asyncio.ensure_future(self.start())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _next_restart_delay(self) -> float | None:
        now = time.monotonic()
        window = self._policy.window_seconds
        self._restart_times = [t for t in self._restart_times if now - t < window]
        if len(self._restart_times) >= self._policy.max_restarts:
            return None
        self._restart_times.append(now)
        exponent = len(self._restart_times) - 1
        return float(min(self._policy.first_delay * (2**exponent), self._policy.max_delay))
