// Run with `isoplay test`: SELF.scheduled() fires the cron handler, env.RUNS is this test's own KV.
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect, it } from "vitest";
import worker from "../src/index";

it("records a run when the cron fires (through SELF)", async () => {
  const result = await SELF.scheduled({ cron: "*/5 * * * *", scheduledTime: Date.UTC(2030, 0, 1) });
  expect(result.outcome).toBe("ok");
  const response = await SELF.fetch("https://example.com/");
  expect(await response.json()).toEqual({ runs: [String(Date.UTC(2030, 0, 1))] });
});

it("records a run when the handler is called directly", async () => {
  const controller = createScheduledController({ cron: "*/5 * * * *", scheduledTime: 1000 });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
  expect(await env.RUNS.get("run:1000")).toBe(new Date(1000).toISOString());
  // the first test's run is not here: KV is isolated per test
  expect((await env.RUNS.list()).keys).toHaveLength(1);
});
