// WHATWG Streams: the `web-streams-polyfill` ponyfill (the reference
// implementation, pinned in resources/toolchain), plus what Workers add on top:
// IdentityTransformStream, FixedLengthStream, TextEncoderStream and
// TextDecoderStream.
//
// The polyfill is ~65 kB of minified JS that most requests never touch (a body
// stays the string or bytes it was made from until a script asks for `.body`),
// so it is loaded lazily: `require()` makes esbuild wrap it in a closure that
// runs on first use, and V8 only pre-parses it when the prelude loads. The
// globals are accessors that load it when first read (see lazyGlobals).
import { TextDecoder, TextEncoder } from "./encoding";
import { tag, utf8Encode, viewOf } from "./util";

declare const require: (id: string) => unknown;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Ctor = new (...args: any[]) => any;
export interface StreamsModule {
  ReadableStream: Ctor & { from(x: unknown): any };
  ReadableStreamDefaultReader: Ctor; ReadableStreamBYOBReader: Ctor; ReadableStreamBYOBRequest: Ctor;
  ReadableStreamDefaultController: Ctor; ReadableByteStreamController: Ctor;
  WritableStream: Ctor; WritableStreamDefaultWriter: Ctor; WritableStreamDefaultController: Ctor;
  TransformStream: Ctor; TransformStreamDefaultController: Ctor;
  ByteLengthQueuingStrategy: Ctor; CountQueuingStrategy: Ctor;
}
/** A stream of the polyfill (typed loosely: its classes are only known once loaded). */
export type ReadableStream = any;
export type WritableStream = any;

let mod: StreamsModule | null = null;
let extras: Record<string, Ctor> | null = null;

/** The streams implementation, loaded on first use. */
export function streams(): StreamsModule {
  if (mod === null) mod = require("web-streams-polyfill") as StreamsModule;
  return mod;
}

/** Whether `v` is a ReadableStream (false, without loading anything, if no stream was ever made). */
export function isReadableStream(v: unknown): v is ReadableStream {
  return mod !== null && v instanceof mod.ReadableStream;
}

/** Whether the stream was read from or cancelled (the spec's [[disturbed]]; the
 * reference implementation keeps it as `_disturbed`). */
export function isDisturbed(s: ReadableStream): boolean {
  return (s as { _disturbed?: boolean })._disturbed === true;
}

// ---- whole bodies as streams --------------------------------------------------
// A Response made from text or bytes answers `.body` with a byte stream over
// them. If nobody reads that stream and it becomes another body
// (`new Response(upstream.body, upstream)`), the bytes are taken back whole.
const wholeBodies = new WeakMap<object, () => Uint8Array | string | null>();

/** A readable byte stream over a whole body (one chunk). */
export function streamOfBytes(b: Uint8Array | string): ReadableStream {
  let whole: Uint8Array | string | null = b;
  let sent = false;
  const s = new (streams().ReadableStream)({
    type: "bytes",
    pull(c: any) {
      if (!sent && whole !== null) {
        sent = true;
        const v = typeof whole === "string" ? utf8Encode(whole) : whole.slice();
        whole = null;
        if (v.length > 0) { c.enqueue(v); return; }
      }
      c.close();
      c.byobRequest?.respond(0);
    },
    cancel() { whole = null; },
  });
  wholeBodies.set(s, () => whole);
  return s;
}

/** The whole body behind a stream made by streamOfBytes, if nobody read it yet (the stream is then spent). */
export function takeWholeBody(s: ReadableStream): Uint8Array | string | null {
  const get = wholeBodies.get(s);
  if (!get || s.locked || isDisturbed(s)) return null;
  const whole = get();
  wholeBodies.delete(s);
  if (whole !== null) void s.cancel();
  return whole;
}

/** Known byte lengths of streams (FixedLengthStream's readable side): a body of
 * such a stream is sent with Content-Length. */
export const streamLengths = new WeakMap<object, number>();

// ---- Workers' byte transform streams -----------------------------------------------

/** An identity transform whose readable side is a byte stream (BYOB reads work);
 * chunks must be ArrayBuffer or ArrayBufferView. With `expected`, exactly that
 * many bytes must pass (FixedLengthStream). */
function byteTransform(self: object, expected: number | null): { readable: ReadableStream; writable: WritableStream } {
  const S = streams();
  let ctrl: any;
  let wake: (() => void) | null = null;
  let total = 0;
  const readable = new S.ReadableStream({
    type: "bytes",
    start(c: any) { ctrl = c; },
    pull() { const w = wake; wake = null; w?.(); },
    cancel(reason: unknown) { writableCtrl?.error(reason); const w = wake; wake = null; w?.(); },
  });
  let writableCtrl: any = null;
  const writable = new S.WritableStream({
    start(c: any) { writableCtrl = c; },
    write(chunk: unknown) {
      const v = viewOf(chunk);
      if (!v) throw new TypeError("This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.");
      total += v.byteLength;
      if (expected !== null && total > expected) {
        const e = new TypeError("Attempt to write too many bytes through a FixedLengthStream.");
        ctrl.error(e);
        throw e;
      }
      if (v.byteLength === 0) return;
      ctrl.enqueue(v.slice());
      if (ctrl.desiredSize !== null && ctrl.desiredSize <= 0) return new Promise<void>((r) => { wake = r; });
      return;
    },
    close() {
      if (expected !== null && total < expected) {
        const e = new TypeError("FixedLengthStream did not see all expected bytes before close().");
        ctrl.error(e);
        throw e;
      }
      ctrl.close();
      ctrl.byobRequest?.respond(0);
    },
    abort(reason: unknown) { ctrl.error(reason); },
  });
  if (expected !== null) streamLengths.set(readable, expected);
  void self;
  return { readable, writable };
}

