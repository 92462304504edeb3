"""KVStore semantics with a fake clock: the contract on real SQLite and on a real PostgreSQL server.

Tests taking ``store``/``kv``/``open_store`` run on both stores; the ones taking
``sqlite_store``/``open_sqlite`` check what only the SQLite file does (WAL,
per-thread connections, a second process reading the file).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.errors import KVLimitError, RuntimeDisposed
from runtime.kv import KV_FILENAME, KVKey, KVNamespaceStore, KVRecord, KVStore, KVStoreStatistics
from runtime.kv.store import prefix_upper_bound

T0 = 1_700_000_000.0


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def open_sqlite(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[[], KVStore]]:
    """Factory: open (or reopen) the SQLite store in tmp_path; all are closed at the end."""
    opened: list[KVStore] = []

    def make() -> KVStore:
        store = KVStore.for_data_dir(tmp_path / "data", now=clock)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, clock: FakeClock,
               open_sqlite: Callable[[], KVStore]) -> Iterator[Callable[[], KVStore]]:
    """Factory: open (or reopen) the store under test; all are closed at the end."""
    if request.param == "sqlite":
        yield open_sqlite
        return
    from runtime.store.postgres import PostgresDeploymentStorage, PostgresKVStore

    storage = PostgresDeploymentStorage.open(request.getfixturevalue("pg_url"))
    opened: list[KVStore] = []

    def make() -> KVStore:
        opened.append(PostgresKVStore(storage, "app", now=clock))
        return opened[-1]

    yield make
    for store in opened:
        store.close()
    storage.close()


@pytest.fixture
def store(open_store: Callable[[], KVStore]) -> KVStore:
    return open_store()


@pytest.fixture
def sqlite_store(open_sqlite: Callable[[], KVStore]) -> KVStore:
    return open_sqlite()


@pytest.fixture
def kv(store: KVStore) -> KVNamespaceStore:
    return store.namespace("KV")


def bulk(store: KVStore, namespace: str, keys: list[str]) -> None:
    store.import_records(namespace, [KVRecord(k, k.encode()) for k in keys])


# ---- basics ------------------------------------------------------------------


def test_put_get_delete(kv: KVNamespaceStore) -> None:
    assert kv.get("missing") is None
    kv.put("a", b"\x00\xffbytes")
    kv.put("s", "text é")
    assert kv.get("a") == b"\x00\xffbytes"
    assert kv.get("s") == "text é".encode()
    kv.put("a", b"")
    assert kv.get("a") == b""
    kv.delete("a")
    kv.delete("a")  # deleting a missing key is fine
    assert kv.get("a") is None


def test_store_file_lives_in_the_data_dir_in_wal_mode(sqlite_store: KVStore, tmp_path: Path) -> None:
    assert sqlite_store.path == tmp_path / "data" / KV_FILENAME
    conn = sqlite3.connect(sqlite_store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_namespaces_are_separate(store: KVStore) -> None:
    store.namespace("A").put("k", b"a")
    store.namespace("B").put("k", b"b")
    assert store.namespace("A").get("k") == b"a"
    assert store.namespace("B").get("k") == b"b"
    assert store.namespaces() == ("A", "B")
    store.clear("A")
    assert store.namespace("A").get("k") is None
    assert store.namespaces() == ("B",)


def test_metadata_round_trip(kv: KVNamespaceStore) -> None:
    meta = {"n": 1, "s": "é", "l": [True, None, 1.5], "o": {}}
    kv.put("k", b"v", metadata=meta)
    entry = kv.get_with_metadata("k")
    assert entry is not None
    assert (entry.value, entry.metadata, entry.expiration) == (b"v", meta, None)
    kv.put("k", b"w")  # a put without metadata drops the old metadata
    entry = kv.get_with_metadata("k")
    assert entry is not None and entry.metadata is None
    assert kv.get_with_metadata("nope") is None


def test_limits_are_enforced_by_the_store(kv: KVNamespaceStore) -> None:
    with pytest.raises(KVLimitError, match="exceeds key length limit of 512"):
        kv.put("k" * 513, b"v")
    with pytest.raises(KVLimitError, match="exceeds key length limit of 512"):
        kv.get("k" * 513)
    with pytest.raises(KVLimitError, match="KV DELETE failed: 400 Key names must not be empty"):
        kv.delete("")
    with pytest.raises(KVLimitError, match="Value length of 26214401 exceeds limit of 26214400"):
        kv.put("k", bytes(25 * 1024 * 1024 + 1))
    with pytest.raises(KVLimitError, match="Metadata length of 1027 exceeds limit of 1024"):
        kv.put("k", b"v", metadata={"m": "x" * 1019})
    with pytest.raises(KVLimitError, match="JSON-serialisable"):
        kv.put("k", b"v", metadata={"m": float("nan")})
    assert kv.get("k") is None  # nothing was written by the refused puts


def test_largest_allowed_value_and_key_are_stored(kv: KVNamespaceStore) -> None:
    big = bytes(range(256)) * (25 * 1024 * 4)
    assert len(big) == 25 * 1024 * 1024
    kv.put("é" * 256, big, metadata={"m": "x" * 1016})
    assert kv.get("é" * 256) == big


# ---- expiry ------------------------------------------------------------------


def test_ttl_expiry_hides_then_purges(store: KVStore, kv: KVNamespaceStore, clock: FakeClock) -> None:
    kv.put("t", b"v", expiration_ttl=60, metadata={"m": 1})
    entry = kv.get_with_metadata("t")
    assert entry is not None and entry.expiration == int(T0) + 60
    clock.advance(59.5)
    assert kv.get("t") == b"v"
    clock.advance(0.5)
    assert kv.get("t") is None
    assert kv.list().keys == ()
    assert store.statistics() == KVStoreStatistics(namespaces=0, keys=0, bytes=0)
    assert raw_row_count(store) == 0  # the get found it expired and deleted the row


def raw_row_count(store: KVStore) -> int:
    """Rows in the store's table, expired ones included, read outside the store's own code."""
    if hasattr(store, "path"):
        conn = sqlite3.connect(store.path)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM kv_entries").fetchone()[0])
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(store.storage.url) as conn:  # type: ignore[attr-defined]
        return int(conn.execute("SELECT COUNT(*) FROM kv_entries").fetchone()[0])  # type: ignore[index]


def test_absolute_expiration(kv: KVNamespaceStore, clock: FakeClock) -> None:
    kv.put("a", b"v", expiration=T0 + 120)
    assert kv.list().keys == (KVKey("a", int(T0) + 120),)
    clock.advance(120)
    assert kv.get("a") is None


def test_ttl_under_60_and_past_expiration_are_refused(kv: KVNamespaceStore) -> None:
    with pytest.raises(KVLimitError, match="Expiration TTL must be at least 60"):
        kv.put("k", b"v", expiration_ttl=30)
    with pytest.raises(KVLimitError, match="Expiration times must be at least 60 seconds in the future"):
        kv.put("k", b"v", expiration=T0 - 1)
    assert kv.get("k") is None


def test_overwrite_clears_expiration(kv: KVNamespaceStore, clock: FakeClock) -> None:
    kv.put("k", b"1", expiration_ttl=60)
    kv.put("k", b"2")
    clock.advance(3600)
    assert kv.get("k") == b"2"


def test_purge_expired_on_reopen(open_store: Callable[[], KVStore], clock: FakeClock) -> None:
    store = open_store()
    store.namespace("KV").put("old", b"v", expiration_ttl=60)
    store.namespace("KV").put("keep", b"v")
    store.close()
    clock.advance(61)
    reopened = open_store()
    assert reopened.purge_expired() == 0  # already purged when it opened
    assert [k.name for k in reopened.namespace("KV").list().keys] == ["keep"]


# ---- list ----------------------------------------------------------------------


def test_list_is_in_utf8_byte_order_with_metadata(kv: KVNamespaceStore) -> None:
    for key in ["b", "a", "B", "é", "a/b", "🙂", "\uffff", "a0"]:
        kv.put(key, b"v", metadata={"k": key} if key == "a" else None)
    result = kv.list()
    names = [k.name for k in result.keys]
    assert names == sorted(names, key=lambda s: s.encode("utf-8"))
    assert names == ["B", "a", "a/b", "a0", "b", "é", "\uffff", "🙂"]
    assert result.keys[1] == KVKey("a", None, {"k": "a"})
    assert result.list_complete and result.cursor is None


def test_list_prefix(kv: KVNamespaceStore) -> None:
    for key in ["user:1", "user:2", "user;", "users", "use", "u\U0010ffff", "u\U0010ffffz", "v"]:
        kv.put(key, b"v")
    assert [k.name for k in kv.list(prefix="user:").keys] == ["user:1", "user:2"]
    assert [k.name for k in kv.list(prefix="user").keys] == ["user:1", "user:2", "user;", "users"]
    assert [k.name for k in kv.list(prefix="u\U0010ffff").keys] == ["u\U0010ffff", "u\U0010ffffz"]
    assert kv.list(prefix="zzz").keys == ()
    with pytest.raises(KVLimitError, match="KV LIST failed: 414"):
        kv.list(prefix="p" * 513)


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [("", None), ("ab", "ac"), ("a\ud7ff", "a\ue000"), ("a\U0010ffff", "b"), ("\U0010ffff", None)],
)
def test_prefix_upper_bound(prefix: str, bound: str | None) -> None:
    assert prefix_upper_bound(prefix) == bound


def test_list_pagination_over_more_than_1000_keys(store: KVStore) -> None:
    keys = [f"k{i:05d}" for i in range(2345)]
    bulk(store, "KV", keys)
    bulk(store, "OTHER", ["k00000x"])
    kv = store.namespace("KV")
    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        page = kv.list(cursor=cursor)
        pages.append(len(page.keys))
        seen.extend(k.name for k in page.keys)
        if page.list_complete:
            assert page.cursor is None
            break
        assert page.cursor
        cursor = page.cursor
    assert pages == [1000, 1000, 345]
    assert seen == keys


def test_list_limit_and_prefix_pages(kv: KVNamespaceStore) -> None:
    for i in range(7):
        kv.put(f"p{i}", b"v")
    kv.put("q", b"v")
    first = kv.list(prefix="p", limit=3)
    assert [k.name for k in first.keys] == ["p0", "p1", "p2"] and not first.list_complete
    second = kv.list(prefix="p", limit=3, cursor=first.cursor)
    third = kv.list(prefix="p", limit=3, cursor=second.cursor)
    assert [k.name for k in second.keys] == ["p3", "p4", "p5"]
    assert [k.name for k in third.keys] == ["p6"] and third.list_complete
    exact = kv.list(prefix="p", limit=7)
    assert len(exact.keys) == 7 and exact.list_complete


def test_list_skips_expired_keys(kv: KVNamespaceStore, clock: FakeClock) -> None:
    kv.put("a", b"v", expiration_ttl=60)
    kv.put("b", b"v", expiration_ttl=600)
    kv.put("c", b"v")
    clock.advance(120)
    assert [k.name for k in kv.list().keys] == ["b", "c"]


def test_bad_list_arguments(kv: KVNamespaceStore) -> None:
    with pytest.raises(KVLimitError, match="key_count_limit of 1001"):
        kv.list(limit=1001)
    with pytest.raises(KVLimitError, match="key_count_limit of 0"):
        kv.list(limit=0)
    with pytest.raises(KVLimitError, match="Invalid cursor"):
        kv.list(cursor="not a cursor!")


# ---- durability, threads, lifecycle ----------------------------------------------


def test_data_survives_reopen(open_store: Callable[[], KVStore]) -> None:
    first = open_store()
    first.namespace("KV").put("k", b"v", expiration_ttl=3600, metadata=[1])
    first.close()
    second = open_store()
    entry = second.namespace("KV").get_with_metadata("k")
    assert entry is not None and (entry.value, entry.metadata) == (b"v", [1])


def test_committed_writes_survive_an_interrupted_transaction(open_store: Callable[[], KVStore]) -> None:
    store = open_store()
    kv = store.namespace("KV")
    kv.put("committed", b"1")
    with pytest.raises(RuntimeError), store._write() as conn:  # noqa: SLF001 - simulate a crash mid-write
        store._exec(conn, store.SQL.PUT, ("KV", "half", b"x", None, None))  # noqa: SLF001
        raise RuntimeError("crash")
    assert kv.get("half") is None
    bad = [KVRecord("ok", b"1"), KVRecord("k" * 600, b"2")]
    with pytest.raises(KVLimitError):
        store.import_records("KV", bad)
    assert kv.get("ok") is None  # all or nothing
    store.close()
    assert open_store().namespace("KV").get("committed") == b"1"


def test_a_second_process_style_connection_sees_commits(sqlite_store: KVStore) -> None:
    sqlite_store.namespace("KV").put("k", b"v")
    conn = sqlite3.connect(sqlite_store.path)
    try:
        assert conn.execute("SELECT value FROM kv_entries WHERE key = 'k'").fetchone()[0] == b"v"
    finally:
        conn.close()


def test_concurrent_reader_thread(store: KVStore) -> None:
    kv = store.namespace("KV")
    stop = threading.Event()
    errors: list[BaseException] = []
    counts: list[int] = []

    def browse() -> None:
        try:
            while not stop.is_set():
                keys = store.namespace_keys("KV")
                names = [k.name for k in keys]
                assert names == sorted(names)
                counts.append(len(keys))
                store.statistics()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    reader = threading.Thread(target=browse)
    reader.start()
    try:
        for i in range(200):
            kv.put(f"k{i:03d}", b"x" * 10)
    finally:
        stop.set()
        reader.join(timeout=10)
    assert not errors
    assert counts and counts == sorted(counts)  # the reader never saw keys vanish
    assert len(store.namespace_keys("KV")) == 200


def test_connections_of_finished_threads_are_closed(sqlite_store: KVStore) -> None:
    def use() -> None:
        sqlite_store.namespace("KV").get("k")

    for _ in range(5):
        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
    sqlite_store.namespace("KV").get("k")
    assert len(sqlite_store._connections) <= 2  # noqa: SLF001 - this thread + at most the last one


def test_use_after_close_raises(store: KVStore) -> None:
    kv = store.namespace("KV")
    store.close()
    assert store.closed
    assert "closed" in repr(store)
    with pytest.raises(RuntimeDisposed):
        kv.get("k")


def test_statistics_and_repr(store: KVStore) -> None:
    store.namespace("A").put("k1", b"12345", metadata={"a": 1})
    store.namespace("B").put("k2", "é")
    stats = store.statistics()
    assert stats == KVStoreStatistics(namespaces=2, keys=2, bytes=2 + 5 + len('{"a":1}') + 2 + 2)
    assert repr(store).endswith("namespaces=2, keys=2)")


def test_namespace_keys_reports_sizes_across_pages(store: KVStore, clock: FakeClock) -> None:
    bulk(store, "KV", [f"k{i:04d}" for i in range(1500)])
    store.namespace("KV").put("z", b"123", metadata={"m": 1}, expiration_ttl=60)
    infos = store.namespace_keys("KV")
    assert len(infos) == 1501
    assert (infos[-1].name, infos[-1].size, infos[-1].metadata, infos[-1].expiration) == ("z", 3, {"m": 1}, int(T0) + 60)
    assert [k.name for k in store.namespace_keys("KV", prefix="k001")] == [f"k001{i}" for i in range(10)]
