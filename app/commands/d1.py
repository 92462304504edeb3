"""``isoplay d1 execute|migrations``: a project's local D1 databases, as ``wrangler d1 ... --local``.

    isoplay d1 execute DB --command "SELECT * FROM users"
    isoplay d1 execute DB --file schema.sql
    isoplay d1 migrations create DB "add users"
    isoplay d1 migrations list DB
    isoplay d1 migrations apply DB
    isoplay d1 migrations apply DB --remote --server https://isoplay.example.com
    isoplay d1 execute DB --remote --command "SELECT count(*) FROM users"

With ``--remote`` (as wrangler's) the command acts on the database of the app's live version on an isoplay
server (``--server``, a deploy token; ``--app`` defaults to the project's name); without it, on the local one.

DATABASE is a ``[[d1_databases]]`` binding, ``database_name`` or ``database_id``. The databases are the
SQLite files the runtime uses (``.isoplay/d1/``), with the same rules as a script's queries (no ATTACH,
D1's pragmas only). A command's statements run in one transaction: all of them, or none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.commands._env import add_env_argument, show_config_warnings
from app.commands.publish import add_server_arguments, client_for
from runtime.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``d1`` command and its subcommands."""
    p = sub.add_parser("d1", help="run SQL and migrations on a project's local D1 databases")
    actions = p.add_subparsers(dest="action", metavar="execute|migrations", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("database", metavar="DATABASE", help="a d1_databases binding, database_name or database_id")
        q.add_argument("--dir", type=Path, default=Path("."), help="the project folder (default: .)")
        where = q.add_mutually_exclusive_group()
        where.add_argument("--local", action="store_true", help="the project's local database (the default)")
        where.add_argument("--remote", action="store_true",
                           help="the database of the app's live version on an isoplay server (--server)")
        q.add_argument("--app", default=None, help="with --remote: the app on the server (default: the project's name)")
        add_server_arguments(q)
        add_env_argument(q)

    execute = actions.add_parser("execute", help="run SQL and print what it returns")
    common(execute)
    what = execute.add_mutually_exclusive_group(required=True)
    what.add_argument("--command", metavar="SQL", help="the SQL to run (one or more statements)")
    what.add_argument("--file", type=Path, metavar="FILE", help="a .sql file to run")
    execute.add_argument("--json", action="store_true", help="print the results as D1 returns them (JSON)")

    migrations = actions.add_parser("migrations", help="list, apply or create migrations")
    steps = migrations.add_subparsers(dest="step", metavar="list|apply|create", required=True)
    common(steps.add_parser("list", help="the migrations and whether each is applied"))
    common(steps.add_parser("apply", help="apply the migrations not applied yet, in order"))
    create = steps.add_parser("create", help="write a new empty numbered migration file")
    common(create)
    create.add_argument("message", help="what the migration does (its file name)")
    p.set_defaults(handler=run)


def _binding(directory: Path, name: str) -> tuple[Any, Any]:
    from runtime.project import Project

    project = Project.open(directory)
    manifest = project.manifest()
    for binding in manifest.d1_databases:
        if name in (binding.binding, binding.database_name, binding.database_id):
            return project, binding
    known = ", ".join(b.binding for b in manifest.d1_databases) or "none"
    raise UserError(f"{manifest.source} has no D1 database {name!r} (d1_databases bindings: {known})")


def _database(project: Any, binding: Any) -> Any:
    from runtime.d1.store import D1Database, file_name

    return D1Database(project.d1_dir / file_name(binding.key))


def run(args: argparse.Namespace) -> int:
    show_config_warnings(args.dir)
    project, binding = _binding(args.dir, args.database)
    if args.remote:
        return _remote(args, project, binding)
    db = _database(project, binding)
    try:
        if args.action == "execute":
            return _execute(args, db)
        return _migrations(args, project, binding, db)
    finally:
        db.close()


def _remote(args: argparse.Namespace, project: Any, binding: Any) -> int:
    from runtime.d1 import migrations

    app = args.app or project.manifest().name
    with client_for(args) as client:
        if args.action == "execute":
            sql = _sql(args)
            results = client.d1_query(app, binding.binding, sql)
            _print_results(args, [s.strip() for s in _statements(sql)], results, f"{app} on {client.server}")
            return 0
        if args.step != "apply":
            raise UserError(f"--remote works with execute and migrations apply (not migrations {args.step})")
        directory = project.root / (binding.migrations_dir or migrations.DEFAULT_DIR)
        applied = client.d1_migrate(app, binding.binding, migrations.read(directory))
    if not applied:
        print(f"no migrations to apply on {app} ({client.server})")
    for name in applied:
        print(f"✓ applied {name} on {app}")
    return 0


def _sql(args: argparse.Namespace) -> str:
    if args.file is not None:
        try:
            return str(args.file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{args.file}: cannot read it ({exc})") from None
    return str(args.command)


def _statements(sql: str) -> list[str]:
    from runtime.d1.store import split_statements

    found = split_statements(sql)
    if not found:
        raise UserError("no SQL statements to run")
    return found


def _execute(args: argparse.Namespace, db: Any) -> int:
    from runtime.d1.store import D1Error, Statement

    statements = _statements(_sql(args))
    try:
        results = db.run([Statement(s) for s in statements], batch=True)
    except D1Error as exc:
        raise UserError(f"{exc} (nothing was changed)" if len(statements) > 1 else str(exc)) from None
    _print_results(args, statements, results, str(db.path))
    return 0


def _print_results(args: argparse.Namespace, statements: list[str], results: list[dict[str, Any]], where: str) -> None:
    if args.json:
        print(json.dumps([{"results": [dict(zip(r["columns"], row)) for row in r["rows"]], "success": True,
                           "meta": r["meta"]} for r in results], indent=2))
        return
    for statement, result in zip(statements, results):
        if result["columns"]:
            print(table(result["columns"], result["rows"]))
        else:
            meta = result["meta"]
            print(f"✓ {statement.splitlines()[0][:60]}: {meta['changes']} change(s)"
                  + (f", last row id {meta['last_row_id']}" if meta["changes"] else ""))
    print(f"{len(statements)} statement(s) on {where}", file=sys.stderr)


def table(columns: list[str], rows: list[list[Any]], max_width: int = 40) -> str:
    """An aligned text table (a blob shows as its size, long values are cut)."""
    def cell(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, list):
            return f"<{len(value)} bytes>"
        text = str(value).replace("\n", "\\n")
        return text if len(text) <= max_width else text[:max_width - 1] + "…"

    grid = [list(columns)] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in grid) for i in range(len(columns))]
    lines = [" │ ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in grid]
    lines.insert(1, "─┼─".join("─" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _migrations(args: argparse.Namespace, project: Any, binding: Any, db: Any) -> int:
    from runtime.d1 import migrations

    directory = project.root / (binding.migrations_dir or migrations.DEFAULT_DIR)
    if args.step == "create":
        path = migrations.create(directory, args.message)
        print(f"created {path}")
        return 0
    if args.step == "list":
        found = migrations.migrations(db, directory, binding.migrations_table)
        if not found:
            print(f"no migrations in {directory}")
        for m in found:
            print(f"{'✓' if m.applied else '·'} {m.name}{'' if m.applied else '   (not applied)'}")
        return 0
    applied = migrations.apply(db, directory, binding.migrations_table)
    if not applied:
        print(f"no migrations to apply ({directory})")
    for name in applied:
        print(f"✓ applied {name}")
    return 0
