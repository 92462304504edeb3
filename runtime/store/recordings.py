"""Where the server keeps recordings (runtime/replay): a SQLite file, or a table in PostgreSQL.

Both stores keep, per app, at most ``max_count`` recordings and ``max_bytes``
bytes of them, none older than ``retention_s``: every ``add`` prunes the app in
the same transaction, newest kept first. Listing returns the newest first.
Each recording also carries its expiry (``started + retention_s`` when it was
kept): ``list`` and ``get`` given ``now`` never return an expired one, and
delete the app's expired ones, so the retention holds for an app that keeps no
new recording too.
Both pass the same tests (``tests/store/test_recordings_store.py``).

The PostgreSQL table lives beside the versioned schema: it is created on first
use (``CREATE TABLE IF NOT EXISTS`` under an advisory lock), and its writes do
not bump the deploy change counter (a recording is not a deploy: other nodes
need not hear of it).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from runtime.store.sqlite_wal import enable_wal

FILENAME = "recordings.sqlite3"


@dataclass(frozen=True)
class Retention:
    """How much of an app's recordings a store keeps."""

    max_count: int = 100
    max_bytes: int = 50 * 1024 * 1024
    retention_s: float = 7 * 24 * 3600.0


class RecordingStore(Protocol):
    """What the server needs of a recordings store."""

    def add(self, app: str, rec_id: str, started: float, summary: dict[str, Any], data: bytes,
            retention: Retention, *, now: float) -> None:
        """Keep one recording and prune the app to ``retention``."""
        ...

    def add_many(self, items: list[Item], *, now: float) -> None:
        """Keep several recordings in one transaction, then prune each app they belong to."""
        ...

    def list(self, app: str, *, limit: int = 100, now: float | None = None) -> list[dict[str, Any]]:
        """Summaries of the app's recordings, newest first (each with its ``size``); with ``now``, none past
        its retention (the app's expired ones are deleted)."""
        ...

    def get(self, app: str, rec_id: str, *, now: float | None = None) -> bytes | None:
        """One recording's file bytes (with ``now``: None once it is past its retention)."""
        ...

    def prune(self, app: str, retention: Retention, *, now: float) -> int:
        """Drop what ``retention`` no longer allows; returns how many were dropped."""
        ...

    def delete_app(self, app: str) -> None:
        """Drop every recording of an app."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


Item = tuple[str, str, float, dict[str, Any], bytes, Retention]
"""(app, id, started, summary, data, retention) of one recording to keep."""


def _summary_text(summary: dict[str, Any]) -> str:
    """A summary's stored JSON (orjson: a fifth of json.dumps's time, for every kept recording)."""
    try:
        return orjson.dumps(summary).decode("utf-8")
    except TypeError:  # an integer past 64 bits
        return json.dumps(summary)


def _doomed(rows: list[tuple[str, float, int]], retention: Retention, now: float) -> list[str]:
    """Ids to drop from rows (id, started, size) ordered newest first."""
    out: list[str] = []
    total = kept = 0
    for rec_id, started, size in rows:
        if (started < now - retention.retention_s or kept >= retention.max_count
                or total + size > retention.max_bytes):
            out.append(rec_id)
            continue
        kept += 1
        total += size
    return out


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS recordings (
    id      TEXT PRIMARY KEY,
    app     TEXT NOT NULL,
    started REAL NOT NULL,
    size    INTEGER NOT NULL,
    summary TEXT NOT NULL,
    data    BLOB NOT NULL,
    expires REAL
);
DROP INDEX IF EXISTS recordings_app;
CREATE INDEX IF NOT EXISTS recordings_ring ON recordings (app, started, id, size);
"""
"""``recordings_ring`` covers the prune's and the listing's order (newest first, then id) and the sizes, so
pruning reads no row of the table (it replaced ``recordings_app (app, started)``, which made every prune
read each recording's row: ~0.3 ms per kept recording with a ring of 100)."""


