"""KV end to end: a real script in a real isolate, through the prelude and the host ops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.invocation import RunTrigger
from runtime.kv import KVStore
from runtime.project import Project
from runtime.runner import run_once

MANIFEST = 'name = "t"\nmain = "src/index.ts"\n[[kv_namespaces]]\nbinding = "KV"\n[[kv_namespaces]]\nbinding = "OTHER"\n'


def project(make_project: Callable[..., Path], source: str) -> Path:
    return make_project({"src/index.ts": source}, MANIFEST)


async def run(root: Path, data: Any = None) -> Any:
    result = await run_once(root, RunTrigger(data))
    assert result.outcome == "ok", result.error
    return result.value


ROUND_TRIP = """
export default {
  async run(_input: unknown, env: { KV: KVNamespace; OTHER: KVNamespace }) {
    const kv = env.KV;
    const results: Record<string, unknown> = {};
    await kv.put("greeting", "héllo 🙂");
    await kv.put("bytes", new Uint8Array([0, 255, 7]).buffer);
    await kv.put("view", new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4));
    await kv.put("obj", JSON.stringify({ a: [1, "x"] }), { metadata: { v: 2 }, expirationTtl: 3600 });
    await env.OTHER.put("greeting", "other");
    results.text = await kv.get("greeting");
    results.textType = await kv.get("greeting", "text");
    results.json = await kv.get("obj", "json");
    results.jsonOpts = await kv.get("obj", { type: "json", cacheTtl: 60 });
    results.bytes = [...new Uint8Array((await kv.get("bytes", "arrayBuffer"))!)];
    results.view = [...new Uint8Array((await kv.get("view", { type: "arrayBuffer" }))!)];
    results.isBuffer = (await kv.get("bytes", "arrayBuffer")) instanceof ArrayBuffer;
    results.withMeta = await kv.getWithMetadata("obj", "json");
    results.noMeta = await kv.getWithMetadata("greeting");
    results.missing = await kv.get("nope");
    results.missingMeta = await kv.getWithMetadata("nope", "arrayBuffer");
    results.list = await kv.list();
    const page1 = await kv.list({ limit: 2 });
    const page2 = page1.list_complete ? null : await kv.list({ limit: 2, cursor: page1.cursor });
    results.pages = [page1.keys.map((k) => k.name), page1.list_complete, page2?.keys.map((k) => k.name), page2?.list_complete];
    results.prefix = (await kv.list({ prefix: "b" })).keys.map((k) => k.name);
    results.other = await env.OTHER.get("greeting");
    await kv.delete("greeting");
    results.deleted = await kv.get("greeting");
    results.tag = Object.prototype.toString.call(kv);
    return results;
  },
};
"""


async def test_put_get_list_delete_round_trip(make_project: Callable[..., Path]) -> None:
    root = project(make_project, ROUND_TRIP)
    out = await run(root)
    assert out["text"] == out["textType"] == "héllo 🙂"
    assert out["json"] == out["jsonOpts"] == {"a": [1, "x"]}
    assert out["bytes"] == [0, 255, 7] and out["isBuffer"] is True
    assert out["view"] == [1, 2, 3]
    assert out["withMeta"] == {"value": {"a": [1, "x"]}, "metadata": {"v": 2}, "cacheStatus": None}
    assert out["noMeta"] == {"value": "héllo 🙂", "metadata": None, "cacheStatus": None}
    assert out["missing"] is None
    assert out["missingMeta"] == {"value": None, "metadata": None, "cacheStatus": None}
    keys = out["list"]["keys"]
    assert [k["name"] for k in keys] == ["bytes", "greeting", "obj", "view"]
    assert keys[2]["metadata"] == {"v": 2} and isinstance(keys[2]["expiration"], int)
    assert "expiration" not in keys[0] and "metadata" not in keys[0]
    assert out["list"]["list_complete"] is True and "cursor" not in out["list"]
    assert out["pages"] == [["bytes", "greeting"], False, ["obj", "view"], True]
    assert out["prefix"] == ["bytes"]
    assert out["other"] == "other"
    assert out["deleted"] is None
    assert out["tag"] == "[object KvNamespace]"


async def test_writes_persist_in_the_project_data_dir(make_project: Callable[..., Path]) -> None:
    root = project(make_project, """
