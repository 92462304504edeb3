// Run with `isoplay test` (`isoplay test --env staging` uses [env.staging]'s vars and bindings).
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";

describe("worker", () => {
  it("greets and counts visits per name (through SELF)", async () => {
    const first = await SELF.fetch("https://example.com/?name=Ada");
    expect(await first.json()).toEqual({ message: `${env.GREETING}, Ada!`, visits: 1 });
    await env.VISITS.put("Bob", "41");
    const bob = await SELF.fetch("https://example.com/?name=Bob");
    expect(await bob.json()).toMatchObject({ visits: 42 });
  });

  it("stores the count once the response is sent (calling the handler)", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request("https://example.com/"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await response.json()).toMatchObject({ visits: 1 });
    expect(await env.VISITS.get("world")).toBe("1");
  });
});
