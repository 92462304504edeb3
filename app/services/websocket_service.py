"""``WebSocketService``: the simulator's WebSocket to the open project's script, as Qt signals.

The socket is in-process (``ProjectRuntime.open_socket``: the script's ``fetch`` gets an upgrade
request, answers 101 with a ``WebSocketPair`` end, and its message/close events run on the held
isolate), so no port is opened and no network is touched. Everything runtime-side happens on the
runtime thread: the GUI thread only submits coroutines through ``RuntimeThread.submit`` and gets
back queued signals. One socket at a time; connecting again closes the previous one.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.bridge import FutureBridge
from app.services.runtime_service import InvocationFinished, RuntimeService
from app.services.types import Failure
from runtime.errors import UserError
from runtime.invocation import HttpRequest, InvocationResult, SocketTrigger


@dataclass(frozen=True)
class SocketOpened:
    """Payload of ``sig_opened``: the script accepted the socket (answered 101)."""

    session: int
    url: str
    result: InvocationResult


@dataclass(frozen=True)
class SocketRefused:
    """Payload of ``sig_refused``: no socket (the script answered something else, or nothing is built)."""

    session: int
    message: str
    """One line for the user, e.g. ``the script answered 426: use a websocket``."""
    result: InvocationResult | None = None


@dataclass(frozen=True)
class SocketMessage:
    """Payload of ``sig_message``: a message the script sent (``data`` is str or bytes)."""

    session: int
    data: str | bytes
    time: float


@dataclass(frozen=True)
class SocketClosed:
    """Payload of ``sig_closed``: the socket closed (by either side, or by a reload: 1012)."""

    session: int
    code: int
    reason: str


class WebSocketService(QObject):
    """Opens the simulator's socket on the runtime thread and reports its traffic on the GUI thread."""

    sig_opened = Signal(object)
    """SocketOpened."""
    sig_refused = Signal(object)
    """SocketRefused."""
    sig_message = Signal(object)
    """SocketMessage: the script sent a message."""
    sig_closed = Signal(object)
    """SocketClosed."""
    sig_invocation = Signal(object)
    """InvocationFinished: the upgrade or one socket event ran (the Console shows its logs)."""

    _sig_from_thread = Signal(object)

    def __init__(self, runtime: RuntimeService, bridge: FutureBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runtime = runtime
        self._bridge = bridge
        self._socket: Any = None
        """The open LocalSocket (only touched on the runtime thread)."""
        self._session = 0
        self._sessions = itertools.count(1)
        self._sequence = itertools.count(1)
        self._sig_from_thread.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def session(self) -> int:
        """The number of the newest socket (0: none was opened)."""
        return self._session

    def connect_to(self, request: HttpRequest) -> int:
        """Open a socket with ``request`` (its path and headers; the handshake headers are added).
        Returns the session number its signals carry (0 when no project is open)."""
        runtime = self._runtime.project_runtime
        root = self._runtime.root
        if runtime is None or root is None:
            return 0
        session = self._session = next(self._sessions)
        future = self._runtime.thread.submit(self._open(runtime, root, request, session))
        self._bridge.watch(future, lambda _none: None, lambda failure: self._on_open_failed(session, failure),
                           "opening a WebSocket")
        return session

    def send(self, data: str | bytes) -> None:
        """Send a message on the open socket (ignored when none is open)."""
        self._runtime.thread.submit(self._send(self._session, data))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the open socket."""
        self._runtime.thread.submit(self._close(code, reason))

    # -- runtime thread ----------------------------------------------------------------

    async def _open(self, runtime: Any, root: Path, request: HttpRequest, session: int) -> None:
        if self._socket is not None:
            self._socket.close(1000, "the simulator opened another socket")
            self._socket = None
        emit = self._sig_from_thread.emit

        def on_peer(kind: str, data: str | bytes | None, code: int, reason: str) -> None:
            if kind == "message" and data is not None:
                emit(SocketMessage(session, data, time.time()))
            elif kind == "close":
                emit(SocketClosed(session, code, reason))

        def on_result(trigger: SocketTrigger, result: InvocationResult) -> None:
            emit(InvocationFinished(root, trigger, result, next(self._sequence)))

        result, socket = await runtime.open_socket(request, on_peer, on_result)
        emit(InvocationFinished(root, request, result, next(self._sequence)))
        if socket is None:
            emit(SocketRefused(session, refusal(result), result))
            return
        if session != self._session:  # connected again meanwhile
            socket.close(1000, "the simulator opened another socket")
            return
        self._socket = socket
        emit(SocketOpened(session, request.url, result))

    async def _send(self, session: int, data: str | bytes) -> None:
        socket = self._socket
        if socket is None or session != self._session or socket.finished or socket.client_closed:
            self._sig_from_thread.emit(SocketRefused(session, "the WebSocket is not open"))
            return
        socket.send(data)

    async def _close(self, code: int, reason: str) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.close(code, reason)

    # -- GUI thread ---------------------------------------------------------------------

    def _deliver(self, item: object) -> None:
        if isinstance(item, InvocationFinished):
            self.sig_invocation.emit(item)
        elif isinstance(item, SocketOpened):
            self.sig_opened.emit(item)
        elif isinstance(item, SocketRefused):
            self.sig_refused.emit(item)
        elif isinstance(item, SocketMessage):
            self.sig_message.emit(item)
        elif isinstance(item, SocketClosed):
            self.sig_closed.emit(item)

    def _on_open_failed(self, session: int, failure: Failure) -> None:
        error = failure.error
        message = str(error) if isinstance(error, UserError) else f"{failure.context} failed: {error}"
        self.sig_refused.emit(SocketRefused(session, message))


def refusal(result: InvocationResult) -> str:
    """Why an upgrade gave no socket, in one line."""
    if result.error is not None:
        return f"the script failed: {result.error.summary()}"
    if result.status == 101:
        return "the script answered 101 without a WebSocket (new Response(null, {status: 101, webSocket: client}))"
    body = result.body_text().strip().splitlines()
    detail = f": {body[0][:200]}" if body else ""
    return f"the script answered {result.status} instead of 101{detail}"
