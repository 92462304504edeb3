// The `cloudflare:test` module: env, SELF (the project's own worker, called in
// this isolate), execution contexts, scheduled controllers, fetchMock.

export { fetchMock } from "./fetchmock";

export const env: Record<string, unknown> = {};
let envFilled = false;

/** Fill `env` from the first invocation's env (the prelude builds it from the manifest). */
export function fillEnv(from: Record<string, unknown>): void {
  if (envFilled) return;
  Object.assign(env, from);
  envFilled = true;
}

interface Ctx { waitUntil(p: unknown): void; passThroughOnException(): void; props: Record<string, unknown> }
const pendingWork = new WeakMap<object, Promise<unknown>[]>();
/** waitUntil work the worker started through SELF; a test's invocation waits for it before it ends. */
export const backgroundWork: Promise<unknown>[] = [];

export function createExecutionContext(): Ctx {
  const list: Promise<unknown>[] = [];
  const ctx: Ctx = {
    waitUntil(p: unknown) { list.push(Promise.resolve(p)); },
    passThroughOnException() {},
    props: {},
  };
  pendingWork.set(ctx, list);
  return ctx;
}

export async function waitOnExecutionContext(ctx: unknown): Promise<void> {
  const list = pendingWork.get(ctx as object);
  if (!list) throw new TypeError("waitOnExecutionContext() takes a context made by createExecutionContext()");
  for (let done = 0; done < list.length;) {
    const batch = list.slice(done);
    done = list.length;
    await Promise.allSettled(batch);
  }
}

export function createScheduledController(options: { scheduledTime?: number | Date; cron?: string } = {}) {
  const t = options.scheduledTime instanceof Date ? options.scheduledTime.getTime() : options.scheduledTime ?? Date.now();
  return { scheduledTime: t, cron: options.cron ?? "", type: "scheduled", noRetry() {} };
}

type Handlers = Record<string, (...args: unknown[]) => unknown>;

function handlersOf(worker: unknown): Handlers {
  const d = (worker as { default?: unknown } | undefined)?.default;
  if (typeof d === "function") return { fetch: d as Handlers[string] };
  if (d && typeof d === "object") return d as Handlers;
  throw new TypeError("SELF: the project's main module has no default export (export default { fetch(request, env, ctx) {...} })");
}

function handler(worker: unknown, name: string) {
  const h = handlersOf(worker);
  const fn = h[name];
  if (typeof fn !== "function") throw new TypeError(`SELF.${name}(): the worker's default export has no ${name}() handler`);
  return (...args: unknown[]) => fn.apply(h, args);
}

function track(ctx: Ctx): void {
  for (const p of pendingWork.get(ctx) ?? []) backgroundWork.push(p.catch(() => undefined));
}

export function makeSelf(worker: unknown) {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const request = typeof input === "string" || input instanceof URL
        ? new Request(new URL(String(input), "http://localhost/").href, init)
        : new Request(input, init);
      const ctx = createExecutionContext();
      const response = await handler(worker, "fetch")(request, env, ctx);
      track(ctx);
      if (!(response instanceof Response)) {
        throw new TypeError(`SELF.fetch(): the worker's fetch() returned ${response === null ? "null" : typeof response}; expected a Response`);
      }
      return response;
    },
    async scheduled(options: { scheduledTime?: number | Date; cron?: string } = {}) {
      const ctx = createExecutionContext();
      let noRetry = false;
      const controller = { ...createScheduledController(options), noRetry() { noRetry = true; } };
      try {
        await handler(worker, "scheduled")(controller, env, ctx);
        await waitOnExecutionContext(ctx);
        return { outcome: "ok", noRetry };
      } catch (e) {
        // as workerd's Fetcher.scheduled(): a throwing handler resolves with outcome "exception"
        console.error(e instanceof Error ? (e.stack ?? String(e)) : String(e));
        await waitOnExecutionContext(ctx);
        return { outcome: "exception", noRetry };
      }
    },
    async event(name: string, payload?: unknown) {
      const ctx = createExecutionContext();
      const value = await handler(worker, "event")({ type: "event", name, payload }, env, ctx);
      await waitOnExecutionContext(ctx);
      return value;
    },
    async run(input?: unknown) {
      const ctx = createExecutionContext();
      const value = await handler(worker, "run")(input, env, ctx);
      await waitOnExecutionContext(ctx);
      return value;
    },
  };
}
