// WebCrypto conformance cases, written for isoplay from the Web Cryptography API spec (W3C) and the
// behaviour the Web Platform Tests' WebCryptoAPI suite checks: published test vectors (FIPS 180,
// RFC 1321, 4231, 5869, 6070, 3394, 7748, 8032) and the error each misuse must give. Runs unchanged
// in the isolate and in Node (bench/webcrypto_conformance.py compares them).
// run() returns [[area, name, passed, detail], ...].
const S = globalThis.crypto.subtle;
const enc = new TextEncoder();
const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const cases = [];
const t = (area, name, fn) => cases.push([area, name, fn]);

async function rejects(p, name) {
  try { await p; } catch (e) {
    if (e && e.name === name) return true;
    throw new Error(`expected ${name}, got ${e && e.name}: ${e && e.message}`);
  }
  throw new Error(`expected ${name}, but it resolved`);
}
function same(a, b) { if (a !== b) throw new Error(`got ${a}, want ${b}`); return true; }
const secret = (alg, usages, bytes = new Uint8Array(32).fill(1), ex = true) => S.importKey("raw", bytes, alg, ex, usages);
const HS256 = { name: "HMAC", hash: "SHA-256" };
const X25519_PKCS8 = "302e020100300506032b656e04220420", ED25519_PKCS8 = "302e020100300506032b657004220420";

