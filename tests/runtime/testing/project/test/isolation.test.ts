import { env, fetchMock, SELF } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";

beforeAll(async () => {
  await env.KV.put("seed", "1");
  await caches.default.put("https://cache.example/seed", new Response("seeded", { headers: { "cache-control": "max-age=600" } }));
});

it("writes a key", async () => {
  await env.KV.put("written", "by the first test");
  await env.KV.put("seed", "changed");
  expect(await env.KV.get("written")).toBe("by the first test");
});

it("does not see the first test's writes", async () => {
  expect(await env.KV.get("written")).toBeNull();
  expect(await env.KV.get("seed")).toBe("1");
  expect(await env.KV.get("local-only")).toBeNull();
});

it("writes to the Cache API", async () => {
  const named = await caches.open("pages");
  await named.put("https://cache.example/page", new Response("page", { headers: { "cache-control": "max-age=600" } }));
  expect(await caches.default.delete("https://cache.example/seed")).toBe(true);
  expect(await (await named.match("https://cache.example/page"))?.text()).toBe("page");
});

it("does not see the earlier test's cache writes", async () => {
  expect(await (await caches.open("pages")).match("https://cache.example/page")).toBeUndefined();
  expect(await (await caches.default.match("https://cache.example/seed"))?.text()).toBe("seeded");
});

it("mocks the worker's upstream fetch", async () => {
  fetchMock.activate();
  fetchMock.disableNetConnect();
  fetchMock.get("https://upstream.example").intercept({ path: "/data" }).reply(200, "mocked data");
  const res = await SELF.fetch("https://example.com/upstream");
  expect(await res.text()).toBe("mocked data");
  fetchMock.assertNoPendingInterceptors();
});

it("reports an unmatched request with the intercept to add", async () => {
  fetchMock.activate();
  fetchMock.disableNetConnect();
  await expect(fetch("https://upstream.example/other")).rejects.toThrow(
    'fetchMock has no intercept for GET https://upstream.example/other',
  );
});
