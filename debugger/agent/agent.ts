// The in-isolate half of the debugger. Loaded before the prelude into a debug
// isolate; the instrumented bundle calls the $__d* globals defined here.
// Python talks to it only through one SharedArrayBuffer (see debugger/mailbox.py).

type Desc = { t: string; v: string; h?: number; c?: string };
/** The paused frame as its probe captured it; ``changed`` holds the indexes an evaluation assigned. */
type Frame = {
  probe: number; self: unknown; vals: unknown[] | null; file: number;
  scope?: object; changed?: Set<number>;
};
/** Reads (``w`` unset) or assigns variable ``i`` of one scope instance; -1 reads ``this``. */
type Accessor = (i: number, w?: number, v?: unknown) => unknown;
/**
 * A shadow record: one per running call of a function that makes calls (see instrument.py).
 * f: the function's region id; p: the caller's record; s: what ``$__dS.c`` goes back to when the
 * function suspends or returns; a (and b<region>): accessors; y: suspended at an await (1) or yield (2).
 */
type Rec = { f: number; p: Rec | null; s: Rec | null; a: Accessor | undefined; y: number };
/** What an outer-frame command says about the frame (computed by debugger/frames.py). */
type OuterCmd = {
  rec: number; acc: string | null; file: number; this: number;
  vars: [name: string, index: number, local: number, writable: number][];
};
type Target = { self: unknown; scope: () => object };
type Layout = {
  size: number; ring: number; ringSize: number; cmd: number; cmdSize: number; bp: number; bpSize: number;
  effective: number; canonical: number; probes: number; posMask: number;
};
type ProbeRow = [fileIndex: number, names: string[], localsCount: number, kind: string, writable: string];
type BpRow = [id: number, condition: string | null, hitCount: number | null, logMessage: string | null];
type Config = {
  layout: Layout; probes: (ProbeRow | null)[]; scriptUrl: string; evalTimeoutMs: number;
  regions: number; recordLimit: number;
  /** A replayed invocation (runtime/replay): every probe is armed and counted, so the session can
   * run it again from the start to an earlier count (Step Back, Reverse Continue). */
  history?: boolean;
  /** Run silently to this probe count, then pause there (0: no seek). */
  seek?: number;
};

const H_EVT_WRITE = 0, H_EVT_READ = 1, H_CMD_SEQ = 2, H_CMD_LEN = 3, H_CMD_ACK = 4, H_PAUSE_REQ = 5;
const H_BP_VERSION = 6, H_BP_LEN = 7;
const MAX_CHILDREN = 100, MAX_STRING = 1000, PREVIEW_ITEMS = 8;
/** A long string expands into rows of this many characters, up to TEXT_ROWS rows (200 kB). */
const TEXT_CHUNK = 200, TEXT_ROWS = 1000;
const g = globalThis as any;
const agentNow = Date.now; // captured before the prelude loads: a replay's taped clock is never read here

let cfg: Config;
let H: Int32Array;
let bytes: Uint8Array;
let view: DataView;
let canon: Uint8Array;
const modules: Record<number, Record<string, () => unknown>> = {};
const moduleSetters: Record<number, Record<string, (v: unknown) => unknown>> = {};
/** The shadow call chain: ``c`` is the record of the innermost running user call. */
const S: { c: Rec | null } = { c: null };
let pauseChain: Rec[] = [];
let paused = false;
let evalDepth = 0;
let evalDeadline = 0;
let step: { mode: string; depth: number } | null = null;
let lastCmd = 0;
let handles = new Map<number, unknown>();
let nextHandle = 1;
let bpVersion = -1;
let bpTable: Record<string, BpRow[]> = {};
const hits = new Map<number, number>();
/** History mode: statements executed so far, and the probe of each (``trail[n]`` for count n). */
let count = 0;
let trail = new Int32Array(1024);
let seek = 0;
const condErrors = new Set<string>();
const captures = new WeakMap<object, Capture>();
let lastPrimitive: { err: unknown; cap: Capture } | null = null;
const reported = new WeakSet<object>();
type Capture = { frame: Frame; stack: RawFrame[]; chain: Rec[] };
type RawFrame = [fn: string, line: number, col: number, isAsync: boolean];

// ---- UTF-8 and the event ring ------------------------------------------------
function utf8(text: string): string {
  return unescape(encodeURIComponent(text));
}

function fromUtf8(start: number, len: number): string {
  let s = "";
  for (let i = 0; i < len; i += 8192) {
    s += String.fromCharCode.apply(null, Array.from(bytes.subarray(start + i, start + Math.min(len, i + 8192))));
  }
  return decodeURIComponent(escape(s));
}

function emit(obj: object): void {
  let data = utf8(JSON.stringify(obj));
  const L = cfg.layout;
  if (data.length + 8 > L.ringSize / 2) data = utf8(JSON.stringify({ k: "output", level: "error", text: "debugger: event too large" }));
  const need = 4 + ((data.length + 3) & ~3);
  let w = 0, at = 0;
  for (;;) {
    w = Atomics.load(H, H_EVT_WRITE);
    const r = Atomics.load(H, H_EVT_READ);
    at = w & (L.ringSize - 1);
    const tail = L.ringSize - at;
    const used = (w - r) & L.posMask;
    if (L.ringSize - used >= need + (tail < need ? tail : 0)) {
      if (tail < need) {
        view.setInt32(L.ring + at, -1, true);
        w = (w + tail) & L.posMask;
        at = 0;
      }
      break;
    }
    Atomics.wait(H, H_EVT_READ, r, 5);
  }
  view.setInt32(L.ring + at, data.length, true);
  const base = L.ring + at + 4;
  for (let i = 0; i < data.length; i++) bytes[base + i] = data.charCodeAt(i);
  Atomics.store(H, H_EVT_WRITE, (w + need) & L.posMask);
}

