// A visit counter and a tiny key-value API on top of Workers KV.
export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/count") {
      const current = Number((await env.KV.get("count")) ?? "0") + 1;
      await env.KV.put("count", String(current));
      return Response.json({ count: current });
    }
    const key = url.pathname.slice(1);
    if (!key) {
      const { keys } = await env.KV.list({ limit: 100 });
      return Response.json(keys.map((k) => k.name));
    }
    if (request.method === "PUT") {
      await env.KV.put(key, await request.text(), { metadata: { updated: Date.now() } });
      return new Response(null, { status: 204 });
    }
    if (request.method === "DELETE") {
      await env.KV.delete(key);
      return new Response(null, { status: 204 });
    }
    const value = await env.KV.get(key);
    return value === null ? new Response("not found\n", { status: 404 }) : new Response(value);
  },
} satisfies ExportedHandler<Env>;
