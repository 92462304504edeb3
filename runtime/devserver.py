"""``isoplay dev``: serve a project over HTTP with hot reload.

Script traffic takes the lean HTTP front (``runtime.httpfront``): a parsed
request becomes one pool job, answered from the batch it ran in. Only the
``/__isoplay/*`` admin routes go through Starlette (ASGI, over the front's
bridge). The command runs it on uvloop.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, Router

from runtime.errors import UserError
from runtime.hostops import STORE_UNAVAILABLE_JS
from runtime.httpfront import Exchange, FrontRequest, HttpFront
from runtime.invocation import (
    EventTrigger,
    HttpRequest,
    InvocationResult,
    RunTrigger,
    SocketTrigger,
    Trigger,
)
from runtime.service import BuildReport, ProjectRuntime

log = logging.getLogger(__name__)
ADMIN_PREFIX = "/__isoplay/"
WRANGLER_SCHEDULED_PATHS = frozenset({"/__scheduled", "/cdn-cgi/handler/scheduled"})
"""Where wrangler dev fires the scheduled handler (``?cron=...&time=...``)."""
LEVEL_COLORS = {"error": "31", "warn": "33", "info": "36", "debug": "90", "log": "37"}
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


async def run_lifespan(receive: Receive, send: Send, startup: Callable[[], Awaitable[Any]],
                       shutdown: Callable[[], Awaitable[Any]]) -> None:
    """Answer the ASGI lifespan protocol: run ``startup`` and ``shutdown`` at the right messages."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


class BodyTooLarge(Exception):
    """The request body passed the configured maximum."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """Read an ASGI request body, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def request_from_scope(scope: Scope, body: bytes) -> HttpRequest:
    """Build the script's Request from an ASGI scope."""
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    host = next((v for k, v in headers if k == "host"), "localhost")
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}" + (f"?{query}" if query else "")
    return HttpRequest(method=scope["method"], url=url, headers=headers, body=body)


def response_parts(result: InvocationResult, *, dev: bool = True) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body answering an invocation (errors as 500 with the TS stack in dev)."""
    if result.outcome == "ok" and result.status is not None:
        return result.status, list(result.headers), result.body
    if result.outcome == "rejected":
        return 503, list(result.headers), result.body
    err = result.error
    if err is not None and err.name == STORE_UNAVAILABLE_JS:  # the shared store is down, not the script broken
        return 503, [("content-type", "text/plain; charset=utf-8"), ("retry-after", "1")], \
            f"503 Service Unavailable: {err.message}\n".encode()
    text = (err.stack if err and err.frames else (err.summary() if err else result.outcome)) if dev else \
        "500 Internal Server Error"
    if dev and err and err.frames and not text.startswith(err.summary()):
        text = err.summary() + "\n" + text
    return 500, [("content-type", "text/plain; charset=utf-8")], (text + "\n").encode()


def respond_outcome(exchange: Exchange, outcome: InvocationResult | BaseException, *, dev: bool) -> None:
    """Answer a front request with a pool job's outcome (an exception is an isoplay fault: logged, 500)."""
    if isinstance(outcome, BaseException):
        log.error("an invocation failed inside isoplay: %r", outcome)
        exchange.respond_text(500, f"500 Internal Server Error: {outcome}\n" if dev else "500 Internal Server Error\n")
        return
    if outcome.status == 101 and outcome.outcome == "ok":
        from runtime.webapi.websocket import accept_upgrade

        held = outcome.lease
        accept_upgrade(exchange, outcome, held.pool.host.sockets if held is not None else None, dev=dev)
        return
    if outcome.body_stream is not None and outcome.status is not None:
        exchange.respond_stream(outcome.status, list(outcome.headers), outcome.body_stream)
        return
    exchange.respond(*response_parts(outcome, dev=dev))


async def send_result(send: Send, result: InvocationResult, *, dev: bool = True) -> None:
    """Write an invocation result as the HTTP response over ASGI."""
    status, headers, body = response_parts(result, dev=dev)
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    if not any(k.lower() == b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_plain(send: Send, status: int, text: str, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """A small text/plain response."""
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})


def result_json(result: InvocationResult) -> dict[str, Any]:
    """A result as JSON for the admin routes."""
    data = result.to_json()
    data["value"] = result.value
    return data


