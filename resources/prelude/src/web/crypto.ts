// The `crypto` global: getRandomValues / randomUUID (web/crypto/random.ts),
// crypto.subtle (web/crypto/subtle.ts), CryptoKey (web/crypto/key.ts) and
// Workers' crypto.DigestStream.
import { DOMException, bufferSource, tag, toArrayBuffer, utf8Encode } from "./util";
import { createHasher } from "./crypto/digest";
import { INSPECT, inspect } from "./console";
import { CryptoKey } from "./crypto/key";
import { normalize } from "./crypto/normalize";
import { getRandomValues, randomUUID } from "./crypto/random";
import { SubtleCrypto } from "./crypto/subtle";

tag(SubtleCrypto, "SubtleCrypto");
// console.log(key) prints what Node prints: CryptoKey { type, extractable, algorithm, usages }
Object.defineProperty(CryptoKey.prototype, INSPECT, {
  value(this: CryptoKey) {
    return `CryptoKey ${inspect({ type: this.type, extractable: this.extractable, algorithm: this.algorithm, usages: this.usages })}`;
  },
  configurable: true,
});

type WritableCtor = new (sink: object, strategy?: object) => object;

/**
 * Workers' DigestStream: a WritableStream that hashes what is written to it and
 * resolves `digest` with the hash when it is closed. It extends the global
 * WritableStream; it is made on first use, so it follows whichever WritableStream
 * the prelude installs.
 */
let DigestStreamClass: (new (algorithm: unknown) => object) | null = null;
function digestStreamClass(): new (algorithm: unknown) => object {
  if (DigestStreamClass) return DigestStreamClass;
  const Base = (globalThis as { WritableStream?: WritableCtor }).WritableStream;
  if (typeof Base !== "function") {
    throw new DOMException("crypto.DigestStream needs WritableStream, which this runtime does not have yet", "NotSupportedError");
  }
  class DigestStream extends Base {
    readonly digest: Promise<ArrayBuffer>;
    readonly bytesWritten = 0;
    constructor(algorithm: unknown) {
      const alg = normalize("digest", algorithm);
      const hasher = createHasher(alg.name)!;
      let resolve!: (b: ArrayBuffer) => void, reject!: (e: unknown) => void;
      const digest = new Promise<ArrayBuffer>((res, rej) => { resolve = res; reject = rej; });
      let written = 0;
      super({
        write(chunk: unknown) {
          const bytes = typeof chunk === "string" ? utf8Encode(chunk) : bufferSource(chunk, "DigestStream.write");
          hasher.update(bytes);
          written += bytes.length;
          Object.defineProperty(self, "bytesWritten", { value: written, configurable: true });
        },
        close() { resolve(toArrayBuffer(hasher.digest())); },
        abort(reason: unknown) { reject(reason); },
      });
      const self = this;
      digest.catch(() => {}); // an aborted stream's digest need not be awaited
      this.digest = digest;
    }
  }
  tag(DigestStream, "DigestStream");
  DigestStreamClass = DigestStream as unknown as new (algorithm: unknown) => object;
  return DigestStreamClass;
}

export class Crypto {
  constructor() { throw new TypeError("Illegal constructor"); }
  get subtle(): SubtleCrypto { return subtle; }
  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (arguments.length < 1) throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present.");
    return getRandomValues(array);
  }
  randomUUID(): string { return randomUUID(); }
  get DigestStream(): new (algorithm: unknown) => object { return digestStreamClass(); }
}
tag(Crypto, "Crypto");

const subtle = Object.create(SubtleCrypto.prototype) as SubtleCrypto;
export const crypto = Object.create(Crypto.prototype) as Crypto;

export { CryptoKey, SubtleCrypto };
