"""Log history shared by every process of a server: SQLite beside the registry, or PostgreSQL.

Each finished invocation's :class:`runtime.server.logs.LogEvent` is kept in the
store the server runs on, so that

- a log stream opened on any process (a ``--workers`` sibling, another node on
  the same PostgreSQL) sees the invocations every process served, and
- ``GET /api/apps/{name}/logs/history`` returns the last events of an app
  whichever process answers, and they survive a restart.

Guarantees (both stores pass ``tests/store/test_store_cache_logs.py``):

- rows get increasing ids; ``after`` returns rows of the given apps above an id,
  in id order; ``recent`` the newest ``limit`` of one app, oldest first;
- each app keeps at least its last ``keep`` events (``prune``); older ones go;
- ``forget`` removes an app's history (the app was deleted).

Writes are batched off the request path (``LogShipper`` in ``runtime.server.logs``):
a request never waits for the log store, and an unreachable store loses log
lines, never requests.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from runtime.errors import RuntimeDisposed
from runtime.store.sqlite_wal import enable_wal

LOGS_FILENAME = "logs.sqlite3"
"""The SQLite log history's file in a server's data folder."""

LogRow = tuple[str, float, str, str]
"""(app, epoch seconds, source process, the event's JSON) as written."""
StoredLog = tuple[int, str, str, str]
"""(id, app, source process, the event's JSON) as read back."""


class LogStore(Protocol):
    """Where log events of every server process go."""

    reorder_window: int
    """How far below the highest id seen a row may still appear later (PostgreSQL sequences are
    handed out before commit, so a slower transaction can commit a lower id after a higher one)."""

    def append(self, rows: Sequence[LogRow]) -> None:
        """Store events, in order."""
        ...

    def after(self, apps: Sequence[str], after_id: int, limit: int) -> list[StoredLog]:
        """Events of ``apps`` with an id above ``after_id``, lowest id first."""
        ...

    def recent(self, app: str, limit: int) -> list[StoredLog]:
        """The newest ``limit`` events of ``app``, oldest first."""
        ...

    def last_id(self) -> int:
        """The highest id stored (0 when empty)."""
        ...

    def prune(self, app: str, keep: int) -> int:
        """Delete all but the newest ``keep`` events of ``app``; how many went."""
        ...

    def forget(self, app: str) -> None:
        """Delete the app's history."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


SQL_CREATE = """CREATE TABLE IF NOT EXISTS log_events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    app    TEXT NOT NULL,
    time   REAL NOT NULL,
    source TEXT NOT NULL,
    data   TEXT NOT NULL)"""
SQL_CREATE_INDEX = "CREATE INDEX IF NOT EXISTS log_events_app ON log_events (app, id)"
SQL_INSERT = "INSERT INTO log_events (app, time, source, data) VALUES (?, ?, ?, ?)"
SQL_LAST_ID = "SELECT COALESCE(MAX(id), 0) FROM log_events"
SQL_RECENT = """SELECT id, app, source, data FROM (
    SELECT id, app, source, data FROM log_events WHERE app = ? ORDER BY id DESC LIMIT ?) ORDER BY id"""
SQL_PRUNE = """DELETE FROM log_events WHERE app = ? AND id < (
    SELECT id FROM log_events WHERE app = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"""
SQL_FORGET = "DELETE FROM log_events WHERE app = ?"


class SQLiteLogStore:
    """The embedded log history: ``<data>/logs.sqlite3`` (WAL), shared by ``--workers`` processes."""

    reorder_window = 0  # one writer at a time: ids commit in order

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False,
                                                              isolation_level=None)
        enable_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SQL_CREATE)
        self._db.execute(SQL_CREATE_INDEX)

    @classmethod
    def for_data_dir(cls, data_dir: Path | str) -> SQLiteLogStore:
        """The log store of a server data folder."""
        return cls(Path(data_dir) / LOGS_FILENAME)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeDisposed("the log store is closed")
        return self._db

    def append(self, rows: Sequence[LogRow]) -> None:
        """Store events in one transaction."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(SQL_INSERT, rows)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def after(self, apps: Sequence[str], after_id: int, limit: int) -> list[StoredLog]:
        """Events of ``apps`` above ``after_id``."""
        if not apps:
            return []
        marks = ",".join("?" * len(apps))
        sql = f"SELECT id, app, source, data FROM log_events WHERE id > ? AND app IN ({marks}) ORDER BY id LIMIT ?"
        with self._lock:
            return [tuple(r) for r in self._conn().execute(sql, (after_id, *apps, limit))]  # type: ignore[misc]

    def recent(self, app: str, limit: int) -> list[StoredLog]:
        """The newest ``limit`` events of ``app``, oldest first."""
        with self._lock:
            return [tuple(r) for r in self._conn().execute(SQL_RECENT, (app, limit))]  # type: ignore[misc]

    def last_id(self) -> int:
        """The highest id stored."""
        with self._lock:
            return int(self._conn().execute(SQL_LAST_ID).fetchone()[0])

    def prune(self, app: str, keep: int) -> int:
        """Keep the newest ``keep`` events of ``app``."""
        with self._lock:
            return int(self._conn().execute(SQL_PRUNE, (app, app, max(0, keep - 1))).rowcount)

    def forget(self, app: str) -> None:
        """Delete the app's history."""
        with self._lock:
            self._conn().execute(SQL_FORGET, (app,))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()

    def __repr__(self) -> str:
        return f"SQLiteLogStore(path={str(self.path)!r})"
