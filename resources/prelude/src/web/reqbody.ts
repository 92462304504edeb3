// Incoming request bodies streamed from the host (runtime/webapi/request_body.py).
// A body that is large, or still arriving when the handler starts, is not put in
// the request's spec: `request.body` is a byte ReadableStream whose pulls copy the
// host's bytes synchronously through the loader buffer (chunks.ts, op 3), and await
// the `body.wait` host op when nothing has arrived yet. `text()`/`arrayBuffer()`/
// `json()` on an untouched one read straight into one array of the declared length.
import { BODY_FAILED, BODY_WAIT, readHostBody } from "../chunks";
import { hostCall } from "../host";
import { type ReadableStream, isDisturbed, streams } from "./streams";

export interface HostBodySpec { stream: string; length: number | null }

/** A request body still on the host: becomes a stream only when `.body` is read (no streams
 * polyfill is loaded for text()/arrayBuffer()/json()). */
export class HostBody {
  constructor(readonly spec: HostBodySpec) {}
}

const PIECE = 256 * 1024;
/** A whole read of a body of known length copies it this much at a time (request_body.py GATHER). */
const GATHER = 8 * 1024 * 1024;
const hostBodies = new WeakMap<object, HostBodySpec>();

/** Bytes the body reader made itself (nobody else holds them): arrayBuffer() may hand their buffer out. */
export const ownedBytes = new WeakSet<Uint8Array>();

async function fill(spec: HostBodySpec, into: Uint8Array, whole = false): Promise<number> {
  // Copy what has arrived into `into`; wait for the host only while nothing was copied (or,
  // `whole`, until `into` is full or the body ended).
  let at = 0;
  while (at < into.length) {
    const n = readHostBody(spec.stream, into.subarray(at));
    if (n === 0) break;
    if (n === BODY_WAIT || n === BODY_FAILED) {
      if (at > 0 && n === BODY_WAIT && !whole) break;
      // Whole: wait until a good piece has arrived, so that the copy takes few crossings.
      const want = whole ? Math.min(into.length - at, GATHER) : 0;
      await hostCall("body.wait", want > 0 ? { id: spec.stream, want } : { id: spec.stream }); // rejects when the body failed
      continue;
    }
    at += n;
  }
  return at;
}

/** The next piece of the body (at most PIECE bytes), or null at its end. */
async function nextPiece(spec: HostBodySpec): Promise<Uint8Array | null> {
  const buf = new Uint8Array(PIECE);
  const n = await fill(spec, buf);
  return n === 0 ? null : buf.subarray(0, n);
}

/** A request's body stream over the host's body. */
export function hostBodyStream(spec: HostBodySpec): ReadableStream {
  const s = new (streams().ReadableStream)({
    type: "bytes",
    async pull(c: { enqueue(v: Uint8Array): void; close(): void; byobRequest?: { respond(n: number): void } | null }) {
      const piece = await nextPiece(spec);
      if (piece === null) { c.close(); c.byobRequest?.respond(0); return; }
      c.enqueue(piece.slice());
    },
  });
  hostBodies.set(s, spec);
  return s;
}

/** The whole host body behind an untouched stream made by hostBodyStream (the stream is then spent), else null. */
export async function takeHostBody(s: ReadableStream): Promise<Uint8Array | null> {
  const spec = hostBodies.get(s);
  if (!spec || s.locked || isDisturbed(s)) return null;
  hostBodies.delete(s);
  void s.cancel();
  return readWholeHostBody(spec);
}

/** Read a host body whole into one array of its size. */
export async function readWholeHostBody(spec: HostBodySpec): Promise<Uint8Array> {
  let out: Uint8Array;
  if (spec.length !== null) {
    out = new Uint8Array(spec.length);
    const n = await fill(spec, out, true);
    if (n < spec.length) throw new TypeError(`the request body ended after ${n} of its ${spec.length} bytes`);
  } else {
    // Chunked: the host gathers the rest (no backpressure) and says how much there is, so the
    // bytes are copied once into one array of the right size.
    const size = await hostCall<number>("body.wait", { id: spec.stream, whole: true });
    out = new Uint8Array(size);
    const n = await fill(spec, out, true);
    if (n < size) throw new TypeError(`the request body ended after ${n} of its ${size} bytes`);
  }
  ownedBytes.add(out);
  return out;
}
