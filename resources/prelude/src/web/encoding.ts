// TextEncoder / TextDecoder (WHATWG Encoding: utf-8 and utf-16le) and atob / btoa.
import { DOMException, base64Decode, base64Encode, bufferSource, tag, utf8Decode, utf8Encode } from "./util";

export class TextEncoder {
  get encoding(): string { return "utf-8"; }
  encode(input: string = ""): Uint8Array { return utf8Encode(String(input)); }
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) throw new TypeError("encodeInto: destination is not a Uint8Array");
    const s = String(source);
    let read = 0, written = 0;
    for (let i = 0; i < s.length;) {
      const cp = s.codePointAt(i)!;
      const units = cp > 0xffff ? 2 : 1;
      const bytes = utf8Encode(s.slice(i, i + units));
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length; read += units; i += units;
    }
    return { read, written };
  }
}
tag(TextEncoder, "TextEncoder");

const UTF8_LABELS = ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"];
const UTF16LE_LABELS = ["csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"];

export class TextDecoder {
  readonly #encoding: "utf-8" | "utf-16le";
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #pending: Uint8Array | null = null;
  #bomSeen = false;
  constructor(label: string = "utf-8", options?: { fatal?: boolean; ignoreBOM?: boolean }) {
    const l = String(label).trim().toLowerCase();
    if (UTF8_LABELS.includes(l)) this.#encoding = "utf-8";
    else if (UTF16LE_LABELS.includes(l)) this.#encoding = "utf-16le";
    else throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
    this.#fatal = !!options?.fatal;
    this.#ignoreBOM = !!options?.ignoreBOM;
  }
  get encoding(): string { return this.#encoding; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }

  decode(input?: ArrayBuffer | ArrayBufferView | null, options?: { stream?: boolean }): string {
    let bytes = input === undefined || input === null ? new Uint8Array(0) : bufferSource(input, "TextDecoder.decode");
    const stream = !!options?.stream;
    if (this.#pending) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending); joined.set(bytes, this.#pending.length);
      bytes = joined; this.#pending = null;
    }
    if (stream) {
      const cut = this.#encoding === "utf-8" ? utf8Complete(bytes) : bytes.length - (bytes.length % 2);
      if (cut < bytes.length) { this.#pending = bytes.slice(cut); bytes = bytes.subarray(0, cut); }
    }
    let out = this.#encoding === "utf-8" ? utf8Decode(bytes, this.#fatal) : utf16leDecode(bytes, this.#fatal);
    if (out === null) {
      this.#pending = null; this.#bomSeen = false;
      throw new TypeError(`The encoded data was not valid for encoding ${this.#encoding}`);
    }
    if (!this.#bomSeen && out.length > 0) {
      this.#bomSeen = true;
      if (!this.#ignoreBOM && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
    }
    if (!stream) this.#bomSeen = false;
    return out;
  }
}
tag(TextDecoder, "TextDecoder");

/** Length of the prefix of `b` that does not end inside a UTF-8 sequence. */
function utf8Complete(b: Uint8Array): number {
  const n = b.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const c = b[n - k]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte; look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > k ? n - k : n;
  }
  return n;
}

function utf16leDecode(b: Uint8Array, fatal: boolean): string | null {
  const units: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) units.push(b[i]! | (b[i + 1]! << 8));
  let s = "";
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode.apply(null, units.slice(i, i + 8192));
  if (b.length % 2) { if (fatal) return null; s += "\ufffd"; }
  const wf = s.toWellFormed();
  if (fatal && wf !== s) return null;
  return wf;
}

/** btoa: base64 of a "binary string" (every char must be <= U+00FF). */
export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
  const s = String(data);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new DOMException("Invalid character", "InvalidCharacterError");
    bytes[i] = c;
  }
  return base64Encode(bytes);
}

/** atob: decode forgiving-base64 into a "binary string". */
export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
  const bytes = base64Decode(String(data));
  if (!bytes) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
  return s;
}
