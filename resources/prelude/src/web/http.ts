// Request, Response and FormData (Fetch standard, as Workers expose them).
// A body is kept as the string or bytes it was made from and only turned into a
// ReadableStream when a script asks for `.body`, so the common path
// (`new Response("text")` -> host) never copies or encodes twice.
import { Blob, blobBytes } from "./blob";
import { exportSocket } from "./websocket";
import { AbortController, AbortSignal } from "./events";
import { FormData, multipartDecode, multipartEncode } from "./formdata";
import { localCf } from "./globals";
import { Headers, type HeadersInit } from "./headers";
import { type ReadableStream, isDisturbed, isReadableStream, streamLengths, streamOfBytes, streams, takeWholeBody } from "./streams";
import { URL, URLSearchParams } from "./url";
import { HostBody, type HostBodySpec, hostBodyStream, ownedBytes, readWholeHostBody, takeHostBody } from "./reqbody";
import type { SerializedBody, SerializedResponse } from "../host";
import { tag, toArrayBuffer, utf8Decode, utf8Encode, viewOf } from "./util";

export { FormData };
export type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | FormData | Blob | ReadableStream | null;

interface BodyState {
  /** The body as made: text, bytes, or a stream (or a request body still on the host); null for no body. */
  src: string | Uint8Array | ReadableStream | HostBody | null;
  used: boolean;
}

// ---- Body extraction --------------------------------------------------------------

/** Turn a BodyInit into the stored source and its default Content-Type. */
function extractBody(init: unknown): { src: BodyState["src"]; type: string | null } {
  if (init === null || init === undefined) return { src: null, type: null };
  if (typeof init === "string") return { src: init, type: "text/plain;charset=UTF-8" };
  if (init instanceof URLSearchParams) return { src: init.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (init instanceof FormData) { const e = multipartEncode(init); return { src: e.bytes, type: e.type }; }
  if (init instanceof Blob) return { src: blobBytes(init), type: init.type || null };
  if (isReadableStream(init)) {
    if (init.locked || isDisturbed(init)) throw new TypeError("The body stream is locked or has already been read");
    return { src: init, type: null };
  }
  const view = viewOf(init);
  if (view) return { src: view.slice(), type: null };
  return { src: String(init), type: "text/plain;charset=UTF-8" };
}

async function readStream(s: ReadableStream): Promise<string | Uint8Array> {
  const whole = takeWholeBody(s);
  if (whole !== null) return whole;
  const reader = s.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    const v = typeof r.value === "string" ? utf8Encode(r.value) : viewOf(r.value);
    if (!v) throw new TypeError("A body stream chunk is not a Uint8Array, ArrayBuffer or string");
    chunks.push(v); size += v.length;
  }
  reader.releaseLock();
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

let bodyState: (b: Body) => BodyState;

/** The Body mixin shared by Request and Response. */
export class Body {
  #body: BodyState = { src: null, used: false };
  static {
    bodyState = (b) => b.#body;
  }
  get body(): ReadableStream | null {
    const b = this.#body;
    if (b.src === null) return null;
    if (b.src instanceof HostBody) b.src = hostBodyStream(b.src.spec);
    if (!isReadableStream(b.src)) {
      if (b.used) {
        const spent = new (streams().ReadableStream)({ start(c: { close(): void }) { c.close(); } });
        void spent.getReader().read();
        b.src = spent;
      } else b.src = streamOfBytes(b.src);
    }
    return b.src;
  }
  get bodyUsed(): boolean {
    const b = this.#body;
    return b.used || (isReadableStream(b.src) && isDisturbed(b.src));
  }
  /** @internal The raw body (text or bytes), marking it used. */
  async _consume(): Promise<string | Uint8Array> {
    const b = this.#body;
    if (this.bodyUsed) throw new TypeError("Body has already been used. It can only be used once. Use tee() first if you need to read it twice.");
    b.used = true;
    if (b.src === null) return "";
    if (b.src instanceof HostBody) return readWholeHostBody(b.src.spec);
    if (isReadableStream(b.src)) {
      if (b.src.locked) throw new TypeError("The body stream is locked to a reader");
      return (await takeHostBody(b.src)) ?? readStream(b.src);
    }
    return b.src;
  }
  async text(): Promise<string> {
    const raw = await this._consume();
    return typeof raw === "string" ? raw : utf8Decode(raw)!.replace(/^\ufeff/, "");
  }
  async json(): Promise<unknown> { return JSON.parse(await this.text()); }
  async bytes(): Promise<Uint8Array> {
    const raw = await this._consume();
    return typeof raw === "string" ? utf8Encode(raw) : raw.slice();
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const raw = await this._consume();
    if (typeof raw !== "string" && ownedBytes.has(raw) && raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) {
      return raw.buffer as ArrayBuffer; // read for this call alone: held once, not copied
    }
    return toArrayBuffer(typeof raw === "string" ? utf8Encode(raw) : raw);
  }
  async blob(): Promise<Blob> {
    const type = (this as unknown as { headers: Headers }).headers.get("content-type") ?? "";
    const raw = await this._consume();
    return new Blob([raw], { type });
  }
  async formData(): Promise<FormData> {
    const type = (this as unknown as { headers: Headers }).headers.get("content-type") ?? "";
    const raw = await this._consume();
    const bytes = typeof raw === "string" ? utf8Encode(raw) : raw;
    if (/^multipart\/form-data/i.test(type)) return multipartDecode(bytes, type);
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const form = new FormData();
      for (const [k, v] of new URLSearchParams(utf8Decode(bytes)!)) form.append(k, v);
      return form;
    }
    throw new TypeError(`formData(): unsupported content type "${type}"`);
  }
}

