"""D1 end to end: real scripts in real isolates, through the prelude and the host ops, on real SQLite files.

The expected shapes are D1's (Cloudflare's D1 client API documentation and workerd's D1 tests: results as
``{success, meta, results}``, blobs as arrays of byte values, booleans stored as 1/0, ``first(col)`` on a
missing column throws ``D1_COLUMN_NOTFOUND``, a failed batch rolls back as a whole).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.d1.store import D1Database, D1Error, Statement, split_statements
from runtime.invocation import RunTrigger
from runtime.project import Project
from runtime.runner import run_once

MANIFEST = ('name = "t"\nmain = "src/index.ts"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "main"\n'
            'database_id = "0000-aaaa"\n')


async def run(make_project: Callable[..., Path], source: str, data: Any = None, root: Path | None = None) -> Any:
    root = root or make_project({"src/index.ts": source}, MANIFEST)
    result = await run_once(root, RunTrigger(data))
    assert result.outcome == "ok", result.error
    return result.value


ROUND_TRIP = """
export default {
  async run(_input: unknown, env: { DB: D1Database }) {
    const db = env.DB;
    const out: Record<string, unknown> = {};
    out.exec = await db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, active INTEGER, avatar BLOB, score REAL);
      CREATE INDEX users_name ON users(name);`);
    const insert = db.prepare("INSERT INTO users (name, active, avatar, score) VALUES (?, ?, ?, ?)");
    out.insert = await insert.bind("ada", true, new Uint8Array([1, 2, 255]), 1.5).run();
    await insert.bind("bob", false, null, 2).run();
    out.all = await db.prepare("SELECT id, name, active, avatar, score FROM users ORDER BY id").all();
    out.first = await db.prepare("SELECT * FROM users WHERE name = ?1").bind("bob").first();
    out.firstCol = await db.prepare("SELECT name FROM users WHERE id = ?").bind(1).first("name");
    out.none = await db.prepare("SELECT * FROM users WHERE id = 99").first();
    out.raw = await db.prepare("SELECT id, name FROM users ORDER BY id").raw();
    out.rawNames = await db.prepare("SELECT id, name FROM users ORDER BY id").raw({ columnNames: true });
    out.batch = (await db.batch([
      db.prepare("UPDATE users SET score = score + 1 WHERE name = ?").bind("ada"),
      db.prepare("SELECT score FROM users WHERE name = ?").bind("ada"),
    ])).map((r) => r.results);
    try { await db.prepare("SELECT nope FROM users").all(); } catch (e) { out.error = String(e); }
    try { await db.prepare("SELECT name FROM users").first("missing"); } catch (e) { out.missingCol = String(e); }
    try { db.prepare("SELECT ?").bind(undefined); } catch (e) { out.undefinedBind = String(e); }
    try {
      await db.batch([db.prepare("INSERT INTO users (name) VALUES ('carl')"), db.prepare("INSERT INTO users (name) VALUES (NULL)")]);
    } catch (e) { out.batchError = String(e); }
    out.afterFailedBatch = await db.prepare("SELECT count(*) AS n FROM users").first("n");
    const session = db.withSession("first-primary");
    out.session = [await session.prepare("SELECT 1 AS one").first("one"), session.getBookmark()];
    out.tag = Object.prototype.toString.call(db);
    return out;
  },
};
"""


async def test_queries_results_and_errors_take_d1_shapes(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": ROUND_TRIP}, MANIFEST)
    out = await run(make_project, ROUND_TRIP, root=root)
    assert out["exec"]["count"] == 2
    assert out["insert"]["success"] is True and out["insert"]["results"] == []
    meta = out["insert"]["meta"]
    assert meta["changes"] == 1 and meta["last_row_id"] == 1 and meta["changed_db"] is True and meta["size_after"] > 0
    assert out["all"]["results"] == [
        {"id": 1, "name": "ada", "active": 1, "avatar": [1, 2, 255], "score": 1.5},
        {"id": 2, "name": "bob", "active": 0, "avatar": None, "score": 2},
    ]
    assert out["first"]["name"] == "bob" and out["firstCol"] == "ada" and out["none"] is None
    assert out["raw"] == [[1, "ada"], [2, "bob"]]
    assert out["rawNames"] == [["id", "name"], [1, "ada"], [2, "bob"]]
    assert out["batch"] == [[], [{"score": 2.5}]]
    assert out["error"].startswith("Error: D1_ERROR: no such column: nope")
    assert out["missingCol"] == "Error: D1_COLUMN_NOTFOUND: Column not found (missing)"
    assert out["undefinedBind"] == "Error: D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'"
    assert "NOT NULL constraint failed: users.name" in out["batchError"]
    assert out["afterFailedBatch"] == 2  # the batch's first insert was rolled back with it
    assert out["session"] == [1, None]
    assert out["tag"] == "[object D1Database]"
    # the data is in a real SQLite file under .isoplay/d1, keyed by database_id as Miniflare keys it
    path = Project.open(root).d1_dir / "0000-aaaa.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name, score FROM users ORDER BY id").fetchall() == [("ada", 2.5), ("bob", 2.0)]


PERSIST = """
export default {
  async run(input: { step: number }, env: { DB: D1Database }) {
    if (input.step === 1) {
      await env.DB.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
      await env.DB.prepare("INSERT INTO hits VALUES (?)").bind(41).run();
    }
    return env.DB.prepare("SELECT sum(n) + 1 AS total FROM hits").first("total");
  },
};
"""


async def test_data_persists_between_runs(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": PERSIST}, MANIFEST)
    assert await run(make_project, PERSIST, {"step": 1}, root=root) == 42
    assert await run(make_project, PERSIST, {"step": 2}, root=root) == 42


HOSTILE = """
export default {
  async run(input: { sql: string }, env: { DB: D1Database }) {
    try { await env.DB.prepare(input.sql).all(); return "ran"; } catch (e) { return String(e); }
  },
};
"""


@pytest.mark.parametrize("sql", [
    "ATTACH DATABASE '{outside}' AS other",
    "VACUUM INTO '{outside}'",
    "SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')",
    "PRAGMA journal_mode = OFF",
    "PRAGMA writable_schema = ON",
])
async def test_sql_cannot_reach_files_or_change_how_the_database_is_written(
        make_project: Callable[..., Path], tmp_path: Path, sql: str) -> None:
    outside = tmp_path / "stolen.sqlite3"
    out = await run(make_project, HOSTILE, {"sql": sql.format(outside=outside)})
    assert out.startswith("Error: D1_ERROR:") and "SQLITE_AUTH" in out, out
    assert not outside.exists()


async def test_a_forged_binding_is_refused(make_project: Callable[..., Path]) -> None:
    source = """
    import { D1Database } from "cloudflare:workers";
    export default { async run(_i: unknown, env: { DB: D1Database }) {
      const Db = Object.getPrototypeOf(env.DB).constructor as any;
      try { await new Db("OTHER").prepare("SELECT 1").all(); return "ran"; } catch (e) { return String(e); }
    } };
    """.replace('import { D1Database } from "cloudflare:workers";', "")
    assert await run(make_project, source) == "Error: no D1 database is bound to 'OTHER'"


def test_a_runaway_query_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    db = D1Database(tmp_path / "x.sqlite3", timeout_s=0.3)
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    with pytest.raises(D1Error, match="ran longer than 0.3 s"):
        db.run([Statement(forever)])
    assert db.run([Statement("SELECT 1 AS one")])[0]["rows"] == [[1]]  # the connection still works


def test_a_result_over_the_limit_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runtime.d1.store as store

    monkeypatch.setattr(store, "MAX_RESULT_BYTES", 10_000)
    db = D1Database(tmp_path / "x.sqlite3")
    big = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000) SELECT printf('%0100d', x) FROM c"
    with pytest.raises(D1Error, match="result is larger than"):
        db.run([Statement(big)])


def test_exec_splits_where_sqlite_ends_a_statement() -> None:
    sql = ("CREATE TABLE t (a TEXT); -- a comment; with a semicolon\n"
           "INSERT INTO t VALUES ('x;y');\n"
           "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO t VALUES ('z'); END;\n  \n")
    assert split_statements(sql) == [
        "CREATE TABLE t (a TEXT);", "-- a comment; with a semicolon\nINSERT INTO t VALUES ('x;y');",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO t VALUES ('z'); END;"]


def test_exec_names_the_failing_statement_and_keeps_the_ones_before(tmp_path: Path) -> None:
    db = D1Database(tmp_path / "x.sqlite3")
    with pytest.raises(D1Error, match=r"D1_EXEC_ERROR: Error in line 2: INSERT INTO nope VALUES \(1\);: no such table"):
        db.exec("CREATE TABLE t (a);\nINSERT INTO nope VALUES (1);\nCREATE TABLE u (b);")
    assert db.run([Statement("SELECT name FROM sqlite_master WHERE type = 'table'")])[0]["rows"] == [["t"]]


def test_the_time_limit_covers_a_whole_batch(tmp_path: Path) -> None:
    import time

    db = D1Database(tmp_path / "x.sqlite3", timeout_s=0.5)
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 400000) SELECT count(*) FROM c"
    started = time.monotonic()
    with pytest.raises(D1Error, match="ran longer than 0.5 s"):
        db.run([Statement(slow)] * 200, batch=True)  # each statement is short; together they are not
    assert time.monotonic() - started < 3
