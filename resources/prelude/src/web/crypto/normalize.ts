// WebIDL conversion and the Web Crypto "normalize an algorithm" procedure: which
// algorithm names each operation recognises, and the dictionary members each one
// takes, converted as WebIDL converts them (EnforceRange numbers, BufferSource
// copies, required members). Unknown names reject with NotSupportedError,
// malformed dictionaries with TypeError.
import { DOMException, viewOf } from "../util";
import { isKey } from "./key";

export type Op = "digest" | "sign" | "verify" | "encrypt" | "decrypt" | "generateKey" | "importKey" | "deriveBits"
  | "wrapKey" | "unwrapKey" | "get key length";

type Member = "bytes" | "u8array" | "octet" | "u16" | "u32" | "string" | "hash" | "key";
type Schema = Record<string, [Member, boolean]>; // member -> [type, required]

const NONE: Schema = {};
const HASH: Schema = { hash: ["hash", true] };
const RSA_GEN: Schema = { hash: ["hash", true], modulusLength: ["u32", true], publicExponent: ["u8array", true] };
const EC: Schema = { namedCurve: ["string", true] };
const AES_LEN: Schema = { length: ["u16", true] };
const HMAC: Schema = { hash: ["hash", true], length: ["u32", false] };
const PEER: Schema = { public: ["key", true] };

export const NAMES = ["RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP", "ECDSA", "ECDH", "AES-CTR", "AES-CBC", "AES-GCM", "AES-KW",
  "HMAC", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "MD5", "HKDF", "PBKDF2", "Ed25519", "X25519"];
const CANONICAL = new Map(NAMES.map((n) => [n.toUpperCase(), n]));
CANONICAL.set("NODE-ED25519", "Ed25519"); // Workers' older name for it

const TABLE: Record<Op, Record<string, Schema>> = {
  digest: { "SHA-1": NONE, "SHA-256": NONE, "SHA-384": NONE, "SHA-512": NONE, "MD5": NONE },
  sign: { "RSASSA-PKCS1-v1_5": NONE, "RSA-PSS": { saltLength: ["u32", true] }, "ECDSA": HASH, "HMAC": NONE, "Ed25519": NONE },
  verify: {},
  encrypt: {
    "RSA-OAEP": { label: ["bytes", false] },
    "AES-CTR": { counter: ["bytes", true], length: ["octet", true] },
    "AES-CBC": { iv: ["bytes", true] },
    "AES-GCM": { additionalData: ["bytes", false], iv: ["bytes", true], tagLength: ["octet", false] },
  },
  decrypt: {},
  generateKey: {
    "RSASSA-PKCS1-v1_5": RSA_GEN, "RSA-PSS": RSA_GEN, "RSA-OAEP": RSA_GEN, "ECDSA": EC, "ECDH": EC,
    "AES-CTR": AES_LEN, "AES-CBC": AES_LEN, "AES-GCM": AES_LEN, "AES-KW": AES_LEN, "HMAC": HMAC, "Ed25519": NONE, "X25519": NONE,
  },
  importKey: {
    "RSASSA-PKCS1-v1_5": HASH, "RSA-PSS": HASH, "RSA-OAEP": HASH, "ECDSA": EC, "ECDH": EC,
    "AES-CTR": NONE, "AES-CBC": NONE, "AES-GCM": NONE, "AES-KW": NONE, "HMAC": HMAC, "HKDF": NONE, "PBKDF2": NONE,
    "Ed25519": NONE, "X25519": NONE,
  },
  deriveBits: {
    "ECDH": PEER, "X25519": PEER,
    "HKDF": { hash: ["hash", true], info: ["bytes", true], salt: ["bytes", true] },
    "PBKDF2": { hash: ["hash", true], iterations: ["u32", true], salt: ["bytes", true] },
  },
  wrapKey: { "AES-KW": NONE },
  unwrapKey: {},
  "get key length": { "AES-CTR": AES_LEN, "AES-CBC": AES_LEN, "AES-GCM": AES_LEN, "AES-KW": AES_LEN, "HMAC": HMAC, "HKDF": NONE, "PBKDF2": NONE },
};
TABLE.verify = TABLE.sign;
TABLE.decrypt = TABLE.encrypt;
TABLE.unwrapKey = TABLE.wrapKey;

/** A normalized algorithm: the canonical name plus converted members. */
export interface Algorithm {
  name: string;
  hash?: { name: string };
  [member: string]: unknown;
}

function enforceRange(v: unknown, max: number, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`${what} is not a finite number`);
  const t = Math.trunc(n);
  if (t < 0 || t > max) throw new TypeError(`${what} is outside the range [0, ${max}]`);
  return t;
}

/** WebIDL BufferSource -> a copy of its bytes. */
export function bytesOf(v: unknown, what: string): Uint8Array {
  const u = viewOf(v);
  if (!u) throw new TypeError(`${what} is not an ArrayBuffer or ArrayBufferView`);
  return u.slice();
}

function convert(type: Member, v: unknown, what: string): unknown {
  switch (type) {
    case "bytes": return bytesOf(v, what);
    case "u8array":
      if (!(v instanceof Uint8Array)) throw new TypeError(`${what} is not a Uint8Array`);
      return v.slice();
    case "octet": return enforceRange(v, 0xff, what);
    case "u16": return enforceRange(v, 0xffff, what);
    case "u32": return enforceRange(v, 0xffffffff, what);
    case "string": return String(v);
    case "hash": return normalize("digest", v);
    case "key":
      if (!isKey(v)) throw new TypeError(`${what} is not a CryptoKey`);
      return v;
  }
}

/** Normalize `alg` for `op` (Web Crypto section 18.4); throws NotSupportedError or TypeError. */
export function normalize(op: Op, alg: unknown): Algorithm {
  if (typeof alg === "string") return normalize(op, { name: alg });
  if (typeof alg !== "object" || alg === null) {
    throw new TypeError("Algorithm: expected a string or an object with a name");
  }
  const rawName = (alg as { name?: unknown }).name;
  if (rawName === undefined) throw new TypeError("Algorithm: name is missing");
  const upper = String(rawName).toUpperCase();
  const name = CANONICAL.get(upper);
  const schema = name !== undefined ? TABLE[op][name] : undefined;
  if (name === undefined || schema === undefined) {
    throw new DOMException(`Unrecognized or unsupported algorithm for ${op}: ${String(rawName)}`, "NotSupportedError");
  }
  const out: Algorithm = { name };
  for (const member of Object.keys(schema).sort()) {
    const [type, required] = schema[member]!;
    const v = (alg as Record<string, unknown>)[member];
    if (v === undefined) {
      if (required) throw new TypeError(`${name}: the ${member} member is required`);
      continue;
    }
    out[member] = convert(type, v, `${name}.${member}`);
  }
  if (op !== "digest" && out.hash && out.hash.name === "MD5") {
    throw new DOMException("MD5 is only available for digest", "NotSupportedError");
  }
  return out;
}

/** WebIDL sequence<KeyUsage>: TypeError for anything that is not one. */
export function usagesOf(v: unknown): string[] {
  if (typeof v !== "object" || v === null || typeof (v as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError("keyUsages must be a sequence of strings");
  }
  const out: string[] = [];
  for (const u of v as Iterable<unknown>) {
    const s = String(u);
    if (!["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"].includes(s)) {
      throw new TypeError(`'${s}' is not a valid KeyUsage`);
    }
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
