import { AutoRouter, error, json, type IRequest } from "itty-router";

interface Env { NOTES: KVNamespace }

const router = AutoRouter<IRequest, [Env, ExecutionContext]>();

router
  .get("/", () => ({ service: "notes", version: 1 }))
  .get("/notes/:id", async ({ params }, env) => {
    const note = await env.NOTES.get(`note:${params.id}`, "json");
    return note ?? error(404, `note ${params.id} not found`);
  })
  .put("/notes/:id", async (request, env) => {
    const body = await request.json<{ text?: unknown }>();
    if (typeof body.text !== "string") return error(400, "text must be a string");
    await env.NOTES.put(`note:${request.params.id}`, JSON.stringify({ id: request.params.id, text: body.text }));
    return json({ saved: request.params.id }, { status: 201 });
  })
  .delete("/notes/:id", async ({ params }, env) => {
    await env.NOTES.delete(`note:${params.id}`);
    return new Response(null, { status: 204 });
  })
  .get("/notes", async (_req: IRequest, env: Env) => {
    const list = await env.NOTES.list({ prefix: "note:" });
    return list.keys.map((k: { name: string }) => k.name.slice(5));
  });

export default { ...router };