function nextCommand(): any {
  for (;;) {
    const seq = Atomics.load(H, H_CMD_SEQ);
    if (seq !== lastCmd) {
      const cmd = JSON.parse(fromUtf8(cfg.layout.cmd, Atomics.load(H, H_CMD_LEN)));
      lastCmd = seq;
      Atomics.store(H, H_CMD_ACK, seq);
      return cmd;
    }
    Atomics.wait(H, H_CMD_SEQ, seq, 2);
  }
}

// ---- stacks --------------------------------------------------------------------
function callsites(limit: number): any[] {
  const prep = (Error as any).prepareStackTrace, lim = (Error as any).stackTraceLimit;
  (Error as any).prepareStackTrace = (_e: unknown, cs: unknown) => cs;
  (Error as any).stackTraceLimit = limit;
  const holder: any = {};
  try {
    (Error as any).captureStackTrace(holder, callsites);
    return holder.stack as any[];
  } finally {
    (Error as any).prepareStackTrace = prep;
    (Error as any).stackTraceLimit = lim;
  }
}

function fileOf(cs: any): string {
  return (cs.getScriptNameOrSourceURL?.() ?? cs.getFileName()) || "";
}

function userFrames(limit = 200): RawFrame[] {
  const out: RawFrame[] = [];
  for (const cs of callsites(limit)) {
    if (fileOf(cs) !== cfg.scriptUrl) continue;
    out.push([cs.getFunctionName() ?? "", cs.getLineNumber() ?? 0, cs.getColumnNumber() ?? 0, !!cs.isAsync?.()]);
  }
  return out;
}

/** Whether the user-code stack is at most ``max`` frames deep (cheap when it is much deeper). */
function depthAtMost(max: number): boolean {
  const limit = max * 2 + 8;
  const cs = callsites(limit);
  let n = 0;
  for (const c of cs) if (fileOf(c) === cfg.scriptUrl) n++;
  if (n > max) return false;
  if (cs.length < limit) return true;
  return userFrames().length <= max;
}

const FRAME_RE = /^\s*at (?:(async )?(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

function framesOf(err: unknown): RawFrame[] {
  const stack = err instanceof Error ? String(err.stack ?? "") : "";
  const out: RawFrame[] = [];
  for (const line of stack.split("\n")) {
    const m = FRAME_RE.exec(line);
    if (m && m[3] === cfg.scriptUrl) out.push([m[2] ?? "", Number(m[4]), Number(m[5]), !!m[1]]);
  }
  return out;
}

// ---- values ----------------------------------------------------------------------
function handle(v: unknown): number {
  const h = nextHandle++;
  handles.set(h, v);
  return h;
}

let globalNames: Map<unknown, string> | null = null;

/** Names of global constructors (the prelude is minified, so their own .name is mangled). */
function globalName(ctor: unknown): string | undefined {
  if (globalNames === null) {
    globalNames = new Map();
    for (const key of Object.getOwnPropertyNames(globalThis)) {
      const d = Object.getOwnPropertyDescriptor(globalThis, key);
      if (d && typeof d.value === "function" && !globalNames.has(d.value)) globalNames.set(d.value, key);
    }
  }
  return globalNames.get(ctor);
}

function className(v: object): string {
  try {
    const proto = Object.getPrototypeOf(v);
    if (proto === null) return "Object";
    const d = Object.getOwnPropertyDescriptor(proto, "constructor");
    const ctor = d && typeof d.value === "function" ? d.value : undefined;
    // Platform classes that are not globals (KvNamespace) carry their name as a data-property
    // toStringTag; a getter is never run here.
    const tagged = Object.getOwnPropertyDescriptor(proto, Symbol.toStringTag);
    const tag = tagged && typeof tagged.value === "string" ? tagged.value : undefined;
    return globalName(ctor) ?? tag ?? (ctor?.name || "Object");
  } catch { return "Object"; }
}

// ---- platform objects ---------------------------------------------------------------
// As DevTools does for native accessors, the getters of platform classes (the prelude's Request,
// Response, Headers, URL... -- classes reached as globals) are invoked to show their values; they
// read state and have no side effect, except those named here. A user class's getters are not run
// until their row is expanded (as DevTools' "(...)").
const SIDE_EFFECT_GETTERS = new Set(["body"]); // reading it turns a text/bytes body into a stream
const ENTRY_CLASSES = new Set(["Headers", "URLSearchParams", "FormData"]);
const promiseThen = Promise.prototype.then;
/** What the debugger has seen of a promise: attached when first met, settled by the job loop. */
const promiseStates = new WeakMap<object, [state: string, value: unknown]>();
type LazyGetter = { lazyGetter: () => unknown; self: unknown };
const lazyGetters = new WeakSet<object>();
/** The long value of a truncated string preview, by handle (``text`` command). */
type FullText = { fullText: string };
const fullTexts = new WeakSet<object>();

function isPlatformProto(proto: object): boolean {
  const d = Object.getOwnPropertyDescriptor(proto, "constructor");
  const ctor = d && typeof d.value === "function" ? d.value : undefined;
  return ctor !== undefined && ctor !== Object && globalName(ctor) !== undefined;
}

/** Track a plain promise's state from now on (its own ``then``; a subclass's would run user code).
 * Only promises the debugger shows are tracked: an extra reaction on an awaited promise would cut V8's
 * async stack trace (it follows a promise's only reaction), so awaits are left alone. */
function trackPromise(p: unknown): void {
  if (!(p instanceof Promise) || Object.getPrototypeOf(p) !== Promise.prototype || promiseStates.has(p)) return;
  promiseStates.set(p, ["unknown", undefined]);
  try {
    promiseThen.call(p, (v: unknown) => { promiseStates.set(p, ["fulfilled", v]); },
      (e: unknown) => { promiseStates.set(p, ["rejected", e]); });
  } catch { /* a revoked proxy or similar: stays unknown */ }
}

function promiseState(p: object): [string, unknown] {
  trackPromise(p);
  return promiseStates.get(p) ?? ["unknown", undefined];
}

/** [name, getter owner] of the accessors on ``v``'s prototype chain (below Object.prototype). */
function protoAccessors(v: object): [string, PropertyDescriptor, boolean][] {
  const out: [string, PropertyDescriptor, boolean][] = [];
  const seen = new Set<string>(Object.getOwnPropertyNames(v));
  let proto = Object.getPrototypeOf(v);
  let platform = false; // above a platform class (the prelude's own bases, e.g. Request's body mixin) stays platform
  for (let n = 0; proto && proto !== Object.prototype && proto !== Function.prototype && n < 20; n++) {
    platform = platform || isPlatformProto(proto);
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (seen.has(key) || key === "constructor" || key === "__proto__") continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (!d || typeof d.get !== "function") continue;
      seen.add(key);
      out.push([key, d, platform]);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return out;
}

/** The values of a platform object's getters, e.g. Request's method, url, headers (none for user classes). */
function platformGetters(v: object): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, d, platform] of protoAccessors(v)) {
    if (!platform || SIDE_EFFECT_GETTERS.has(key)) continue;
    try { out.push([key, d.get!.call(v)]); } catch { /* a getter that refuses this receiver */ }
  }
  return out;
}

