// The same WebCrypto code run by Node and by the isolate: make() creates keys, signatures,
// ciphertexts and derived bits for every algorithm and exports them; check() takes what the
// other implementation made, imports it and verifies it. Only globalThis.crypto.subtle is used.
const S = globalThis.crypto.subtle;
const enc = new TextEncoder();
const MSG = enc.encode("interop message \u00e9\u4e2d");
const b64 = (b) => { let s = ""; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s); };
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const eq = (a, b) => b64(a) === b64(b);

const SIGNERS = [
  { id: "RSASSA", gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, imp: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, params: { name: "RSASSA-PKCS1-v1_5" } },
  { id: "PSS", gen: { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-384" }, imp: { name: "RSA-PSS", hash: "SHA-384" }, params: { name: "RSA-PSS", saltLength: 48 } },
  { id: "ES256", gen: { name: "ECDSA", namedCurve: "P-256" }, imp: { name: "ECDSA", namedCurve: "P-256" }, params: { name: "ECDSA", hash: "SHA-256" } },
  { id: "ES384", gen: { name: "ECDSA", namedCurve: "P-384" }, imp: { name: "ECDSA", namedCurve: "P-384" }, params: { name: "ECDSA", hash: "SHA-384" } },
  { id: "ES512", gen: { name: "ECDSA", namedCurve: "P-521" }, imp: { name: "ECDSA", namedCurve: "P-521" }, params: { name: "ECDSA", hash: "SHA-512" } },
  { id: "Ed25519", gen: { name: "Ed25519" }, imp: { name: "Ed25519" }, params: { name: "Ed25519" } },
];
const AES = [
  { name: "AES-GCM", params: (iv) => ({ name: "AES-GCM", iv: iv.slice(0, 12), additionalData: MSG, tagLength: 112 }) },
  { name: "AES-CBC", params: (iv) => ({ name: "AES-CBC", iv }) },
  { name: "AES-CTR", params: (iv) => ({ name: "AES-CTR", counter: iv, length: 64 }) },
];

export async function make() {
  const out = { sign: {}, aes: {}, agree: {} };
  for (const s of SIGNERS) {
    const pair = await S.generateKey(s.gen, true, ["sign", "verify"]);
    out.sign[s.id] = {
      spki: b64(await S.exportKey("spki", pair.publicKey)), pkcs8: b64(await S.exportKey("pkcs8", pair.privateKey)),
      jwk: await S.exportKey("jwk", pair.privateKey), sig: b64(await S.sign(s.params, pair.privateKey, MSG)),
    };
  }
  const hk = await S.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign", "verify"]);
  out.hmac = { jwk: await S.exportKey("jwk", hk), mac: b64(await S.sign("HMAC", hk, MSG)) };
  const oaep = await S.generateKey({ name: "RSA-OAEP", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["encrypt", "decrypt"]);
  out.oaep = { pkcs8: b64(await S.exportKey("pkcs8", oaep.privateKey)), ct: b64(await S.encrypt({ name: "RSA-OAEP", label: MSG }, oaep.publicKey, MSG)) };
  const iv = crypto.getRandomValues(new Uint8Array(16));
  for (const a of AES) {
    const k = await S.generateKey({ name: a.name, length: 256 }, true, ["encrypt", "decrypt"]);
    out.aes[a.name] = { raw: b64(await S.exportKey("raw", k)), jwk: await S.exportKey("jwk", k), iv: b64(iv), ct: b64(await S.encrypt(a.params(iv), k, MSG)) };
  }
  const kek = await S.generateKey({ name: "AES-KW", length: 192 }, true, ["wrapKey", "unwrapKey"]);
  const inner = await S.importKey("raw", unb64(out.aes["AES-GCM"].raw), "AES-GCM", true, ["encrypt"]);
  out.kw = { kek: b64(await S.exportKey("raw", kek)), wrapped: b64(await S.wrapKey("raw", inner, kek, "AES-KW")) };
  for (const [id, gen] of [["ECDH", { name: "ECDH", namedCurve: "P-384" }], ["X25519", { name: "X25519" }]]) {
    const pair = await S.generateKey(gen, true, ["deriveBits"]);
    out.agree[id] = { spki: b64(await S.exportKey("spki", pair.publicKey)), pkcs8: b64(await S.exportKey("pkcs8", pair.privateKey)) };
  }
  const pw = await S.importKey("raw", MSG, "PBKDF2", false, ["deriveBits"]);
  out.pbkdf2 = b64(await S.deriveBits({ name: "PBKDF2", salt: MSG, iterations: 2000, hash: "SHA-384" }, pw, 384));
  const ikm = await S.importKey("raw", MSG, "HKDF", false, ["deriveBits"]);
  out.hkdf = b64(await S.deriveBits({ name: "HKDF", salt: new Uint8Array(0), info: MSG, hash: "SHA-1" }, ikm, 200));
  return out;
}

export async function check(other, mine) {
  const r = {};
  for (const s of SIGNERS) {
    const o = other.sign[s.id];
    const pub = await S.importKey("spki", unb64(o.spki), s.imp, true, ["verify"]);
    const prv = await S.importKey("pkcs8", unb64(o.pkcs8), s.imp, true, ["sign"]);
    const fromJwk = await S.importKey("jwk", o.jwk, s.imp, true, ["sign"]);
    const sig = await S.sign(s.params, fromJwk, MSG);
    r[s.id] = [await S.verify(s.params, pub, unb64(o.sig), MSG), await S.verify(s.params, pub, sig, MSG),
      !(await S.verify(s.params, pub, unb64(o.sig), enc.encode("other"))), eq(await S.exportKey("pkcs8", fromJwk), await S.exportKey("pkcs8", prv))];
    r[s.id + ".jwk"] = await S.exportKey("jwk", prv);
  }
  const hk = await S.importKey("jwk", other.hmac.jwk, { name: "HMAC", hash: "SHA-512" }, true, ["sign", "verify"]);
  r.hmac = [await S.verify("HMAC", hk, unb64(other.hmac.mac), MSG), eq(await S.sign("HMAC", hk, MSG), unb64(other.hmac.mac))];
  r["hmac.jwk"] = await S.exportKey("jwk", hk);
  const oaep = await S.importKey("pkcs8", unb64(other.oaep.pkcs8), { name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]);
  r.oaep = eq(await S.decrypt({ name: "RSA-OAEP", label: MSG }, oaep, unb64(other.oaep.ct)), MSG);
  for (const a of AES) {
    const o = other.aes[a.name], iv = unb64(o.iv);
    const k = await S.importKey("jwk", o.jwk, a.name, true, ["encrypt", "decrypt"]);
    r[a.name] = [eq(await S.decrypt(a.params(iv), k, unb64(o.ct)), MSG), eq(await S.encrypt(a.params(iv), k, MSG), unb64(o.ct)),
      eq(await S.exportKey("raw", k), unb64(o.raw))];
    r[a.name + ".jwk"] = await S.exportKey("jwk", k);
  }
  const kek = await S.importKey("raw", unb64(other.kw.kek), "AES-KW", false, ["unwrapKey"]);
  const unwrapped = await S.unwrapKey("raw", unb64(other.kw.wrapped), kek, "AES-KW", "AES-GCM", true, ["encrypt"]);
  r.kw = eq(await S.exportKey("raw", unwrapped), unb64(other.aes["AES-GCM"].raw));
  for (const [id, alg] of [["ECDH", { name: "ECDH", namedCurve: "P-384" }], ["X25519", { name: "X25519" }]]) {
    // their private key with my public key must give what my private key gives with their public key
    const theirPriv = await S.importKey("pkcs8", unb64(other.agree[id].pkcs8), alg, false, ["deriveBits"]);
    const theirPub = await S.importKey("spki", unb64(other.agree[id].spki), alg, true, []);
    const myPriv = await S.importKey("pkcs8", unb64(mine.agree[id].pkcs8), alg, false, ["deriveBits"]);
    const myPub = await S.importKey("spki", unb64(mine.agree[id].spki), alg, true, []);
    const a = await S.deriveBits({ name: alg.name, public: myPub }, theirPriv, null);
    const b = await S.deriveBits({ name: alg.name, public: theirPub }, myPriv, null);
    r[id] = [eq(a, b), a.byteLength];
  }
  r.pbkdf2 = other.pbkdf2 === mine.pbkdf2;
  r.hkdf = other.hkdf === mine.hkdf;
  return r;
}
