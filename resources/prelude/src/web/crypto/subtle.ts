// crypto.subtle as workerd has it. This module does what the Web Crypto spec asks
// of the caller's side: WebIDL conversions, algorithm normalization, usage and
// key-type checks, and the secret keys (raw and JWK import/export, generation
// from the isolate's CSPRNG). Every primitive (HMAC, AES, RSA, EC, EdDSA, X25519,
// HKDF, PBKDF2, AES-KW, key parsing) runs host-side on the `cryptography` package
// (runtime/webapi/crypto.py) as the host operation "crypto"; digests run here on
// @noble/hashes. Key material crosses to the host with each operation and is kept
// nowhere there.
import { hostCall } from "../../host";
import { DOMException, base64Decode, base64Encode, toArrayBuffer, utf8Decode, utf8Encode, viewOf } from "../util";
import { hash } from "./digest";
import { CryptoKey, type KeyAlgorithm, type KeyType, type Usage, isKey, keySlots, makeKey } from "./key";
import { type Algorithm, type Op, bytesOf, normalize, usagesOf } from "./normalize";
import { fillRandom } from "./random";

const err = (name: string, message: string) => new DOMException(message, name);

// ---- which usages each algorithm allows, per key type ----------------------------------
const SIGN: Partial<Record<KeyType, Usage[]>> = { public: ["verify"], private: ["sign"] };
const USAGE_RULES: Record<string, Partial<Record<KeyType, Usage[]>>> = {
  "RSASSA-PKCS1-v1_5": SIGN, "RSA-PSS": SIGN, "ECDSA": SIGN, "Ed25519": SIGN,
  "RSA-OAEP": { public: ["encrypt", "wrapKey"], private: ["decrypt", "unwrapKey"] },
  "ECDH": { public: [], private: ["deriveKey", "deriveBits"] },
  "X25519": { public: [], private: ["deriveKey", "deriveBits"] },
  "AES-CTR": { secret: ["encrypt", "decrypt", "wrapKey", "unwrapKey"] },
  "AES-CBC": { secret: ["encrypt", "decrypt", "wrapKey", "unwrapKey"] },
  "AES-GCM": { secret: ["encrypt", "decrypt", "wrapKey", "unwrapKey"] },
  "AES-KW": { secret: ["wrapKey", "unwrapKey"] },
  "HMAC": { secret: ["sign", "verify"] },
  "HKDF": { secret: ["deriveKey", "deriveBits"] },
  "PBKDF2": { secret: ["deriveKey", "deriveBits"] },
};
const KTY: Record<string, string> = {
  "RSASSA-PKCS1-v1_5": "RSA", "RSA-PSS": "RSA", "RSA-OAEP": "RSA", "ECDSA": "EC", "ECDH": "EC", "Ed25519": "OKP", "X25519": "OKP",
};
const isAes = (name: string) => name.startsWith("AES-");
const isSecretAlg = (name: string) => isAes(name) || name === "HMAC" || name === "HKDF" || name === "PBKDF2";

function checkUsages(alg: string, type: KeyType, usages: string[]): void {
  const allowed = USAGE_RULES[alg]![type] ?? [];
  for (const u of usages) {
    if (!allowed.includes(u as Usage)) throw err("SyntaxError", `Cannot create a ${alg} ${type} key with usage '${u}'`);
  }
}

// ---- base64url (JWK) ----------------------------------------------------------------------
function b64url(b: Uint8Array): string {
  return base64Encode(b).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
function unb64url(s: unknown, member: string): Uint8Array {
  if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s)) throw err("DataError", `JWK member ${member} is not base64url`);
  const out = base64Decode(s.replace(/-/g, "+").replace(/_/g, "/"));
  if (!out) throw err("DataError", `JWK member ${member} is not base64url`);
  return out;
}

// ---- the host ------------------------------------------------------------------------------
interface WireKey { type: KeyType; alg: Record<string, unknown>; data: string }

