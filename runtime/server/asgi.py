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

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime.devserver import BodyTooLarge, read_body, request_from_scope, run_lifespan, send_plain, send_result
from runtime.server.errors import ApiError, StorageCorrupted
from runtime.server.versions import APP_NAME_RE, split_app_segment

if TYPE_CHECKING:
    from runtime.server.core import ServerCore

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
PREFIX_HEADER = b"x-forwarded-prefix"
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
        """Run one request on the app version its path names."""
        segment, rest = split_app_path(scope["path"])
        name, range_text = split_app_segment(segment)
        if not segment or not APP_NAME_RE.match(name):
            await send_plain(send, 404, ROOT_TEXT)
            return
        runtimes = self.core.runtimes
        try:
            pool = await runtimes.pool(runtimes.resolve(name, range_text))
        except ApiError as exc:
            await send_plain(send, exc.status, f"{exc.status} {exc.message}\n")
            return
        except StorageCorrupted:
            log.exception("cannot load %s", segment)
            await send_plain(send, 500, "500 Internal Server Error: the deployed bundle cannot be loaded\n")
            raise
        limit = pool.limits.max_body_bytes
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            await send_plain(send, 413, f"413 Payload Too Large: the body exceeds max_body_bytes ({limit} bytes)\n")
            return
        except ConnectionResetError:
            return
        request = request_from_scope(script_scope(scope, segment, rest), body)
        try:
            _, result = await runtimes.invoke(name, range_text, request)
        except ApiError as exc:  # deleted between resolving and invoking
            await send_plain(send, exc.status, f"{exc.status} {exc.message}\n")
            return
        await send_result(send, result, dev=self.core.config.dev_errors)
