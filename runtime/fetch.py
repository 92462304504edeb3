"""The ``fetch`` host op: a script's outgoing HTTP request, made with httpx.

The prelude's ``fetch()`` (resources/prelude/src/web/fetch.ts) sends::

    {"url": str, "method": str, "headers": [[name, value], ...],
     "body": {"text": str} | {"b64": str} | None,
     "redirect": "follow" | "manual" | "error", "timeoutMs": int (optional)}

and receives ``{status, statusText, headers, body, url, redirected}`` with the
body as ``{"text"}`` when it is valid UTF-8, else ``{"b64"}`` (None for no body).

Egress is limited to the manifest's ``[fetch] allow`` list. An entry is a host
(``api.example.com``: any port), a ``host:port`` (``127.0.0.1:8080``), an IPv6
literal in brackets (``[::1]:8080``), or ``*.example.com`` for subdomains. Each
redirect hop is checked too, so an allowed host cannot bounce a script elsewhere.

On the server (``isoplay serve``) names are not enough: a name in the allow-list
may resolve to this machine or its network. There a script's client is
``guarded_client(EgressPolicy(...))``: its transport resolves every host it
connects to (each redirect hop opens its own connection), checks every address
with ``EgressPolicy.refusal`` after resolution and connects to the checked
address itself, so a DNS answer cannot change between check and connect (no
rebinding window); the Host header and the TLS server name (SNI, certificate
check) stay the name. Refused: loopback, unspecified (``0.0.0.0/8``, ``::``),
link-local (``169.254.0.0/16``: cloud metadata, ``fe80::/10``), multicast and
reserved addresses, and the private ranges (``10/8``, ``172.16/12``,
``192.168/16``, ``100.64/10``, ``fc00::/7``) unless the operator allows them
(``isoplay serve --fetch-allow-private``); IPv4 addresses inside IPv6 (mapped
``::ffff:a.b.c.d``, compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``) are judged as the IPv4 address they carry. The script's
TypeError names the rule. ``isoplay dev`` and ``run`` do not guard: a project
there may reach ``127.0.0.1:PORT`` when its manifest lists it.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
import ssl
import typing
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from runtime.hostops import HostContext, HostOpError, host_op

MAX_REDIRECTS = 20
"""Redirect hops followed before the fetch fails (as in the Fetch standard)."""
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""Largest response body handed to a script."""
DEFAULT_TIMEOUT_S = 30.0
"""Per-request timeout when the script gives none (the invocation's wall time still applies)."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NULL_BODY = frozenset({101, 103, 204, 205, 304})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Set by httpx itself, or describing the encoded body httpx has already decoded.
_DROP_REQUEST = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_DROP_RESPONSE = frozenset({"content-encoding", "content-length", "transfer-encoding"})


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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NET = ipaddress.ip_network
_ALWAYS_REFUSED: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("loopback", (_NET("127.0.0.0/8"), _NET("::1/128"))),
    ("unspecified", (_NET("0.0.0.0/8"), _NET("::/128"))),
    ("link-local", (_NET("169.254.0.0/16"), _NET("fe80::/10"))),
    ("multicast", (_NET("224.0.0.0/4"), _NET("ff00::/8"))),
    ("reserved", (_NET("240.0.0.0/4"), _NET("192.0.0.0/24"), _NET("198.18.0.0/15"))),
)
_PRIVATE = ("private", (_NET("10.0.0.0/8"), _NET("172.16.0.0/12"), _NET("192.168.0.0/16"), _NET("100.64.0.0/10"),
                        _NET("fc00::/7")))
_NAT64 = _NET("64:ff9b::/96")
_COMPATIBLE = _NET("::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class EgressPolicy:
    """Which resolved addresses a server-side script may connect to."""

    allow_private: bool = False
    """The operator lets scripts reach 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7."""
    allow_loopback: bool = False
    """The operator lets scripts reach this machine (127/8, ::1): ``isoplay serve --fetch-allow-loopback``,
    for a server tried out against local services. Off by default."""

    def refusal(self, address: str) -> str | None:
        """The rule that refuses ``address`` (e.g. ``"loopback (127.0.0.0/8)"``), or None."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return "unparsable address"
        candidates: list[IPAddress] = [ip]
        inner = embedded_ipv4(ip)
        if inner is not None:
            candidates.append(inner)
        rules = _ALWAYS_REFUSED if self.allow_private else (*_ALWAYS_REFUSED, _PRIVATE)
        if self.allow_loopback:
            rules = tuple(rule for rule in rules if rule[0] != "loopback")
        for candidate in candidates:
            for name, nets in rules:
                for net in nets:
                    if candidate.version == net.version and candidate in net:
                        return f"{name} ({net})"
        return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class EgressRefused(Exception):
    """A resolved address is not allowed for server-side scripts (the message names the rule)."""


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to the checked address (the name stays for Host and SNI)."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        address = await self.checked_address(host, port)
        return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def checked_address(self, host: str, port: int) -> str:
        """The first address of ``host`` the policy allows; EgressRefused when none is."""
        name = host.strip("[]")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {name}: {exc.strerror}") from None
        first: tuple[str, str] | None = None
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = str(sockaddr[0])
            rule = self.policy.refusal(address)
            if rule is None:
                return address
            first = first or (address, rule)
        shown = f"[{name}]" if ":" in name else name
        if first is None:
            raise httpcore.ConnectError(f"cannot resolve {name}: no address")
        address, rule = first
        literal = _is_literal(name)
        said = f"{shown} is" if literal and address == name else f"{shown} resolves to {address},"
        private = "" if self.policy.allow_private else "; private ranges need isoplay serve --fetch-allow-private"
        raise EgressRefused(f"{said} a {rule} address, and scripts on this server may not connect to "
                            f"{rule.split(' (')[0]} addresses{private if rule.startswith('private') else ''}")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("unix sockets are not reachable from scripts")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with a connection pool on ``_GuardedBackend`` (no proxies, no env)."""

    def __init__(self, policy: EgressPolicy, limits: httpx.Limits | None = None) -> None:
        super().__init__(trust_env=False)
        limits = limits or httpx.Limits()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy))


def guarded_client(policy: EgressPolicy, *, limits: httpx.Limits | None = None) -> httpx.AsyncClient:
    """An AsyncClient for server-side scripts whose every connection passes ``policy``."""
    client = httpx.AsyncClient(transport=_GuardedTransport(policy, limits), follow_redirects=False,
                               timeout=DEFAULT_TIMEOUT_S, trust_env=False)
    client.egress_policy = policy  # type: ignore[attr-defined]  # read by connect_address()
    return client


async def connect_address(ctx: HostContext, host: str, port: int) -> str:
    """Where a raw connection of the script (an outbound WebSocket) may go: ``host`` itself where
    fetch is not guarded (``isoplay dev``/``run``), else the checked address (HostOpError naming the
    rule when refused), to connect to instead of the name (no rebinding window)."""
    policy = getattr(ctx.http(), "egress_policy", None)
    if policy is None:
        return host
    try:
        return await _GuardedBackend(policy).checked_address(host, port)
    except EgressRefused as exc:
        raise HostOpError("TypeError", f"connection to {host}:{port} is not allowed: {exc}") from None
    except httpcore.ConnectError as exc:
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


async def _read_limited(response: httpx.Response, url: str) -> bytes:
    """Read the whole body, refusing more than MAX_RESPONSE_BYTES."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise HostOpError("TypeError", f"fetch to {url}: the response body is larger than "
                                           f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_args(args: Any) -> tuple[str, str, list[tuple[str, str]], bytes | None, str, float]:
    """Validate the op's arguments; returns url, method, headers, body, redirect mode, timeout."""
    if not isinstance(args, dict) or not isinstance(args.get("url"), str):
        raise HostOpError("TypeError", "fetch: malformed request from the prelude")
    url = args["url"]
    if urlsplit(url).scheme not in _DEFAULT_PORTS:
        raise HostOpError("TypeError", f"fetch: unsupported URL scheme in {url} (only http and https)")
    headers = [(str(k), str(v)) for k, v in args.get("headers") or [] if str(k).lower() not in _DROP_REQUEST]
    timeout_ms = args.get("timeoutMs")
    timeout = float(timeout_ms) / 1000 if isinstance(timeout_ms, (int, float)) and timeout_ms > 0 else DEFAULT_TIMEOUT_S
    return url, str(args.get("method") or "GET"), headers, _request_body(args.get("body")), str(args.get("redirect") or "follow"), timeout


