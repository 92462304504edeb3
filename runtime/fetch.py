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
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urljoin, urlsplit

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