function entriesOf(v: object): [unknown, unknown][] | null {
  if (!ENTRY_CLASSES.has(className(v))) return null;
  try {
    const it = (v as any).entries?.();
    if (!it) return null;
    const out: [unknown, unknown][] = [];
    for (const pair of it) { out.push(pair as [unknown, unknown]); if (out.length > MAX_CHILDREN) break; }
    return out;
  } catch { return null; }
}

function isTyped(v: unknown): v is ArrayLike<unknown> & ArrayBufferView {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function short(v: unknown, depth: number): string {
  switch (typeof v) {
    case "string": return JSON.stringify(v.length > MAX_STRING ? v.slice(0, MAX_STRING) + "…" : v);
    case "bigint": return `${v}n`;
    case "symbol": return v.toString();
    case "function": return `ƒ ${(v as Function).name || "anonymous"}()`;
    case "object": return v === null ? "null" : objectPreview(v as object, depth);
    default: return String(v);
  }
}

function objectPreview(v: object, depth: number): string {
  const cls = className(v);
  try {
    if (Array.isArray(v)) {
      if (depth <= 0) return `Array(${v.length})`;
      const items = v.slice(0, PREVIEW_ITEMS).map((x) => short(x, depth - 1));
      return `[${items.join(", ")}${v.length > PREVIEW_ITEMS ? ", …" : ""}]`;
    }
    if (v instanceof Error) return `${v.name}: ${v.message}`;
    if (v instanceof Date) return isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (v === globalThis) return "globalThis";
    if (v instanceof Promise) {
      const [state, value] = promiseState(v);
      if (state === "unknown") return "Promise {<pending or not yet seen>}";
      return state === "pending" ? "Promise {<pending>}" : `Promise {<${state}>: ${short(value, 0)}}`;
    }
    if (isTyped(v)) {
      if (depth <= 0) return `${cls}(${v.length})`;
      const items = Array.prototype.slice.call(v, 0, PREVIEW_ITEMS).map((x) => short(x, 0));
      return `${cls}(${v.length}) [${items.join(", ")}${v.length > PREVIEW_ITEMS ? ", …" : ""}]`;
    }
    if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
    const entries = entriesOf(v);
    if (entries) {
      if (depth <= 0) return `${cls}(${entries.length})`;
      const parts = entries.slice(0, PREVIEW_ITEMS).map(([k, x]) => `${short(k, 0)} => ${short(x, 0)}`);
      return `${cls}(${entries.length}) {${parts.join(", ")}${entries.length > PREVIEW_ITEMS ? ", …" : ""}}`;
    }
    if (cls === "URL" && typeof (v as any).href === "string") return `URL ${JSON.stringify((v as any).href)}`;
    if (v instanceof Map) {
      if (depth <= 0) return `Map(${v.size})`;
      const parts: string[] = [];
      for (const [k, x] of v) { if (parts.length >= PREVIEW_ITEMS) { parts.push("…"); break; } parts.push(`${short(k, 0)} => ${short(x, 0)}`); }
      return `Map(${v.size}) {${parts.join(", ")}}`;
    }
    if (v instanceof Set) {
      if (depth <= 0) return `Set(${v.size})`;
      const parts: string[] = [];
      for (const x of v) { if (parts.length >= PREVIEW_ITEMS) { parts.push("…"); break; } parts.push(short(x, 0)); }
      return `Set(${v.size}) {${parts.join(", ")}}`;
    }
    if (depth <= 0) return cls === "Object" ? "{…}" : `${cls} {…}`;
    const parts: string[] = [];
    for (const key of Object.keys(v)) {
      if (parts.length >= PREVIEW_ITEMS) { parts.push("…"); break; }
      const d = Object.getOwnPropertyDescriptor(v, key);
      parts.push(`${key}: ${d && "value" in d ? short(d.value, depth - 1) : "(...)"}`);
    }
    if (parts.length < PREVIEW_ITEMS && cls !== "Object") {
      for (const [key, x] of platformGetters(v)) {
        if (parts.length >= PREVIEW_ITEMS) { parts.push("…"); break; }
        parts.push(`${key}: ${short(x, 0)}`);
      }
    }
    const body = `{${parts.join(", ")}}`;
    return cls === "Object" ? body : `${cls} ${body}`;
  } catch (e) {
    return `${cls} <unreadable>`;
  }
}

function describe(v: unknown): Desc {
  if (v === null) return { t: "null", v: "null" };
  const t = typeof v;
  if (t === "string" && (v as string).length > MAX_STRING) {
    const full: FullText = { fullText: v as string };
    fullTexts.add(full);
    return { t, v: short(v, 1), h: handle(full), c: `string(${(v as string).length})` };
  }
  if (t === "object" || t === "function") {
    const d: Desc = { t, v: short(v, 1), h: handle(v) };
    if (t === "object") d.c = Array.isArray(v) ? "Array" : className(v as object);
    return d;
  }
  return { t, v: short(v, 1) };
}

// ---- full values (Copy Value, View Value) -----------------------------------------------
// The whole value as text: a string as it is (never cut), a function's source, an error's stack, any other
// object as indented JSON of its contents (entries of Map/Set/Headers/FormData/URLSearchParams, the platform
// getters of Request/Response/URL..., "[Circular]" for a cycle), bounded by COPY_ITEMS per collection and
// COPY_DEPTH levels so that a huge or deep structure still answers.
const COPY_ITEMS = 10000, COPY_DEPTH = 32;

function fullValueText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && fullTexts.has(v)) return (v as FullText).fullText;
  if (v !== null && typeof v === "object" && lazyGetters.has(v)) {
    const lazy = v as LazyGetter;
    return fullValueText(lazy.lazyGetter.call(lazy.self));
  }
  if (typeof v === "function") return Function.prototype.toString.call(v);
  if (v === null || typeof v !== "object") return short(v, 0);
  if (v instanceof Error) return v.stack ?? `${v.name}: ${v.message}`;
  try {
    const value = plain(v, 0, new Set());
    if (typeof value === "string") return value; // a URL's href, a Date's ISO time...: as they are
    const text = JSON.stringify(value, null, 2);
    return text === undefined ? short(v, 1) : text;
  } catch (e) {
    return short(v, 1);
  }
}

