"""A lean HTTP/1.1 front: httptools parsing, one callback per request, one write per response.

Script traffic is most of what a local runtime serves, and under uvicorn each
request paid for an ASGI cycle (a task, ``receive``/``send`` message dicts,
a header scope) before reaching the pool: about 150 us of Python per request,
measured with py-spy under wrk, against ~20 us for the script itself. This
front parses with httptools (the parser uvicorn uses), hands a ``FrontRequest``
to a plain callback, and the callback answers through ``Exchange.respond`` --
usually from the pool's batch, without a task or a coroutine per request.

Requests the callback does not take (the ``/__isoplay/*`` admin routes, the
server's deploy API) go to an ASGI app through a small bridge that supports
streaming responses (chunked), so Starlette serves them unchanged.

HTTP/1.1 handled here: keep-alive and HTTP/1.0 close, pipelining (answered in
order), chunked request bodies (httptools decodes them), ``Expect:
100-continue``, HEAD, a body limit (413, then close), malformed requests (400,
then close), idle keep-alive connections closed after ``keep_alive_s``.
Upgrades: a ``Connection: upgrade`` request reaches the handler like any other
(``FrontRequest.upgrade``); the handler may switch the connection to another protocol
with ``Exchange.switch_protocols`` (the WebSocket path, runtime/webapi/websocket.py),
after which the front only passes bytes through. Answered normally instead, the
connection closes after the answer; requests the handler does not take get 501.

Limits on the request head (``FrontLimits``, see README "Decisions"): a
request target longer than ``max_url_bytes`` is answered 414, more than
``max_header_bytes`` of header names and values, or more than ``max_headers``
header lines, 431; each answer names the limit and closes the connection. The
head is fed to the parser in slices, so a single endless header line is cut off
after the limit instead of being buffered whole. A body is held once: its
chunks are kept as they arrive and joined when the request is complete (at most
2x its size for that moment).

Streamed request bodies: when the front is given ``stream_bodies`` (a predicate on the
request target) and a request's body is larger than ``INLINE_BODY_BYTES`` or chunked, the
handler gets the request as soon as its head is read, with ``FrontRequest.body_stream``
(a ``runtime.webapi.request_body.RequestBody``) that the front feeds as the body arrives;
the socket is not read while more than ``request_body.HIGH_WATER`` bytes wait unread, so
the front holds about that much of a body at a time. A request answered before its body
ended has the rest read and dropped; a body over the limit fails its reader naming
``max_body_bytes`` and closes the connection after the answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httptools

from runtime.webapi.request_body import INLINE_BODY_BYTES, RequestBody

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
_REASONS = {s.value: s.phrase.encode("latin-1") for s in http.HTTPStatus}
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
                         "proxy-connection", "te", "trailer"})
MAX_PIPELINED = 32
"""Parsed requests one connection may queue before the front stops reading from it."""
HEAD_SLICE = 8192
"""While a request head is being read, data is fed to the parser this many bytes at a time."""
MAX_EARLY_UPGRADE_BYTES = 1024 * 1024
"""Bytes a client may send after an upgrade request before the answer; the connection closes beyond."""
LINGER_S = 1.0
"""After a refusal (400, 413, 414, 431), input is read and dropped this long before the socket closes."""


@dataclass(frozen=True)
class FrontLimits:
    """Limits on a request's head, checked while it is parsed (before any handler runs).

    Defaults (see README "Decisions"): nginx answers 414 past 8 KiB of request line
    and ~32 KiB of headers (``large_client_header_buffers 4 8k``), Node.js 431 past
    16 KiB of head (``--max-http-header-size``), Cloudflare documents 16 KB URLs and
    128 KB of request headers. These sit between: every real browser or API client
    fits, and a connection can never make the front buffer more than ~80 KiB of head.
    """

    max_url_bytes: int = 16 * 1024
    """Longest request target (path and query as sent); 414 beyond."""
    max_header_bytes: int = 64 * 1024
    """Most bytes of header names plus values in one request; 431 beyond."""
    max_headers: int = 128
    """Most header lines in one request; 431 beyond."""

    def __post_init__(self) -> None:
        for name in ("max_url_bytes", "max_header_bytes", "max_headers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")


class FrontRequest:
    """One parsed request."""

    __slots__ = ("body", "body_stream", "headers", "http_version", "keep_alive", "method", "target", "upgrade")

    def __init__(self, method: str, target: str, headers: Headers, body: bytes, keep_alive: bool,
                 http_version: str, upgrade: bool = False) -> None:
        self.method = method
        self.target = target
        """The request target as sent: path and query, still percent-encoded."""
        self.headers = headers
        """(name, value) pairs, names lowercased."""
        self.body = body
        self.keep_alive = keep_alive
        self.http_version = http_version
        self.upgrade = upgrade
        """The client asked to switch protocols (``Connection: upgrade``)."""
        self.body_stream: RequestBody | None = None
        """The body, still arriving, when the front streams it (``body`` is then empty)."""

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.split("?", 1)[0]

    def header(self, name: str, default: str = "") -> str:
        """The first value of a (lowercase) header."""
        for key, value in self.headers:
            if key == name:
                return value
        return default


Handler = Callable[[FrontRequest, "Exchange"], bool]
"""Takes a request and answers it through the Exchange (now or later); False passes it to the ASGI app."""


class _Date:
    """The Date header line, formatted once per second."""

    def __init__(self) -> None:
        self.second = 0
        self.value = b""

    def now(self) -> bytes:
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.value = b"date: %s\r\n" % email.utils.formatdate(second, usegmt=True).encode("ascii")
        return self.value


_date = _Date()


_STATUS_LINES: dict[int, bytes] = {}
_HEADER_LINES: dict[tuple[str, str], bytes] = {}
"""Encoded header lines by (name, value): responses repeat the same few headers, and
checking and encoding each one again cost more than the rest of the head."""
_HEADER_LINES_MAX = 4096


def _header_line(name: str, value: str) -> bytes:
    """``name: value\r\n``, or b"" for hop-by-hop headers (the front sets those) and for
    names or values carrying a line break (header injection)."""
    key = (name, value)
    line = _HEADER_LINES.get(key)
    if line is None:
        if name.lower() in _HOP_BY_HOP or "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            line = b""
        else:
            line = b"%s: %s\r\n" % (name.encode("latin-1"), value.encode("latin-1", "replace"))
        if len(_HEADER_LINES) >= _HEADER_LINES_MAX:
            _HEADER_LINES.clear()
        _HEADER_LINES[key] = line
    return line


def encode_head(status: int, headers: Headers, length: int | None, keep_alive: bool) -> bytes:
    """The status line and headers; ``length`` None means a chunked body."""
    status_line = _STATUS_LINES.get(status)
    if status_line is None:
        status_line = _STATUS_LINES[status] = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))
    cached = _HEADER_LINES.get
    parts = [status_line]
    for name, value in headers:
        line = cached((name, value))
        parts.append(line if line is not None else _header_line(name, value))
    if length is None:
        parts.append(b"transfer-encoding: chunked\r\n")
    elif status >= 200 and status not in (204, 304):
        parts.append(b"content-length: %d\r\n" % length)
    parts.append(_date.now())
    parts.append(b"\r\n" if keep_alive else b"connection: close\r\n\r\n")
    return b"".join(parts)


class Exchange:
    """One request's answer slot on its connection."""

    __slots__ = ("conn", "done", "on_abort", "request")

    def __init__(self, conn: _Connection, request: FrontRequest) -> None:
        self.conn = conn
        self.request = request
        self.done = False
        self.on_abort: Callable[[], None] | None = None
        """Called if the client goes away before the answer (e.g. to cancel a queued job)."""

    def respond_text(self, status: int, text: str) -> None:
        """A text/plain answer."""
        self.respond(status, [("content-type", "text/plain; charset=utf-8")], text.encode())

    @property
    def gone(self) -> bool:
        """The client closed the connection."""
        return self.conn.closed

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        """Send the whole response (ignored once the client is gone)."""
        if self.done:
            return
        self.done = True
        # on_abort usually reaches back to this exchange (job -> callback -> exchange);
        # dropping it lets reference counting free the request at once instead of
        # leaving ~20 objects per request to the cyclic GC.
        self.on_abort = None
        conn = self.conn
        if conn.closed:
            return
        keep_alive = (self.request.keep_alive and not conn.closing and not conn.draining
                      and not self.request.upgrade)
        head = encode_head(status, headers, len(body), keep_alive)
        bodiless = status in (204, 304) or self.request.method == "HEAD"
        conn.transport.write(head if bodiless else head + body)
        conn.finished(keep_alive)
        front = conn.front
        if front.poll_after_answer_s:
            front.poll_briefly()

    def respond_stream(self, status: int, headers: Headers, stream: Any) -> None:
        """Send the head now and the body as ``stream`` (a runtime.webapi.streaming.ResponseStream)
        yields it: chunked, or raw under Content-Length when the stream knows its length. A body
        that fails midway cuts the connection (the client sees an incomplete response)."""
        if self.done:
            return
        self.done = True
        conn = self.conn
        if conn.closed:
            self.on_abort = None
            stream.cancel()
            return
        self.on_abort = stream.cancel
        keep_alive = self.request.keep_alive and not conn.closing and not self.request.upgrade
        length = stream.length
        conn.transport.write(encode_head(status, headers, length, keep_alive))
        bodiless = status in (204, 304) or self.request.method == "HEAD"
        if bodiless:
            stream.cancel()
        conn.asgi_task = asyncio.get_running_loop().create_task(
            self._write_stream(stream, length is None and not bodiless, bodiless, keep_alive))

    async def _write_stream(self, stream: Any, chunked: bool, bodiless: bool, keep_alive: bool) -> None:
        from runtime.webapi.streaming import StreamFailed

        conn = self.conn
        try:
            while (chunk := await stream.next()) is not None:
                if conn.closed:
                    return
                conn.transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                if conn.write_paused:
                    await conn.wait_writable()
        except StreamFailed as exc:
            log.info("a streamed response body failed after its head was sent: %s", exc)
            self.on_abort = None
            conn.transport.close()
            return
        self.on_abort = None
        if conn.closed:
            return
        if stream.cancelled and not bodiless:
            conn.transport.close()
            return
        if chunked:
            conn.transport.write(b"0\r\n\r\n")
        conn.finished(keep_alive)

    def switch_protocols(self, head: bytes, on_data: Callable[[bytes], None],
                         on_lost: Callable[[], None]) -> asyncio.Transport | None:
        """Answer an upgrade request with ``head`` (a 101) and hand the connection over.

        From then on every byte received goes to ``on_data`` (bytes that arrived after the
        request head first), ``on_lost`` runs once when the connection closes, and the front
        no longer parses, times out idle, or answers anything on it. Returns the transport,
        or None when the client has already gone.
        """
        if self.done:
            raise RuntimeError("the request was already answered")
        self.done = True
        self.on_abort = None
        conn = self.conn
        if conn.closed:
            return None
        conn.transport.write(head)
        conn.switch(on_data, on_lost)
        return conn.transport


