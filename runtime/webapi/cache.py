"""The Cache API store behind ``caches.default`` / ``caches.open(name)`` (prelude: web/cache.ts).

Guarantees:

- **Workers semantics on ``put``** (``storage_policy``): ``Cache-Control: no-store``,
  ``no-cache``, ``private`` and ``max-age=0`` responses are not stored; ``s-maxage`` wins
  over ``max-age``, which wins over ``Expires`` (against ``Date`` or now); with none of
  them, Cloudflare's Edge TTL defaults by status apply (200/206/301: 2 h, 302/303: 20 min,
  404/410: 3 min; other statuses are not stored). A response with ``Set-Cookie`` is not
  stored unless ``Cache-Control: private=Set-Cookie``, which stores it without that header.
  (The prelude rejects non-GET requests, 206 responses and ``Vary: *`` before this runs.)
- **Vary is honoured**: a stored response remembers the request header values its
  ``Vary`` names, and ``match`` only returns it for a request with the same values (one
  variant per set of values; a later ``put`` replaces the same variant).
- **Expiry**: an expired entry is never returned; it is deleted when found and by
  ``purge_expired`` (on open).
- **Isolation and persistence**: one SQLite file per data dir -- a project's
  ``.isoplay/cache.sqlite3`` in dev (it survives restarts), each app's own folder on the
  server (apps never share entries). Cache names are a column.

``CacheStore`` is the storage seam (a PostgreSQL store can implement the same four
methods); ``SQLiteCacheStore`` is the embedded one, its SQL in named statements.
"""

from __future__ import annotations

import email.utils
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runtime.store.sqlite_wal import enable_wal

CACHE_FILENAME = "cache.sqlite3"
"""The store's file name inside a data dir."""

MAX_ENTRY_BYTES = 32 * 1024 * 1024
"""Largest body ``put`` stores (bodies cross the isolate boundary in one piece)."""

EDGE_TTL_SECONDS: dict[int, int] = {200: 7200, 206: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180}
"""Cloudflare's default Edge TTL by status when a response carries no freshness headers."""

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class CachedResponse:
    """One stored variant of a URL."""

    status: int
    """HTTP status."""
    headers: Headers
    """Response headers as stored (lower-case names)."""
    body: bytes
    """The whole body."""
    expires: float
    """Epoch seconds after which it is not returned."""
    vary: tuple[tuple[str, str | None], ...] = ()
    """(request header name, value or None) pairs the response's Vary named."""

    def matches(self, request_headers: Headers) -> bool:
        """Whether a request with these headers selects this variant."""
        got = _header_map(request_headers)
        return all(got.get(name) == value for name, value in self.vary)


# ---- policy (pure) -------------------------------------------------------------


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def parse_cache_control(value: str) -> dict[str, str | None]:
    """``Cache-Control`` directives as {lower-case name: argument or None}."""
    out: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        if name:
            out[name.strip().lower()] = arg.strip().strip('"') if sep else None
    return out


def _seconds(arg: str | None) -> int | None:
    if arg is None or not arg.strip().isdigit():
        return None
    return int(arg.strip())


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp()


def freshness_seconds(status: int, headers: Headers, now: float) -> float | None:
    """How long a response may be served from cache, or None when it must not be stored."""
    h = _header_map(headers)
    cc = parse_cache_control(h.get("cache-control", ""))
    if "no-store" in cc or "no-cache" in cc:
        return None
    if "private" in cc and (cc["private"] is None or "set-cookie" not in cc["private"].lower()):
        return None
    for directive in ("s-maxage", "max-age"):
        seconds = _seconds(cc.get(directive))
        if seconds is not None:
            return float(seconds) if seconds > 0 else None
    expires = _http_date(h.get("expires")) if "expires" in h else None
    if "expires" in h:
        if expires is None:
            return None  # an invalid Expires means "already expired"
        ttl = expires - (_http_date(h.get("date")) or now)
        return ttl if ttl > 0 else None
    ttl = EDGE_TTL_SECONDS.get(status)
    return float(ttl) if ttl else None


def storage_policy(status: int, headers: Headers, now: float) -> tuple[float, Headers] | None:
    """(expires at, headers to store) for a response, or None when ``put`` stores nothing."""
    ttl = freshness_seconds(status, headers, now)
    if ttl is None:
        return None
    h = _header_map(headers)
    kept = [(n.lower(), v) for n, v in headers]
    if "set-cookie" in h:
        cc = parse_cache_control(h.get("cache-control", ""))
        if "set-cookie" not in (cc.get("private") or "").lower():
            return None
        kept = [(n, v) for n, v in kept if n != "set-cookie"]
    return now + ttl, kept


def vary_of(response_headers: Headers, request_headers: Headers) -> tuple[tuple[str, str | None], ...]:
    """The (name, request value) pairs a response's ``Vary`` selects on."""
    vary = _header_map(response_headers).get("vary", "")
    req = _header_map(request_headers)
    names = sorted({n.strip().lower() for n in vary.split(",") if n.strip()})
    return tuple((n, req.get(n)) for n in names)


# ---- storage -------------------------------------------------------------------


