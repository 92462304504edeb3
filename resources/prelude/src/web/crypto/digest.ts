// Hashes for crypto.subtle.digest and crypto.DigestStream, from the audited
// @noble/hashes (SHA-1 and MD5 from its legacy module: Workers offers MD5 for
// digest, the Web Crypto spec does not). Hashing runs in the isolate: it is
// synchronous, needs no host round trip, and hashes incrementally for streams.
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";

export interface Hasher { update(b: Uint8Array): Hasher; digest(): Uint8Array }

const HASHES: Record<string, () => Hasher> = {
  "SHA-1": () => sha1.create(),
  "SHA-256": () => sha256.create(),
  "SHA-384": () => sha384.create(),
  "SHA-512": () => sha512.create(),
  "MD5": () => md5.create(),
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
