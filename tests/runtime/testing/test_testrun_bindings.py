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


def test_d1_and_r2_are_isolated_per_test_and_never_touch_local_data(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": SOURCE, "test/bindings.test.ts": TEST}, MANIFEST)
    result = asyncio.run(TestRun(root).run())
    tests = {f"{t.case.full_name}": t for f in result.files for t in f.tests}
    assert {name: t.status for name, t in tests.items()} == {"writes": "pass", "starts again from beforeAll": "pass"}, [
        e.summary() for t in tests.values() for e in t.errors]
    assert not (root / ".isoplay" / "d1").exists() and not (root / ".isoplay" / "r2.sqlite3").exists()
