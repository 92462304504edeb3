"""Serve the server's app through the HTTP front, with an explicit start/stop handle.

Script traffic takes ``ServerApp.handle`` (straight to a warm pool, answered
from its batch), the deploy API and ``/metrics`` go to Starlette over the
front's ASGI bridge -- the same front as ``isoplay dev``. A deploy server also
needs a graceful stop (finish requests in flight, end log streams, run the
shutdown) for restarts and tests, which ``stop`` does.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

from runtime.errors import RuntimeDisposed
from runtime.httpfront import HttpFront


@dataclass(frozen=True)
class HttpServerStatistics:
    """Connection counts of the HTTP server."""

    url: str
    connections: int
    total_requests: int


class HttpServer:
    """The HTTP front serving ``app`` (a ``ServerApp``) on an already-bound socket."""

    def __init__(self, app: Any, sock: socket.socket, *, graceful_timeout: float = 5.0, balance: Any = None) -> None:
        self.app = app
        self.sock = sock
        self.balance = balance
        """A worker's runtime.cluster.balance.AcceptBalance (None for a lone server)."""
        self.graceful_timeout = graceful_timeout
        config = getattr(getattr(app, "core", None), "config", None)
        self._front = HttpFront(app.handle, app, max_body=app.max_body,
                                limits=config.front_limits if config is not None else None,
                                stream_bodies=getattr(app, "streams_body", None))
        self._started = False
        self._stopped = asyncio.Event()

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self, timeout: float = 15.0) -> None:
        """Start the server core, then accept connections."""
        if self._started:
            raise RuntimeDisposed("the HTTP server was already started")
        self._started = True
        await asyncio.wait_for(self.app.core.start(), timeout)
        await self._front.start(self.sock, self.balance)

    async def wait(self) -> None:
        """Wait until the server stops."""
        await self._stopped.wait()

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, stop the core."""
        if not self._started or self._stopped.is_set():
            return
        await self._front.close(grace_s=self.graceful_timeout)
        await self.app.core.stop()
        self._stopped.set()

    def statistics(self) -> HttpServerStatistics:
        """Open connections and requests served so far."""
        return HttpServerStatistics(self.url, len(self._front.connections), self._front.requests)

    def __repr__(self) -> str:
        return f"<HttpServer {self.url} started={self._started}>"
