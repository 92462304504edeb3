"""``LocalEndpoint``: the open project answers HTTP on 127.0.0.1, as ``wrangler dev`` does.

While a project is open, its runtime (the same ``ProjectRuntime`` the IDE runs
requests on, so the same build, KV and metrics) listens on ``127.0.0.1:PORT``
through ``isoplay dev``'s HTTP front. The port is the ``endpoint/port`` setting
(8787 by default); when it is taken the next free one of the following
``PORT_TRIES`` is used; 0 picks any free port (tests). The status bar shows
the address as a link.

Guarantees:

- Every outside request is shown in the Console as a run is (its logs and its
  summary line) and counted by the Profiler (the pool's metrics see it).
- When ``debug_requests`` says so (Break on Requests is on, a breakpoint is
  set, no session is running), an outside request is handed to the GUI and
  runs under the debugger like F5; its client gets the debugged answer when the
  session ends (a 500 that says why when it could not start or was stopped).
- All socket and runtime work happens on the runtime thread; the GUI only gets
  queued signals. Stopping the endpoint closes the socket and answers nothing
  more; the project runtime is left to ``RuntimeService``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import itertools
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from app.bridge import FutureBridge
from runtime.devserver import DevServer, make_socket, respond_outcome
from runtime.errors import RuntimeDisposed, UserError
from runtime.httpfront import Exchange, FrontRequest, HttpFront
from runtime.invocation import HttpRequest, InvocationResult, Trigger
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime

HOST = "127.0.0.1"
DEFAULT_PORT = 8787
PORT_TRIES = 20
"""Ports tried from the configured one upwards before giving up."""


@dataclass(frozen=True)
class EndpointState:
    """Payload of ``LocalEndpoint.sig_state_changed``."""

    root: Path | None
    """The project served (None: not listening)."""
    url: str = ""
    """``http://127.0.0.1:PORT`` while listening."""
    error: str = ""
    """Why it is not listening, if it tried."""


@dataclass(frozen=True)
class OutsideRequest:
    """Payload of ``LocalEndpoint.sig_outside_finished``: a request from outside the IDE was answered."""

    root: Path
    trigger: Trigger
    result: InvocationResult


@dataclass(frozen=True)
class DebugHandoff:
    """Payload of ``LocalEndpoint.sig_debug_requested``: run this outside request under the debugger, then
    ``answer(id, result)`` (or ``refuse(id, why)``)."""

    id: int
    trigger: HttpRequest


class _IdeServer(DevServer):
    """``isoplay dev``'s script path over the IDE's runtime, with a hook for debugged requests."""

    def __init__(self, runtime: ProjectRuntime, endpoint: LocalEndpoint) -> None:
        super().__init__(runtime, watch=False, dev=True)
        self.endpoint = endpoint

    async def startup(self) -> None:
        """The runtime is already running (RuntimeService owns it)."""

    async def shutdown(self) -> None:
        """Nothing: the runtime outlives the endpoint."""

    def handle(self, request: FrontRequest, exchange: Exchange) -> bool:
        """Script traffic: debugged when the debugger wants it, else a pool job that also reaches the Console."""
        if request.target.startswith("/__isoplay/"):
            return False
        if self.endpoint.debug_requests():
            host = request.header("host", "localhost")
            trigger = HttpRequest(method=request.method, url=f"http://{host}{request.target}",
                                  headers=tuple(request.headers), body=request.body)
            self.endpoint.hand_to_debugger(trigger, exchange)
            return True
        return super().handle(request, exchange)


