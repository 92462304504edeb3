// `Env` comes from worker-configuration.d.ts (`isoplay types`): vars have literal types,
// one value per environment ("Hello" | "Hi from staging"), and VISITS is a KVNamespace.
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("name") ?? "world";
    const visits = Number((await env.VISITS.get(name)) ?? "0") + 1;
    ctx.waitUntil(env.VISITS.put(name, String(visits)));
    return Response.json({ message: `${env.GREETING}, ${name}!`, visits });
  },
} satisfies ExportedHandler<Env>;