// ---- digest ---------------------------------------------------------------------------------------
const VECTORS = {
  "SHA-1": ["da39a3ee5e6b4b0d3255bfef95601890afd80709", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  "SHA-256": ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  "SHA-384": ["38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"],
  "SHA-512": ["cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"],
  "MD5": ["d41d8cd98f00b204e9800998ecf8427e", "900150983cd24fb0d6963f7d28e17f72"],
};
for (const [alg, [empty, abc]] of Object.entries(VECTORS)) {
  t("digest", `${alg} of ""`, async () => same(hex(await S.digest(alg, new Uint8Array(0))), empty));
  t("digest", `${alg} of "abc"`, async () => same(hex(await S.digest({ name: alg.toLowerCase() }, enc.encode("abc"))), abc));
  t("digest", `${alg} of a DataView and an ArrayBuffer`, async () => {
    const buf = enc.encode("xabcx").buffer;
    return same(hex(await S.digest(alg, new DataView(buf, 1, 3))), abc) && same(hex(await S.digest(alg, buf.slice(1, 4))), abc);
  });
}
t("digest", "data is copied when the call starts", async () => {
  const data = enc.encode("abc"); const p = S.digest("SHA-256", data); data.fill(0);
  return same(hex(await p), VECTORS["SHA-256"][1]);
});
t("digest", "SHA-224 is NotSupportedError", () => rejects(S.digest("SHA-224", new Uint8Array(1)), "NotSupportedError"));
t("digest", "an algorithm without name is TypeError", () => rejects(S.digest({}, new Uint8Array(1)), "TypeError"));
t("digest", "a string as data is TypeError", () => rejects(S.digest("SHA-256", "abc"), "TypeError"));
t("digest", "HMAC is not a digest (NotSupportedError)", () => rejects(S.digest("HMAC", new Uint8Array(1)), "NotSupportedError"));
t("digest", "errors reject, never throw", () => { const p = S.digest(); return p instanceof Promise && rejects(p, "TypeError"); });

// ---- keys: import, export, CryptoKey ---------------------------------------------------------------
t("keys", "CryptoKey attributes", async () => {
  const k = await secret(HS256, ["verify", "sign", "sign"]);
  return same(k instanceof CryptoKey, true) && same(k.type, "secret") && same(k.extractable, true)
    && same(k.algorithm, k.algorithm) && same(k.usages, k.usages) && same(k.usages.length, 2)
    && same(k.algorithm.name, "HMAC") && same(k.algorithm.hash.name, "SHA-256") && same(k.algorithm.length, 256)
    && same(Object.prototype.toString.call(k), "[object CryptoKey]");
});
t("keys", "new CryptoKey() is TypeError", () => { try { new CryptoKey(); } catch (e) { return same(e.name, "TypeError"); } throw new Error("constructed"); });
t("keys", "key data is copied at import", async () => {
  const raw = new Uint8Array(16).fill(5); const k = await S.importKey("raw", raw, "AES-GCM", true, ["encrypt"]); raw.fill(0);
  return same(hex(await S.exportKey("raw", k)), "05".repeat(16));
});
t("keys", "AES raw key of 15 bytes is DataError", () => rejects(secret("AES-GCM", ["encrypt"], new Uint8Array(15)), "DataError"));
t("keys", "AES-192 raw key imports", async () => same((await secret("AES-CBC", ["encrypt"], new Uint8Array(24))).algorithm.length, 192));
t("keys", "empty HMAC key is DataError", () => rejects(secret(HS256, ["sign"], new Uint8Array(0)), "DataError"));
t("keys", "HMAC length that does not fit the data is DataError", () => rejects(secret({ ...HS256, length: 512 }, ["sign"]), "DataError"));
t("keys", "unknown usage is TypeError", () => rejects(secret("AES-GCM", ["encrypt", "frobnicate"]), "TypeError"));
t("keys", "usage the algorithm lacks is SyntaxError", () => rejects(secret("AES-GCM", ["sign"]), "SyntaxError"));
t("keys", "secret key without usages is SyntaxError", () => rejects(secret("AES-GCM", []), "SyntaxError"));
t("keys", "format 'foo' is TypeError", () => rejects(S.importKey("foo", new Uint8Array(16), "AES-GCM", true, ["encrypt"]), "TypeError"));
t("keys", "raw format with a JWK object is TypeError", () => rejects(S.importKey("raw", { kty: "oct" }, "AES-GCM", true, ["encrypt"]), "TypeError"));
t("keys", "jwk format with bytes is TypeError", () => rejects(S.importKey("jwk", new Uint8Array(16), "AES-GCM", true, ["encrypt"]), "TypeError"));
t("keys", "unknown algorithm is NotSupportedError", () => rejects(secret("AES-XYZ", ["encrypt"]), "NotSupportedError"));
t("keys", "exporting a non-extractable key is InvalidAccessError", async () => rejects(S.exportKey("raw", await secret("AES-GCM", ["encrypt"], undefined, false)), "InvalidAccessError"));
t("keys", "exporting a secret key as spki is NotSupportedError", async () => rejects(S.exportKey("spki", await secret("AES-GCM", ["encrypt"])), "NotSupportedError"));
t("keys", "PBKDF2 key cannot be extractable (SyntaxError)", () => rejects(S.importKey("raw", new Uint8Array(4), "PBKDF2", true, ["deriveBits"]), "SyntaxError"));
t("keys", "HKDF key imports non-extractable", async () => same((await S.importKey("raw", new Uint8Array(4), "HKDF", false, ["deriveKey"])).extractable, false));
t("keys", "oct JWK round trip (A256GCM)", async () => {
  const jwk = { kty: "oct", k: "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", alg: "A256GCM", ext: true, key_ops: ["encrypt", "decrypt"] };
  const out = await S.exportKey("jwk", await S.importKey("jwk", jwk, "AES-GCM", true, ["decrypt", "encrypt"]));
  return same(out.k, jwk.k) && same(out.alg, "A256GCM") && same(out.kty, "oct") && same(out.ext, true) && same(out.key_ops.join(), "encrypt,decrypt");
});
t("keys", "HMAC JWK alg is HS256", async () => same((await S.exportKey("jwk", await secret(HS256, ["sign"]))).alg, "HS256"));
t("keys", "JWK with the wrong kty is DataError", () => rejects(S.importKey("jwk", { kty: "RSA", k: "AAAA" }, "AES-GCM", true, ["encrypt"]), "DataError"));
t("keys", "JWK alg that contradicts the algorithm is DataError", () => rejects(S.importKey("jwk", { kty: "oct", k: "AQEBAQEBAQEBAQEBAQEBAQ", alg: "A128CBC" }, "AES-GCM", true, ["encrypt"]), "DataError"));
t("keys", "JWK use 'enc' for HMAC is DataError", () => rejects(S.importKey("jwk", { kty: "oct", k: "AQEBAQ", use: "enc" }, HS256, true, ["sign"]), "DataError"));
t("keys", "JWK ext false for an extractable import is DataError", () => rejects(S.importKey("jwk", { kty: "oct", k: "AQEBAQ", ext: false }, HS256, true, ["sign"]), "DataError"));
t("keys", "JWK key_ops without the usage is DataError", () => rejects(S.importKey("jwk", { kty: "oct", k: "AQEBAQ", key_ops: ["verify"] }, HS256, false, ["sign"]), "DataError"));
t("keys", "JWK without k is DataError", () => rejects(S.importKey("jwk", { kty: "oct" }, HS256, false, ["sign"]), "DataError"));
t("keys", "spki garbage is DataError", () => rejects(S.importKey("spki", new Uint8Array(40), { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]), "DataError"));
t("keys", "pkcs8 garbage is DataError", () => rejects(S.importKey("pkcs8", new Uint8Array(40), { name: "RSA-PSS", hash: "SHA-256" }, true, ["sign"]), "DataError"));
t("keys", "RSA raw import is NotSupportedError", () => rejects(S.importKey("raw", new Uint8Array(40), { name: "RSA-OAEP", hash: "SHA-256" }, true, ["encrypt"]), "NotSupportedError"));
t("keys", "unknown namedCurve is NotSupportedError", () => rejects(S.importKey("raw", new Uint8Array(65), { name: "ECDSA", namedCurve: "P-999" }, true, ["verify"]), "NotSupportedError"));
t("keys", "spki on the wrong curve is DataError", async () => {
  const { publicKey } = await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  return rejects(S.importKey("spki", await S.exportKey("spki", publicKey), { name: "ECDSA", namedCurve: "P-384" }, true, ["verify"]), "DataError");
});
t("keys", "an ECDSA public key with usage sign is SyntaxError", () => rejects(S.importKey("raw", new Uint8Array(65), { name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]), "SyntaxError"));
t("keys", "an ECDH public key with usages is SyntaxError", async () => {
  const { publicKey } = await S.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  return rejects(S.importKey("spki", await S.exportKey("spki", publicKey), { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]), "SyntaxError");
});
t("keys", "exporting a public key as pkcs8 is InvalidAccessError", async () => {
  const { publicKey } = await S.generateKey("Ed25519", true, ["sign", "verify"]);
  return rejects(S.exportKey("pkcs8", publicKey), "InvalidAccessError");
});
t("keys", "exporting a private key as raw is InvalidAccessError", async () => {
  const { privateKey } = await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  return rejects(S.exportKey("raw", privateKey), "InvalidAccessError");
});
t("keys", "EC JWK with a point off the curve is DataError", () => rejects(S.importKey("jwk", { kty: "EC", crv: "P-256",
  x: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", y: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE" }, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]), "DataError"));
