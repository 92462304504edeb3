// The Workers globals beyond the big Web APIs: self, performance, scheduler,
// navigator, CustomEvent, MessageChannel/MessagePort/MessageEvent, reportError,
// DOMException's legacy code constants.
import { pushLog } from "../host";
import { sinceOrigin, timeOrigin } from "../clock";
import { structuredClone } from "./clone";
import { Event, EventTarget } from "./events";
import { DOMException, tag } from "./util";
import LOCAL_CF from "./cf-local.json";

// ---- CustomEvent / MessageEvent ---------------------------------------------------
export class CustomEvent<T = unknown> extends Event {
  #detail: T | null;
  constructor(type: string, init?: { bubbles?: boolean; cancelable?: boolean; composed?: boolean; detail?: T }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'CustomEvent': 1 argument required, but only 0 present.");
    super(type, init);
    this.#detail = init?.detail === undefined ? null : init.detail;
  }
  get detail(): T | null { return this.#detail; }
}
tag(CustomEvent, "CustomEvent");

export class MessageEvent extends Event {
  readonly #data: unknown;
  readonly #ports: MessagePort[];
  constructor(type: string, init?: { data?: unknown; origin?: string; lastEventId?: string; ports?: MessagePort[] }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'MessageEvent': 1 argument required, but only 0 present.");
    super(type, init as { bubbles?: boolean });
    this.#data = init?.data === undefined ? null : init.data;
    this.#ports = [...(init?.ports ?? [])];
  }
  get data(): unknown { return this.#data; }
  get origin(): string { return ""; }
  get lastEventId(): string { return ""; }
  get source(): null { return null; }
  get ports(): MessagePort[] { return this.#ports; }
}
tag(MessageEvent, "MessageEvent");

export class ErrorEvent extends Event {
  readonly #message: string; readonly #filename: string; readonly #lineno: number; readonly #colno: number; readonly #error: unknown;
  constructor(type: string, init?: { message?: string; filename?: string; lineno?: number; colno?: number; error?: unknown;
    bubbles?: boolean; cancelable?: boolean; composed?: boolean }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'ErrorEvent': 1 argument required, but only 0 present.");
    super(type, init);
    this.#message = init?.message === undefined ? "" : String(init.message);
    this.#filename = init?.filename === undefined ? "" : String(init.filename);
    this.#lineno = (Number(init?.lineno) >>> 0) || 0;
    this.#colno = (Number(init?.colno) >>> 0) || 0;
    this.#error = init?.error;
  }
  get message(): string { return this.#message; }
  get filename(): string { return this.#filename; }
  get lineno(): number { return this.#lineno; }
  get colno(): number { return this.#colno; }
  get error(): unknown { return this.#error; }
}
tag(ErrorEvent, "ErrorEvent");

export class PromiseRejectionEvent extends Event {
  readonly #promise: Promise<unknown>; readonly #reason: unknown;
  constructor(type: string, init: { promise: Promise<unknown>; reason?: unknown; bubbles?: boolean; cancelable?: boolean }) {
    if (arguments.length < 2) throw new TypeError(`Failed to construct 'PromiseRejectionEvent': 2 arguments required, but only ${arguments.length} present.`);
    if (!init || typeof init !== "object" || !("promise" in init)) {
      throw new TypeError("Failed to construct 'PromiseRejectionEvent': required member promise is undefined.");
    }
    super(type, init);
    this.#promise = init.promise;
    this.#reason = init.reason;
  }
  get promise(): Promise<unknown> { return this.#promise; }
  get reason(): unknown { return this.#reason; }
}
tag(PromiseRejectionEvent, "PromiseRejectionEvent");

// ---- MessageChannel -----------------------------------------------------------------
// Messages are structured clones, delivered asynchronously (as a microtask: the
// isolate has one event loop turn per host crossing) once the receiving port is
// started (start(), or setting onmessage); until then they queue.
let makingPort = false;

export class MessagePort extends EventTarget {
  #other: MessagePort | null = null;
  #queue: unknown[] = [];
  #started = false;
  #closed = false;
  #onmessage: ((e: MessageEvent) => unknown) | null = null;
  constructor() {
    if (!makingPort) throw new TypeError("Illegal constructor");
    super();
  }
  static _pair(a: MessagePort, b: MessagePort): void { a.#other = b; b.#other = a; }
  postMessage(message: unknown, transfer?: unknown): void {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'postMessage' on 'MessagePort': 1 argument required, but only 0 present.");
    const list = Array.isArray(transfer) ? transfer : (transfer as { transfer?: unknown[] } | undefined)?.transfer;
    const data = structuredClone(message, list ? { transfer: list } : undefined);
    const to = this.#other;
    if (this.#closed || !to || to.#closed) return;
    to.#queue.push(data);
    to.#flush();
  }
  start(): void { if (!this.#started) { this.#started = true; this.#flush(); } }
  close(): void {
    this.#closed = true; this.#queue = [];
    if (this.#other) { this.#other.#other = null; this.#other = null; }
  }
  get onmessage(): ((e: MessageEvent) => unknown) | null { return this.#onmessage; }
  set onmessage(fn: ((e: MessageEvent) => unknown) | null) {
    if (this.#onmessage) this.removeEventListener("message", this.#onmessage as (e: Event) => unknown);
    this.#onmessage = typeof fn === "function" ? fn : null;
    if (this.#onmessage) { this.addEventListener("message", this.#onmessage as (e: Event) => unknown); this.start(); }
  }
  #flush(): void {
    if (!this.#started || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0);
    Promise.resolve().then(() => {
      for (const data of batch) if (!this.#closed) this.dispatchEvent(new MessageEvent("message", { data }));
    });
  }
}
tag(MessagePort, "MessagePort");

export class MessageChannel {
  readonly #port1: MessagePort;
  readonly #port2: MessagePort;
  constructor() {
    makingPort = true;
    try { this.#port1 = new MessagePort(); this.#port2 = new MessagePort(); } finally { makingPort = false; }
    MessagePort._pair(this.#port1, this.#port2);
  }
  get port1(): MessagePort { return this.#port1; }
  get port2(): MessagePort { return this.#port2; }
}
tag(MessageChannel, "MessageChannel");

// ---- performance, scheduler, navigator ----------------------------------------------
let makingPerformance = false;
export class Performance extends EventTarget {
  constructor() {
    if (!makingPerformance) throw new TypeError("Illegal constructor");
    super();
  }
  get timeOrigin(): number { return timeOrigin; }
  now(): number { return sinceOrigin(); }
  toJSON(): { timeOrigin: number } { return { timeOrigin }; }
}
tag(Performance, "Performance");

export function makePerformance(): Performance {
  makingPerformance = true;
  try { return new Performance(); } finally { makingPerformance = false; }
}

export class Scheduler {
  /** Workers' scheduler.wait(ms, { signal }): a promise that resolves after ms. */
  wait(delay?: number, options?: { signal?: { aborted: boolean; reason: unknown; addEventListener(t: string, f: () => void, o?: unknown): void } }): Promise<void> {
    const ms = Math.max(0, Number(delay) || 0);
    const signal = options?.signal;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason); return; }
      const g = globalThis as unknown as { setTimeout(f: () => void, ms: number): unknown; clearTimeout(id: unknown): void };
      const id = g.setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => { g.clearTimeout(id); reject(signal.reason); }, { once: true });
    });
  }
}
tag(Scheduler, "Scheduler");

export class Navigator {
  get userAgent(): string { return "Cloudflare-Workers"; }
  get hardwareConcurrency(): number { return 1; }
  get language(): string { return "en"; }
  get languages(): string[] { return ["en"]; }
}
tag(Navigator, "Navigator");

// ---- reportError, DOMException constants ------------------------------------------------

/** Report an exception as uncaught without throwing it (logged as the isolate's uncaught errors are). */
export function reportError(e: unknown): void {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'reportError': 1 argument required, but only 0 present.");
  const err = e as { stack?: unknown; name?: unknown; message?: unknown } | null;
  const text = err && typeof err.stack === "string" ? err.stack : err && typeof err === "object" ? `${String(err.name)}: ${String(err.message)}` : String(e);
  pushLog("error", `Uncaught ${text}`);
}

const LEGACY_CODES: [string, number][] = [
  ["INDEX_SIZE_ERR", 1], ["DOMSTRING_SIZE_ERR", 2], ["HIERARCHY_REQUEST_ERR", 3], ["WRONG_DOCUMENT_ERR", 4],
  ["INVALID_CHARACTER_ERR", 5], ["NO_DATA_ALLOWED_ERR", 6], ["NO_MODIFICATION_ALLOWED_ERR", 7], ["NOT_FOUND_ERR", 8],
  ["NOT_SUPPORTED_ERR", 9], ["INUSE_ATTRIBUTE_ERR", 10], ["INVALID_STATE_ERR", 11], ["SYNTAX_ERR", 12],
  ["INVALID_MODIFICATION_ERR", 13], ["NAMESPACE_ERR", 14], ["INVALID_ACCESS_ERR", 15], ["VALIDATION_ERR", 16],
  ["TYPE_MISMATCH_ERR", 17], ["SECURITY_ERR", 18], ["NETWORK_ERR", 19], ["ABORT_ERR", 20], ["URL_MISMATCH_ERR", 21],
  ["QUOTA_EXCEEDED_ERR", 22], ["TIMEOUT_ERR", 23], ["INVALID_NODE_TYPE_ERR", 24], ["DATA_CLONE_ERR", 25],
];

/** Give DOMException (constructor and prototype) its legacy code constants, as WebIDL constants. */
export function addDomExceptionConstants(): void {
  const descriptors: PropertyDescriptorMap = {};
  for (const [name, code] of LEGACY_CODES) descriptors[name] = { value: code, writable: false, enumerable: true, configurable: false };
  Object.defineProperties(DOMException, descriptors);
  Object.defineProperties(DOMException.prototype, descriptors);
}

// ---- WorkerGlobalScope / ServiceWorkerGlobalScope ---------------------------------------
/** The global object's interfaces, as in workerd: `globalThis instanceof ServiceWorkerGlobalScope`
 * holds, and neither can be constructed by a script. */
export class WorkerGlobalScope extends EventTarget {
  constructor() { super(); throw new TypeError("Illegal constructor"); }
}
export class ServiceWorkerGlobalScope extends WorkerGlobalScope {}
tag(WorkerGlobalScope, "WorkerGlobalScope");
tag(ServiceWorkerGlobalScope, "ServiceWorkerGlobalScope");

/** Put ServiceWorkerGlobalScope.prototype under the global object (its own properties stay first). */
export function installGlobalScope(): void {
  Object.setPrototypeOf(globalThis, ServiceWorkerGlobalScope.prototype);
}

// ---- request.cf --------------------------------------------------------------------------
/** What `request.cf` holds for a local request: plausible values as `wrangler dev`
 * gives (a fixed Cloudflare location; web/cf-local.json, which the IDE's simulator shows
 * too), overridden field by field by the trigger's `cf`. A fresh copy per request. */
export function localCf(overrides: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...(JSON.parse(JSON.stringify(LOCAL_CF)) as Record<string, unknown>), ...(overrides ?? {}) };
}