/** The reply to "fullText": cut (saying so) where the event ring could not carry it whole. */
function fullTextReply(req: number, text: string | null): object {
  if (text === null) return { k: "text", req, text: null };
  const limit = cfg.layout.ringSize / 2 - 1024;
  let shown = text;
  for (;;) {
    const size = utf8(JSON.stringify(shown)).length;
    if (size <= limit) break;
    shown = shown.slice(0, Math.floor(shown.length * (limit / size) * 0.9));
    const last = shown.charCodeAt(shown.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) shown = shown.slice(0, -1); // never half a surrogate pair
  }
  return { k: "text", req, text: shown, total: text.length };
}

function plain(v: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof v) {
    case "string": case "number": case "boolean": return v;
    case "undefined": return "undefined";
    case "bigint": return `${v}n`;
    case "symbol": return v.toString();
    case "function": return `ƒ ${(v as Function).name || "anonymous"}()`;
  }
  if (v === null) return null;
  const o = v as object;
  if (seen.has(o)) return "[Circular]";
  if (depth >= COPY_DEPTH) return short(o, 0);
  seen.add(o);
  try {
    const list = (items: Iterable<unknown>, size: number): unknown[] => {
      const out: unknown[] = [];
      for (const x of items) {
        if (out.length >= COPY_ITEMS) { out.push(`… ${size - COPY_ITEMS} more`); break; }
        out.push(plain(x, depth + 1, seen));
      }
      return out;
    };
    if (Array.isArray(o)) return list(o, o.length);
    if (isTyped(o)) return list(Array.prototype.slice.call(o, 0, COPY_ITEMS + 1) as unknown[], o.length);
    if (o instanceof ArrayBuffer) return `ArrayBuffer(${o.byteLength})`;
    if (o instanceof Date) return isNaN(o.getTime()) ? "Invalid Date" : o.toISOString();
    if (o instanceof RegExp) return String(o);
    if (o instanceof Error) return `${o.name}: ${o.message}`;
    if (o === globalThis) return "globalThis";
    if (o instanceof Promise) return objectPreview(o, 1);
    if (o instanceof Map) return list(Array.from(o.entries()).slice(0, COPY_ITEMS + 1), o.size);
    if (o instanceof Set) return list(Array.from(o.values()).slice(0, COPY_ITEMS + 1), o.size);
    const cls = className(o);
    if (cls === "URL" && typeof (o as any).href === "string") return (o as any).href;
    const entries = entriesOf(o);
    if (entries) return list(entries, entries.length);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key);
      out[key] = d && "value" in d ? plain(d.value, depth + 1, seen) : "(accessor)";
    }
    if (cls !== "Object") {
      for (const [key, x] of platformGetters(o)) if (!(key in out)) out[key] = plain(x, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(o);
  }
}

function lazyGetter(self: unknown, get: () => unknown): Desc {
  const lazy: LazyGetter = { lazyGetter: get, self };
  lazyGetters.add(lazy);
  return { t: "accessor", v: "(...) expand to run the getter", h: handle(lazy) };
}

