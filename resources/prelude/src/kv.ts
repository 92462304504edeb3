// Workers KV in the isolate: the KVNamespace class behind each [[kv_namespaces]]
// binding. Argument TYPES are checked here (a bad one rejects the call's promise
// with a TypeError); limits (key/value/metadata size, TTLs, list limit) are
// checked by the host (runtime/kv/ops.py) with production's messages.
//
// Values cross to Python as {text} (strings) or {b64} (bytes); metadata as its
// JSON.stringify text, so its size is measured exactly as production does.
import { hostAsk, registerBinding } from "./host";

type GetType = "text" | "json" | "arrayBuffer" | "stream";
type WireType = "text" | "bytes";
interface WireValue { text?: string; b64?: string }
interface GetArgs { type: GetType; cacheTtl?: number | string }
interface ListKey { name: string; expiration?: number; metadata?: unknown }
interface ListResult { keys: ListKey[]; list_complete: boolean; cursor?: string }

const GET_TYPES: readonly GetType[] = ["text", "json", "arrayBuffer", "stream"];

// ---- base64 (the prelude must not depend on the web module's atob/btoa) ----
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    chunk += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63]
      + (i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : "=")
      + (i + 2 < bytes.length ? ALPHABET[n & 63] : "=");
    if (chunk.length >= 8192) { parts.push(chunk); chunk = ""; }
  }
  parts.push(chunk);
  return parts.join("");
}

export function base64ToBytes(b64: string): Uint8Array {
  const clean = b64.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const n = (LOOKUP[clean.charCodeAt(i)] << 18) | (LOOKUP[clean.charCodeAt(i + 1)] << 12)
      | (LOOKUP[clean.charCodeAt(i + 2)] << 6) | LOOKUP[clean.charCodeAt(i + 3)];
    out[o++] = n >> 16;
    if (i + 2 < clean.length) out[o++] = (n >> 8) & 255;
    if (i + 3 < clean.length) out[o++] = n & 255;
  }
  return out;
}

// ---- argument checks ---------------------------------------------------------
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

function checkKey(method: string, key: unknown): string {
  if (typeof key !== "string") throw new TypeError(`KV ${method}(): the key must be a string, got ${describe(key)}`);
  return key;
}

