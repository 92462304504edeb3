// Cloudflare Workers module shapes beyond `export default { fetch }`:
// - service-worker syntax: addEventListener("fetch", e => e.respondWith(...)) and "scheduled";
// - `export default class extends WorkerEntrypoint` (a new instance per invocation, as workerd does);
// - the `cloudflare:workers` module (env, WorkerEntrypoint, waitUntil), which the bundler aliases
//   to resources/compat/cloudflare-workers.js, reading the frozen global __isoplay_workers;
// - a module whose top-level await settles while the script loads (bundles with top-level await
//   evaluate to a Promise of the module; Workers forbid I/O and timers at the top level);
// - explaining stubs for bindings isoplay lacks (a D1 database, an R2 bucket ...).
// host.ts calls moduleHandlers() through registerModuleHook(); nothing here is privileged.
import { currentEnv, registerBinding, registerModuleHook } from "./host";

declare const __drain: () => void;

type Fn = (...args: unknown[]) => unknown;
type Ctx = { waitUntil(p: unknown): void; passThroughOnException(): void };

// ---- service-worker syntax ---------------------------------------------------
const listeners = new Map<string, Fn[]>();

function addEventListener(type: unknown, listener: unknown): void {
  if (typeof listener !== "function") {
    if (listener && typeof (listener as { handleEvent?: unknown }).handleEvent === "function") {
      const obj = listener as { handleEvent: Fn };
      listener = (e: unknown) => obj.handleEvent(e);
    } else throw new TypeError("addEventListener: the listener must be a function");
  }
  const list = listeners.get(String(type)) ?? [];
  list.push(listener as Fn);
  listeners.set(String(type), list);
}

function removeEventListener(type: unknown, listener: unknown): void {
  const list = listeners.get(String(type));
  if (!list) return;
  const i = list.indexOf(listener as Fn);
  if (i >= 0) list.splice(i, 1);
}

