// Hashes for crypto.subtle.digest and crypto.DigestStream, from the audited
// @noble/hashes (SHA-1 and MD5 from its legacy module: Workers offers MD5 for
// digest, the Web Crypto spec does not). Hashing runs in the isolate: it is
// synchronous, needs no host round trip, and hashes incrementally for streams.
// The modules are loaded on first use (esbuild wraps a require()d module in a
// closure): setting up their constant tables costs ~2 ms, which an isolate
// that never hashes should not pay when it starts.
declare const require: (id: string) => unknown;

export interface Hasher { update(b: Uint8Array): Hasher; digest(): Uint8Array }
type Lib = Record<string, { create(): Hasher }>;

let noble: Lib | null = null;
const from = (name: string) => () => (noble ??= require("./noble-hash") as Lib)[name]!.create();

const HASHES: Record<string, () => Hasher> = {
  "SHA-1": from("sha1"),
  "SHA-256": from("sha256"),
  "SHA-384": from("sha384"),
  "SHA-512": from("sha512"),
  "MD5": from("md5"),
};

/** A new incremental hasher for a recognised digest name (already upper-cased), or null. */
export function createHasher(name: string): Hasher | null {
  const make = HASHES[name];
  return make ? make() : null;
}

/** One-shot digest of bytes. */
export function hash(name: string, data: Uint8Array): Uint8Array {
  return createHasher(name)!.update(data).digest();
}
