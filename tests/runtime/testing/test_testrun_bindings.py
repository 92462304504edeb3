"""isoplay test with D1 and R2 bindings: each test file starts empty, every test starts from what beforeAll
made, and nothing reaches the project's local data (as vitest-pool-workers' isolated storage)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from runtime.testing import TestRun

MANIFEST = ('name = "bindings"\nmain = "src/index.ts"\n[[d1_databases]]\nbinding = "DB"\n'
            '[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "files"\n')
SOURCE = "export default { async fetch() { return new Response('ok'); } };\n"
TEST = """
import { env } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";

beforeAll(async () => {
  await env.DB.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('from beforeAll');");
  await env.FILES.put("seed.txt", "from beforeAll");
});

it("writes", async () => {
  await env.DB.prepare("INSERT INTO t VALUES (?)").bind("from a test").run();
  await env.FILES.put("more.txt", "from a test");
  await env.FILES.delete("seed.txt");
  expect(await env.DB.prepare("SELECT count(*) AS n FROM t").first("n")).toBe(2);
  expect((await env.FILES.list()).objects.map((o) => o.key)).toEqual(["more.txt"]);
});

it("starts again from beforeAll", async () => {
  expect(await env.DB.prepare("SELECT v FROM t").raw()).toEqual([["from beforeAll"]]);
  expect((await env.FILES.list()).objects.map((o) => o.key)).toEqual(["seed.txt"]);
  expect(await (await env.FILES.get("seed.txt"))!.text()).toBe("from beforeAll");
});
"""

MIGRATIONS_TEST = """
import { applyD1Migrations, env } from "cloudflare:test";
import { expect, it } from "vitest";

it("applies the binding's migrations when given none, as with env.TEST_MIGRATIONS", async () => {
  await applyD1Migrations(env.DB, (env as any).TEST_MIGRATIONS);
  await applyD1Migrations(env.DB);  // applied once
  expect(await env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id").raw()).toEqual([["0001_a.sql"], ["0002_b.sql"]]);
  expect(await env.DB.prepare("SELECT a, b FROM t").raw()).toEqual([[1, "two"]]);
});

it("applies a given list into the named table", async () => {
  await applyD1Migrations(env.DB, [{ name: "x", queries: ["CREATE TABLE u (v)", "INSERT INTO u VALUES (7)"] }], "my_migrations");
  expect(await env.DB.prepare("SELECT v FROM u").first("v")).toBe(7);
  expect(await env.DB.prepare("SELECT name FROM my_migrations").raw()).toEqual([["x"]]);
  await expect(applyD1Migrations({} as D1Database)).rejects.toThrow("not a d1_databases binding");
});
"""


def test_apply_d1_migrations_as_vitest_pool_workers(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": SOURCE, "test/migrations.test.ts": MIGRATIONS_TEST,
                         "migrations/0001_a.sql": "CREATE TABLE t (a INTEGER, b TEXT);\n",
                         "migrations/0002_b.sql": "INSERT INTO t VALUES (1, 'two'); -- seeded\n"}, MANIFEST)
    result = asyncio.run(TestRun(root).run())
    tests = {f"{t.case.full_name}": t for f in result.files for t in f.tests}
    assert [t.status for t in tests.values()] == ["pass", "pass"], [e.summary() for t in tests.values() for e in t.errors]


def test_d1_and_r2_are_isolated_per_test_and_never_touch_local_data(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": SOURCE, "test/bindings.test.ts": TEST}, MANIFEST)
    result = asyncio.run(TestRun(root).run())
    tests = {f"{t.case.full_name}": t for f in result.files for t in f.tests}
    assert {name: t.status for name, t in tests.items()} == {"writes": "pass", "starts again from beforeAll": "pass"}, [
        e.summary() for t in tests.values() for e in t.errors]
    assert not (root / ".isoplay" / "d1").exists() and not (root / ".isoplay" / "r2.sqlite3").exists()
