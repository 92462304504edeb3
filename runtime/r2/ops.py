"""The ``r2.*`` host ops behind the prelude's ``R2Bucket`` (resources/prelude/src/r2.ts).

Every op takes ``{binding, ...}``; bodies cross as ``{"b64"}`` (or ``{"text"}`` from a string put).
Objects come back as ``{key, version, size, etag, uploaded (ms), httpMetadata, customMetadata}``.

=====================================================  ==================================================
op and args                                            result
=====================================================  ==================================================
``r2.head`` {key}                                      object or null
``r2.get`` {key, onlyIf?, range?}                      null, or ``{object, body?: {b64}, range?}`` (no body:
                                                       ``onlyIf`` did not hold)
``r2.put`` {key, value, httpMetadata, customMetadata,  object, or null when ``onlyIf`` did not hold
onlyIf?, md5?}
``r2.delete`` {keys}                                   null
``r2.list`` {prefix?, delimiter?, cursor?,             ``{objects, truncated, cursor?, delimitedPrefixes}``
startAfter?, limit?, include?}
=====================================================  ==================================================

A refused call (a limit, a bad range, a checksum mismatch) rejects with an ``Error`` naming it, as R2's
do. Calls run on a worker thread: bodies may be large.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from runtime.hostops import HostContext, HostOpError, host_op
from runtime.r2.store import MAX_LIST_LIMIT, Conditions, R2Bucket, R2Error

_HTTP_FIELDS = ("contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl",
                "cacheExpiry")


def _args(args: Any) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise HostOpError("TypeError", "R2: malformed host call")
    return args


def _bucket(ctx: HostContext, args: dict[str, Any]) -> R2Bucket:
    binding = args.get("binding")
    r2 = getattr(ctx, "r2", None)
    if not isinstance(binding, str) or r2 is None:
        raise HostOpError("Error", f"R2 binding {binding} is not available here")
    try:
        return r2(binding)  # type: ignore[no-any-return]
    except LookupError:
        raise HostOpError("Error", f"no R2 bucket is bound to {binding!r}") from None


def _key(args: dict[str, Any]) -> str:
    key = args.get("key")
    if not isinstance(key, str):
        raise HostOpError("TypeError", "R2: the key must be a string")
    return key


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HostOpError("TypeError", f"R2: {what} must be a number")
    return float(value)


def _conditions(raw: Any) -> Conditions | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise HostOpError("TypeError", "R2: onlyIf must be an object or Headers")
    for name in ("etagMatches", "etagDoesNotMatch"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise HostOpError("TypeError", f"R2: onlyIf.{name} must be a string")
    before, after = _number(raw.get("uploadedBefore"), "onlyIf.uploadedBefore"), _number(
        raw.get("uploadedAfter"), "onlyIf.uploadedAfter")
    return Conditions(raw.get("etagMatches"), raw.get("etagDoesNotMatch"),
                      None if before is None else before / 1000, None if after is None else after / 1000)


def _strings(raw: Any, what: str, allowed: tuple[str, ...] | None = None) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise HostOpError("TypeError", f"R2: {what} must be an object of strings")
    if allowed is not None:
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise HostOpError("TypeError", f"R2: {what} has unknown fields {unknown} (known: {', '.join(allowed)})")
    return dict(raw)


def _body(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"]).encode("utf-8", "replace")
    if isinstance(value, dict) and isinstance(value.get("b64"), str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except binascii.Error:
            raise HostOpError("TypeError", "R2: the body bytes are not valid base64") from None
    raise HostOpError("TypeError", "R2 put(): the value must be a string, ArrayBuffer, ArrayBufferView, Blob, "
                                   "ReadableStream or null")


async def _off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except R2Error as exc:
        raise HostOpError("Error", str(exc)) from None


@host_op("r2.head")
async def r2_head(ctx: HostContext, raw: Any) -> Any:
    args = _args(raw)
    info = await _off_loop(_bucket(ctx, args).head, _key(args))
    return None if info is None else info.to_json()


@host_op("r2.get")
async def r2_get(ctx: HostContext, raw: Any) -> Any:
    args = _args(raw)
    bucket, key = _bucket(ctx, args), _key(args)
    range_ = args.get("range")
    span: tuple[int, int | None] | None = None
    suffix: int | None = None
    if range_ is not None:
        if not isinstance(range_, dict):
            raise HostOpError("TypeError", "R2 get(): range must be an object or Headers")
        offset, length, tail = (_number(range_.get(n), f"range.{n}") for n in ("offset", "length", "suffix"))
        if any(v is not None and (v < 0 or v != int(v)) for v in (offset, length, tail)):
            raise HostOpError("RangeError", "R2 get(): range offset, length and suffix must be whole numbers >= 0")
        if tail is not None:
            suffix = int(tail)
        else:
            span = (int(offset or 0), None if length is None else int(length))
    found = await _off_loop(bucket.get, key, only_if=_conditions(args.get("onlyIf")), range_=span, suffix=suffix)
    if found is None:
        return None
    info, body, ranged = found
    out: dict[str, Any] = {"object": info.to_json()}
    if body is not None:
        out["body"] = {"b64": base64.b64encode(body).decode("ascii")}
    if ranged is not None:
        out["range"] = {"offset": ranged[0], "length": ranged[1]}
    return out


@host_op("r2.put")
async def r2_put(ctx: HostContext, raw: Any) -> Any:
    args = _args(raw)
    bucket, key = _bucket(ctx, args), _key(args)
    md5 = args.get("md5")
    if md5 is not None and not isinstance(md5, str):
        raise HostOpError("TypeError", "R2 put(): md5 must be a hex string or ArrayBuffer")
    info = await _off_loop(bucket.put, key, _body(args.get("value")),
                           http_metadata=_strings(args.get("httpMetadata"), "httpMetadata", _HTTP_FIELDS),
                           custom_metadata=_strings(args.get("customMetadata"), "customMetadata"),
                           only_if=_conditions(args.get("onlyIf")), md5=md5)
    return None if info is None else info.to_json()


@host_op("r2.delete")
async def r2_delete(ctx: HostContext, raw: Any) -> Any:
    args = _args(raw)
    keys = args.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise HostOpError("TypeError", "R2 delete(): expected a key or an array of keys")
    await _off_loop(_bucket(ctx, args).delete, keys)
    return None


@host_op("r2.list")
async def r2_list(ctx: HostContext, raw: Any) -> Any:
    args = _args(raw)
    texts = {}
    for name in ("prefix", "delimiter", "cursor", "startAfter"):
        value = args.get(name)
        if value is not None and not isinstance(value, str):
            raise HostOpError("TypeError", f"R2 list(): {name} must be a string")
        texts[name] = value
    limit = _number(args.get("limit"), "limit")
    include = args.get("include") or []
    if not isinstance(include, list) or not set(include) <= {"httpMetadata", "customMetadata"}:
        raise HostOpError("TypeError", 'R2 list(): include may hold "httpMetadata" and "customMetadata"')
    result = await _off_loop(_bucket(ctx, args).list, prefix=texts["prefix"] or "", delimiter=texts["delimiter"],
                             cursor=texts["cursor"], start_after=texts["startAfter"],
                             limit=MAX_LIST_LIMIT if limit is None else int(limit))
    for item in result["objects"]:
        for field in ("httpMetadata", "customMetadata"):
            if field not in include:
                del item[field]
    return result
