// Run with `isoplay test`: each file runs in a fresh isolate with this project's vars and bindings.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { greeting } from "../src/greeting";

describe("hello worker", () => {
  it("greets the world by default (through SELF)", async () => {
    const response = await SELF.fetch("https://example.com/");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`${env.GREETING}, world!\n`);
  });

  it("greets by name as JSON (calling the handler)", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request("https://example.com/json?name=Ada"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await response.json()).toMatchObject({ message: `${env.GREETING}, Ada!` });
  });

  it.each([
    ["Hi", "Bob", "Hi, Bob!"],
    ["Hello", "", "Hello, !"],
  ])("greeting(%s, %s)", (word, name, expected) => {
    expect(greeting(word, name)).toBe(expected);
  });
});
