"""R2 buckets on a local SQLite file: what the ``r2.*`` host ops run (runtime/r2/ops.py).

One SQLite file holds every bucket of a project (``.isoplay/r2.sqlite3``; a server app's under its
data folder): an object is a row with its body, size, MD5 etag, a random version, upload time and
HTTP / custom metadata. Miniflare keeps R2 buckets by ``bucket_name``, and so does this store.

Semantics follow R2's Workers API: conditional reads and writes (``onlyIf``: etag match / no match,
uploaded before / after), ranged reads (offset / length / suffix), listing in key order with a
prefix, ``startAfter``, an opaque cursor and a ``delimiter`` that folds keys into
``delimitedPrefixes``. Limits (R2's where it has one): keys of 1024 bytes, custom metadata of 2 KiB,
list limit 1000; a local object may be ``MAX_OBJECT_BYTES`` (R2 allows 5 GB in one put: bodies
cross from the isolate as JSON here, so the local cap is lower and says so).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_KEY_BYTES = 1024
MAX_CUSTOM_METADATA_BYTES = 2048
MAX_LIST_LIMIT = 1000
MAX_OBJECT_BYTES = 100 * 1024 * 1024
"""Largest object one local put stores (R2: 5 GiB per put; bodies cross as JSON locally)."""
MAX_DELETE_KEYS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  uploaded REAL NOT NULL, http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL, body BLOB NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
"""


R2_FILENAME = "r2.sqlite3"
SQL_ALL = "SELECT bucket, key, version, size, etag, uploaded, http_metadata, custom_metadata, body FROM objects"
SQL_DELETE_ALL = "DELETE FROM objects"
SQL_PUT = "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


def create_schema(path: Path) -> None:
    """Create the objects table in the SQLite file at ``path`` (a store creates it on first use too)."""
    store = R2Store(path, {})
    store._connect()
    store.close()


class R2Error(Exception):
    """A refused call; ``str()`` is the message the script's promise rejects with."""


@dataclass(frozen=True)
class ObjectInfo:
    """An object's metadata (what ``head`` returns)."""

    key: str
    version: str
    size: int
    etag: str
    uploaded: float
    """Epoch seconds."""
    http_metadata: dict[str, str]
    custom_metadata: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "version": self.version, "size": self.size, "etag": self.etag,
                "uploaded": self.uploaded * 1000, "httpMetadata": self.http_metadata,
                "customMetadata": self.custom_metadata}


@dataclass(frozen=True)
class Conditions:
    """``onlyIf``: all given must hold (R2's semantics for etagMatches / etagDoesNotMatch / uploaded*)."""

    etag_matches: str | None = None
    etag_does_not_match: str | None = None
    uploaded_before: float | None = None
    uploaded_after: float | None = None

    def hold(self, info: ObjectInfo | None) -> bool:
        if info is None:
            return self.etag_matches is None and self.uploaded_before is None and self.uploaded_after is None
        if self.etag_matches is not None and not _etag_in(info.etag, self.etag_matches):
            return False
        if self.etag_does_not_match is not None and _etag_in(info.etag, self.etag_does_not_match):
            return False
        if self.uploaded_before is not None and not info.uploaded < self.uploaded_before:
            return False
        if self.uploaded_after is not None and not info.uploaded > self.uploaded_after:
            return False
        return True


def _etag_in(etag: str, wanted: str) -> bool:
    """Whether ``etag`` is one of ``wanted`` (a comma list, quoted or not; ``*`` matches any)."""
    items = [w.strip().removeprefix("W/").strip('"') for w in wanted.split(",")]
    return "*" in items or etag in items


def check_key(key: str) -> None:
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise R2Error(f"R2 key is {size} bytes; the limit is {MAX_KEY_BYTES} (UTF-8)")


