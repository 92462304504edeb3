"""The values the KV store hands out: entries, list pages, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KVEntry:
    """A stored value with what ``getWithMetadata`` returns beside it."""

    value: bytes
    """The value's bytes."""
    expiration: int | None
    """Expiry in whole seconds since the epoch, or None."""
    metadata: Any
    """The metadata as a JSON value (dict, list, str, ...), or None."""


@dataclass(frozen=True)
class KVKey:
    """One key of a ``list`` result."""

    name: str
    """The key."""
    expiration: int | None = None
    """Expiry in whole seconds since the epoch, or None."""
    metadata: Any = None
    """The key's metadata as a JSON value, or None."""


@dataclass(frozen=True)
class KVKeyInfo(KVKey):
    """A key as a KV browser shows it: a :class:`KVKey` plus its value's size."""

    size: int = 0
    """The value's length in bytes."""


@dataclass(frozen=True)
class KVRecord:
    """A whole entry, as export and import move it."""

    key: str
    """The key."""
    value: bytes
    """The value's bytes."""
    expiration: int | None = None
    """Expiry in whole seconds since the epoch, or None."""
    metadata: Any = None
    """The metadata as a JSON value, or None."""


@dataclass(frozen=True)
class KVListResult:
    """One page of ``list``: keys in key order and how to continue."""

    keys: tuple[KVKey, ...]
    """The keys of this page, in UTF-8 byte order."""
    list_complete: bool
    """True when no key follows this page."""
    cursor: str | None
    """Pass to the next ``list`` call to continue; None when complete."""


@dataclass(frozen=True)
class KVStoreStatistics:
    """Live counts of a store (expired keys excluded)."""

    namespaces: int
    """Namespaces that hold at least one live key."""
    keys: int
    """Live keys across all namespaces."""
    bytes: int
    """UTF-8 bytes of live keys and metadata plus the bytes of their values."""
