import { env, SELF, createScheduledController, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test, vi } from "vitest";
import worker from "../src/index";

const order: string[] = [];

beforeAll(() => { order.push("beforeAll"); });
beforeEach(() => { order.push("beforeEach"); });
afterEach(() => { order.push("afterEach"); });
afterAll(() => { order.push("afterAll"); });

describe("the worker through SELF", () => {
  it("answers fetch with vars and KV", async () => {
    const res = await SELF.fetch("https://example.com/count?a=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 1, greeting: "hello" });
    expect(await env.KV.get("last")).toBe("?a=1"); // waitUntil work finished before the test ended
  });
  it("runs scheduled and event handlers", async () => {
    const result = await SELF.scheduled({ cron: "*/5 * * * *" });
    expect(result.outcome).toBe("ok");
    expect(await env.KV.get("cron")).toBe("*/5 * * * *");
    expect(await SELF.event("signup", { id: 7 })).toEqual({ seen: "signup" });
    expect(await env.KV.get("event:signup", "json")).toEqual({ id: 7 });
  });
  it("calls the handler directly with an execution context", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: "0 0 * * *", scheduledTime: 1000 }) as any, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await env.KV.get("cron")).toBe("0 0 * * *");
  });
});

describe("vitest API", () => {
  it("runs hooks in order", () => {
    expect(order).toEqual(["beforeAll", "beforeEach", "afterEach", "beforeEach", "afterEach", "beforeEach", "afterEach", "beforeEach"]);
  });
  test.each([
    { a: 1, b: 2, sum: 3 },
    { a: 2, b: 5, sum: 7 },
  ])("adds $a + $b", ({ a, b, sum }) => {
    expect(a + b).toBe(sum);
  });
  it("mocks and spies", () => {
    const fn = vi.fn((x: number) => x * 2);
    expect(fn(2)).toBe(4);
    expect(fn).toHaveBeenCalledWith(2);
    const target = { greet: (name: string) => `hi ${name}` };
    const spy = vi.spyOn(target, "greet").mockReturnValue("mocked");
    expect(target.greet("x")).toBe("mocked");
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(target.greet("x")).toBe("hi x");
  });
  it("fakes timers and the clock", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    expect(new Date().getUTCFullYear()).toBe(2030);
    const cb = vi.fn();
    setTimeout(cb, 60_000);
    vi.advanceTimersByTime(59_999);
    expect(cb).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(cb).toHaveBeenCalledOnce();
    vi.useRealTimers();
    expect(new Date().getUTCFullYear()).toBeLessThan(2030);
  });
  it("resolves and rejects", async () => {
    await expect(Promise.resolve({ a: 1 })).resolves.toEqual({ a: 1 });
    await expect(Promise.reject(new Error("nope"))).rejects.toThrow("nope");
    expect(() => { throw new TypeError("bad"); }).toThrowError(TypeError);
    expect({ a: [1, 2, 3], b: "text" }).toMatchObject({ a: expect.arrayContaining([2]), b: expect.stringContaining("ex") });
  });
  it.skip("is skipped", () => { throw new Error("must not run"); });
  it.todo("is to do");
  it("refuses fetches the manifest does not allow", async () => {
    await expect(fetch("https://not-allowed.example/")).rejects.toThrow(/not allowed/);
  });
});