function makeExtras(): Record<string, Ctor> {
  const S = streams();
  const TS = S.TransformStream;

  class IdentityTransformStream {
    #pair: { readable: ReadableStream; writable: WritableStream };
    constructor(_options?: unknown) { this.#pair = byteTransform(this, null); }
    get readable(): ReadableStream { return this.#pair.readable; }
    get writable(): WritableStream { return this.#pair.writable; }
  }
  Object.setPrototypeOf(IdentityTransformStream.prototype, TS.prototype);
  tag(IdentityTransformStream, "IdentityTransformStream");

  class FixedLengthStream {
    #pair: { readable: ReadableStream; writable: WritableStream };
    constructor(expectedLength: number | bigint, _options?: unknown) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'FixedLengthStream': 1 argument required, but only 0 present.");
      const n = Number(expectedLength);
      if (!Number.isSafeInteger(n) || n < 0) throw new TypeError("FixedLengthStream requires a non-negative integer expected length.");
      this.#pair = byteTransform(this, n);
    }
    get readable(): ReadableStream { return this.#pair.readable; }
    get writable(): WritableStream { return this.#pair.writable; }
  }
  Object.setPrototypeOf(FixedLengthStream.prototype, TS.prototype);
  tag(FixedLengthStream, "FixedLengthStream");

  class TextEncoderStream {
    #ts: any;
    constructor() {
      let pending: string | null = null; // a high surrogate that ended the last chunk
      const enc = new TextEncoder();
      this.#ts = new TS({
        transform(chunk: unknown, c: any) {
          let s = (pending ?? "") + String(chunk);
          pending = null;
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) { pending = s.slice(-1); s = s.slice(0, -1); }
          if (s.length > 0) c.enqueue(enc.encode(s));
        },
        flush(c: any) { if (pending !== null) c.enqueue(new Uint8Array([0xef, 0xbf, 0xbd])); },
      });
    }
    get encoding(): string { return "utf-8"; }
    get readable(): ReadableStream { return this.#ts.readable; }
    get writable(): WritableStream { return this.#ts.writable; }
  }
  tag(TextEncoderStream, "TextEncoderStream");

  class TextDecoderStream {
    #ts: any;
    #dec: TextDecoder;
    constructor(label: string = "utf-8", options?: { fatal?: boolean; ignoreBOM?: boolean }) {
      const dec = this.#dec = new TextDecoder(label, options);
      this.#ts = new TS({
        transform(chunk: unknown, c: any) {
          if (viewOf(chunk) === null) throw new TypeError("TextDecoderStream: a chunk is not an ArrayBuffer or ArrayBufferView");
          const s = dec.decode(chunk as Uint8Array, { stream: true });
          if (s) c.enqueue(s);
        },
        flush(c: any) { const s = dec.decode(); if (s) c.enqueue(s); },
      });
    }
    get encoding(): string { return this.#dec.encoding; }
    get fatal(): boolean { return this.#dec.fatal; }
    get ignoreBOM(): boolean { return this.#dec.ignoreBOM; }
    get readable(): ReadableStream { return this.#ts.readable; }
    get writable(): WritableStream { return this.#ts.writable; }
  }
  tag(TextDecoderStream, "TextDecoderStream");

  return { IdentityTransformStream, FixedLengthStream, TextEncoderStream, TextDecoderStream } as unknown as Record<string, Ctor>;
}

/** The Workers additions (built on first use, on top of the polyfill). */
export function streamExtras(): Record<string, Ctor> {
  if (extras === null) extras = makeExtras();
  return extras;
}

/** The stream globals, each resolved on first read (see defineLazyGlobals). */
export const STREAM_GLOBALS: Record<string, () => unknown> = {
  ReadableStream: () => streams().ReadableStream,
  ReadableStreamDefaultReader: () => streams().ReadableStreamDefaultReader,
  ReadableStreamBYOBReader: () => streams().ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest: () => streams().ReadableStreamBYOBRequest,
  ReadableStreamDefaultController: () => streams().ReadableStreamDefaultController,
  ReadableByteStreamController: () => streams().ReadableByteStreamController,
  WritableStream: () => streams().WritableStream,
  WritableStreamDefaultWriter: () => streams().WritableStreamDefaultWriter,
  WritableStreamDefaultController: () => streams().WritableStreamDefaultController,
  TransformStream: () => streams().TransformStream,
  TransformStreamDefaultController: () => streams().TransformStreamDefaultController,
  ByteLengthQueuingStrategy: () => streams().ByteLengthQueuingStrategy,
  CountQueuingStrategy: () => streams().CountQueuingStrategy,
  IdentityTransformStream: () => streamExtras().IdentityTransformStream,
  FixedLengthStream: () => streamExtras().FixedLengthStream,
  TextEncoderStream: () => streamExtras().TextEncoderStream,
  TextDecoderStream: () => streamExtras().TextDecoderStream,
};

/** Define globals as accessors that resolve (and then replace themselves with a plain value) on first read. */
export function defineLazyGlobals(values: Record<string, () => unknown>): void {
  for (const k of Object.keys(values)) {
    const make = values[k]!;
    Object.defineProperty(globalThis, k, {
      configurable: true, enumerable: false,
      get() {
        const v = make();
        Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true, enumerable: false });
        return v;
      },
      set(v: unknown) {
        Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true, enumerable: false });
      },
    });
  }
}