class SqliteRecordingStore:
    """Recordings in ``<data dir>/recordings.sqlite3`` (WAL; one connection, serialised)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
        enable_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")  # a crash may lose the last recordings, never corrupt
        self._db.executescript(SQLITE_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(recordings)")}
        if "expires" not in columns:  # a store made before recordings carried their expiry
            self._db.execute("ALTER TABLE recordings ADD COLUMN expires REAL")
        self._lock = threading.Lock()

    def add(self, app: str, rec_id: str, started: float, summary: dict[str, Any], data: bytes,
            retention: Retention, *, now: float) -> None:
        self.add_many([(app, rec_id, started, summary, data, retention)], now=now)

    def add_many(self, items: list[Item], *, now: float) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO recordings (id, app, started, size, summary, data, "
                                     "expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     [(i, a, s, len(d), _summary_text(m), d, s + r.retention_s)
                                      for a, i, s, m, d, r in items])
                for app, retention in {item[0]: item[5] for item in items}.items():
                    self._prune(app, retention, now)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _prune(self, app: str, retention: Retention, now: float) -> int:
        # The same rule as _doomed, in SQL for the usual case: drop the expired, then, when the rest fit in
        # max_bytes (the byte bound cannot bite), everything past the newest max_count. Only when they do
        # not fit does the row-by-row rule run (a large recording is skipped, smaller older ones still kept).
        db = self._db
        dropped = db.execute("DELETE FROM recordings WHERE app = ? AND started < ?",
                             (app, now - retention.retention_s)).rowcount
        count, total = db.execute("SELECT COUNT(*), TOTAL(size) FROM recordings WHERE app = ?", (app,)).fetchone()
        if count <= retention.max_count and total <= retention.max_bytes:
            return dropped
        if total <= retention.max_bytes:
            return dropped + db.execute(
                "DELETE FROM recordings WHERE id IN (SELECT id FROM recordings WHERE app = ? "
                "ORDER BY started DESC, id DESC LIMIT -1 OFFSET ?)", (app, retention.max_count)).rowcount
        rows = db.execute("SELECT id, started, size FROM recordings WHERE app = ? ORDER BY started DESC, id DESC",
                          (app,)).fetchall()
        doomed = _doomed(rows, retention, now)
        db.executemany("DELETE FROM recordings WHERE id = ?", [(i,) for i in doomed])
        return dropped + len(doomed)

    def prune(self, app: str, retention: Retention, *, now: float) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                n = self._prune(app, retention, now)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return n

    def list(self, app: str, *, limit: int = 100, now: float | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if now is not None:
                self._db.execute("DELETE FROM recordings WHERE app = ? AND expires <= ?", (app, now))
            rows = self._db.execute("SELECT summary, size FROM recordings WHERE app = ? "
                                    "ORDER BY started DESC, id DESC LIMIT ?", (app, limit)).fetchall()
        return [{**json.loads(summary), "size": size} for summary, size in rows]

    def get(self, app: str, rec_id: str, *, now: float | None = None) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM recordings WHERE app = ? AND id = ? AND "
                                   "(expires IS NULL OR expires > ?)",
                                   (app, rec_id, float("-inf") if now is None else now)).fetchone()
        return bytes(row[0]) if row else None

    def delete_app(self, app: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM recordings WHERE app = ?", (app,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS isoplay_recordings (
    id      TEXT PRIMARY KEY,
    app     TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    size    INTEGER NOT NULL,
    summary TEXT NOT NULL,
    data    BYTEA NOT NULL,
    expires DOUBLE PRECISION
)"""
PG_EXPIRES = "ALTER TABLE isoplay_recordings ADD COLUMN IF NOT EXISTS expires DOUBLE PRECISION"
"""A table made before recordings carried their expiry gets the column."""
PG_INDEX = "CREATE INDEX IF NOT EXISTS isoplay_recordings_app ON isoplay_recordings (app, started)"
PG_LOCK = 7_216_011  # advisory lock key of the table's creation


class PostgresRecordingStore:
    """Recordings in the ``isoplay_recordings`` table of a PostgresDeploymentStorage's database."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        with storage._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK,))
            conn.execute(PG_SCHEMA)
            conn.execute(PG_EXPIRES)
            conn.execute(PG_INDEX)

    def add(self, app: str, rec_id: str, started: float, summary: dict[str, Any], data: bytes,
            retention: Retention, *, now: float) -> None:
        self.add_many([(app, rec_id, started, summary, data, retention)], now=now)

    def add_many(self, items: list[Item], *, now: float) -> None:
        bounds = {item[0]: item[5] for item in items}
        with self._storage._conn() as conn, conn.transaction():
            for app in sorted(bounds):  # one order for every node: no deadlock between two writers
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("isoplay_recordings:" + app,))
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO isoplay_recordings (id, app, started, size, summary, data, expires) "
                                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) "
                                "DO UPDATE SET data = EXCLUDED.data, size = EXCLUDED.size, summary = EXCLUDED.summary, "
                                "expires = EXCLUDED.expires",
                                [(i, a, s, len(d), _summary_text(m), d, s + r.retention_s)
                                 for a, i, s, m, d, r in items])
            for app, retention in bounds.items():
                self._prune(conn, app, retention, now)

    @staticmethod
    def _prune(conn: Any, app: str, retention: Retention, now: float) -> int:
        rows = conn.execute("SELECT id, started, size FROM isoplay_recordings WHERE app = %s "
                            "ORDER BY started DESC, id DESC", (app,)).fetchall()
        doomed = _doomed(rows, retention, now)
        if doomed:
            conn.execute("DELETE FROM isoplay_recordings WHERE id = ANY(%s)", (doomed,))
        return len(doomed)

    def prune(self, app: str, retention: Retention, *, now: float) -> int:
        with self._storage._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("isoplay_recordings:" + app,))
            return self._prune(conn, app, retention, now)

    def list(self, app: str, *, limit: int = 100, now: float | None = None) -> list[dict[str, Any]]:
        with self._storage._conn() as conn:
            if now is not None:
                conn.execute("DELETE FROM isoplay_recordings WHERE app = %s AND expires <= %s", (app, now))
            rows = conn.execute("SELECT summary, size FROM isoplay_recordings WHERE app = %s "
                                "ORDER BY started DESC, id DESC LIMIT %s", (app, limit)).fetchall()
        return [{**json.loads(summary), "size": size} for summary, size in rows]

    def get(self, app: str, rec_id: str, *, now: float | None = None) -> bytes | None:
        with self._storage._conn() as conn:
            row = conn.execute("SELECT data FROM isoplay_recordings WHERE app = %s AND id = %s AND "
                               "(expires IS NULL OR expires > %s)",
                               (app, rec_id, float("-inf") if now is None else now)).fetchone()
        return bytes(row[0]) if row else None

    def delete_app(self, app: str) -> None:
        with self._storage._conn() as conn:
            conn.execute("DELETE FROM isoplay_recordings WHERE app = %s", (app,))

    def close(self) -> None:
        """The connections belong to the deployment storage."""


def open_recordings(storage: Any, data_dir: Path) -> RecordingStore:
    """The recordings store beside ``storage``: its PostgreSQL database, or a SQLite file in ``data_dir``."""
    postgres = sys.modules.get("runtime.store.postgres")  # never imported (psycopg: ~0.5 s) for SQLite
    if postgres is not None and isinstance(storage, postgres.PostgresDeploymentStorage):
        return PostgresRecordingStore(storage)
    return SqliteRecordingStore(Path(data_dir) / FILENAME)
