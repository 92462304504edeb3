"""The Cache API (``caches.default`` / ``caches.open``) of one app in PostgreSQL, shared by every node.

The same :class:`runtime.webapi.cache.CacheStore` contract as the embedded
``SQLiteCacheStore`` (the host ops in ``runtime.webapi.cache_ops`` apply the
Cache-Control, Expires, Set-Cookie and Vary rules before anything reaches a
store, so both stores hold the same entries): one row per (app, cache, URL,
Vary values), expired rows never returned and deleted when found. Rows are
keyed by a SHA-256 of (cache, URL, variant) rather than the text itself, since
a PostgreSQL index entry cannot hold a URL of several kilobytes; the text
columns are still compared on lookup.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from runtime.errors import RuntimeDisposed
from runtime.webapi.cache import CachedResponse

if TYPE_CHECKING:
    from runtime.store.postgres import PostgresDeploymentStorage

SQL_VARIANTS = """SELECT variant, status, headers, body, expires FROM cache_entries
                  WHERE app = %s AND url_key = %s AND cache = %s AND url = %s"""
SQL_PUT = """INSERT INTO cache_entries (app, entry_key, url_key, cache, url, variant, status, headers, body, expires)
             VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
             ON CONFLICT (app, entry_key) DO UPDATE SET
                status = excluded.status, headers = excluded.headers, body = excluded.body,
                expires = excluded.expires"""
SQL_DELETE_EXPIRED_OF_URL = "DELETE FROM cache_entries WHERE app = %s AND url_key = %s AND expires <= %s"
SQL_DELETE_URL = """DELETE FROM cache_entries WHERE app = %s AND url_key = %s AND cache = %s AND url = %s
                    RETURNING expires"""
SQL_PURGE_EXPIRED = "DELETE FROM cache_entries WHERE app = %s AND expires <= %s"
SQL_COUNT = "SELECT COUNT(*) FROM cache_entries WHERE app = %s AND expires > %s"


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class PostgresCacheStore:
    """One app's Cache API entries: rows of the shared ``cache_entries`` table."""

    def __init__(self, storage: PostgresDeploymentStorage, app: str) -> None:
        self.storage = storage
        self.app = app
        self._closed = False
        self.purge_expired(time.time())

    def _conn(self) -> Any:
        if self._closed:
            raise RuntimeDisposed(f"the cache store of {self.app} is closed")
        return self.storage._conn()

    def variants(self, cache: str, url: str, now: float) -> list[CachedResponse]:
        """Unexpired variants of ``url`` in ``cache`` (expired ones are deleted)."""
        url_key = _key(cache, url)
        with self._conn() as conn:
            rows = conn.execute(SQL_VARIANTS, (self.app, url_key, cache, url)).fetchall()
            if any(row[4] <= now for row in rows):
                conn.execute(SQL_DELETE_EXPIRED_OF_URL, (self.app, url_key, now))
        out = []
        for variant, status, headers, body, expires in rows:
            if expires <= now:
                continue
            vary = tuple((n, v) for n, v in json.loads(variant))
            out.append(CachedResponse(int(status), [(n, v) for n, v in json.loads(headers)], bytes(body),
                                      float(expires), vary))
        return out

    def put(self, cache: str, url: str, entry: CachedResponse) -> None:
        """Store ``entry``, replacing the variant with the same Vary values."""
        variant = json.dumps([list(p) for p in entry.vary], separators=(",", ":"))
        headers = json.dumps(entry.headers, separators=(",", ":"))
        with self._conn() as conn:
            conn.execute(SQL_PUT, (self.app, _key(cache, url, variant), _key(cache, url), cache, url, variant,
                                   entry.status, headers, entry.body, entry.expires))

    def delete(self, cache: str, url: str, now: float) -> bool:
        """Delete every variant of ``url``; whether an unexpired one existed."""
        with self._conn() as conn:
            gone = conn.execute(SQL_DELETE_URL, (self.app, _key(cache, url), cache, url)).fetchall()
        return any(row[0] > now for row in gone)

    def purge_expired(self, now: float) -> int:
        """Delete the app's expired entries; how many went."""
        with self._conn() as conn:
            return int(conn.execute(SQL_PURGE_EXPIRED, (self.app, now)).rowcount)

    def count(self, now: float | None = None) -> int:
        """Live entries of this app (all caches)."""
        with self._conn() as conn:
            row = conn.execute(SQL_COUNT, (self.app, time.time() if now is None else now)).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Forget the store (the connection pool belongs to the deployment storage)."""
        self._closed = True

    def __repr__(self) -> str:
        return f"PostgresCacheStore(app={self.app!r}{', closed' if self._closed else ''})"