class ExtendableEvent {
  readonly type: string;
  readonly #ctx: Ctx;
  constructor(type: string, ctx: Ctx) { this.type = type; this.#ctx = ctx; }
  waitUntil(promise: unknown): void { this.#ctx.waitUntil(promise); }
}

class FetchEvent extends ExtendableEvent {
  readonly request: unknown;
  #response: unknown = undefined;
  #responded = false;
  constructor(request: unknown, ctx: Ctx) { super("fetch", ctx); this.request = request; }
  respondWith(response: unknown): void {
    if (this.#responded) throw new Error("FetchEvent.respondWith() was already called for this request");
    this.#responded = true;
    this.#response = response;
  }
  passThroughOnException(): void {}
  get responded(): boolean { return this.#responded; }
  get response(): unknown { return this.#response; }
}

class ScheduledEvent extends ExtendableEvent {
  readonly cron: string;
  readonly scheduledTime: number;
  constructor(controller: { cron: string; scheduledTime: number }, ctx: Ctx) {
    super("scheduled", ctx);
    this.cron = controller.cron;
    this.scheduledTime = controller.scheduledTime;
  }
  noRetry(): void {}
}

function serviceWorkerHandlers(): Record<string, unknown> | null {
  const fetchers = listeners.get("fetch") ?? [];
  const schedulers = listeners.get("scheduled") ?? [];
  if (fetchers.length === 0 && schedulers.length === 0) return null;
  const out: Record<string, unknown> = {};
  if (fetchers.length) {
    out.fetch = (request: unknown, _env: unknown, ctx: Ctx) => {
      const event = new FetchEvent(request, ctx);
      for (const fn of fetchers) {
        fn.call(globalThis, event);
        if (event.responded) break;
      }
      if (!event.responded) {
        throw new TypeError('no "fetch" event listener called event.respondWith(response)');
      }
      return event.response;
    };
  }
  if (schedulers.length) {
    out.scheduled = (controller: { cron: string; scheduledTime: number }, _env: unknown, ctx: Ctx) => {
      const event = new ScheduledEvent(controller, ctx);
      for (const fn of schedulers) fn.call(globalThis, event);
    };
  }
  return out;
}

// ---- cloudflare:workers --------------------------------------------------------
let currentCtx: Ctx | null = null;

/** Base class of class-based entry points: `export default class extends WorkerEntrypoint`. */
class WorkerEntrypoint {
  ctx: Ctx;
  env: unknown;
  constructor(ctx: Ctx, env: unknown) { this.ctx = ctx; this.env = env; }
}

function unsupportedClass(name: string, what: string): unknown {
  return class {
    constructor() {
      throw new Error(`${name} from "cloudflare:workers" is not supported by isoplay: ${what}`);
    }
  };
}

const envView = new Proxy({}, {
  get: (_t, key) => (currentEnv() as Record<PropertyKey, unknown>)[key],
  has: (_t, key) => key in currentEnv(),
  ownKeys: () => Reflect.ownKeys(currentEnv()),
  getOwnPropertyDescriptor: (_t, key) => {
    const d = Reflect.getOwnPropertyDescriptor(currentEnv(), key);
    return d ? { ...d, configurable: true } : undefined;
  },
  set: () => { throw new TypeError("env from cloudflare:workers is read-only"); },
});

function waitUntil(promise: unknown): void {
  if (!currentCtx) throw new Error("waitUntil() from cloudflare:workers was called outside an invocation");
  currentCtx.waitUntil(promise);
}

Object.defineProperty(globalThis, "__isoplay_workers", {
  value: Object.freeze({
    env: envView,
    waitUntil,
    WorkerEntrypoint,
    DurableObject: unsupportedClass("DurableObject", "Durable Objects are not implemented"),
    WorkflowEntrypoint: unsupportedClass("WorkflowEntrypoint", "Workflows are not implemented"),
    RpcTarget: class RpcTarget {},
  }),
  enumerable: false, writable: false, configurable: false,
});

const g = globalThis as Record<string, unknown>;
// `self` as in workerd (libraries such as lodash-es look for it before trying Function("return this"),
// which code-generation rules forbid); defined here only if the web prelude has not.
if (!("self" in g)) Object.defineProperty(g, "self", { value: globalThis, writable: true, configurable: true, enumerable: false });
for (const [name, value] of Object.entries({ addEventListener, removeEventListener, FetchEvent, ScheduledEvent, ExtendableEvent })) {
  // own properties: the global object's prototype (ServiceWorkerGlobalScope, an EventTarget) has addEventListener too
  if (!Object.prototype.hasOwnProperty.call(g, name)) Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
}

// ---- the module's default export -> handlers --------------------------------
const HANDLERS = ["fetch", "scheduled", "event", "run", "queue", "tail", "email", "test", "trace"];

function isClass(fn: Fn): boolean {
  if (fn.prototype instanceof WorkerEntrypoint) return true;
  try { return /^class[\s{]/.test(Function.prototype.toString.call(fn)); } catch { return false; }
}

function withCtx(fn: Fn, self: unknown): Fn {
  return function (arg: unknown, env: unknown, ctx: unknown) {
    currentCtx = ctx as Ctx;
    return fn.call(self, arg, env, ctx);
  };
}

function classHandlers(cls: new (ctx: Ctx, env: unknown) => Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of HANDLERS) {
    if (typeof cls.prototype?.[name] !== "function") continue;
    out[name] = (arg: unknown, env: unknown, ctx: Ctx) => {
      currentCtx = ctx;
      const instance = new cls(ctx, env);
      return (instance[name] as Fn).call(instance, arg);
    };
  }
  return out;
}

/** Resolve a Promise of the module (top-level await) while the script loads. */
function settleModule(mod: unknown): unknown {
  if (!mod || typeof (mod as { then?: unknown }).then !== "function") return mod;
  let state: "pending" | "ok" | "error" = "pending";
  let value: unknown;
  (mod as Promise<unknown>).then((v) => { state = "ok"; value = v; }, (e) => { state = "error"; value = e; });
  __drain();
  if (state === "error") throw value;
  if (state === "pending") {
    throw new Error("the script's top-level await did not finish while it loaded: Workers allow no I/O " +
      "(fetch, KV) and no timers at the top level; move that work into a handler");
  }
  return value;
}

function moduleHandlers(mod: unknown): Record<string, unknown> | null {
  const m = settleModule(mod) as { default?: unknown } | undefined;
  const d = m?.default;
  if (typeof d === "function" && isClass(d as Fn)) {
    return classHandlers(d as new (ctx: Ctx, env: unknown) => Record<string, unknown>);
  }
  if (typeof d === "function") return { fetch: withCtx(d as Fn, undefined) };
  if (d && typeof d === "object") {
    const out: Record<string, unknown> = {};
    for (const name of new Set([...HANDLERS, ...Object.keys(d)])) {
      const fn = (d as Record<string, unknown>)[name];
      if (typeof fn === "function") out[name] = withCtx(fn as Fn, d);
    }
    return out;
  }
  return serviceWorkerHandlers();
}

registerModuleHook(moduleHandlers);

// ---- bindings isoplay lacks ------------------------------------------------------
registerBinding("unsupported", (name: string, options: unknown) => {
  const what = String((options as { what?: string } | null)?.what ?? "binding");
  const message = `env.${name} is a ${what} binding, which isoplay does not support yet ` +
    "(it is declared in the wrangler config, so the script loads, but it cannot be used here)";
  return new Proxy(Object.freeze({}), {
    get(_t, key) {
      if (typeof key === "symbol" || key === "then" || key === "toJSON") return undefined;
      throw new Error(message);
    },
    apply() { throw new Error(message); },
  });
});
