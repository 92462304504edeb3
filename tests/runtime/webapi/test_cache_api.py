"""Cache API end to end: scripts in real isolates, the prelude's Cache, the host ops, SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.invocation import RunTrigger
from runtime.runner import run_once
from runtime.webapi import cache as cache_mod

from cache_semantics import SEMANTICS, check_semantics


async def run(root: Path, data: Any = None) -> Any:
    result = await run_once(root, RunTrigger(data))
    assert result.outcome == "ok", result.error
    return result.value


def test_cache_semantics(make_project: Callable[..., Path]) -> None:
    import asyncio

    root = make_project({"src/index.ts": SEMANTICS})
    check_semantics(asyncio.run(run(root)))


PERSIST = """
export default {
  async run(input: { step: string }) {
    if (input.step === "put") {
      await caches.default.put("https://x.test/p", new Response("kept", { headers: { "cache-control": "max-age=600" } }));
      await caches.default.put("https://x.test/short", new Response("short", { headers: { "cache-control": "max-age=1" } }));
      return "stored";
    }
    const a = await caches.default.match("https://x.test/p"), b = await caches.default.match("https://x.test/short");
    return [a ? await a.text() : null, b ? await b.text() : null];
  },
};
"""


def test_cache_persists_across_runs_and_expires(make_project: Callable[..., Path]) -> None:
    import asyncio

    root = make_project({"src/index.ts": PERSIST})
    assert asyncio.run(run(root, {"step": "put"})) == "stored"
    assert (root / ".isoplay" / "cache.sqlite3").is_file()
    assert asyncio.run(run(root, {"step": "get"})) == ["kept", "short"]
    time.sleep(1.1)
    assert asyncio.run(run(root, {"step": "get"})) == ["kept", None]


def test_freshness_policy() -> None:
    now = 1_000_000.0
    f = cache_mod.freshness_seconds
    assert f(200, [("Cache-Control", "public, max-age=30")], now) == 30
    assert f(200, [("cache-control", "max-age=30, s-maxage=90")], now) == 90
    assert f(200, [("cache-control", "no-cache, max-age=30")], now) is None
    assert f(200, [("expires", "Thu, 01 Jan 1970 00:00:00 GMT")], now) is None
    assert f(200, [("expires", "garbage")], now) is None
    date, later = "Mon, 12 Jan 1970 13:46:40 GMT", "Mon, 12 Jan 1970 13:48:20 GMT"
    assert f(200, [("date", date), ("expires", later)], now) == 100
    assert f(302, [], now) == 1200 and f(404, [], now) == 180 and f(500, [], now) is None
    assert cache_mod.storage_policy(200, [("set-cookie", "a=1"), ("cache-control", "max-age=5")], now) is None
    kept = cache_mod.storage_policy(200, [("Set-Cookie", "a=1"), ("Cache-Control", 'max-age=5, private="set-cookie"')], now)
    assert kept is not None and kept[0] == now + 5 and all(n != "set-cookie" for n, _ in kept[1])


def test_sqlite_store_round_trip(tmp_path: Path) -> None:
    store = cache_mod.SQLiteCacheStore.for_data_dir(tmp_path)
    entry = cache_mod.CachedResponse(200, [("a", "1")], b"\x00body", time.time() + 60, (("accept", "x"),))
    store.put("c", "https://u/", entry)
    store.put("c", "https://u/", cache_mod.CachedResponse(200, [], b"old", time.time() - 1, ()))
    assert store.count() == 1
    got = store.variants("c", "https://u/", time.time())
    assert got == [entry]
    assert cache_mod.select(got, [("Accept", "x")]) == entry
    assert cache_mod.select(got, [("Accept", "y")]) is None
    assert store.variants("other", "https://u/", time.time()) == []
    store.close()
    again = cache_mod.SQLiteCacheStore.for_data_dir(tmp_path)
    assert again.delete("c", "https://u/", time.time()) is True
    assert again.delete("c", "https://u/", time.time()) is False
    again.close()
