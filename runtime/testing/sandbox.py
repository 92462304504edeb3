"""A test file's storage: KV and the Cache API in temporary SQLite files, restored before each test.

The snapshot is taken after the file's ``beforeAll`` hooks; ``restore()`` puts
both stores back to it, and does nothing for a store no write touched since
(SQLite's ``PRAGMA data_version`` tells), so read-only tests cost nothing extra.
Nothing reaches the project's ``.isoplay/kv.sqlite3`` or ``cache.sqlite3``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from runtime.kv.store import KV_FILENAME, SQL_PUT as KV_PUT, KVStore
from runtime.r2 import store as r2
from runtime.webapi.cache import CACHE_FILENAME, SQL_PUT as CACHE_PUT, SQLiteCacheStore

KV_ALL = "SELECT namespace, key, value, expiration, metadata FROM kv_entries"
KV_DELETE_ALL = "DELETE FROM kv_entries"
CACHE_ALL = "SELECT cache, url, variant, status, headers, body, expires FROM cache_entries"
CACHE_DELETE_ALL = "DELETE FROM cache_entries"


def _memory_dir() -> str | None:
    """A RAM-backed folder when the system has one (/dev/shm): test storage is thrown away, and
    SQLite's per-write and per-open file work there costs a fraction of a disk's."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class _TableSnapshot:
    """One table's rows, read and written through a connection of its own."""

    def __init__(self, path: Path, select_all: str, delete_all: str, insert: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._sql = (select_all, delete_all, insert)
        self._rows: list[tuple[Any, ...]] = []
        self._version = self._data_version()

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def take(self) -> None:
        self._rows = self._conn.execute(self._sql[0]).fetchall()
        self._version = self._data_version()

    def restore(self) -> None:
        if self._data_version() == self._version:
            return
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(self._sql[1])
            conn.executemany(self._sql[2], self._rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._version = self._data_version()

    def forget(self) -> None:
        self._rows = []
        self._version = -1

    def close(self) -> None:
        self._conn.close()


class StorageSandbox:
    """KV (``store``) and Cache API (``cache``) stores in a temporary folder that return to a
    snapshot; ``close()`` deletes the folder."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="isoplay-test-", dir=_memory_dir()))
        self.directory = self._dir
        """The temporary folder (the test file's D1 databases go in it too)."""
        self.store = KVStore(self._dir / KV_FILENAME, durable=False)
        self.store.namespaces()  # creates the schema before our own connection reads it
        self.cache = SQLiteCacheStore(self._dir / CACHE_FILENAME)
        self.r2_path = self._dir / r2.R2_FILENAME
        """The test file's R2 buckets (the session opens them with the manifest's bindings)."""
        r2.create_schema(self.r2_path)  # before our own connection reads the table
        self._tables = (_TableSnapshot(self.store.path, KV_ALL, KV_DELETE_ALL, KV_PUT),
                        _TableSnapshot(self.cache.path, CACHE_ALL, CACHE_DELETE_ALL, CACHE_PUT),
                        _TableSnapshot(self.r2_path, r2.SQL_ALL, r2.SQL_DELETE_ALL, r2.SQL_PUT))

        self.d1: Any = None
        """The file's runtime.d1.store.D1Store (set by the session): its databases return to the snapshot too."""

    def snapshot(self) -> None:
        """Remember every store's content as the state every test starts from."""
        for table in self._tables:
            table.take()
        for db in self._d1_databases():
            db.snapshot()

    def restore(self) -> None:
        """Put every store back to the snapshot (a no-op for a store nothing was written to since)."""
        for table in self._tables:
            table.restore()
        for db in self._d1_databases():
            db.restore()

    def reset(self) -> None:
        """Empty every store and forget the snapshot."""
        for table in self._tables:
            table.forget()
            table.restore()
        for db in self._d1_databases():
            db.forget()
            db.restore()

    def _d1_databases(self) -> list[Any]:
        return self.d1.all() if self.d1 is not None else []

    def close(self) -> None:
        """Close every connection and delete the folder."""
        for table in self._tables:
            table.close()
        if self.d1 is not None:
            self.d1.close()
        self.store.close()
        self.cache.close()
        shutil.rmtree(self._dir, ignore_errors=True)
