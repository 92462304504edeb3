"""D1 migrations as wrangler keeps them: numbered ``.sql`` files in the binding's ``migrations_dir``
(default ``migrations``), applied in name order, each recorded in ``migrations_table`` (default
``d1_migrations``: id, name, applied_at) so it runs once.

``isoplay d1 migrations list|apply|create`` uses this on a project's local databases; a
database made by ``wrangler d1 migrations apply --local`` and one made here record migrations the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from runtime.d1.store import D1Database, D1Error, Statement, split_statements
from runtime.errors import UserError

DEFAULT_DIR = "migrations"
DEFAULT_TABLE = "d1_migrations"
_TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


@dataclass(frozen=True)
class Migration:
    name: str
    """The file name (``0001_create_users.sql``)."""
    path: Path
    applied: bool


def _table(table: str | None) -> str:
    name = table or DEFAULT_TABLE
    if not _TABLE_RE.match(name):
        raise UserError(f"migrations_table {name!r} must be a plain SQL name (letters, digits, _)")
    return name


def _applied(db: D1Database, table: str) -> set[str]:
    """The names ``table`` records (the table is created when missing)."""
    db.run([Statement(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
                      "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)")])
    return {row[0] for row in db.run([Statement(f"SELECT name FROM {table}")])[0]["rows"]}


def migrations(db: D1Database, directory: Path, table: str | None = None) -> list[Migration]:
    """The ``.sql`` files of ``directory`` in the order they apply, each with whether it was applied."""
    done = _applied(db, _table(table))
    files = sorted(p for p in directory.glob("*.sql") if p.is_file()) if directory.is_dir() else []
    return [Migration(p.name, p, p.name in done) for p in files]


def read(directory: Path) -> list[tuple[str, str]]:
    """(file name, SQL) of each migration file of ``directory``, in the order they apply.

    Raises:
        UserError: a file cannot be read as UTF-8 text.
    """
    out = []
    for path in sorted(p for p in directory.glob("*.sql") if p.is_file()) if directory.is_dir() else []:
        try:
            out.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot read the migration ({exc})") from None
    return out


def apply(db: D1Database, directory: Path, table: str | None = None) -> list[str]:
    """Apply the migration files of ``directory`` not applied yet, in order; returns their names (see ``apply_items``)."""
    return apply_items(db, read(directory), table)


def apply_items(db: D1Database, items: list[tuple[str, str]], table: str | None = None) -> list[str]:
    """Apply the (name, SQL) migrations not applied yet, in name order; returns their names.

    Each runs in one transaction with its record, so a failing one leaves nothing of itself behind.

    Raises:
        UserError: a migration failed (named, with SQLite's message); those before it stay applied.
    """
    name = _table(table)
    done = _applied(db, name)
    applied: list[str] = []
    for migration, sql in sorted(items):
        if migration in done:
            continue
        statements = [Statement(s) for s in split_statements(sql)]
        statements.append(Statement(f"INSERT INTO {name} (name) VALUES (?)", (migration,)))
        try:
            db.run(statements, batch=True)
        except D1Error as exc:
            raise UserError(f"{migration}: migration failed: {exc}" +
                            (f" (applied before it: {', '.join(applied)})" if applied else "")) from None
        applied.append(migration)
    return applied


def create(directory: Path, message: str) -> Path:
    """A new empty migration file numbered after the last one (``0003_add_index.sql``)."""
    directory.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in directory.glob("*.sql") if (m := re.match(r"(\d+)", p.name))]
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:60] or "migration"
    path = directory / f"{max(numbers, default=0) + 1:04d}_{slug}.sql"
    path.write_text(f"-- Migration number: {path.name[:4]}\n", encoding="utf-8")
    return path
