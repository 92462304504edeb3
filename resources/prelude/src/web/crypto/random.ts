// Secure randomness for getRandomValues / randomUUID and for the keys and IVs the
// prelude makes itself. The one point where random bytes enter the isolate.
//
// The host seeds every isolate at creation with 32 bytes from os.urandom
// (runtime/webapi/crypto_entropy.py, through __isoplay.entropy). From that seed a
// "fast key erasure" generator (Bernstein, 2017; the construction of OpenBSD's
// arc4random and Linux's get_random_bytes) expands ChaCha20 keystream from the
// audited @noble/ciphers: each refill runs ChaCha20 under the current key, takes
// the first 32 bytes of the keystream as the next key and hands out the rest,
// wiping what it hands out. An earlier key cannot be recovered from the state,
// and no host round trip is needed per call. Seeds only ever mix into the key
// (the next key is the first 32 bytes of ChaCha20 under key XOR seed), so a
// later call cannot weaken it.
//
// @noble/ciphers is loaded on first use (esbuild wraps a require()d module in a
// closure), so isolates that never ask for randomness do not pay for it.
import { registerEntropy } from "../../host";
import { diverge, tapeMode, tapeRecord, tapeTake } from "../../tape";
import { DOMException, base64Decode, base64Encode } from "../util";

declare const require: (id: string) => unknown;
type ChaCha = (key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output?: Uint8Array) => Uint8Array;
let chachaFn: ChaCha | null = null;
const chacha20: ChaCha = (k, n, d, o) => {
  chachaFn ??= (require("./noble-cipher") as { chacha20: ChaCha }).chacha20;
  return chachaFn(k, n, d, o);
};

const NONCE = new Uint8Array(12);
const BLOCK = 1024; // one refill: 32 bytes of next key + 992 bytes of output
let key: Uint8Array | null = null;
const pending: Uint8Array[] = []; // seeds not yet mixed in (mixing loads the cipher)
const pool = new Uint8Array(BLOCK);
let at = BLOCK; // bytes of `pool` before `at` are used (and wiped)

/** Queue host entropy (32 bytes, base64) to mix into the generator's key. */
export function addEntropy(b64: string): void {
  const seed = base64Decode(String(b64));
  if (!seed || seed.length !== 32) throw new TypeError("entropy: expected 32 base64-encoded bytes");
  pending.push(seed);
  pool.fill(0);
  at = BLOCK; // drop output made under the old key
}

function mixPending(): void {
  for (const seed of pending.splice(0)) {
    const k = key ?? new Uint8Array(32);
    for (let i = 0; i < 32; i++) k[i]! ^= seed[i]!;
    key = chacha20(k, NONCE, new Uint8Array(32));
    k.fill(0);
    seed.fill(0);
  }
}

registerEntropy(addEntropy);

function keystream(out: Uint8Array): void {
  if (pending.length) mixPending();
  if (!key) throw new Error("crypto: this isolate was not seeded with entropy by its host (an isoplay bug: create isolates with runtime.stock.load_prelude, or call runtime.webapi.crypto_entropy.seed_isolate)");
  chacha20(key, NONCE, new Uint8Array(out.length), out);
  key.set(out.subarray(0, 32));
  out.fill(0, 0, 32);
}

/** Fill `out` with cryptographically secure random bytes (from the tape while one runs: tape.ts). */
export function fillRandom(out: Uint8Array): void {
  if (tapeMode === 2) {
    const b64 = tapeTake("r", `${out.length} random bytes`);
    if (b64 !== undefined) {
      const bytes = base64Decode(String(b64))!;
      if (bytes.length !== out.length) diverge(`the recording has ${bytes.length} random bytes here; the code asked for ${out.length}`);
      out.set(bytes);
      return;
    }
  }
  generate(out);
  if (tapeMode === 1) tapeRecord("r", base64Encode(out));
}

function generate(out: Uint8Array): void {
  let n = out.length, o = 0;
  if (n > BLOCK - 32) {
    // a large request: its own keystream, 32 bytes longer for the next key
    const buf = new Uint8Array(n + 32);
    keystream(buf);
    out.set(buf.subarray(32));
    buf.fill(0);
    return;
  }
  while (n > 0) {
    if (at === BLOCK) { keystream(pool); at = 32; }
    const take = Math.min(n, BLOCK - at);
    out.set(pool.subarray(at, at + take), o);
    pool.fill(0, at, at + take);
    at += take; o += take; n -= take;
  }
}

/** Fresh random bytes. */
export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  fillRandom(b);
  return b;
}

const INTEGER_ARRAYS = new Set(["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
  "Uint32Array", "BigInt64Array", "BigUint64Array"]);
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

export function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
  // the typed array's real kind (its [[TypedArrayName]]), not a spoofable constructor name
  const kind = ArrayBuffer.isView(array) ? typedArrayTag.call(array) as string | undefined : undefined;
  if (kind === undefined) {
    if (ArrayBuffer.isView(array)) {
      throw new DOMException("The provided ArrayBufferView is not an integer array type", "TypeMismatchError");
    }
    throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.");
  }
  if (!INTEGER_ARRAYS.has(kind)) {
    throw new DOMException("The provided ArrayBufferView is not an integer array type", "TypeMismatchError");
  }
  const view = array as ArrayBufferView;
  if (view.byteLength > 65536) {
    throw new DOMException(`The ArrayBufferView's byte length (${view.byteLength}) exceeds the number of bytes of entropy available via this API (65536).`, "QuotaExceededError");
  }
  fillRandom(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return array;
}

export function randomUUID(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let h = "";
  for (let i = 0; i < 16; i++) {
    h += (b[i]! + 0x100).toString(16).slice(1);
    if (i === 3 || i === 5 || i === 7 || i === 9) h += "-";
  }
  return h;
}
