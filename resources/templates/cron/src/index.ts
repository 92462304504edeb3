// Runs every five minutes and remembers its last runs; GET / shows them.
export default {
  async scheduled(controller, env, ctx): Promise<void> {
    const at = new Date(controller.scheduledTime).toISOString();
    console.log(`cron ${controller.cron} fired for ${at}`);
    ctx.waitUntil(env.RUNS.put(`run:${controller.scheduledTime}`, at, { expirationTtl: 86400 }));
  },
  async fetch(request, env): Promise<Response> {
    const { keys } = await env.RUNS.list({ prefix: "run:" });
    return Response.json({ runs: keys.map((k) => k.name.slice(4)) });
  },
} satisfies ExportedHandler<Env>;
