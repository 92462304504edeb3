"""The ``fetch`` host op: a script's outgoing HTTP request, made with aiohttp.

The prelude's ``fetch()`` (resources/prelude/src/web/fetch.ts) sends::

    {"url": str, "method": str, "headers": [[name, value], ...],
     "body": {"text": str} | {"b64": str} | None,
     "redirect": "follow" | "manual" | "error", "timeoutMs": int (optional)}

and receives ``{status, statusText, headers, body, url, redirected}`` with the
body as ``{"text"}`` when it is valid UTF-8, else ``{"b64"}`` (None for no body).

The client is aiohttp (``FetchClient``: one session per script host, made on first use on the
loop that uses it, pooled keep-alive connections, closed with the host). It was httpx, which
added ~1.1 ms of Python to every request; aiohttp adds ~0.3 ms over a bare socket. The request
goes out as the prelude wrote it: the URL as serialised (``yarl.URL(url, encoded=True)``, not
re-encoded), the script's headers in order with repeats kept. The client adds ``Host``,
``Content-Length``, ``Accept: */*`` and ``Accept-Encoding: gzip, deflate`` where the script set
none (a gzip or deflate answer is decoded, and its content-encoding and content-length dropped,
as a Workers fetch does); it sends no ``User-Agent`` (workerd sends none; httpx sent
``python-httpx/…``) and no ``Content-Type`` the script did not set. No cookie jar: a
``Set-Cookie`` answer is handed to the script, never replayed on a later fetch (httpx kept them
per client, so one request's cookies reached another's fetches). No proxy from the environment.

Egress is limited to the manifest's ``[fetch] allow`` list. An entry is a host
(``api.example.com``: any port), a ``host:port`` (``127.0.0.1:8080``), an IPv6
literal in brackets (``[::1]:8080``), or ``*.example.com`` for subdomains. Each
redirect hop is checked too, so an allowed host cannot bounce a script elsewhere.

On the server (``isoplay serve``) names are not enough: a name in the allow-list
may resolve to this machine or its network. There a script's client is
``guarded_client(EgressPolicy(...))``, whose every connection passes the address
checks of ``runtime.egress`` (resolved, checked, and connected to as checked: no
rebinding window; the Host header and TLS server name stay the name). ``isoplay
dev`` and ``run`` do not guard: a project there may reach ``127.0.0.1:PORT`` when
its manifest lists it.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
import typing
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from runtime.egress import (EgressPolicy, EgressRefused, GuardedResolver, GuardedSockets, ResolveFailed,
                            embedded_ipv4)
from runtime.hostops import HostContext, HostOpError, host_op

if TYPE_CHECKING:
    import aiohttp  # imported on first use (~120 ms): loading the ops must not pay for it

__all__ = ["MAX_REDIRECTS", "MAX_RESPONSE_BYTES", "EgressPolicy", "EgressRefused", "FetchClient", "GuardedResolver",
           "ResolveFailed", "connect_address", "embedded_ipv4", "fetch", "guarded_client", "host_allowed", "refusal"]

MAX_REDIRECTS = 20
"""Redirect hops followed before the fetch fails (as in the Fetch standard)."""
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""Largest response body handed to a script."""
DEFAULT_TIMEOUT_S = 30.0
"""Per-request timeout when the script gives none (the invocation's wall time still applies): for
connecting (a free pooled connection included), and for each wait on the response, as httpx's was."""
KEEPALIVE_S = 5.0
"""How long an idle pooled connection is kept (httpx's default)."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NULL_BODY = frozenset({101, 103, 204, 205, 304})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Set by the client itself, or describing the encoded body the client has already decoded.
_DROP_REQUEST = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_DROP_RESPONSE = frozenset({"content-encoding", "content-length", "transfer-encoding"})
# aiohttp would add "User-Agent: Python/3.x aiohttp/..." and "Content-Type: application/octet-stream"
# to a body without one; a Workers fetch sends neither. Accept and Accept-Encoding stay (see docstring).
_SKIP_AUTO_HEADERS = ("User-Agent", "Content-Type")


@functools.lru_cache(maxsize=32)
def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    """A request's timeouts: connecting, and each wait for response bytes (no total: a long
    download that keeps arriving is bounded by the invocation's wall time, as with httpx)."""
    import aiohttp

    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)