t("keys", "Ed25519 JWK of a raw key", async () => {
  const k = await S.importKey("raw", unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"), "Ed25519", true, ["verify"]);
  const jwk = await S.exportKey("jwk", k);
  return same(jwk.kty, "OKP") && same(jwk.crv, "Ed25519") && same(jwk.x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
});

// ---- sign / verify -----------------------------------------------------------------------------------
t("sign", "HMAC-SHA-256 RFC 4231 case 1", async () => {
  const k = await S.importKey("raw", new Uint8Array(20).fill(0x0b), HS256, false, ["sign"]);
  return same(hex(await S.sign("HMAC", k, enc.encode("Hi There"))), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
});
t("sign", "HMAC verify is false for a wrong or short MAC", async () => {
  const k = await secret(HS256, ["sign", "verify"]);
  const mac = new Uint8Array(await S.sign("HMAC", k, enc.encode("m")));
  const bad = mac.slice(); bad[0] ^= 1;
  return same(await S.verify("HMAC", k, mac, enc.encode("m")), true) && same(await S.verify("HMAC", k, bad, enc.encode("m")), false)
    && same(await S.verify("HMAC", k, mac.slice(0, 16), enc.encode("m")), false);
});
t("sign", "Ed25519 RFC 8032 test 1", async () => {
  const k = await S.importKey("pkcs8", unhex(ED25519_PKCS8 + "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), "Ed25519", false, ["sign"]);
  return same(hex(await S.sign("Ed25519", k, new Uint8Array(0))), "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
});
t("sign", "sign without the sign usage is InvalidAccessError", async () => rejects(S.sign("HMAC", await secret(HS256, ["verify"]), new Uint8Array(1)), "InvalidAccessError"));
t("sign", "sign with another algorithm's key is InvalidAccessError", async () => {
  const { privateKey } = await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return rejects(S.sign("Ed25519", privateKey, new Uint8Array(1)), "InvalidAccessError");
});
t("sign", "RSA-PSS without saltLength is TypeError", async () => {
  const { privateKey } = await S.generateKey({ name: "RSA-PSS", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["sign"]);
  return rejects(S.sign({ name: "RSA-PSS" }, privateKey, new Uint8Array(1)), "TypeError");
});
t("sign", "ECDSA without hash is TypeError", async () => {
  const { privateKey } = await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return rejects(S.sign({ name: "ECDSA" }, privateKey, new Uint8Array(1)), "TypeError");
});
t("sign", "ECDSA P-256 signatures are 64 bytes (r || s) and verify", async () => {
  const { privateKey, publicKey } = await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const sig = await S.sign({ name: "ECDSA", hash: "SHA-384" }, privateKey, enc.encode("x"));
  return same(sig.byteLength, 64) && same(await S.verify({ name: "ECDSA", hash: "SHA-384" }, publicKey, sig, enc.encode("x")), true)
    && same(await S.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, sig, enc.encode("x")), false);
});
t("sign", "a key that is not a CryptoKey is TypeError", () => rejects(S.sign("HMAC", { type: "secret" }, new Uint8Array(1)), "TypeError"));

// ---- encrypt / decrypt -----------------------------------------------------------------------------------
const aes = (name, u = ["encrypt", "decrypt"]) => secret(name, u, new Uint8Array(16).fill(9));
t("encrypt", "AES-GCM round trip with additional data", async () => {
  const k = await aes("AES-GCM"), p = { name: "AES-GCM", iv: new Uint8Array(12), additionalData: enc.encode("ad") };
  const ct = await S.encrypt(p, k, enc.encode("hello"));
  return same(ct.byteLength, 5 + 16) && same(new TextDecoder().decode(await S.decrypt(p, k, ct)), "hello");
});
t("encrypt", "AES-GCM tampered data is OperationError", async () => {
  const k = await aes("AES-GCM"), p = { name: "AES-GCM", iv: new Uint8Array(12) };
  const ct = new Uint8Array(await S.encrypt(p, k, enc.encode("hello"))); ct[0] ^= 1;
  return rejects(S.decrypt(p, k, ct), "OperationError");
});
t("encrypt", "AES-GCM tagLength 100 is OperationError", async () => rejects(S.encrypt({ name: "AES-GCM", iv: new Uint8Array(12), tagLength: 100 }, await aes("AES-GCM"), new Uint8Array(1)), "OperationError"));
t("encrypt", "AES-GCM without iv is TypeError", async () => rejects(S.encrypt({ name: "AES-GCM" }, await aes("AES-GCM"), new Uint8Array(1)), "TypeError"));
t("encrypt", "AES-CBC iv of 15 bytes is OperationError", async () => rejects(S.encrypt({ name: "AES-CBC", iv: new Uint8Array(15) }, await aes("AES-CBC"), new Uint8Array(1)), "OperationError"));
t("encrypt", "AES-CBC pads to the block", async () => same((await S.encrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, await aes("AES-CBC"), new Uint8Array(16))).byteLength, 32));
t("encrypt", "AES-CBC bad padding is OperationError", async () => rejects(S.decrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, await aes("AES-CBC"), new Uint8Array(16)), "OperationError"));
t("encrypt", "AES-CTR counter of 15 bytes is OperationError", async () => rejects(S.encrypt({ name: "AES-CTR", counter: new Uint8Array(15), length: 64 }, await aes("AES-CTR"), new Uint8Array(1)), "OperationError"));
t("encrypt", "AES-CTR length 0 is OperationError", async () => rejects(S.encrypt({ name: "AES-CTR", counter: new Uint8Array(16), length: 0 }, await aes("AES-CTR"), new Uint8Array(1)), "OperationError"));
t("encrypt", "AES-CTR length 129 is OperationError", async () => rejects(S.encrypt({ name: "AES-CTR", counter: new Uint8Array(16), length: 129 }, await aes("AES-CTR"), new Uint8Array(1)), "OperationError"));
t("encrypt", "encrypt without the usage is InvalidAccessError", async () => rejects(S.encrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, await aes("AES-CBC", ["decrypt"]), new Uint8Array(1)), "InvalidAccessError"));
t("encrypt", "AES-KW cannot encrypt (NotSupportedError)", async () => rejects(S.encrypt("AES-KW", await aes("AES-KW", ["wrapKey"]), new Uint8Array(16)), "NotSupportedError"));
t("encrypt", "AES key used with another AES mode is InvalidAccessError", async () => rejects(S.encrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, await aes("AES-GCM"), new Uint8Array(1)), "InvalidAccessError"));
t("encrypt", "RSA-OAEP round trip and a private key cannot encrypt", async () => {
  const { publicKey, privateKey } = await S.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-1" }, false, ["encrypt", "decrypt"]);
  const ct = await S.encrypt("RSA-OAEP", publicKey, enc.encode("hi"));
  return same(new TextDecoder().decode(await S.decrypt("RSA-OAEP", privateKey, ct)), "hi") && rejects(S.encrypt("RSA-OAEP", privateKey, enc.encode("hi")), "InvalidAccessError");
});

// ---- generateKey -----------------------------------------------------------------------------------------
t("generateKey", "AES length 100 is OperationError", () => rejects(S.generateKey({ name: "AES-GCM", length: 100 }, true, ["encrypt"]), "OperationError"));
t("generateKey", "AES without length is TypeError", () => rejects(S.generateKey({ name: "AES-GCM" }, true, ["encrypt"]), "TypeError"));
t("generateKey", "HMAC keys default to the hash's block size", async () => {
  const a = await S.generateKey(HS256, true, ["sign"]), b = await S.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
  return same(a.algorithm.length, 512) && same((await S.exportKey("raw", a)).byteLength, 64) && same(b.algorithm.length, 1024);
});
t("generateKey", "two AES keys differ", async () => {
  const a = await S.generateKey({ name: "AES-CTR", length: 128 }, true, ["encrypt"]), b = await S.generateKey({ name: "AES-CTR", length: 128 }, true, ["encrypt"]);
  return same(hex(await S.exportKey("raw", a)) !== hex(await S.exportKey("raw", b)), true);
});
t("generateKey", "key pair: public key extractable, usages split", async () => {
  const { publicKey, privateKey } = await S.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, ["sign", "verify"]);
  return same(publicKey.extractable, true) && same(privateKey.extractable, false) && same(publicKey.usages.join(), "verify")
    && same(privateKey.usages.join(), "sign") && same(publicKey.type, "public") && same(privateKey.algorithm.namedCurve, "P-384");
});
t("generateKey", "ECDSA with usage encrypt is SyntaxError", () => rejects(S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["encrypt"]), "SyntaxError"));
t("generateKey", "a key pair whose private key has no usage is SyntaxError", () => rejects(S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]), "SyntaxError"));
t("generateKey", "a secret key without usages is SyntaxError", () => rejects(S.generateKey({ name: "AES-GCM", length: 128 }, true, []), "SyntaxError"));
t("generateKey", "a digest algorithm is NotSupportedError", () => rejects(S.generateKey("SHA-256", true, ["sign"]), "NotSupportedError"));
t("generateKey", "RSA publicExponent must be a Uint8Array (TypeError)", () => rejects(S.generateKey({ name: "RSA-PSS", modulusLength: 1024, publicExponent: [1, 0, 1], hash: "SHA-256" }, true, ["sign"]), "TypeError"));
t("generateKey", "RSA key algorithm", async () => {
  const { privateKey } = await S.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: { name: "SHA-512" } }, true, ["sign"]);
  const a = privateKey.algorithm;
  return same(a.modulusLength, 1024) && same(hex(a.publicExponent), "010001") && same(a.hash.name, "SHA-512") && same(a.publicExponent instanceof Uint8Array, true);
});

