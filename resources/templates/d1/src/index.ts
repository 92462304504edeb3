// A small notes API on top of D1 (SQLite). Create the table first:
//   isoplay d1 migrations apply DB
export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const id = Number(url.pathname.slice("/notes/".length));
    if (url.pathname === "/notes" && request.method === "GET") {
      const { results } = await env.DB.prepare("SELECT id, text, created_at FROM notes ORDER BY id").all();
      return Response.json(results);
    }
    if (url.pathname === "/notes" && request.method === "POST") {
      const text = (await request.text()).trim();
      if (!text) return new Response("a note needs some text\n", { status: 400 });
      const note = await env.DB.prepare("INSERT INTO notes (text) VALUES (?) RETURNING id, text, created_at")
        .bind(text).first();
      return Response.json(note, { status: 201 });
    }
    if (url.pathname.startsWith("/notes/") && Number.isInteger(id) && request.method === "DELETE") {
      const { meta } = await env.DB.prepare("DELETE FROM notes WHERE id = ?").bind(id).run();
      return new Response(null, { status: meta.changes ? 204 : 404 });
    }
    const help = "GET /notes lists the notes, POST /notes adds one (the text as the body), DELETE /notes/1 deletes one\n";
    return new Response(help, { status: url.pathname === "/" ? 200 : 404 });
  },
} satisfies ExportedHandler<Env>;
