// structuredClone (HTML structured serialization, in one pass: clone as we walk).
import { DOMException } from "./util";

const ERROR_CTORS: Record<string, ErrorConstructor> = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};

type TypedArrayCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

function fail(value: unknown): never {
  let what: string;
  if (typeof value === "function") what = String(value).split("\n")[0]!.slice(0, 80);
  else if (typeof value === "symbol") what = String(value);
  else what = `#<${Object.prototype.toString.call(value).slice(8, -1)}>`;
  throw new DOMException(`${what} could not be cloned.`, "DataCloneError");
}

export function structuredClone<T>(value: T, options?: { transfer?: unknown[] }): T {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  const memo = new Map<object, unknown>();
  const transfer = options?.transfer ?? [];
  for (const t of transfer) {
    if (!(t instanceof ArrayBuffer)) throw new DOMException("Value not transferable", "DataCloneError");
    if (memo.has(t)) throw new DOMException("ArrayBuffer at index 1 is a duplicate of an earlier ArrayBuffer.", "DataCloneError");
    memo.set(t, null);
  }
  for (const t of transfer as (ArrayBuffer & { transfer(): ArrayBuffer })[]) memo.set(t, t.transfer());
  return clone(value, memo) as T;
}

function clone(v: unknown, memo: Map<object, unknown>): unknown {
  if (typeof v === "symbol" || typeof v === "function") fail(v);
  if (v === null || typeof v !== "object") return v;
  if (memo.has(v)) return memo.get(v);
  let out: unknown;
  const remember = <R>(x: R): R => { memo.set(v, x); return x; };
  if (Array.isArray(v)) {
    const arr = remember(new Array(v.length));
    for (const k of Object.keys(v)) (arr as unknown as Record<string, unknown>)[k] = clone((v as unknown as Record<string, unknown>)[k], memo);
    return arr;
  }
  if (v instanceof Date) return remember(new Date(v.getTime()));
  if (v instanceof RegExp) return remember(new RegExp(v.source, v.flags));
  if (v instanceof ArrayBuffer) return remember(v.slice(0));
  if (ArrayBuffer.isView(v)) {
    const buf = clone(v.buffer, memo) as ArrayBuffer;
    if (v instanceof DataView) return remember(new DataView(buf, v.byteOffset, v.byteLength));
    const ctor = v.constructor as TypedArrayCtor;
    return remember(new ctor(buf, v.byteOffset, (v as unknown as { length: number }).length));
  }
  if (v instanceof Map) {
    const m = remember(new Map());
    for (const [k, x] of v) m.set(clone(k, memo), clone(x, memo));
    return m;
  }
  if (v instanceof Set) {
    const s = remember(new Set());
    for (const x of v) s.add(clone(x, memo));
    return s;
  }
  if (v instanceof DOMException) {
    const e = remember(new DOMException(v.message, v.name));
    if (v.stack) Object.defineProperty(e, "stack", { value: v.stack, writable: true, configurable: true });
    return e;
  }
  if (v instanceof Error) {
    const name = v.name in ERROR_CTORS ? v.name : "Error";
    const e = remember(new ERROR_CTORS[name]!(v.message));
    if (v.stack) Object.defineProperty(e, "stack", { value: v.stack, writable: true, configurable: true });
    if ("cause" in v) Object.defineProperty(e, "cause", { value: clone(v.cause, memo), writable: true, configurable: true });
    return e;
  }
  if (v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof BigInt) {
    return remember(Object(v.valueOf()));
  }
  const tagName = (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  if (typeof tagName === "string" || v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) fail(v);
  out = remember({});
  for (const k of Object.keys(v)) (out as Record<string, unknown>)[k] = clone((v as Record<string, unknown>)[k], memo);
  return out;
}
