"""The ``cache.*`` host ops behind the prelude's ``Cache`` (resources/prelude/src/web/cache.ts).

``ctx.cache()`` returns the script's :class:`runtime.webapi.cache.CacheStore`. Bodies
cross as ``{"b64": ...}``; headers as ``[[name, value], ...]``.

===========================================  ===========================================
op and args                                  result
===========================================  ===========================================
``cache.match`` {cache, url, headers}        ``null`` or ``{status, headers, body}``;
                                             ``If-None-Match`` on a stored ETag gives
                                             304, a single ``Range`` gives 206 (416 if
                                             unsatisfiable)
``cache.put`` {cache, url, headers,          ``true`` if stored, ``false`` if the
status, responseHeaders, body}               response's headers say not to store it
``cache.delete`` {cache, url}                whether a live entry was deleted
===========================================  ===========================================

The prelude has already checked what the spec and Workers reject with a TypeError
(non-GET request, 206 response, ``Vary: *``, a used body).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any

from runtime.hostops import HostContext, HostOpError, host_op
from runtime.webapi import cache as store_mod
from runtime.webapi.cache import MAX_ENTRY_BYTES, CachedResponse, Headers

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def _args(args: Any) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise HostOpError("TypeError", "cache operation arguments must be an object")
    for field in ("cache", "url"):
        if not isinstance(args.get(field), str):
            raise HostOpError("TypeError", f"cache {field} must be a string")
    return args


def _headers(value: Any) -> Headers:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    ):
        raise HostOpError("TypeError", "cache headers must be [name, value] string pairs")
    return [(n, v) for n, v in value]


def _store(ctx: HostContext) -> Any:
    cache = getattr(ctx, "cache", None)
    if cache is None:
        raise HostOpError("Error", "the Cache API is not available here")
    return cache()


def _b64(body: bytes) -> dict[str, str]:
    return {"b64": base64.b64encode(body).decode("ascii")}


def _response(status: int, headers: Headers, body: bytes) -> dict[str, Any]:
    return {"status": status, "headers": [list(p) for p in headers], "body": _b64(body)}


def _conditional(hit: CachedResponse, request: dict[str, str]) -> dict[str, Any]:
    headers = [*hit.headers, ("cf-cache-status", "HIT")]
    stored = dict(hit.headers)
    etag = stored.get("etag")
    inm = request.get("if-none-match")
    if etag and inm and (inm.strip() == "*" or etag.strip() in [t.strip() for t in inm.split(",")]):
        return _response(304, [(n, v) for n, v in headers if n not in ("content-length", "content-type")], b"")
    rng = request.get("range")
    if rng and hit.status == 200:
        m = _RANGE.match(rng)
        size = len(hit.body)
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                start, end = max(0, size - int(m.group(2))), size - 1
            rest = [(n, v) for n, v in headers if n != "content-length"]
            if start >= size or start > end:
                return _response(416, [*rest, ("content-range", f"bytes */{size}")], b"")
            return _response(206, [*rest, ("content-range", f"bytes {start}-{end}/{size}")], hit.body[start:end + 1])
    return _response(hit.status, headers, hit.body)


@host_op("cache.match")
async def cache_match(ctx: HostContext, args: Any) -> Any:
    """Look a request up; None on a miss."""
    a = _args(args)
    req = _headers(a.get("headers"))
    hit = store_mod.select(_store(ctx).variants(a["cache"], a["url"], time.time()), req)
    if hit is None:
        return None
    return _conditional(hit, {n.lower(): v for n, v in req})


@host_op("cache.put")
async def cache_put(ctx: HostContext, args: Any) -> Any:
    """Store a response if its headers allow it."""
    a = _args(args)
    status = a.get("status")
    if not isinstance(status, int) or not 200 <= status <= 599:
        raise HostOpError("TypeError", "cache response status must be an integer 200-599")
    resp_headers = _headers(a.get("responseHeaders"))
    body = a.get("body") or {}
    try:
        raw = base64.b64decode(body.get("b64", ""), validate=True) if isinstance(body, dict) else b""
    except (binascii.Error, ValueError):
        raise HostOpError("TypeError", "cache body must be base64") from None
    if len(raw) > MAX_ENTRY_BYTES:
        raise HostOpError("TypeError", f"Cache API: a body over {MAX_ENTRY_BYTES} bytes cannot be stored")
    now = time.time()
    policy = store_mod.storage_policy(status, resp_headers, now)
    if policy is None:
        return False
    expires, kept = policy
    vary = store_mod.vary_of(resp_headers, _headers(a.get("headers")))
    _store(ctx).put(a["cache"], a["url"], CachedResponse(status, kept, raw, expires, vary))
    return True


@host_op("cache.delete")
async def cache_delete(ctx: HostContext, args: Any) -> Any:
    """Delete a URL's entries."""
    a = _args(args)
    return _store(ctx).delete(a["cache"], a["url"], time.time())
