"""A small blocking WebSocket client for tests: wsproto over a raw socket on 127.0.0.1."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, RejectConnection, RejectData,
                            Request, TextMessage)


class WSClient:
    """Connect, send, receive whole messages, close."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: list[object] = []
        self.sock.sendall(self.ws.send(Request(host=parts.netloc, target=parts.path or "/")))
        event = self._next()
        if isinstance(event, RejectConnection):
            body = b""
            while not isinstance(event, RejectData) or not event.body_finished:
                event = self._next()
                body += getattr(event, "data", b"")
            raise ConnectionRefusedError(f"{event.__class__.__name__}: {body.decode(errors='replace')}")
        assert isinstance(event, AcceptConnection), event

    def _next(self) -> object:
        while not self.pending:
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            self.pending.extend(self.ws.events())
            if not data and not self.pending:
                raise ConnectionError("connection closed")
        return self.pending.pop(0)

    def send(self, data: str | bytes) -> None:
        self.sock.sendall(self.ws.send(Message(data=data)))

    def recv(self) -> str | bytes | tuple[str, int, str]:
        """The next whole message, or ("close", code, reason)."""
        parts: list[str | bytes] = []
        while True:
            event = self._next()
            if isinstance(event, (TextMessage, BytesMessage)):
                parts.append(event.data)
                if event.message_finished:
                    return "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)  # type: ignore[arg-type]
            elif isinstance(event, CloseConnection):
                try:
                    self.sock.sendall(self.ws.send(event.response()))
                except Exception:  # noqa: BLE001 - already closing
                    pass
                return ("close", event.code, event.reason)

    def close(self, code: int = 1000, reason: str = "") -> tuple[str, int, str] | None:
        self.sock.sendall(self.ws.send(CloseConnection(code=code, reason=reason)))
        while True:
            try:
                event = self._next()
            except ConnectionError:
                return None
            if isinstance(event, CloseConnection):
                return ("close", event.code, event.reason)

    def shutdown(self) -> None:
        self.sock.close()
