"""Pure validators for Workers KV calls, with production's message text.

Each validator takes what it checks (and ``now``, in seconds since the epoch,
where time matters) and raises :class:`runtime.errors.KVLimitError` whose
message reads like the one a deployed Worker sees, e.g.::

    KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.

The wording follows Miniflare's KV validator (itself modelled on the KV API).
"""

from __future__ import annotations

import base64
import binascii
import math

from runtime.errors import KVLimitError
from runtime.kv import limits

Number = int | float
"""A JSON number as Python receives it."""


def fail(method: str, status: int, message: str) -> KVLimitError:
    """Build the error for a refused ``method`` (GET, PUT, DELETE, LIST) call."""
    return KVLimitError(f"KV {method} failed: {status} {message}")


def js_number(value: Number) -> str:
    """Format a number the way JavaScript's ``String(n)`` would (for messages)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return str(int(value))
    return repr(value)


def utf8_length(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (a lone surrogate counts as U+FFFD)."""
    return len(to_usv(text).encode("utf-8"))


def to_usv(text: str) -> str:
    """Replace lone surrogates by U+FFFD, as a JS ``USVString`` conversion does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def validate_key_length(method: str, key: str) -> None:
    """Refuse a key (or list prefix) longer than 512 UTF-8 bytes."""
    length = utf8_length(key)
    if length > limits.MAX_KEY_SIZE_BYTES:
        raise fail(
            method,
            414,
            f"UTF-8 encoded length of {length} exceeds key length limit of {limits.MAX_KEY_SIZE_BYTES}.",
        )


def validate_key(method: str, key: str) -> None:
    """Refuse an empty, illegal (``.``/``..``) or too-long key."""
    if key == "":
        raise fail(method, 400, "Key names must not be empty")
    if key in limits.ILLEGAL_KEYS:
        raise fail(method, 400, f'Illegal key name "{key}". Please use a different name.')
    validate_key_length(method, key)


def validate_value_size(size: int) -> None:
    """Refuse a value larger than 25 MiB."""
    if size > limits.MAX_VALUE_SIZE_BYTES:
        raise fail("PUT", 413, f"Value length of {size} exceeds limit of {limits.MAX_VALUE_SIZE_BYTES}.")


def validate_metadata(metadata_json: str) -> None:
    """Refuse metadata whose JSON text is longer than 1024 UTF-8 bytes."""
    length = utf8_length(metadata_json)
    if length > limits.MAX_METADATA_SIZE_BYTES:
        raise fail("PUT", 413, f"Metadata length of {length} exceeds limit of {limits.MAX_METADATA_SIZE_BYTES}.")


def _expiration_from_ttl(now: float, ttl: Number) -> int:
    if not math.isfinite(ttl) or int(ttl) <= 0:
        raise fail("PUT", 400, f"Invalid expiration_ttl of {js_number(ttl)}. Please specify integer greater than 0.")
    seconds = int(ttl)
    if seconds < limits.MIN_EXPIRATION_TTL_SECONDS:
        raise fail(
            "PUT",
            400,
            f"Invalid expiration_ttl of {js_number(ttl)}. "
            f"Expiration TTL must be at least {limits.MIN_EXPIRATION_TTL_SECONDS}.",
        )
    return int(now) + seconds


def _check_absolute_expiration(now: float, expiration: Number) -> int:
    if not math.isfinite(expiration) or int(expiration) <= 0:
        raise fail(
            "PUT",
            400,
            f"Invalid expiration of {js_number(expiration)}. "
            "Please specify integer greater than the current number of seconds since the UNIX epoch.",
        )
    seconds = int(expiration)
    if seconds < now + limits.MIN_EXPIRATION_TTL_SECONDS:
        raise fail(
            "PUT",
            400,
            f"Invalid expiration of {js_number(expiration)}. "
            f"Expiration times must be at least {limits.MIN_EXPIRATION_TTL_SECONDS} seconds in the future.",
        )
    return seconds


def resolve_expiration(*, now: float, expiration: Number | None, expiration_ttl: Number | None) -> int | None:
    """The absolute expiration (whole seconds since the epoch) a put asks for.

    ``expiration_ttl`` wins over ``expiration`` when both are given, as in
    production. Fractions are truncated (the KV API parses integers).

    Args:
        now: The current time in seconds since the epoch.
        expiration: Absolute expiry in seconds since the epoch, or None.
        expiration_ttl: Seconds from ``now``, or None.

    Returns:
        The expiry in whole seconds, or None for a key that never expires.

    Raises:
        KVLimitError: the TTL is under 60 s, or the expiry is less than 60 s ahead.
    """
    if expiration_ttl is not None:
        return _expiration_from_ttl(now, expiration_ttl)
    if expiration is not None:
        return _check_absolute_expiration(now, expiration)
    return None


def validate_put(
    key: str,
    value_size: int,
    *,
    now: float,
    expiration: Number | None = None,
    expiration_ttl: Number | None = None,
    metadata_json: str | None = None,
) -> int | None:
    """Check a whole put and return its absolute expiration (or None).

    Raises:
        KVLimitError: any limit is broken; the first one found is reported.
    """
    validate_key("PUT", key)
    resolved = resolve_expiration(now=now, expiration=expiration, expiration_ttl=expiration_ttl)
    if metadata_json is not None:
        validate_metadata(metadata_json)
    validate_value_size(value_size)
    return resolved


def validate_cache_ttl(cache_ttl: Number | None) -> None:
    """Refuse a ``cacheTtl`` under 60 seconds (the value is otherwise ignored locally)."""
    if cache_ttl is None:
        return
    if not math.isfinite(cache_ttl) or cache_ttl < limits.MIN_CACHE_TTL_SECONDS:
        raise fail(
            "GET",
            400,
            f"Invalid cache_ttl of {js_number(cache_ttl)}. Cache TTL must be at least {limits.MIN_CACHE_TTL_SECONDS}.",
        )


def validate_list_limit(limit: Number | None) -> int:
    """Return the page size for ``limit`` (default 1000), refusing < 1 or > 1000."""
    if limit is None:
        return limits.DEFAULT_LIST_LIMIT
    if not math.isfinite(limit) or int(limit) < 1:
        raise fail("LIST", 400, f"Invalid key_count_limit of {js_number(limit)}. Please specify an integer greater than 0.")
    if int(limit) > limits.MAX_LIST_LIMIT:
        raise fail(
            "LIST",
            400,
            f"Invalid key_count_limit of {js_number(limit)}. "
            f"Please specify an integer less than {limits.MAX_LIST_LIMIT}.",
        )
    return int(limit)


def encode_cursor(last_key: str) -> str:
    """The opaque cursor that continues a listing after ``last_key``."""
    return base64.urlsafe_b64encode(last_key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The key a cursor from :func:`encode_cursor` continues after.

    Raises:
        KVLimitError: the cursor was not made by this store.
    """
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise fail("LIST", 400, f"Invalid cursor {cursor!r}: pass the cursor a previous list() returned.") from None
