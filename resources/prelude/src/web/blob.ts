// Blob and File (W3C File API). Written here rather than taken from npm: no
// Blob package is pinned for the isolate (fetch-blob and friends are Node-only
// and stream from disk), and an in-memory Blob is a byte array with a type.
// The bytes are immutable once made, so slices and copies share nothing mutable.
import { now } from "../clock";
import { streamOfBytes, type ReadableStream } from "./streams";
import { tag, toArrayBuffer, utf8Decode, utf8Encode, viewOf } from "./util";

export type BlobPart = string | ArrayBuffer | ArrayBufferView | Blob;
export interface BlobPropertyBag { type?: string; endings?: "transparent" | "native" }

let bytesOf: (b: Blob) => Uint8Array;

/** Lowercase the type if it is all printable ASCII, else "" (File API "type"). */
function normaliseType(t: unknown): string {
  const s = t === undefined ? "" : String(t);
  return /^[\x20-\x7e]*$/.test(s) ? s.toLowerCase() : "";
}

export class Blob {
  #bytes: Uint8Array;
  #type: string;
  static {
    bytesOf = (b) => b.#bytes;
  }

  constructor(parts?: Iterable<BlobPart> | null, options?: BlobPropertyBag | null) {
    if (parts !== undefined && parts !== null && (typeof parts !== "object" || typeof (parts as Iterable<BlobPart>)[Symbol.iterator] !== "function")) {
      throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
    }
    if (options !== undefined && options !== null && typeof options !== "object" && typeof options !== "function") {
      throw new TypeError("Failed to construct 'Blob': parameter 2 is not of type 'BlobPropertyBag'.");
    }
    const endings = options?.endings === undefined ? "transparent" : String(options.endings);
    if (endings !== "transparent" && endings !== "native") {
      throw new TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`);
    }
    const type = normaliseType(options?.type);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (const part of parts ?? []) {
      let bytes: Uint8Array;
      if (part instanceof Blob) bytes = part.#bytes;
      else {
        const view = viewOf(part);
        if (view) bytes = view.slice();
        else {
          let s = String(part).toWellFormed();
          if (endings === "native") s = s.replace(/\r\n|\r/g, "\n");
          bytes = utf8Encode(s);
        }
      }
      chunks.push(bytes);
      size += bytes.length;
    }
    this.#bytes = chunks.length === 1 ? chunks[0]! : concat(chunks, size);
    this.#type = type;
  }

  get size(): number { return this.#bytes.length; }
  get type(): string { return this.#type; }

  slice(start?: number, end?: number, contentType?: string): Blob {
    const n = this.#bytes.length;
    const rel = (v: number | undefined, dflt: number): number => {
      if (v === undefined) return dflt;
      const x = Math.trunc(Number(v)) || 0;
      return x < 0 ? Math.max(n + x, 0) : Math.min(x, n);
    };
    const from = rel(start, 0), to = rel(end, n);
    const b = new Blob([], { type: contentType === undefined ? "" : contentType });
    b.#bytes = this.#bytes.subarray(from, Math.max(from, to));
    return b;
  }
  async text(): Promise<string> { return utf8Decode(this.#bytes)!.replace(/^\ufeff/, ""); }
  async arrayBuffer(): Promise<ArrayBuffer> { return toArrayBuffer(this.#bytes); }
  async bytes(): Promise<Uint8Array> { return this.#bytes.slice(); }
  stream(): ReadableStream { return streamOfBytes(this.#bytes); }
}
tag(Blob, "Blob");

export class File extends Blob {
  #name: string;
  #lastModified: number;
  constructor(bits: Iterable<BlobPart>, name: string, options?: BlobPropertyBag & { lastModified?: number }) {
    if (arguments.length < 2) throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
    super(bits, options);
    this.#name = String(name).toWellFormed();
    const lm = options?.lastModified;
    this.#lastModified = lm === undefined ? now() : Math.trunc(Number(lm)) || 0;
  }
  get name(): string { return this.#name; }
  get lastModified(): number { return this.#lastModified; }
  get webkitRelativePath(): string { return ""; }
}
tag(File, "File");

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** The bytes of a Blob (shared, never to be mutated). */
export function blobBytes(b: Blob): Uint8Array { return bytesOf(b); }

/** A File over bytes (copied once). */
export function fileFromBytes(bytes: Uint8Array, name: string, type: string): File {
  return new File([bytes], name, { type });
}
