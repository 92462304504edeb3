// Prelude chunks (runtime/webapi/chunks.py): large data loaded on first use
// through a synchronous host function and a shared buffer, so that every
// isolate does not parse it. The host puts both on globalThis before the
// prelude runs; they are captured here and removed, so script code can never
// reach them. The buffer stays referenced for the isolate's life (the host
// holds a view of its memory).
const g = globalThis as Record<string, unknown>;
const loader = typeof g.__isoplayLoad === "function" ? (g.__isoplayLoad as () => unknown) : null;
const shared = g.__isoplayLoadBuf instanceof ArrayBuffer ? g.__isoplayLoadBuf : null;
delete g.__isoplayLoad;
delete g.__isoplayLoadBuf;

const MISSING = 0xffffffff;
const HEADER = 16;
const fromCharCode = String.fromCharCode;
const apply = Reflect.apply;
const INPUT_PIECE = 8192;

/** The JSON text the host staged in the shared buffer for this crossing (runtime/engine.py
 * ``V8Isolate.stage``: a 4-byte little-endian length, then that many ASCII bytes). A crossing's code
 * that takes its argument from here is the same text every time, so V8 compiles it once, whereas a
 * JSON literal new to V8 made the code a new script to compile (~27 us of the V8 thread).
 * Read before anything else in the crossing runs: later loader calls reuse the buffer. */
export function takeHostInput(): string {
  if (!shared) throw new Error("isoplay: no host input buffer in this isolate");
  const n = new DataView(shared).getUint32(0, true);
  if (n > shared.byteLength - 4) throw new Error("isoplay: malformed host input");
  const bytes = new Uint8Array(shared, 4, n);
  if (n <= INPUT_PIECE) return apply(fromCharCode, null, bytes) as string;
  const parts: string[] = [];
  for (let at = 0; at < n; at += INPUT_PIECE) parts.push(apply(fromCharCode, null, bytes.subarray(at, at + INPUT_PIECE)) as string);
  return parts.join("");
}

function ask(name: string, op: number, offset: number): number {
  const view = new DataView(shared!);
  view.setUint32(0, op, true);
  view.setUint32(4, name.length, true);
  view.setUint32(8, offset, true);
  view.setUint32(12, MISSING, true);
  const bytes = new Uint8Array(shared!);
  for (let i = 0; i < name.length; i++) bytes[HEADER + i] = name.charCodeAt(i) & 0x7f;
  loader!();
  return view.getUint32(12, true);
}

/** The bytes of a named chunk; throws if the host has none (or no loader was installed). */
export function loadChunk(name: string): Uint8Array {
  if (!loader || !shared) throw new Error(`isoplay: prelude chunk "${name}" is unavailable (no host loader in this isolate)`);
  const size = ask(name, 1, 0);
  if (size === MISSING) throw new Error(`isoplay: the host has no prelude chunk "${name}"`);
  const out = new Uint8Array(size);
  const payload = new Uint8Array(shared, HEADER + name.length);
  for (let at = 0; at < size;) {
    const n = ask(name, 2, at);
    if (n === MISSING || n === 0) throw new Error(`isoplay: reading prelude chunk "${name}" failed`);
    out.set(payload.subarray(0, n), at);
    at += n;
  }
  return out;
}

export const BODY_WAIT = 0xfffffffe;

/** Copy the next bytes of the host's request body `id` into `into` (runtime/webapi/chunks.py, op 3):
 * how many (> 0), 0 at its end, BODY_WAIT when none arrived yet; throws if it failed. */
export function readHostBody(id: string, into: Uint8Array): number {
  if (!loader || !shared) throw new TypeError("isoplay: this isolate cannot read request bodies (no host loader)");
  const payloadAt = HEADER + id.length;
  const room = Math.min(into.length, shared.byteLength - payloadAt);
  const n = ask(id, 3, room);
  if (n === MISSING) return MISSING;
  if (n === BODY_WAIT || n === 0) return n;
  into.set(new Uint8Array(shared, payloadAt, n));
  return n;
}
export { MISSING as BODY_FAILED };