// ---- deriveBits / deriveKey ------------------------------------------------------------------------------
t("derive", "PBKDF2-SHA-1 RFC 6070 case 1", async () => {
  const k = await S.importKey("raw", enc.encode("password"), "PBKDF2", false, ["deriveBits"]);
  return same(hex(await S.deriveBits({ name: "PBKDF2", salt: enc.encode("salt"), iterations: 1, hash: "SHA-1" }, k, 160)), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
});
t("derive", "HKDF-SHA-256 RFC 5869 case 1", async () => {
  const k = await S.importKey("raw", new Uint8Array(22).fill(0x0b), "HKDF", false, ["deriveBits"]);
  const salt = Uint8Array.from({ length: 13 }, (_, i) => i), info = Uint8Array.from({ length: 10 }, (_, i) => 0xf0 + i);
  return same(hex(await S.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, k, 336)), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
});
t("derive", "X25519 RFC 7748 section 6.1", async () => {
  const a = await S.importKey("pkcs8", unhex(X25519_PKCS8 + "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), "X25519", false, ["deriveBits"]);
  const b = await S.importKey("raw", unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), "X25519", false, []);
  return same(hex(await S.deriveBits({ name: "X25519", public: b }, a, 256)), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
});
const pbkdf2Key = () => S.importKey("raw", enc.encode("pw"), "PBKDF2", false, ["deriveBits", "deriveKey"]);
const PB = { name: "PBKDF2", salt: new Uint8Array(8), iterations: 10, hash: "SHA-256" };
t("derive", "PBKDF2 length not a multiple of 8 is OperationError", async () => rejects(S.deriveBits(PB, await pbkdf2Key(), 100), "OperationError"));
t("derive", "PBKDF2 null length is OperationError", async () => rejects(S.deriveBits(PB, await pbkdf2Key(), null), "OperationError"));
t("derive", "PBKDF2 0 iterations is OperationError", async () => rejects(S.deriveBits({ ...PB, iterations: 0 }, await pbkdf2Key(), 128), "OperationError"));
t("derive", "PBKDF2 without salt is TypeError", async () => rejects(S.deriveBits({ name: "PBKDF2", iterations: 1, hash: "SHA-256" }, await pbkdf2Key(), 128), "TypeError"));
t("derive", "deriveBits without the usage is InvalidAccessError", async () => rejects(S.deriveBits(PB, await S.importKey("raw", enc.encode("pw"), "PBKDF2", false, ["deriveKey"]), 128), "InvalidAccessError"));
t("derive", "deriveKey to AES-GCM 256 equals deriveBits", async () => {
  const k = await pbkdf2Key(), aesKey = await S.deriveKey(PB, k, { name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  return same(hex(await S.exportKey("raw", aesKey)), hex(await S.deriveBits(PB, k, 256))) && same(aesKey.algorithm.length, 256);
});
t("derive", "deriveKey to AES length 100 is OperationError", async () => rejects(S.deriveKey(PB, await pbkdf2Key(), { name: "AES-GCM", length: 100 }, true, ["encrypt"]), "OperationError"));
t("derive", "deriveKey to HMAC without length takes the block size", async () => {
  const k = await S.deriveKey(PB, await pbkdf2Key(), { name: "HMAC", hash: "SHA-384" }, true, ["sign"]);
  return same(k.algorithm.length, 1024);
});
t("derive", "ECDH with a key on another curve is InvalidAccessError", async () => {
  const a = await S.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const b = await S.generateKey({ name: "ECDH", namedCurve: "P-384" }, false, ["deriveBits"]);
  return rejects(S.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 128), "InvalidAccessError");
});
t("derive", "ECDH with a private key as public is InvalidAccessError", async () => {
  const a = await S.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  return rejects(S.deriveBits({ name: "ECDH", public: a.privateKey }, a.privateKey, 128), "InvalidAccessError");
});
t("derive", "ECDH agrees both ways and truncates", async () => {
  const a = await S.generateKey({ name: "ECDH", namedCurve: "P-521" }, false, ["deriveBits"]);
  const b = await S.generateKey({ name: "ECDH", namedCurve: "P-521" }, false, ["deriveBits"]);
  const ab = await S.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 528);
  const ba = await S.deriveBits({ name: "ECDH", public: a.publicKey }, b.privateKey, 128);
  return same(ab.byteLength, 66) && same(hex(ab).slice(0, 32), hex(ba));
});
t("derive", "ECDH length beyond the secret is OperationError", async () => {
  const a = await S.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  return rejects(S.deriveBits({ name: "ECDH", public: a.publicKey }, a.privateKey, 264), "OperationError");
});
t("derive", "ECDH without public is TypeError", async () => {
  const a = await S.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  return rejects(S.deriveBits({ name: "ECDH" }, a.privateKey, 128), "TypeError");
});

// ---- wrapKey / unwrapKey -----------------------------------------------------------------------------------
t("wrap", "AES-KW RFC 3394 section 4.1", async () => {
  const kek = await S.importKey("raw", Uint8Array.from({ length: 16 }, (_, i) => i), "AES-KW", false, ["wrapKey"]);
  const key = await S.importKey("raw", unhex("00112233445566778899aabbccddeeff"), "AES-GCM", true, ["encrypt"]);
  return same(hex(await S.wrapKey("raw", key, kek, "AES-KW")), "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
});
t("wrap", "AES-KW unwrap with another KEK is OperationError", async () => {
  const kek = await S.importKey("raw", new Uint8Array(16).fill(2), "AES-KW", false, ["unwrapKey"]);
  return rejects(S.unwrapKey("raw", unhex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"), kek, "AES-KW", "AES-GCM", true, ["encrypt"]), "OperationError");
});
t("wrap", "wrapping a non-extractable key is InvalidAccessError", async () => {
  const kek = await S.importKey("raw", new Uint8Array(16), "AES-KW", false, ["wrapKey"]);
  return rejects(S.wrapKey("raw", await aes("AES-GCM").then(() => secret("AES-GCM", ["encrypt"], undefined, false)), kek, "AES-KW"), "InvalidAccessError");
});
t("wrap", "wrapKey without the usage is InvalidAccessError", async () => {
  const kek = await S.importKey("raw", new Uint8Array(16), "AES-KW", false, ["unwrapKey"]);
  return rejects(S.wrapKey("raw", await secret("AES-GCM", ["encrypt"]), kek, "AES-KW"), "InvalidAccessError");
});
t("wrap", "jwk wrapped with AES-GCM unwraps to the same key", async () => {
  const kek = await S.importKey("raw", new Uint8Array(32).fill(3), "AES-GCM", false, ["wrapKey", "unwrapKey"]);
  const key = await secret(HS256, ["sign"]);
  const p = { name: "AES-GCM", iv: new Uint8Array(12) };
  const wrapped = await S.wrapKey("jwk", key, kek, p);
  const back = await S.unwrapKey("jwk", wrapped, kek, p, HS256, true, ["sign"]);
  return same(hex(await S.exportKey("raw", back)), hex(await S.exportKey("raw", key))) && same(back.algorithm.hash.name, "SHA-256");
});
t("wrap", "RSA-OAEP wraps an AES key", async () => {
  const { publicKey, privateKey } = await S.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["wrapKey", "unwrapKey"]);
  const key = await aes("AES-CBC");
  const back = await S.unwrapKey("raw", await S.wrapKey("raw", key, publicKey, "RSA-OAEP"), privateKey, "RSA-OAEP", "AES-CBC", true, ["encrypt"]);
  return same(hex(await S.exportKey("raw", back)), "09".repeat(16));
});


// ---- more key import/export semantics ------------------------------------------------------------------
const rsaPair = () => S.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"]);
const RS = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
t("keys", "an RSA public JWK cannot be imported for signing (SyntaxError)", async () => {
  const { publicKey } = await rsaPair();
  const jwk = await S.exportKey("jwk", publicKey); delete jwk.key_ops; // the usage rule, not key_ops, is under test
  return rejects(S.importKey("jwk", jwk, RS, true, ["sign"]), "SyntaxError");
});
t("keys", "an RSA private JWK missing dp is DataError", async () => {
  const { privateKey } = await rsaPair();
  const jwk = await S.exportKey("jwk", privateKey); delete jwk.dp;
  return rejects(S.importKey("jwk", jwk, RS, true, ["sign"]), "DataError");
});
t("keys", "RSA private JWK round trip keeps every member", async () => {
  const { privateKey } = await rsaPair();
  const jwk = await S.exportKey("jwk", privateKey);
  const back = await S.exportKey("jwk", await S.importKey("jwk", jwk, RS, true, ["sign"]));
  return same(["n", "e", "d", "p", "q", "dp", "dq", "qi", "alg", "kty"].every((m) => back[m] === jwk[m]), true) && same(back.alg, "RS256");
});
t("keys", "an EC JWK whose d belongs to another key is DataError", async () => {
  const a = await S.exportKey("jwk", (await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])).privateKey);
  const b = await S.exportKey("jwk", (await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])).privateKey);
  return rejects(S.importKey("jwk", { ...a, d: b.d }, { name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]), "DataError");
});
t("keys", "an Ed25519 JWK with crv X25519 is DataError", async () => {
  const jwk = await S.exportKey("jwk", (await S.generateKey("Ed25519", true, ["sign", "verify"])).publicKey);
  return rejects(S.importKey("jwk", { ...jwk, crv: "X25519" }, "Ed25519", true, ["verify"]), "DataError");
});
t("keys", "ECDH private JWK has key_ops and no alg", async () => {
  const { privateKey } = await S.generateKey({ name: "ECDH", namedCurve: "P-384" }, true, ["deriveBits"]);
  const jwk = await S.exportKey("jwk", privateKey);
  return same(jwk.alg, undefined) && same(jwk.key_ops.join(), "deriveBits") && same(jwk.crv, "P-384") && same(typeof jwk.d, "string");
});
t("keys", "HMAC JWK alg HS512 for a SHA-256 key is DataError", () => rejects(S.importKey("jwk", { kty: "oct", k: "AQEBAQ", alg: "HS512" }, HS256, true, ["sign"]), "DataError"));
t("keys", "AES JWK of 20 bytes is DataError", () => rejects(S.importKey("jwk", { kty: "oct", k: "AQEBAQEBAQEBAQEBAQEBAQEBAQE" }, "AES-CBC", true, ["encrypt"]), "DataError"));
t("keys", "repeated usages are kept once", async () => same((await secret("AES-GCM", ["encrypt", "encrypt", "decrypt"])).usages.length, 2));
t("keys", "Ed25519 key pair: public key usages, raw export is 32 bytes", async () => {
  const { publicKey, privateKey } = await S.generateKey("Ed25519", true, ["sign", "verify"]);
  return same(publicKey.usages.join(), "verify") && same(privateKey.usages.join(), "sign") && same((await S.exportKey("raw", publicKey)).byteLength, 32);
});
t("keys", "X25519 public key usages are empty", async () => {
  const { publicKey, privateKey } = await S.generateKey("X25519", true, ["deriveBits", "deriveKey"]);
  return same(publicKey.usages.length, 0) && same(privateKey.usages.join(), "deriveKey,deriveBits");
});
t("encrypt", "RSA-OAEP with another label is OperationError", async () => {
  const { publicKey, privateKey } = await S.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["encrypt", "decrypt"]);
  const ct = await S.encrypt({ name: "RSA-OAEP", label: enc.encode("a") }, publicKey, enc.encode("x"));
  return rejects(S.decrypt({ name: "RSA-OAEP", label: enc.encode("b") }, privateKey, ct), "OperationError");
});
t("encrypt", "RSA-OAEP plaintext too long is OperationError", async () => {
  const { publicKey } = await S.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["encrypt", "decrypt"]);
  return rejects(S.encrypt("RSA-OAEP", publicKey, new Uint8Array(100)), "OperationError");
});
t("derive", "HKDF beyond 255 hash lengths is OperationError", async () => {
  const k = await S.importKey("raw", new Uint8Array(16), "HKDF", false, ["deriveBits"]);
  return rejects(S.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new Uint8Array(0) }, k, 255 * 256 + 8), "OperationError");
});
t("derive", "X25519 deriveKey to an HMAC key", async () => {
  const a = await S.generateKey("X25519", false, ["deriveKey"]), b = await S.generateKey("X25519", false, ["deriveKey"]);
  const k1 = await S.deriveKey({ name: "X25519", public: b.publicKey }, a.privateKey, { name: "HMAC", hash: "SHA-256", length: 256 }, true, ["sign"]);
  const k2 = await S.deriveKey({ name: "X25519", public: a.publicKey }, b.privateKey, { name: "HMAC", hash: "SHA-256", length: 256 }, true, ["sign"]);
  return same(hex(await S.exportKey("raw", k1)), hex(await S.exportKey("raw", k2)));
});

