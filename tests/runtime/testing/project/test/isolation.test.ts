import { env, fetchMock, SELF } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";

beforeAll(async () => {
  await env.KV.put("seed", "1");
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
