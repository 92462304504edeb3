"""One contract for both deployment stores: SQLite files (the default) and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from runtime.bundler import Bundle
from runtime.manifest import parse_manifest
from runtime.server.errors import Conflict, NotFound, StorageCorrupted
from runtime.server.sqlite_storage import SqliteDeploymentStorage
from runtime.store import open_store
from runtime.store.postgres import SCHEMA_VERSION, PostgresDeploymentStorage, SchemaMismatch


def tiny(version: str, body: str = "ok", name: str = "app", crons: tuple[str, ...] = ()) -> Bundle:
    """A bundle built without esbuild (storage does not care what the code is)."""
    spec: dict[str, Any] = {"name": name, "version": version, "main": "src/index.ts"}
    if crons:
        spec["triggers"] = {"crons": list(crons)}
    code = f'var __isoplay_module = {{ default: {{ fetch() {{ return new Response("{body}"); }} }} }};'
    return Bundle(manifest=parse_manifest(spec), code=code, sourcemap='{"version":3,"sources":[],"mappings":""}')


@pytest.fixture(params=["sqlite", "postgres"])
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Factory: open (or reopen) the store under test; all are closed at the end."""
    spec = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened: list[Any] = []

    def make() -> Any:
        opened.append(open_store(spec, tmp_path / "data"))
        return opened[-1]

    yield make
    for storage in opened:
        storage.close()


def test_deploy_list_live_and_reopen(open_storage: Callable[[], Any]) -> None:
    storage = open_storage()
    first = storage.deploy("app", tiny("1.0.0", crons=("*/5 * * * *",)), promote=True, now=1.0)
    assert first.created and first.live and first.previous_live is None
    assert not storage.deploy("app", tiny("1.10.0"), promote=False, now=2.0).live
    storage.deploy("app", tiny("1.2.0"), promote=True, now=3.0)
    assert [v.version for v in storage.list_versions("app")] == ["1.10.0", "1.2.0", "1.0.0"]
    assert storage.get_app("app").live_version == "1.2.0"
    record = storage.get_version("app", "1.0.0")
    assert record.crons == ("*/5 * * * *",) and record.deployed_at == 1.0
    loaded = storage.load_bundle(record)
    assert loaded.code == tiny("1.0.0").code and loaded.content_hash == record.content_hash
    assert loaded.manifest.crons == ("*/5 * * * *",)
    storage.close()
    again = open_storage()
    assert again.get_app("app").live_version == "1.2.0"
    assert [a.name for a in again.list_apps()] == ["app"]


def test_conflicts_rollback_and_deletes(open_storage: Callable[[], Any]) -> None:
    storage = open_storage()
    storage.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    assert not storage.deploy("app", tiny("1.0.0"), promote=True, now=2.0).created
    with pytest.raises(Conflict):
        storage.deploy("app", tiny("1.0.0", body="changed"), promote=True, now=3.0)
    storage.deploy("app", tiny("2.0.0"), promote=True, now=4.0)
    assert storage.set_live("app", "1.0.0", now=5.0) == "2.0.0"
    with pytest.raises(Conflict):
        storage.delete_version("app", "1.0.0")
    with pytest.raises(NotFound):
        storage.set_live("app", "9.9.9", now=6.0)
    storage.delete_version("app", "2.0.0")
    assert storage.get_version("app", "2.0.0") is None
    kv = storage.open_kv("app")
    kv.namespace("KV").put("k", b"v")
    deleted = storage.delete_app("app")
    assert [v.version for v in deleted] == ["1.0.0"]
    assert storage.get_app("app") is None and storage.list_apps() == []
    with pytest.raises(NotFound):
        storage.delete_app("app")


def test_each_app_has_its_own_kv(open_storage: Callable[[], Any]) -> None:
    storage = open_storage()
    a, b = storage.open_kv("a"), storage.open_kv("b")
    a.namespace("KV").put("k", b"from a")
    assert b.namespace("KV").get("k") is None
    b.namespace("KV").put("k", b"from b")
    assert a.namespace("KV").get("k") == b"from a"
    assert open_storage().open_kv("a").namespace("KV").get("k") == b"from a"


