// Cloudflare R2 in the isolate: the R2Bucket behind each [[r2_buckets]] binding.
// Objects live on the host (runtime/r2: a local SQLite file); this file gives them R2's
// shapes: R2Object (metadata), R2ObjectBody (with body / arrayBuffer / text / json / blob),
// conditional reads and writes (onlyIf as an object or Headers), ranges, list with
// delimiter, writeHttpMetadata. Errors carry R2's words and point at the script's line.
import { hostAsk, registerBinding } from "./host";
import { base64ToBytes, bytesToBase64 } from "./kv";

interface WireObject {
  key: string; version: string; size: number; etag: string; uploaded: number;
  httpMetadata?: Record<string, string>; customMetadata?: Record<string, string>;
}
interface WireGet { object: WireObject; body?: { b64: string }; range?: { offset: number; length: number } }
interface WireList { objects: WireObject[]; truncated: boolean; cursor?: string; delimitedPrefixes: string[] }

const HEADER_OF: Record<string, string> = {
  contentType: "content-type", contentLanguage: "content-language", contentDisposition: "content-disposition",
  contentEncoding: "content-encoding", cacheControl: "cache-control", cacheExpiry: "expires",
};

function isHeaders(v: unknown): v is { get(name: string): string | null } {
  const H = (globalThis as Record<string, unknown>).Headers as (new () => unknown) | undefined;
  return H !== undefined && v instanceof H;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  return typeof v;
}

function hexBytes(hex: string): ArrayBuffer {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out.buffer;
}

function httpMetadataOut(raw: Record<string, string> | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  const out: Record<string, unknown> = { ...raw };
  if (typeof raw.cacheExpiry === "string") out.cacheExpiry = new Date(raw.cacheExpiry);
  return out;
}

export class R2Object {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly etag: string;
  readonly httpEtag: string;
  readonly uploaded: Date;
  readonly httpMetadata?: Record<string, unknown>;
  readonly customMetadata?: Record<string, string>;
  readonly range?: { offset: number; length: number };
  readonly checksums: { md5?: ArrayBuffer; toJSON(): Record<string, string> };
  readonly storageClass = "Standard";

  constructor(w: WireObject, range?: { offset: number; length: number }) {
    this.key = w.key;
    this.version = w.version;
    this.size = w.size;
    this.etag = w.etag;
    this.httpEtag = `"${w.etag}"`;
    this.uploaded = new Date(w.uploaded);
    this.httpMetadata = httpMetadataOut(w.httpMetadata);
    this.customMetadata = w.customMetadata;
    if (range !== undefined) this.range = range;
    const etag = w.etag;
    this.checksums = { md5: hexBytes(etag), toJSON: () => ({ md5: etag }) };
  }

  writeHttpMetadata(headers: unknown): void {
    if (!isHeaders(headers)) throw new TypeError("R2 writeHttpMetadata(): expected a Headers object");
    const set = (headers as unknown as { set(n: string, v: string): void }).set.bind(headers);
    for (const [field, header] of Object.entries(HEADER_OF)) {
      const value = this.httpMetadata?.[field];
      if (value === undefined) continue;
      set(header, value instanceof Date ? value.toUTCString() : String(value));
    }
  }
}
Object.defineProperty(R2Object.prototype, Symbol.toStringTag, { value: "R2Object", configurable: true });

export class R2ObjectBody extends R2Object {
  #bytes: Uint8Array;
  #used = false;

  constructor(w: WireObject, bytes: Uint8Array, range?: { offset: number; length: number }) {
    super(w, range);
    this.#bytes = bytes;
  }

  #take(): Uint8Array {
    if (this.#used) throw new TypeError("Body has already been used. It can only be used once. Use tee() first if you need to read it twice.");
    this.#used = true;
    return this.#bytes;
  }

