// Run with `isoplay test`: requests go through SELF into src/index.ts.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("todos API", () => {
  it("describes itself", async () => {
    const response = await SELF.fetch("https://example.com/");
    expect(await response.json()).toEqual({ service: "todos", version: "1" });
  });

  it("lists and finds todos", async () => {
    const list = await (await SELF.fetch("https://example.com/todos")).json();
    expect(list).toContainEqual(expect.objectContaining({ id: 1 }));
    expect((await SELF.fetch("https://example.com/todos/99")).status).toBe(404);
  });

  it("creates a todo and validates its title", async () => {
    const created = await SELF.fetch("https://example.com/todos", { method: "POST", body: JSON.stringify({ title: "Test it" }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ title: "Test it", done: false });
    const bad = await SELF.fetch("https://example.com/todos", { method: "POST", body: "{}" });
    expect(bad.status).toBe(400);
  });
});