class DevServer:
    """The ASGI app of ``isoplay dev``."""

    def __init__(self, runtime: ProjectRuntime, *, watch: bool = True, dev: bool = True) -> None:
        self.runtime = runtime
        self.watch = watch
        self.dev = dev
        self.admin = Router(routes=[
            Route(ADMIN_PREFIX + "health", self.health),
            Route(ADMIN_PREFIX + "metrics", self.prometheus),
            Route(ADMIN_PREFIX + "scheduled", self.scheduled, methods=["GET", "POST"]),
            Route(ADMIN_PREFIX + "event/{name}", self.event, methods=["POST"]),
            Route(ADMIN_PREFIX + "run", self.run, methods=["POST"]),
        ])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: the lifespan and the ``/__isoplay/*`` routes (script traffic takes ``handle``)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self.admin(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await run_lifespan(receive, send, self.startup, self.shutdown)

    async def startup(self) -> None:
        """Build, start serving, and watch the sources."""
        await self.runtime.start()
        if self.watch:
            self.runtime.watch()

    async def shutdown(self) -> None:
        """Stop the runtime and its pools."""
        await self.runtime.stop()

    def max_body(self) -> int:
        """The serving version's max_body_bytes."""
        pool = self.runtime.pool
        return pool.limits.max_body_bytes if pool else 100 * 1024 * 1024

    def handle(self, request: FrontRequest, exchange: Exchange) -> bool:
        """The HTTP front's path for script traffic: one pool job, answered from its batch."""
        if request.target.startswith(ADMIN_PREFIX):
            return False
        path = request.target.split("?", 1)[0]
        if path in WRANGLER_SCHEDULED_PATHS:
            self._wrangler_scheduled(request, exchange)
            return True
        host = request.header("host", "localhost")
        trigger = HttpRequest(method=request.method, url=f"http://{host}{request.target}",
                              headers=tuple(request.headers), body=request.body, body_stream=request.body_stream,
                              stream_response=True)
        dev = self.dev
        try:
            job = self.runtime.submit(trigger, lambda outcome: respond_outcome(exchange, outcome, dev=dev))
        except UserError as exc:
            exchange.respond_text(500, f"the project does not build:\n{exc}\n")
            return True
        exchange.on_abort = job.cancel
        return True

    def _wrangler_scheduled(self, request: FrontRequest, exchange: Exchange) -> None:
        """``/__scheduled?cron=`` and ``/cdn-cgi/handler/scheduled?cron=&time=``, answered as wrangler dev does:
        "Ran scheduled event" (wrangler's middleware, there only with ``--test-scheduled``) and "ok" (workerd's
        own test handler)."""
        from urllib.parse import parse_qs

        from runtime.cron import validate_cron
        from runtime.invocation import ScheduledTrigger

        query = parse_qs(request.target.partition("?")[2])
        cron = (query.get("cron") or [""])[0]
        try:
            if cron:
                validate_cron(cron, source="cron")
            # wrangler's /__scheduled middleware passes only the cron (the time is now); workerd's
            # /cdn-cgi/handler/scheduled takes ?time= too
            raw_time = (query.get("time") or [""])[0] if request.target.startswith("/cdn-cgi/") else ""
            at = float(raw_time) if raw_time else time.time()
            if at > 1e11:  # milliseconds, as scheduledTime is
                at /= 1000
        except (UserError, ValueError) as exc:
            exchange.respond_text(400, f"{exc}\n")
            return
        dev = self.dev
        answer = "ok" if request.target.startswith("/cdn-cgi/") else "Ran scheduled event"

        def done(outcome: InvocationResult | BaseException) -> None:
            if isinstance(outcome, InvocationResult) and outcome.ok:
                exchange.respond_text(200, answer)
            else:
                respond_outcome(exchange, outcome, dev=dev)

        try:
            job = self.runtime.submit(ScheduledTrigger(cron, at), done)
        except UserError as exc:
            exchange.respond_text(500, f"the project does not build:\n{exc}\n")
            return
        exchange.on_abort = job.cancel

    # ---- admin routes ----------------------------------------------------------
    async def health(self, request: Request) -> Response:
        """Liveness plus the serving version and the last build error."""
        rt = self.runtime
        stats = rt.pool.statistics() if rt.pool else None
        return JSONResponse({
            "status": "ok" if rt.pool else "no-build",
            "script": rt.bundle.manifest.name if rt.bundle else None,
            "version": rt.bundle.content_hash[:8] if rt.bundle else None,
            "build_error": str(rt.last_error) if rt.last_error else None,
            "pool": stats.__dict__ if stats else None,
            "pid": os.getpid(),
        })

    async def prometheus(self, request: Request) -> Response:
        """Prometheus text."""
        return Response(self.runtime.metrics.prometheus_text(), media_type="text/plain; version=0.0.4")

    async def _fire(self, trigger: Trigger) -> Response:
        try:
            result = await self.runtime.invoke(trigger)
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(result_json(result), status_code=200 if result.ok else 500)

    async def scheduled(self, request: Request) -> Response:
        """Fire the scheduled handler: ``?cron=*/5+*+*+*+*&time=<epoch seconds>``."""
        from runtime.cron import validate_cron
        from runtime.invocation import ScheduledTrigger

        cron = request.query_params.get("cron")
        if not cron:
            crons = self.runtime.bundle.manifest.crons if self.runtime.bundle else ()
            cron = crons[0] if crons else "* * * * *"
        try:
            validate_cron(cron, source="cron")
            at = float(request.query_params.get("time", time.time()))
        except (UserError, ValueError) as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        return await self._fire(ScheduledTrigger(cron, at))

    async def event(self, request: Request) -> Response:
        """Fire the event handler with the JSON body as payload."""
        payload = await self._json_body(request)
        if isinstance(payload, Response):
            return payload
        return await self._fire(EventTrigger(request.path_params["name"], payload))

    async def run(self, request: Request) -> Response:
        """Call the run handler with the JSON body as input."""
        payload = await self._json_body(request)
        if isinstance(payload, Response):
            return payload
        return await self._fire(RunTrigger(payload))

    async def _json_body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            return PlainTextResponse(f"the body is not valid JSON: {exc.msg} at column {exc.colno}\n", status_code=400)


class _BufferedLines:
    """Terminal lines written once per event-loop turn, as one write.

    Under load ``isoplay dev`` logs thousands of requests a second, a batch of
    them per turn; a write and a flush per line cost more than the request itself.
    """

    def __init__(self, out: Any) -> None:
        self.out = out
        self.lines: list[str] = []
        self._handle: asyncio.Handle | None = None

    def add(self, line: str) -> None:
        self.lines.append(line)
        if self._handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._handle = loop.call_soon(self.flush)

    def flush(self) -> None:
        self._handle = None
        if self.lines:
            text, self.lines = "".join(self.lines), []
            self.out.write(text)
            self.out.flush()


def terminal_logger(stream: Any = None) -> tuple[Callable[[Trigger, InvocationResult], None],
                                                  Callable[[BuildReport], None]]:
    """Callbacks that print request lines, console logs and builds with level colors."""
    out = stream or sys.stderr
    color = hasattr(out, "isatty") and out.isatty()
    buffer = _BufferedLines(out)
    atexit.register(buffer.flush)  # the last lines before Ctrl+C

    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    def on_logs(trigger: Trigger, result: InvocationResult) -> None:
        for entry in result.logs:
            buffer.add(paint(LEVEL_COLORS.get(entry.level, "37"), f"  [{entry.level}] {entry.message}") + "\n")
        if isinstance(trigger, HttpRequest):
            what = f"{trigger.method} {trigger.route}"
        elif isinstance(trigger, SocketTrigger):
            what = f"websocket {trigger.type} {trigger.route}"
        else:
            what = f"{trigger.kind} {trigger.route}"
        status = result.status if result.status is not None else result.outcome
        buffer.add(paint("31" if not result.ok else "32", f"{what} -> {status} in {result.duration_ms:.1f} ms") + "\n")
        if result.error is not None:
            buffer.add(paint("31", f"  {result.error.summary()}") + "\n")

    def on_build(report: BuildReport) -> None:
        buffer.flush()
        if report.ok:
            out.write(paint("32", f"built {report.version} in {report.duration_ms:.0f} ms") + "\n")
        else:
            out.write(paint("31", f"build failed, still serving {report.version or 'nothing'}:\n{report.error}") + "\n")
        out.flush()

    return on_logs, on_build


def make_socket(host: str, port: int) -> socket.socket:
    """A bound listening socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()  # a taken port: the caller may try the next one, this socket must not leak
        raise
    return sock


async def serve(app: DevServer, sock: socket.socket, *, started: asyncio.Event | None = None,
                stop: asyncio.Event | None = None, poll_after_answer_s: float = 0.0) -> None:
    """Serve ``app`` on ``sock`` through the HTTP front until ``stop`` is set (graceful) or cancelled.
    ``poll_after_answer_s``: see ``HttpFront.poll_briefly``."""
    await app.startup()
    front = HttpFront(app.handle, app, max_body=app.max_body,
                      stream_bodies=lambda target: not target.startswith(ADMIN_PREFIX),
                      poll_after_answer_s=poll_after_answer_s)
    try:
        await front.start(sock)
        if started is not None:
            started.set()
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await front.close()
        await app.shutdown()
