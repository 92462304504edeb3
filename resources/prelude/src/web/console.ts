// console, formatting values the way Node's util.inspect / util.format do for
// the common cases (nested objects to depth 2, circular refs, Map/Set, typed
// arrays, errors with stacks, %s %d %i %f %j %o %O %c substitutions).
import { pushLog } from "../host";

export const INSPECT = Symbol.for("nodejs.util.inspect.custom");

interface Ctx { seen: object[]; circular: Map<object, number>; depth: number }

const IDENT = /^[A-Za-z_$][\w$]*$/;
const quote = (s: string): string => {
  const q = !s.includes("'") ? "'" : !s.includes('"') ? '"' : !s.includes("`") ? "`" : "'";
  return q + s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(new RegExp(q, "g"), "\\" + q) + q;
};
const fmtKey = (k: string | symbol): string => (typeof k === "symbol" ? `[${String(k)}]` : IDENT.test(k) ? k : quote(k));
const fmtNum = (n: number): string => (Object.is(n, -0) ? "-0" : String(n));

function ctorName(o: object): string | null {
  const proto = Object.getPrototypeOf(o);
  if (proto === null) return null;
  const c = proto.constructor;
  return typeof c === "function" && typeof c.name === "string" && c.name ? c.name : "Object";
}

function fnLabel(f: Function): string {
  const src = Function.prototype.toString.call(f);
  if (/^class\b/.test(src)) return `[class ${f.name || "(anonymous)"}]`;
  const kind = f.constructor?.name === "AsyncFunction" ? "AsyncFunction"
    : f.constructor?.name === "GeneratorFunction" ? "GeneratorFunction"
    : f.constructor?.name === "AsyncGeneratorFunction" ? "AsyncGeneratorFunction" : "Function";
  return f.name ? `[${kind}: ${f.name}]` : `[${kind} (anonymous)]`;
}

function wrap(start: string, entries: string[], end: string, ctx: Ctx, numeric = false): string {
  if (entries.length === 0) return start.endsWith("[") || start.endsWith("{") ? `${start}${end}` : `${start} ${end}`;
  const single = `${start} ${entries.join(", ")} ${end}`;
  const indentWidth = ctx.seen.length * 2;
  if (single.length + indentWidth <= 76 && !single.includes("\n")) return single;
  const ind = (e: string): string => "  " + e.replace(/\n/g, "\n  ");
  if (numeric && entries.length > 6 && entries.every((e) => e.length <= 6)) {
    // group short entries into rows, like Node's array grouping
    const width = Math.max(...entries.map((e) => e.length));
    const perRow = Math.max(1, Math.min(16, Math.floor((76 - indentWidth - 2) / (width + 2))));
    const rows: string[] = [];
    for (let i = 0; i < entries.length; i += perRow) {
      rows.push(entries.slice(i, i + perRow).map((e) => (e + ",").padEnd(width + 1)).join(" ").trimEnd());
    }
    rows[rows.length - 1] = rows[rows.length - 1]!.replace(/,$/, "");
    return `${start}\n${rows.map(ind).join("\n")}\n${end}`;
  }
  return `${start}\n${entries.map(ind).join(",\n")}\n${end}`;
}

function ownEntries(o: object, ctx: Ctx, skipIndices: boolean): string[] {
  const out: string[] = [];
  for (const k of Reflect.ownKeys(o)) {
    if (skipIndices && typeof k === "string" && /^(0|[1-9]\d*)$/.test(k)) continue;
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (!d || !d.enumerable) continue;
    let v: string;
    if (d.get || d.set) v = d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
    else v = fmt(d.value, ctx);
    out.push(`${fmtKey(k)}: ${v}`);
  }
  return out;
}

function fmt(v: unknown, ctx: Ctx): string {
  switch (typeof v) {
    case "string": return quote(v);
    case "number": return fmtNum(v);
    case "bigint": return `${v}n`;
    case "boolean": return String(v);
    case "undefined": return "undefined";
    case "symbol": return String(v);
    case "function": {
      const extra = Object.keys(v);
      return extra.length ? wrap(fnLabel(v) + " {", ownEntries(v, ctx, false), "}", ctx) : fnLabel(v);
    }
  }
  if (v === null) return "null";
  const o = v as object;
  if (ctx.seen.includes(o)) {
    let id = ctx.circular.get(o);
    if (id === undefined) { id = ctx.circular.size + 1; ctx.circular.set(o, id); }
    return `[Circular *${id}]`;
  }
  const custom = (o as Record<symbol, unknown>)[INSPECT];
  if (typeof custom === "function") {
    const r = (custom as (d: number, opts: object) => unknown).call(o, ctx.depth, {});
    if (typeof r === "string") return r;
    if (r !== o) return fmt(r, ctx);
  }
  ctx.seen.push(o);
  try {
    const s = fmtObject(o, ctx);
    const id = ctx.circular.get(o);
    return id !== undefined ? `<ref *${id}> ${s}` : s;
  } finally {
    ctx.seen.pop();
  }
}

