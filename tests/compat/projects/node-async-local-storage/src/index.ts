// Request-scoped context, the way logging and tracing libraries use AsyncLocalStorage.
import { AsyncLocalStorage } from "node:async_hooks";

interface Env { KV: KVNamespace }
const requestContext = new AsyncLocalStorage<{ id: string }>();

function log(trail: string[], what: string): void {
  trail.push(`${requestContext.getStore()?.id ?? "none"}:${what}`);
}

async function work(env: Env, trail: string[]): Promise<void> {
  log(trail, "start");
  await env.KV.put("k", "v");
  log(trail, "after-kv");
  await new Promise((resolve) => setTimeout(resolve, 5));
  log(trail, "after-timer");
  await Promise.all([1, 2].map(async (n) => { await null; log(trail, `branch${n}`); }));
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const id = new URL(request.url).searchParams.get("id") ?? "anon";
    const trail: string[] = [];
    await requestContext.run({ id }, () => work(env, trail));
    log(trail, "outside");
    return Response.json(trail);
  },
};