FRESH_CONNECTION_GRACE_S = 1.0
"""On stop, how long a connection that has not sent a request yet may still send one."""


class _Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them in order."""

    def __init__(self, front: HttpFront) -> None:
        self.front = front
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.closed = False
        self.closing = False
        """No further request is read (after 400/413); the connection closes after the current answer."""
        self.current: Exchange | None = None
        self.started = 0
        """Requests started on this connection so far."""
        self.draining = False
        """The front is stopping: answer what was sent, then close (no keep-alive)."""
        self.waiting: deque[FrontRequest] = deque()
        self.last_active = time.monotonic()
        self.read_paused = False
        self.write_paused = False
        self.writable: asyncio.Event | None = None
        self.asgi_task: asyncio.Task[None] | None = None
        self.disconnected: asyncio.Event | None = None
        self._url = b""
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._size = 0
        self._limit = 0
        self._stream: RequestBody | None = None
        """The body being streamed to the current request's handler."""
        self._body_paused = False
        """Reading is paused until the handler's script takes some of the body."""
        self._cut = False
        """A streamed body passed the limit: close after the answer."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._refusal: tuple[int, str] | None = None
        """What a parser callback refused (httptools wraps what a callback raised)."""
        self._in_head = True
        """The next bytes belong to a request head (between requests, or before its headers end)."""
        self._head_fed = 0
        self._header_bytes = 0
        self.raw: Callable[[bytes], None] | None = None
        """After ``switch_protocols``: where received bytes go."""
        self._raw_lost: Callable[[], None] | None = None
        self._after_upgrade: bytearray | None = None
        """Bytes received after an upgrade request's head, until the handler decides."""

    def switch(self, on_data: Callable[[bytes], None], on_lost: Callable[[], None]) -> None:
        """Stop speaking HTTP on this connection (see ``Exchange.switch_protocols``)."""
        self.current = None
        self.waiting.clear()
        self.raw, self._raw_lost = on_data, on_lost
        early, self._after_upgrade = self._after_upgrade, None
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        if early:
            on_data(bytes(early))

    # ---- asyncio.Protocol -------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._loop = asyncio.get_running_loop()
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self.front.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.front.connections.discard(self)
        if self.front.balance is not None:
            self.front.balance.closed()
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.fail("the client closed the connection before the request body was complete")
        if self._raw_lost is not None:
            lost, self._raw_lost = self._raw_lost, None
            lost()
        current = self.current
        if current is not None and current.on_abort is not None:  # answered exchanges drop on_abort
            current.on_abort()
        if self.disconnected is not None:
            self.disconnected.set()
        if self.writable is not None:
            self.writable.set()

    def pause_writing(self) -> None:
        self.write_paused = True
        if self.writable is not None:
            self.writable.clear()

    async def wait_writable(self) -> None:
        """Wait until the transport takes writes again (or the connection is lost)."""
        if self.writable is None:
            self.writable = asyncio.Event()
            if not self.write_paused or self.closed:
                self.writable.set()
        await self.writable.wait()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.writable is not None:
            self.writable.set()
        if self.current is None and self.waiting:
            self._next()

    def data_received(self, data: bytes) -> None:
        if self.raw is not None:
            self.raw(data)
            return
        if self._after_upgrade is not None:  # waiting for the handler to take the upgrade
            self._after_upgrade += data
            if len(self._after_upgrade) > MAX_EARLY_UPGRADE_BYTES:
                self.transport.close()
            return
        if self.closing:
            return
        self.last_active = time.monotonic()
        try:
            if not self._in_head:
                self.parser.feed_data(data)
                return
            # A head is read: feed it in slices so that one endless header line is cut off
            # at the limit (httptools would otherwise buffer it whole before calling back).
            most = self.front.head_budget
            if len(data) <= HEAD_SLICE:
                self._head_fed += len(data)
                self.parser.feed_data(data)
                if self._in_head and self._head_fed > most and not self.closing:
                    self._refuse(*self.front.head_too_large(len(self._url)))
                return
            view = memoryview(data)
            at = 0
            while at < len(view):
                if not self._in_head:
                    self.parser.feed_data(view[at:])
                    return
                piece = view[at:at + HEAD_SLICE]
                at += len(piece)
                self._head_fed += len(piece)
                self.parser.feed_data(piece)
                if self.closing:
                    return
                if self._in_head and self._head_fed > most:
                    self._refuse(*self.front.head_too_large(len(self._url)))
                    return
        except httptools.HttpParserUpgrade as exc:
            # The head of an upgrade request was read (its request has started): what follows
            # belongs to the new protocol, kept until the handler switches or answers.
            offset = exc.args[0] if exc.args and isinstance(exc.args[0], int) else len(data)
            if self._after_upgrade is None:
                self._after_upgrade = bytearray()
            self._after_upgrade += data[offset:] if offset <= len(data) else b""
        except httptools.HttpParserError as exc:
            if self._cut:  # a streamed body passed the limit: its reader was told; close after the answer
                self.closing = True
                if self.current is None:
                    self._linger()
            elif self._refusal is not None:  # httptools wraps what a callback raised
                self._refuse(*self._refusal)
            else:
                self._refuse(400, f"400 Bad Request: {exc}\n")

    # ---- httptools callbacks ------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []
        self._size = 0
        self._header_bytes = 0
        self._in_head = True

    def on_url(self, url: bytes) -> None:
        self._url += url
        limit = self.front.limits.max_url_bytes
        if len(self._url) > limit:
            self._refusal = (414, f"414 URI Too Long: the request target is longer than max_url_bytes "
                                  f"({limit} bytes)\n")
            raise _HeadRefused

    def on_header(self, name: bytes, value: bytes) -> None:
        limits = self.front.limits
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > limits.max_header_bytes:
            self._refusal = (431, f"431 Request Header Fields Too Large: the headers are larger than "
                                  f"max_header_bytes ({limits.max_header_bytes} bytes)\n")
            raise _HeadRefused
        if len(self._headers) >= limits.max_headers:
            self._refusal = (431, f"431 Request Header Fields Too Large: more than max_headers "
                                  f"({limits.max_headers}) header lines\n")
            raise _HeadRefused
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_fed = 0
        self._limit = self.front.max_body()
        for name, value in self._headers:
            if name == "content-length" and value.isdigit() and int(value) > self._limit:
                self._refusal = self._too_large_answer()
                raise _HeadRefused
            if name == "expect" and value.lower() == "100-continue" and not self.closing:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        front = self.front
        if front.stream_bodies is not None and self.current is None and not self.waiting and not self.write_paused:
            self._maybe_stream(front)

    def _maybe_stream(self, front: HttpFront) -> None:
        """Start the request now, its body streamed to the handler, if it is large or chunked."""
        length: int | None = None
        chunked = False
        for name, value in self._headers:
            if name == "content-length" and value.isdigit():
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked and (length is None or length <= INLINE_BODY_BYTES):
            return
        parser = self.parser
        url = self._url.decode("latin-1")
        if parser.should_upgrade() or not front.stream_bodies(url):  # type: ignore[misc]
            return
        stream = RequestBody(None if chunked else length, self._limit)
        stream.on_room = self._body_room
        self._stream = stream
        request = FrontRequest(parser.get_method().decode("ascii"), url, self._headers, b"",
                               parser.should_keep_alive(), parser.get_http_version())
        request.body_stream = stream
        self._start(request)

    def _body_room(self) -> None:
        """The script took some of a streamed body (any thread): read the socket again."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._resume_body)

    def _resume_body(self) -> None:
        if self._body_paused and not self.closed:
            self._body_paused = False
            if not self.read_paused:
                self.transport.resume_reading()

    def _too_large_answer(self) -> tuple[int, str]:
        return 413, f"413 Payload Too Large: the body exceeds max_body_bytes ({self._limit} bytes)\n"

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        stream = self._stream
        if stream is not None:
            if self._size > self._limit:
                self._stream = None
                stream.fail(f"the request body exceeds max_body_bytes ({self._limit} bytes)")
                self._cut = True
                raise _HeadRefused
            if stream.push(body) and not self._body_paused:
                self._body_paused = True
                self.transport.pause_reading()
            elif stream.limit is not None and stream.received > stream.limit:  # the app's own, lower limit
                self._stream = None
                self._cut = True
                raise _HeadRefused
            return
        if self._size > self._limit:
            self._refusal = self._too_large_answer()
            raise _HeadRefused
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._stream is not None:  # its request started when the head was read
            stream, self._stream = self._stream, None
            stream.end()
            self._in_head = True
            return
        parser = self.parser
        upgrade = parser.should_upgrade()
        if upgrade:
            self._after_upgrade = bytearray()  # nothing more is parsed as HTTP on this connection
        chunks, self._body = self._body, []
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        del chunks  # the parts go as soon as the joined body exists: at most 2x the body, briefly
        self._in_head = True
        request = FrontRequest(parser.get_method().decode("ascii"), self._url.decode("latin-1"), self._headers,
                               body, parser.should_keep_alive(), parser.get_http_version(), upgrade)
        if self.current is None and not self.write_paused:
            self._start(request)
        else:
            self.waiting.append(request)
            if len(self.waiting) >= MAX_PIPELINED and not self.read_paused:
                self.read_paused = True
                self.transport.pause_reading()

    # ---- answering ------------------------------------------------------------------
    def _start(self, request: FrontRequest) -> None:
        self.front.requests += 1
        self.started += 1
        exchange = self.current = Exchange(self, request)
        try:
            taken = self.front.handler(request, exchange)
        except Exception:  # an isoplay bug: answer 500 and keep serving
            log.exception("the request handler failed")
            exchange.respond_text(500, "500 Internal Server Error: isoplay failed to handle the request\n")
            return
        if not taken:
            if request.upgrade:
                self.current = None
                self._refuse(501, "501 Not Implemented: this route does not take protocol upgrades (WebSocket)\n")
                return
            self.asgi_task = asyncio.get_running_loop().create_task(self.front.bridge.run(self, exchange))

    def finished(self, keep_alive: bool) -> None:
        """The current answer is written; close, or go on with the next pipelined request."""
        self.current = None
        self.asgi_task = None
        self.last_active = time.monotonic()
        if not keep_alive:
            self.closing = True
            self.transport.close()
            return
        if self.waiting and not self.write_paused:
            self._next()

    def _next(self) -> None:
        request = self.waiting.popleft()
        if self.read_paused and len(self.waiting) < MAX_PIPELINED // 2:
            self.read_paused = False
            self.transport.resume_reading()
        self._start(request)

    def _refuse(self, status: int, text: str) -> None:
        """Answer a request that cannot be read further, then close."""
        self.closing = True
        self.waiting.clear()
        if self.current is not None:  # an answer is still owed for an earlier request: just close after it
            return
        body = text.encode()
        self.transport.write(encode_head(status, [("content-type", "text/plain; charset=utf-8")], len(body), False)
                             + body)
        self._linger()

    def _linger(self) -> None:
        """Close after a refusal without losing the answer: closing a socket with unread input
        resets the connection, and the client would never read the answer. So send EOF, drop
        whatever still arrives for up to ``LINGER_S`` (as nginx's lingering close), then close."""
        transport = self.transport
        if self.read_paused:
            self.read_paused = False
            transport.resume_reading()
        try:
            if transport.can_write_eof():
                transport.write_eof()
                asyncio.get_running_loop().call_later(LINGER_S, transport.close)
                return
        except (OSError, RuntimeError):
            pass
        transport.close()


class _HeadRefused(Exception):
    """A request passed one of the front's limits (the answer is in ``_Connection._refusal``)."""


class AsgiBridge:
    """Runs one request through an ASGI app on a front connection (streaming answers are chunked)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def run(self, conn: _Connection, exchange: Exchange) -> None:
        request = exchange.request
        target = request.target
        path, _, query = target.partition("?")
        peer = conn.transport.get_extra_info("peername")
        local = conn.transport.get_extra_info("sockname")
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": request.http_version,
            "method": request.method, "scheme": "http", "path": unquote(path), "raw_path": path.encode("latin-1"),
            "query_string": query.encode("latin-1"), "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers],
            "client": tuple(peer[:2]) if peer else None, "server": tuple(local[:2]) if local else None,
        }
        conn.disconnected = asyncio.Event()
        if conn.closed:
            conn.disconnected.set()
        conn.writable = asyncio.Event()
        conn.writable.set()
        state = {"body_sent": False, "started": False, "chunked": False, "length": 0, "finished": False}
        keep_alive = request.keep_alive and not conn.draining

        async def receive() -> dict[str, Any]:
            stream = request.body_stream
            if stream is not None and not state["body_sent"]:
                from runtime.webapi.request_body import BodyFailed

                try:
                    piece = await stream.read()
                except BodyFailed:
                    state["body_sent"] = True
                    return {"type": "http.disconnect"}
                if piece is not None:
                    return {"type": "http.request", "body": piece, "more_body": True}
                state["body_sent"] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if not state["body_sent"]:
                state["body_sent"] = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            await conn.disconnected.wait()  # type: ignore[union-attr]
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if conn.closed:
                raise OSError("the client disconnected")
            kind = message["type"]
            if kind == "http.response.start":
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
                length = next((v for k, v in headers if k.lower() == "content-length"), None)
                state.update(started=True, status=message["status"], headers=headers,
                             length=int(length) if length is not None else None)
            elif kind == "http.response.body":
                body, more = message.get("body", b""), message.get("more_body", False)
                if not state["chunked"] and not state.get("head_sent"):
                    if not more and state["length"] is None:
                        state["length"] = len(body)
                    state["chunked"] = state["length"] is None
                    conn.transport.write(encode_head(state["status"], state["headers"], state["length"], keep_alive))
                    state["head_sent"] = True
                if request.method != "HEAD":
                    if state["chunked"]:
                        if body:
                            conn.transport.write(b"%x\r\n%s\r\n" % (len(body), body))
                        if not more:
                            conn.transport.write(b"0\r\n\r\n")
                    elif body:
                        conn.transport.write(body)
                if conn.write_paused:
                    await conn.writable.wait()  # type: ignore[union-attr]
                if not more:
                    state["finished"] = True

        try:
            await self.app(scope, receive, send)
        except OSError:
            return
        except Exception:  # the app's own bug: a 500 if nothing was sent yet, else cut the connection
            log.exception("the ASGI app failed on %s %s", request.method, target)
            if not state["started"] and not conn.closed:
                exchange.respond_text(500, "500 Internal Server Error\n")
                return
            keep_alive = False
        if conn.closed or exchange.done:
            return
        if not state["started"]:
            exchange.respond_text(500, "500 Internal Server Error\n")
            return
        if not state["finished"]:
            keep_alive = False
        exchange.done = True
        conn.finished(keep_alive)


class _BalancedAcceptor:
    """Accepts on a listening socket shared with other worker processes, one connection per wake-up,
    deferring by ``balance.WAIT_S`` while this worker holds more connections than the least loaded one
    (runtime/cluster/balance.py). The socket must already listen."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, factory: Callable[[], _Connection],
                 balance: Any) -> None:
        from runtime.cluster.balance import WAIT_S

        self.loop, self.sock, self.factory, self.balance = loop, sock, factory, balance
        self.wait_s = WAIT_S
        self._deferred = False
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        sock.setblocking(False)
        balance.start()
        loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        if self.balance.ahead() and not self._deferred:
            self._deferred = True  # let a less loaded worker take it; take it ourselves after wait_s if none did
            self.loop.remove_reader(self.sock.fileno())
            self._timer = self.loop.call_later(self.wait_s, self._resume)
            return
        self._deferred = False
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):  # another worker took it
            return
        except OSError as exc:  # out of descriptors, or the like: try again shortly, as asyncio's server does
            log.warning("accept failed: %s", exc)
            self.loop.remove_reader(self.sock.fileno())
            self._timer = self.loop.call_later(0.1, self._resume)
            return
        conn.setblocking(False)
        self.balance.opened()
        task = self.loop.create_task(self.loop.connect_accepted_socket(self.factory, conn))  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is not None:  # no connection_lost will come for it
            self.balance.closed()

    def _resume(self) -> None:
        self._timer = None
        if not self._closed:
            self.loop.add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        """Stop accepting; this worker leaves the balance table and closes its copy of the socket."""
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        else:
            self.loop.remove_reader(self.sock.fileno())
        self.sock.close()
        self.balance.close()


