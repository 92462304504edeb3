"""A file's KV: a temporary SQLite store with a snapshot restored before each test.

The snapshot is taken after the file's ``beforeAll`` hooks; ``restore()`` puts
the store back to it, and does nothing when no write happened since (SQLite's
``PRAGMA data_version`` tells), so read-only tests cost nothing extra.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from runtime.kv.store import KV_FILENAME, SQL_PUT, KVStore

SQL_ALL = "SELECT namespace, key, value, expiration, metadata FROM kv_entries"
SQL_DELETE_ALL = "DELETE FROM kv_entries"


def _memory_dir() -> str | None:
    """A RAM-backed folder when the system has one (/dev/shm): test KV is thrown away, and SQLite's
    per-write and per-open file work there costs a fraction of a disk's."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class KVSandbox:
    """A KVStore in a temporary folder that can return to a snapshot; ``close()`` deletes it."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="isoplay-test-kv-", dir=_memory_dir()))
        self.store = KVStore(self._dir / KV_FILENAME, durable=False)
        self.store.namespaces()  # creates the schema before our own connection reads it
        self._conn = sqlite3.connect(self.store.path, isolation_level=None, check_same_thread=False)
        self._rows: list[tuple[Any, ...]] = []
        self._version = self._data_version()

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def snapshot(self) -> None:
        """Remember the store's content as the state every test starts from."""
        self._rows = self._conn.execute(SQL_ALL).fetchall()
        self._version = self._data_version()

    def restore(self) -> None:
        """Put the store back to the snapshot (no-op if nothing was written since)."""
        if self._data_version() == self._version:
            return
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(SQL_DELETE_ALL)
            conn.executemany(SQL_PUT, self._rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._version = self._data_version()

    def reset(self) -> None:
        """Empty the store and forget the snapshot."""
        self._rows = []
        self._version = -1
        self.restore()

    def close(self) -> None:
        """Close both connections and delete the folder."""
        self._conn.close()
        self.store.close()
        shutil.rmtree(self._dir, ignore_errors=True)
