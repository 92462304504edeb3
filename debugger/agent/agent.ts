// The in-isolate half of the debugger. Loaded before the prelude into a debug
// isolate; the instrumented bundle calls the $__d* globals defined here.
// Python talks to it only through one SharedArrayBuffer (see debugger/mailbox.py).

type Desc = { t: string; v: string; h?: number; c?: string };
type Frame = { probe: number; self: unknown; vals: unknown[] | null; file: number };
type Layout = {
  size: number; ring: number; ringSize: number; cmd: number; cmdSize: number; bp: number; bpSize: number;
  effective: number; canonical: number; probes: number; posMask: number;
};
type ProbeRow = [fileIndex: number, names: string[], localsCount: number, kind: string];
type BpRow = [id: number, condition: string | null, hitCount: number | null, logMessage: string | null];
type Config = { layout: Layout; probes: (ProbeRow | null)[]; scriptUrl: string; evalTimeoutMs: number };

const H_EVT_WRITE = 0, H_EVT_READ = 1, H_CMD_SEQ = 2, H_CMD_LEN = 3, H_CMD_ACK = 4, H_PAUSE_REQ = 5;
const H_BP_VERSION = 6, H_BP_LEN = 7;
const MAX_CHILDREN = 100, MAX_STRING = 1000, PREVIEW_ITEMS = 8;
const g = globalThis as any;

let cfg: Config;
let H: Int32Array;
let bytes: Uint8Array;
let view: DataView;
let canon: Uint8Array;
const modules: Record<number, Record<string, () => unknown>> = {};
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
const condErrors = new Set<string>();
const captures = new WeakMap<object, Capture>();
let lastPrimitive: { err: unknown; cap: Capture } | null = null;
const reported = new WeakSet<object>();
type Capture = { frame: Frame; stack: RawFrame[] };
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
    if (v instanceof Promise) return "Promise";
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
    const body = `{${parts.join(", ")}}`;
    return cls === "Object" ? body : `${cls} ${body}`;
  } catch (e) {
    return `${cls} <unreadable>`;
  }
}

function describe(v: unknown): Desc {
  if (v === null) return { t: "null", v: "null" };
  const t = typeof v;
  if (t === "object" || t === "function") {
    const d: Desc = { t, v: short(v, 1), h: handle(v) };
    if (t === "object") d.c = Array.isArray(v) ? "Array" : className(v as object);
    return d;
  }
  return { t, v: short(v, 1) };
}

function children(v: unknown): [string, Desc][] {
  const out: [string, Desc][] = [];
  if (v === null || (typeof v !== "object" && typeof v !== "function")) return out;
  if (v instanceof Map) {
    for (const [k, x] of v) { if (out.length >= MAX_CHILDREN) break; out.push([short(k, 0), describe(x)]); }
    return out;
  }
  if (v instanceof Set) {
    for (const x of v) { if (out.length >= MAX_CHILDREN) break; out.push([String(out.length), describe(x)]); }
    return out;
  }
  const keys = Reflect.ownKeys(v as object);
  for (const key of keys) {
    if (out.length >= MAX_CHILDREN) { out.push(["…", { t: "string", v: `${keys.length - MAX_CHILDREN} more` }]); break; }
    const d = Object.getOwnPropertyDescriptor(v, key);
    if (!d) continue;
    out.push([String(key), "value" in d ? describe(d.value) : { t: "accessor", v: "(...)" }]);
  }
  return out;
}

// ---- scopes and evaluation ----------------------------------------------------------
function probeRow(id: number): ProbeRow {
  return cfg.probes[id] ?? [0, [], 0, "stmt"];
}

function moduleScope(file: number): Record<string, () => unknown> {
  return modules[file] ?? {};
}

function scopeObject(frame: Frame): object {
  const scope: any = Object.create(null);
  const mod = moduleScope(frame.file);
  for (const name of Object.keys(mod)) {
    Object.defineProperty(scope, name, { get: mod[name], enumerable: true, configurable: true });
  }
  const [, names] = probeRow(frame.probe);
  if (frame.vals) {
    for (let i = names.length - 1; i >= 0; i--) {
      Object.defineProperty(scope, names[i], { value: frame.vals[i], writable: true, enumerable: true, configurable: true });
    }
  }
  return scope;
}

function evaluate(code: string, frame: Frame, timeoutMs: number): unknown {
  const fn = new Function("$__s", "$__c", "with ($__s) { return eval($__c); }");
  const saved = evalDeadline;
  evalDepth++;
  evalDeadline = Date.now() + timeoutMs;
  try {
    return fn.call(frame.self, scopeObject(frame), code);
  } finally {
    evalDepth--;
    evalDeadline = saved;
  }
}

function tick(): void {
  if (evalDepth > 0 && Date.now() > evalDeadline) throw new Error("evaluation timed out");
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : `Uncaught ${short(e, 1)}`;
}

