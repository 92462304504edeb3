// In the style of the vitest-pool-workers isolated-storage example: writes made
// by one test are undone before the next, beforeAll's are kept.
import { env, SELF } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";

beforeAll(async () => {
  await env.TEST_NAMESPACE.put("/seeded", "from beforeAll");
});

beforeEach(async () => {
  // This runs in each tests' isolated storage environment
  await env.TEST_NAMESPACE.put("/each", "from beforeEach");
});

describe("isolated storage", () => {
  it("writes through the worker and reads back", async () => {
    let response = await SELF.fetch("https://example.com/key", { method: "PUT", body: "value" });
    expect(response.status).toBe(204);
    response = await SELF.fetch("https://example.com/key");
    expect(await response.text()).toBe("value");
    expect(await env.TEST_NAMESPACE.get("/key")).toBe("value");
  });

  it("does not see the previous test's write", async () => {
    expect(await env.TEST_NAMESPACE.get("/key")).toBeNull();
    const response = await SELF.fetch("https://example.com/key");
    expect(response.status).toBe(204);
  });

  it("sees beforeAll and beforeEach writes", async () => {
    expect(await env.TEST_NAMESPACE.get("/seeded")).toBe("from beforeAll");
    expect(await env.TEST_NAMESPACE.get("/each")).toBe("from beforeEach");
    const { keys } = await env.TEST_NAMESPACE.list();
    expect(keys.map((k) => k.name)).toStrictEqual(["/each", "/seeded"]);
  });

  it("can delete what beforeAll wrote without affecting others", async () => {
    await env.TEST_NAMESPACE.delete("/seeded");
    expect(await env.TEST_NAMESPACE.get("/seeded")).toBeNull();
  });

  it("still has the seeded key", async () => {
    expect(await env.TEST_NAMESPACE.get("/seeded")).toBe("from beforeAll");
  });
});
