"""WebSockets between the network and a script's isolate (prelude side: web/websocket.ts).

Incoming (a script's ``fetch`` answered ``101`` with ``webSocket: client``):

1. The pool holds the isolate that made the socket (``runtime.pool.HeldIsolate``) and
   hands the hold out with the result.
2. ``accept_upgrade`` (called by the front's answer path) checks the client's handshake,
   answers ``101 Switching Protocols`` with wsproto's accept token, and switches the
   front connection to a ``ServerSocket``.
3. Frames are parsed and written by **wsproto** (``wsproto.Connection``): each complete
   message, the close and a protocol error become one ``SocketTrigger`` invocation on the
   held isolate, in order, one at a time, each under ``timeout_ms`` and ``memory_mb``. A
   limit hit closes the socket with 1011 and the isolate is replaced. Pings are answered.
4. What the script sends leaves its isolate as an "emit" in the crossing's State and
   reaches the connection through the script's ``SocketHub``.
5. When either side closes (or the client vanishes: 1006), the script gets its close
   event and the hold is released.

Outgoing (``fetch(url, {headers: {Upgrade: "websocket"}})``): the ``ws.connect`` host op
opens the connection (egress allow-list as for fetch, TLS for https) and does the client
handshake with wsproto; frames arrive through the ``ws.recv`` op, which the prelude keeps
pending while the socket is accepted. They are delivered while an invocation of that
isolate runs (the one that opened it, or a held socket's events); ``close_all`` ends them.

Limits: a message over ``MAX_MESSAGE_BYTES`` (1 MiB, as Workers) closes the socket with
1009; at most ``MAX_OUTBOUND`` outbound sockets per script version.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Ping, RejectConnection,
                            RejectData, Request, TextMessage)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError, generate_accept_token

from runtime.hostops import HostContext, HostOpError, host_op
from runtime.invocation import InvocationResult, SocketTrigger

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024 * 1024
"""Largest message either side may send (Workers: 1 MiB)."""
MAX_OUTBOUND = 32
"""Outbound sockets one script version may have open."""
MAX_EARLY_EMITS = 1000
"""Frames a script may send before its socket's connection is attached."""
CONNECT_TIMEOUT_S = 10.0
OUTBOUND_BASE = 1 << 30
"""Host ids of outbound sockets start here (ids below are the isolate's own, per isolate)."""

_outbound_ids = itertools.count(OUTBOUND_BASE)
_HOP = frozenset({"connection", "upgrade", "sec-websocket-accept", "content-length", "transfer-encoding"})

Key = tuple[int | None, int]


class SocketHub:
    """Routes a script's WebSocket frames to their connections (one hub per script version)."""

    def __init__(self) -> None:
        self._links: dict[Key, Any] = {}
        self._early: dict[Key, list[list[Any]]] = {}

    @staticmethod
    def key(isolate_id: int | None, socket: int) -> Key:
        """Outbound ids are global; the others belong to one isolate."""
        return (None, socket) if socket >= OUTBOUND_BASE else (isolate_id, socket)

    def emit(self, isolate_id: int, items: list[Any]) -> None:
        """Frames an isolate sent (``[socket, "send", payload]`` / ``[socket, "close", code, reason]``)."""
        for item in items:
            if not isinstance(item, list) or len(item) < 2 or not isinstance(item[0], int):
                continue
            key = self.key(isolate_id, item[0])
            link = self._links.get(key)
            if link is not None:
                link.from_script(item[1], item[2:])
            else:
                early = self._early.setdefault(key, [])
                if len(early) < MAX_EARLY_EMITS:
                    early.append(item)

    def attach(self, key: Key, link: Any) -> None:
        """Connect a socket's network side; frames sent before now are delivered first."""
        self._links[key] = link
        for item in self._early.pop(key, []):
            link.from_script(item[1], item[2:])

    def detach(self, key: Key) -> None:
        """Forget a closed socket."""
        self._links.pop(key, None)
        self._early.pop(key, None)

    def get(self, key: Key) -> Any:
        """The link of a socket, if attached."""
        return self._links.get(key)

    def outbound_count(self) -> int:
        """Open outbound sockets."""
        return sum(1 for k in self._links if k[0] is None)

    async def close_all(self, code: int, reason: str) -> None:
        """Close every socket (the pool stops: a reload, a deploy, shutdown)."""
        for link in list(self._links.values()):
            link.shutdown(code, reason)
        self._early.clear()


