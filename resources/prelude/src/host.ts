// The bridge between a script and the Python host. One crossing = one call of
// invoke() or resume() from Python; each returns a JSON State. Async host work
// (KV, fetch) is requested with hostCall(): the op is queued in `outbox`,
// shipped to Python with the State, and settled by the next resume().
// Timers are owned here: the State tells Python when the next one is due.
//
// Python-facing entry points live on globalThis.__isoplay (non-enumerable).

import { now } from "./clock";
import { setAllocationLimit } from "./memory";
import { type TapeEntry, hostNow, setTape, takeDivergence, takeTape, tapeMode } from "./tape";
import { bundledWasm, compileBundledWasm } from "./wasm";
import { takeHostInput } from "./chunks";

declare const __drain: () => void; // V8 microtask checkpoint, handed to the prelude wrapper by runtime/engine.py (private)

export type Op = [id: number, op: string, args: unknown];
export type Settle = [id: number, ok: boolean, value: unknown];
export type LogEntry = [level: string, timeMs: number, message: string];
export interface ErrorInfo { name: string; message: string; stack: string }
export type Outcome =
  | { ok: true; response?: SerializedResponse; value?: unknown }
  | { ok: false; error: ErrorInfo; kind?: string };
export interface SerializedBody { text?: string; b64?: string }
export interface SerializedResponse {
  status: number; statusText: string; headers: [string, string][]; body: SerializedBody | null;
  /** A body stream the host pumps chunk by chunk (never serialised itself). */
  stream?: { getReader(): StreamReader };
  /** The stream's byte length when known (FixedLengthStream): sent as Content-Length. */
  length?: number;
  /** A 101 response: the host id of the WebSocket the front upgrades to. */
  webSocket?: number;
}
interface StreamReader { read(): Promise<{ done: boolean; value?: unknown }>; cancel(reason?: unknown): Promise<void> }
export interface State {
  done: Outcome | null; ops: Op[]; logs: LogEntry[]; wake: number | null;
  /** A streamed response's status and headers, once, when its body is still being written at the end of a crossing. */
  head?: { status: number; statusText: string; headers: [string, string][]; length?: number };
  /** Body chunks produced since the last crossing (after `head`). */
  chunks?: SerializedBody[];
  /** The streamed body is complete (after the chunks). */
  end?: boolean;
  /** The body pump is paused until the host has room for more: cross again with resume() then. */
  pull?: boolean;
  /** One-way messages to the host (WebSocket frames the script sent): never dropped. */
  emit?: unknown[];
  /** Record mode: the clock readings and random values this crossing took (tape.ts). */
  tape?: TapeEntry[];
  /** Replay mode: the code asked for something the recording does not have. */
  divergence?: { what: string; stack: string };
}

const outbox: Op[] = [];
const logs: LogEntry[] = [];
const emits: unknown[] = []; // one-way messages to the host (WebSocket sends): kept even when the invocation ends
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextOpId = 1;

const background = new Set<number>(); // ops that do not keep a socket invocation alive (ws.recv)

/** Like hostCall, for a wait that may never end (an outbound socket's next frame): a
 * "socket" invocation does not wait for it to settle. */
export function hostCallBackground<T = unknown>(op: string, args: unknown): Promise<T> {
  background.add(nextOpId);
  return hostCall<T>(op, args);
}

/** Ask the host for async work; the promise settles on a later resume(). */
export function hostCall<T = unknown>(op: string, args: unknown): Promise<T> {
  const id = nextOpId++;
  // replaying: the host names where an op the recording does not have was asked for
  outbox.push(tapeMode === 2 ? [id, op, args, String(new Error().stack ?? "")] as unknown as Op : [id, op, args]);
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
  });
}

const RETHROWN: readonly ErrorConstructor[] = [Error, TypeError, RangeError, SyntaxError, ReferenceError];

/** Like hostCall, but a failure is thrown again from here: made after the await, the new error's stack
 * runs through the caller's awaiting frames (V8's async stack traces), so an uncaught KV or D1 error points
 * at the script's own line, as an error it threw itself does. */
export async function hostAsk<T = unknown>(op: string, args: unknown): Promise<T> {
  try {
    return await hostCall<T>(op, args);
  } catch (e) {
    const ctor = e instanceof Error ? RETHROWN.find((c) => e.constructor === c) : undefined;
    if (ctor === undefined) throw e;
    const err = e as Error;
    const copy = new ctor(err.message);
    if (copy.name !== err.name) copy.name = err.name; // e.g. StoreUnavailableError
    throw copy;
  }
}