def _split_entry(entry: str) -> tuple[str, int | None]:
    """Split an allow-list entry into (lowercase host, port or None for any port)."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, sep, port = entry.rpartition(":")
        if not sep or not port.isdigit():
            host, port = entry, ""
    return host, int(port) if port else None


def host_allowed(url: str, allow: tuple[str, ...] | list[str]) -> bool:
    """Whether ``url``'s host (and port) matches an entry of the allow-list."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    for entry in allow:
        if entry == "*":
            return True  # any host (wrangler projects: egress as in Workers)
        want_host, want_port = _split_entry(entry)
        if want_port is not None and want_port != port:
            continue
        if want_host == host or (want_host.startswith("*.") and host.endswith(want_host[1:])):
            return True
    return False


def _display_host(url: str) -> str:
    """``host`` for default ports, ``host:port`` otherwise (IPv6 in brackets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{parts.port}"
    return host


def refusal(url: str) -> HostOpError:
    """The TypeError a script sees for a host outside the allow-list."""
    shown = _display_host(url)
    return HostOpError(
        "TypeError",
        f'fetch to {shown} is not allowed: add "{shown}" to [fetch] allow in isoplay.toml',
    )


def _certifi_context() -> ssl.SSLContext | bool:
    """certifi's CA store (httpx's default, and a store that exists where the system's may not, as in
    a packaged app on macOS); True (aiohttp's context on the system store) without certifi."""
    try:
        import certifi
    except ImportError:  # certifi comes with httpx; without it the system store is the answer
        return True
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])  # as httpx and aiohttp's own context offer
    return context