// ---- the crypto object ------------------------------------------------------------------------------------
t("crypto", "timingSafeEqual (Workers)", () => {
  if (typeof S.timingSafeEqual !== "function") throw new Error("missing");
  return same(S.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true) && same(S.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
});
t("crypto", "timingSafeEqual of different lengths is TypeError", () => { try { S.timingSafeEqual(new Uint8Array(1), new Uint8Array(2)); } catch (e) { return same(e.name, "TypeError"); } throw new Error("no error"); });
t("crypto", "crypto.subtle is one SubtleCrypto", () => same(crypto.subtle, crypto.subtle) && same(crypto.subtle instanceof SubtleCrypto, true));
t("crypto", "randomUUID is version 4", () => same(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()), true));
t("crypto", "getRandomValues quota is QuotaExceededError", () => { try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { return same(e.name, "QuotaExceededError"); } throw new Error("no error"); });
t("crypto", "getRandomValues of Float32Array is TypeMismatchError", () => { try { crypto.getRandomValues(new Float32Array(1)); } catch (e) { return same(e.name, "TypeMismatchError"); } throw new Error("no error"); });
t("crypto", "DigestStream hashes what is written (Workers)", async () => {
  if (typeof crypto.DigestStream !== "function") throw new Error("missing");
  const ds = new crypto.DigestStream("SHA-256");
  const w = ds.getWriter();
  await w.write(enc.encode("a")); await w.write(enc.encode("bc")); await w.close();
  return same(hex(await ds.digest), VECTORS["SHA-256"][1]) && same(ds instanceof WritableStream, true);
});

export async function run(only) {
  const out = [];
  for (const [area, name, fn] of cases) {
    if (only && !only.includes(area)) continue;
    try { const ok = await fn(); out.push([area, name, ok === true, ok === true ? "" : `returned ${ok}`]); }
    catch (e) { out.push([area, name, false, String(e && e.message || e)]); }
  }
  return out;
}