class LocalEndpoint(QObject):
    """Serves the open project on 127.0.0.1 (see the module docstring)."""

    sig_state_changed = Signal(object)
    """EndpointState: started, moved to another project, or stopped."""
    sig_outside_finished = Signal(object)
    """OutsideRequest: an outside request ran (not debugged)."""
    sig_debug_requested = Signal(object)
    """DebugHandoff: an outside request should run under the debugger."""

    def __init__(self, thread: RuntimeThread, bridge: FutureBridge, port: int = DEFAULT_PORT,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = thread
        self._bridge = bridge
        self.port = port
        """The configured port (0: any free one)."""
        self.state = EndpointState(None)
        self.debug_requests: Callable[[], bool] = lambda: False
        """Asked on the runtime thread for each outside request: run it under the debugger? (must be cheap)"""
        self._front: HttpFront | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, Exchange] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._generation = 0
        self._out_signal = _CrossThread(self)

    # -- lifecycle ---------------------------------------------------------------------
    def serve(self, runtime: ProjectRuntime, root: Path) -> concurrent.futures.Future[EndpointState]:
        """Listen for ``runtime`` (stopping whatever was served before)."""
        self._generation += 1
        generation = self._generation
        future = self._thread.submit(self._serve(runtime, root))
        self._bridge.watch(future, lambda state: self._on_state(state, generation),
                           lambda failure: self._on_state(EndpointState(None, error=str(failure.error)), generation),
                           "starting the local endpoint")
        return future

    def stop(self) -> concurrent.futures.Future[None] | None:
        """Stop listening (returns at once)."""
        self._generation += 1
        self._on_state(EndpointState(None), self._generation)
        try:
            return self._thread.submit(self._close())
        except (RuntimeError, RuntimeDisposed):  # the runtime thread has stopped: its sockets went with it
            return None

    def _on_state(self, state: EndpointState, generation: int) -> None:
        if generation != self._generation:
            return
        self.state = state
        self.sig_state_changed.emit(state)

    async def _serve(self, runtime: ProjectRuntime, root: Path) -> EndpointState:
        await self._close()
        sock, error = _bind(self.port)
        if sock is None:
            return EndpointState(None, error=error)
        self._loop = asyncio.get_running_loop()
        server = _IdeServer(runtime, self)
        original_submit = runtime.submit

        def submit(trigger: Trigger, on_done: Callable[[InvocationResult | BaseException], None]):  # type: ignore[no-untyped-def]
            def done(outcome: InvocationResult | BaseException) -> None:
                if isinstance(outcome, InvocationResult):
                    self._out_signal.finished.emit(OutsideRequest(root, _without_stream(trigger), outcome))
                on_done(outcome)

            return original_submit(trigger, done)

        server.runtime = _SubmitProxy(runtime, submit)  # type: ignore[assignment]
        front = HttpFront(server.handle, server, max_body=server.max_body)
        await front.start(sock)
        self._front = front
        port = sock.getsockname()[1]
        return EndpointState(root, f"http://{HOST}:{port}")

    async def _close(self) -> None:
        front, self._front = self._front, None
        with self._lock:
            pending, self._pending = dict(self._pending), {}
        for exchange in pending.values():
            exchange.respond_text(503, "the IDE's local endpoint stopped before the debugged request ended\n")
        if front is not None:
            await front.close()

    # -- debugged requests -----------------------------------------------------------------
    def hand_to_debugger(self, trigger: HttpRequest, exchange: Exchange) -> None:
        """(runtime thread) Keep the exchange and ask the GUI to debug ``trigger``."""
        with self._lock:
            request_id = next(self._ids)
            self._pending[request_id] = exchange
        self._out_signal.debug.emit(DebugHandoff(request_id, trigger))

    def answer(self, request_id: int, result: InvocationResult) -> None:
        """(GUI thread) The debugged request ended: send its answer."""
        self._finish(request_id, lambda exchange: respond_outcome(exchange, result, dev=True))

    def refuse(self, request_id: int, why: str) -> None:
        """(GUI thread) The debugged request could not run: a 500 that says why."""
        self._finish(request_id, lambda exchange: exchange.respond_text(500, why.rstrip("\n") + "\n"))

    def _finish(self, request_id: int, respond: Callable[[Exchange], None]) -> None:
        with self._lock:
            exchange = self._pending.pop(request_id, None)
        loop = self._loop
        if exchange is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: None if exchange.gone else respond(exchange))

    def pending_count(self) -> int:
        """Outside requests waiting for a debug session to end."""
        with self._lock:
            return len(self._pending)


class _CrossThread(QObject):
    """Signals emitted on the runtime thread and delivered (queued) on the GUI thread."""

    finished = Signal(object)
    debug = Signal(object)

    def __init__(self, endpoint: LocalEndpoint) -> None:
        super().__init__(endpoint)
        self.finished.connect(endpoint.sig_outside_finished, Qt.ConnectionType.QueuedConnection)
        self.debug.connect(endpoint.sig_debug_requested, Qt.ConnectionType.QueuedConnection)


class _SubmitProxy:
    """The runtime as the dev server sees it, with ``submit`` reporting to the Console on the way back."""

    def __init__(self, runtime: ProjectRuntime, submit: Callable[..., object]) -> None:
        self._runtime = runtime
        self.submit = submit

    def __getattr__(self, name: str) -> object:
        return getattr(self._runtime, name)


def _without_stream(trigger: Trigger) -> Trigger:
    if isinstance(trigger, HttpRequest) and trigger.stream_response:
        return dataclasses.replace(trigger, stream_response=False)
    return trigger


def _bind(port: int) -> tuple[socket.socket | None, str]:
    """A listening socket on ``HOST``: ``port`` or the next free one (0: any)."""
    candidates = [0] if port == 0 else list(range(port, min(port + PORT_TRIES, 65536)))
    last = ""
    for candidate in candidates:
        try:
            return make_socket(HOST, candidate), ""
        except OSError as exc:
            last = exc.strerror or str(exc)
    return None, f"cannot listen on {HOST}:{port}-{candidates[-1]}: {last}"


def refusal_text(error: BaseException) -> str:
    """What an outside client reads when its debugged request could not run."""
    if isinstance(error, UserError):
        return f"the project does not build:\n{error}"
    return f"the debugger could not run the request: {error}"
