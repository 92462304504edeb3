import { Hono } from "hono";

type Bindings = { DB: D1Database };
type Note = { id: number; title: string; body: string | null; pinned: number };

const app = new Hono<{ Bindings: Bindings }>();

app.get("/", (c) => c.text("notes api"));

app.get("/notes", async (c) => {
  const tag = c.req.query("tag");
  const stmt = tag
    ? c.env.DB.prepare("SELECT n.* FROM notes n JOIN tags t ON t.note_id = n.id WHERE t.tag = ? ORDER BY n.id").bind(tag)
    : c.env.DB.prepare("SELECT * FROM notes ORDER BY pinned DESC, id");
  const { results } = await stmt.all<Note>();
  return c.json(results);
});

app.post("/notes", async (c) => {
  const { title, body, tags = [], pinned = false } =
    await c.req.json<{ title?: string; body?: string; tags?: string[]; pinned?: boolean }>();
  if (!title) return c.json({ error: "title is required" }, 400);
  const note = await c.env.DB.prepare("INSERT INTO notes (title, body, pinned) VALUES (?1, ?2, ?3) RETURNING *")
    .bind(title, body ?? null, pinned).first<Note>();
  if (note && tags.length) {
    await c.env.DB.batch(tags.map((t) => c.env.DB.prepare("INSERT INTO tags (note_id, tag) VALUES (?, ?)").bind(note.id, t)));
  }
  return c.json(note, 201);
});

app.get("/notes/:id", async (c) => {
  const note = await c.env.DB.prepare("SELECT * FROM notes WHERE id = ?").bind(Number(c.req.param("id"))).first<Note>();
  if (!note) return c.json({ error: "not found" }, 404);
  const tags = await c.env.DB.prepare("SELECT tag FROM tags WHERE note_id = ? ORDER BY tag").bind(note.id).raw<[string]>();
  return c.json({ ...note, tags: tags.map(([t]) => t) });
});

app.delete("/notes/:id", async (c) => {
  const { meta } = await c.env.DB.prepare("DELETE FROM notes WHERE id = ?").bind(Number(c.req.param("id"))).run();
  return c.body(null, meta.changes ? 204 : 404);
});

app.get("/stats", async (c) => {
  const [notes, tags] = await c.env.DB.batch<{ n: number }>([
    c.env.DB.prepare("SELECT count(*) AS n FROM notes"),
    c.env.DB.prepare("SELECT count(*) AS n FROM tags"),
  ]);
  return c.json({ notes: notes.results[0].n, tags: tags.results[0].n });
});

app.onError((err, c) => c.json({ error: err.message }, 500));

export default app;
