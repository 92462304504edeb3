"""The Workers KV store: SQLite (stdlib) in WAL mode, one file per data dir.

All namespaces of a project (or of a server runtime's app) live in one file,
told apart by a ``namespace`` column that holds the binding name. Values are
bytes, metadata is stored as its JSON text, expiry as whole seconds since the
epoch. Expired keys are invisible to every read, and are deleted lazily (when a
``get`` finds one, and by :meth:`KVStore.purge_expired`, which runs on open).

Threads. The runtime loop thread writes while a GUI's KV browser reads from
another thread. The store therefore keeps **one SQLite connection per thread**
rather than one connection behind a lock: in WAL mode readers and the writer
do not block each other, so a browser export of a large namespace never stalls
the runtime loop, and several server processes can share the file the same
way. Writes are serialised by SQLite itself (``BEGIN IMMEDIATE`` with a busy
timeout). Connections of threads that have ended are closed when the next new
thread connects, and all of them by :meth:`KVStore.close`.

Durability. Every write is one transaction; with ``durable=True`` (default)
``synchronous=FULL`` makes each commit reach the disk before ``put`` returns,
so neither a crash nor a power cut loses a committed write, and a crash
mid-write loses nothing but that write.

Construct it for a data dir with ``KVStore.for_data_dir(data_dir)``; a script's
host ops see one namespace through ``store.namespace(binding)``, a
:class:`KVNamespaceStore`.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.errors import KVLimitError, RuntimeDisposed
from runtime.kv import validate
from runtime.kv.models import KVEntry, KVKey, KVKeyInfo, KVListResult, KVRecord, KVStoreStatistics
from runtime.store.sqlite_wal import enable_wal

KV_FILENAME = "kv.sqlite3"
"""The store's file name inside a data dir."""

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of the current schema."""

BUSY_TIMEOUT_SECONDS = 5.0
"""How long a write waits for another connection's write to finish."""

PAGE_SIZE = 1000
"""Rows fetched per query when a helper walks a whole namespace."""

# ---- SQL -------------------------------------------------------------------

SQL_PRAGMA_SYNC_FULL = "PRAGMA synchronous=FULL"
SQL_PRAGMA_SYNC_NORMAL = "PRAGMA synchronous=NORMAL"
SQL_GET_USER_VERSION = "PRAGMA user_version"
SQL_SET_USER_VERSION = f"PRAGMA user_version={SCHEMA_VERSION}"
SQL_BEGIN_WRITE = "BEGIN IMMEDIATE"
SQL_COMMIT = "COMMIT"
SQL_ROLLBACK = "ROLLBACK"

SQL_CREATE_ENTRIES = """
CREATE TABLE IF NOT EXISTS kv_entries (
    namespace  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    expiration INTEGER,
    metadata   TEXT,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID
"""
SQL_CREATE_EXPIRATION_INDEX = """
CREATE INDEX IF NOT EXISTS kv_entries_expiration
    ON kv_entries (expiration) WHERE expiration IS NOT NULL
"""

SQL_GET = "SELECT value, expiration, metadata FROM kv_entries WHERE namespace = ? AND key = ?"
SQL_PUT = """
INSERT INTO kv_entries (namespace, key, value, expiration, metadata) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (namespace, key) DO UPDATE SET
    value = excluded.value, expiration = excluded.expiration, metadata = excluded.metadata
"""
SQL_DELETE = "DELETE FROM kv_entries WHERE namespace = ? AND key = ?"
SQL_DELETE_IF_EXPIRED = """
DELETE FROM kv_entries
WHERE namespace = ? AND key = ? AND expiration IS NOT NULL AND expiration <= ?
"""
SQL_PURGE_EXPIRED = "DELETE FROM kv_entries WHERE expiration IS NOT NULL AND expiration <= ?"
SQL_CLEAR_NAMESPACE = "DELETE FROM kv_entries WHERE namespace = ?"