class CacheStore(Protocol):
    """What the cache host ops need from a store (SQLite here; PostgreSQL can follow)."""

    def variants(self, cache: str, url: str, now: float) -> list[CachedResponse]:
        """Unexpired variants of ``url`` in ``cache`` (expired ones are dropped)."""
        ...

    def put(self, cache: str, url: str, entry: CachedResponse) -> None:
        """Store ``entry``, replacing the variant with the same Vary values."""
        ...

    def delete(self, cache: str, url: str, now: float) -> bool:
        """Delete every variant of ``url``; whether an unexpired one existed."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


SCHEMA_VERSION = 1

SQL_CREATE = """
CREATE TABLE IF NOT EXISTS cache_entries (
    cache    TEXT    NOT NULL,
    url      TEXT    NOT NULL,
    variant  TEXT    NOT NULL,
    status   INTEGER NOT NULL,
    headers  TEXT    NOT NULL,
    body     BLOB    NOT NULL,
    expires  REAL    NOT NULL,
    PRIMARY KEY (cache, url, variant)
) WITHOUT ROWID
"""
SQL_PRAGMA_SYNC = "PRAGMA synchronous=NORMAL"
SQL_SET_USER_VERSION = f"PRAGMA user_version={SCHEMA_VERSION}"
SQL_VARIANTS = "SELECT variant, status, headers, body, expires FROM cache_entries WHERE cache = ? AND url = ?"
SQL_PUT = """
INSERT INTO cache_entries (cache, url, variant, status, headers, body, expires) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (cache, url, variant) DO UPDATE SET
    status = excluded.status, headers = excluded.headers, body = excluded.body, expires = excluded.expires
"""
SQL_DELETE_EXPIRED_OF_URL = "DELETE FROM cache_entries WHERE cache = ? AND url = ? AND expires <= ?"
SQL_COUNT_LIVE_OF_URL = "SELECT COUNT(*) FROM cache_entries WHERE cache = ? AND url = ? AND expires > ?"
SQL_DELETE_URL = "DELETE FROM cache_entries WHERE cache = ? AND url = ?"
SQL_PURGE_EXPIRED = "DELETE FROM cache_entries WHERE expires <= ?"
SQL_COUNT = "SELECT COUNT(*) FROM cache_entries WHERE expires > ?"


class SQLiteCacheStore:
    """The embedded store: one SQLite file (WAL), one connection behind a lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        enable_wal(self._db)
        self._db.execute(SQL_PRAGMA_SYNC)
        self._db.execute(SQL_CREATE)
        self._db.execute(SQL_SET_USER_VERSION)
        self.purge_expired(time.time())

    @classmethod
    def for_data_dir(cls, data_dir: Path | str) -> SQLiteCacheStore:
        """The store of a data dir (``<dir>/cache.sqlite3``)."""
        return cls(Path(data_dir) / CACHE_FILENAME)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            from runtime.errors import RuntimeDisposed

            raise RuntimeDisposed("the cache store is closed")
        return self._db

    def variants(self, cache: str, url: str, now: float) -> list[CachedResponse]:
        """Unexpired variants of ``url`` (expired ones are deleted)."""
        with self._lock:
            db = self._conn()
            rows = db.execute(SQL_VARIANTS, (cache, url)).fetchall()
            if any(row[4] <= now for row in rows):
                db.execute(SQL_DELETE_EXPIRED_OF_URL, (cache, url, now))
        out = []
        for variant, status, headers, body, expires in rows:
            if expires <= now:
                continue
            vary = tuple((n, v) for n, v in json.loads(variant))
            out.append(CachedResponse(status, [(n, v) for n, v in json.loads(headers)], bytes(body), expires, vary))
        return out

    def put(self, cache: str, url: str, entry: CachedResponse) -> None:
        """Store one variant."""
        variant = json.dumps([list(p) for p in entry.vary], separators=(",", ":"))
        headers = json.dumps(entry.headers, separators=(",", ":"))
        with self._lock:
            self._conn().execute(SQL_PUT, (cache, url, variant, entry.status, headers, entry.body, entry.expires))

    def delete(self, cache: str, url: str, now: float) -> bool:
        """Delete all variants of ``url``; True if a live one was there."""
        with self._lock:
            db = self._conn()
            live = db.execute(SQL_COUNT_LIVE_OF_URL, (cache, url, now)).fetchone()[0]
            db.execute(SQL_DELETE_URL, (cache, url))
        return bool(live)

    def purge_expired(self, now: float) -> int:
        """Delete every expired entry; how many went."""
        with self._lock:
            return self._conn().execute(SQL_PURGE_EXPIRED, (now,)).rowcount

    def count(self, now: float | None = None) -> int:
        """Live entries (all caches)."""
        with self._lock:
            return int(self._conn().execute(SQL_COUNT, (time.time() if now is None else now,)).fetchone()[0])

    def close(self) -> None:
        """Close the connection; later calls raise RuntimeDisposed."""
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()

    def __repr__(self) -> str:
        return f"SQLiteCacheStore(path={str(self.path)!r}{', closed' if self._db is None else ''})"


def select(variants: Sequence[CachedResponse], request_headers: Headers) -> CachedResponse | None:
    """The variant a request selects (the newest-expiring one if several match)."""
    found = [v for v in variants if v.matches(request_headers)]
    return max(found, key=lambda v: v.expires) if found else None
