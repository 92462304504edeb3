"""Switching a SQLite file to WAL when other processes may be opening the same new file.

``PRAGMA journal_mode=WAL`` on a file still in rollback mode needs an exclusive
lock, and when two connections try at once SQLite answers one of them "database
is locked" at once instead of waiting out the busy timeout (each holds a shared
lock the other needs released: waiting could not help). The workers of
``isoplay serve --workers N`` open the log history, the recordings and each
app's KV and cache files at the same moment, so about one start in a hundred
failed with that error (reproduced: two processes opening one fresh file, 3 of
200 pairs). Once a file is in WAL mode, the pragma no longer needs the lock; so
retrying for a moment is enough.
"""

from __future__ import annotations

import sqlite3
import time

ATTEMPTS = 200
PAUSE_S = 0.005
"""At most ATTEMPTS x PAUSE_S (1 s) of retries before the error is raised."""


def enable_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL`` on ``conn``, retried while another connection switches the same file.

    Raises:
        sqlite3.OperationalError: still locked after about a second, or any other failure.
    """
    for attempt in range(ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(PAUSE_S)
