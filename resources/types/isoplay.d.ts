// Types of the isoplay runtime, for the TypeScript language service.
// Web APIs (Request, Response, URL, fetch, crypto, ...) come from lib "WebWorker".
// Shipped by isoplay; `isoplay new` and `isoplay check` copy this file into types/.

/** What the runtime passes as the third handler argument. */
interface ExecutionContext {
  /** Keep the invocation alive until `promise` settles (e.g. a log write after the response). */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for compatibility with Workers; has no effect locally. */
  passThroughOnException(): void;
}

/** The first argument of `scheduled()`: which cron fired, and when it was due. */
interface ScheduledController {
  readonly type: "scheduled";
  /** The cron expression from isoplay.toml [triggers] crons. */
  readonly cron: string;
  /** When the schedule was due, in epoch milliseconds. */
  readonly scheduledTime: number;
  noRetry(): void;
}
type ScheduledEvent = ScheduledController;

/** The first argument of `event()`: a named event with a JSON payload. */
interface IsoplayEvent<Payload = unknown> {
  readonly type: "event";
  readonly name: string;
  readonly payload: Payload;
}

/** The shape of a script's default export. */
interface ExportedHandler<E = Env> {
  fetch?(request: Request, env: E, ctx: ExecutionContext): Response | Promise<Response>;
  scheduled?(controller: ScheduledController, env: E, ctx: ExecutionContext): void | Promise<void>;
  event?(event: IsoplayEvent, env: E, ctx: ExecutionContext): unknown;
  run?(input: unknown, env: E, ctx: ExecutionContext): unknown;
}

// ---- WebCrypto: what Workers add to lib "WebWorker" ---------------------------------------------
interface SubtleCrypto {
  /** Workers: compare two equal-length buffers in constant time (a TypeError if the lengths differ). */
  timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
}

/** Workers: a WritableStream that hashes what is written to it; `digest` resolves when it is closed. */
interface DigestStream extends WritableStream<ArrayBuffer | ArrayBufferView | string> {
  /** The hash of everything written, once the stream is closed. */
  readonly digest: Promise<ArrayBuffer>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}
interface DigestStreamConstructor {
  /** `algorithm`: "SHA-1", "SHA-256", "SHA-384", "SHA-512" or "MD5". */
  new (algorithm: AlgorithmIdentifier): DigestStream;
  readonly prototype: DigestStream;
}
interface Crypto {
  /** Workers: `new crypto.DigestStream("SHA-256")`. */
  readonly DigestStream: DigestStreamConstructor;
}