function wireAlg(a: KeyAlgorithm | Algorithm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v instanceof Uint8Array) out[k] = base64Encode(v);
    else if (isKey(v)) out[k] = wireKey(v);
    else if (k === "hash") out[k] = (v as { name: string }).name;
    else out[k] = v;
  }
  return out;
}
function wireKey(k: CryptoKey): WireKey {
  const s = keySlots(k);
  return { type: s.type, alg: wireAlg(s.algorithm), data: base64Encode(s.material) };
}

async function host<T>(fn: string, args: Record<string, unknown>): Promise<T> {
  const r = await hostCall<{ ok?: T; error?: [string, string] }>("crypto", { fn, ...args });
  if (r.error) throw r.error[0] === "TypeError" ? new TypeError(r.error[1]) : err(r.error[0], r.error[1]);
  return r.ok as T;
}
const fromB64 = (s: string): Uint8Array => base64Decode(s)!;

// ---- argument conversions --------------------------------------------------------------------
const FORMATS = ["raw", "spki", "pkcs8", "jwk"];
function formatOf(v: unknown): string {
  const f = String(v);
  if (!FORMATS.includes(f)) throw new TypeError(`'${f}' is not a valid KeyFormat`);
  return f;
}
function keyArg(v: unknown, what: string): CryptoKey {
  if (!isKey(v)) throw new TypeError(`${what} is not a CryptoKey`);
  return v;
}
const JWK_STRINGS = ["kty", "use", "alg", "crv", "x", "y", "d", "n", "e", "p", "q", "dp", "dq", "qi", "k"];
/** WebIDL JsonWebKey dictionary conversion (a copy with only its members). */
function jwkOf(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" && typeof v !== "function") throw new TypeError("keyData is not a JsonWebKey");
  const src = v as Record<string, unknown>, out: Record<string, unknown> = {};
  for (const m of JWK_STRINGS) if (src[m] !== undefined) out[m] = String(src[m]);
  if (src.ext !== undefined) out.ext = !!src.ext;
  if (src.key_ops !== undefined) out.key_ops = usageStrings(src.key_ops);
  if (src.oth !== undefined) out.oth = src.oth;
  return out;
}
function usageStrings(v: unknown): string[] {
  if (typeof v !== "object" || v === null || typeof (v as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError("JsonWebKey.key_ops must be a sequence");
  }
  return Array.from(v as Iterable<unknown>, String);
}

// ---- JWK checks shared by all key kinds (Web Crypto 14.3.x, "jwk" import steps) -----------------
function checkJwk(jwk: Record<string, unknown>, kty: string, use: string, usages: string[], extractable: boolean): void {
  if (jwk.kty !== kty) throw err("DataError", `The JWK's kty must be "${kty}"`);
  if (usages.length && jwk.use !== undefined && jwk.use !== use) throw err("DataError", `The JWK's use must be "${use}"`);
  if (jwk.key_ops !== undefined) {
    const ops = jwk.key_ops as string[];
    if (new Set(ops).size !== ops.length) throw err("DataError", "The JWK's key_ops has duplicates");
    for (const u of usages) if (!ops.includes(u)) throw err("DataError", `The JWK's key_ops does not allow '${u}'`);
  }
  if (jwk.ext === false && extractable) throw err("DataError", "The JWK is not extractable (ext is false)");
}

const HASH_BITS: Record<string, number> = { "SHA-1": 160, "SHA-256": 256, "SHA-384": 384, "SHA-512": 512 };
const BLOCK_BITS: Record<string, number> = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const hmacJwkAlg = (h: string) => "HS" + h.slice(4);
const aesJwkAlg = (name: string, bits: number) => `A${bits}${name === "AES-KW" ? "KW" : name.slice(4)}`;
function rsaJwkAlg(name: string, h: string): string {
  const bits = h.slice(4);
  if (name === "RSA-OAEP") return h === "SHA-1" ? "RSA-OAEP" : `RSA-OAEP-${bits}`;
  return (name === "RSA-PSS" ? "PS" : "RS") + bits;
}
const EC_JWK_ALG: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
const CURVES = ["P-256", "P-384", "P-521"];

// ---- import ----------------------------------------------------------------------------------------
function importSecret(format: string, data: Uint8Array | Record<string, unknown>, alg: Algorithm, extractable: boolean, usages: string[]): CryptoKey {
  const name = alg.name;
  checkUsages(name, "secret", usages);
  let bytes: Uint8Array;
  if (name === "HKDF" || name === "PBKDF2") {
    if (format !== "raw") throw err("NotSupportedError", `${name} keys can only be imported as raw`);
    if (extractable) throw err("SyntaxError", `${name} keys cannot be extractable`);
    return makeKey("secret", false, { name }, usages as Usage[], data as Uint8Array);
  }
  if (format === "raw") bytes = data as Uint8Array;
  else if (format === "jwk") {
    const jwk = data as Record<string, unknown>;
    checkJwk(jwk, "oct", name === "HMAC" ? "sig" : "enc", usages, extractable);
    if (jwk.k === undefined) throw err("DataError", "The JWK has no k");
    bytes = unb64url(jwk.k, "k");
    if (jwk.alg !== undefined) {
      const want = name === "HMAC" ? hmacJwkAlg(alg.hash!.name) : aesJwkAlg(name, bytes.length * 8);
      if (jwk.alg !== want) throw err("DataError", `The JWK's alg ${String(jwk.alg)} does not match ${want}`);
    }
  } else throw err("NotSupportedError", `${name} keys cannot be imported as ${format}`);
  if (isAes(name)) {
    if (![16, 24, 32].includes(bytes.length)) throw err("DataError", `AES keys are 128, 192 or 256 bits, not ${bytes.length * 8}`);
    return makeKey("secret", extractable, { name, length: bytes.length * 8 }, usages as Usage[], bytes);
  }
  // HMAC
  let length = bytes.length * 8;
  if (length === 0) throw err("DataError", "An HMAC key cannot be empty");
  if (alg.length !== undefined) {
    const want = alg.length as number;
    if (want > length || want <= length - 8) throw err("DataError", `The HMAC length ${want} does not fit a ${length}-bit key`);
    length = want;
  }
  return makeKey("secret", extractable, { name, hash: alg.hash!, length }, usages as Usage[], bytes);
}

async function importAsymmetric(format: string, data: Uint8Array | Record<string, unknown>, alg: Algorithm, extractable: boolean, usages: string[]): Promise<CryptoKey> {
  const name = alg.name;
  if (format === "raw" && KTY[name] === "RSA") throw err("NotSupportedError", "RSA keys cannot be imported as raw");
  if (alg.namedCurve !== undefined && !CURVES.includes(alg.namedCurve as string)) {
    throw err("NotSupportedError", `Unsupported namedCurve ${String(alg.namedCurve)}`);
  }
  let type: KeyType = format === "pkcs8" ? "private" : "public";
  if (format === "jwk") {
    const jwk = data as Record<string, unknown>;
    type = jwk.d !== undefined ? "private" : "public";
    checkUsages(name, type, usages);
    checkJwk(jwk, KTY[name]!, name === "RSA-OAEP" || name === "ECDH" || name === "X25519" ? "enc" : "sig", usages, extractable);
    if (KTY[name] === "RSA" && jwk.alg !== undefined && jwk.alg !== rsaJwkAlg(name, alg.hash!.name)) {
      throw err("DataError", `The JWK's alg ${String(jwk.alg)} does not match ${rsaJwkAlg(name, alg.hash!.name)}`);
    }
    if (KTY[name] === "EC") {
      if (jwk.crv !== alg.namedCurve) throw err("DataError", `The JWK's crv ${String(jwk.crv)} is not ${String(alg.namedCurve)}`);
      if (name === "ECDSA" && jwk.alg !== undefined && jwk.alg !== EC_JWK_ALG[alg.namedCurve as string]) {
        throw err("DataError", `The JWK's alg ${String(jwk.alg)} does not match the curve`);
      }
    }
    if (KTY[name] === "OKP") {
      if (jwk.crv !== name) throw err("DataError", `The JWK's crv must be ${name}`);
      if (name === "Ed25519" && jwk.alg !== undefined && jwk.alg !== "EdDSA" && jwk.alg !== "Ed25519") {
        throw err("DataError", `The JWK's alg ${String(jwk.alg)} is not EdDSA`);
      }
    }
  } else checkUsages(name, type, usages);
  const wireData = format === "jwk" ? data : base64Encode(data as Uint8Array);
  const r = await host<{ type: KeyType; data: string; modulusLength?: number; publicExponent?: string }>(
    "importKey", { format, alg: wireAlg(alg), data: wireData });
  return asymmetricKey(r, alg, extractable, usages);
}

function asymmetricKey(r: { type: KeyType; data: string; modulusLength?: number; publicExponent?: string }, alg: Algorithm,
  extractable: boolean, usages: string[]): CryptoKey {
  const a: KeyAlgorithm = { name: alg.name };
  if (KTY[alg.name] === "RSA") {
    a.modulusLength = r.modulusLength; a.publicExponent = fromB64(r.publicExponent!); a.hash = alg.hash;
  }
  if (KTY[alg.name] === "EC") a.namedCurve = alg.namedCurve as string;
  return makeKey(r.type, extractable, a, usages as Usage[], fromB64(r.data));
}

// ---- export -----------------------------------------------------------------------------------------
async function exportKeyData(format: string, key: CryptoKey): Promise<ArrayBuffer | Record<string, unknown>> {
  const s = keySlots(key);
  if (!s.extractable) throw err("InvalidAccessError", "The key is not extractable");
  const name = s.algorithm.name;
  if (s.type === "secret") {
    if (name === "HKDF" || name === "PBKDF2") throw err("NotSupportedError", `${name} keys cannot be exported`);
    if (format === "raw") return toArrayBuffer(s.material);
    if (format !== "jwk") throw err("NotSupportedError", `Secret keys cannot be exported as ${format}`);
    return {
      kty: "oct", k: b64url(s.material),
      alg: name === "HMAC" ? hmacJwkAlg(s.algorithm.hash!.name) : aesJwkAlg(name, s.material.length * 8),
      key_ops: s.usages.slice(), ext: true,
    };
  }
  if (format === "raw") {
    if (KTY[name] === "RSA") throw err("NotSupportedError", "RSA keys cannot be exported as raw");
    if (s.type !== "public") throw err("InvalidAccessError", "Only public keys can be exported as raw");
  }
  if (format === "spki" && s.type !== "public") throw err("InvalidAccessError", "Only public keys can be exported as spki");
  if (format === "pkcs8" && s.type !== "private") throw err("InvalidAccessError", "Only private keys can be exported as pkcs8");
  const r = await host<string | Record<string, unknown>>("exportKey", { format, key: wireKey(key) });
  if (format !== "jwk") return toArrayBuffer(fromB64(r as string));
  const jwk = r as Record<string, unknown>;
  if (KTY[name] === "RSA") jwk.alg = rsaJwkAlg(name, s.algorithm.hash!.name);
  if (name === "Ed25519") jwk.alg = "Ed25519";
  jwk.key_ops = s.usages.slice();
  jwk.ext = true;
  return jwk;
}

// ---- operations on keys -------------------------------------------------------------------------------
function checkKeyFor(key: CryptoKey, alg: Algorithm, usage: Usage): void {
  const s = keySlots(key);
  if (s.algorithm.name !== alg.name) throw err("InvalidAccessError", `The key is for ${s.algorithm.name}, not ${alg.name}`);
  if (!s.usages.includes(usage)) throw err("InvalidAccessError", `The key's usages do not include '${usage}'`);
}

async function encryptWith(fn: "encrypt" | "decrypt", alg: Algorithm, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer> {
  const out = await host<string>(fn, { alg: wireAlg(alg), key: wireKey(key), data: base64Encode(data) });
  return toArrayBuffer(fromB64(out));
}

/** The length (bits) a derived key of this type needs (Web Crypto "get key length"). */
function keyLength(alg: Algorithm): number | null {
  if (isAes(alg.name)) {
    if (![128, 192, 256].includes(alg.length as number)) throw err("OperationError", "AES key length must be 128, 192 or 256");
    return alg.length as number;
  }
  if (alg.name === "HMAC") {
    if (alg.length !== undefined) {
      if (alg.length === 0) throw new TypeError("HMAC length cannot be 0");
      return alg.length as number;
    }
    return BLOCK_BITS[alg.hash!.name]!;
  }
  return null;
}

async function deriveBitsWith(alg: Algorithm, key: CryptoKey, length: number | null): Promise<ArrayBuffer> {
  const name = alg.name;
  if (name === "ECDH" || name === "X25519") {
    const peer = alg.public as CryptoKey, ps = keySlots(peer), ks = keySlots(key);
    if (ps.type !== "public") throw err("InvalidAccessError", "The public member must be a public key");
    if (ps.algorithm.name !== ks.algorithm.name) throw err("InvalidAccessError", `The public key is for ${ps.algorithm.name}, not ${name}`);
    if (ps.algorithm.namedCurve !== ks.algorithm.namedCurve) throw err("InvalidAccessError", "The keys are on different curves");
  } else {
    if (length === null || length % 8 !== 0) throw err("OperationError", `${name} needs a length that is a multiple of 8`);
    if (name === "PBKDF2" && alg.iterations === 0) throw err("OperationError", "PBKDF2 iterations cannot be 0");
    if (length === 0) return new ArrayBuffer(0);
  }
  const out = await host<string>("deriveBits", { alg: wireAlg(alg), key: wireKey(key), length });
  return toArrayBuffer(fromB64(out));
}

async function generate(alg: Algorithm, extractable: boolean, usages: string[]): Promise<CryptoKey | { publicKey: CryptoKey; privateKey: CryptoKey }> {
  const name = alg.name;
  if (isSecretAlg(name)) {
    checkUsages(name, "secret", usages);
    let bits: number;
    if (isAes(name)) {
      bits = alg.length as number;
      if (![128, 192, 256].includes(bits)) throw err("OperationError", "AES key length must be 128, 192 or 256");
    } else {
      bits = alg.length === undefined ? BLOCK_BITS[alg.hash!.name]! : alg.length as number;
      if (bits === 0) throw err("OperationError", "HMAC length cannot be 0");
    }
    if (usages.length === 0) throw err("SyntaxError", "A secret key needs at least one usage");
    const bytes = new Uint8Array(Math.ceil(bits / 8));
    fillRandom(bytes);
    const a: KeyAlgorithm = isAes(name) ? { name, length: bits } : { name, hash: alg.hash!, length: bits };
    return makeKey("secret", extractable, a, usages as Usage[], bytes);
  }
  const rules = USAGE_RULES[name]!;
  for (const u of usages) {
    if (!rules.public!.includes(u as Usage) && !rules.private!.includes(u as Usage)) {
      throw err("SyntaxError", `Cannot create a ${name} key with usage '${u}'`);
    }
  }
  if (alg.namedCurve !== undefined && !CURVES.includes(alg.namedCurve as string)) {
    throw err("NotSupportedError", `Unsupported namedCurve ${String(alg.namedCurve)}`);
  }
  const privUsages = usages.filter((u) => rules.private!.includes(u as Usage));
  if (privUsages.length === 0) throw err("SyntaxError", "The private key would have no usages");
  const r = await host<{ public: string; private: string; modulusLength?: number; publicExponent?: string }>(
    "generateKey", { alg: wireAlg(alg) });
  const extras = { modulusLength: r.modulusLength, publicExponent: r.publicExponent };
  return {
    publicKey: asymmetricKey({ type: "public", data: r.public, ...extras }, alg, true, usages.filter((u) => rules.public!.includes(u as Usage))),
    privateKey: asymmetricKey({ type: "private", data: r.private, ...extras }, alg, extractable, privUsages),
  };
}

async function importAny(format: string, keyData: unknown, algorithm: unknown, extractable: boolean, usages: string[], op: Op = "importKey"): Promise<CryptoKey> {
  let data: Uint8Array | Record<string, unknown>;
  if (format === "jwk") {
    if (viewOf(keyData)) throw new TypeError("keyData must be a JsonWebKey for the jwk format");
    data = jwkOf(keyData);
  } else {
    if (!viewOf(keyData)) throw new TypeError(`keyData must be a BufferSource for the ${format} format`);
    data = bytesOf(keyData, "keyData");
  }
  const alg = normalize(op, algorithm);
  const key = isSecretAlg(alg.name)
    ? importSecret(format, data, alg, extractable, usages)
    : await importAsymmetric(format, data, alg, extractable, usages);
  const s = keySlots(key);
  if ((s.type === "secret" || s.type === "private") && s.usages.length === 0) {
    throw err("SyntaxError", "A secret or private key needs at least one usage");
  }
  return key;
}

/** WebIDL: a promise-returning operation turns every throw into a rejection. */
function args(n: number, got: number, method: string): void {
  if (got < n) throw new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': ${n} arguments required, but only ${got} present.`);
}

export class SubtleCrypto {
  constructor() { throw new TypeError("Illegal constructor"); }

  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    args(2, arguments.length, "digest");
    const bytes = bytesOf(data, "SubtleCrypto.digest data");
    const alg = normalize("digest", algorithm);
    return toArrayBuffer(hash(alg.name, bytes));
  }

  async importKey(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    args(5, arguments.length, "importKey");
    return importAny(formatOf(format), keyData, algorithm, !!extractable, usagesOf(keyUsages));
  }

  async exportKey(format: unknown, key: unknown): Promise<ArrayBuffer | Record<string, unknown>> {
    args(2, arguments.length, "exportKey");
    const f = formatOf(format);
    return exportKeyData(f, keyArg(key, "key"));
  }

  async generateKey(algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<unknown> {
    args(3, arguments.length, "generateKey");
    const ex = !!extractable, usages = usagesOf(keyUsages);
    return generate(normalize("generateKey", algorithm), ex, usages);
  }

  async sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    args(3, arguments.length, "sign");
    const k = keyArg(key, "key"), bytes = bytesOf(data, "data");
    const alg = normalize("sign", algorithm);
    checkKeyFor(k, alg, "sign");
    const out = await host<string>("sign", { alg: wireAlg(alg), key: wireKey(k), data: base64Encode(bytes) });
    return toArrayBuffer(fromB64(out));
  }

  async verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    args(4, arguments.length, "verify");
    const k = keyArg(key, "key"), sig = bytesOf(signature, "signature"), bytes = bytesOf(data, "data");
    const alg = normalize("verify", algorithm);
    checkKeyFor(k, alg, "verify");
    return host<boolean>("verify", { alg: wireAlg(alg), key: wireKey(k), signature: base64Encode(sig), data: base64Encode(bytes) });
  }

  async encrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    args(3, arguments.length, "encrypt");
    const k = keyArg(key, "key"), bytes = bytesOf(data, "data");
    const alg = normalize("encrypt", algorithm);
    checkKeyFor(k, alg, "encrypt");
    return encryptWith("encrypt", alg, k, bytes);
  }

  async decrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    args(3, arguments.length, "decrypt");
    const k = keyArg(key, "key"), bytes = bytesOf(data, "data");
    const alg = normalize("decrypt", algorithm);
    checkKeyFor(k, alg, "decrypt");
    return encryptWith("decrypt", alg, k, bytes);
  }

  async deriveBits(algorithm: unknown, baseKey: unknown, length: unknown = null): Promise<ArrayBuffer> {
    args(2, arguments.length, "deriveBits");
    const k = keyArg(baseKey, "baseKey");
    const len = length === null || length === undefined ? null : Number(length) >>> 0;
    const alg = normalize("deriveBits", algorithm);
    checkKeyFor(k, alg, "deriveBits");
    return deriveBitsWith(alg, k, len);
  }

  async deriveKey(algorithm: unknown, baseKey: unknown, derivedKeyType: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    args(5, arguments.length, "deriveKey");
    const k = keyArg(baseKey, "baseKey"), ex = !!extractable, usages = usagesOf(keyUsages);
    const alg = normalize("deriveBits", algorithm);
    normalize("importKey", derivedKeyType);
    const lengthAlg = normalize("get key length", derivedKeyType);
    checkKeyFor(k, alg, "deriveKey");
    const bits = await deriveBitsWith(alg, k, keyLength(lengthAlg));
    return importAny("raw", bits, derivedKeyType, ex, usages);
  }

  async wrapKey(format: unknown, key: unknown, wrappingKey: unknown, wrapAlgorithm: unknown): Promise<ArrayBuffer> {
    args(4, arguments.length, "wrapKey");
    const f = formatOf(format), k = keyArg(key, "key"), wk = keyArg(wrappingKey, "wrappingKey");
    let alg: Algorithm;
    try { alg = normalize("wrapKey", wrapAlgorithm); } catch (e) {
      if (!(e instanceof DOMException && e.name === "NotSupportedError")) throw e;
      alg = normalize("encrypt", wrapAlgorithm);
    }
    checkKeyFor(wk, alg, "wrapKey");
    const exported = await exportKeyData(f, k);
    const bytes = f === "jwk" ? utf8Encode(JSON.stringify(exported)) : new Uint8Array(exported as ArrayBuffer);
    if (alg.name === "AES-KW") {
      return toArrayBuffer(fromB64(await host<string>("wrap", { key: wireKey(wk), data: base64Encode(bytes) })));
    }
    return encryptWith("encrypt", alg, wk, bytes);
  }

  async unwrapKey(format: unknown, wrappedKey: unknown, unwrappingKey: unknown, unwrapAlgorithm: unknown,
    unwrappedKeyAlgorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    args(7, arguments.length, "unwrapKey");
    const f = formatOf(format), wrapped = bytesOf(wrappedKey, "wrappedKey"), uk = keyArg(unwrappingKey, "unwrappingKey");
    const ex = !!extractable, usages = usagesOf(keyUsages);
    let alg: Algorithm;
    try { alg = normalize("unwrapKey", unwrapAlgorithm); } catch (e) {
      if (!(e instanceof DOMException && e.name === "NotSupportedError")) throw e;
      alg = normalize("decrypt", unwrapAlgorithm);
    }
    normalize("importKey", unwrappedKeyAlgorithm);
    checkKeyFor(uk, alg, "unwrapKey");
    const bytes = alg.name === "AES-KW"
      ? fromB64(await host<string>("unwrap", { key: wireKey(uk), data: base64Encode(wrapped) }))
      : new Uint8Array(await encryptWith("decrypt", alg, uk, wrapped));
    let keyData: unknown = bytes;
    if (f === "jwk") {
      try { keyData = JSON.parse(utf8Decode(bytes) ?? ""); } catch { throw err("DataError", "The unwrapped key is not a JSON Web Key"); }
    }
    return importAny(f, keyData, unwrappedKeyAlgorithm, ex, usages);
  }

  /** Workers extension: constant-time comparison of two equal-length buffers. */
  timingSafeEqual(a: unknown, b: unknown): boolean {
    const x = viewOf(a), y = viewOf(b);
    if (!x || !y) throw new TypeError("timingSafeEqual: arguments must be ArrayBuffer or ArrayBufferView");
    if (x.length !== y.length) throw new TypeError("Input buffers must have the same byte length");
    let d = 0;
    for (let i = 0; i < x.length; i++) d |= x[i]! ^ y[i]!;
    return d === 0;
  }
}