function children(v: unknown): [string, Desc][] {
  const out: [string, Desc][] = [];
  if (v === null || (typeof v !== "object" && typeof v !== "function")) return out;
  if (fullTexts.has(v as object)) {
    const text = (v as FullText).fullText;
    for (let i = 0; i < text.length; i += TEXT_CHUNK) {
      if (out.length >= TEXT_ROWS) {
        out.push(["…", { t: "string", v: `${(text.length - i).toLocaleString("en")} more characters` }]);
        break;
      }
      out.push([String(i), { t: "text", v: text.slice(i, i + TEXT_CHUNK) }]);
    }
    return out;
  }
  if (lazyGetters.has(v as object)) {
    const lazy = v as LazyGetter;
    try { return [["value", describe(lazy.lazyGetter.call(lazy.self))]]; } catch (e) {
      return [["threw", { t: "error", v: errorText(e) }]];
    }
  }
  if (v === globalThis) return globals();
  if (v instanceof Map) {
    out.push(["size", describe(v.size)]);
    for (const [k, x] of v) { if (out.length > MAX_CHILDREN) break; out.push([short(k, 0), describe(x)]); }
    return out;
  }
  if (v instanceof Set) {
    out.push(["size", describe(v.size)]);
    for (const x of v) { if (out.length > MAX_CHILDREN) break; out.push([String(out.length - 1), describe(x)]); }
    return out;
  }
  if (v instanceof Promise) {
    const [state, value] = promiseState(v);
    out.push(["[[PromiseState]]", { t: "string", v: state === "unknown" ? "pending, or settled before the debugger saw it (known once the script runs on)" : state }]);
    if (state === "fulfilled" || state === "rejected") out.push(["[[PromiseResult]]", describe(value)]);
    return out;
  }
  if (v instanceof ArrayBuffer) {
    out.push(["byteLength", describe(v.byteLength)]);
    out.push(["[[Uint8Array]]", describe(new Uint8Array(v))]);
    return out;
  }
  const entries = entriesOf(v as object);
  if (entries) {
    for (const [k, x] of entries) {
      if (out.length >= MAX_CHILDREN) break;
      out.push([typeof k === "string" ? k : short(k, 0), describe(x)]);
    }
  }
  const keys = Reflect.ownKeys(v as object);
  const typed = isTyped(v);
  for (const key of keys) {
    if (out.length >= MAX_CHILDREN) { out.push(["…", { t: "string", v: `${keys.length - MAX_CHILDREN} more` }]); break; }
    const d = Object.getOwnPropertyDescriptor(v, key);
    if (!d) continue;
    out.push([String(key), "value" in d ? describe(d.value) : (d.get ? lazyGetter(v, d.get) : { t: "accessor", v: "(setter only)" })]);
  }
  if (typed) {
    for (const key of ["length", "byteLength", "byteOffset", "buffer"]) out.push([key, describe((v as any)[key])]);
    return out;
  }
  if (typeof v === "object" && !Array.isArray(v)) {
    for (const [key, d, platform] of protoAccessors(v as object)) {
      if (out.length >= MAX_CHILDREN + 20) break;
      if (platform && SIDE_EFFECT_GETTERS.has(key)) {
        out.push([key, { t: "accessor", v: "(not read: reading it would turn the body into a stream)" }]);
      } else if (platform) {
        try { out.push([key, describe(d.get!.call(v))]); } catch (e) { out.push([key, { t: "error", v: errorText(e) }]); }
      } else {
        out.push([key, lazyGetter(v, d.get!)]);
      }
    }
  }
  return out;
}

// ---- shadow records ---------------------------------------------------------------
// A function (or a block) that has run more than ``recordLimit`` times is hot: its later
// calls keep no record (``enter`` returns null), so recursion and tight loops stay within
// the cost target. The pause reports the hot regions; their frames say why they are empty.
let calls = new Int32Array(1);
let recordLimit = 0;

function enter(f: number): Rec | null {
  if (++calls[f] > recordLimit) return null;
  const c = S.c;
  const r: Rec = { f, p: c, s: c, a: undefined, y: 0 };
  S.c = r;
  return r;
}

/** Whether a block instance of region ``b`` still gets its accessor. */
function blockRecorded(b: number): boolean {
  return ++calls[b] <= recordLimit;
}

function hotRegions(): number[] {
  const out: number[] = [];
  for (let i = 1; i < calls.length; i++) if (calls[i] > recordLimit) out.push(i);
  return out;
}

/** Before an await or yield suspends the function: the caller (or the job loop) runs next. */
function suspend<T>(r: Rec | null, x: T, kind?: number): T {
  if (r === null) return x;
  r.y = kind ?? 1;
  S.c = r.s;
  return x;
}

/** After an await: an async function only ever resumes from the job queue. */
function resumed<T>(r: Rec | null, v: T): T {
  if (r === null) {
    S.c = null;
    return v;
  }
  r.y = 0;
  r.s = null;
  S.c = r;
  return v;
}

/** After a yield: a generator resumes inside whoever called next(), which becomes its caller. */
function resumedYield<T>(r: Rec | null, v: T): T {
  if (r === null) return v;
  r.y = 0;
  r.p = r.s = S.c;
  S.c = r;
  return v;
}

/** In catch/finally of async functions and generators: the suspension may have resumed by throwing. */
function resumeCheck(r: Rec | null): void {
  if (r === null) return;
  if (r.y === 1) resumed(r, 0);
  else if (r.y === 2) resumedYield(r, 0);
}

function recordChain(): Rec[] {
  const out: Rec[] = [];
  for (let r = S.c; r && out.length < 1000; r = r.p) out.push(r);
  return out;
}