function fmtObject(o: object, ctx: Ctx): string {
  const name = ctorName(o);
  const tooDeep = ctx.seen.length > ctx.depth + 1;
  if (o instanceof Error) {
    const stack = o.stack || `${o.name}: ${o.message}`;
    return ctx.seen.length > 1 ? `[${stack.split("\n")[0]}]` : stack;
  }
  if (o instanceof Date) return isNaN(o.getTime()) ? "Invalid Date" : o.toISOString();
  if (o instanceof RegExp) return String(o);
  if (o instanceof Promise) return "Promise { <unknown> }";
  if (o instanceof WeakMap || o instanceof WeakSet) return `${name} { <items unknown> }`;
  if (o instanceof Number || o instanceof String || o instanceof Boolean) {
    return `[${name}: ${fmt(o.valueOf(), ctx)}]`;
  }
  if (Array.isArray(o)) {
    if (tooDeep) return "[Array]";
    const items: string[] = [];
    const n = Math.min(o.length, 100);
    let holes = 0;
    for (let i = 0; i < n; i++) {
      if (!(i in o)) { holes++; continue; }
      if (holes) { items.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`); holes = 0; }
      items.push(fmt(o[i], ctx));
    }
    if (holes) items.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
    if (o.length > 100) items.push(`... ${o.length - 100} more item${o.length - 100 > 1 ? "s" : ""}`);
    items.push(...ownEntries(o, ctx, true).filter((e) => !e.startsWith("length:")));
    const prefix = name !== "Array" ? `${name}(${o.length}) ` : "";
    return wrap(prefix + "[", items, "]", ctx, true);
  }
  if (o instanceof ArrayBuffer) {
    const b = new Uint8Array(o);
    const hex = Array.from(b.subarray(0, 50), (x) => x.toString(16).padStart(2, "0")).join(" ");
    return `ArrayBuffer { [Uint8Contents]: <${hex}${b.length > 50 ? ` ... ${b.length - 50} more bytes` : ""}>, byteLength: ${b.length} }`;
  }
  if (ArrayBuffer.isView(o) && !(o instanceof DataView)) {
    const a = o as unknown as ArrayLike<number | bigint>;
    if (tooDeep) return `[${name}]`;
    const items: string[] = [];
    for (let i = 0; i < Math.min(a.length, 100); i++) items.push(typeof a[i] === "bigint" ? `${a[i]}n` : fmtNum(a[i] as number));
    if (a.length > 100) items.push(`... ${a.length - 100} more item${a.length - 100 > 1 ? "s" : ""}`);
    return wrap(`${name}(${a.length}) [`, items, "]", ctx, true);
  }
  if (o instanceof Map) {
    if (tooDeep) return "[Map]";
    const items = [...o].map(([k, x]) => `${fmt(k, ctx)} => ${fmt(x, ctx)}`);
    return wrap(`${name}(${o.size}) {`, items, "}", ctx);
  }
  if (o instanceof Set) {
    if (tooDeep) return "[Set]";
    return wrap(`${name}(${o.size}) {`, [...o].map((x) => fmt(x, ctx)), "}", ctx);
  }
  const tagName = (o as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  let prefix = name === null ? "[Object: null prototype] " : name !== "Object" ? `${name} ` : "";
  if (typeof tagName === "string" && tagName !== name && tagName !== "") prefix = `${name ?? "Object"} [${tagName}] `;
  if (tooDeep) return `[${(prefix.trim() || "Object")}]`;
  return wrap(prefix + "{", ownEntries(o, ctx, false), "}", ctx);
}

/** util.inspect(value) for the common cases. */
export function inspect(value: unknown, opts: { depth?: number } = {}): string {
  return fmt(value, { seen: [], circular: new Map(), depth: opts.depth ?? 2 });
}

/** util.format(...args): printf-like substitutions, the rest joined with spaces. */
export function format(...args: unknown[]): string {
  let i = 0;
  let out = "";
  if (typeof args[0] === "string") {
    const f = args[0];
    i = 1;
    out = f.replace(/%([sdifjoOc%])/g, (m, c: string) => {
      if (c === "%") return "%";
      if (i >= args.length) return m;
      const a = args[i++];
      switch (c) {
        case "s":
          if (typeof a === "bigint") return `${a}n`;
          if (typeof a === "symbol") return String(a);
          if (typeof a === "number") return fmtNum(a);
          if (a !== null && typeof a === "object") {
            if (a instanceof Error) return a.stack || String(a);
            const ts = (a as { toString?: unknown }).toString;
            return ts !== Object.prototype.toString && ts !== Array.prototype.toString && typeof ts === "function" ? String(a) : inspect(a, { depth: 0 });
          }
          return String(a);
        case "d": return typeof a === "bigint" ? `${a}n` : typeof a === "object" && a !== null ? "NaN" : fmtNum(Number(a));
        case "i": return typeof a === "bigint" ? `${a}n` : fmtNum(parseInt(String(a), 10));
        case "f": return typeof a === "symbol" ? "NaN" : fmtNum(parseFloat(String(a)));
        case "j": try { return JSON.stringify(a) ?? "undefined"; } catch { return "[Circular]"; }
        case "o": return inspect(a, { depth: 4 });
        case "O": return inspect(a);
        default: return ""; // %c: CSS is ignored
      }
    });
  }
  for (; i < args.length; i++) {
    const a = args[i];
    out += (out || i > 0 ? " " : "") + (typeof a === "string" ? a : inspect(a));
  }
  return out;
}

// ---- console ------------------------------------------------------------------
let groupIndent = "";
const counts = new Map<string, number>();
const timers = new Map<string, number>();

function emit(level: string, text: string): void {
  pushLog(level, groupIndent ? text.split("\n").map((l) => groupIndent + l).join("\n") : text);
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());
declare const performance: { now(): number } | undefined;

export const console = {
  log: (...a: unknown[]): void => emit("log", format(...a)),
  info: (...a: unknown[]): void => emit("info", format(...a)),
  warn: (...a: unknown[]): void => emit("warn", format(...a)),
  error: (...a: unknown[]): void => emit("error", format(...a)),
  debug: (...a: unknown[]): void => emit("debug", format(...a)),
  trace: (...a: unknown[]): void => {
    const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
    emit("debug", `Trace${a.length ? ": " + format(...a) : ""}\n${stack}`);
  },
  dir: (v: unknown, opts?: { depth?: number }): void => emit("log", inspect(v, opts)),
  dirxml: (...a: unknown[]): void => emit("log", format(...a)),
  table: (...a: unknown[]): void => emit("log", format(...a)),
  assert: (cond: unknown, ...a: unknown[]): void => {
    if (!cond) emit("error", a.length ? `Assertion failed: ${format(...a)}` : "Assertion failed");
  },
  count: (label = "default"): void => {
    const n = (counts.get(String(label)) ?? 0) + 1;
    counts.set(String(label), n);
    emit("info", `${label}: ${n}`);
  },
  countReset: (label = "default"): void => { counts.delete(String(label)); },
  time: (label = "default"): void => { timers.set(String(label), now()); },
  timeLog: (label = "default", ...a: unknown[]): void => {
    const t = timers.get(String(label));
    if (t === undefined) { emit("warn", `Warning: No such label '${label}' for console.timeLog()`); return; }
    emit("info", `${label}: ${(now() - t).toFixed(3)}ms${a.length ? " " + format(...a) : ""}`);
  },
  timeEnd: (label = "default"): void => {
    const t = timers.get(String(label));
    if (t === undefined) { emit("warn", `Warning: No such label '${label}' for console.timeEnd()`); return; }
    timers.delete(String(label));
    emit("info", `${label}: ${(now() - t).toFixed(3)}ms`);
  },
  group: (...a: unknown[]): void => { if (a.length) emit("log", format(...a)); groupIndent += "  "; },
  groupCollapsed: (...a: unknown[]): void => { if (a.length) emit("log", format(...a)); groupIndent += "  "; },
  groupEnd: (): void => { groupIndent = groupIndent.slice(2); },
};
