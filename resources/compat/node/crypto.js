// node:crypto for nodejs_compat: unenv's module (randomBytes, webcrypto, the
// constants, and "not implemented" errors for the rest) with the hashing API
// workerd implements natively filled in from @noble/hashes (audited):
// createHash, createHmac, hash, pbkdf2/pbkdf2Sync, timingSafeEqual.
import { Buffer } from "node:buffer";
import { md5, sha1, ripemd160 } from "@noble/hashes/legacy.js";
import { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from "@noble/hashes/sha2.js";
import { sha3_256, sha3_384, sha3_512 } from "@noble/hashes/sha3.js";
import { hmac } from "@noble/hashes/hmac.js";
import { pbkdf2 as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import * as base from "unenv/node/crypto";

export * from "unenv/node/crypto";

const HASHES = {
  md5, sha1, ripemd160, rmd160: ripemd160, sha224, sha256, sha384, sha512,
  "sha512-224": sha512_224, "sha512-256": sha512_256,
  "sha3-256": sha3_256, "sha3-384": sha3_384, "sha3-512": sha3_512,
};

function hashFn(algorithm) {
  const name = String(algorithm).toLowerCase().replace(/^rsa-/, "");
  const fn = HASHES[name] ?? HASHES[name.replace(/^sha-/, "sha")];
  if (!fn) {
    const err = new Error(`Digest method not supported: ${algorithm} (isoplay's node:crypto has ${Object.keys(HASHES).join(", ")})`);
    err.code = "ERR_CRYPTO_INVALID_DIGEST";
    throw err;
  }
  return fn;
}

function toBytes(data, encoding, what) {
  if (typeof data === "string") return Buffer.from(data, encoding ?? "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const err = new TypeError(`The "${what}" argument must be of type string or an instance of Buffer, TypedArray, or DataView.`);
  err.code = "ERR_INVALID_ARG_TYPE";
  throw err;
}

function output(bytes, encoding) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding && encoding !== "buffer" ? buf.toString(encoding) : buf;
}

class Digest {
  #state;
  #done = false;
  constructor(state) { this.#state = state; }
  update(data, inputEncoding) {
    if (this.#done) throw Object.assign(new Error("Digest already called"), { code: "ERR_CRYPTO_HASH_FINALIZED" });
    this.#state.update(toBytes(data, inputEncoding, "data"));
    return this;
  }
  digest(encoding) {
    if (this.#done) throw Object.assign(new Error("Digest already called"), { code: "ERR_CRYPTO_HASH_FINALIZED" });
    this.#done = true;
    return output(this.#state.digest(), encoding);
  }
  copy() {
    if (this.#done) throw Object.assign(new Error("Digest already called"), { code: "ERR_CRYPTO_HASH_FINALIZED" });
    return new this.constructor(this.#state.clone());
  }
}
export class Hash extends Digest {}
export class Hmac extends Digest {}

export function createHash(algorithm) { return new Hash(hashFn(algorithm).create()); }

export function createHmac(algorithm, key) {
  const k = key && typeof key === "object" && key.type === "secret" && typeof key.export === "function" ? key.export() : key;
  return new Hmac(hmac.create(hashFn(algorithm), toBytes(k, undefined, "key")));
}

export function hash(algorithm, data, outputEncoding = "hex") {
  return output(hashFn(algorithm)(toBytes(data, undefined, "data")), outputEncoding);
}

export function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  return output(noblePbkdf2(hashFn(digest), toBytes(password, undefined, "password"), toBytes(salt, undefined, "salt"),
    { c: iterations, dkLen: keylen }));
}

export function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  let result, error = null;
  try { result = pbkdf2Sync(password, salt, iterations, keylen, digest); } catch (e) { error = e; }
  queueMicrotask(() => callback(error, result));
}

export function timingSafeEqual(a, b) {
  const x = toBytes(a, undefined, "buf1");
  const y = toBytes(b, undefined, "buf2");
  if (x.byteLength !== y.byteLength) {
    throw Object.assign(new RangeError("Input buffers must have the same byte length."), { code: "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH" });
  }
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

// randomBytes fills a plain Uint8Array view (the prelude's getRandomValues accepts only the
// built-in integer arrays, not Buffer, a subclass).
export function randomBytes(size, callback) {
  if (!Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) {
    throw Object.assign(new RangeError(`The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`), { code: "ERR_OUT_OF_RANGE" });
  }
  const buf = Buffer.alloc(size);
  for (let at = 0; at < size; at += 65536) {
    globalThis.crypto.getRandomValues(new Uint8Array(buf.buffer, buf.byteOffset + at, Math.min(65536, size - at)));
  }
  if (typeof callback === "function") { queueMicrotask(() => callback(null, buf)); return undefined; }
  return buf;
}

export function getHashes() { return Object.keys(HASHES); }

// Secret keys as workerd has them (jsonwebtoken and others wrap an HMAC secret in one).
// Asymmetric keys are not implemented: their constructors fail saying so and what to use.
export class KeyObject {
  #bytes;
  constructor(type, bytes) {
    if (type !== "secret") throw asymmetric(`KeyObject of type ${type}`);
    this.#bytes = Uint8Array.from(bytes);
  }
  get type() { return "secret"; }
  get symmetricKeySize() { return this.#bytes.byteLength; }
  export(options) {
    if (options && options.format === "jwk") return { kty: "oct", k: Buffer.from(this.#bytes).toString("base64url") };
    return Buffer.from(this.#bytes);
  }
  equals(other) {
    return other instanceof KeyObject && other.symmetricKeySize === this.symmetricKeySize
      && timingSafeEqual(other.export(), this.#bytes);
  }
}

export function createSecretKey(key, encoding) {
  return new KeyObject("secret", toBytes(key, encoding, "key"));
}

function asymmetric(what) {
  const err = new Error(`${what}: isoplay's node:crypto has hashing, HMAC, secret keys, pbkdf2 and randomBytes, not `
    + "asymmetric keys (RSA/EC/Ed25519 sign, verify, encrypt); use crypto.subtle (WebCrypto), e.g. through the jose "
    + "library, which works in Workers without nodejs_compat");
  err.code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM";
  return err;
}

export function createPrivateKey() { throw asymmetric("crypto.createPrivateKey"); }
export function createPublicKey() { throw asymmetric("crypto.createPublicKey"); }
export function createSign() { throw asymmetric("crypto.createSign"); }
export function createVerify() { throw asymmetric("crypto.createVerify"); }
export function sign() { throw asymmetric("crypto.sign"); }
export function verify() { throw asymmetric("crypto.verify"); }
export function generateKeyPairSync() { throw asymmetric("crypto.generateKeyPairSync"); }
export function generateKeyPair() { throw asymmetric("crypto.generateKeyPair"); }

export default { ...base, randomBytes, Hash, Hmac, createHash, createHmac, hash, pbkdf2, pbkdf2Sync, timingSafeEqual,
  getHashes, KeyObject, createSecretKey, createPrivateKey, createPublicKey, createSign, createVerify, sign, verify,
  generateKeyPairSync, generateKeyPair };
