"""D1 databases on local SQLite files: what the ``d1.*`` host ops run (runtime/d1/ops.py).

Cloudflare D1 is SQLite, so a local D1 database is a SQLite file, as under
``wrangler dev`` (Miniflare keeps one per ``database_id``). One ``D1Store`` per
script version maps its bindings to files in a folder; each file has one
connection, used by one query at a time, from a worker thread.

A script's SQL is hostile input. Each connection:

- attaches nothing: ``SQLITE_LIMIT_ATTACHED`` is 0, so ``ATTACH`` and ``VACUUM INTO``
  (which would read or write any file the process can reach) fail, and the
  authorizer refuses both as well;
- allows only the pragmas D1 allows (schema introspection, foreign keys, checks),
  and never ``load_extension`` (also off in Python's sqlite3);
- stops a call (a statement, a batch or an ``exec``) after ``timeout_s`` in all (a progress handler),
  names the limit and rolls back the statement or batch it was in;
- stops reading rows past ``MAX_RESULT_BYTES``, and cannot grow the file past
  ``MAX_DATABASE_BYTES`` (``max_page_count``);
- refuses SQL longer than ``MAX_SQL_BYTES`` and more than ``MAX_PARAMS`` bound values
  (D1's limits).

Errors carry D1's prefixes (``D1_ERROR: ...``, ``D1_TYPE_ERROR: ...``) and SQLite's
own words, so a script's ``catch`` sees what production would show.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_SQL_BYTES = 100_000
"""Longest SQL statement (D1: 100 KB)."""
MAX_PARAMS = 100
"""Most bound parameters in one statement (D1: 100)."""
MAX_BATCH = 1000
"""Most statements in one ``batch()`` or ``exec()`` (a bound on one host op's work)."""
MAX_RESULT_BYTES = 32 * 1024 * 1024
"""Largest result one query may return to the script (counted as rows are read)."""
MAX_DATABASE_BYTES = 1024 * 1024 * 1024
"""Largest a local database file may grow (``max_page_count``; D1's paid plan allows 10 GB)."""
DEFAULT_TIMEOUT_S = 30.0
"""How long one statement may run (D1 stops queries after 30 s)."""

ALLOWED_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "foreign_key_check", "foreign_keys", "defer_foreign_keys", "case_sensitive_like", "ignore_check_constraints",
    "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects", "quick_check", "integrity_check",
    "optimize", "collation_list", "function_list", "pragma_list", "data_version", "page_count", "page_size",
    "freelist_count", "user_version", "schema_version", "encoding",
})
"""Pragmas a script may run (as D1: introspection and per-connection checks; nothing that changes
how the file is written, e.g. ``journal_mode``, ``writable_schema`` or ``synchronous``)."""