_LIVE_KEYS_IN_RANGE = """
WHERE namespace = :namespace
  AND key >= :prefix AND (:upper IS NULL OR key < :upper) AND key > :after
  AND (expiration IS NULL OR expiration > :now)
ORDER BY key LIMIT :limit
"""
SQL_LIST = "SELECT key, expiration, metadata FROM kv_entries" + _LIVE_KEYS_IN_RANGE
SQL_LIST_WITH_SIZE = "SELECT key, expiration, metadata, length(value) FROM kv_entries" + _LIVE_KEYS_IN_RANGE
SQL_RECORDS = "SELECT key, expiration, metadata, value FROM kv_entries" + _LIVE_KEYS_IN_RANGE

SQL_NAMESPACES = """
SELECT DISTINCT namespace FROM kv_entries
WHERE expiration IS NULL OR expiration > ? ORDER BY namespace
"""
SQL_STATISTICS = """
SELECT COUNT(DISTINCT namespace), COUNT(*),
       COALESCE(SUM(length(CAST(key AS BLOB)) + length(value)
                    + COALESCE(length(CAST(metadata AS BLOB)), 0)), 0)
FROM kv_entries WHERE expiration IS NULL OR expiration > ?
"""



class SqliteStatements:
    """The SQL the store runs; :class:`runtime.store.postgres.PostgresStatements` is the same set for PostgreSQL."""

    GET = SQL_GET
    PUT = SQL_PUT
    DELETE = SQL_DELETE
    DELETE_IF_EXPIRED = SQL_DELETE_IF_EXPIRED
    PURGE_EXPIRED = SQL_PURGE_EXPIRED
    CLEAR_NAMESPACE = SQL_CLEAR_NAMESPACE
    LIST = SQL_LIST
    LIST_WITH_SIZE = SQL_LIST_WITH_SIZE
    RECORDS = SQL_RECORDS
    NAMESPACES = SQL_NAMESPACES
    STATISTICS = SQL_STATISTICS

# ---- helpers ---------------------------------------------------------------


