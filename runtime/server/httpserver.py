"""Run the server's ASGI app on uvicorn with an explicit start/stop handle.

``runtime.devserver.serve`` serves until cancelled; a deploy server also needs
a graceful stop (finish requests in flight, end log streams, run the lifespan
shutdown) for restarts and tests, so :class:`HttpServer` owns the
``uvicorn.Server`` and stops it with ``should_exit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from typing import Any

from runtime.errors import RuntimeDisposed


@dataclass(frozen=True)
class HttpServerStatistics:
    """Connection counts of the HTTP server."""

    url: str
    connections: int
    total_requests: int


class HttpServer:
    """uvicorn (httptools) serving ``app`` on an already-bound socket."""

    def __init__(self, app: Any, sock: socket.socket, *, graceful_timeout: float = 5.0) -> None:
        import uvicorn

        self.sock = sock
        config = uvicorn.Config(app, http="httptools", lifespan="on", log_level="warning", access_log=False,
                                timeout_keep_alive=30, timeout_graceful_shutdown=int(graceful_timeout))
        self._server = uvicorn.Server(config)
        # The owner (``isoplay serve``, a test) handles signals and stops us in order (log streams first).
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self, timeout: float = 15.0) -> None:
        """Start serving; return once uvicorn accepts connections (and the lifespan started)."""
        if self._task is not None:
            raise RuntimeDisposed("the HTTP server was already started")
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[self.sock]))
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeDisposed("the HTTP server stopped while starting")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the HTTP server did not start in time")
            await asyncio.sleep(0.01)

    async def wait(self) -> None:
        """Wait until the server stops."""
        if self._task is not None:
            await self._task

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, run the lifespan shutdown."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task

    def statistics(self) -> HttpServerStatistics:
        """Open connections and requests served so far."""
        state = self._server.server_state
        return HttpServerStatistics(self.url, len(state.connections), state.total_requests)

    def __repr__(self) -> str:
        return f"<HttpServer {self.url} started={self._server.started}>"