_READ_ONLY_PRAGMAS = frozenset({"schema_version", "page_size", "encoding"})
"""Of those, pragmas that may be read but not set."""

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class D1Error(Exception):
    """A query failed; ``str()`` is the message the script's promise rejects with."""


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its bound values (None, int, float, str, bytes)."""

    sql: str
    params: tuple[Any, ...] = ()


def file_name(key: str) -> str:
    """The SQLite file name for a database id / name / binding (no path separators, never empty)."""
    cleaned = _SAFE_NAME.sub("-", key).strip(".-")[:120]
    return (cleaned or "database") + ".sqlite3"


class D1Database:
    """One local D1 database (a SQLite file)."""

    def __init__(self, path: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._deadline = 0.0
        self._timed_out = False
        self._snapshot: sqlite3.Connection | None = None
        self._version = -1

    # ---- the connection -----------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
            conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_PARAMS)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")  # D1 enforces foreign keys
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count={MAX_DATABASE_BYTES // page_size}")
            conn.set_authorizer(_authorize)
            conn.set_progress_handler(self._progress, 2000)
            self._conn = conn
        return self._conn

    def _progress(self) -> int:
        if time.monotonic() > self._deadline:
            self._timed_out = True
            return 1
        return 0

    def close(self) -> None:
        """Close the connection, unless a query holds it (never waits: callers run on the event loop;
        the connection then closes when it is collected). A later query opens it again."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        finally:
            self._lock.release()

    # ---- test isolation (isoplay test) --------------------------------------------------
    def snapshot(self) -> None:
        """Remember the database's content (an in-memory copy, SQLite's backup API) for ``restore``."""
        with self._lock:
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            self._connect().backup(copy)
            self._snapshot = copy
            self._version = self._changes()

    def restore(self) -> None:
        """Put the content back as ``snapshot`` took it (empty without one); a no-op when nothing changed."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and self._changes() == self._version:
                return
            source = snapshot or sqlite3.connect(":memory:")
            source.backup(self._connect())
            self._version = self._changes()

    def forget(self) -> None:
        """Drop the snapshot (``restore`` then empties the database)."""
        with self._lock:
            self._snapshot = None
            self._version = -1

    def _changes(self) -> int:
        """How many rows this connection has changed (what restore() compares with the snapshot's count)."""
        return int(self._connect().total_changes)

    # ---- queries ---------------------------------------------------------------------
    def run(self, statements: list[Statement], *, batch: bool = False) -> list[dict[str, Any]]:
        """Run ``statements`` (one, or a batch in one transaction: all or nothing) and return, for each,
        ``{"columns", "rows", "meta"}`` (blobs as lists of byte values, as D1 returns them).

        Raises:
            D1Error: a statement failed (a batch is rolled back), or a limit was hit (named).
        """
        if len(statements) > MAX_BATCH:
            raise D1Error(f"D1_ERROR: a batch may hold at most {MAX_BATCH} statements (got {len(statements)})")
        with self._lock:
            conn = self._connect()
            self._deadline = time.monotonic() + self.timeout_s  # for the whole call: a batch cannot multiply it
            budget = [MAX_RESULT_BYTES]
            own_transaction = batch and len(statements) > 1 and not conn.in_transaction
            try:
                if own_transaction:
                    conn.execute("BEGIN")
                results = [self._one(conn, statement, budget) for statement in statements]
                if own_transaction:
                    conn.execute("COMMIT")
                return results
            except BaseException:
                if own_transaction and conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def exec(self, sql: str) -> dict[str, Any]:
        """Run every statement in ``sql`` (no bound values) one after another: ``{"count", "duration"}``.

        Raises:
            D1Error: the first statement that failed, with its position; those before it stay applied (as D1).
        """
        started = time.perf_counter()
        parts = split_statements(sql)
        if len(parts) > MAX_BATCH:
            raise D1Error(f"D1_EXEC_ERROR: exec() may run at most {MAX_BATCH} statements (got {len(parts)})")
        with self._lock:
            conn = self._connect()
            self._deadline = time.monotonic() + self.timeout_s
            for index, part in enumerate(parts):
                try:
                    self._one(conn, Statement(part), [MAX_RESULT_BYTES])
                except D1Error as exc:
                    raise D1Error(f"D1_EXEC_ERROR: Error in line {index + 1}: {part.strip()[:200]}: "
                                  f"{str(exc).removeprefix('D1_ERROR: ')}") from None
        return {"count": len(parts), "duration": (time.perf_counter() - started) * 1000}

    def _one(self, conn: sqlite3.Connection, statement: Statement, budget: list[int]) -> dict[str, Any]:
        sql = statement.sql
        if len(sql.encode("utf-8", "surrogatepass")) > MAX_SQL_BYTES:
            raise D1Error(f"D1_ERROR: the statement is longer than {MAX_SQL_BYTES} bytes (D1's limit)")
        if not sql.strip():
            raise D1Error("D1_ERROR: No SQL statements detected.")
        started = time.perf_counter()
        changes_before = conn.total_changes
        self._timed_out = False
        rows: list[list[Any]] = []
        try:
            cursor = conn.execute(sql, statement.params)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            if columns:
                while True:
                    chunk = cursor.fetchmany(256)
                    if not chunk:
                        break
                    for row in chunk:
                        rows.append([_out(v, budget) for v in row])
            last_row_id = cursor.lastrowid or 0
        except sqlite3.Error as exc:
            raise D1Error(self._message(exc)) from None
        except _TooLarge:
            raise D1Error(f"D1_ERROR: the result is larger than {MAX_RESULT_BYTES // (1024 * 1024)} MB; "
                          "select fewer rows or columns (LIMIT)") from None
        except (OverflowError, ValueError) as exc:  # a number SQLite cannot take, a NUL in a name, ...
            raise D1Error(f"D1_TYPE_ERROR: {exc}") from None
        changes = conn.total_changes - changes_before
        page_count, page_size = (conn.execute("PRAGMA page_count").fetchone()[0],
                                 conn.execute("PRAGMA page_size").fetchone()[0])
        meta = {
            "served_by": "isoplay (local SQLite)", "duration": (time.perf_counter() - started) * 1000,
            "changes": changes, "last_row_id": last_row_id, "changed_db": changes > 0,
            "size_after": page_count * page_size, "rows_read": len(rows), "rows_written": changes,
        }
        return {"columns": columns, "rows": rows, "meta": meta}

    def _message(self, exc: sqlite3.Error) -> str:
        if self._timed_out:
            return f"D1_ERROR: the query ran longer than {self.timeout_s:g} s and was stopped (D1's query time limit)"
        text = str(exc)
        if "too many attached databases" in text or "not authorized" in text:
            return (f"D1_ERROR: {text}: SQLITE_AUTH (D1 allows no ATTACH, VACUUM INTO, load_extension or pragmas "
                    "that change how the file is written)")
        if "database or disk is full" in text:
            return f"D1_ERROR: {text}: SQLITE_FULL (a local database may hold {MAX_DATABASE_BYTES // 2**20} MB)"
        code = getattr(exc, "sqlite_errorname", None) or "SQLITE_ERROR"
        return f"D1_ERROR: {text}: {code}"


class _TooLarge(Exception):
    pass


def _out(value: Any, budget: list[int]) -> Any:
    """A column value as D1 returns it (a blob as a list of byte values), counted against the budget."""
    if isinstance(value, bytes):
        budget[0] -= 4 * len(value) + 2
        out: Any = list(value)
    else:
        budget[0] -= len(value) + 2 if isinstance(value, str) else 8
        out = value
    if budget[0] < 0:
        raise _TooLarge
    return out


def _authorize(action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name not in ALLOWED_PRAGMAS or (arg2 is not None and name in _READ_ONLY_PRAGMAS):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "load_extension":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def split_statements(sql: str) -> list[str]:
    """``sql`` cut into its statements (SQLite's own ``complete_statement`` decides where one ends, so a
    semicolon inside a string, a comment or a trigger body does not cut); blank pieces are dropped."""
    out: list[str] = []
    current = ""
    for piece in re.split(r"(?<=;)", sql):
        current += piece
        if sqlite3.complete_statement(current):
            if current.strip().strip(";").strip():
                out.append(current.strip())
            current = ""
    if current.strip() and _has_sql(current):
        out.append(current.strip())
    return out


def _has_sql(text: str) -> bool:
    """Whether ``text`` holds more than comments and whitespace."""
    stripped = re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    return bool(stripped.strip().strip(";").strip())


class D1Store:
    """The D1 databases of one script: binding -> file under ``directory``."""

    def __init__(self, directory: Path, databases: dict[str, str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """``databases`` maps each binding to its database key (``database_id``, else its name, else the binding)."""
        self.directory = directory
        self.databases = dict(databases)
        self.timeout_s = timeout_s
        self._open: dict[str, D1Database] = {}
        self._lock = threading.Lock()

    def database(self, binding: str) -> D1Database:
        """The database behind ``binding``.

        Raises:
            LookupError: no such binding.
        """
        key = self.databases.get(binding)
        if key is None:
            raise LookupError(binding)
        name = file_name(key)
        with self._lock:
            db = self._open.get(name)
            if db is None:
                db = self._open[name] = D1Database(self.directory / name, timeout_s=self.timeout_s)
            return db

    def all(self) -> list[D1Database]:
        """Every database of the script (opened)."""
        return [self.database(binding) for binding in sorted(self.databases)]

    def close(self) -> None:
        with self._lock:
            for db in self._open.values():
                db.close()
            self._open.clear()


def store_for(manifest: Any, directory: Path) -> D1Store:
    """The D1 store of a script: its manifest's ``d1_databases`` as files under ``directory``; a statement
    may run as long as D1 allows, or the script's own ``timeout_ms`` if that is shorter."""
    limits = getattr(manifest, "limits", None)
    timeout_s = min(DEFAULT_TIMEOUT_S, limits.timeout_ms / 1000) if limits is not None else DEFAULT_TIMEOUT_S
    return D1Store(directory, {d.binding: d.key for d in getattr(manifest, "d1_databases", ())}, timeout_s=timeout_s)
