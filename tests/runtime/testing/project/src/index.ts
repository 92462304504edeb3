// The worker the runner's own tests exercise.
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/boom") {
      throw new Error("boom from the worker"); // WORKER-THROW
    }
    if (url.pathname === "/count") {
      const n = Number((await env.KV.get("count")) ?? "0") + 1;
      await env.KV.put("count", String(n));
      ctx.waitUntil(env.KV.put("last", url.search));
      return Response.json({ count: n, greeting: env.GREETING });
    }
    if (url.pathname === "/upstream") {
      const r = await fetch("https://upstream.example/data");
      return new Response(await r.text(), { status: r.status });
    }
    return new Response("ok");
  },
  async scheduled(controller, env, ctx) {
    await env.KV.put("cron", controller.cron);
  },
  async event(event, env, ctx) {
    await env.KV.put(`event:${event.name}`, JSON.stringify(event.payload));
    return { seen: event.name };
  },
} satisfies ExportedHandler<Env>;