class R2Store:
    """Every bucket of a script in one SQLite file; a bucket is used through ``bucket(name)``."""

    def __init__(self, path: Path, buckets: dict[str, str]) -> None:
        """``buckets`` maps each binding to its bucket name."""
        self.path = path
        self.buckets = dict(buckets)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def bucket(self, binding: str) -> R2Bucket:
        """The bucket behind ``binding``.

        Raises:
            LookupError: no such binding.
        """
        name = self.buckets.get(binding)
        if name is None:
            raise LookupError(binding)
        return R2Bucket(self, name)

    def close(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        finally:
            self._lock.release()


def _info(row: tuple[Any, ...]) -> ObjectInfo:
    key, version, size, etag, uploaded, http_metadata, custom_metadata = row
    return ObjectInfo(key, version, size, etag, uploaded, json.loads(http_metadata), json.loads(custom_metadata))


_INFO_COLUMNS = "key, version, size, etag, uploaded, http_metadata, custom_metadata"


class R2Bucket:
    """One bucket of an ``R2Store``."""

    def __init__(self, store: R2Store, name: str) -> None:
        self.store = store
        self.name = name

    def head(self, key: str) -> ObjectInfo | None:
        check_key(key)
        with self.store._lock:
            row = self.store._connect().execute(f"SELECT {_INFO_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                                                (self.name, key)).fetchone()
        return _info(row) if row else None

    def get(self, key: str, *, only_if: Conditions | None = None,
            range_: tuple[int, int | None] | None = None, suffix: int | None = None
            ) -> tuple[ObjectInfo, bytes | None, tuple[int, int] | None] | None:
        """``(info, body, (offset, length))``; the body is None when ``only_if`` does not hold (R2 then returns
        the object without a body); None when there is no such object.

        Raises:
            R2Error: a range outside the object (R2: 416 Range Not Satisfiable).
        """
        check_key(key)
        with self.store._lock:
            conn = self.store._connect()
            row = conn.execute(f"SELECT {_INFO_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                               (self.name, key)).fetchone()
            if row is None:
                return None
            info = _info(row)
            if only_if is not None and not only_if.hold(info):
                return info, None, None
            offset, length = 0, info.size
            if suffix is not None:
                length = min(suffix, info.size)
                offset = info.size - length
            elif range_ is not None:
                offset = range_[0]
                if offset > info.size or (offset == info.size and info.size > 0):
                    raise R2Error(f"get: the range starts at {offset}, past the object's {info.size} bytes")
                length = info.size - offset if range_[1] is None else min(range_[1], info.size - offset)
            body = conn.execute("SELECT substr(body, ?, ?) FROM objects WHERE bucket = ? AND key = ?",
                                (offset + 1, length, self.name, key)).fetchone()[0] if length else b""
        ranged = (offset, length) if (range_ is not None or suffix is not None) else None
        return info, bytes(body), ranged

    def put(self, key: str, body: bytes, *, http_metadata: dict[str, str], custom_metadata: dict[str, str],
            only_if: Conditions | None = None, md5: str | None = None) -> ObjectInfo | None:
        """Store the object; None when ``only_if`` does not hold (nothing is written).

        Raises:
            R2Error: a limit, or an ``md5`` the body does not have.
        """
        check_key(key)
        if len(body) > MAX_OBJECT_BYTES:
            raise R2Error(f"put: the object is {len(body)} bytes; a local object may be at most {MAX_OBJECT_BYTES} "
                          "bytes (isoplay's local limit; R2 allows 5 GB)")
        custom = json.dumps(custom_metadata, separators=(",", ":"))
        if len(custom.encode()) > MAX_CUSTOM_METADATA_BYTES:
            raise R2Error(f"put: customMetadata is {len(custom.encode())} bytes; the limit is "
                          f"{MAX_CUSTOM_METADATA_BYTES}")
        etag = hashlib.md5(body).hexdigest()
        if md5 is not None and md5.lower() != etag:
            raise R2Error(f"put: The MD5 checksum you specified did not match what we received (expected {md5}, "
                          f"got {etag})")
        info = ObjectInfo(key, secrets.token_hex(16), len(body), etag, time.time(), http_metadata, custom_metadata)
        with self.store._lock:
            conn = self.store._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if only_if is not None:
                    row = conn.execute(f"SELECT {_INFO_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                                       (self.name, key)).fetchone()
                    if not only_if.hold(_info(row) if row else None):
                        conn.execute("ROLLBACK")
                        return None
                conn.execute(SQL_PUT,
                             (self.name, key, info.version, info.size, etag, info.uploaded,
                              json.dumps(http_metadata), custom, body))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return info

    def delete(self, keys: list[str]) -> None:
        if len(keys) > MAX_DELETE_KEYS:
            raise R2Error(f"delete: at most {MAX_DELETE_KEYS} keys at once (got {len(keys)})")
        for key in keys:
            check_key(key)
        with self.store._lock:
            self.store._connect().executemany("DELETE FROM objects WHERE bucket = ? AND key = ?",
                                              [(self.name, k) for k in keys])

    def list(self, *, prefix: str = "", delimiter: str | None = None, cursor: str | None = None,
             start_after: str | None = None, limit: int = MAX_LIST_LIMIT) -> dict[str, Any]:
        """Objects in key order: ``{"objects": [info...], "truncated", "cursor"?, "delimitedPrefixes"}``."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise R2Error(f"list: limit must be from 1 to {MAX_LIST_LIMIT} (got {limit})")
        after = start_after or ""
        if cursor:
            try:
                after = max(after, base64.urlsafe_b64decode(cursor.encode()).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise R2Error("list: the cursor is not one this bucket gave") from None
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        last = after
        query = (f"SELECT {_INFO_COLUMNS} FROM objects WHERE bucket = ? AND key > ? AND substr(key, 1, ?) = ? "
                 "ORDER BY key LIMIT ?")
        with self.store._lock:
            conn = self.store._connect()
            while len(objects) + len(prefixes) < limit:
                rows = conn.execute(query, (self.name, last, len(prefix), prefix, 256)).fetchall()
                folded_one = False
                for row in rows:
                    key = row[0]
                    cut = key.find(delimiter, len(prefix)) if delimiter else -1
                    if cut >= 0:
                        folded = key[:cut + len(delimiter or "")]
                        prefixes.append(folded)
                        last = folded + "\U0010ffff"  # past every key under that prefix
                        folded_one = True
                        break
                    objects.append(_info(row))
                    last = key
                    if len(objects) + len(prefixes) >= limit:
                        break
                if not folded_one and len(rows) < 256:
                    break
            truncated = bool(conn.execute(query, (self.name, last, len(prefix), prefix, 1)).fetchall())
        out: dict[str, Any] = {"objects": [o.to_json() for o in objects], "truncated": truncated,
                               "delimitedPrefixes": prefixes}
        if truncated:
            out["cursor"] = base64.urlsafe_b64encode(last.encode("utf-8", "surrogatepass")).decode()
        return out


def store_for(manifest: Any, path: Path) -> R2Store:
    """The R2 store of a script: its manifest's ``r2_buckets`` in the SQLite file at ``path``."""
    return R2Store(path, {b.binding: b.bucket_name for b in getattr(manifest, "r2_buckets", ())})