@host_op("fetch")
async def fetch(ctx: HostContext, args: Any) -> dict[str, Any]:
    """Perform one fetch for a script, following redirects within the allow-list.

    Raises:
        HostOpError: a TypeError for a refused host, a network failure, a
            redirect under ``redirect: "error"``, or too many redirects.
    """
    url, method, headers, body, mode, timeout = _check_args(args)
    client: httpx.AsyncClient = ctx.http()
    allow = tuple(ctx.fetch_allow)
    for hop in range(MAX_REDIRECTS + 1):
        if not host_allowed(url, allow):
            raise refusal(url)
        try:
            request = client.build_request(method, url, headers=headers, content=body, timeout=timeout)
            response = await client.send(request, stream=True, follow_redirects=False)
        except httpx.InvalidURL as exc:
            raise HostOpError("TypeError", f"fetch: invalid URL {url}: {exc}") from None
        except EgressRefused as exc:
            raise HostOpError("TypeError", f"fetch to {_display_host(url)} is not allowed: {exc}") from None
        except httpx.TimeoutException:
            raise HostOpError("TypeError", f"fetch to {url} timed out after {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise HostOpError("TypeError", f"fetch to {url} failed: {exc or type(exc).__name__}") from None
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location is not None and mode != "manual":
                if mode == "error":
                    raise HostOpError("TypeError", f"fetch to {url} was redirected, and redirect is \"error\"")
                next_url = urljoin(url, location)
                if urlsplit(next_url)[:2] != urlsplit(url)[:2]:  # cross-origin: drop credentials
                    headers = [(k, v) for k, v in headers if k.lower() not in ("authorization", "cookie")]
                method, body = _redirect_target(method, response.status_code, body)
                if body is None:
                    headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                url = next_url
                continue
            content = await _read_limited(response, url)
        finally:
            await response.aclose()
        null_body = method == "HEAD" or response.status_code in _NULL_BODY
        return {
            "status": response.status_code,
            "statusText": response.reason_phrase,
            "headers": [[k, v] for k, v in response.headers.multi_items() if k.lower() not in _DROP_RESPONSE],
            "body": None if null_body else _response_body(content),
            "url": str(response.url),
            "redirected": hop > 0,
        }
    raise HostOpError("TypeError", f"fetch to {args['url']}: more than {MAX_REDIRECTS} redirects")