// ---- scopes and evaluation ----------------------------------------------------------
function probeRow(id: number): ProbeRow {
  return cfg.probes[id] ?? [0, [], 0, "stmt", ""];
}

function moduleScope(file: number): Record<string, () => unknown> {
  return modules[file] ?? {};
}

/** The setter of a binding the debugger may not assign: const, import, class or function. */
function constant(name: string): () => never {
  return () => { throw new TypeError(`'${name}' cannot be assigned (a const, import, class or function binding)`); };
}

function addModule(scope: object, file: number): void {
  const mod = moduleScope(file);
  const set = moduleSetters[file] ?? {};
  for (const name of Object.keys(mod)) {
    Object.defineProperty(scope, name, { get: mod[name], set: set[name] ?? constant(name), enumerable: true, configurable: true });
  }
}

/** The paused frame's scope: module bindings, then the probe's values; assignments are kept for write-back. */
function frameScope(frame: Frame): object {
  if (frame.scope) return frame.scope;
  const scope: any = Object.create(null);
  addModule(scope, frame.file);
  const [, names, , kind, mask] = probeRow(frame.probe);
  const vals = frame.vals;
  if (vals) {
    for (let i = names.length - 1; i >= 0; i--) {
      const name = names[i];
      let set: (v: unknown) => void;
      if (mask?.[i] === "1") set = (v) => { vals[i] = v; (frame.changed ??= new Set()).add(i); };
      else if (kind === "exit") set = () => { throw new TypeError(`cannot assign '${name}': the frame is unwinding an exception`); };
      else set = constant(name);
      Object.defineProperty(scope, name, { get: () => vals[i], set, enumerable: true, configurable: true });
    }
  }
  frame.scope = scope;
  return scope;
}

/** The values a probe assigns back to its variables (a sparse array), or undefined. */
function writesOf(frame: Frame): unknown[] | undefined {
  if (!frame.changed || !frame.vals) return undefined;
  const out: unknown[] = [];
  for (const i of frame.changed) out[i] = frame.vals[i];
  return out;
}

function frameTarget(frame: Frame): Target {
  return { self: frame.self, scope: () => frameScope(frame) };
}

function accessorOf(cmd: OuterCmd): Accessor | null {
  const rec = cmd.rec >= 0 ? pauseChain[cmd.rec] : undefined;
  const acc = rec && cmd.acc ? (rec as any)[cmd.acc] : undefined;
  return typeof acc === "function" ? acc : null;
}

function unavailable(name: string): () => never {
  return () => { throw new ReferenceError(`${name} is not available in this frame`); };
}

/** An outer frame: its variables read and assigned live through the accessor of its shadow record. */
function outerTarget(cmd: OuterCmd): Target {
  const acc = accessorOf(cmd);
  let self: unknown;
  if (acc && cmd.this) { try { self = acc(-1); } catch { self = undefined; } }
  const scope = () => {
    const scope: any = Object.create(null);
    if (cmd.file >= 0) addModule(scope, cmd.file);
    for (let k = cmd.vars.length - 1; k >= 0; k--) {
      const [name, i, , writable] = cmd.vars[k];
      const get = acc && i >= 0 ? () => acc(i) : unavailable(name);
      const set = acc && i >= 0 ? (writable ? (v: unknown) => { acc(i, 1, v); } : constant(name)) : unavailable(name);
      Object.defineProperty(scope, name, { get, set, enumerable: true, configurable: true });
    }
    return scope;
  };
  return { self, scope };
}

function evaluate(code: string, target: Target, timeoutMs: number): unknown {
  const fn = new Function("$__s", "$__c", "with ($__s) { return eval($__c); }");
  const saved = evalDeadline;
  evalDepth++;
  evalDeadline = agentNow() + timeoutMs;
  try {
    return fn.call(target.self, target.scope(), code);
  } finally {
    evalDepth--;
    evalDeadline = saved;
  }
}

/** Thrown by ``$__dW`` for a promise that has not settled: the evaluation reports it and waits outside. */
class PendingAwait {
  constructor(readonly promise: Promise<unknown>, readonly label: string) {}
}

/** A top-level ``await`` in an evaluation while paused (debugger/guard.py rewrites ``await X`` to this). */
function awaitPaused(x: unknown, label = "await"): unknown {
  if (!(x instanceof Promise)) {
    if (x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as any).then === "function") {
      throw new TypeError("await of a thenable that is not a Promise cannot run while the script is paused");
    }
    return x;
  }
  const [state, value] = promiseState(x);
  if (state === "fulfilled") return value;
  if (state === "rejected") throw value;
  throw new PendingAwait(x, label);
}

/** The reply for an evaluation that awaited a pending promise; its outcome is printed when it settles. */
function pendingReply(pending: PendingAwait): Desc {
  const shown = pending.label.length > 80 ? pending.label.slice(0, 77) + "…" : pending.label;
  promiseThen.call(pending.promise,
    (v: unknown) => emit({ k: "output", level: "info", text: `${shown} → ${short(v, 2)}` }),
    (e: unknown) => emit({ k: "output", level: "error", text: `${shown} → rejected: ${errorText(e)}` }));
  return { t: "pending", v: "Promise {<pending or not yet seen>}: a paused script runs no promise jobs, so the result is printed here once it settles (continue or step)" };
}

function tick(): void {
  if (evalDepth > 0 && agentNow() > evalDeadline) throw new Error("evaluation timed out");
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : `Uncaught ${short(e, 1)}`;
}