def _payload(data: str | bytes) -> dict[str, str]:
    return {"text": data} if isinstance(data, str) else {"b64": base64.b64encode(data).decode("ascii")}


def _from_payload(payload: Any) -> str | bytes | None:
    if not isinstance(payload, dict):
        return None
    if "text" in payload:
        return str(payload["text"])
    try:
        return base64.b64decode(str(payload.get("b64", "")), validate=True)
    except ValueError:
        return None


class _Framer:
    """Message assembly and limits over one wsproto connection (both directions)."""

    def __init__(self, ws: Connection | WSConnection, write: Callable[[bytes], None]) -> None:
        self.ws = ws
        self.write = write
        self._parts: list[str | bytes] = []
        self._size = 0
        self.closed_sent = False

    def send(self, data: str | bytes) -> None:
        if self.closed_sent:
            return
        try:
            self.write(self.ws.send(Message(data=data)))
        except LocalProtocolError:
            pass  # the connection is closing

    def close(self, code: int, reason: str) -> None:
        if self.closed_sent:
            return
        self.closed_sent = True
        try:
            self.write(self.ws.send(CloseConnection(code=code, reason=reason)))
        except LocalProtocolError:
            pass

    def feed(self, data: bytes | None) -> list[tuple[str, Any, int, str]]:
        """Parse bytes; return complete events: ("message", data) / ("close", code, reason) / ("error", msg)."""
        out: list[tuple[str, Any, int, str]] = []
        try:
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, (TextMessage, BytesMessage)):
                    self._size += len(event.data)
                    if self._size > MAX_MESSAGE_BYTES:
                        self.close(1009, "message too big")
                        out.append(("close", None, 1009, f"a message exceeded {MAX_MESSAGE_BYTES} bytes"))
                        return out
                    self._parts.append(event.data)
                    if event.message_finished:
                        parts, self._parts, self._size = self._parts, [], 0
                        joined: str | bytes = "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)  # type: ignore[arg-type]
                        out.append(("message", joined, 0, ""))
                elif isinstance(event, Ping):
                    self.write(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    if not self.closed_sent:
                        self.closed_sent = True
                        try:
                            self.write(self.ws.send(event.response()))
                        except LocalProtocolError:
                            pass
                    out.append(("close", None, event.code or 1005, event.reason or ""))
        except RemoteProtocolError as exc:
            self.close(1002, "protocol error")
            out.append(("close", None, 1002, f"protocol error: {exc}"))
        return out


# ---- incoming ------------------------------------------------------------------------


class _HeldSocket:
    """The script's end of an incoming socket: its events run in order, one at a time, on the held isolate."""

    def __init__(self, hub: SocketHub, held: Any,
                 on_result: Callable[[SocketTrigger, InvocationResult], None] | None = None) -> None:
        self.hub = hub
        self.held = held
        self.key = hub.key(held.isolate.id, held.socket)
        self.path: str = getattr(held, "path", "")
        self.on_result = on_result
        """Gets each event's result (its console lines) besides the pool's ``on_socket_result``."""
        self.queue: asyncio.Queue[SocketTrigger | None] = asyncio.Queue()
        self.finished = False
        self.task = asyncio.get_running_loop().create_task(self._pump(), name="isoplay-websocket")

    def _event(self, type_: str, data: str | bytes | None = None, code: int = 1005, reason: str = "") -> None:
        self.queue.put_nowait(SocketTrigger(self.held.socket, type_, data, code, reason, self.path))

    def _close_peer(self, code: int, reason: str) -> None:
        """Tell the client the socket closes (a limit hit, the isolate gone)."""
        raise NotImplementedError

    def _ended(self) -> None:
        """The socket is over (after the script's last event)."""

    async def _pump(self) -> None:
        try:
            while True:
                trigger = await self.queue.get()
                if trigger is None:
                    return
                try:
                    result: InvocationResult = await self.held.run(trigger)
                except Exception:  # the isolate is gone (pool stopped, replaced)
                    self._close_peer(1012, "the script was restarted")
                    return
                if self.on_result is not None:
                    self.on_result(trigger, result)
                if result.outcome in ("timeout", "memory"):
                    self._close_peer(1011, f"the script hit {result.limit}")
                    return
                if trigger.type in ("close", "error"):
                    return
        finally:
            self.finished = True
            self.hub.detach(self.key)
            self.held.release()
            self._ended()


class ServerSocket(_HeldSocket):
    """An upgraded front connection bound to a held isolate."""

    def __init__(self, hub: SocketHub, held: Any, dev: bool) -> None:
        self.transport: asyncio.Transport | None = None
        self.framer = _Framer(Connection(ConnectionType.SERVER), self._write)
        super().__init__(hub, held)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close_peer(self, code: int, reason: str) -> None:
        self.framer.close(code, reason)

    def _ended(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # network -> script
    def on_data(self, data: bytes) -> None:
        """Bytes from the client."""
        for kind, data_, code, reason in self.framer.feed(data):
            if kind == "message":
                self._event("message", data_)
            else:
                self._event("close", None, code, reason)
                if self.transport is not None:
                    self.transport.close()

    def on_lost(self) -> None:
        """The TCP connection closed (a close event with 1006 unless one was already queued)."""
        self._event("close", None, 1006, "connection lost")

    # script -> network
    def from_script(self, kind: str, args: list[Any]) -> None:
        """A frame the script sent."""
        if kind == "send" and args:
            data = _from_payload(args[0])
            if data is not None:
                if len(data) > MAX_MESSAGE_BYTES:
                    self.shutdown(1009, "message too big")
                    return
                self.framer.send(data)
        elif kind == "close":
            code = args[0] if args and isinstance(args[0], int) else 1000
            reason = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            self.framer.close(code, reason)

    def shutdown(self, code: int, reason: str) -> None:
        """Close from the host side (a limit hit, the pool stopping)."""
        self.framer.close(code, reason)
        if self.transport is not None:
            self.transport.close()
        self.queue.put_nowait(None)


PeerEvent = Callable[[str, "str | bytes | None", int, str], None]
"""``(kind, data, code, reason)``: ``("message", data, 0, "")`` or ``("close", None, code, reason)``."""


class LocalSocket(_HeldSocket):
    """An incoming socket whose client is in this process (the IDE simulator): the script sees the same
    events as from a network client -- its ``fetch`` got an upgrade request and answered 101, messages and
    the close arrive as events -- but messages cross as Python values instead of frames.

    Closing follows the WebSocket closing handshake as a browser does it: a close from the client
    is a close event for the script; a close from the script reaches the client, which answers it, so
    the script's close listener runs too. Call ``send``/``close`` on the runtime's loop."""

    def __init__(self, hub: SocketHub, held: Any, on_peer: PeerEvent,
                 on_result: Callable[[SocketTrigger, InvocationResult], None] | None = None) -> None:
        self.on_peer = on_peer
        self.client_closed = False
        """The client sent (or answered) a close: nothing more goes to the script."""
        self.script_closed = False
        """The script closed (or the host closed for it): nothing more goes to the client."""
        super().__init__(hub, held, on_result)

    # client -> script
    def send(self, data: str | bytes) -> None:
        """A message from the client (a message over MAX_MESSAGE_BYTES closes the socket with 1009)."""
        if self.client_closed or self.finished:
            raise ConnectionError("the WebSocket is closed")
        if len(data) > MAX_MESSAGE_BYTES:
            self.shutdown(1009, f"a message exceeded {MAX_MESSAGE_BYTES} bytes")
            return
        self._event("message", data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """The client closes (1000 unless said otherwise); the script's side answers the close at once,
        as the front does (so what the script sends from its close listener is dropped, as on a network)."""
        if self.client_closed or self.finished:
            return
        self.client_closed = True
        self._event("close", None, code, reason)
        self._close_peer(code, reason)

    # script -> client
    def from_script(self, kind: str, args: list[Any]) -> None:
        """A message or close the script sent."""
        if self.script_closed:
            return
        if kind == "send" and args:
            data = _from_payload(args[0])
            if data is not None:
                if len(data) > MAX_MESSAGE_BYTES:
                    self.shutdown(1009, "message too big")
                    return
                self.on_peer("message", data, 0, "")
        elif kind == "close":
            code = args[0] if args and isinstance(args[0], int) else 1000
            reason = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            self.script_closed = True
            self.on_peer("close", None, code, reason)
            self.close(code, reason)  # the client answers the close: the script gets its close event

    def _close_peer(self, code: int, reason: str) -> None:
        if not self.script_closed:
            self.script_closed = True
            self.on_peer("close", None, code, reason)

    def shutdown(self, code: int, reason: str) -> None:
        """Close from the host side (a limit hit, the pool stopping)."""
        self._close_peer(code, reason)
        self.client_closed = True
        self.queue.put_nowait(None)

    def _ended(self) -> None:
        self._close_peer(1006, "the socket ended")


def upgrade_request(request: Any) -> Any:
    """``request`` (an HttpRequest) with the headers of a WebSocket handshake added (those it lacks)."""
    import dataclasses
    import os

    have = {name.lower() for name, _ in request.headers}
    extra = [(name, value) for name, value in (
        ("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-version", "13"),
        ("sec-websocket-key", base64.b64encode(os.urandom(16)).decode("ascii"))) if name not in have]
    return dataclasses.replace(request, method="GET", headers=(*request.headers, *extra), body=b"")


async def open_local(pool: Any, request: Any, on_peer: PeerEvent,
                     on_result: Callable[[SocketTrigger, InvocationResult], None] | None = None,
                     on_complete: Callable[[InvocationResult], None] | None = None,
                     ) -> tuple[InvocationResult, LocalSocket | None]:
    """Send ``request`` as a WebSocket upgrade to a pool's script; with a 101 and a socket, connect an
    in-process client to it. Returns the upgrade's result and the socket (None when the script answered
    anything else: the result says what)."""
    result: InvocationResult = await pool.invoke(upgrade_request(request), on_complete)
    held = result.lease
    if result.status != 101 or result.outcome != "ok" or held is None:
        if held is not None:
            held.release()
        return result, None
    hub: SocketHub = pool.host.sockets
    session = LocalSocket(hub, held, on_peer, on_result)
    held.attached = True
    hub.attach(session.key, session)
    return result, session


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k == name), "")


def accept_upgrade(exchange: Any, result: InvocationResult, hub: SocketHub | None, *, dev: bool) -> None:
    """Answer a script's 101 + webSocket on a front exchange: upgrade it, or explain why not."""
    held = result.lease
    request = exchange.request
    headers = request.headers
    problem = None
    if held is None or hub is None:
        problem = "500 Internal Server Error: the WebSocket's isolate is not available\n"
    elif not request.upgrade or _header(headers, "upgrade").lower() != "websocket":
        problem = ("426 Upgrade Required: the script answered 101 with a WebSocket, but this request did not ask "
                   "for one (Upgrade: websocket)\n")
    elif _header(headers, "sec-websocket-version") != "13" or not _header(headers, "sec-websocket-key"):
        problem = "400 Bad Request: a WebSocket handshake needs Sec-WebSocket-Version: 13 and Sec-WebSocket-Key\n"
    if problem is not None:
        if held is not None:
            held.release()
        status = int(problem[:3])
        extra = [("sec-websocket-version", "13")] if status in (400, 426) else []
        exchange.respond(status, [("content-type", "text/plain; charset=utf-8"), *extra], problem.encode())
        return
    assert held is not None and hub is not None
    accept = generate_accept_token(_header(headers, "sec-websocket-key").encode("latin-1"))
    lines = [b"HTTP/1.1 101 Switching Protocols", b"upgrade: websocket", b"connection: Upgrade",
             b"sec-websocket-accept: " + accept]
    for name, value in result.headers:
        if name.lower() not in _HOP and "\r" not in value and "\n" not in value:
            lines.append(f"{name.lower()}: {value}".encode("latin-1", "replace"))
    session = ServerSocket(hub, held, dev)
    transport = exchange.switch_protocols(b"\r\n".join(lines) + b"\r\n\r\n", session.on_data, session.on_lost)
    held.attached = True
    if transport is None:
        session.on_lost()
        return
    session.transport = transport
    hub.attach(session.key, session)


# ---- outgoing ------------------------------------------------------------------------


class OutboundSocket:
    """A script's client connection (``fetch`` with ``Upgrade: websocket``)."""

    def __init__(self, hub: SocketHub, socket: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 ws: WSConnection) -> None:
        self.hub = hub
        self.key: Key = (None, socket)
        self.writer = writer
        self.framer = _Framer(ws, self._write)
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._read(reader), name="isoplay-websocket-out")

    def _write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                data = await reader.read(65536)
                for kind, payload, code, reason in self.framer.feed(data or None):
                    if kind == "message":
                        self.events.put_nowait({"type": "message", "data": _payload(payload)})
                    else:
                        self.events.put_nowait({"type": "close", "code": code, "reason": reason})
                        return
                if not data:
                    self.events.put_nowait({"type": "close", "code": 1006, "reason": "connection lost"})
                    return
        except (OSError, asyncio.IncompleteReadError):
            self.events.put_nowait({"type": "close", "code": 1006, "reason": "connection lost"})
        finally:
            self.writer.close()  # the link stays until ws.recv hands out the close

    def from_script(self, kind: str, args: list[Any]) -> None:
        """A frame the script sent."""
        if kind == "send" and args:
            data = _from_payload(args[0])
            if data is not None and len(data) <= MAX_MESSAGE_BYTES:
                self.framer.send(data)
        elif kind == "close":
            self.framer.close(args[0] if args and isinstance(args[0], int) else 1000,
                              args[1] if len(args) > 1 and isinstance(args[1], str) else "")

    def shutdown(self, code: int, reason: str) -> None:
        """Close from the host side."""
        self.framer.close(code, reason)
        self.writer.close()
        self.task.cancel()
        self.hub.detach(self.key)