function isPlainOptions(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A number option as it crosses JSON: non-finite values travel as strings so the host can name them. */
function numberOption(method: string, options: Record<string, unknown>, name: string): number | string | undefined {
  const v = options[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number") throw new TypeError(`KV ${method}(): option ${name} must be a number, got ${describe(v)}`);
  return Number.isFinite(v) ? v : String(v);
}

function stringOption(method: string, options: Record<string, unknown>, name: string): string | undefined {
  const v = options[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new TypeError(`KV ${method}(): option ${name} must be a string, got ${describe(v)}`);
  return v;
}

function checkType(method: string, type: unknown): GetType {
  if (type === undefined || type === null) return "text";
  if (typeof type !== "string" || !GET_TYPES.includes(type as GetType)) {
    throw new TypeError(
      `KV ${method}(): unknown response type ${describe(type)}. Possible types are "text", "arrayBuffer", "json", and "stream".`,
    );
  }
  return type as GetType;
}

function getArgs(method: string, options: unknown): GetArgs {
  if (options === undefined || options === null) return { type: "text" };
  if (typeof options === "string") return { type: checkType(method, options) };
  if (!isPlainOptions(options)) {
    throw new TypeError(`KV ${method}(): the second argument must be a type string or an options object, got ${describe(options)}`);
  }
  return { type: checkType(method, options.type), cacheTtl: numberOption(method, options, "cacheTtl") };
}

// ---- values ----------------------------------------------------------------
function streamSupported(): boolean {
  return typeof (globalThis as Record<string, unknown>).ReadableStream === "function";
}

function decodeValue(value: WireValue, type: GetType): unknown {
  if (type === "text") return value.text ?? "";
  if (type === "json") return JSON.parse(value.text ?? "");
  const bytes = base64ToBytes(value.b64 ?? "");
  if (type === "arrayBuffer") return bytes.buffer;
  const RS = (globalThis as Record<string, unknown>).ReadableStream as new (source: unknown) => unknown;
  return new RS({
    start(controller: { enqueue(chunk: Uint8Array): void; close(): void }) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

function wireType(method: string, type: GetType): WireType {
  if (type === "stream" && !streamSupported()) {
    throw new TypeError(`KV ${method}(): type "stream" needs ReadableStream, which this runtime lacks; use "arrayBuffer"`);
  }
  return type === "text" || type === "json" ? "text" : "bytes";
}

function viewBytes(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

async function readStream(stream: unknown): Promise<Uint8Array> {
  const reader = (stream as { getReader(): { read(): Promise<{ done: boolean; value?: unknown }> } }).getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value instanceof ArrayBuffer) chunks.push(new Uint8Array(value));
    else if (ArrayBuffer.isView(value)) chunks.push(viewBytes(value));
    else throw new TypeError(`KV put(): a ReadableStream value must yield bytes, got ${describe(value)}`);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

function isStream(v: unknown): boolean {
  if (!streamSupported()) return false;
  return v instanceof ((globalThis as Record<string, unknown>).ReadableStream as new () => unknown);
}

async function encodeValue(value: unknown): Promise<WireValue> {
  if (typeof value === "string") return { text: value };
  if (value instanceof ArrayBuffer) return { b64: bytesToBase64(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value)) return { b64: bytesToBase64(viewBytes(value)) };
  if (isStream(value)) return { b64: bytesToBase64(await readStream(value)) };
  throw new TypeError(`KV put(): the value must be a string, ArrayBuffer, ArrayBufferView or ReadableStream, got ${describe(value)}`);
}

function metadataJson(metadata: unknown): string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  let text: string | undefined;
  try { text = JSON.stringify(metadata); } catch (e) {
    throw new TypeError(`KV put(): metadata must be serialisable as JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new TypeError(`KV put(): metadata must be serialisable as JSON, got ${describe(metadata)}`);
  return text;
}

function putOptions(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (!isPlainOptions(options)) throw new TypeError(`KV put(): options must be an object, got ${describe(options)}`);
  return {
    expiration: numberOption("put", options, "expiration"),
    expirationTtl: numberOption("put", options, "expirationTtl"),
    metadata: metadataJson(options.metadata),
  };
}

function listOptions(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (!isPlainOptions(options)) throw new TypeError(`KV list(): options must be an object, got ${describe(options)}`);
  return {
    prefix: stringOption("list", options, "prefix"),
    limit: numberOption("list", options, "limit"),
    cursor: stringOption("list", options, "cursor"),
  };
}

// ---- the binding -------------------------------------------------------------
export class KVNamespace {
  readonly #binding: string;

  constructor(binding: string) {
    this.#binding = binding;
  }

  async get(key: unknown, options?: unknown): Promise<unknown> {
    const k = checkKey("get", key);
    const { type, cacheTtl } = getArgs("get", options);
    const value = await hostAsk<WireValue | null>("kv.get", { binding: this.#binding, key: k, type: wireType("get", type), cacheTtl });
    return value === null ? null : decodeValue(value, type);
  }

  async getWithMetadata(key: unknown, options?: unknown): Promise<{ value: unknown; metadata: unknown; cacheStatus: null }> {
    const k = checkKey("getWithMetadata", key);
    const { type, cacheTtl } = getArgs("getWithMetadata", options);
    const args = { binding: this.#binding, key: k, type: wireType("getWithMetadata", type), cacheTtl };
    const r = await hostAsk<{ value: WireValue | null; metadata: unknown }>("kv.getWithMetadata", args);
    return { value: r.value === null ? null : decodeValue(r.value, type), metadata: r.metadata ?? null, cacheStatus: null };
  }

  async put(key: unknown, value: unknown, options?: unknown): Promise<void> {
    const k = checkKey("put", key);
    const opts = putOptions(options);
    const wire = await encodeValue(value);
    await hostAsk<null>("kv.put", { binding: this.#binding, key: k, value: wire, ...opts });
  }

  async delete(key: unknown): Promise<void> {
    const k = checkKey("delete", key);
    await hostAsk<null>("kv.delete", { binding: this.#binding, key: k });
  }

  async list(options?: unknown): Promise<ListResult & { cacheStatus: null }> {
    const opts = listOptions(options);
    const r = await hostAsk<ListResult>("kv.list", { binding: this.#binding, ...opts });
    return { ...r, cacheStatus: null };
  }

}
// A data property (not a getter), so the debugger can name instances without running code.
Object.defineProperty(KVNamespace.prototype, Symbol.toStringTag, { value: "KvNamespace", configurable: true });

registerBinding("kv", (name) => new KVNamespace(name));
