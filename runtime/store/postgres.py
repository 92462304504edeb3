"""The deployment registry, bundles, tokens, KV and cron ticks in PostgreSQL (psycopg 3, pooled).

See :mod:`runtime.store` for the guarantees. One :class:`PostgresDeploymentStorage`
per server process holds a connection pool, a listener connection for
``NOTIFY isoplay_changes``, and a small read cache of apps and versions (the
per-request path): it is dropped whenever the change counter moves, which a
notification or the watcher's poll tells within a second. While the database is
unreachable, cached reads keep loaded apps serving; everything else raises
:class:`StoreUnavailable` (503 with the reason), and the pool reconnects when
the database is back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from runtime.bundler import Bundle
from runtime.errors import ManifestError, RuntimeDisposed, UserError
from runtime.kv.store import KVStore
from runtime.server.errors import Conflict, NotFound, StorageCorrupted, StoreUnavailable
from runtime.server.storage import ALL_APPS, AppRecord, DeployResult, TokenRecord, VersionRecord, token_record
from runtime.server.versions import sort_versions

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
"""The schema this isoplay writes; ``isoplay_schema`` records the one a database has."""

CHANNEL = "isoplay_changes"
"""The NOTIFY channel every registry change is announced on."""

CONNECT_TIMEOUT_S = 5.0
"""How long a request waits for a pooled connection before answering 503."""


class SchemaMismatch(UserError):
    """The database's schema is missing or newer than this isoplay."""

    code = "schema_mismatch"


