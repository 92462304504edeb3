"""The recordings store on SQLite and on a real PostgreSQL server: keep, list, get, ring bound, retention."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.store import open_store
from runtime.store.recordings import Retention, open_recordings


@pytest.fixture(params=["sqlite", "postgres"])
def recordings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    spec = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    storage = open_store(spec, tmp_path / "data", migrate=bool(spec))
    store = open_recordings(storage, tmp_path / "data")
    try:
        yield store
    finally:
        store.close()
        storage.close()


def _add(store: Any, app: str, n: int, *, started: float, size: int = 10, retention: Retention = Retention(),
         now: float | None = None) -> None:
    store.add(app, f"{app}-{n:03d}", started, {"id": f"{app}-{n:03d}", "outcome": "error"}, bytes([n % 256]) * size,
              retention, now=started if now is None else now)


def test_keep_list_newest_first_and_get(recordings: Any) -> None:
    for n in range(3):
        _add(recordings, "a", n, started=1000.0 + n)
    _add(recordings, "b", 9, started=1000.0)
    listed = recordings.list("a")
    assert [r["id"] for r in listed] == ["a-002", "a-001", "a-000"] and listed[0]["size"] == 10
    assert recordings.get("a", "a-001") == bytes([1]) * 10
    assert recordings.get("b", "a-001") is None  # scoped by app
    assert [r["id"] for r in recordings.list("b")] == ["b-009"]
    recordings.delete_app("a")
    assert recordings.list("a") == [] and len(recordings.list("b")) == 1


def test_ring_bound_by_count_and_bytes(recordings: Any) -> None:
    ring = Retention(max_count=5, max_bytes=10_000, retention_s=1e9)
    for n in range(12):
        _add(recordings, "a", n, started=1000.0 + n, retention=ring)
    assert [r["id"] for r in recordings.list("a")] == [f"a-{n:03d}" for n in range(11, 6, -1)]
    by_bytes = Retention(max_count=100, max_bytes=250, retention_s=1e9)
    for n in range(20, 26):
        _add(recordings, "c", n, started=2000.0 + n, size=100, retention=by_bytes)
    assert [r["id"] for r in recordings.list("c")] == ["c-025", "c-024"]  # 2 x 100 bytes fit in 250


def test_retention_time_drops_old_recordings(recordings: Any) -> None:
    week = Retention(max_count=100, max_bytes=10**9, retention_s=3600.0)
    _add(recordings, "a", 1, started=1000.0, retention=week)
    _add(recordings, "a", 2, started=4000.0, retention=week)
    assert [r["id"] for r in recordings.list("a")] == ["a-002", "a-001"]
    _add(recordings, "a", 3, started=4700.0, retention=week)  # a-001 is now older than an hour
    assert [r["id"] for r in recordings.list("a")] == ["a-003", "a-002"]
    assert recordings.prune("a", week, now=9000.0) == 2
    assert recordings.list("a") == []


def test_a_recording_past_its_retention_is_never_listed_nor_served(recordings: Any) -> None:
    # An app that keeps no new recording gets no prune on write: reading with ``now`` still holds the
    # retention each recording was kept with (and deletes the expired ones).
    hour = Retention(max_count=100, max_bytes=10**9, retention_s=3600.0)
    _add(recordings, "idle", 1, started=1000.0, retention=hour)
    _add(recordings, "idle", 2, started=2000.0, retention=hour)
    assert [r["id"] for r in recordings.list("idle", now=4000.0)] == ["idle-002", "idle-001"]
    assert recordings.get("idle", "idle-001", now=4599.0) == bytes([1]) * 10
    assert recordings.get("idle", "idle-001", now=4600.0) is None  # kept at 1000 for an hour
    assert [r["id"] for r in recordings.list("idle", now=4600.0)] == ["idle-002"]
    assert [r["id"] for r in recordings.list("idle")] == ["idle-002"]  # the expired one was deleted
    assert recordings.list("idle", now=5600.0) == [] and recordings.get("idle", "idle-002", now=5600.0) is None


def test_a_sqlite_store_made_before_expiries_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    from runtime.store.recordings import SqliteRecordingStore

    path = tmp_path / "recordings.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE recordings (id TEXT PRIMARY KEY, app TEXT NOT NULL, started REAL NOT NULL, "
                "size INTEGER NOT NULL, summary TEXT NOT NULL, data BLOB NOT NULL)")
    old.execute("INSERT INTO recordings VALUES ('a-000', 'a', 1990.0, 1, '{\"id\": \"a-000\"}', x'00')")
    old.commit()
    old.close()
    store = SqliteRecordingStore(path)
    try:
        assert [r["id"] for r in store.list("a", now=10**9)] == ["a-000"]  # no expiry known: kept
        _add(store, "a", 1, started=2000.0, retention=Retention(retention_s=60.0))
        assert [r["id"] for r in store.list("a", now=2059.0)] == ["a-001", "a-000"]
        assert [r["id"] for r in store.list("a", now=2060.0)] == ["a-000"]
    finally:
        store.close()