class HttpFront:
    """Serves a listening socket: ``handler`` takes script requests, the rest goes to ``app`` (ASGI)."""

    def __init__(self, handler: Handler, app: Callable[..., Awaitable[None]], *,
                 max_body: Callable[[], int] = lambda: 100 * 1024 * 1024, keep_alive_s: float = 30.0,
                 limits: FrontLimits | None = None, stream_bodies: Callable[[str], bool] | None = None,
                 poll_after_answer_s: float = 0.0) -> None:
        self.handler = handler
        self.poll_after_answer_s = poll_after_answer_s
        """After an answer, the loop keeps polling its sockets this long before it may sleep (see
        ``poll_briefly``; ``isoplay dev`` only)."""
        self._poll_until = 0.0
        self._polling = False
        self.stream_bodies = stream_bodies
        """Which request targets get large or chunked bodies streamed (see the module docstring)."""
        self.bridge = AsgiBridge(app)
        self.max_body = max_body
        self.limits = limits or FrontLimits()
        self.head_budget = (self.limits.max_url_bytes + self.limits.max_header_bytes
                            + 4 * self.limits.max_headers + 2 * HEAD_SLICE)
        """Bytes of one head (separators and the request line included) read before it is cut off."""
        self.keep_alive_s = keep_alive_s
        self.connections: set[_Connection] = set()
        self.requests = 0
        """Requests read so far."""
        self._server: asyncio.AbstractServer | None = None
        self._acceptor: _BalancedAcceptor | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.balance: Any = None
        """The runtime.cluster.balance.AcceptBalance of a worker sharing its socket, when given to ``start``."""

    def poll_briefly(self) -> None:
        """Keep the event loop polling its sockets, without sleeping, for ``poll_after_answer_s``.

        A client that sends its next request right after reading an answer (a test, a script, a
        benchmark) finds the loop's thread awake: waking a thread that sleeps costs tens to
        hundreds of microseconds on an idle virtual machine, whose idle cores halt. The loop turns
        over with a callback that yields the core each turn (``sched_yield``), so other work on the
        machine is not held up; it stops at the deadline or when the front closes.
        """
        self._poll_until = time.perf_counter() + self.poll_after_answer_s
        if not self._polling and self._server is not None:
            self._polling = True
            asyncio.get_running_loop().call_soon(self._poll_turn)

    def _poll_turn(self) -> None:
        if time.perf_counter() < self._poll_until and self._server is not None and self._server.is_serving():
            os.sched_yield()
            asyncio.get_running_loop().call_soon(self._poll_turn)
        else:
            self._polling = False

    def head_too_large(self, url_bytes: int) -> tuple[int, str]:
        """The answer to a head that goes on past every limit (one endless line)."""
        limits = self.limits
        if url_bytes >= limits.max_url_bytes or url_bytes == 0:
            # still in the request line (httptools has not handed the target over yet)
            return 414, (f"414 URI Too Long: the request line is longer than max_url_bytes "
                         f"({limits.max_url_bytes} bytes)\n")
        return 431, (f"431 Request Header Fields Too Large: the headers are larger than max_header_bytes "
                     f"({limits.max_header_bytes} bytes)\n")

    async def start(self, sock: socket.socket, balance: Any = None) -> None:
        """Accept connections on ``sock`` (``balance``: a runtime.cluster.balance.AcceptBalance shared with the
        other workers on that socket, so that each takes its share of the connections)."""
        loop = asyncio.get_running_loop()
        if balance is None:
            self._server = await loop.create_server(lambda: _Connection(self), sock=sock, backlog=1024)
        else:
            self.balance = balance
            self._acceptor = _BalancedAcceptor(loop, sock, lambda: _Connection(self), balance)
        self._sweeper = loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        """Close keep-alive connections idle for longer than ``keep_alive_s``."""
        while True:
            await asyncio.sleep(min(5.0, self.keep_alive_s / 2))
            cutoff = time.monotonic() - self.keep_alive_s
            for conn in list(self.connections):
                if conn.raw is None and conn.current is None and not conn.waiting and conn.last_active < cutoff:
                    conn.transport.close()

    async def close(self, *, grace_s: float = 10.0) -> None:
        """Stop accepting, let answers in flight finish (up to ``grace_s``), close every connection."""
        if self._server is not None:
            self._server.close()
        if self._acceptor is not None:
            self._acceptor.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        now = time.monotonic()
        deadline = now + grace_s
        # A connection accepted just before the stop has not sent its request yet (or it is on its
        # way): give it a moment to arrive and be answered, as other processes on a shared listening
        # socket keep accepting. Idle keep-alive connections close at once.
        fresh_deadline = now + min(FRESH_CONNECTION_GRACE_S, grace_s)
        for conn in list(self.connections):
            conn.draining = True
            if conn.current is None and conn.started > 0 and not conn.waiting:
                conn.transport.close()

        def busy(c: _Connection) -> bool:
            return c.current is not None or bool(c.waiting) or (c.started == 0 and time.monotonic() < fresh_deadline)

        while any(busy(c) for c in list(self.connections)) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            conn.transport.close()
            if conn.asgi_task is not None:
                conn.asgi_task.cancel()
        if self._server is not None:
            await self._server.wait_closed()