export default {
  async run(input: { n: number }, env: { KV: KVNamespace }) {
    const before = Number((await env.KV.get("count")) ?? "0");
    await env.KV.put("count", String(before + input.n), { metadata: { by: "run" } });
    return before;
  },
};
""")
    assert await run(root, {"n": 2}) == 0
    assert await run(root, {"n": 3}) == 2
    with KVStore(Project.open(root).kv_path) as store:
        entry = store.namespace("KV").get_with_metadata("count")
    assert entry is not None and (entry.value, entry.metadata) == (b"5", {"by": "run"})


MISUSE = """
type Attempt = () => Promise<unknown>;
export default {
  async run(_input: unknown, env: { KV: any }) {
    const kv = env.KV;
    const attempts: Record<string, Attempt> = {
      longKey: () => kv.put("k".repeat(513), "v"),
      longGetKey: () => kv.get("é".repeat(300)),
      emptyKey: () => kv.delete(""),
      numberKey: () => kv.get(42),
      ttlString: () => kv.put("k", "v", { expirationTtl: "60" }),
      ttlShort: () => kv.put("k", "v", { expirationTtl: 30 }),
      ttlNaN: () => kv.put("k", "v", { expirationTtl: NaN }),
      pastExpiration: () => kv.put("k", "v", { expiration: Math.floor(Date.now() / 1000) - 10 }),
      badValue: () => kv.put("k", { an: "object" }),
      undefinedValue: () => kv.put("k", undefined),
      bigMetadata: () => kv.put("k", "v", { metadata: { m: "x".repeat(2000) } }),
      bigintMetadata: () => kv.put("k", "v", { metadata: { n: 1n } }),
      badOptions: () => kv.put("k", "v", 60),
      badType: () => kv.get("k", "blob"),
      badTypeObject: () => kv.get("k", { type: 1 }),
      badCacheTtl: () => kv.get("k", { type: "text", cacheTtl: "1h" }),
      lowCacheTtl: () => kv.get("k", { cacheTtl: 10 }),
      badLimit: () => kv.list({ limit: "10" }),
      bigLimit: () => kv.list({ limit: 1001 }),
      badPrefix: () => kv.list({ prefix: 7 }),
      badCursor: () => kv.list({ cursor: "bogus cursor" }),
      badListOptions: () => kv.list("prefix"),
    };
    const out: Record<string, unknown> = {};
    for (const [name, attempt] of Object.entries(attempts)) {
      let promise: Promise<unknown>;
      try { promise = attempt(); } catch (e) { out[name] = ["threw synchronously", String(e)]; continue; }
      try { await promise; out[name] = ["resolved"]; }
      catch (e) { out[name] = [(e as Error).constructor.name, (e as Error).message]; }
    }
    out.untouched = (await kv.list()).keys.length;
    return out;
  },
};
"""

MISUSE_EXPECTED = {
    "longKey": "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
    "longGetKey": "KV GET failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512.",
    "emptyKey": "KV DELETE failed: 400 Key names must not be empty",
    "numberKey": "KV get(): the key must be a string, got number 42",
    "ttlString": 'KV put(): option expirationTtl must be a number, got the string "60"',
    "ttlShort": "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.",
    "ttlNaN": "KV PUT failed: 400 Invalid expiration_ttl of NaN. Please specify integer greater than 0.",
    "pastExpiration": "Expiration times must be at least 60 seconds in the future.",
    "badValue": "KV put(): the value must be a string, ArrayBuffer, ArrayBufferView or ReadableStream, got an object (Object)",
    "undefinedValue": "KV put(): the value must be a string, ArrayBuffer, ArrayBufferView or ReadableStream, got undefined",
    "bigMetadata": "KV PUT failed: 413 Metadata length of 2008 exceeds limit of 1024.",
    "bigintMetadata": "KV put(): metadata must be serialisable as JSON",
    "badOptions": "KV put(): options must be an object, got number 60",
    "badType": 'KV get(): unknown response type the string "blob". Possible types are "text", "arrayBuffer", "json", and "stream".',
    "badTypeObject": "KV get(): unknown response type number 1.",
    "badCacheTtl": 'KV get(): option cacheTtl must be a number, got the string "1h"',
    "lowCacheTtl": "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 60.",
    "badLimit": 'KV list(): option limit must be a number, got the string "10"',
    "bigLimit": "KV LIST failed: 400 Invalid key_count_limit of 1001.",
    "badPrefix": "KV list(): option prefix must be a string, got number 7",
    "badCursor": "KV LIST failed: 400 Invalid cursor",
    "badListOptions": 'KV list(): options must be an object, got the string "prefix"',
}


async def test_misuse_rejects_with_clear_type_errors(make_project: Callable[..., Path]) -> None:
    out = await run(project(make_project, MISUSE))
    assert out.pop("untouched") == 0
    assert set(out) == set(MISUSE_EXPECTED)
    for name, expected in MISUSE_EXPECTED.items():
        kind, *message = out[name]
        assert kind == "TypeError", (name, out[name])
        assert expected in message[0], (name, message[0])


async def test_an_unhandled_kv_error_fails_the_invocation_clearly(make_project: Callable[..., Path]) -> None:
    root = project(make_project, """
