"""The ``kv.*`` host ops behind the prelude's ``KVNamespace`` (resources/prelude/src/kv.ts).

Every op takes a JSON object with the ``binding`` name and finds its namespace
with ``ctx.kv(binding)``, which must return a
:class:`runtime.kv.store.KVNamespaceStore` (or raise ``LookupError`` for an
unknown binding). Values cross JSON as ``{"text": str}`` (a JS string, stored
as UTF-8) or ``{"b64": str}`` (bytes, base64). Metadata travels from JS as its
``JSON.stringify`` text (``metadata``) and back as a parsed JSON value.

============================  ====================================================
op and args                   result
============================  ====================================================
``kv.get``                    ``null`` or ``{"text"}`` (type ``"text"``) or
{binding, key, type,          ``{"b64"}`` (type ``"bytes"``)
cacheTtl?}
``kv.getWithMetadata``        ``{"value": <as kv.get>, "metadata": json | null}``
(as ``kv.get``)
``kv.put``                    ``null``
{binding, key, value,
expiration?, expirationTtl?,
metadata?}
``kv.delete`` {binding, key}  ``null``
``kv.list`` {binding,         ``{"keys": [{name, expiration?, metadata?}],
prefix?, limit?, cursor?}     "list_complete", "cursor"?}``
============================  ====================================================

Every op is also answered inline during an invocation (``hostops.INLINE_OPS``): the store is
called on the loop thread either way, and inline there is no task and no loop turn around it.

A broken limit or a bad argument rejects the script's promise with a
``TypeError`` carrying production's message. The store is SQLite on local disk
and answers in microseconds, so the ops call it directly on the runtime loop.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from runtime.errors import KVLimitError
from runtime.hostops import INLINE_OPS, INLINE_WHEN, HostContext, HostOpError, host_op
from runtime.kv import validate
from runtime.kv.models import KVEntry, KVListResult
from runtime.kv.store import KVNamespaceStore

_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
"""Non-finite numbers, which JSON cannot carry, arrive as these strings."""

_GET_TYPES = ("text", "bytes")


def _bad(message: str) -> HostOpError:
    return HostOpError("TypeError", message)


def _args(args: Any) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise _bad("KV operation arguments must be an object")
    return args


def _string(args: dict[str, Any], field: str, *, optional: bool = False) -> str | None:
    value = args.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _bad(f"KV {field} must be a string, not {type(value).__name__}")
    return value


def _required(args: dict[str, Any], field: str) -> str:
    value = _string(args, field)
    assert value is not None
    return value


def _number(args: dict[str, Any], field: str) -> float | None:
    value = args.get(field)
    if value is None:
        return None
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"KV {field} must be a number, not {type(value).__name__}")
    return value


def _namespace(ctx: HostContext, args: dict[str, Any]) -> KVNamespaceStore:
    binding = _required(args, "binding")
    try:
        namespace = ctx.kv(binding)
    except LookupError:
        raise _bad(f"no KV namespace is bound to {binding!r}") from None
    if not isinstance(namespace, KVNamespaceStore):
        raise TypeError(f"HostContext.kv({binding!r}) returned {namespace!r}, not a KVNamespaceStore")
    return namespace


def encode_value(data: bytes, as_type: str) -> dict[str, str]:
    """A value for JS: ``{"text"}`` (UTF-8 decoded, bad bytes as U+FFFD) or ``{"b64"}``."""
    if as_type == "text":
        return {"text": data.decode("utf-8", "replace")}
    return {"b64": base64.b64encode(data).decode("ascii")}


def decode_value(value: Any) -> bytes:
    """The bytes of a value from JS (``{"text"}`` or ``{"b64"}``)."""
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return validate.to_usv(value["text"]).encode("utf-8")
    if isinstance(value, dict) and isinstance(value.get("b64"), str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except binascii.Error:
            raise _bad("KV value bytes are not valid base64") from None
    raise _bad("KV put() value must be a string, ArrayBuffer or ArrayBufferView")


def _metadata(args: dict[str, Any]) -> Any:
    text = _string(args, "metadata", optional=True)
    if text is None:
        return None
    validate.validate_metadata(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise _bad("KV metadata must be JSON text") from None


def _get_type(args: dict[str, Any]) -> str:
    as_type = _required(args, "type")
    if as_type not in _GET_TYPES:
        raise _bad(f"KV get type must be one of {', '.join(_GET_TYPES)}, not {as_type!r}")
    return as_type


def _read(ctx: HostContext, raw: Any) -> tuple[KVEntry | None, str]:
    args = _args(raw)
    namespace = _namespace(ctx, args)
    as_type = _get_type(args)
    key = _required(args, "key")
    try:
        validate.validate_cache_ttl(_number(args, "cacheTtl"))
        return namespace.get_with_metadata(key), as_type
    except KVLimitError as exc:
        raise _bad(exc.message) from None


def kv_get_now(ctx: HostContext, args: Any) -> Any:
    """``KVNamespace.get``: the value or null."""
    entry, as_type = _read(ctx, args)
    return None if entry is None else encode_value(entry.value, as_type)


def kv_get_with_metadata_now(ctx: HostContext, args: Any) -> Any:
    """``KVNamespace.getWithMetadata``: ``{value, metadata}`` (both null when missing)."""
    entry, as_type = _read(ctx, args)
    if entry is None:
        return {"value": None, "metadata": None}
    return {"value": encode_value(entry.value, as_type), "metadata": entry.metadata}


def kv_put_now(ctx: HostContext, raw: Any) -> Any:
    """``KVNamespace.put``: store a value with optional expiry and metadata."""
    args = _args(raw)
    namespace = _namespace(ctx, args)
    key = _required(args, "key")
    try:
        namespace.put(
            key,
            decode_value(args.get("value")),
            expiration=_number(args, "expiration"),
            expiration_ttl=_number(args, "expirationTtl"),
            metadata=_metadata(args),
        )
    except KVLimitError as exc:
        raise _bad(exc.message) from None
    return None


def kv_delete_now(ctx: HostContext, raw: Any) -> Any:
    """``KVNamespace.delete``."""
    args = _args(raw)
    namespace = _namespace(ctx, args)
    try:
        namespace.delete(_required(args, "key"))
    except KVLimitError as exc:
        raise _bad(exc.message) from None
    return None


def list_result_to_json(result: KVListResult) -> dict[str, Any]:
    """A list page as the JS ``KVNamespaceListResult`` object."""
    keys: list[dict[str, Any]] = []
    for key in result.keys:
        item: dict[str, Any] = {"name": key.name}
        if key.expiration is not None:
            item["expiration"] = key.expiration
        if key.metadata is not None:
            item["metadata"] = key.metadata
        keys.append(item)
    out: dict[str, Any] = {"keys": keys, "list_complete": result.list_complete}
    if result.cursor is not None:
        out["cursor"] = result.cursor
    return out


def kv_list_now(ctx: HostContext, raw: Any) -> Any:
    """``KVNamespace.list``: one page of keys in key order."""
    args = _args(raw)
    namespace = _namespace(ctx, args)
    prefix = _string(args, "prefix", optional=True) or ""
    cursor = _string(args, "cursor", optional=True)
    try:
        result = namespace.list(prefix=prefix, limit=_number(args, "limit"), cursor=cursor)
    except KVLimitError as exc:
        raise _bad(exc.message) from None
    return list_result_to_json(result)


def _inline(name: str, now: Callable[[HostContext, Any], Any]) -> Callable[[HostContext, Any], Awaitable[Any]]:
    """Register ``now`` (a synchronous op) as op ``name`` and as its inline form (see the module doc);
    returns the async op."""

    async def op(ctx: HostContext, args: Any) -> Any:
        return now(ctx, args)

    op.__name__ = op.__qualname__ = now.__name__.removesuffix("_now")
    op.__doc__ = now.__doc__
    host_op(name)(op)
    INLINE_OPS[name] = now
    INLINE_WHEN[name] = _always
    return op


def _always(args: Any) -> bool:
    return True


kv_get = _inline("kv.get", kv_get_now)
kv_get_with_metadata = _inline("kv.getWithMetadata", kv_get_with_metadata_now)
kv_put = _inline("kv.put", kv_put_now)
kv_delete = _inline("kv.delete", kv_delete_now)
kv_list = _inline("kv.list", kv_list_now)