/** Send the host a one-way message (a WebSocket frame); it leaves with the next State, never dropped. */
export function hostEmit(item: unknown): void { emits.push(item); }

/** A "socket" invocation delivers one network event to a WebSocket (web/websocket.ts). */
export interface SocketSpec { socket: number; type: string; data?: { text: string } | { b64: string }; code?: number; reason?: string }
let socketDispatch: (spec: SocketSpec) => void = () => {};
export function registerSocketDispatch(fn: (spec: SocketSpec) => void): void { socketDispatch = fn; }

/** Record a console line for the current invocation. */
export function pushLog(level: string, message: string): void {
  logs.push([level, now(), message]);
}

// ---- timers -------------------------------------------------------------
interface Timer { id: number; at: number; fn: (...a: unknown[]) => void; args: unknown[]; every: number | null }
const timers = new Map<number, Timer>();
let nextTimerId = 1;

export function setTimer(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
  if (typeof fn !== "function") throw new TypeError("The callback provided as parameter 1 is not a function.");
  const delay = Math.max(0, Number(ms) || 0);
  const id = nextTimerId++;
  timers.set(id, { id, at: now() + delay, fn: fn as (...a: unknown[]) => void, args, every: repeat ? Math.max(1, delay) : null });
  return id;
}
export function clearTimer(id: unknown): void { timers.delete(Number(id)); }

function runDueTimers(): boolean {
  if (timers.size === 0) return false;
  const t0 = now();
  const due = [...timers.values()].filter((t) => t.at <= t0).sort((a, b) => a.at - b.at || a.id - b.id);
  for (const t of due) {
    if (!timers.has(t.id)) continue; // cleared by an earlier callback
    if (t.every === null) timers.delete(t.id); else t.at = t0 + t.every;
    try { t.fn(...t.args); } catch (e) { reportUncaught(e); }
    __drain();
  }
  return due.length > 0;
}

function nextWake(): number | null {
  let at = Infinity;
  for (const t of timers.values()) at = Math.min(at, t.at);
  return at === Infinity ? null : Math.max(0, at - now());
}

// ---- streamed response bodies ---------------------------------------------
// A Response whose body is a stream still open when a crossing ends reaches the
// host as `head`, then `chunks` on later crossings, then `end`. The pump reads
// the stream inside the isolate; once PUMP_HIGH_WATER bytes wait for the host it
// pauses, and the host resumes it (a resume() crossing) when its client has taken
// them: that is the backpressure from the socket to the script's writer. A stream
// that finishes within the first crossing is folded into an ordinary response.
const PUMP_HIGH_WATER = 256 * 1024;

interface Pump {
  head: NonNullable<State["head"]>;
  reader: StreamReader | null;
  buf: Uint8Array[]; size: number;
  paused: (() => void) | null;
  headSent: boolean; finished: boolean; cancelled: boolean;
  error: ErrorInfo | null;
}

let serializeBody: (b: Uint8Array) => SerializedBody = () => { throw new Error("no body serialiser registered"); };
class DOMExceptionLike extends Error {
  constructor(message: string, override readonly name: string) { super(message); }
}

function startPump(a: Active, response: SerializedResponse): void {
  const head: Pump["head"] = { status: response.status, statusText: response.statusText, headers: response.headers };
  if (response.length !== undefined) head.length = response.length;
  const p: Pump = { head, reader: null, buf: [], size: 0, paused: null, headSent: false, finished: false, cancelled: false, error: null };
  a.pump = p;
  const finish = (): void => {
    p.finished = true;
    if (!p.headSent) {
      if (p.error) { a.outcome = { ok: false, error: p.error }; }
      else {
        const whole = concat(p.buf);
        p.buf = []; p.size = 0;
        a.outcome = { ok: true, response: { ...head, body: whole.length ? serializeBody(whole) : null } };
      }
    } else {
      a.outcome = p.error && !p.cancelled ? { ok: false, error: p.error, kind: "stream" } : { ok: true };
    }
    a.handlerDone = true;
  };
  (async () => {
    const reader = p.reader = response.stream!.getReader();
    for (;;) {
      if (p.size >= PUMP_HIGH_WATER) await new Promise<void>((resolve) => { p.paused = resolve; });
      if (p.cancelled) return;
      const r = await reader.read();
      if (r.done || p.cancelled) return;
      const v = typeof r.value === "string" ? utf8Bytes(r.value) : viewBytes(r.value);
      if (v === null) throw new TypeError("A response body stream chunk is not a Uint8Array, ArrayBuffer or string");
      if (v.length) { p.buf.push(v); p.size += v.length; }
    }
  })().then(finish, (e) => {
    p.error = errorInfo(e);
    pushLog("error", `Uncaught (in response body stream) ${p.error.stack || p.error.name + ": " + p.error.message}`);
    void p.reader?.cancel(e).catch(() => undefined);
    finish();
  });
}

