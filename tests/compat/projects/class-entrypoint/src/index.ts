import { WorkerEntrypoint, env, waitUntil } from "cloudflare:workers";

interface Env { GREETING: string; LIMIT: number }

// read at the top level, as workerd allows since the env import exists
const greeting = (env as unknown as Env).GREETING;
let instances = 0;

export default class extends WorkerEntrypoint<Env> {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, env);
    instances++;
  }

  override async fetch(request: Request): Promise<Response> {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    waitUntil(Promise.resolve("logged later"));
    return Response.json({
      text: `${greeting}, ${name}`,
      limit: this.env.LIMIT,
      sameEnv: this.env.GREETING === (env as unknown as Env).GREETING,
      freshInstance: instances >= 1,
    });
  }

  override async scheduled(controller: ScheduledController): Promise<void> {
    console.log("scheduled from a class", controller.cron);
  }
}
