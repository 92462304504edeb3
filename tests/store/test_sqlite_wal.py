"""Processes opening the same new SQLite file at once (the workers of ``serve --workers N`` at start) all
get it in WAL mode: SQLite answers one of two simultaneous WAL switches "database is locked" at once,
without waiting out the busy timeout, so the stores retry (runtime/store/sqlite_wal.py)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime.kv.store import KVStore
from runtime.server.logstore import SQLiteLogStore
from runtime.store.recordings import SqliteRecordingStore
from runtime.webapi.cache import SQLiteCacheStore

PROCESSES = 4
FILES = 100

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks racing processes")

OPENERS: dict[str, Any] = {
    "logs": SQLiteLogStore,
    "cache": SQLiteCacheStore,
    "kv": lambda path: KVStore(path),
    "recordings": lambda path: SqliteRecordingStore(path),
}


def _race(kind: str, base: str, barrier: Any, errors: Any) -> None:
    for i in range(FILES):
        barrier.wait(timeout=60)
        try:
            store = OPENERS[kind](Path(base) / f"{i}.sqlite3")
            if kind == "kv":
                store.namespace("NS").put("k", b"v")  # KV connects on first use
            store.close()
        except Exception as exc:  # reported to the test, which names it
            errors.put(f"{i}: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("kind", sorted(OPENERS))
def test_processes_opening_a_new_store_at_once_all_succeed(kind: str, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier, errors = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(kind, str(tmp_path), barrier, errors)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)
    failures = []
    while not errors.empty():
        failures.append(errors.get(timeout=5))
    assert failures == []
    for i in range(FILES):
        mode = sqlite3.connect(tmp_path / f"{i}.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
