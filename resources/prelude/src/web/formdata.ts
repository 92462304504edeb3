// FormData (XHR standard) with File entries, and its multipart/form-data
// serialisation (HTML) and parsing (Fetch "package data"). The multipart codec
// is written here: it is ~80 lines, and the npm parsers (busboy, formidable)
// are Node stream based.
import { Blob, File, blobBytes } from "./blob";
import { tag, utf8Decode, utf8Encode } from "./util";

export type FormDataEntryValue = string | File;

/** The entry value the spec makes: strings stay strings, a Blob becomes a File. */
function entryValue(value: unknown, filename: unknown, argc: number, method: string): FormDataEntryValue {
  if (value instanceof Blob) {
    const name = filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob";
    if (value instanceof File && filename === undefined) return value;
    return new File([value], name, { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
  }
  if (argc > 2) throw new TypeError(`Failed to execute '${method}' on 'FormData': parameter 2 is not of type 'Blob'.`);
  return String(value).toWellFormed();
}

export class FormData {
  #list: [string, FormDataEntryValue][] = [];
  constructor(form?: unknown) {
    if (form !== undefined) throw new TypeError("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
  }
  append(name: string, value: unknown, filename?: string): void {
    if (arguments.length < 2) throw new TypeError(`Failed to execute 'append' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
    this.#list.push([String(name).toWellFormed(), entryValue(value, filename, arguments.length, "append")]);
  }
  delete(name: string): void { const n = String(name).toWellFormed(); this.#list = this.#list.filter(([k]) => k !== n); }
  get(name: string): FormDataEntryValue | null {
    const n = String(name).toWellFormed();
    const e = this.#list.find(([k]) => k === n);
    return e ? e[1] : null;
  }
  getAll(name: string): FormDataEntryValue[] {
    const n = String(name).toWellFormed();
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }
  has(name: string): boolean { const n = String(name).toWellFormed(); return this.#list.some(([k]) => k === n); }
  set(name: string, value: unknown, filename?: string): void {
    if (arguments.length < 2) throw new TypeError(`Failed to execute 'set' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
    const n = String(name).toWellFormed();
    const v = entryValue(value, filename, arguments.length, "set");
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) { this.#list.push([n, v]); return; }
    this.#list[i] = [n, v];
    this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
  }
  forEach(cb: (value: FormDataEntryValue, key: string, parent: FormData) => void, thisArg?: unknown): void {
    if (typeof cb !== "function") throw new TypeError("Failed to execute 'forEach' on 'FormData': parameter 1 is not a function.");
    for (let i = 0; i < this.#list.length; i++) { const [k, v] = this.#list[i]!; cb.call(thisArg, v, k, this); }
  }
  *entries(): IterableIterator<[string, FormDataEntryValue]> {
    for (let i = 0; i < this.#list.length; i++) { const [k, v] = this.#list[i]!; yield [k, v]; }
  }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<FormDataEntryValue> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]> { return this.entries(); }
}
tag(FormData, "FormData");

// ---- multipart/form-data ------------------------------------------------------------

const escName = (s: string): string => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");

/** Serialise a FormData as multipart/form-data bytes, with its Content-Type (boundary included). */
export function multipartEncode(form: FormData): { bytes: Uint8Array; type: string } {
  let boundary = "----isoplayFormBoundary";
  for (let i = 0; i < 16; i++) boundary += "0123456789abcdefghijklmnopqrstuvwxyz"[Math.floor(Math.random() * 36)];
  const chunks: Uint8Array[] = [];
  let text = "";
  const flush = (): void => { if (text) { chunks.push(utf8Encode(text)); text = ""; } };
  for (const [name, value] of form) {
    const k = escName(name.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n"));
    if (typeof value === "string") {
      text += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n")}\r\n`;
    } else {
      text += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"; filename="${escName(value.name)}"\r\n`
        + `Content-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
      flush();
      chunks.push(blobBytes(value));
      text += "\r\n";
    }
  }
  text += `--${boundary}--\r\n`;
  flush();
  let size = 0;
  for (const c of chunks) size += c.length;
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) { bytes.set(c, o); o += c.length; }
  return { bytes, type: `multipart/form-data; boundary=${boundary}` };
}

/** A header parameter (`name="..."`) of a Content-Disposition value. */
function param(head: string, key: string): string | null {
  const re = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const m = re.exec(head);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!;
}

/** Parse multipart/form-data bytes; parts with a filename become Files. */
export function multipartDecode(bytes: Uint8Array, contentType: string): FormData {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new TypeError("Failed to parse body as FormData: the multipart/form-data content type has no boundary.");
  const boundary = "--" + (m[1] ?? m[2]!).trim();
  // latin1 keeps byte offsets: indexes into it are indexes into `bytes`
  let latin = "";
  for (let i = 0; i < bytes.length; i += 8192) latin += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
  const text = (a: number, b: number): string => utf8Decode(bytes.subarray(a, b))!;
  const form = new FormData();
  let at = latin.indexOf(boundary);
  if (at < 0) throw new TypeError("Failed to parse body as FormData: no boundary found.");
  for (;;) {
    let pos = at + boundary.length;
    if (latin.startsWith("--", pos)) return form; // the closing delimiter
    if (!latin.startsWith("\r\n", pos)) throw new TypeError("Failed to parse body as FormData: malformed delimiter.");
    pos += 2;
    const headEnd = latin.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) throw new TypeError("Failed to parse body as FormData: a part has no header end.");
    const next = latin.indexOf("\r\n" + boundary, headEnd + 4);
    if (next < 0) throw new TypeError("Failed to parse body as FormData: the body ends before the closing boundary.");
    let disposition = "", type = "";
    for (const line of text(pos, headEnd).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase(), value = line.slice(colon + 1).trim();
      if (key === "content-disposition") disposition = value;
      else if (key === "content-type") type = value;
    }
    if (!/^form-data\b/i.test(disposition)) throw new TypeError("Failed to parse body as FormData: a part is not form-data.");
    const name = param(disposition, "name");
    if (name === null) throw new TypeError("Failed to parse body as FormData: a part has no name.");
    const filename = param(disposition, "filename");
    const start = headEnd + 4;
    if (filename !== null) form.append(name, new File([bytes.subarray(start, next)], filename, { type: type || "text/plain" }));
    else form.append(name, text(start, next));
    at = next + 2;
  }
}
