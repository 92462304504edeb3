"""Workers KV limits, as constants (the numbers production enforces).

Sources: the Cloudflare Workers KV limits page and Miniflare's ``KVLimits``.
Every check lives in :mod:`runtime.kv.validate`; nothing else hard-codes these.
"""

from __future__ import annotations

MAX_KEY_SIZE_BYTES = 512
"""Longest key (and list prefix), in UTF-8 bytes."""

MAX_VALUE_SIZE_BYTES = 25 * 1024 * 1024
"""Largest value, in bytes (25 MiB)."""

MAX_METADATA_SIZE_BYTES = 1024
"""Largest metadata, in UTF-8 bytes of its JSON serialisation."""

MIN_EXPIRATION_TTL_SECONDS = 60
"""Shortest ``expirationTtl``; an absolute ``expiration`` must be at least this far ahead."""

MIN_CACHE_TTL_SECONDS = 60
"""Shortest ``cacheTtl`` a ``get`` accepts (the local runtime has no edge cache to tune)."""

MAX_LIST_LIMIT = 1000
"""Most keys one ``list`` call returns; also the default ``limit``."""

DEFAULT_LIST_LIMIT = MAX_LIST_LIMIT
"""``limit`` when a ``list`` call gives none."""

ILLEGAL_KEYS = frozenset({".", ".."})
"""Key names production refuses (they collide with URL path segments)."""