function setBody(target: Body, init: unknown, headers: Headers): void {
  const { src, type } = extractBody(init);
  bodyState(target).src = src;
  if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
}

/** Copy a body for clone(): bytes are shared (immutable here), streams are teed. */
function cloneBody(from: Body, to: Body): void {
  if (from.bodyUsed) throw new TypeError("Cannot clone a body that has already been used");
  const a = bodyState(from), b = bodyState(to);
  if (a.src instanceof HostBody) a.src = hostBodyStream(a.src.spec);
  if (isReadableStream(a.src)) {
    const whole = takeWholeBody(a.src);
    if (whole !== null) { a.src = whole; b.src = whole; return; }
    const [x, y] = a.src.tee();
    a.src = x; b.src = y;
  } else b.src = a.src;
}

// ---- Request ------------------------------------------------------------------
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];

export interface RequestInit {
  method?: string; headers?: HeadersInit; body?: BodyInit; redirect?: string;
  signal?: AbortSignal | null; cf?: unknown; [key: string]: unknown;
}

/** Marks the host's construction of an incoming request (see requestFromHost). */
const FROM_HOST: unique symbol = Symbol("isoplay.fromHost");
interface HostInit { method: string; url: string; headers: Headers; cf?: Record<string, unknown> }

export class Request extends Body {
  readonly #method: string;
  #url: string;
  /** The host's URL, normalised on first read of `url` (most handlers never read it). */
  #hostUrl: string | null = null;
  readonly #headers: Headers;
  readonly #redirect: string;
  #signal: AbortSignal | null;
  #cf: unknown;
  /** An incoming request's cf overrides, turned into `cf` on first read. */
  #hostCf: Record<string, unknown> | undefined | null = null;