export default {
  async run(_input: unknown, env: { KV: KVNamespace }) {
    await env.KV.put("x".repeat(600), "value");
    return "unreachable";
  },
};
""")
    result = await run_once(root, RunTrigger(None))
    assert result.outcome == "error"
    assert result.error is not None
    assert result.error.name == "TypeError"
    assert result.error.message == "KV PUT failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512."


async def test_stream_values(make_project: Callable[..., Path]) -> None:
    root = project(make_project, """
export default {
  async run(_input: unknown, env: { KV: KVNamespace }) {
    await env.KV.put("body", new Response("from a body").body!);
    const enc = new TextEncoder();
    await env.KV.put("chunks", new ReadableStream({
      start(c) { c.enqueue(enc.encode("a")); c.enqueue(enc.encode("é")); c.close(); },
    }));
    const stream = await env.KV.get("chunks", "stream");
    const withMeta = await env.KV.getWithMetadata("body", { type: "stream" });
    return {
      body: await env.KV.get("body"),
      isStream: stream instanceof ReadableStream,
      chunks: await new Response(stream).text(),
      meta: await new Response(withMeta.value).text(),
      missing: await env.KV.get("nope", "stream"),
    };
  },
};
""")
    assert await run(root) == {"body": "from a body", "isStream": True, "chunks": "aé", "meta": "from a body", "missing": None}


async def test_kv_template_serves_requests(tmp_path: Path) -> None:
    from runtime.invocation import HttpRequest
    from runtime.project import new_project

    root = new_project(tmp_path / "app", "kv").root

    async def fetch(method: str, path: str, body: bytes = b"") -> tuple[int | None, str]:
        result = await run_once(root, HttpRequest(method, f"http://localhost{path}", (), body))
        assert result.outcome == "ok", result.error
        return result.status, result.body_text()

    assert await fetch("GET", "/count") == (200, '{"count":1}')
    assert await fetch("GET", "/count") == (200, '{"count":2}')
    assert await fetch("PUT", "/greeting", b"hello") == (204, "")
    assert await fetch("GET", "/greeting") == (200, "hello")
    assert await fetch("GET", "/") == (200, '["count","greeting"]')
    assert await fetch("DELETE", "/greeting") == (204, "")
    assert await fetch("GET", "/greeting") == (404, "not found\n")
