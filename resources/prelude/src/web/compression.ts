// CompressionStream / DecompressionStream (WHATWG Compression) for "gzip",
// "deflate" (zlib) and "deflate-raw", on Python's zlib through host operations
// (runtime/webapi/compression.py). fflate (pinned in the toolchain) was tried
// first: it checks no gzip CRC or zlib Adler-32, accepts truncated gzip input and
// ignores trailing data, all of which the spec (and the WPT) require to fail.
// zlib does each chunk in C; the price is one host round trip per chunk.
import { hostCall } from "../host";
import { streams } from "./streams";
import { tag, viewOf } from "./util";

// V8's native base64 (TC39 Uint8Array base64), far faster than a JS codec for big chunks
declare global {
  interface Uint8Array { toBase64(): string }
  interface Uint8ArrayConstructor { fromBase64(s: string): Uint8Array }
}

const FORMATS = ["deflate", "deflate-raw", "gzip"];

interface PushResult { h: string; data: string; more: boolean }

/* eslint-disable @typescript-eslint/no-explicit-any */
function codecStream(kind: "CompressionStream" | "DecompressionStream", format: unknown): any {
  const f = String(format);
  if (!FORMATS.includes(f)) {
    throw new TypeError(`Failed to construct '${kind}': Unsupported compression format: '${f}'`);
  }
  const mode = kind === "CompressionStream" ? "compress" : "decompress";
  let handle: string | null = null;
  const push = async (c: any, data: Uint8Array, final: boolean): Promise<void> => {
    let args: Record<string, unknown> = { h: handle, format: f, mode, data: data.toBase64(), final };
    for (;;) {
      const r = await hostCall<PushResult>("compression.push", args);
      handle = r.h;
      if (r.data) {
        const out = Uint8Array.fromBase64(r.data);
        if (out.length) c.enqueue(out);
      }
      if (!r.more) return;
      args = { h: handle, data: "", final, more: true };
    }
  };
  return new (streams().TransformStream)({
    async transform(chunk: unknown, c: any) {
      const v = viewOf(chunk);
      if (v === null) throw new TypeError(`${kind}: a chunk is not an ArrayBuffer or ArrayBufferView`);
      if (v.length === 0) return;
      await push(c, v, false);
    },
    async flush(c: any) { await push(c, new Uint8Array(0), true); },
    async cancel() { if (handle !== null) await hostCall("compression.close", { h: handle }).catch(() => undefined); },
  });
}

export class CompressionStream {
  #ts: any;
  constructor(format: string) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'CompressionStream': 1 argument required, but only 0 present.");
    this.#ts = codecStream("CompressionStream", format);
  }
  get readable(): any { return this.#ts.readable; }
  get writable(): any { return this.#ts.writable; }
}
tag(CompressionStream, "CompressionStream");

export class DecompressionStream {
  #ts: any;
  constructor(format: string) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'DecompressionStream': 1 argument required, but only 0 present.");
    this.#ts = codecStream("DecompressionStream", format);
  }
  get readable(): any { return this.#ts.readable; }
  get writable(): any { return this.#ts.writable; }
}
tag(DecompressionStream, "DecompressionStream");
