"""Export a KV namespace as JSON and import it back (for the KV browser and CLI).

The format is wrangler's ``kv bulk put`` file, so files move between isoplay
and Cloudflare's tooling: a JSON array of objects ::

    [{"key": "a", "value": "text"},
     {"key": "b", "value": "AAEC", "base64": true, "expiration": 1900000000,
      "metadata": {"v": 1}}]

``value`` is text when the bytes are valid UTF-8 and base64 (with
``"base64": true``) otherwise. On import ``expiration_ttl`` is accepted too.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import Any

from runtime.errors import KVLimitError
from runtime.kv import validate
from runtime.kv.models import KVRecord
from runtime.kv.store import KVStore

_FIELDS = frozenset({"key", "value", "base64", "expiration", "expiration_ttl", "metadata"})


def record_to_json(record: KVRecord) -> dict[str, Any]:
    """One record as a bulk-file object."""
    out: dict[str, Any] = {"key": record.key}
    try:
        out["value"] = record.value.decode("utf-8")
    except UnicodeDecodeError:
        out["value"] = base64.b64encode(record.value).decode("ascii")
        out["base64"] = True
    if record.expiration is not None:
        out["expiration"] = record.expiration
    if record.metadata is not None:
        out["metadata"] = record.metadata
    return out


def export_namespace(store: KVStore, namespace: str, *, prefix: str = "") -> str:
    """The live entries of ``namespace`` as a bulk-file JSON text, in key order."""
    items = [record_to_json(record) for record in store.records(namespace, prefix)]
    return json.dumps(items, ensure_ascii=False, indent=1)


def _bad(index: int, message: str) -> KVLimitError:
    return KVLimitError(f"KV import failed: entry {index}: {message}")


def _number(index: int, item: Mapping[str, Any], field: str) -> float | None:
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(index, f'"{field}" must be a number of seconds, not {value!r}')
    return float(value)


def _value_bytes(index: int, item: Mapping[str, Any]) -> bytes:
    value = item.get("value")
    if not isinstance(value, str):
        raise _bad(index, '"value" must be a string')
    if item.get("base64") is True:
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise _bad(index, '"value" is not valid base64') from None
    return validate.to_usv(value).encode("utf-8")


def record_from_json(index: int, item: Any, now: float) -> KVRecord:
    """Parse bulk-file object number ``index`` (0-based) into a record.

    Raises:
        KVLimitError: the object is malformed or its TTL is under 60 seconds.
    """
    if not isinstance(item, Mapping):
        raise _bad(index, "expected an object with a key and a value")
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise _bad(index, f"unknown field {unknown[0]!r} (expected {', '.join(sorted(_FIELDS))})")
    key = item.get("key")
    if not isinstance(key, str):
        raise _bad(index, '"key" must be a string')
    ttl = _number(index, item, "expiration_ttl")
    expiration = _number(index, item, "expiration")
    expires = validate.resolve_expiration(now=now, expiration=None, expiration_ttl=ttl) if ttl is not None else None
    if expires is None and expiration is not None:
        expires = int(expiration)
    return KVRecord(key, _value_bytes(index, item), expires, item.get("metadata"))


def import_namespace(store: KVStore, namespace: str, text: str, *, replace: bool = False) -> int:
    """Write the entries of bulk-file ``text`` into ``namespace``; return how many.

    All or nothing: one bad entry and nothing is written. Entries whose
    absolute expiration has passed are skipped.

    Args:
        store: The store to write.
        namespace: The namespace to fill.
        text: A bulk-file JSON array.
        replace: Delete the namespace's keys first.

    Raises:
        KVLimitError: the text is not a bulk file, or an entry breaks a limit.
    """
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KVLimitError(f"KV import failed: not JSON: {exc}") from None
    if not isinstance(items, list):
        raise KVLimitError("KV import failed: expected a JSON array of {key, value} objects")
    now = store.clock()
    records = [record_from_json(i, item, now) for i, item in enumerate(items)]
    return store.import_records(namespace, records, replace=replace)
