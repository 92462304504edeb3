// crypto.getRandomValues / randomUUID / subtle.digest (+ Workers' timingSafeEqual).
import { shaDigest } from "./sha";
import { DOMException, bufferSource, tag } from "./util";

const INTEGER_ARRAYS = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];

/**
 * Fill bytes with random data. V8 seeds Math.random (xorshift128+) from the OS
 * per isolate; it is unpredictable across runs but not a CSPRNG.
 */
function fillRandom(b: Uint8Array): void {
  let i = 0;
  for (; i + 4 <= b.length; i += 4) {
    const r = (Math.random() * 0x100000000) >>> 0;
    b[i] = r; b[i + 1] = r >>> 8; b[i + 2] = r >>> 16; b[i + 3] = r >>> 24;
  }
  for (; i < b.length; i++) b[i] = (Math.random() * 256) | 0;
}

function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
  const name = (array as object | null)?.constructor?.name ?? "";
  if (!ArrayBuffer.isView(array) || array instanceof DataView || !INTEGER_ARRAYS.includes(name)) {
    throw new DOMException("The provided ArrayBufferView is not an integer array type", "TypeMismatchError");
  }
  if (array.byteLength > 65536) {
    throw new DOMException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536).`, "QuotaExceededError");
  }
  fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return array;
}

function randomUUID(): string {
  const b = new Uint8Array(16);
  fillRandom(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let h = "";
  for (let i = 0; i < 16; i++) {
    h += (b[i]! + 0x100).toString(16).slice(1);
    if (i === 3 || i === 5 || i === 7 || i === 9) h += "-";
  }
  return h;
}

function algorithmName(alg: unknown): string {
  const name = typeof alg === "string" ? alg : (alg as { name?: unknown } | null)?.name;
  if (typeof name !== "string") throw new TypeError("Algorithm: name is missing");
  return name.toUpperCase();
}

const notSupported = (what: string) => async (): Promise<never> => {
  throw new DOMException(`crypto.subtle.${what} is not supported by this runtime (only digest is)`, "NotSupportedError");
};

class SubtleCrypto {
  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    const name = algorithmName(algorithm);
    const bytes = bufferSource(data, "SubtleCrypto.digest").slice();
    const out = shaDigest(name, bytes);
    if (!out) throw new DOMException(`Unrecognized algorithm name: ${name}`, "NotSupportedError");
    return out;
  }
  /** Workers extension: constant-time comparison of two equal-length buffers. */
  timingSafeEqual(a: unknown, b: unknown): boolean {
    const x = bufferSource(a, "timingSafeEqual"), y = bufferSource(b, "timingSafeEqual");
    if (x.length !== y.length) throw new TypeError("Input buffers must have the same byte length");
    let d = 0;
    for (let i = 0; i < x.length; i++) d |= x[i]! ^ y[i]!;
    return d === 0;
  }
}
for (const m of ["encrypt", "decrypt", "sign", "verify", "generateKey", "deriveKey", "deriveBits", "importKey", "exportKey", "wrapKey", "unwrapKey"]) {
  Object.defineProperty(SubtleCrypto.prototype, m, { value: notSupported(m), writable: true, configurable: true });
}
tag(SubtleCrypto, "SubtleCrypto");

class Crypto {
  readonly subtle = new SubtleCrypto();
  getRandomValues<T extends ArrayBufferView | null>(array: T): T { return getRandomValues(array); }
  randomUUID(): string { return randomUUID(); }
}
tag(Crypto, "Crypto");

export { Crypto, SubtleCrypto };