def _dump_metadata(metadata: Any) -> str | None:
    """Serialise metadata as compact JSON (None means no metadata)."""
    if metadata is None:
        return None
    try:
        return json.dumps(metadata, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise validate.fail("PUT", 400, f"Metadata must be JSON-serialisable: {exc}") from None


def _load_metadata(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _as_bytes(value: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(value, str):
        return validate.to_usv(value).encode("utf-8")
    return bytes(value)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``.

    Keys compare by UTF-8 bytes, which is code point order, so incrementing the
    last code point (skipping surrogates, carrying past U+10FFFF) bounds the
    range. Returns None when there is no bound (empty or all-U+10FFFF prefix).
    """
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if code == 0xD800:
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


# ---- the store -------------------------------------------------------------


class KVStore:
    """All KV namespaces of one project or app, in one SQLite file.

    The Workers semantics (validation, expiry, paging) live in this class; the
    SQL it runs is ``SQL`` and goes through ``_query``/``_exec``/``_write``, which
    :class:`runtime.store.postgres.PostgresKVStore` overrides for PostgreSQL.

    Args:
        path: The database file; its folder is created if missing.
        now: The clock, in seconds since the epoch (inject a fake one in tests).
        durable: ``synchronous=FULL`` (every commit reaches the disk) when True,
            ``NORMAL`` (a power cut may drop the last commits) when False.
    """

    def __init__(self, path: str | Path, *, now: Callable[[], float] = time.time, durable: bool = True) -> None:
        self.path = Path(path)
        self.clock = now
        """The store's clock, seconds since the epoch."""
        self._durable = durable
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._create_schema()
        self.purge_expired()

    @classmethod
    def for_data_dir(
        cls, data_dir: str | Path, *, now: Callable[[], float] = time.time, durable: bool = True
    ) -> KVStore:
        """Open (or create) the store ``<data_dir>/kv.sqlite3``."""
        return cls(Path(data_dir) / KV_FILENAME, now=now, durable=durable)

    # -- lifecycle --

    def close(self) -> None:
        """Close every connection; later use raises RuntimeDisposed."""
        with self._lock:
            self._closed = True
            connections = [conn for _, conn in self._connections.values()]
            self._connections.clear()
        for conn in connections:
            conn.close()

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def __enter__(self) -> KVStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._closed:
            return f"KVStore(path={str(self.path)!r}, closed)"
        stats = self.statistics()
        return f"KVStore(path={str(self.path)!r}, namespaces={stats.namespaces}, keys={stats.keys})"

    # -- connections --

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        enable_wal(conn)
        conn.execute(SQL_PRAGMA_SYNC_FULL if self._durable else SQL_PRAGMA_SYNC_NORMAL)
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (made on first use)."""
        if self._closed:
            raise RuntimeDisposed(f"the KV store {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._register(self._connect())
        return conn

    def _register(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                conn.close()
                raise RuntimeDisposed(f"the KV store {self.path} is closed")
            for ident, (thread, old) in list(self._connections.items()):
                if not thread.is_alive():
                    old.close()
                    del self._connections[ident]
            self._connections[threading.get_ident()] = (threading.current_thread(), conn)
        self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on error."""
        conn = self._conn()
        conn.execute(SQL_BEGIN_WRITE)
        try:
            yield conn
        except BaseException:
            conn.execute(SQL_ROLLBACK)
            raise
        conn.execute(SQL_COMMIT)

    SQL: type[SqliteStatements] = SqliteStatements
    """The statements this store runs."""

    def _query(self, sql: str, params: Any) -> builtins.list[Any]:
        """Rows of one read."""
        return self._conn().execute(sql, params).fetchall()

    def _exec(self, conn: Any, sql: str, params: Any) -> Any:
        """Run one statement inside ``_write``; returns the cursor (for ``rowcount``)."""
        return conn.execute(sql, params)

    def _exec_many(self, conn: Any, sql: str, rows: builtins.list[Any]) -> None:
        """Run one statement per row inside ``_write``."""
        conn.executemany(sql, rows)

    def _create_schema(self) -> None:
        with self._write() as conn:
            (version,) = conn.execute(SQL_GET_USER_VERSION).fetchone()
            if version > SCHEMA_VERSION:
                raise KVLimitError(
                    f"{self.path} was written by a newer isoplay (KV schema {version} > {SCHEMA_VERSION})"
                )
            conn.execute(SQL_CREATE_ENTRIES)
            conn.execute(SQL_CREATE_EXPIRATION_INDEX)
            conn.execute(SQL_SET_USER_VERSION)

    # -- namespaces --

    def namespace(self, name: str) -> KVNamespaceStore:
        """A view of one namespace (a binding), as host ops use it."""
        return KVNamespaceStore(self, name)

    def namespaces(self) -> tuple[str, ...]:
        """Names of the namespaces that hold live keys, sorted."""
        rows = self._query(self.SQL.NAMESPACES, (self.clock(),))
        return tuple(row[0] for row in rows)

    def clear(self, namespace: str) -> None:
        """Delete every key of ``namespace``."""
        with self._write() as conn:
            self._exec(conn, self.SQL.CLEAR_NAMESPACE, (namespace,))

    # -- Workers KV operations --

    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The live entry under ``key``, or None.

        Raises:
            KVLimitError: the key is empty, ``.``/``..`` or longer than 512 bytes.
        """
        key = validate.to_usv(key)
        validate.validate_key("GET", key)
        rows = self._query(self.SQL.GET, (namespace, key))
        if not rows:
            return None
        value, expiration, metadata = rows[0]
        now = self.clock()
        if expiration is not None and expiration <= now:
            with self._write() as conn:
                self._exec(conn, self.SQL.DELETE_IF_EXPIRED, (namespace, key, now))
            return None
        return KVEntry(bytes(value), expiration, _load_metadata(metadata))

    def put(
        self,
        namespace: str,
        key: str,
        value: bytes | bytearray | memoryview | str,
        *,
        expiration: float | None = None,
        expiration_ttl: float | None = None,
        metadata: Any = None,
    ) -> None:
        """Store ``value`` under ``key`` (str values are stored as UTF-8).

        Args:
            namespace: The namespace (binding name).
            key: The key, at most 512 UTF-8 bytes.
            value: The value, at most 25 MiB.
            expiration: Absolute expiry in seconds since the epoch, >= now + 60.
            expiration_ttl: Seconds to live, >= 60; wins over ``expiration``.
            metadata: A JSON value of at most 1024 bytes serialised, or None.

        Raises:
            KVLimitError: a Workers KV limit is broken.
        """
        key = validate.to_usv(key)
        data = _as_bytes(value)
        metadata_json = _dump_metadata(metadata)
        expires = validate.validate_put(
            key,
            len(data),
            now=self.clock(),
            expiration=expiration,
            expiration_ttl=expiration_ttl,
            metadata_json=metadata_json,
        )
        with self._write() as conn:
            self._exec(conn, self.SQL.PUT, (namespace, key, data, expires, metadata_json))

    def delete(self, namespace: str, key: str) -> None:
        """Delete ``key`` (deleting a missing key is not an error).

        Raises:
            KVLimitError: the key is empty, ``.``/``..`` or longer than 512 bytes.
        """
        key = validate.to_usv(key)
        validate.validate_key("DELETE", key)
        with self._write() as conn:
            self._exec(conn, self.SQL.DELETE, (namespace, key))

    def list(
        self, namespace: str, *, prefix: str = "", limit: float | None = None, cursor: str | None = None
    ) -> KVListResult:
        """One page of live keys starting with ``prefix``, in key order.

        Args:
            namespace: The namespace (binding name).
            prefix: Only keys starting with it (at most 512 bytes).
            limit: Page size, 1..1000 (default 1000).
            cursor: The ``cursor`` of the previous page, to continue after it.

        Raises:
            KVLimitError: a bad limit, prefix or cursor.
        """
        prefix = validate.to_usv(prefix)
        validate.validate_key_length("LIST", prefix)
        page = validate.validate_list_limit(limit)
        after = validate.decode_cursor(cursor) if cursor else ""
        rows = self._select(self.SQL.LIST, namespace, prefix, after, page + 1)
        more = len(rows) > page
        keys = tuple(KVKey(name, exp, _load_metadata(meta)) for name, exp, meta in rows[:page])
        return KVListResult(keys, not more, validate.encode_cursor(keys[-1].name) if more else None)

    def _select(self, sql: str, namespace: str, prefix: str, after: str, limit: int) -> builtins.list[Any]:
        params = {
            "namespace": namespace,
            "prefix": prefix,
            "upper": prefix_upper_bound(prefix),
            "after": after,
            "now": self.clock(),
            "limit": limit,
        }
        return self._query(sql, params)

    # -- maintenance and browsing --

    def purge_expired(self) -> int:
        """Delete every expired key; return how many went."""
        with self._write() as conn:
            return int(self._exec(conn, self.SQL.PURGE_EXPIRED, (self.clock(),)).rowcount)

    def statistics(self) -> KVStoreStatistics:
        """Live namespace, key and byte counts."""
        namespaces, keys, size = self._query(self.SQL.STATISTICS, (self.clock(),))[0]
        return KVStoreStatistics(namespaces=namespaces, keys=keys, bytes=size)

    def namespace_keys(self, namespace: str, prefix: str = "") -> builtins.list[KVKeyInfo]:
        """Every live key of ``namespace`` starting with ``prefix``, with its value size."""
        out: list[KVKeyInfo] = []
        after = ""
        while True:
            rows = self._select(self.SQL.LIST_WITH_SIZE, namespace, prefix, after, PAGE_SIZE)
            out.extend(KVKeyInfo(name, exp, _load_metadata(meta), size) for name, exp, meta, size in rows)
            if len(rows) < PAGE_SIZE:
                return out
            after = rows[-1][0]

    def records(self, namespace: str, prefix: str = "") -> Iterator[KVRecord]:
        """Every live entry of ``namespace`` starting with ``prefix``, in key order."""
        after = ""
        while True:
            rows = self._select(self.SQL.RECORDS, namespace, prefix, after, PAGE_SIZE)
            for name, exp, meta, value in rows:
                yield KVRecord(name, bytes(value), exp, _load_metadata(meta))
            if len(rows) < PAGE_SIZE:
                return
            after = rows[-1][0]

    def import_records(self, namespace: str, records: Iterable[KVRecord], *, replace: bool = False) -> int:
        """Write ``records`` into ``namespace`` in one transaction; return how many.

        Key, value and metadata limits apply; an absolute expiration need only
        lie in the future (so an export can be re-imported later), and records
        that have already expired are skipped. Nothing is written if any
        record breaks a limit.

        Args:
            namespace: The namespace to fill.
            records: The entries to write.
            replace: Delete the namespace's keys first.

        Raises:
            KVLimitError: a record breaks a limit.
        """
        now = self.clock()
        rows = [_import_row(namespace, record, now) for record in records]
        live = [row for row in rows if row is not None]
        with self._write() as conn:
            if replace:
                self._exec(conn, self.SQL.CLEAR_NAMESPACE, (namespace,))
            self._exec_many(conn, self.SQL.PUT, live)
        return len(live)


def _import_row(namespace: str, record: KVRecord, now: float) -> tuple[Any, ...] | None:
    """The SQL_PUT parameters of ``record``, or None if it has expired."""
    key = validate.to_usv(record.key)
    validate.validate_key("PUT", key)
    validate.validate_value_size(len(record.value))
    metadata_json = _dump_metadata(record.metadata)
    if metadata_json is not None:
        validate.validate_metadata(metadata_json)
    if record.expiration is not None and record.expiration <= now:
        return None
    return (namespace, key, bytes(record.value), record.expiration, metadata_json)


class KVNamespaceStore:
    """One namespace of a :class:`KVStore`: what ``HostContext.kv(binding)`` returns.

    Args:
        store: The store holding the namespace.
        namespace: The namespace name (the binding name from the manifest).
    """

    def __init__(self, store: KVStore, namespace: str) -> None:
        self.store = store
        self.namespace = namespace

    def __repr__(self) -> str:
        return f"KVNamespaceStore({self.namespace!r}, {self.store.path})"

    def get(self, key: str) -> bytes | None:
        """The live value under ``key``, or None."""
        entry = self.store.get(self.namespace, key)
        return None if entry is None else entry.value

    def get_with_metadata(self, key: str) -> KVEntry | None:
        """The live entry (value, expiration, metadata) under ``key``, or None."""
        return self.store.get(self.namespace, key)

    def put(
        self,
        key: str,
        value: bytes | bytearray | memoryview | str,
        *,
        expiration: float | None = None,
        expiration_ttl: float | None = None,
        metadata: Any = None,
    ) -> None:
        """Store ``value``; see :meth:`KVStore.put`."""
        self.store.put(
            self.namespace, key, value, expiration=expiration, expiration_ttl=expiration_ttl, metadata=metadata
        )

    def delete(self, key: str) -> None:
        """Delete ``key``; see :meth:`KVStore.delete`."""
        self.store.delete(self.namespace, key)

    def list(self, *, prefix: str = "", limit: float | None = None, cursor: str | None = None) -> KVListResult:
        """One page of keys; see :meth:`KVStore.list`."""
        return self.store.list(self.namespace, prefix=prefix, limit=limit, cursor=cursor)