# ---- schema ------------------------------------------------------------------

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS isoplay_changes (
            id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)""",
        "INSERT INTO isoplay_changes (id, n) VALUES (1, 0) ON CONFLICT DO NOTHING",
        """CREATE TABLE IF NOT EXISTS apps (
            name TEXT PRIMARY KEY, live_version TEXT,
            created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS bundles (
            content_hash TEXT PRIMARY KEY, code TEXT NOT NULL, sourcemap TEXT NOT NULL,
            manifest TEXT NOT NULL, minified BOOLEAN NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS versions (
            app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE, version TEXT NOT NULL,
            content_hash TEXT NOT NULL REFERENCES bundles(content_hash), size_bytes BIGINT NOT NULL,
            minified BOOLEAN NOT NULL, crons TEXT NOT NULL, deployed_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (app, version))""",
        """CREATE TABLE IF NOT EXISTS tokens (
            name TEXT PRIMARY KEY, token_hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS kv_entries (
            app TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT COLLATE "C" NOT NULL, value BYTEA NOT NULL,
            expiration BIGINT, metadata TEXT, PRIMARY KEY (app, namespace, key))""",
        """CREATE INDEX IF NOT EXISTS kv_entries_expiration ON kv_entries (expiration)
            WHERE expiration IS NOT NULL""",
        """CREATE TABLE IF NOT EXISTS cron_ticks (
            app TEXT NOT NULL, cron TEXT NOT NULL, scheduled_at DOUBLE PRECISION NOT NULL, node TEXT NOT NULL,
            claimed_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (app, cron, scheduled_at))""",
    ),
    2: (  # scoped tokens: tokens from version 1 could act on every app, so they become admin on all apps
        "ALTER TABLE tokens ADD COLUMN IF NOT EXISTS role TEXT NOT NULL DEFAULT 'admin'",
        """ALTER TABLE tokens ADD COLUMN IF NOT EXISTS apps TEXT NOT NULL DEFAULT '["*"]'""",
    ),
    3: (  # WebAssembly modules that ship with a bundle (runtime.compat.wasm)
        """CREATE TABLE IF NOT EXISTS bundle_wasm (
            content_hash TEXT NOT NULL REFERENCES bundles(content_hash) ON DELETE CASCADE, name TEXT NOT NULL,
            data BYTEA NOT NULL, PRIMARY KEY (content_hash, name))""",
    ),
    4: (  # the Cache API and the log history, shared by every node
        """CREATE TABLE IF NOT EXISTS cache_entries (
            app TEXT NOT NULL, entry_key TEXT NOT NULL, url_key TEXT NOT NULL, cache TEXT NOT NULL,
            url TEXT NOT NULL, variant TEXT NOT NULL, status INTEGER NOT NULL, headers TEXT NOT NULL,
            body BYTEA NOT NULL, expires DOUBLE PRECISION NOT NULL, PRIMARY KEY (app, entry_key))""",
        "CREATE INDEX IF NOT EXISTS cache_entries_url ON cache_entries (app, url_key)",
        """CREATE TABLE IF NOT EXISTS log_events (
            id BIGSERIAL PRIMARY KEY, app TEXT NOT NULL, time DOUBLE PRECISION NOT NULL,
            source TEXT NOT NULL, data TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS log_events_app ON log_events (app, id)",
    ),
    5: (  # token expiry: tokens from before never expire
        "ALTER TABLE tokens ADD COLUMN IF NOT EXISTS expires_at DOUBLE PRECISION",
    ),
}
"""Statements that bring a database from version N-1 to N."""

SQL_CREATE_SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS isoplay_schema (
    version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"""
SQL_SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM isoplay_schema"
SQL_SCHEMA_TABLE_EXISTS = "SELECT to_regclass('isoplay_schema') IS NOT NULL"
SQL_RECORD_VERSION = "INSERT INTO isoplay_schema (version, applied_at) VALUES (%s, %s)"
SQL_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7310412)"

# ---- registry ----------------------------------------------------------------

SQL_BUMP = "UPDATE isoplay_changes SET n = n + 1 WHERE id = 1"
SQL_NOTIFY = f"NOTIFY {CHANNEL}"
SQL_CHANGES = "SELECT n FROM isoplay_changes WHERE id = 1"
SQL_PING = "SELECT 1"

SQL_LIST_APPS = "SELECT name, live_version, created_at, updated_at FROM apps ORDER BY name"
SQL_GET_APP = "SELECT name, live_version, created_at, updated_at FROM apps WHERE name = %s"
SQL_GET_APP_FOR_UPDATE = SQL_GET_APP + " FOR UPDATE"
SQL_INSERT_APP = ("INSERT INTO apps (name, live_version, created_at, updated_at) VALUES (%s, NULL, %s, %s) "
                  "ON CONFLICT (name) DO NOTHING")
SQL_SET_LIVE = "UPDATE apps SET live_version = %s, updated_at = %s WHERE name = %s"
SQL_DELETE_APP = "DELETE FROM apps WHERE name = %s"
SQL_DELETE_APP_KV = "DELETE FROM kv_entries WHERE app = %s"
SQL_DELETE_APP_CACHE = "DELETE FROM cache_entries WHERE app = %s"
SQL_DELETE_APP_LOGS = "DELETE FROM log_events WHERE app = %s"

_VERSION_COLUMNS = "app, version, content_hash, size_bytes, minified, crons, deployed_at"
SQL_LIST_VERSIONS = f"SELECT {_VERSION_COLUMNS} FROM versions WHERE app = %s"
SQL_GET_VERSION = f"SELECT {_VERSION_COLUMNS} FROM versions WHERE app = %s AND version = %s"
SQL_INSERT_VERSION = f"INSERT INTO versions ({_VERSION_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
SQL_DELETE_VERSION = "DELETE FROM versions WHERE app = %s AND version = %s"
SQL_INSERT_BUNDLE = ("INSERT INTO bundles (content_hash, code, sourcemap, manifest, minified) "
                     "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (content_hash) DO NOTHING")
SQL_LOAD_BUNDLE = "SELECT code, sourcemap, manifest, minified FROM bundles WHERE content_hash = %s"
SQL_INSERT_WASM = ("INSERT INTO bundle_wasm (content_hash, name, data) VALUES (%s, %s, %s) "
                   "ON CONFLICT DO NOTHING")
SQL_LOAD_WASM = "SELECT name, data FROM bundle_wasm WHERE content_hash = %s"
SQL_DELETE_UNUSED_BUNDLE = ("DELETE FROM bundles WHERE content_hash = %s AND NOT EXISTS "
                            "(SELECT 1 FROM versions WHERE content_hash = %s)")

SQL_INSERT_TOKEN = ("INSERT INTO tokens (name, token_hash, created_at, role, apps, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
SQL_DELETE_TOKEN = "DELETE FROM tokens WHERE name = %s"
SQL_TOKEN_ENTRIES = "SELECT token_hash, name, created_at, role, apps, expires_at FROM tokens"
SQL_LIST_TOKENS = "SELECT name, created_at, role, apps, expires_at FROM tokens ORDER BY name"
SQL_TOKEN_NAMES = "SELECT name FROM tokens ORDER BY name"

SQL_CLAIM_TICK = ("INSERT INTO cron_ticks (app, cron, scheduled_at, node, claimed_at) VALUES (%s, %s, %s, %s, %s) "
                  "ON CONFLICT DO NOTHING")
SQL_FORGET_TICKS = "DELETE FROM cron_ticks WHERE claimed_at < %s"

# ---- KV (the KVStore statements, scoped by app: every one starts with ``app = %s``) ----------


class PostgresStatements:
    """``KVStore``'s statements for PostgreSQL; positional ones take the app first."""

    GET = "SELECT value, expiration, metadata FROM kv_entries WHERE app = %s AND namespace = %s AND key = %s"
    PUT = """INSERT INTO kv_entries (app, namespace, key, value, expiration, metadata)
             VALUES (%s, %s, %s, %s, %s, %s)
             ON CONFLICT (app, namespace, key) DO UPDATE SET
                value = excluded.value, expiration = excluded.expiration, metadata = excluded.metadata"""
    DELETE = "DELETE FROM kv_entries WHERE app = %s AND namespace = %s AND key = %s"
    DELETE_IF_EXPIRED = """DELETE FROM kv_entries WHERE app = %s AND namespace = %s AND key = %s
                           AND expiration IS NOT NULL AND expiration <= %s"""
    PURGE_EXPIRED = "DELETE FROM kv_entries WHERE app = %s AND expiration IS NOT NULL AND expiration <= %s"
    CLEAR_NAMESPACE = "DELETE FROM kv_entries WHERE app = %s AND namespace = %s"
    _RANGE = """ FROM kv_entries
        WHERE app = %(app)s AND namespace = %(namespace)s
          AND key >= %(prefix)s AND (%(upper)s::text IS NULL OR key < %(upper)s::text) AND key > %(after)s
          AND (expiration IS NULL OR expiration > %(now)s)
        ORDER BY key LIMIT %(limit)s"""
    LIST = "SELECT key, expiration, metadata" + _RANGE
    LIST_WITH_SIZE = "SELECT key, expiration, metadata, octet_length(value)" + _RANGE
    RECORDS = "SELECT key, expiration, metadata, value" + _RANGE
    NAMESPACES = """SELECT DISTINCT namespace FROM kv_entries
                    WHERE app = %s AND (expiration IS NULL OR expiration > %s) ORDER BY namespace"""
    STATISTICS = """SELECT COUNT(DISTINCT namespace), COUNT(*),
                           COALESCE(SUM(octet_length(key) + octet_length(value)
                                        + COALESCE(octet_length(metadata), 0)), 0)
                    FROM kv_entries WHERE app = %s AND (expiration IS NULL OR expiration > %s)"""


def _version_row(row: tuple[Any, ...]) -> VersionRecord:
    app, version, content_hash, size, minified, crons, deployed_at = row
    return VersionRecord(app, version, content_hash, int(size), bool(minified), float(deployed_at),
                         tuple(json.loads(crons)))


def _app_row(row: tuple[Any, ...]) -> AppRecord:
    return AppRecord(row[0], row[1], float(row[2]), float(row[3]))


def _unavailable(exc: BaseException) -> StoreUnavailable:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreUnavailable(f"the PostgreSQL store is unreachable: {detail}")


class PostgresDeploymentStorage:
    """``DeploymentStorage`` (and KV, cron ticks) on one PostgreSQL database.

    Args:
        url: ``postgresql://user@host:port/db``.
        pool: The connection pool (built by :meth:`open`).
    """

    def __init__(self, url: str, pool: ConnectionPool) -> None:
        self.url = url
        self.pool = pool
        self._closed = False
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._cache_changes: int | None = None
        self._listeners: list[Callable[[], None]] = []
        self._listen_thread: threading.Thread | None = None
        self._listen_conn: psycopg.Connection[Any] | None = None
        self.notifications = 0
        """NOTIFY messages received so far."""
        self.migrated_tokens: tuple[str, ...] = ()
        """Tokens from before scoped tokens that this process's ``migrate`` made admin on all apps."""

    # ---- lifecycle -----------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, migrate: bool = False, min_size: int = 1, max_size: int = 8) -> PostgresDeploymentStorage:
        """Connect, then check (or with ``migrate``, create/upgrade) the schema.

        Raises:
            StoreUnavailable: the database does not answer.
            SchemaMismatch: no schema yet (run ``isoplay serve --migrate``) or a newer one.
        """
        pool = ConnectionPool(url, min_size=min_size, max_size=max_size, open=False, timeout=CONNECT_TIMEOUT_S,
                              kwargs={"autocommit": True, "connect_timeout": int(CONNECT_TIMEOUT_S)},
                              name="isoplay-store", reconnect_timeout=0)
        try:
            pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            pool.close()
            raise _unavailable(exc) from None
        storage = cls(url, pool)
        try:
            if migrate:
                storage.migrate()
            storage.check_schema()
        except BaseException:
            pool.close()
            raise
        return storage

    def close(self) -> None:
        """Stop listening and close the pool; later use raises RuntimeDisposed."""
        self._closed = True
        conn, self._listen_conn = self._listen_conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:  # closing a connection the server already dropped
                pass
        self.pool.close()

    def __repr__(self) -> str:
        return f"<PostgresDeploymentStorage {self.pool.name} closed={self._closed}>"

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        if self._closed:
            raise RuntimeDisposed("the deployment storage is closed")
        try:
            with self.pool.connection() as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise _unavailable(exc) from None

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction that also bumps the change counter and notifies every node at commit."""
        with self._conn() as conn, conn.transaction():
            yield conn
            conn.execute(SQL_BUMP)
            conn.execute(SQL_NOTIFY)
        self._drop_cache()

    def _read(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._conn() as conn:
            return list(conn.execute(sql, params).fetchall())

    # ---- schema ----------------------------------------------------------------
    def schema_version(self) -> int:
        """The version the database is at (0 when isoplay never migrated it)."""
        with self._conn() as conn:
            if not conn.execute(SQL_SCHEMA_TABLE_EXISTS).fetchone()[0]:  # type: ignore[index]
                return 0
            return int(conn.execute(SQL_SCHEMA_VERSION).fetchone()[0])  # type: ignore[index]

    def check_schema(self) -> None:
        """Raise unless the database has exactly the schema this isoplay writes."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(f"the store's schema is version {version}, newer than this isoplay knows "
                                 f"({SCHEMA_VERSION}); upgrade isoplay on this node")
        if version < SCHEMA_VERSION:
            raise SchemaMismatch(f"the store's schema is version {version}, this isoplay needs {SCHEMA_VERSION}; "
                                 "run `isoplay serve --store URL --migrate` once")

    def migrate(self) -> list[int]:
        """Create or upgrade the schema (under an advisory lock, so two nodes may race); return versions applied."""
        applied: list[int] = []
        with self._conn() as conn, conn.transaction():
            conn.execute(SQL_MIGRATION_LOCK)
            conn.execute(SQL_CREATE_SCHEMA_TABLE)
            current = int(conn.execute(SQL_SCHEMA_VERSION).fetchone()[0])  # type: ignore[index]
            if current > SCHEMA_VERSION:
                raise SchemaMismatch(f"the store's schema is version {current}, newer than this isoplay knows "
                                     f"({SCHEMA_VERSION}); it cannot migrate it")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                if version == 2 and current >= 1:
                    self.migrated_tokens = tuple(row[0] for row in conn.execute(SQL_TOKEN_NAMES).fetchall())
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(SQL_RECORD_VERSION, (version, time.time()))
                applied.append(version)
        return applied

    def check(self) -> None:
        """Raise unless the database answers (readiness)."""
        self._read(SQL_PING)

    # ---- change notifications ------------------------------------------------------
    def changes(self) -> int:
        """The change counter (it moves with every deploy, rollback, delete and token change)."""
        value = int(self._read(SQL_CHANGES)[0][0])
        if value != self._cache_changes:
            self._drop_cache()
            self._cache_changes = value
        return value

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from a listener thread) whenever any node commits a change."""
        self._listeners.append(callback)
        if self._listen_thread is None:
            self._listen_thread = threading.Thread(target=self._listen, name="isoplay-store-listen", daemon=True)
            self._listen_thread.start()

    def _listen(self) -> None:
        while not self._closed:
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT_S)) as conn:
                    self._listen_conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._notify_all()  # (re)connected: whatever happened meanwhile is applied
                    for _ in conn.notifies():
                        self.notifications += 1
                        self._notify_all()
            except psycopg.Error:  # the database went away: try again shortly (the poll covers the gap)
                if not self._closed:
                    time.sleep(0.5)

    def _notify_all(self) -> None:
        self._drop_cache()
        for callback in list(self._listeners):
            callback()

    def _drop_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _cached(self, key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            value = load()
        except StoreUnavailable:
            raise
        with self._lock:
            self._cache[key] = value
        return value

    # ---- apps and versions -----------------------------------------------------------
    def list_apps(self) -> list[AppRecord]:
        """Every app, by name."""
        return [_app_row(row) for row in self._read(SQL_LIST_APPS)]

    def get_app(self, name: str) -> AppRecord | None:
        """One app, or None (cached until the next change)."""
        def load() -> AppRecord | None:
            rows = self._read(SQL_GET_APP, name)
            return _app_row(rows[0]) if rows else None

        result: AppRecord | None = self._cached(("app", name), load)
        return result

    def list_versions(self, app: str) -> list[VersionRecord]:
        """An app's versions, highest first (cached until the next change)."""
        def load() -> list[VersionRecord]:
            records = {r.version: r for r in map(_version_row, self._read(SQL_LIST_VERSIONS, app))}
            return [records[v] for v in sort_versions(records)]

        result: list[VersionRecord] = self._cached(("versions", app), load)
        return list(result)

    def get_version(self, app: str, version: str) -> VersionRecord | None:
        """One stored version, or None (cached until the next change)."""
        def load() -> VersionRecord | None:
            rows = self._read(SQL_GET_VERSION, app, version)
            return _version_row(rows[0]) if rows else None

        result: VersionRecord | None = self._cached(("version", app, version), load)
        return result

    def deploy(self, app: str, bundle: Bundle, *, promote: bool, now: float) -> DeployResult:
        """Store the bundle and register the version in one transaction.

        Raises:
            Conflict: the version exists with different content.
        """
        from runtime.server.sqlite_storage import bundle_size

        version = bundle.manifest.version
        record = VersionRecord(app, version, bundle.content_hash, bundle_size(bundle), bundle.minified, now,
                               bundle.manifest.crons)
        with self._write() as conn:
            conn.execute(SQL_INSERT_APP, (app, now, now))
            app_row = conn.execute(SQL_GET_APP_FOR_UPDATE, (app,)).fetchone()
            previous = app_row[1] if app_row else None
            existing_row = conn.execute(SQL_GET_VERSION, (app, version)).fetchone()
            existing = _version_row(existing_row) if existing_row else None
            if existing is not None and existing.content_hash != bundle.content_hash:
                raise Conflict(f"version {version} of {app} is already published with different content "
                               f"(hash {existing.content_hash[:12]}); publish a new version", code="version_exists")
            if existing is None:
                conn.execute(SQL_INSERT_BUNDLE, (bundle.content_hash, bundle.code, bundle.sourcemap,
                                                 json.dumps(bundle.manifest.to_dict()), bundle.minified))
                for name, data in sorted(bundle.wasm_modules.items()):
                    conn.execute(SQL_INSERT_WASM, (bundle.content_hash, name, data))
                conn.execute(SQL_INSERT_VERSION, (app, version, record.content_hash, record.size_bytes,
                                                  record.minified, json.dumps(list(record.crons)), now))
            else:
                record = existing
            if promote and previous != version:
                conn.execute(SQL_SET_LIVE, (version, now, app))
        live = version if promote else previous
        return DeployResult(record, existing is None, live == version, previous)

    def set_live(self, app: str, version: str, *, now: float) -> str | None:
        """Make ``version`` live; return the previously live version."""
        with self._write() as conn:
            app_row = conn.execute(SQL_GET_APP_FOR_UPDATE, (app,)).fetchone()
            if app_row is None:
                raise NotFound(f"no app named {app!r}", code="app_not_found")
            if conn.execute(SQL_GET_VERSION, (app, version)).fetchone() is None:
                raise NotFound(f"{app} has no version {version}", code="version_not_found")
            conn.execute(SQL_SET_LIVE, (version, now, app))
        previous: str | None = app_row[1]
        return previous

    def delete_version(self, app: str, version: str) -> None:
        """Delete a version that is not live (and its bundle when no version uses it)."""
        with self._write() as conn:
            app_row = conn.execute(SQL_GET_APP_FOR_UPDATE, (app,)).fetchone()
            row = conn.execute(SQL_GET_VERSION, (app, version)).fetchone()
            if app_row is None or row is None:
                raise NotFound(f"{app} has no version {version}", code="version_not_found")
            if app_row[1] == version:
                raise Conflict(f"{version} is the live version of {app}; roll back to another version "
                               "before deleting it", code="version_live")
            conn.execute(SQL_DELETE_VERSION, (app, version))
            content_hash = _version_row(row).content_hash
            conn.execute(SQL_DELETE_UNUSED_BUNDLE, (content_hash, content_hash))

    def delete_app(self, app: str) -> list[VersionRecord]:
        """Delete an app, its versions, unused bundles, its KV data, cache and logs, in one transaction."""
        with self._write() as conn:
            versions = [_version_row(r) for r in conn.execute(SQL_LIST_VERSIONS, (app,)).fetchall()]
            if conn.execute(SQL_DELETE_APP, (app,)).rowcount == 0:
                raise NotFound(f"no app named {app!r}", code="app_not_found")
            conn.execute(SQL_DELETE_APP_KV, (app,))
            conn.execute(SQL_DELETE_APP_CACHE, (app,))
            conn.execute(SQL_DELETE_APP_LOGS, (app,))
            for content_hash in {v.content_hash for v in versions}:
                conn.execute(SQL_DELETE_UNUSED_BUNDLE, (content_hash, content_hash))
        return versions

    def load_bundle(self, record: VersionRecord) -> Bundle:
        """Read a stored version's bundle back and check it against its hash."""
        from runtime.manifest import parse_manifest

        rows = self._read(SQL_LOAD_BUNDLE, record.content_hash)
        if not rows:
            raise StorageCorrupted(f"{record.app}@{record.version}: its bundle is missing from the store")
        code, sourcemap, manifest, minified = rows[0]
        wasm = {str(name): bytes(data) for name, data in self._read(SQL_LOAD_WASM, record.content_hash)}
        try:
            bundle = Bundle(manifest=parse_manifest(json.loads(manifest), "manifest.json"), code=code,
                            sourcemap=sourcemap, minified=bool(minified), wasm_modules=wasm)
        except (ValueError, KeyError, ManifestError) as exc:
            raise StorageCorrupted(f"{record.app}@{record.version}: cannot read the stored bundle: {exc}") from exc
        if bundle.content_hash != record.content_hash:
            raise StorageCorrupted(f"{record.app}@{record.version}: the stored bundle does not match its hash")
        return bundle

    # ---- tokens ------------------------------------------------------------------------
    def add_token(self, name: str, token_hash: str, *, now: float, role: str = "admin",
                  apps: tuple[str, ...] = (ALL_APPS,), expires_at: float | None = None) -> None:
        """Store a token's hash under ``name`` with its role, app scope and expiry."""
        with self._write() as conn:
            if conn.execute(SQL_INSERT_TOKEN, (name, token_hash, now, role, json.dumps(list(apps)),
                                            expires_at)).rowcount == 0:
                raise Conflict(f"a token named {name!r} exists", code="token_exists")

    def remove_token(self, name: str) -> None:
        """Delete a token."""
        with self._write() as conn:
            if conn.execute(SQL_DELETE_TOKEN, (name,)).rowcount == 0:
                raise NotFound(f"no token named {name!r}", code="token_not_found")

    def token_entries(self) -> list[tuple[str, TokenRecord]]:
        """(hash, record) of every token."""
        return [(row[0], token_record(row[1], float(row[2]), row[3], row[4], row[5]))
                for row in self._read(SQL_TOKEN_ENTRIES)]

    def list_tokens(self) -> list[TokenRecord]:
        """Every token's record, by name."""
        return [token_record(row[0], float(row[1]), row[2], row[3], row[4]) for row in self._read(SQL_LIST_TOKENS)]

    # ---- KV and crons ------------------------------------------------------------------------
    def open_kv(self, app: str) -> PostgresKVStore:
        """The KV store of ``app`` (rows of the shared ``kv_entries`` table)."""
        return PostgresKVStore(self, app)

    def open_cache(self, app: str) -> Any:
        """The Cache API store of ``app`` (rows of the shared ``cache_entries`` table)."""
        from runtime.store.pg_cache import PostgresCacheStore

        return PostgresCacheStore(self, app)

    def open_logs(self) -> PostgresLogStore:
        """The log history every node writes to and reads from."""
        return PostgresLogStore(self)

    def claim_tick(self, app: str, cron: str, scheduled_at: float, node: str) -> bool:
        """Claim one cron tick for this node; False when another node already has it."""
        with self._conn() as conn:
            claimed = conn.execute(SQL_CLAIM_TICK, (app, cron, scheduled_at, node, time.time())).rowcount == 1
            conn.execute(SQL_FORGET_TICKS, (time.time() - 7 * 86400,))
        return claimed


class PostgresKVStore(KVStore):
    """One app's KV namespaces in PostgreSQL, with the SQLite store's semantics and limits."""

    SQL = PostgresStatements  # type: ignore[assignment]

    def __init__(self, storage: PostgresDeploymentStorage, app: str, *, now: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.app = app
        self.clock = now
        self._closed = False
        self.purge_expired()

    def _scoped(self, params: Any) -> Any:
        if isinstance(params, dict):
            return {**params, "app": self.app}
        return (self.app, *params)

    def _query(self, sql: str, params: Any) -> list[Any]:
        if self._closed:
            raise RuntimeDisposed(f"the KV store of {self.app} is closed")
        with self.storage._conn() as conn:
            return list(conn.execute(sql, self._scoped(params)).fetchall())

    def _exec(self, conn: Any, sql: str, params: Any) -> Any:
        return conn.execute(sql, self._scoped(params))

    def _exec_many(self, conn: Any, sql: str, rows: list[Any]) -> None:
        with conn.cursor() as cur:
            cur.executemany(sql, [self._scoped(row) for row in rows])

    @contextmanager
    def _write(self) -> Iterator[Any]:
        if self._closed:
            raise RuntimeDisposed(f"the KV store of {self.app} is closed")
        with self.storage._conn() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        """Forget the store (the pool belongs to the deployment storage)."""
        self._closed = True

    def __repr__(self) -> str:
        if self._closed:
            return f"PostgresKVStore(app={self.app!r}, closed)"
        stats = self.statistics()
        return f"PostgresKVStore(app={self.app!r}, namespaces={stats.namespaces}, keys={stats.keys})"


SQL_LOG_INSERT = "INSERT INTO log_events (app, time, source, data) VALUES (%s, %s, %s, %s)"
SQL_LOG_AFTER = """SELECT id, app, source, data FROM log_events WHERE id > %s AND app = ANY(%s)
                   ORDER BY id LIMIT %s"""
SQL_LOG_RECENT = """SELECT id, app, source, data FROM (
    SELECT id, app, source, data FROM log_events WHERE app = %s ORDER BY id DESC LIMIT %s) AS newest ORDER BY id"""
SQL_LOG_LAST_ID = "SELECT COALESCE(MAX(id), 0) FROM log_events"
SQL_LOG_PRUNE = """DELETE FROM log_events WHERE app = %s AND id < (
    SELECT id FROM log_events WHERE app = %s ORDER BY id DESC LIMIT 1 OFFSET %s)"""


class PostgresLogStore:
    """The log history of every node (``runtime.server.logstore.LogStore`` on ``log_events``)."""

    reorder_window = 2000
    """Ids come from a sequence before commit, so a row may commit below one already read."""

    def __init__(self, storage: PostgresDeploymentStorage) -> None:
        self.storage = storage

    def append(self, rows: Any) -> None:
        """Store events in one transaction."""
        with self.storage._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(SQL_LOG_INSERT, list(rows))

    def after(self, apps: Any, after_id: int, limit: int) -> list[Any]:
        """Events of ``apps`` above ``after_id``."""
        return [tuple(r) for r in self.storage._read(SQL_LOG_AFTER, after_id, list(apps), limit)] if apps else []

    def recent(self, app: str, limit: int) -> list[Any]:
        """The newest ``limit`` events of ``app``, oldest first."""
        return [tuple(r) for r in self.storage._read(SQL_LOG_RECENT, app, limit)]

    def last_id(self) -> int:
        """The highest id stored."""
        return int(self.storage._read(SQL_LOG_LAST_ID)[0][0])

    def prune(self, app: str, keep: int) -> int:
        """Keep the newest ``keep`` events of ``app``."""
        with self.storage._conn() as conn:
            return int(conn.execute(SQL_LOG_PRUNE, (app, app, max(0, keep - 1))).rowcount)

    def forget(self, app: str) -> None:
        """Delete the app's history."""
        with self.storage._conn() as conn:
            conn.execute(SQL_DELETE_APP_LOGS, (app,))

    def close(self) -> None:
        """Nothing to release (the pool belongs to the deployment storage)."""
