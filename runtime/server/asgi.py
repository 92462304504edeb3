"""The server's ASGI app: ``/api/*`` and ``/metrics`` through Starlette, apps on a raw hot path.

App requests take the same lean path as ``isoplay dev`` (the ``runtime.devserver``
helpers: read the body, one pool invocation, write the response):

- ``/{app}/rest?query`` runs the live version, ``/{app}@{range}/rest`` a pinned
  one (``1.2.3``, ``1.2``, ``1``, ``latest``); ``/{app}`` alone is ``/{app}/``.
- The prefix is stripped: the script sees ``request.url`` =
  ``{scheme}://{host}/rest?query`` (its own paths, as if it were mounted at the
  root), and the stripped prefix in the ``x-forwarded-prefix`` request header
  (``/{app}`` or ``/{app}@{range}``) so it can build absolute links.
- Unknown apps and versions are 404, a bad range 400, a body over the
  manifest's ``max_body_bytes`` 413, an overloaded pool 503; a script error is
  a bare 500 (the TypeScript stack goes to the app's log stream, and into the
  response only with ``dev_errors``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import unquote
from typing import TYPE_CHECKING, Any, Protocol

from runtime.devserver import (BodyTooLarge, read_body, request_from_scope, respond_outcome, run_lifespan, send_plain,
                               send_result)
from runtime.httpfront import Exchange, FrontRequest
from runtime.invocation import HttpRequest, InvocationResult
from runtime.server.errors import ApiError, StorageCorrupted
from runtime.server.versions import APP_NAME_RE, split_app_segment

if TYPE_CHECKING:
    from runtime.server.core import ServerCore

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
PREFIX_HEADER = b"x-forwarded-prefix"
PREFIX_HEADER_STR = PREFIX_HEADER.decode()
ROOT_TEXT = "404 Not Found: this is an isoplay server; apps are served at /{app}/ and /{app}@{version}/\n"


def split_app_path(path: str) -> tuple[str, str]:
    """``/{segment}/rest`` -> (segment, ``/rest``); ``/{segment}`` -> (segment, ``/``)."""
    segment, _, rest = path.lstrip("/").partition("/")
    return segment, "/" + rest


def script_scope(scope: Scope, segment: str, rest: str) -> Scope:
    """The scope the script sees: prefix stripped, ``x-forwarded-prefix`` added."""
    headers = [(k, v) for k, v in scope["headers"] if k != PREFIX_HEADER]
    headers.append((PREFIX_HEADER, ("/" + segment).encode("latin-1")))
    return {**scope, "path": rest, "headers": headers}


class ServerApp:
    """The ASGI entry point of ``isoplay serve``."""

    def __init__(self, core: ServerCore) -> None:
        from runtime.server.api import build_api

        self.core = core
        self.api = build_api(core)
        self._tasks: set[asyncio.Task[None]] = set()
        self._max_body = max(core.config.max_bundle_bytes, 100 * 1024 * 1024)
        self._dev_errors = core.config.dev_errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind != "http":
            return
        elif scope["path"] == "/metrics" or scope["path"] == "/api" or scope["path"].startswith("/api/"):
            await self.api(scope, receive, send)
        else:
            await self.serve_app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await run_lifespan(receive, send, self.core.start, self.core.stop)

    async def serve_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run one request on the app version its path names (ASGI; the front takes ``handle``)."""
        segment, rest = split_app_path(scope["path"])
        try:
            body = await read_body(receive, self.max_body())
        except BodyTooLarge:
            await send_plain(send, 413, f"413 Payload Too Large: the body exceeds {self.max_body()} bytes\n")
            return
        except ConnectionResetError:
            return
        await self._invoke(segment, lambda: request_from_scope(script_scope(scope, segment, rest), body), len(body),
                           _AsgiAnswer(send, self.core.config.dev_errors))

    # ---- the HTTP front's path -----------------------------------------------------
    def max_body(self) -> int:
        """What the front reads at most: the largest upload the API takes, or an app body."""
        return self._max_body

    @staticmethod
    def streams_body(target: str) -> bool:
        """App requests get large bodies streamed into the script; the API and /metrics read theirs whole."""
        path = target.split("?", 1)[0]
        return not (path == "/metrics" or path == "/api" or path.startswith("/api/"))

    def handle(self, request: FrontRequest, exchange: Exchange) -> bool:
        """Script traffic straight to a warm pool (one job answered from its batch); the rest to ASGI.

        This runs for every app request, so it does the least it can: one pass over the
        target, the trigger built once, and the answer written by the job's own callback
        (no per-request answer object or task unless the pool still has to load).
        """
        path, _, query = request.target.partition("?")
        if path == "/metrics" or path == "/api" or path.startswith("/api/"):
            return False
        segment, rest = split_app_path(unquote(path) if "%" in path else path)
        name, range_text = split_app_segment(segment)
        dev = self._dev_errors
        if not segment or not APP_NAME_RE.match(name):
            exchange.respond_text(404, ROOT_TEXT)
            return True
        stream = request.body_stream
        headers = [item for item in request.headers if item[0] != PREFIX_HEADER_STR]
        headers.append((PREFIX_HEADER_STR, "/" + segment))
        trigger = HttpRequest(method=request.method,
                              url=f"http://{request.header('host', 'localhost')}{rest}" + (f"?{query}" if query else ""),
                              headers=tuple(headers), body=request.body, body_stream=stream, stream_response=True)
        body_size = len(request.body) if stream is None else (stream.length or 0)
        try:
            job = self.core.runtimes.submit(name, range_text, trigger,
                                            lambda _rec, out: respond_outcome(exchange, out, dev=dev),
                                            body_size=body_size)
        except ApiError as exc:
            exchange.respond_text(exc.status, f"{exc.status} {exc.message}\n")
            return True
        if job is not None:
            exchange.on_abort = job.cancel
            return True
        task = asyncio.get_running_loop().create_task(
            self._invoke(segment, lambda: trigger, body_size, _FrontAnswer(exchange, dev)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _invoke(self, segment: str, make: Callable[[], HttpRequest], body_size: int, answer: _Answer) -> None:
        name, range_text = split_app_segment(segment)
        if not segment or not APP_NAME_RE.match(name):
            await answer.aplain(404, ROOT_TEXT)
            return
        try:
            _, result = await self.core.runtimes.invoke(name, range_text, make(), body_size=body_size)
        except ApiError as exc:
            await answer.aplain(exc.status, f"{exc.status} {exc.message}\n")
            return
        except StorageCorrupted:
            log.exception("cannot load %s", segment)
            await answer.aplain(500, "500 Internal Server Error: the deployed bundle cannot be loaded\n")
            return
        await answer.aresult(result)


class _Answer(Protocol):
    """Where an app request's answer goes (the front's exchange, or ASGI send)."""

    async def aplain(self, status: int, text: str) -> None: ...

    async def aresult(self, result: InvocationResult) -> None: ...


class _AsgiAnswer:
    def __init__(self, send: Send, dev: bool) -> None:
        self.send, self.dev = send, dev

    async def aplain(self, status: int, text: str) -> None:
        await send_plain(self.send, status, text)

    async def aresult(self, result: InvocationResult) -> None:
        await send_result(self.send, result, dev=self.dev)


class _FrontAnswer:
    def __init__(self, exchange: Exchange, dev: bool) -> None:
        self.exchange, self.dev = exchange, dev

    def plain(self, status: int, text: str) -> None:
        self.exchange.respond_text(status, text)

    def result(self, outcome: InvocationResult | BaseException) -> None:
        respond_outcome(self.exchange, outcome, dev=self.dev)

    async def aplain(self, status: int, text: str) -> None:
        self.plain(status, text)

    async def aresult(self, result: InvocationResult) -> None:
        self.result(result)