def _hub(ctx: HostContext) -> SocketHub:
    hub = getattr(ctx, "sockets", None)
    if not isinstance(hub, SocketHub):
        raise HostOpError("Error", "WebSockets are not available here")
    return hub


async def _handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ws: WSConnection, host: str,
                     target: str, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    subprotocols = [p.strip() for n, v in extra if n == "sec-websocket-protocol" for p in v.split(",") if p.strip()]
    others = [(n.encode(), v.encode()) for n, v in extra
              if n not in ("host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
                           "sec-websocket-protocol", "sec-websocket-extensions", "content-length")]
    writer.write(ws.send(Request(host=host, target=target, extra_headers=others, subprotocols=subprotocols)))
    while True:
        data = await reader.read(65536)
        if not data:
            raise HostOpError("TypeError", "WebSocket connection closed during the handshake")
        ws.receive_data(data)
        for event in ws.events():
            if isinstance(event, AcceptConnection):
                return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.extra_headers]
            if isinstance(event, (RejectConnection, RejectData)):
                status = getattr(event, "status_code", 0)
                raise HostOpError("TypeError", f"the server refused the WebSocket upgrade (HTTP {status})")


@host_op("ws.connect")
async def ws_connect(ctx: HostContext, args: Any) -> Any:
    """Open an outbound WebSocket: {url, headers} -> {socket, headers}."""
    from runtime.fetch import host_allowed, refusal

    if not isinstance(args, dict) or not isinstance(args.get("url"), str):
        raise HostOpError("TypeError", "ws.connect needs a url")
    url = args["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise HostOpError("TypeError", f"fetch: cannot open a WebSocket to {url}")
    if not host_allowed(url.replace("ws://", "http://", 1).replace("wss://", "https://", 1), ctx.fetch_allow):
        raise refusal(url)
    hub = _hub(ctx)
    if hub.outbound_count() >= MAX_OUTBOUND:
        raise HostOpError("TypeError", f"too many open outbound WebSockets (at most {MAX_OUTBOUND})")
    secure = parts.scheme in ("https", "wss")
    port = parts.port or (443 if secure else 80)
    headers = [(str(n).lower(), str(v)) for n, v in args.get("headers") or [] if isinstance(n, str)]
    from runtime.fetch import connect_address  # on the server: the checked address, never the name

    address = await connect_address(ctx, parts.hostname, port)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=ssl.create_default_context() if secure else None,
                                    server_hostname=parts.hostname if secure else None),
            CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise HostOpError("TypeError", f"WebSocket connection to {parts.hostname}:{port} failed: {exc}") from None
    ws = WSConnection(ConnectionType.CLIENT)
    host = parts.netloc.rpartition("@")[2]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        accepted = await asyncio.wait_for(_handshake(reader, writer, ws, host, target, headers), CONNECT_TIMEOUT_S)
    except BaseException:
        writer.close()
        raise
    socket = next(_outbound_ids)
    hub.attach((None, socket), OutboundSocket(hub, socket, reader, writer, ws))
    return {"socket": socket, "headers": [list(h) for h in accepted]}


@host_op("ws.recv")
async def ws_recv(ctx: HostContext, args: Any) -> Any:
    """The next event of an outbound socket (waits): {type, data?, code?, reason?}."""
    socket = args.get("socket") if isinstance(args, dict) else None
    link = _hub(ctx).get((None, socket)) if isinstance(socket, int) else None
    if not isinstance(link, OutboundSocket):
        return {"type": "close", "code": 1006, "reason": "the socket is closed"}
    event = await link.events.get()
    if event["type"] == "close":
        link.hub.detach(link.key)
    return event
