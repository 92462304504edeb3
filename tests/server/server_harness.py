"""A real isoplay server (ServerCore behind the HTTP front) in its own runtime thread, for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.loop import RuntimeThread
from runtime.server.config import ServerConfig
from runtime.server.core import ServerCore
from runtime.server.tokens import create_token


class RealServer:
    """``ServerCore`` behind the HTTP front on 127.0.0.1 (port 0), in its own runtime thread."""

    def __init__(self, data_dir: Path, **config: Any) -> None:
        self.data_dir = data_dir
        self.config = config
        self.thread: RuntimeThread | None = None
        self.core: ServerCore | None = None
        self.http: Any = None
        self.url = ""

    def start(self) -> RealServer:
        """Start serving; ``url`` is set when this returns."""
        from runtime.devserver import make_socket
        from runtime.server.httpserver import HttpServer

        self.thread = RuntimeThread("isoplay-test-server").start()

        async def boot() -> None:
            self.core = ServerCore(ServerConfig(data_dir=self.data_dir, **self.config))
            self.http = HttpServer(self.core.asgi, make_socket("127.0.0.1", 0))
            await self.http.start()

        self.thread.call(boot(), timeout=30)
        self.url = self.http.url
        return self

    def create_token(self, name: str = "tests") -> str:
        """A new API token."""
        assert self.core is not None
        return create_token(self.core.storage, name)

    def stop(self) -> None:
        """Graceful stop (requests finish, log streams end), then stop the thread."""
        if self.thread is None:
            return

        async def shutdown() -> None:
            assert self.core is not None
            self.core.begin_stopping()
            await self.http.stop()
            await self.core.stop()

        try:
            self.thread.call(shutdown(), timeout=30)
        finally:
            self.thread.stop()
            self.thread = None