function streamPart(p: Pump, state: State): void {
  if (!p.headSent) {
    if (p.finished) return; // folded into the outcome
    state.head = p.head;
    p.headSent = true;
  }
  if (p.buf.length) {
    state.chunks = p.buf.splice(0).map((c) => serializeBody(c));
    p.size = 0;
  }
  if (p.finished) state.end = !p.error || p.cancelled;
  else if (p.paused) state.pull = true;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

function viewBytes(v: unknown): Uint8Array | null {
  if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);
  return null;
}
let utf8Bytes: (s: string) => Uint8Array = () => { throw new Error("no UTF-8 encoder registered"); };

// ---- invocations --------------------------------------------------------
export interface InvokeSpec {
  kind: "fetch" | "scheduled" | "event" | "run" | "socket";
  socket?: SocketSpec;
  request?: { method: string; url: string; headers: [string, string][]; body: SerializedBody | null; cf?: Record<string, unknown> };
  cron?: string; scheduledTime?: number;
  name?: string; payload?: unknown; input?: unknown;
}

let handlers: Record<string, unknown> | null = null;
let loadError: ErrorInfo | null = null;
let env: Record<string, unknown> = {};
const bindingFactories: Record<string, (name: string, options: unknown) => unknown> = {};

interface Active {
  handlerDone: boolean; waitUntil: Promise<unknown>[]; waitSettled: number; outcome: Outcome | null;
  uncaught: ErrorInfo | null; finished: Outcome | null; pump: Pump | null; quiesce?: boolean;
}
let active: Active | null = null;

/** The env object of this isolate (what `cloudflare:workers` exports as `env`). */
export function currentEnv(): Record<string, unknown> { return env; }

let moduleHook: ((mod: unknown) => Record<string, unknown> | null) | null = null;
/** workers.ts turns the module (class entry points, service-worker listeners, top-level await) into handlers. */
export function registerModuleHook(hook: (mod: unknown) => Record<string, unknown> | null): void { moduleHook = hook; }

/** Let a module (kv.ts, ...) turn a binding declared in the manifest into an env value. */
export function registerBinding(kind: string, factory: (name: string, options: unknown) => unknown): void {
  bindingFactories[kind] = factory;
}

export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: String(e.stack ?? "") };
  let message: string;
  try { message = typeof e === "string" ? e : JSON.stringify(e) ?? String(e); } catch { message = String(e); }
  return { name: "Error", message: `Uncaught ${message}`, stack: "" };
}

function reportUncaught(e: unknown): void {
  const info = errorInfo(e);
  pushLog("error", `Uncaught ${info.stack || info.name + ": " + info.message}`);
  if (active && !active.uncaught) active.uncaught = info;
}

let serializeResponse: (r: unknown) => SerializedResponse = () => {
  throw new Error("no Response implementation registered");
};
let buildRequest: (spec: NonNullable<InvokeSpec["request"]>) => unknown = () => {
  throw new Error("no Request implementation registered");
};
let isResponse: (v: unknown) => boolean = () => false;

