import { formatISO9075 } from "date-fns";

interface Env { STATE: KVNamespace }

export default {
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const runs = Number((await env.STATE.get("runs")) ?? "0") + 1;
    const kind = controller.cron === "0 6 * * mon" ? "weekly" : "quarter-hourly";
    ctx.waitUntil(env.STATE.put("runs", String(runs)));
    await env.STATE.put(`last:${kind}`, formatISO9075(new Date(controller.scheduledTime), { representation: "date" }));
    console.log(`cron ${controller.cron} run #${runs}`);
  },
  async fetch(_request: Request, env: Env): Promise<Response> {
    const [runs, quarter, weekly] = await Promise.all([
      env.STATE.get("runs"), env.STATE.get("last:quarter-hourly"), env.STATE.get("last:weekly"),
    ]);
    return Response.json({ runs: Number(runs ?? 0), quarter, weekly });
  },
} satisfies ExportedHandler<Env>;
