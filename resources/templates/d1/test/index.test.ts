// Run with `isoplay test`. Each test file gets its own empty database, and every
// test starts from what beforeAll made: nothing reaches your local .isoplay/d1/.
import { applyD1Migrations, env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";

beforeAll(async () => {
  // the migrations/ files, as vitest-pool-workers' applyD1Migrations(env.DB, env.TEST_MIGRATIONS) applies them
  await applyD1Migrations(env.DB);
  await env.DB.prepare("INSERT INTO notes (text) VALUES (?)").bind("first").run();
});

describe("notes", () => {
  it("lists the notes", async () => {
    const notes = (await (await SELF.fetch("https://example.com/notes")).json()) as { text: string }[];
    expect(notes.map((n) => n.text)).toEqual(["first"]);
  });

  it("adds and deletes a note", async () => {
    const added = await SELF.fetch("https://example.com/notes", { method: "POST", body: "second" });
    expect(added.status).toBe(201);
    const note = (await added.json()) as { id: number; text: string };
    expect(note.text).toBe("second");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM notes").first("n")).toBe(2);
    expect((await SELF.fetch(`https://example.com/notes/${note.id}`, { method: "DELETE" })).status).toBe(204);
  });

  it("starts again from what beforeAll wrote", async () => {
    expect(await env.DB.prepare("SELECT count(*) AS n FROM notes").first("n")).toBe(1);
  });
});