/** The web module installs how Requests are made and Responses are read. */
export function registerHttp(impl: {
  buildRequest: typeof buildRequest; serializeResponse: typeof serializeResponse; isResponse: typeof isResponse;
  serializeBody: typeof serializeBody; utf8Encode: typeof utf8Bytes;
}): void {
  buildRequest = impl.buildRequest; serializeResponse = impl.serializeResponse; isResponse = impl.isResponse;
  serializeBody = impl.serializeBody; utf8Bytes = impl.utf8Encode;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

function start(spec: InvokeSpec): void {
  const a: Active = { handlerDone: false, waitUntil: [], waitSettled: 0, outcome: null, uncaught: null, finished: null, pump: null };
  active = a;
  const fail = (e: unknown, kind?: string) => { a.outcome = { ok: false, error: errorInfo(e), kind }; a.handlerDone = true; };
  if (loadError) { a.outcome = { ok: false, error: loadError, kind: "load" }; a.handlerDone = true; return; }
  if (spec.kind === "socket") {
    // Listeners may be async (await KV, fetch): the invocation lasts until no host op
    // they started is pending (collect()), under the same timeout_ms.
    try { socketDispatch(spec.socket!); } catch (e) { reportUncaught(e); }
    a.outcome = { ok: true, value: null }; a.handlerDone = true; a.quiesce = true;
    return;
  }
  const fn = handlers?.[spec.kind];
  if (typeof fn !== "function") {
    const msg = handlers === null
      ? "the script has no default export; export default { async fetch(request, env, ctx) { ... } }"
      : `the script's default export has no ${spec.kind}() handler`;
    fail(new TypeError(msg), "contract");
    return;
  }
  const ctx = {
    waitUntil(p: unknown) {
      const pr = Promise.resolve(p);
      a.waitUntil.push(pr);
      pr.then(() => { a.waitSettled++; }, (e) => { a.waitSettled++; reportUncaught(e); });
    },
    passThroughOnException() {},
  };
  let arg: unknown;
  try {
    if (spec.kind === "fetch") arg = buildRequest(spec.request!);
    else if (spec.kind === "scheduled") arg = { type: "scheduled", cron: spec.cron ?? "", scheduledTime: spec.scheduledTime ?? now(), noRetry() {} };
    else if (spec.kind === "event") arg = { type: "event", name: spec.name ?? "", payload: spec.payload };
    else arg = spec.input;
  } catch (e) { fail(e); return; }
  let ret: unknown;
  try { ret = (fn as (...args: unknown[]) => unknown).call(handlers, arg, env, ctx); } catch (e) { fail(e); return; }
  Promise.resolve(ret).then(async (value) => {
    if (spec.kind === "fetch") {
      if (!isResponse(value)) {
        fail(new TypeError(`fetch() handler returned ${describe(value)}; expected a Response (or a Promise of one)`), "contract");
        return;
      }
      const response = serializeResponse(value);
      if (response.stream !== undefined) { startPump(a, response); return; }
      a.outcome = { ok: true, response };
    } else {
      a.outcome = { ok: true, value: value === undefined ? null : value };
    }
    a.handlerDone = true;
  }).catch((e) => fail(e));
}

function collect(): string {
  let done: Outcome | null = null;
  const a = active;
  if (a && a.handlerDone && a.waitSettled === a.waitUntil.length && (!a.quiesce || pending.size <= background.size)) {
    done = a.outcome;
    if (done && done.ok && a.uncaught === null) {
      // ok; fall through
    }
    active = null;
    pending.clear(); // ops of a finished invocation are dropped
    background.clear();
  }
  let state: State = { done, ops: outbox.splice(0), logs: logs.splice(0), wake: done ? null : nextWake() };
  if (a && a.pump) streamPart(a.pump, state);
  if (done) { timers.clear(); state.wake = null; state.ops = []; }
  if (emits.length) state.emit = emits.splice(0);
  if (tapeMode !== 0) tapeOut(state);
  try {
    return JSON.stringify(state);
  } catch (e) {
    // a run() result that cannot be serialised
    state = { done: { ok: false, error: errorInfo(new TypeError(`the handler's result cannot be serialised: ${(e as Error).message}`)), kind: "contract" }, ops: [], logs: state.logs, wake: null };
    return JSON.stringify(state);
  }
}

function tapeOut(state: State): void {
  if (tapeMode === 1) {
    const t = takeTape();
    if (t) state.tape = t;
  } else {
    const d = takeDivergence();
    if (d) state.divergence = d;
  }
}

function settleLoop(): void {
  __drain();
  for (let i = 0; i < 1000 && runDueTimers(); i++) { /* keep firing zero-delay timers */ }
}

function invoke(spec: InvokeSpec): string {
  start(spec);
  settleLoop();
  return collect();
}

// ---- batches ----------------------------------------------------------------
// Under load the host hands several queued invocations to one crossing. They run
// one after another (one invocation at a time per isolate, as always); the batch
// stops after an invocation that waits on host work or a timer (Python drives it
// with resume()), or once `budgetMs` has passed, and returns the States of the
// invocations it started. Invocations it did not start go back to the queue.
// `batchDone` keeps the finished States so that, if the watchdog terminates a
// runaway invocation mid-batch, takeBatch() still hands back the earlier ones.
let batchDone: string[] = [];

function invokeBatch(specsJson: string | null, budgetMs: number, tape = 0): string {
  // specsJson null: the host staged the specs (takeHostInput). tape: 0 nothing taped, 1 record
  // every invocation of the batch, 2 replay (the mode tape() set)
  const specs = JSON.parse(specsJson ?? takeHostInput()) as InvokeSpec[];
  if (tape !== 2 && tape !== tapeMode) setTape(tape, null);
  const started = hostNow();
  batchDone = [];
  for (let i = 0; i < specs.length; i++) {
    if (i > 0 && hostNow() - started >= budgetMs) break;
    start(specs[i]);
    settleLoop();
    const finished = active === null || (active.handlerDone && active.waitSettled === active.waitUntil.length);
    batchDone.push(collect());
    if (!finished) break;
  }
  return takeBatch();
}

function takeBatch(): string {
  const out = "[" + batchDone.join(",") + "]";
  batchDone = [];
  return out;
}

function resume(given: Settle[] | null, feed?: TapeEntry[], tolerant?: boolean): string {
  const settles = given ?? (JSON.parse(takeHostInput()) as Settle[]); // null: the host staged them
  if (feed !== undefined) setTape(2, feed, tolerant);
  const paused = active?.pump?.paused;
  if (paused) { active!.pump!.paused = null; paused(); }
  for (const [id, ok, value] of settles) {
    const p = pending.get(id);
    if (!p) continue;
    pending.delete(id);
    background.delete(id);
    if (ok) p.resolve(value);
    else {
      const v = value as { name?: string; message?: string };
      const ctor = (globalThis as Record<string, unknown>)[v?.name ?? "Error"];
      const err = typeof ctor === "function" ? new (ctor as ErrorConstructor)(v?.message ?? String(value)) : new Error(v?.message ?? String(value));
      if (typeof ctor !== "function" && typeof v?.name === "string") err.name = v.name; // e.g. StoreUnavailableError
      p.reject(err);
    }
  }
  settleLoop();
  return collect();
}

/** The client went away: cancel the response body stream (the invocation goes on with its waitUntil work). */
function cancelBody(): string {
  const p = active?.pump;
  if (p && !p.finished) {
    p.cancelled = true;
    p.buf = []; p.size = 0;
    void p.reader?.cancel(new DOMExceptionLike("The client disconnected", "AbortError")).catch(() => undefined);
    const paused = p.paused;
    if (paused) { p.paused = null; paused(); }
  }
  settleLoop();
  return collect();
}

function abort(): string {
  active = null; pending.clear(); background.clear(); timers.clear(); outbox.length = 0;
  const out: { logs: LogEntry[]; tape?: TapeEntry[] } = { logs: logs.splice(0) };
  if (tapeMode === 1) { const t = takeTape(); if (t) out.tape = t; }
  return JSON.stringify(out);
}

let setupDone = false;

function setup(config: {
  vars: Record<string, string>; bindings: [kind: string, name: string, options: unknown][];
  wasm?: Record<string, string>; memoryLimit?: number;
}): void {
  // Once per isolate, by the host, before the script's code: a script calling it again
  // (it can reach __isoplay) must not raise its own allocation limit or swap its env.
  if (setupDone) throw new Error("__isoplay.setup() runs once, by the host");
  setupDone = true;
  if (config.memoryLimit) setAllocationLimit(config.memoryLimit);
  // `wasm`: the bundle's own .wasm files (name -> base64). They compile only because the host
  // evaluates setup() inside V8Isolate.compiling_bundled_wasm(), before any script code runs.
  if (config.wasm) compileBundledWasm(config.wasm);
  const e: Record<string, unknown> = { ...config.vars };
  for (const [kind, name, options] of config.bindings) {
    const factory = bindingFactories[kind];
    if (!factory) throw new Error(`no binding kind ${kind}`);
    e[name] = factory(name, options);
  }
  env = e;
}

function load(mod: unknown): string {
  __drain(); // the top level's own microtasks run inside this crossing (and a runaway one inside its time limit)
  if (moduleHook) {
    try { handlers = moduleHook(mod); } catch (e) { return loadFailed(e); }
    return collect();
  }
  const m = mod as { default?: unknown } | undefined;
  const d = m?.default;
  handlers = d && typeof d === "object" ? (d as Record<string, unknown>) : null;
  if (typeof d === "function") handlers = { fetch: d } as Record<string, unknown>;
  return collect();
}

function loadFailed(e: unknown): string {
  loadError = errorInfo(e);
  return JSON.stringify({ error: loadError, logs: logs.splice(0) });
}

// ---- entropy ---------------------------------------------------------------------
// The host seeds each isolate's CSPRNG at creation (runtime/webapi/crypto_entropy.py);
// web/crypto/random.ts registers where the bytes go. The one way random bytes enter.
let entropySink: ((b64: string) => void) | null = null;
export function registerEntropy(sink: (b64: string) => void): void { entropySink = sink; }
function entropy(b64: string): void {
  if (!entropySink) throw new Error("no entropy sink registered");
  entropySink(b64);
}

Object.defineProperty(globalThis, "__isoplay", {
  value: Object.freeze({ setup, load, loadFailed, invoke, invokeBatch, takeBatch, resume, cancelBody, abort, entropy, wasm: bundledWasm, tape: setTape }),
  enumerable: false, writable: false, configurable: false,
});