class FetchClient:
    """A script's outgoing HTTP client: one aiohttp session and its connection pool.

    The session is made on first use, on the event loop that uses it (aiohttp binds a session to
    its loop), and closed by ``aclose()``. With a ``policy`` (``isoplay serve``) every connection
    passes ``GuardedResolver`` and ``GuardedSockets``; without one (``isoplay dev``/``run``) it
    connects where the URL says. ``egress_policy`` is what ``connect_address()`` reads.

    Args:
        policy: The server's egress policy; None for no address check.
        keepalive: Keep connections open for reuse (off: a new connection per request).
        ssl_context: The TLS context (tests pass one trusting their own certificate).
    """

    def __init__(self, policy: EgressPolicy | None = None, *, keepalive: bool = True,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.egress_policy = policy
        self._keepalive = keepalive
        self._ssl: ssl.SSLContext | bool | None = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        state = "closed" if self._session is None else "open"
        return f"<FetchClient {'guarded' if self.egress_policy else 'unguarded'} {state}>"

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, made on the running loop on first use.

        Raises:
            RuntimeError: the session was made on another event loop that is still open.
        """
        loop = asyncio.get_running_loop()
        if self._session is not None and self._loop is not loop:
            if self._loop is not None and not self._loop.is_closed():
                raise RuntimeError("this FetchClient's session belongs to another event loop")
            self._session.detach()  # its loop is gone, and its sockets with it
            self._session = None
        if self._session is None or self._session.closed:
            self._session, self._loop = self._open(), loop
        return self._session

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp
        from aiohttp.abc import AbstractResolver

        AbstractResolver.register(GuardedResolver)
        policy = self.egress_policy
        connector = aiohttp.TCPConnector(
            force_close=not self._keepalive,
            keepalive_timeout=KEEPALIVE_S if self._keepalive else None,
            resolver=typing.cast(AbstractResolver, GuardedResolver(policy)) if policy is not None else None,
            use_dns_cache=policy is None,  # a cached answer would skip the check of a later connection
            socket_factory=GuardedSockets(policy) if policy is not None else None)
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                                     skip_auto_headers=_SKIP_AUTO_HEADERS, timeout=_timeout(DEFAULT_TIMEOUT_S))

    def tls(self) -> ssl.SSLContext | bool:
        """The TLS context of an https request: the one given, else certifi's store where unguarded
        (as httpx's default), else True: aiohttp's context on the system store (the guarded transport's
        store before), made when aiohttp loads. Made on the first https request (~20 ms)."""
        if self._ssl is None:
            self._ssl = _certifi_context() if self.egress_policy is None else True
        return self._ssl

    async def aclose(self) -> None:
        """Close the session and its connections (a later fetch opens a new one)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> FetchClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def guarded_client(policy: EgressPolicy, *, keepalive: bool = True,
                   ssl_context: ssl.SSLContext | None = None) -> FetchClient:
    """The fetch client of server-side scripts: every connection it makes passes ``policy``."""
    return FetchClient(policy, keepalive=keepalive, ssl_context=ssl_context)


async def connect_address(ctx: HostContext, host: str, port: int) -> str:
    """Where a raw connection of the script (an outbound WebSocket) may go: ``host`` itself where
    fetch is not guarded (``isoplay dev``/``run``), else the checked address (HostOpError naming the
    rule when refused), to connect to instead of the name (no rebinding window)."""
    policy = getattr(ctx.http(), "egress_policy", None)
    if policy is None:
        return host
    try:
        return await GuardedResolver(policy).checked_address(host, port)
    except EgressRefused as exc:
        raise HostOpError("TypeError", f"connection to {host}:{port} is not allowed: {exc}") from None
    except ResolveFailed as exc:
        raise HostOpError("TypeError", f"connection to {host}:{port} failed: {exc}") from None


def _request_body(body: Any) -> bytes | None:
    """Decode the prelude's body encoding."""
    if body is None:
        return None
    if "b64" in body:
        return base64.b64decode(body["b64"])
    return str(body.get("text", "")).encode("utf-8")


def _response_body(content: bytes) -> dict[str, str]:
    """Encode a response body for the prelude: text when valid UTF-8."""
    try:
        return {"text": content.decode("utf-8")}
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(content).decode("ascii")}


def _redirect_target(method: str, status: int, body: bytes | None) -> tuple[str, bytes | None]:
    """Method and body of the next hop (Fetch standard, "HTTP-redirect fetch" step 12)."""
    if status == 303 and method not in ("GET", "HEAD") or status in (301, 302) and method == "POST":
        return "GET", None
    return method, body


async def _read_limited(response: aiohttp.ClientResponse, url: str) -> bytes:
    """Read the whole (decoded) body, refusing more than MAX_RESPONSE_BYTES."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise HostOpError("TypeError", f"fetch to {url}: the response body is larger than "
                                           f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _header_text(raw: bytes) -> str:
    """A header name or value as text: UTF-8 when it is, else Latin-1 (as httpx decoded them)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _response_headers(response: aiohttp.ClientResponse) -> list[list[str]]:
    """The response's headers as received (repeats in order), less those describing the encoded body."""
    headers = []
    for name, value in response.raw_headers:
        text = _header_text(name)
        if text.lower() not in _DROP_RESPONSE:
            headers.append([text, _header_text(value)])
    return headers


def _spelled_once(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Repeats of a header name spelled as its first occurrence (``X-A``, ``x-a`` -> ``X-A``, ``X-A``).

    aiohttp's ``ClientSession._prepare_headers`` tells repeats apart case-sensitively, so a repeat
    in another case replaces the earlier values instead of adding to them. The prelude sends names
    lowercase (as Headers iterates them); a forged op might not.
    """
    first: dict[str, str] = {}
    return [(first.setdefault(name.lower(), name), value) for name, value in headers]


def _check_args(args: Any) -> tuple[str, str, list[tuple[str, str]], bytes | None, str, float]:
    """Validate the op's arguments; returns url, method, headers, body, redirect mode, timeout."""
    if not isinstance(args, dict) or not isinstance(args.get("url"), str):
        raise HostOpError("TypeError", "fetch: malformed request from the prelude")
    url = args["url"]
    if urlsplit(url).scheme not in _DEFAULT_PORTS:
        raise HostOpError("TypeError", f"fetch: unsupported URL scheme in {url} (only http and https)")
    headers = _spelled_once([(str(k), str(v)) for k, v in args.get("headers") or []
                             if str(k).lower() not in _DROP_REQUEST])
    timeout_ms = args.get("timeoutMs")
    timeout = float(timeout_ms) / 1000 if isinstance(timeout_ms, (int, float)) and timeout_ms > 0 else DEFAULT_TIMEOUT_S
    return url, str(args.get("method") or "GET"), headers, _request_body(args.get("body")), str(args.get("redirect") or "follow"), timeout


async def _send(client: FetchClient, method: str, url: str, headers: list[tuple[str, str]],
                body: bytes | None, timeout: float) -> aiohttp.ClientResponse:
    """One request, no redirect followed; the failures a script sees as its TypeError messages."""
    import aiohttp
    from yarl import URL

    try:
        target = URL(url, encoded=True)  # as the prelude serialised it: not re-encoded
    except ValueError as exc:
        raise HostOpError("TypeError", f"fetch: invalid URL {url}: {exc}") from None
    try:
        return await client.session().request(method, target, headers=headers, data=body, allow_redirects=False,
                                              timeout=_timeout(timeout),
                                              ssl=client.tls() if url.startswith("https:") else True)
    except aiohttp.InvalidURL as exc:
        raise HostOpError("TypeError", f"fetch: invalid URL {url}: {exc}") from None
    except EgressRefused as exc:
        raise HostOpError("TypeError", f"fetch to {_display_host(url)} is not allowed: {exc}") from None
    except asyncio.TimeoutError:
        raise HostOpError("TypeError", f"fetch to {url} timed out after {timeout:g} s") from None
    except (aiohttp.ClientError, ResolveFailed, ValueError) as exc:  # ValueError: a header or method aiohttp refuses
        raise HostOpError("TypeError", f"fetch to {url} failed: {exc or type(exc).__name__}") from None


@host_op("fetch")
async def fetch(ctx: HostContext, args: Any) -> dict[str, Any]:
    """Perform one fetch for a script, following redirects within the allow-list.

    Raises:
        HostOpError: a TypeError for a refused host, a network failure, a
            redirect under ``redirect: "error"``, or too many redirects.
    """
    import aiohttp

    url, method, headers, body, mode, timeout = _check_args(args)
    client: FetchClient = ctx.http()
    allow = tuple(ctx.fetch_allow)
    for hop in range(MAX_REDIRECTS + 1):
        if not host_allowed(url, allow):
            raise refusal(url)
        response = await _send(client, method, url, headers, body, timeout)
        try:
            location = response.headers.get("location")
            if response.status in _REDIRECTS and location is not None and mode != "manual":
                if mode == "error":
                    raise HostOpError("TypeError", f"fetch to {url} was redirected, and redirect is \"error\"")
                next_url = urljoin(url, location)
                if urlsplit(next_url)[:2] != urlsplit(url)[:2]:  # cross-origin: drop credentials
                    headers = [(k, v) for k, v in headers if k.lower() not in ("authorization", "cookie")]
                method, body = _redirect_target(method, response.status, body)
                if body is None:
                    headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                url = next_url
                continue
            content = await _read_limited(response, url)
        except asyncio.TimeoutError:
            raise HostOpError("TypeError", f"fetch to {url} timed out after {timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise HostOpError("TypeError", f"fetch to {url} failed: {exc or type(exc).__name__}") from None
        finally:
            response.release()
        null_body = method == "HEAD" or response.status in _NULL_BODY
        return {
            "status": response.status,
            "statusText": response.reason or "",
            "headers": _response_headers(response),
            "body": None if null_body else _response_body(content),
            "url": str(response.url),
            "redirected": hop > 0,
        }
    raise HostOpError("TypeError", f"fetch to {args['url']}: more than {MAX_REDIRECTS} redirects")
