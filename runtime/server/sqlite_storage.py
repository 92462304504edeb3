"""The embedded deployment storage: a SQLite registry (WAL) plus immutable bundle folders.

Layout under the data dir::

    registry.sqlite3                   apps, versions, tokens (WAL mode, synchronous=FULL)
    bundles/<h[:2]>/<hash>/            one folder per content hash, never modified:
        <name>-<version>-<h8>.js           the script (Bundle.write's file names)
        <name>-<version>-<h8>.js.map       its source map
        <name>-<version>-<h8>.manifest.json
    staging/<uuid>/                    a deploy in progress (cleared on open)
    apps/<app>/kv.sqlite3, cache.sqlite3   each app's KV namespaces and Cache API entries
    logs.sqlite3                       the log history every worker process writes (runtime.server.logstore)

A deploy writes the bundle into ``staging/``, fsyncs it, renames it to its
content-hash folder, and only then registers the version in one transaction.
A crash before the commit leaves at most an unreferenced folder, which
:meth:`SqliteDeploymentStorage.open` removes; a crash after it leaves a
complete deploy. Earlier deploys are never touched.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.bundler import Bundle, load_written
from runtime.errors import ManifestError, RuntimeDisposed
from runtime.kv.store import KVStore
from runtime.server.errors import Conflict, NotFound, StorageCorrupted
from runtime.server.fsutil import clear_staging, commit_dir, new_staging_dir
from runtime.server.storage import ALL_APPS, AppRecord, DeployResult, TokenRecord, VersionRecord, token_record
from runtime.server.versions import sort_versions
from runtime.store.sqlite_wal import enable_wal

REGISTRY_FILENAME = "registry.sqlite3"
BUNDLES_DIR = "bundles"
STAGING_DIR = "staging"
BUSY_TIMEOUT_SECONDS = 10.0
SCHEMA_VERSION = 3
"""1: tokens without roles; 2: tokens with ``role`` and ``apps`` (JSON list); 3: tokens with ``expires_at``."""

# ---- SQL -------------------------------------------------------------------
SQL_DATA_VERSION = "PRAGMA data_version"
SQL_PRAGMA_SYNC_FULL = "PRAGMA synchronous=FULL"
SQL_PRAGMA_FOREIGN_KEYS = "PRAGMA foreign_keys=ON"
SQL_SET_USER_VERSION = f"PRAGMA user_version={SCHEMA_VERSION}"
SQL_BEGIN_WRITE = "BEGIN IMMEDIATE"
SQL_COMMIT = "COMMIT"
SQL_ROLLBACK = "ROLLBACK"
SQL_PING = "SELECT 1"

SQL_CREATE_APPS = """
CREATE TABLE IF NOT EXISTS apps (
    name         TEXT PRIMARY KEY,
    live_version TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL
)
"""
SQL_CREATE_VERSIONS = """
CREATE TABLE IF NOT EXISTS versions (
    app          TEXT    NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
    version      TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    size_bytes   INTEGER NOT NULL,
    minified     INTEGER NOT NULL,
    crons        TEXT    NOT NULL,
    deployed_at  REAL    NOT NULL,
    PRIMARY KEY (app, version)
)
"""
SQL_CREATE_TOKENS = """
CREATE TABLE IF NOT EXISTS tokens (
    name       TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    role       TEXT NOT NULL DEFAULT 'admin',
    apps       TEXT NOT NULL DEFAULT '["*"]',
    expires_at REAL
)
"""
SQL_TOKEN_COLUMNS = "SELECT name FROM pragma_table_info('tokens')"
SQL_TOKENS_ADD_ROLE = "ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'"
SQL_TOKENS_ADD_APPS = """ALTER TABLE tokens ADD COLUMN apps TEXT NOT NULL DEFAULT '["*"]'"""
SQL_TOKENS_ADD_EXPIRY = "ALTER TABLE tokens ADD COLUMN expires_at REAL"
SQL_TOKEN_NAMES = "SELECT name FROM tokens ORDER BY name"

SQL_LIST_APPS = "SELECT name, live_version, created_at, updated_at FROM apps ORDER BY name"
SQL_GET_APP = "SELECT name, live_version, created_at, updated_at FROM apps WHERE name = ?"
SQL_INSERT_APP = "INSERT INTO apps (name, live_version, created_at, updated_at) VALUES (?, NULL, ?, ?)"
SQL_SET_LIVE = "UPDATE apps SET live_version = ?, updated_at = ? WHERE name = ?"
SQL_DELETE_APP = "DELETE FROM apps WHERE name = ?"

_VERSION_COLUMNS = "app, version, content_hash, size_bytes, minified, crons, deployed_at"
SQL_LIST_VERSIONS = f"SELECT {_VERSION_COLUMNS} FROM versions WHERE app = ?"
SQL_GET_VERSION = f"SELECT {_VERSION_COLUMNS} FROM versions WHERE app = ? AND version = ?"
SQL_INSERT_VERSION = f"INSERT INTO versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
SQL_DELETE_VERSION = "DELETE FROM versions WHERE app = ? AND version = ?"
SQL_ALL_HASHES = "SELECT DISTINCT content_hash FROM versions"
SQL_HASH_IN_USE = "SELECT 1 FROM versions WHERE content_hash = ? LIMIT 1"

SQL_INSERT_TOKEN = ("INSERT INTO tokens (name, token_hash, created_at, role, apps, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)")
SQL_DELETE_TOKEN = "DELETE FROM tokens WHERE name = ?"
SQL_TOKEN_ENTRIES = "SELECT token_hash, name, created_at, role, apps, expires_at FROM tokens"
SQL_LIST_TOKENS = "SELECT name, created_at, role, apps, expires_at FROM tokens ORDER BY name"


def bundle_size(bundle: Bundle) -> int:
    """Bytes of script, source map, manifest JSON and WebAssembly modules."""
    manifest = json.dumps(bundle.manifest.to_dict())
    return (len(bundle.code.encode()) + len(bundle.sourcemap.encode()) + len(manifest.encode())
            + sum(len(data) for data in bundle.wasm_modules.values()))


def _version_row(row: tuple[Any, ...]) -> VersionRecord:
    app, version, content_hash, size, minified, crons, deployed_at = row
    return VersionRecord(app, version, content_hash, int(size), bool(minified), deployed_at,
                         tuple(json.loads(crons)))


class SqliteDeploymentStorage:
    """``DeploymentStorage`` on one SQLite file and a folder of bundles.

    One connection serves every thread, behind a lock (writes are rare; reads
    are single indexed lookups).

    Args:
        data_dir: The server's data folder (created if missing).
    """

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self.bundles_dir = self.data_dir / BUNDLES_DIR
        self.staging_dir = self.data_dir / STAGING_DIR
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._watch_conn: sqlite3.Connection | None = None
        self.migrated_tokens: tuple[str, ...] = ()
        """Tokens that predate roles, migrated by this open to ``admin`` on all apps."""

    # ---- lifecycle -----------------------------------------------------------
    @classmethod
    def open(cls, data_dir: Path | str, *, cleanup: bool = True) -> SqliteDeploymentStorage:
        """Open (creating if needed) the storage and clean up after any crash.

        Args:
            cleanup: Remove staging folders and orphan bundles a crash left. Worker
                processes of one server pass False: another worker may be mid-deploy,
                and the supervisor cleaned up once before starting them.
        """
        storage = cls(data_dir)
        storage._connect()
        if cleanup:
            clear_staging(storage.staging_dir)
            storage.remove_orphan_bundles()
        return storage

    def _connect(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.data_dir / REGISTRY_FILENAME, timeout=BUSY_TIMEOUT_SECONDS,
                               isolation_level=None, check_same_thread=False)
        enable_wal(conn)
        for pragma in (SQL_PRAGMA_SYNC_FULL, SQL_PRAGMA_FOREIGN_KEYS):
            conn.execute(pragma)
        self._conn = conn
        with self._write() as db:
            for statement in (SQL_CREATE_APPS, SQL_CREATE_VERSIONS, SQL_CREATE_TOKENS):
                db.execute(statement)
            columns = {row[0] for row in db.execute(SQL_TOKEN_COLUMNS)}
            if "role" not in columns:  # schema 1: every token could act on every app
                self.migrated_tokens = tuple(row[0] for row in db.execute(SQL_TOKEN_NAMES))
                db.execute(SQL_TOKENS_ADD_ROLE)
                db.execute(SQL_TOKENS_ADD_APPS)
            if "expires_at" not in columns:  # schema 2: tokens never expired
                db.execute(SQL_TOKENS_ADD_EXPIRY)
            db.execute(SQL_SET_USER_VERSION)

    def close(self) -> None:
        """Close the connections."""
        with self._lock:
            for conn in (self._conn, self._watch_conn):
                if conn is not None:
                    conn.close()
            self._conn = self._watch_conn = None

    def changes(self) -> int:
        """A number that changes whenever a commit was made to the registry since the last call.

        It reads ``PRAGMA data_version`` on a connection of its own, so commits made
        through this object count as well as those of other processes.
        """
        with self._lock:
            if self._conn is None:
                raise RuntimeDisposed("the deployment storage is closed")
            if self._watch_conn is None:
                self._watch_conn = sqlite3.connect(self.data_dir / REGISTRY_FILENAME, timeout=BUSY_TIMEOUT_SECONDS,
                                                   isolation_level=None, check_same_thread=False)
            return int(self._watch_conn.execute(SQL_DATA_VERSION).fetchone()[0])

    def check(self) -> None:
        """Raise unless the registry answers and the data dir exists."""
        self._db().execute(SQL_PING).fetchone()
        if not self.bundles_dir.parent.is_dir():
            raise RuntimeDisposed(f"the data dir {self.data_dir} is gone")

    def __repr__(self) -> str:
        return f"<SqliteDeploymentStorage {self.data_dir}>"

    # ---- plumbing ------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeDisposed("the deployment storage is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self._lock:
            db = self._db()
            db.execute(SQL_BEGIN_WRITE)
            try:
                yield db
            except BaseException:
                db.execute(SQL_ROLLBACK)
                raise
            db.execute(SQL_COMMIT)

    def _read(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db().execute(sql, params).fetchall())

    def open_kv(self, app: str) -> KVStore:
        """The KV store of ``app``: ``<data>/apps/<app>/kv.sqlite3``."""
        return KVStore.for_data_dir(self.data_dir / "apps" / app)

    def open_cache(self, app: str) -> Any:
        """The Cache API store of ``app``: ``<data>/apps/<app>/cache.sqlite3``."""
        from runtime.webapi.cache import SQLiteCacheStore

        return SQLiteCacheStore.for_data_dir(self.data_dir / "apps" / app)

    def open_logs(self) -> Any:
        """The log history every process on this data folder shares: ``<data>/logs.sqlite3``."""
        from runtime.server.logstore import SQLiteLogStore

        return SQLiteLogStore.for_data_dir(self.data_dir)

    def bundle_dir(self, content_hash: str) -> Path:
        """The folder holding the bundle with ``content_hash``."""
        return self.bundles_dir / content_hash[:2] / content_hash

    # ---- apps and versions ---------------------------------------------------
    def list_apps(self) -> list[AppRecord]:
        """Every app, by name."""
        return [AppRecord(*row) for row in self._read(SQL_LIST_APPS)]

    def get_app(self, name: str) -> AppRecord | None:
        """One app, or None."""
        rows = self._read(SQL_GET_APP, name)
        return AppRecord(*rows[0]) if rows else None

    def list_versions(self, app: str) -> list[VersionRecord]:
        """An app's versions, highest first."""
        records = {r.version: r for r in map(_version_row, self._read(SQL_LIST_VERSIONS, app))}
        return [records[v] for v in sort_versions(records)]

    def get_version(self, app: str, version: str) -> VersionRecord | None:
        """One stored version, or None."""
        rows = self._read(SQL_GET_VERSION, app, version)
        return _version_row(rows[0]) if rows else None

    def deploy(self, app: str, bundle: Bundle, *, promote: bool, now: float) -> DeployResult:
        """Write the bundle's files durably, then register the version in one transaction.

        Raises:
            Conflict: the version exists with different content.
        """
        version = bundle.manifest.version
        self._refuse_conflict(self.get_version(app, version), bundle)
        self._store_files(bundle)
        record = VersionRecord(app, version, bundle.content_hash, bundle_size(bundle), bundle.minified, now,
                               bundle.manifest.crons)
        with self._write() as db:
            existing = db.execute(SQL_GET_VERSION, (app, version)).fetchone()
            self._refuse_conflict(_version_row(existing) if existing else None, bundle)
            app_row = db.execute(SQL_GET_APP, (app,)).fetchone()
            if app_row is None:
                db.execute(SQL_INSERT_APP, (app, now, now))
            previous = app_row[1] if app_row else None
            if existing is None:
                db.execute(SQL_INSERT_VERSION, (app, version, record.content_hash, record.size_bytes,
                                                int(record.minified), json.dumps(list(record.crons)), now))
            else:
                record = _version_row(existing)
            if promote and previous != version:
                db.execute(SQL_SET_LIVE, (version, now, app))
        live = version if promote else previous
        return DeployResult(record, existing is None, live == version, previous)

    @staticmethod
    def _refuse_conflict(existing: VersionRecord | None, bundle: Bundle) -> None:
        if existing is not None and existing.content_hash != bundle.content_hash:
            raise Conflict(f"version {existing.version} of {existing.app} is already published with different "
                           f"content (hash {existing.content_hash[:12]}); publish a new version",
                           code="version_exists")

    def _store_files(self, bundle: Bundle) -> None:
        final = self.bundle_dir(bundle.content_hash)
        if final.is_dir():
            return
        staged = new_staging_dir(self.staging_dir)
        try:
            bundle.write(staged)
            commit_dir(staged, final)
        finally:
            if staged.exists():
                shutil.rmtree(staged, ignore_errors=True)

    def set_live(self, app: str, version: str, *, now: float) -> str | None:
        """Make ``version`` live; return the previously live version."""
        with self._write() as db:
            app_row = db.execute(SQL_GET_APP, (app,)).fetchone()
            if app_row is None:
                raise NotFound(f"no app named {app!r}", code="app_not_found")
            if db.execute(SQL_GET_VERSION, (app, version)).fetchone() is None:
                raise NotFound(f"{app} has no version {version}", code="version_not_found")
            db.execute(SQL_SET_LIVE, (version, now, app))
        previous: str | None = app_row[1]
        return previous

    def delete_version(self, app: str, version: str) -> None:
        """Delete a version that is not live, then its bundle folder."""
        with self._write() as db:
            app_row = db.execute(SQL_GET_APP, (app,)).fetchone()
            row = db.execute(SQL_GET_VERSION, (app, version)).fetchone()
            if app_row is None or row is None:
                raise NotFound(f"{app} has no version {version}", code="version_not_found")
            if app_row[1] == version:
                raise Conflict(f"{version} is the live version of {app}; roll back to another version "
                               "before deleting it", code="version_live")
            db.execute(SQL_DELETE_VERSION, (app, version))
        self._remove_bundle_if_unused(_version_row(row).content_hash)

    def delete_app(self, app: str) -> list[VersionRecord]:
        """Delete an app, its versions and their bundle folders."""
        versions = self.list_versions(app)
        with self._write() as db:
            if db.execute(SQL_DELETE_APP, (app,)).rowcount == 0:
                raise NotFound(f"no app named {app!r}", code="app_not_found")
        for record in versions:
            self._remove_bundle_if_unused(record.content_hash)
        return versions

    def _remove_bundle_if_unused(self, content_hash: str) -> None:
        if not self._read(SQL_HASH_IN_USE, content_hash):
            shutil.rmtree(self.bundle_dir(content_hash), ignore_errors=True)

    def remove_orphan_bundles(self) -> int:
        """Delete bundle folders no version refers to (left by a crash mid-deploy)."""
        used = {row[0] for row in self._read(SQL_ALL_HASHES)}
        removed = 0
        for folder in self.bundles_dir.glob("*/*"):
            if folder.is_dir() and folder.name not in used:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def load_bundle(self, record: VersionRecord) -> Bundle:
        """Read a stored bundle and check it against its hash."""
        folder = self.bundle_dir(record.content_hash)
        scripts = sorted(folder.glob("*.js"))
        if len(scripts) != 1:
            raise StorageCorrupted(f"{record.app}@{record.version}: bundle folder {folder} is missing or damaged")
        try:
            bundle = load_written(scripts[0])
        except (OSError, ValueError, KeyError, ManifestError) as exc:
            raise StorageCorrupted(f"{record.app}@{record.version}: cannot read the stored bundle: {exc}") from exc
        if bundle.content_hash != record.content_hash:
            raise StorageCorrupted(f"{record.app}@{record.version}: stored bundle does not match its hash")
        return bundle

    # ---- tokens --------------------------------------------------------------
    def add_token(self, name: str, token_hash: str, *, now: float, role: str = "admin",
                  apps: tuple[str, ...] = (ALL_APPS,), expires_at: float | None = None) -> None:
        """Store a token hash under a new name, with its role, app scope and expiry."""
        try:
            with self._write() as db:
                db.execute(SQL_INSERT_TOKEN, (name, token_hash, now, role, json.dumps(list(apps)), expires_at))
        except sqlite3.IntegrityError:
            raise Conflict(f"a token named {name!r} exists; revoke it first", code="token_exists") from None

    def remove_token(self, name: str) -> None:
        """Delete a token by name."""
        with self._write() as db:
            if db.execute(SQL_DELETE_TOKEN, (name,)).rowcount == 0:
                raise NotFound(f"no token named {name!r}", code="token_not_found")

    def token_entries(self) -> list[tuple[str, TokenRecord]]:
        """(hash, record) of every token."""
        return [(digest, token_record(name, created, role, apps, expires))
                for digest, name, created, role, apps, expires in self._read(SQL_TOKEN_ENTRIES)]

    def list_tokens(self) -> list[TokenRecord]:
        """Every token's record, by name."""
        return [token_record(*row) for row in self._read(SQL_LIST_TOKENS)]