  constructor(input: string | URL | Request, init: RequestInit = {}) {
    super();
    if ((input as unknown) === FROM_HOST) {
      // An incoming request: its parts were validated by the HTTP parser already.
      const h = init as unknown as HostInit;
      this.#method = h.method; this.#url = ""; this.#hostUrl = h.url; this.#headers = h.headers;
      this.#redirect = "follow"; this.#signal = null; this.#cf = undefined; this.#hostCf = h.cf;
      return;
    }
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    const from = input instanceof Request ? input : null;
    let url: string;
    if (from) url = from.url;
    else {
      try { url = new URL(String(input)).href; }
      catch { throw new TypeError(`Failed to construct 'Request': Invalid URL "${String(input)}" (a Request needs an absolute URL)`); }
    }
    this.#url = url;
    let method = init.method !== undefined ? String(init.method) : from ? from.method : "GET";
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
    if (/^(CONNECT|TRACE|TRACK)$/i.test(method)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
    if (METHODS.includes(method.toUpperCase()) && method.toUpperCase() !== "PATCH") method = method.toUpperCase();
    this.#method = method;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
    const redirect = init.redirect ?? (from ? from.redirect : "follow");
    if (!["follow", "manual", "error"].includes(redirect)) throw new TypeError(`Invalid redirect value: ${redirect}`);
    this.#redirect = redirect;
    const signal = init.signal !== undefined ? init.signal : from ? from.signal : null;
    if (signal !== null && signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
    this.#signal = signal ?? new AbortController().signal;
    this.#cf = init.cf ?? from?.cf;
    const hasBody = init.body !== undefined && init.body !== null;
    if ((method === "GET" || method === "HEAD") && (hasBody || (init.body === undefined && from && bodyState(from).src !== null))) {
      throw new TypeError("Request with a GET or HEAD method cannot have a body.");
    }
    if (init.body !== undefined) setBody(this, init.body, this.#headers);
    else if (from && bodyState(from).src !== null) {
      if (from.bodyUsed) throw new TypeError("Cannot construct a Request with a Request whose body has already been used.");
      const a = bodyState(from);
      bodyState(this).src = a.src;
      a.used = true;
    }
  }
  get method(): string { return this.#method; }
  get url(): string {
    const raw = this.#hostUrl;
    if (raw !== null) {
      this.#hostUrl = null;
      try { this.#url = new URL(raw).href; } catch { this.#url = raw; }
    }
    return this.#url;
  }
  get headers(): Headers { return this.#headers; }
  get redirect(): string { return this.#redirect; }
  get signal(): AbortSignal { return this.#signal ??= new AbortController().signal; }
  get cf(): unknown {
    if (this.#hostCf !== null) { this.#cf = localCf(this.#hostCf); this.#hostCf = null; }
    return this.#cf;
  }
  get keepalive(): boolean { return false; }
  get integrity(): string { return ""; }
  get cache(): string | undefined { return undefined; }
  clone(): Request {
    const r = new Request(this.url, { method: this.#method, headers: this.#headers, redirect: this.#redirect, signal: this.signal, cf: this.cf });
    cloneBody(this, r);
    return r;
  }
}
tag(Request, "Request");

// ---- Response -------------------------------------------------------------------
const NULL_BODY_STATUS = [101, 204, 205, 304];
const REDIRECT_STATUS = [301, 302, 303, 307, 308];

export interface ResponseInit { status?: number; statusText?: string; headers?: HeadersInit; [key: string]: unknown }

let setResponseMeta: (r: Response, meta: { type?: string; url?: string; redirected?: boolean; status?: number }) => void;

export class Response extends Body {
  #status: number;
  readonly #statusText: string;
  readonly #headers: Headers;
  #type = "default";
  #url = "";
  #redirected = false;
  readonly #webSocket: unknown;
  static {
    setResponseMeta = (r, m) => {
      if (m.type !== undefined) r.#type = m.type;
      if (m.url !== undefined) r.#url = m.url;
      if (m.redirected !== undefined) r.#redirected = m.redirected;
      if (m.status !== undefined) r.#status = m.status;
    };
  }

  constructor(body: BodyInit | undefined = null, init: ResponseInit = {}) {
    super();
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      if (!(status === 101 && init.webSocket)) {
        throw new RangeError(`Failed to construct 'Response': The status provided (${init.status}) is outside the range [200, 599].`);
      }
    }
    const statusText = init.statusText === undefined ? "" : String(init.statusText);
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(statusText)) throw new TypeError("Failed to construct 'Response': Invalid statusText.");
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    this.#webSocket = init.webSocket ?? null;
    if (body !== null && body !== undefined) {
      if (NULL_BODY_STATUS.includes(status)) throw new TypeError(`Response with null body status (${status}) cannot have body`);
      setBody(this, body, this.#headers);
    }
  }
  get status(): number { return this.#status; }
  get statusText(): string { return this.#statusText; }
  get ok(): boolean { return this.#status >= 200 && this.#status <= 299; }
  get headers(): Headers { return this.#headers; }
  get type(): string { return this.#type; }
  get url(): string { return this.#url; }
  get redirected(): boolean { return this.#redirected; }
  get webSocket(): unknown { return this.#webSocket; }
  clone(): Response {
    if (this.#type === "error") return Response.error();
    const r = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
    cloneBody(this, r);
    setResponseMeta(r, { type: this.#type, url: this.#url, redirected: this.#redirected });
    return r;
  }
  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: the data is not JSON-serialisable");
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }
  static redirect(url: string | URL, status = 302): Response {
    let href: string;
    try { href = new URL(String(url)).href; } catch { throw new TypeError(`Failed to execute 'redirect' on 'Response': Invalid URL "${String(url)}"`); }
    if (!REDIRECT_STATUS.includes(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
    const r = new Response(null, { status, headers: { location: href } });
    r.#headers._freeze();
    return r;
  }
  static error(): Response {
    const r = new Response(null, { status: 200 });
    r.#type = "error";
    r.#status = 0;
    r.#headers._freeze();
    return r;
  }
}
tag(Response, "Response");

// ---- host glue ---------------------------------------------------------------------

/** Body bytes or text as the host protocol carries them ({text} when valid UTF-8). */
export function serializeBody(raw: string | Uint8Array): SerializedBody {
  if (typeof raw === "string") return { text: raw };
  const text = utf8Decode(raw, true);
  return text !== null ? { text } : { b64: (raw as Uint8Array & { toBase64(): string }).toBase64() };
}

/** Decode a host-side body into what Request/Response store. */
export function deserializeBody(body: SerializedBody | null | undefined): string | Uint8Array | null {
  if (!body) return null;
  if (body.b64 !== undefined) {
    try { return (Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64(body.b64); }
    catch { throw new TypeError("host sent an invalid base64 body"); }
  }
  return body.text ?? "";
}

/** Build a Request from the host's description of an incoming request (headers immutable). */
export function requestFromHost(spec: { method: string; url: string; headers: [string, string][]; body: SerializedBody | HostBodySpec | null; cf?: Record<string, unknown> }): Request {
  const init: HostInit = { method: spec.method, url: spec.url, headers: Headers._fromHost(spec.headers), cf: spec.cf };
  const req = new Request(FROM_HOST as unknown as string, init as unknown as RequestInit);
  if (spec.body && "stream" in spec.body) { // large or still arriving: streamed from the host (reqbody.ts)
    if (req.method !== "GET" && req.method !== "HEAD") bodyState(req).src = new HostBody(spec.body);
    return req;
  }
  const src = deserializeBody(spec.body as SerializedBody | null);
  if (src !== null && src !== "" && req.method !== "GET" && req.method !== "HEAD") bodyState(req).src = src;
  return req;
}

/** Build a Response from a fetch result (headers immutable, url and redirected set). */
export function responseFromHost(res: { status: number; statusText: string; headers: [string, string][]; body: SerializedBody | null; url: string; redirected: boolean }): Response {
  const nullBody = NULL_BODY_STATUS.includes(res.status);
  const r = new Response(null, { status: res.status < 200 ? 200 : res.status, statusText: res.statusText, headers: res.headers });
  if (!nullBody) bodyState(r).src = deserializeBody(res.body) ?? "";
  r.headers._freeze();
  setResponseMeta(r, { type: "basic", url: res.url, redirected: res.redirected, status: res.status });
  return r;
}

/** Read a script's Response for the host. A body that is text, bytes or an
 * unread whole-body stream travels in `body` (one crossing); any other stream is
 * handed over in `stream`, and the host pumps it chunk by chunk (host.ts). */
export function serializeResponse(r: unknown): SerializedResponse {
  const res = r as Response;
  const headers: [string, string][] = [...res.headers];
  if (res.status === 101) {
    const socket = exportSocket(res.webSocket);
    if (socket === null) throw new TypeError("A 101 response needs a webSocket: new Response(null, { status: 101, webSocket: client })");
    return { status: 101, statusText: res.statusText, headers, body: null, webSocket: socket } as SerializedResponse;
  }
  const b = bodyState(res);
  const src = b.src;
  if (src === null) return { status: res.status, statusText: res.statusText, headers, body: null };
  if (!b.used && (typeof src === "string" || src instanceof Uint8Array)) {
    b.used = true;
    return { status: res.status, statusText: res.statusText, headers, body: serializeBody(src) };
  }
  const head = { status: res.status, statusText: res.statusText, headers, body: null };
  if (res.bodyUsed) throw new TypeError("The Response's body has already been used; it cannot be sent.");
  if (isReadableStream(b.src)) {
    if (b.src.locked) throw new TypeError("The Response's body stream is locked to a reader; it cannot be sent.");
    const whole = takeWholeBody(b.src);
    if (whole === null) {
      b.used = true;
      const length = streamLengths.get(b.src);
      return { ...head, stream: b.src, ...(length !== undefined ? { length } : {}) };
    }
    b.src = whole;
  }
  b.used = true;
  return { ...head, body: serializeBody(b.src) };
}
