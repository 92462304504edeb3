"""The Cache API semantics script and its expected answers, shared by the dev runner's test
(tests/runtime/webapi/test_cache_api.py) and the server's on both stores (tests/store/test_store_cache_logs.py)."""

from __future__ import annotations

from typing import Any

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

SEMANTICS_FETCH = SEMANTICS.replace("async run() {", "async fetch() {").replace("return out;", "return Response.json(out);")
"""The same script as a fetch handler (a deployed app answers with the results as JSON)."""


def check_semantics(out: dict[str, Any]) -> None:
    """Assert what SEMANTICS must find: Cache-Control, Set-Cookie, Vary, 304/206, delete, named caches, errors."""
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
