import { env } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";

let loads = 0;
beforeAll(async () => {
  loads++;
  await env.KV.put("ready", "yes");
});

it("waits forever on a timer", async () => {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}, 300);

it("runs after a timeout", async () => {
  expect(await env.KV.get("ready")).toBe("yes");
});

it("spins forever", () => {
  for (;;) { /* never ends */ }
}, 300);

it("runs in a new isolate after the spin", async () => {
  expect(loads).toBe(1); // a new isolate: module state is fresh and beforeAll ran again there
  expect(await env.KV.get("ready")).toBe("yes");
});

it("allocates past memory_mb", () => {
  const hog: string[][] = [];
  for (;;) hog.push(new Array(1_000_000).fill("x"));
});

it("runs after the memory limit", () => {
  expect(true).toBe(true);
});
