"""D1 browser controller: the project's D1 databases, their tables, and SQL typed in the panel.

Every query runs off the GUI thread (``asyncio.to_thread`` on the runtime loop) on the panel's own
connection to the database file (``runtime.d1.store.D1Database``: the same rules as a script's
queries), and comes back through the ``FutureBridge``. Scripts' writes are noticed through the
runtime's metrics batches, as the KV browser does: the table list (with row counts) is refreshed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject

from app.bridge import FutureBridge
from app.panels.scriptwrites import ScriptWrites, run_off_gui
from app.services.types import Failure
from runtime.d1.store import D1Database, D1Error, Statement, file_name, split_statements
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime

MAX_TABLES = 500
"""Most tables the list shows (each is counted)."""
BROWSE_ROWS = 200
"""Rows a click on a table shows."""
REFRESH_INTERVAL_MS = 500
T = TypeVar("T")


@dataclass(frozen=True)
class TableInfo:
    name: str
    kind: str
    """table or view"""
    rows: int | None
    """None for a view (not counted)."""


@dataclass(frozen=True)
class QueryShown:
    """What the results grid shows: the last statement's rows, and a line about the whole run."""

    columns: list[str]
    rows: list[list[Any]]
    summary: str


class D1BrowserView(Protocol):
    def show_databases(self, names: list[str], current: str) -> None: ...
    def show_tables(self, tables: list[TableInfo]) -> None: ...
    def show_result(self, result: QueryShown | None) -> None: ...
    def set_sql(self, sql: str) -> None: ...
    def show_status(self, text: str) -> None: ...


def list_tables(db: D1Database) -> list[TableInfo]:
    """The database's tables and views (not SQLite's own or the migrations record), tables with row counts."""
    found = db.run([Statement("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                              "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")])[0]["rows"]
    out = []
    for name, kind in found[:MAX_TABLES]:
        rows = None
        if kind == "table":
            rows = db.run([Statement(f"SELECT count(*) FROM {quote(name)}")])[0]["rows"][0][0]
        out.append(TableInfo(name, kind, rows))
    return out


def quote(name: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def run_sql(db: D1Database, sql: str) -> QueryShown:
    """Run every statement of ``sql`` in one transaction; the grid shows the last one that returned rows.

    Raises:
        D1Error: a statement failed (nothing of the run stays).
    """
    statements = [Statement(s) for s in split_statements(sql)]
    if not statements:
        raise D1Error("no SQL statements to run")
    results = db.run(statements, batch=True)
    shown = next((r for r in reversed(results) if r["columns"]), results[-1])
    changes = sum(r["meta"]["changes"] for r in results)
    duration = sum(r["meta"]["duration"] for r in results)
    parts = [f"{len(statements)} statement{'s' if len(statements) != 1 else ''}"]
    if shown["columns"]:
        parts.append(f"{len(shown['rows'])} row{'s' if len(shown['rows']) != 1 else ''}")
    if changes:
        parts.append(f"{changes} change{'s' if changes != 1 else ''}")
    parts.append(f"{duration:.1f} ms")
    return QueryShown(shown["columns"], shown["rows"], " · ".join(parts))


class D1BrowserController(QObject):
    """Owns the browser's state: the databases, the current one, the last query."""

    def __init__(self, view: D1BrowserView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None, *,
                 refresh_interval_ms: int = REFRESH_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.view = view
        self._thread, self._bridge, self._on_failure = thread, bridge, on_failure
        self.databases: dict[str, D1Database] = {}
        """binding -> the panel's connection to its file."""
        self.current = ""
        self._writes = ScriptWrites(self.refresh, refresh_interval_ms, self)

    def _run(self, fn: Callable[[], T], done: Callable[[T], None], context: str) -> None:
        run_off_gui(self._thread, self._bridge, fn, done, self._on_error, context)

    def _on_error(self, failure: Failure) -> None:
        """SQL errors go to the status line (the grid is cleared); the rest are reported."""
        if isinstance(failure.error, D1Error):
            self.view.show_result(None)
            self.view.show_status(f"✗ {failure.error}")
        else:
            self._on_failure(failure)

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Browse ``runtime``'s D1 databases (None: nothing)."""
        self._writes.follow(runtime)
        self._close_databases()
        if runtime is not None and runtime.bundle is not None:
            directory = runtime.project.d1_dir
            for binding in runtime.bundle.manifest.d1_databases:
                self.databases[binding.binding] = D1Database(directory / file_name(binding.key))
        names = sorted(self.databases)
        if self.current not in names:
            self.current = names[0] if names else ""
        self.view.show_databases(names, self.current)
        self.view.show_result(None)
        if not names:
            self.view.show_tables([])
            self.view.show_status("no [[d1_databases]] in this project" if runtime is not None else "")
            return
        self.refresh()

    def set_database(self, binding: str) -> None:
        if binding in self.databases and binding != self.current:
            self.current = binding
            self.view.show_result(None)
            self.refresh()

    def refresh(self) -> None:
        """Reload the table list of the current database."""
        db = self.databases.get(self.current)
        if db is None:
            return
        self._run(lambda: list_tables(db), self.view.show_tables, f"listing the tables of {self.current}")

    def browse(self, table: str) -> None:
        """Show the first rows of ``table`` (its query goes into the SQL box)."""
        sql = f"SELECT * FROM {quote(table)} LIMIT {BROWSE_ROWS}"
        self.view.set_sql(sql)
        self.execute(sql)

    def execute(self, sql: str) -> None:
        """Run ``sql`` on the current database; show the rows and a summary, or the error."""
        db = self.databases.get(self.current)
        if db is None:
            self.view.show_status("no D1 database to run it on")
            return
        self.view.show_status("running…")
        self._run(lambda: run_sql(db, sql), self._on_result, f"running SQL on {self.current}")

    def _on_result(self, result: QueryShown) -> None:
        self.view.show_result(result)
        self.view.show_status(f"✓ {result.summary}")
        self.refresh()

    def _close_databases(self) -> None:
        for db in self.databases.values():
            db.close()
        self.databases = {}

    def close(self) -> None:
        """Stop the refresh timer and the subscription; close the connections."""
        self._writes.close()
        self.attach(None)
