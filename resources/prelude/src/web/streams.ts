// A minimal ReadableStream: enough for `request.body` / `response.body`, proxying
// `new Response(upstream.body, upstream)`, and scripts that build a body from a
// `new ReadableStream({ start(c) { c.enqueue(...); c.close(); } })` or `pull`.
// No byte streams (BYOB), no backpressure strategy, no pipeTo/pipeThrough.
import { tag, utf8Encode } from "./util";

interface Source {
  start?(c: Controller): unknown;
  pull?(c: Controller): unknown;
  cancel?(reason: unknown): unknown;
}

export interface Controller {
  enqueue(chunk: unknown): void;
  close(): void;
  error(e: unknown): void;
  readonly desiredSize: number | null;
}

type ReadResult = { done: false; value: unknown } | { done: true; value: undefined };

let internal: {
  fromBytes(b: Uint8Array | string): ReadableStream;
  takeSource(s: ReadableStream): Uint8Array | string | null;
  disturbed(s: ReadableStream): boolean;
} | null = null;

export class ReadableStream {
  #queue: unknown[] = [];
  #state: "readable" | "closed" | "errored" = "readable";
  #error: unknown = undefined;
  #source: Source | null;
  #reader: ReadableStreamDefaultReader | null = null;
  #waiters: (() => void)[] = [];
  #pulling = false;
  #disturbed = false;
  /** Bytes not yet handed out, when the stream wraps a whole body. */
  #whole: Uint8Array | string | null = null;

  constructor(source?: Source | null, _strategy?: unknown) {
    this.#source = source ?? null;
    const controller: Controller = {
      enqueue: (chunk) => {
        if (this.#state !== "readable") throw new TypeError("Cannot enqueue to a closed stream");
        this.#queue.push(chunk); this.#wake();
      },
      close: () => { if (this.#state === "readable") { this.#state = "closed"; this.#wake(); } },
      error: (e) => { if (this.#state === "readable") { this.#state = "errored"; this.#error = e; this.#queue = []; this.#wake(); } },
      get desiredSize() { return 1; },
    };
    this.#controller = controller;
    if (source?.start) {
      try {
        const r = source.start(controller);
        if (r && typeof (r as Promise<unknown>).then === "function") (r as Promise<unknown>).then(undefined, (e) => controller.error(e));
      } catch (e) { controller.error(e); }
    }
  }
  #controller: Controller;

  static {
    internal = {
      fromBytes(b) {
        const s = new ReadableStream();
        s.#whole = b;
        s.#state = "closed";
        return s;
      },
      takeSource(s) {
        if (s.#disturbed || s.#reader) return null;
        const w = s.#whole;
        if (w === null) return null;
        s.#whole = null; s.#disturbed = true;
        return w;
      },
      disturbed: (s) => s.#disturbed,
    };
  }

  get locked(): boolean { return this.#reader !== null; }

  getReader(options?: { mode?: string }): ReadableStreamDefaultReader {
    if (options?.mode === "byob") throw new TypeError("BYOB readers are not supported");
    if (this.#reader) throw new TypeError("ReadableStream is locked to a reader");
    this.#reader = new ReadableStreamDefaultReader(this, (r) => this.#read(r), () => { this.#reader = null; },
      (reason) => this.cancelInternal(reason));
    return this.#reader;
  }

  cancel(reason?: unknown): Promise<void> {
    if (this.#reader) return Promise.reject(new TypeError("ReadableStream is locked"));
    return this.cancelInternal(reason);
  }

  /** @internal */ async cancelInternal(reason: unknown): Promise<void> {
    this.#disturbed = true;
    if (this.#state !== "readable") { this.#whole = null; return; }
    this.#state = "closed"; this.#queue = []; this.#wake();
    await this.#source?.cancel?.(reason);
  }

  async #read(_r: ReadableStreamDefaultReader): Promise<ReadResult> {
    this.#disturbed = true;
    if (this.#whole !== null) {
      const w = this.#whole; this.#whole = null;
      const value = typeof w === "string" ? utf8Encode(w) : w;
      return { done: false, value };
    }
    for (;;) {
      if (this.#queue.length) return { done: false, value: this.#queue.shift() };
      if (this.#state === "closed") return { done: true, value: undefined };
      if (this.#state === "errored") throw this.#error;
      const waited = new Promise<void>((resolve) => this.#waiters.push(resolve));
      if (this.#source?.pull && !this.#pulling) {
        this.#pulling = true;
        try { await this.#source.pull(this.#controller); } catch (e) { this.#controller.error(e); } finally { this.#pulling = false; }
        continue;
      }
      await waited;
    }
  }

  #wake(): void { const w = this.#waiters.splice(0); for (const f of w) f(); }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    const reader = this.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally { reader.releaseLock(); }
  }
  values(): AsyncIterableIterator<unknown> { return this[Symbol.asyncIterator](); }

  tee(): [ReadableStream, ReadableStream] {
    const reader = this.getReader();
    const chunks: unknown[] = [];
    let done = false;
    let pending: Promise<void> | null = null;
    const fill = (): Promise<void> => (pending ??= reader.read().then((r) => {
      pending = null;
      if (r.done) done = true; else chunks.push(r.value);
    }));
    const branch = (): ReadableStream => {
      let i = 0;
      return new ReadableStream({
        async pull(c) {
          while (i >= chunks.length && !done) await fill();
          if (i < chunks.length) c.enqueue(chunks[i++]); else c.close();
        },
      });
    };
    return [branch(), branch()];
  }
}
tag(ReadableStream, "ReadableStream");

export class ReadableStreamDefaultReader {
  #stream: ReadableStream | null;
  #read: (r: ReadableStreamDefaultReader) => Promise<ReadResult>;
  #release: () => void;
  #cancel: (reason: unknown) => Promise<void>;
  #closed: Promise<void>;
  #closedResolve!: () => void;
  constructor(stream: ReadableStream, read: (r: ReadableStreamDefaultReader) => Promise<ReadResult>, release: () => void, cancel: (reason: unknown) => Promise<void>) {
    if (typeof read !== "function") throw new TypeError("Use stream.getReader()");
    this.#stream = stream; this.#read = read; this.#release = release; this.#cancel = cancel;
    this.#closed = new Promise((resolve) => { this.#closedResolve = resolve; });
  }
  get closed(): Promise<void> { return this.#closed; }
  async read(): Promise<ReadResult> {
    if (!this.#stream) throw new TypeError("This reader has been released");
    const r = await this.#read(this);
    if (r.done) this.#closedResolve();
    return r;
  }
  releaseLock(): void { if (this.#stream) { this.#stream = null; this.#release(); } }
  cancel(reason?: unknown): Promise<void> {
    if (!this.#stream) return Promise.reject(new TypeError("This reader has been released"));
    return this.#cancel(reason);
  }
}
tag(ReadableStreamDefaultReader, "ReadableStreamDefaultReader");

/** A closed stream holding a whole body (read in one chunk). */
export function streamOfBytes(b: Uint8Array | string): ReadableStream { return internal!.fromBytes(b); }
/** The whole body behind a stream made by streamOfBytes, if nobody read it yet. */
export function takeWholeBody(s: ReadableStream): Uint8Array | string | null { return internal!.takeSource(s); }
/** Whether the stream was read from or cancelled. */
export function isDisturbed(s: ReadableStream): boolean { return internal!.disturbed(s); }