function moduleVars(file: number): [string, Desc][] {
  const module: [string, Desc][] = [];
  const mod = moduleScope(file);
  for (const name of Object.keys(mod)) {
    try { module.push([name, describe(mod[name]())]); } catch { module.push([name, { t: "uninitialized", v: "<uninitialized>" }]); }
  }
  return module;
}

function scopes(frame: Frame): object {
  const [, names, localsCount] = probeRow(frame.probe);
  const local: [string, Desc][] = [];
  const closure: [string, Desc][] = [];
  if (frame.vals) {
    names.forEach((name, i) => (i < localsCount ? local : closure).push([name, describe(frame.vals![i])]));
  }
  return { local, closure, module: moduleVars(frame.file), this: describe(frame.self) };
}

const NOT_AVAILABLE: Desc = { t: "unavailable", v: "<not available>" };

function outerScopes(cmd: OuterCmd): object {
  const acc = accessorOf(cmd);
  const local: [string, Desc][] = [];
  const closure: [string, Desc][] = [];
  for (const [name, i, isLocal] of cmd.vars) {
    let d: Desc = NOT_AVAILABLE;
    if (acc && i >= 0) {
      try { d = describe(acc(i)); } catch { continue; } // still in its temporal dead zone: not declared yet
    }
    (isLocal ? local : closure).push([name, d]);
  }
  let self: Desc | null = null;
  if (acc && cmd.this) { try { self = describe(acc(-1)); } catch { self = NOT_AVAILABLE; } }
  return { local, closure, module: cmd.file >= 0 ? moduleVars(cmd.file) : [], this: self };
}

function globals(): [string, Desc][] {
  const out: [string, Desc][] = [];
  for (const key of Object.getOwnPropertyNames(globalThis)) {
    if (key.startsWith("$__d") || key.startsWith("__")) continue; // the debugger's, the prelude's, mini-racer's
    const d = Object.getOwnPropertyDescriptor(globalThis, key);
    if (d) out.push([key, "value" in d ? describe(d.value) : { t: "accessor", v: "(...)" }]);
  }
  return out;
}

// ---- pausing -------------------------------------------------------------------------
function pause(reason: string, frame: Frame, stack: RawFrame[], extra: object = {}, chain?: Rec[]): void {
  paused = true;
  step = null;
  Atomics.store(H, H_PAUSE_REQ, 0);
  handles = new Map();
  pauseChain = chain ?? recordChain();
  const depth = stack.length;
  emit({ k: "paused", reason, probe: frame.probe, stack, chain: pauseChain.map((r) => r.f), hot: hotRegions(),
    ...(cfg.history ? { count } : {}), ...extra });
  try {
    for (;;) {
      const cmd = nextCommand();
      const req = cmd.req ?? 0;
      const outer = cmd.frame > 0 || cmd.outer === 1;
      const target = outer ? outerTarget(cmd) : frameTarget(frame);
      try {
        switch (cmd.cmd) {
          case "continue": emit({ k: "resumed", req }); return;
          case "stepInto": case "stepOver": case "stepOut":
            step = { mode: cmd.cmd, depth };
            emit({ k: "resumed", req });
            return;
          case "evaluate": {
            let value: Desc;
            try { value = describe(evaluate(cmd.expr, target, cmd.timeoutMs ?? cfg.evalTimeoutMs)); } catch (e) {
              if (!(e instanceof PendingAwait)) throw e;
              value = pendingReply(e);
            }
            emit({ k: "value", req, value });
            break;
          }
          case "scopes": emit({ k: "scopes", req, ...(outer ? outerScopes(cmd) : scopes(frame)) }); break;
          case "props": emit({ k: "props", req, props: handles.has(cmd.handle) ? children(handles.get(cmd.handle)) : null }); break;
          case "globals": emit({ k: "props", req, props: globals() }); break;
          case "fullText": emit(fullTextReply(req, handles.has(cmd.handle) ? fullValueText(handles.get(cmd.handle)) : null)); break;
          case "back": emit({ k: "back", req, target: backTarget(String(cmd.mode)) }); break;
          default: emit({ k: "error", req, message: `unknown command ${cmd.cmd}` });
        }
      } catch (e) {
        emit({ k: "error", req, message: errorText(e) });
      }
    }
  } finally {
    paused = false;
    handles = new Map();
    pauseChain = [];
  }
}

function syncTable(): void {
  const v = Atomics.load(H, H_BP_VERSION);
  if (v === bpVersion) return;
  bpVersion = v;
  bpTable = JSON.parse(fromUtf8(cfg.layout.bp, Atomics.load(H, H_BP_LEN)) || "{}");
}

function interpolate(message: string, frame: Frame): string {
  return message.replace(/\{([^{}]+)\}/g, (_m, expr: string) => {
    try {
      const v = evaluate(expr, frameTarget(frame), cfg.evalTimeoutMs);
      return typeof v === "string" ? v : short(v, 1);
    } catch (e) { return `<${errorText(e)}>`; }
  });
}

/** Whether a breakpoint at this probe wants a pause; runs conditions, hit counts and logpoints. */
function breakpointHit(id: number, frame: Frame): number[] {
  syncTable();
  const hitIds: number[] = [];
  for (const [bp, cond, hitCount, log] of bpTable[String(id)] ?? []) {
    if (cond) {
      let ok = false;
      try { ok = !!evaluate(cond, frameTarget(frame), cfg.evalTimeoutMs); } catch (e) {
        const key = `${bp}:${cond}`;
        if (!condErrors.has(key)) {
          condErrors.add(key);
          emit({ k: "bperror", bp, message: errorText(e) });
          ok = true; // treated as true once, then false until the condition changes
        }
      }
      if (!ok) continue;
    }
    const n = (hits.get(bp) ?? 0) + 1;
    hits.set(bp, n);
    if (hitCount && n < hitCount) continue;
    if (log !== null) { emit({ k: "output", level: "log", text: interpolate(log, frame), bp }); continue; }
    hitIds.push(bp);
  }
  return hitIds;
}