function scopes(frame: Frame, outer: boolean): object {
  const [, names, localsCount] = probeRow(frame.probe);
  const local: [string, Desc][] = [];
  const closure: [string, Desc][] = [];
  if (!outer && frame.vals) {
    names.forEach((name, i) => (i < localsCount ? local : closure).push([name, describe(frame.vals![i])]));
  }
  const module: [string, Desc][] = [];
  const mod = moduleScope(frame.file);
  for (const name of Object.keys(mod)) {
    try { module.push([name, describe(mod[name]())]); } catch { module.push([name, { t: "uninitialized", v: "<uninitialized>" }]); }
  }
  return { local, closure, module, this: outer ? null : describe(frame.self) };
}

function globals(): [string, Desc][] {
  const out: [string, Desc][] = [];
  for (const key of Object.getOwnPropertyNames(globalThis)) {
    if (key.startsWith("$__d") || key.startsWith("__isoplay")) continue;
    const d = Object.getOwnPropertyDescriptor(globalThis, key);
    if (d) out.push([key, "value" in d ? describe(d.value) : { t: "accessor", v: "(...)" }]);
  }
  return out;
}

// ---- pausing -------------------------------------------------------------------------
function pause(reason: string, frame: Frame, stack: RawFrame[], extra: object = {}): void {
  paused = true;
  step = null;
  Atomics.store(H, H_PAUSE_REQ, 0);
  handles = new Map();
  const depth = stack.length;
  emit({ k: "paused", reason, probe: frame.probe, stack, ...extra });
  try {
    for (;;) {
      const cmd = nextCommand();
      const req = cmd.req ?? 0;
      const target: Frame = cmd.frame > 0 ? { probe: 0, self: undefined, vals: null, file: cmd.file ?? 0 } : frame;
      try {
        switch (cmd.cmd) {
          case "continue": emit({ k: "resumed", req }); return;
          case "stepInto": case "stepOver": case "stepOut":
            step = { mode: cmd.cmd, depth };
            emit({ k: "resumed", req });
            return;
          case "evaluate": emit({ k: "value", req, value: describe(evaluate(cmd.expr, target, cmd.timeoutMs ?? cfg.evalTimeoutMs)) }); break;
          case "scopes": emit({ k: "scopes", req, ...scopes(target, cmd.frame > 0) }); break;
          case "props": emit({ k: "props", req, props: handles.has(cmd.handle) ? children(handles.get(cmd.handle)) : null }); break;
          case "globals": emit({ k: "props", req, props: globals() }); break;
          default: emit({ k: "error", req, message: `unknown command ${cmd.cmd}` });
        }
      } catch (e) {
        emit({ k: "error", req, message: errorText(e) });
      }
    }
  } finally {
    paused = false;
    handles = new Map();
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
      const v = evaluate(expr, frame, cfg.evalTimeoutMs);
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
      try { ok = !!evaluate(cond, frame, cfg.evalTimeoutMs); } catch (e) {
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

function probe(id: number, self: unknown, vals: unknown[] | null): void {
  if (evalDepth > 0) { tick(); return; }
  if (paused) return;
  const frame: Frame = { probe: id, self, vals, file: probeRow(id)[0] };
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
  if (evalDepth > 0 || paused) return;
  const frame: Frame = { probe: id, self, vals: vals ?? null, file: probeRow(id)[0] };
  const isObj = typeof err === "object" && err !== null || typeof err === "function";
  let cap = isObj ? captures.get(err as object) : (lastPrimitive && lastPrimitive.err === err ? lastPrimitive.cap : undefined);
  if (!cap) {
    const thrown = framesOf(err);
    cap = { frame, stack: thrown.length ? thrown : userFrames() };
    if (isObj) captures.set(err as object, cap); else lastPrimitive = { err, cap };
  }
  if (!(canon[0] & 1) || !depthAtMost(1)) return;
  if (isObj) { if (reported.has(err as object)) return; reported.add(err as object); }
  pause("exception", cap.frame, cap.stack, { exception: describe(err), text: errorText(err), uncaught: true });
}

function caught(id: number, err: unknown, self?: unknown, vals?: unknown[]): void {
  if (evalDepth > 0 || paused || !(canon[0] & 2)) return;
  const frame: Frame = { probe: id, self, vals: vals ?? null, file: probeRow(id)[0] };
  pause("exception", frame, userFrames(), { exception: describe(err), text: errorText(err), uncaught: false });
}

function hookConsole(): void {
  const c = g.console ?? (g.console = {});
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    c[level] = (...args: unknown[]) => {
      emit({ k: "output", level, text: args.map((a) => (typeof a === "string" ? a : short(a, 2))).join(" ") });
    };
  }
}

function init(config: Config): SharedArrayBuffer {
  cfg = config;
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
  define("$__dM", (file: number, getters: Record<string, () => unknown>) => { modules[file] = getters; });
  define("$__dConsole", hookConsole);
  return sab;
}

g.$__dInit = init;
