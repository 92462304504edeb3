// Run with `isoplay test`. KV is isolated per test: every test starts from what
// beforeAll wrote, and nothing reaches your local .isoplay/kv.sqlite3.
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";

beforeAll(async () => {
  await env.KV.put("greeting", "hello");
});

describe("kv worker", () => {
  it("counts visits", async () => {
    await SELF.fetch("https://example.com/count");
    const response = await SELF.fetch("https://example.com/count");
    expect(await response.json()).toEqual({ count: 2 });
  });

  it("starts counting again in the next test", async () => {
    const response = await SELF.fetch("https://example.com/count");
    expect(await response.json()).toEqual({ count: 1 });
  });

  it("stores, reads and deletes keys", async () => {
    expect(await (await SELF.fetch("https://example.com/greeting")).text()).toBe("hello");
    await SELF.fetch("https://example.com/note", { method: "PUT", body: "remember" });
    expect(await env.KV.get("note")).toBe("remember");
    await SELF.fetch("https://example.com/note", { method: "DELETE" });
    expect((await SELF.fetch("https://example.com/note")).status).toBe(404);
  });
});
