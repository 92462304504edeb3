// Shared helpers of the Web APIs: DOMException, byte conversions, UTF-8 and base64.
// Written by hand (no dependencies) because each is a few lines and cold start
// pays for every byte of the prelude.

const DOM_CODES: Record<string, number> = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

/** The WebIDL DOMException: an Error with a name and a legacy numeric code. */
export class DOMException extends Error {
  readonly #name: string;
  constructor(message = "", name = "Error") {
    super(String(message));
    this.#name = String(name);
  }
  override get name(): string { return this.#name; }
  get code(): number { return DOM_CODES[this.#name] ?? 0; }
}
Object.defineProperty(DOMException.prototype, Symbol.toStringTag, { value: "DOMException" });

export type BufferSource = ArrayBuffer | ArrayBufferView;

/** True for ArrayBuffer (or SharedArrayBuffer). */
export function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer);
}

/** A Uint8Array view of a BufferSource (no copy), or null if it is not one. */
export function viewOf(v: unknown): Uint8Array | null {
  if (isArrayBuffer(v)) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

/** A Uint8Array view of a BufferSource, throwing a TypeError otherwise. */
export function bufferSource(v: unknown, what: string): Uint8Array {
  const u = viewOf(v);
  if (!u) throw new TypeError(`${what}: argument is not an ArrayBuffer or ArrayBufferView`);
  return u;
}

/** Encode a JS string as UTF-8 (lone surrogates become U+FFFD). */
export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  let i = 0;
  // ASCII fast path
  for (; i < n; i++) if (s.charCodeAt(i) > 0x7f) break;
  if (i === n) {
    const out = new Uint8Array(n);
    for (let j = 0; j < n; j++) out[j] = s.charCodeAt(j);
    return out;
  }
  const out = new Uint8Array(i + (n - i) * 3);
  for (let j = 0; j < i; j++) out[j] = s.charCodeAt(j);
  let o = i;
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { out[o++] = c; continue; }
    if (c < 0x800) { out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63); continue; }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63);
        out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
  }
  return out.slice(0, o);
}

/**
 * Decode UTF-8 per the WHATWG Encoding standard (maximal-subpart replacement).
 * Returns null on the first error when `fatal`.
 */
export function utf8Decode(b: Uint8Array, fatal = false): string | null {
  const n = b.length;
  const parts: string[] = [];
  let codes: number[] = [];
  let i = 0;
  const flush = () => { parts.push(String.fromCharCode.apply(null, codes)); codes = []; };
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) { codes.push(c); i++; }
    else {
      let need = 0, cp = 0, lo = 0x80, hi = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
      else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0xf; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
      else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 7; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
      else { if (fatal) return null; codes.push(0xfffd); i++; continue; }
      let j = 1;
      for (; j <= need; j++) {
        const x = i + j < n ? b[i + j]! : -1;
        if (x < lo || x > hi) break;
        lo = 0x80; hi = 0xbf;
        cp = (cp << 6) | (x & 0x3f);
      }
      if (j <= need) { if (fatal) return null; codes.push(0xfffd); i += j; continue; }
      i += need + 1;
      if (cp >= 0x10000) { cp -= 0x10000; codes.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff)); }
      else codes.push(cp);
    }
    if (codes.length >= 8192) flush();
  }
  if (codes.length || !parts.length) flush();
  return parts.length === 1 ? parts[0]! : parts.join("");
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
let b64Index: Int16Array | null = null;

/** Base64-encode bytes (standard alphabet, padded). */
export function base64Encode(b: Uint8Array): string {
  const out: string[] = [];
  let chunk = "";
  const n = b.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    chunk += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
    if (chunk.length >= 8192) { out.push(chunk); chunk = ""; }
  }
  if (i < n) {
    const v = (b[i]! << 16) | (i + 1 < n ? b[i + 1]! << 8 : 0);
    chunk += B64[v >> 18]! + B64[(v >> 12) & 63]! + (i + 1 < n ? B64[(v >> 6) & 63]! : "=") + "=";
  }
  out.push(chunk);
  return out.join("");
}

/** Forgiving-base64 decode (WHATWG); null when the input is not valid base64. */
export function base64Decode(s: string): Uint8Array | null {
  if (!b64Index) {
    b64Index = new Int16Array(128).fill(-1);
    for (let i = 0; i < 64; i++) b64Index[B64.charCodeAt(i)] = i;
  }
  s = s.replace(/[\t\n\f\r ]+/g, "");
  if (s.length % 4 === 0) s = s.replace(/==?$/, "");
  if (s.length % 4 === 1) return null;
  const out = new Uint8Array((s.length * 3) >> 2);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? b64Index[c]! : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v; bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 0xff; }
  }
  return out;
}

/** Copy of the bytes as a fresh ArrayBuffer. */
export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Define non-enumerable, writable, configurable globals (like WebIDL interfaces). */
export function defineGlobals(values: Record<string, unknown>): void {
  for (const k of Object.keys(values)) {
    Object.defineProperty(globalThis, k, { value: values[k], writable: true, configurable: true, enumerable: false });
  }
}

/** Give a class the `[Symbol.toStringTag]` browsers report. */
export function tag(ctor: { prototype: object }, name: string): void {
  Object.defineProperty(ctor.prototype, Symbol.toStringTag, { value: name, configurable: true });
}

declare global {
  interface String {
    /** ES2024: replace lone surrogates with U+FFFD. */
    toWellFormed(): string;
  }
}
