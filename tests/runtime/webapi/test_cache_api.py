"""Cache API end to end: scripts in real isolates, the prelude's Cache, the host ops, SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.invocation import RunTrigger
from runtime.runner import run_once
from runtime.webapi import cache as cache_mod


async def run(root: Path, data: Any = None) -> Any:
    result = await run_once(root, RunTrigger(data))
    assert result.outcome == "ok", result.error
    return result.value


SEMANTICS = """
const body = async (r: Response | undefined) => (r ? [r.status, await r.text(), r.headers.get("cf-cache-status")] : null);
const put = (url: string, text: string, headers: Record<string, string>, status = 200) =>
  caches.default.put(url, new Response(text, { status, headers }));
const err = async (p: Promise<unknown>) => { try { await p; return "ok"; } catch (e) { return `${(e as Error).name}: ${(e as Error).message}`; } };
export default {
  async run() {
    const c = caches.default, out: Record<string, unknown> = {};
    await put("https://x.test/a", "A", { "cache-control": "max-age=60" });
    out.hit = await body(await c.match("https://x.test/a"));
    out.hitWithRequest = await body(await c.match(new Request("https://x.test/a#frag")));
    out.miss = await body(await c.match("https://x.test/other"));
    out.postMiss = await body(await c.match(new Request("https://x.test/a", { method: "POST" })));
    await put("https://x.test/nostore", "N", { "cache-control": "no-store" });
    await put("https://x.test/private", "P", { "cache-control": "private, max-age=60" });
    await put("https://x.test/zero", "Z", { "cache-control": "max-age=0" });
    await put("https://x.test/s", "S", { "cache-control": "max-age=0, s-maxage=60" });
    await put("https://x.test/cookie", "C", { "cache-control": "max-age=60", "set-cookie": "a=1" });
    await put("https://x.test/cookie-ok", "K", { "cache-control": "max-age=60, private=Set-Cookie", "set-cookie": "a=1" });
    await put("https://x.test/edge-500", "E", {}, 500);
    await put("https://x.test/edge-200", "D", {});
    out.nostore = await body(await c.match("https://x.test/nostore"));
    out.private = await body(await c.match("https://x.test/private"));
    out.zero = await body(await c.match("https://x.test/zero"));
    out.smaxage = await body(await c.match("https://x.test/s"));
    out.cookie = await body(await c.match("https://x.test/cookie"));
    const ck = await c.match("https://x.test/cookie-ok");
    out.cookieOk = [await body(ck?.clone()), ck?.headers.get("set-cookie") ?? null];
    out.edge500 = await body(await c.match("https://x.test/edge-500"));
    out.edge200 = await body(await c.match("https://x.test/edge-200"));
    await put("https://x.test/v", "en", { "cache-control": "max-age=60", vary: "Accept-Language" });
    await c.put(new Request("https://x.test/v", { headers: { "accept-language": "fr" } }),
                new Response("fr", { headers: { "cache-control": "max-age=60", vary: "accept-language" } }));
    out.varyNone = await body(await c.match("https://x.test/v"));
    out.varyFr = await body(await c.match(new Request("https://x.test/v", { headers: { "Accept-Language": "fr" } })));
    out.varyDe = await body(await c.match(new Request("https://x.test/v", { headers: { "Accept-Language": "de" } })));
    await put("https://x.test/e", "etag", { "cache-control": "max-age=60", etag: '"v1"' });
    out.notModified = (await c.match(new Request("https://x.test/e", { headers: { "if-none-match": '"v1"' } })))?.status;
    await put("https://x.test/r", "0123456789", { "cache-control": "max-age=60" });
    const part = await c.match(new Request("https://x.test/r", { headers: { range: "bytes=2-4" } }));
    out.range = [part?.status, await part?.text(), part?.headers.get("content-range")];
    out.deleted = [await c.delete("https://x.test/a"), await c.delete("https://x.test/a"), await body(await c.match("https://x.test/a"))];
    const named = await caches.open("mine");
    await named.put("https://x.test/a", new Response("named", { headers: { "cache-control": "max-age=60" } }));
    out.named = [await body(await named.match("https://x.test/a")), await body(await c.match("https://x.test/a"))];
    out.errors = [
      await err(c.put(new Request("https://x.test/p", { method: "POST", body: "x" }), new Response("x"))),
      await err(c.put("https://x.test/p", new Response("x", { status: 206 }))),
      await err(c.put("https://x.test/p", new Response("x", { headers: { vary: "*" } }))),
      await err((async () => { const r = new Response("x"); await r.text(); return c.put("https://x.test/p", r); })()),
      await err((c.match as (...a: unknown[]) => Promise<unknown>)()),
      await err(caches.open("")),
    ];
    out.tags = [Object.prototype.toString.call(c), Object.prototype.toString.call(caches), c === caches.default];
    return out;
  },
};
"""


def test_cache_semantics(make_project: Callable[..., Path]) -> None:
    import asyncio

    root = make_project({"src/index.ts": SEMANTICS})
    out = asyncio.run(run(root))
    assert out["hit"] == [200, "A", "HIT"]
    assert out["hitWithRequest"] == [200, "A", "HIT"]
    assert out["miss"] is None and out["postMiss"] is None
    assert [out[k] for k in ("nostore", "private", "zero", "cookie", "edge500")] == [None] * 5
    assert out["smaxage"] == [200, "S", "HIT"]
    assert out["cookieOk"] == [[200, "K", "HIT"], None]
    assert out["edge200"] == [200, "D", "HIT"]
    assert out["varyNone"] == [200, "en", "HIT"]
    assert out["varyFr"] == [200, "fr", "HIT"]
    assert out["varyDe"] is None
    assert out["notModified"] == 304
    assert out["range"] == [206, "234", "bytes 2-4/10"]
    assert out["deleted"] == [True, False, None]
    assert out["named"] == [[200, "named", "HIT"], None]
    assert out["errors"] == [
        "TypeError: Cannot cache response to non-GET request.",
        "TypeError: Cannot cache response to a range request (206 Partial Content).",
        "TypeError: Cannot cache response with 'Vary: *' header.",
        "TypeError: Response body is already used",
        "TypeError: Failed to execute 'match' on 'Cache': 1 argument required, but only 0 present.",
        "TypeError: Cache name must not be empty.",
    ]
    assert out["tags"] == ["[object Cache]", "[object CacheStorage]", True]


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