def test_tokens(open_storage: Callable[[], Any]) -> None:
    storage = open_storage()
    storage.add_token("ci", "hash-1", now=1.0)
    with pytest.raises(Conflict):
        storage.add_token("ci", "hash-2", now=2.0)
    storage.add_token("deployer", "hash-3", now=3.0, role="deploy", apps=("a", "b"))
    assert [(h, t.name, t.role, t.apps) for h, t in sorted(storage.token_entries())] == [
        ("hash-1", "ci", "admin", ("*",)), ("hash-3", "deployer", "deploy", ("a", "b"))]
    assert [(t.name, t.created_at, t.role, t.apps) for t in storage.list_tokens()] == [
        ("ci", 1.0, "admin", ("*",)), ("deployer", 3.0, "deploy", ("a", "b"))]
    assert storage.migrated_tokens == ()
    storage.remove_token("ci")
    with pytest.raises(NotFound):
        storage.remove_token("ci")


def test_changes_move_with_every_write_from_any_connection(open_storage: Callable[[], Any]) -> None:
    watcher, writer = open_storage(), open_storage()
    before = watcher.changes()
    assert watcher.changes() == before
    writer.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    after_deploy = watcher.changes()
    assert after_deploy != before
    writer.deploy("app", tiny("1.1.0"), promote=True, now=2.0)
    assert watcher.get_app("app").live_version == "1.1.0"  # no stale cache once the change is seen
    writer.set_live("app", "1.0.0", now=3.0)
    assert watcher.changes() != after_deploy
    assert watcher.get_app("app").live_version == "1.0.0"


def test_a_damaged_bundle_is_detected(open_storage: Callable[[], Any]) -> None:
    storage = open_storage()
    storage.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    record = storage.get_version("app", "1.0.0")
    if isinstance(storage, SqliteDeploymentStorage):
        script = next(storage.bundle_dir(record.content_hash).glob("*.js"))
        script.write_text(script.read_text().replace('"ok"', '"KO"'))
    else:
        with psycopg.connect(storage.url) as conn:
            conn.execute("UPDATE bundles SET code = replace(code, '\"ok\"', '\"KO\"')")
    with pytest.raises(StorageCorrupted):
        storage.load_bundle(record)


def test_postgres_schema_is_versioned_and_a_newer_one_is_refused(pg_server: Any) -> None:
    url = pg_server.database()
    with pytest.raises(SchemaMismatch, match="--migrate"):
        PostgresDeploymentStorage.open(url)
    storage = PostgresDeploymentStorage.open(url, migrate=True)
    assert storage.schema_version() == SCHEMA_VERSION and storage.migrate() == []  # idempotent
    storage.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO isoplay_schema (version, applied_at) VALUES (%s, 0)", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaMismatch, match="newer than this isoplay"):
        PostgresDeploymentStorage.open(url)
    with pytest.raises(SchemaMismatch, match="cannot migrate"):
        PostgresDeploymentStorage.open(url, migrate=True)


def test_postgres_tokens_from_schema_1_become_admin_on_every_app(pg_server: Any) -> None:
    from runtime.store.postgres import MIGRATIONS

    url = pg_server.database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE isoplay_schema (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)")
        for statement in MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("INSERT INTO isoplay_schema VALUES (1, 0)")
        conn.execute("INSERT INTO tokens (name, token_hash, created_at) VALUES ('legacy', 'h', 1)")
    with pytest.raises(SchemaMismatch, match="--migrate"):
        PostgresDeploymentStorage.open(url)
    storage = PostgresDeploymentStorage.open(url, migrate=True)
    try:
        assert storage.migrated_tokens == ("legacy",)
        assert [(h, t.name, t.role, t.apps) for h, t in storage.token_entries()] == [("h", "legacy", "admin", ("*",))]
    finally:
        storage.close()