  get body(): unknown {
    const RS = (globalThis as Record<string, unknown>).ReadableStream as new (source: unknown) => unknown;
    const bytes = this.#take();
    return new RS({
      start(controller: { enqueue(chunk: Uint8Array): void; close(): void }) {
        if (bytes.length > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
  }

  get bodyUsed(): boolean { return this.#used; }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> { return this.#take().slice(); }

  async text(): Promise<string> {
    const TD = (globalThis as Record<string, unknown>).TextDecoder as new () => { decode(b: Uint8Array): string };
    return new TD().decode(this.#take());
  }

  async json<T = unknown>(): Promise<T> { return JSON.parse(await this.text()) as T; }

  async blob(): Promise<unknown> {
    const B = (globalThis as Record<string, unknown>).Blob as new (parts: unknown[], o?: unknown) => unknown;
    const type = this.httpMetadata?.contentType;
    return new B([this.#take()], typeof type === "string" ? { type } : undefined);
  }
}
Object.defineProperty(R2ObjectBody.prototype, Symbol.toStringTag, { value: "R2ObjectBody", configurable: true });

// ---- arguments -------------------------------------------------------------------------------------
function checkKey(method: string, key: unknown): string {
  if (typeof key !== "string") throw new TypeError(`R2 ${method}(): the key must be a string, got ${describe(key)}`);
  return key;
}

function time(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const t = v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new TypeError(`R2: ${what} must be a Date`);
  return t;
}

function conditions(v: unknown): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (isHeaders(v)) {
    return {
      etagMatches: v.get("if-match") ?? undefined, etagDoesNotMatch: v.get("if-none-match") ?? undefined,
      uploadedBefore: time(v.get("if-unmodified-since") ?? undefined, "If-Unmodified-Since"),
      uploadedAfter: time(v.get("if-modified-since") ?? undefined, "If-Modified-Since"),
    };
  }
  if (typeof v !== "object") throw new TypeError(`R2: onlyIf must be an object or Headers, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  return {
    etagMatches: o.etagMatches, etagDoesNotMatch: o.etagDoesNotMatch,
    uploadedBefore: time(o.uploadedBefore, "onlyIf.uploadedBefore"), uploadedAfter: time(o.uploadedAfter, "onlyIf.uploadedAfter"),
  };
}

function range(v: unknown): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (isHeaders(v)) {
    const text = v.get("range");
    if (text === null) return undefined;
    const m = /^bytes=(\d*)-(\d*)$/.exec(text.trim());
    if (!m || (m[1] === "" && m[2] === "")) throw new RangeError(`R2 get(): unsupported Range header ${JSON.stringify(text)}`);
    if (m[1] === "") return { suffix: Number(m[2]) };
    return m[2] === "" ? { offset: Number(m[1]) } : { offset: Number(m[1]), length: Number(m[2]) - Number(m[1]) + 1 };
  }
  if (typeof v !== "object") throw new TypeError(`R2 get(): range must be an object or Headers, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  return { offset: o.offset, length: o.length, suffix: o.suffix };
}

function httpMetadataIn(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const out: Record<string, string> = {};
  if (isHeaders(v)) {
    for (const [field, header] of Object.entries(HEADER_OF)) {
      const value = v.get(header);
      if (value !== null) out[field] = value;
    }
    return out;
  }
  if (typeof v !== "object") throw new TypeError(`R2 put(): httpMetadata must be an object or Headers, got ${describe(v)}`);
  for (const [field, value] of Object.entries(v as Record<string, unknown>)) {
    if (value === undefined) continue;
    out[field] = value instanceof Date ? value.toUTCString() : String(value);
  }
  return out;
}

async function bodyOf(value: unknown): Promise<{ text: string } | { b64: string } | null> {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return { text: value };
  if (value instanceof ArrayBuffer) return { b64: bytesToBase64(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value)) return { b64: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  const B = (globalThis as Record<string, unknown>).Blob as (new () => unknown) | undefined;
  if (B !== undefined && value instanceof B) {
    return { b64: bytesToBase64(new Uint8Array(await (value as { arrayBuffer(): Promise<ArrayBuffer> }).arrayBuffer())) };
  }
  const RS = (globalThis as Record<string, unknown>).ReadableStream as (new () => unknown) | undefined;
  if (RS !== undefined && value instanceof RS) {
    const R = (globalThis as Record<string, unknown>).Response as new (b: unknown) => { arrayBuffer(): Promise<ArrayBuffer> };
    return { b64: bytesToBase64(new Uint8Array(await new R(value).arrayBuffer())) };
  }
  throw new TypeError(`R2 put(): the value must be a string, ArrayBuffer, ArrayBufferView, Blob, ReadableStream or null, got ${describe(value)}`);
}

function md5Of(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : ArrayBuffer.isView(v)
    ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null;
  if (bytes === null) throw new TypeError("R2 put(): md5 must be a hex string or an ArrayBuffer");
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const BUCKETS = new WeakMap<object, string>();

export class R2Bucket {
  constructor(binding: string) {
    BUCKETS.set(this, binding);
  }

  #binding(): string {
    const name = BUCKETS.get(this);
    if (name === undefined) throw new TypeError("R2: not a bucket binding");
    return name;
  }

  async head(key: unknown): Promise<R2Object | null> {
    const w = await hostAsk<WireObject | null>("r2.head", { binding: this.#binding(), key: checkKey("head", key) });
    return w === null ? null : new R2Object(w);
  }

  async get(key: unknown, options?: { onlyIf?: unknown; range?: unknown }): Promise<R2Object | R2ObjectBody | null> {
    const args = { binding: this.#binding(), key: checkKey("get", key), onlyIf: conditions(options?.onlyIf), range: range(options?.range) };
    const r = await hostAsk<WireGet | null>("r2.get", args);
    if (r === null) return null;
    if (r.body === undefined) return new R2Object(r.object);
    return new R2ObjectBody(r.object, base64ToBytes(r.body.b64), r.range);
  }

  async put(key: unknown, value: unknown, options?: Record<string, unknown>): Promise<R2Object | null> {
    const k = checkKey("put", key);
    const o = options ?? {};
    if (typeof o !== "object") throw new TypeError(`R2 put(): options must be an object, got ${describe(o)}`);
    for (const sha of ["sha1", "sha256", "sha384", "sha512"]) {
      if (o[sha] !== undefined) throw new TypeError(`R2 put(): ${sha} checksums are not supported by isoplay yet (md5 is)`);
    }
    const args = {
      binding: this.#binding(), key: k, value: await bodyOf(value), httpMetadata: httpMetadataIn(o.httpMetadata),
      customMetadata: o.customMetadata, onlyIf: conditions(o.onlyIf), md5: md5Of(o.md5),
    };
    const w = await hostAsk<WireObject | null>("r2.put", args);
    return w === null ? null : new R2Object(w);
  }

  async delete(keys: unknown): Promise<void> {
    const list = Array.isArray(keys) ? keys : [keys];
    await hostAsk<null>("r2.delete", { binding: this.#binding(), keys: list.map((k) => checkKey("delete", k)) });
  }

  async list(options?: Record<string, unknown>): Promise<{ objects: R2Object[]; truncated: boolean; cursor?: string; delimitedPrefixes: string[] }> {
    const o = options ?? {};
    const r = await hostAsk<WireList>("r2.list", {
      binding: this.#binding(), prefix: o.prefix, delimiter: o.delimiter, cursor: o.cursor, startAfter: o.startAfter,
      limit: o.limit, include: o.include,
    });
    const out: { objects: R2Object[]; truncated: boolean; cursor?: string; delimitedPrefixes: string[] } = {
      objects: r.objects.map((w) => new R2Object(w)), truncated: r.truncated, delimitedPrefixes: r.delimitedPrefixes,
    };
    if (r.cursor !== undefined) out.cursor = r.cursor;
    return out;
  }

  createMultipartUpload(): never {
    throw new Error("R2 multipart uploads are not supported by isoplay yet; put() takes objects up to 100 MB locally");
  }

  resumeMultipartUpload(): never {
    return this.createMultipartUpload();
  }
}
Object.defineProperty(R2Bucket.prototype, Symbol.toStringTag, { value: "R2Bucket", configurable: true });

registerBinding("r2", (name) => new R2Bucket(name));