/** A statement probe; returns the assignments made while paused (or by a condition) for write-back. */
function probe(id: number, self: unknown, vals: unknown[] | null): unknown[] | undefined {
  if (evalDepth > 0) { tick(); return; }
  if (paused) return;
  if (cfg.history) {
    if (++count >= trail.length) { const t = new Int32Array(trail.length * 2); t.set(trail); trail = t; }
    trail[count] = id;
    if (seek > 0) {
      if (count < seek) return; // re-executing to an earlier stop: nothing pauses before it
      seek = 0;
      const frame: Frame = { probe: id, self, vals, file: probeRow(id)[0] };
      pause("step", frame, userFrames());
      return writesOf(frame);
    }
  }
  const frame: Frame = { probe: id, self, vals, file: probeRow(id)[0] };
  check(id, frame);
  return writesOf(frame);
}

/** The count Step Back ("step": the statement executed before this one) or Reverse Continue
 * ("continue": the last earlier statement with a breakpoint now, or the first one) goes to. */
function backTarget(mode: string): number {
  if (mode === "step") return Math.max(1, count - 1);
  for (let c = count - 1; c >= 1; c--) if (canon[trail[c]!]) return c;
  return 1;
}

function check(id: number, frame: Frame): void {
  if (canon[id]) {
    const hit = breakpointHit(id, frame);
    if (hit.length) { pause("breakpoint", frame, userFrames(), { hit }); return; }
  }
  if (step) {
    const s = step;
    const stop = s.mode === "stepInto" || (s.mode === "stepOver" ? depthAtMost(s.depth) : depthAtMost(s.depth - 1));
    if (stop) { pause("step", frame, userFrames()); return; }
  }
  if (Atomics.load(H, H_PAUSE_REQ)) pause("pause", frame, userFrames());
}

function captureFailed(id: number, err: unknown): void {
  probe(id, undefined, null);
  void err;
}

function exceptionLeft(err: unknown, id: number, self?: unknown, vals?: unknown[]): void {
  if (evalDepth > 0 || paused || seek > 0) return;
  const frame: Frame = { probe: id, self, vals: vals ?? null, file: probeRow(id)[0] };
  const isObj = typeof err === "object" && err !== null || typeof err === "function";
  let cap = isObj ? captures.get(err as object) : (lastPrimitive && lastPrimitive.err === err ? lastPrimitive.cap : undefined);
  if (!cap) {
    const thrown = framesOf(err);
    cap = { frame, stack: thrown.length ? thrown : userFrames(), chain: recordChain() };
    if (isObj) captures.set(err as object, cap); else lastPrimitive = { err, cap };
  }
  if (!(canon[0] & 1) || !depthAtMost(1)) return;
  if (isObj) { if (reported.has(err as object)) return; reported.add(err as object); }
  pause("exception", cap.frame, cap.stack, { exception: describe(err), text: errorText(err), uncaught: true }, cap.chain);
}

function caught(id: number, err: unknown, self?: unknown, vals?: unknown[]): unknown[] | undefined {
  if (evalDepth > 0 || paused || seek > 0 || !(canon[0] & 2)) return;
  const frame: Frame = { probe: id, self, vals: vals ?? null, file: probeRow(id)[0] };
  pause("exception", frame, userFrames(), { exception: describe(err), text: errorText(err), uncaught: false });
  return writesOf(frame);
}

function hookConsole(): void {
  const c = g.console ?? (g.console = {});
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    // A replay keeps the prelude's console too: its log stamps are clock readings on the tape.
    const original = cfg.history ? c[level] : null;
    c[level] = (...args: unknown[]) => {
      if (original && seek > 0) return original.apply(c, args); // silent while re-executing
      emit({ k: "output", level, text: args.map((a) => (typeof a === "string" ? a : short(a, 2))).join(" ") });
      if (original) original.apply(c, args);
    };
  }
}

function init(config: Config): SharedArrayBuffer {
  cfg = config;
  seek = config.seek ?? 0;
  calls = new Int32Array(config.regions + 1);
  recordLimit = config.recordLimit;
  const L = config.layout;
  const sab = new SharedArrayBuffer(L.size);
  H = new Int32Array(sab, 0, 16);
  bytes = new Uint8Array(sab);
  view = new DataView(sab);
  canon = new Uint8Array(sab, L.canonical, L.probes);
  const define = (name: string, value: unknown) =>
    Object.defineProperty(g, name, { value, enumerable: false, writable: false, configurable: false });
  define("$__dB", new Uint8Array(sab, L.effective, L.probes));
  define("$__dP", probe);
  define("$__dQ", captureFailed);
  define("$__dX", exceptionLeft);
  define("$__dC", caught);
  define("$__dT", tick);
  define("$__dM", (file: number, getters: Record<string, () => unknown>, setters?: Record<string, (v: unknown) => unknown>) => {
    modules[file] = getters;
    moduleSetters[file] = setters ?? {};
  });
  define("$__dS", S);
  define("$__dF", enter);
  define("$__dH", blockRecorded);
  define("$__dY", suspend);
  define("$__dA", resumed);
  define("$__dG", resumedYield);
  define("$__dK", resumeCheck);
  define("$__dW", awaitPaused);
  define("$__dConsole", hookConsole);
  return sab;
}

g.$__dInit = init;
