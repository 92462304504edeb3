"""crypto.subtle against independent implementations: keys, signatures and ciphertexts made by the
`cryptography` package (OpenSSL) work in the isolate, and the isolate's work checks out there."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from webcrypto_support import run_js  # noqa: F401  (fixture)

B64 = """
const b64 = (b: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(b as ArrayBuffer)));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const S = crypto.subtle;
"""


def e(b: bytes) -> str:
    return base64.b64encode(b).decode()


def d(s: str) -> bytes:
    return base64.b64decode(s)


HASHES = {"SHA-1": hashes.SHA1(), "SHA-256": hashes.SHA256(), "SHA-384": hashes.SHA384(), "SHA-512": hashes.SHA512()}


def der(key: Any, private: bool) -> str:
    if private:
        return e(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return e(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


async def test_hmac_both_ways(run_js: Any) -> None:
    key, msg = os.urandom(40), b"the message \x00\xff" * 5
    inputs = {h: {"key": e(key), "msg": e(msg), "mac": e(hmac.new(key, msg, h.replace("-", "").lower()).digest())}
              for h in HASHES}
    out = await run_js(B64 + """
export default { async run(input: Record<string, { key: string; msg: string; mac: string }>) {
  const r: Record<string, unknown> = {};
  for (const [hash, v] of Object.entries(input)) {
    const k = await S.importKey("raw", unb64(v.key), { name: "HMAC", hash }, false, ["sign", "verify"]);
    r[hash] = [b64(await S.sign("HMAC", k, unb64(v.msg))), await S.verify("HMAC", k, unb64(v.mac), unb64(v.msg)),
               await S.verify("HMAC", k, unb64(v.mac), new Uint8Array(3)), (k.algorithm as HmacKeyAlgorithm).length];
  }
  return r;
} };""", inputs)
    for h, v in inputs.items():
        assert out[h] == [v["mac"], True, False, 320]


@pytest.mark.parametrize("name", ["RSASSA-PKCS1-v1_5", "RSA-PSS"])
async def test_rsa_signatures_both_ways(run_js: Any, name: str) -> None:
    priv = rsa.generate_private_key(65537, 2048)
    msg = os.urandom(100)
    pad = padding.PKCS1v15() if name == "RSASSA-PKCS1-v1_5" else padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    their_sig = priv.sign(msg, pad, hashes.SHA256())
    out = await run_js(B64 + """
export default { async run(v: any) {
  const alg = { name: v.name, hash: "SHA-256" };
  const params = { name: v.name, saltLength: 32 };
  const pub = await S.importKey("spki", unb64(v.spki), alg, true, ["verify"]);
  const prv = await S.importKey("pkcs8", unb64(v.pkcs8), alg, true, ["sign"]);
  const mine = await S.sign(params, prv, unb64(v.msg));
  const gen = await S.generateKey({ ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"]) as CryptoKeyPair;
  const genSig = await S.sign(params, gen.privateKey, unb64(v.msg));
  return {
    theirs: await S.verify(params, pub, unb64(v.sig), unb64(v.msg)),
    tampered: await S.verify(params, pub, unb64(v.sig), new Uint8Array(5)),
    mine: b64(mine), genSig: b64(genSig), genSpki: b64(await S.exportKey("spki", gen.publicKey)),
    genPkcs8: b64(await S.exportKey("pkcs8", gen.privateKey)),
    alg: pub.algorithm, jwk: await S.exportKey("jwk", pub),
  };
} };""", {"name": name, "spki": der(priv.public_key(), False), "pkcs8": der(priv, True), "msg": e(msg), "sig": e(their_sig)})
    assert out["theirs"] is True and out["tampered"] is False
    priv.public_key().verify(d(out["mine"]), msg, pad, hashes.SHA256())  # raises if wrong
    if name == "RSASSA-PKCS1-v1_5":
        assert d(out["mine"]) == their_sig  # deterministic
    gen_pub = serialization.load_der_public_key(d(out["genSpki"]))
    gen_pub.verify(d(out["genSig"]), msg, pad, hashes.SHA256())
    gen_priv = serialization.load_der_private_key(d(out["genPkcs8"]), None)
    assert gen_priv.public_key().public_numbers() == gen_pub.public_numbers()
    assert out["alg"] == {"name": name, "modulusLength": 2048, "publicExponent": {"0": 1, "1": 0, "2": 1},
                          "hash": {"name": "SHA-256"}}
    n = priv.public_key().public_numbers().n
    assert out["jwk"]["n"] == base64.urlsafe_b64encode(n.to_bytes(256, "big")).rstrip(b"=").decode()
    assert out["jwk"]["alg"] == ("RS256" if name == "RSASSA-PKCS1-v1_5" else "PS256")


async def test_rsa_oaep_both_ways(run_js: Any) -> None:
    priv = rsa.generate_private_key(65537, 2048)
    label = b"lbl"
    pad = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), label)
    ct = priv.public_key().encrypt(b"secret for the isolate", pad)
    out = await run_js(B64 + """
export default { async run(v: any) {
  const alg = { name: "RSA-OAEP", hash: "SHA-256" };
  const pub = await S.importKey("spki", unb64(v.spki), alg, false, ["encrypt"]);
  const prv = await S.importKey("pkcs8", unb64(v.pkcs8), alg, false, ["decrypt"]);
  const p = { name: "RSA-OAEP", label: unb64(v.label) };
  let bad = "";
  try { await S.decrypt(p, prv, new Uint8Array(256)); } catch (e) { bad = (e as Error).name; }
  return { pt: new TextDecoder().decode(await S.decrypt(p, prv, unb64(v.ct))),
           ct: b64(await S.encrypt(p, pub, new TextEncoder().encode("secret for python"))), bad };
} };""", {"spki": der(priv.public_key(), False), "pkcs8": der(priv, True), "ct": e(ct), "label": e(label)})
    assert out["pt"] == "secret for the isolate"
    assert priv.decrypt(d(out["ct"]), pad) == b"secret for python"
    assert out["bad"] == "OperationError"


CURVES = {"P-256": (ec.SECP256R1(), "SHA-256", 32), "P-384": (ec.SECP384R1(), "SHA-384", 48), "P-521": (ec.SECP521R1(), "SHA-512", 66)}


@pytest.mark.parametrize("curve", list(CURVES))
async def test_ecdsa_and_ecdh_both_ways(run_js: Any, curve: str) -> None:
    c, h, size = CURVES[curve]
    priv = ec.generate_private_key(c)
    msg = os.urandom(64)
    r, s = decode_dss_signature(priv.sign(msg, ec.ECDSA(HASHES[h])))
    raw_sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    peer = ec.generate_private_key(c)
    point = peer.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    out = await run_js(B64 + """
export default { async run(v: any) {
  const alg = { name: "ECDSA", namedCurve: v.curve };
  const sp = { name: "ECDSA", hash: v.hash };
  const pub = await S.importKey("spki", unb64(v.spki), alg, true, ["verify"]);
  const prv = await S.importKey("pkcs8", unb64(v.pkcs8), alg, true, ["sign"]);
  const mine = await S.sign(sp, prv, unb64(v.msg));
  // ECDH: our private key (imported as ECDH) with the peer's raw public point
  const dh = await S.importKey("pkcs8", unb64(v.pkcs8), { name: "ECDH", namedCurve: v.curve }, false, ["deriveBits"]);
  const peer = await S.importKey("raw", unb64(v.point), { name: "ECDH", namedCurve: v.curve }, true, []);
  return {
    theirs: await S.verify(sp, pub, unb64(v.sig), unb64(v.msg)),
    tampered: await S.verify(sp, pub, unb64(v.sig), new Uint8Array(1)),
    short: await S.verify(sp, pub, new Uint8Array(7), unb64(v.msg)),
    mine: b64(mine), shared: b64(await S.deriveBits({ name: "ECDH", public: peer }, dh, null)),
    raw: b64(await S.exportKey("raw", pub)), jwkPriv: await S.exportKey("jwk", prv),
  };
} };""", {"curve": curve, "hash": h, "spki": der(priv.public_key(), False), "pkcs8": der(priv, True),
          "msg": e(msg), "sig": e(raw_sig), "point": e(point)})
    assert out["theirs"] is True and out["tampered"] is False and out["short"] is False
    mine = d(out["mine"])
    assert len(mine) == 2 * size
    priv.public_key().verify(encode_dss_signature(int.from_bytes(mine[:size], "big"), int.from_bytes(mine[size:], "big")),
                             msg, ec.ECDSA(HASHES[h]))
    assert d(out["shared"]) == priv.exchange(ec.ECDH(), peer.public_key())
    assert d(out["raw"]) == priv.public_key().public_bytes(serialization.Encoding.X962,
                                                            serialization.PublicFormat.UncompressedPoint)
    jwk = out["jwkPriv"]
    assert jwk["kty"] == "EC" and jwk["crv"] == curve and jwk["key_ops"] == ["sign"] and jwk["ext"] is True
    assert int.from_bytes(base64.urlsafe_b64decode(jwk["d"] + "=="), "big") == priv.private_numbers().private_value


async def test_ed25519_and_x25519_both_ways(run_js: Any) -> None:
    priv = ed25519.Ed25519PrivateKey.generate()
    msg = b"sign me"
    raw_pub = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    xpriv, xpeer = x25519.X25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    xpeer_raw = xpeer.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    out = await run_js(B64 + """
export default { async run(v: any) {
  const pub = await S.importKey("raw", unb64(v.raw), "Ed25519", true, ["verify"]);
  const prv = await S.importKey("pkcs8", unb64(v.pkcs8), { name: "Ed25519" }, false, ["sign"]);
  const x = await S.importKey("pkcs8", unb64(v.xpkcs8), "X25519", false, ["deriveBits", "deriveKey"]);
  const peer = await S.importKey("raw", unb64(v.xpeer), "X25519", true, []);
  const gen = await S.generateKey("Ed25519", true, ["sign", "verify"]) as CryptoKeyPair;
  return {
    theirs: await S.verify("Ed25519", pub, unb64(v.sig), unb64(v.msg)),
    tampered: await S.verify("Ed25519", pub, unb64(v.sig), new Uint8Array(2)),
    mine: b64(await S.sign("Ed25519", prv, unb64(v.msg))),
    shared: b64(await S.deriveBits({ name: "X25519", public: peer }, x, 256)),
    genPub: b64(await S.exportKey("raw", gen.publicKey)),
    genSig: b64(await S.sign("Ed25519", gen.privateKey, unb64(v.msg))),
    jwk: await S.exportKey("jwk", pub),
  };
} };""", {"raw": e(raw_pub), "pkcs8": der(priv, True), "msg": e(msg), "sig": e(priv.sign(msg)),
          "xpkcs8": der(xpriv, True), "xpeer": e(xpeer_raw)})
    assert out["theirs"] is True and out["tampered"] is False
    assert d(out["mine"]) == priv.sign(msg)  # Ed25519 is deterministic
    assert d(out["shared"]) == xpriv.exchange(xpeer.public_key())
    ed25519.Ed25519PublicKey.from_public_bytes(d(out["genPub"])).verify(d(out["genSig"]), msg)
    assert out["jwk"]["kty"] == "OKP" and out["jwk"]["crv"] == "Ed25519"
    assert base64.urlsafe_b64decode(out["jwk"]["x"] + "=") == raw_pub


@pytest.mark.parametrize("bits", [128, 192, 256])
async def test_aes_modes_match_openssl(run_js: Any, bits: int) -> None:
    key, iv, data, aad = os.urandom(bits // 8), os.urandom(16), os.urandom(100), b"header"
    gcm = AESGCM(key).encrypt(iv[:12], data, aad)
    pad_len = 16 - len(data) % 16
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    cbc = enc.update(data + bytes([pad_len]) * pad_len) + enc.finalize()
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    ctr = enc.update(data) + enc.finalize()
    kek = os.urandom(bits // 8)
    wrapped = keywrap.aes_key_wrap(kek, key)
    out = await run_js(B64 + """
export default { async run(v: any) {
  const key = unb64(v.key), iv = unb64(v.iv), data = unb64(v.data), aad = unb64(v.aad);
  const imp = (name: string, u: KeyUsage[]) => S.importKey("raw", key, name, true, u);
  const gk = await imp("AES-GCM", ["encrypt", "decrypt"]), ck = await imp("AES-CBC", ["encrypt", "decrypt"]);
  const tk = await imp("AES-CTR", ["encrypt", "decrypt"]);
  const gp = { name: "AES-GCM", iv: iv.slice(0, 12), additionalData: aad };
  const kek = await S.importKey("raw", unb64(v.kek), "AES-KW", false, ["wrapKey", "unwrapKey"]);
  const unwrapped = await S.unwrapKey("raw", unb64(v.wrapped), kek, "AES-KW", "AES-GCM", true, ["encrypt"]);
  return {
    gcm: b64(await S.encrypt(gp, gk, data)), gcmBack: b64(await S.decrypt(gp, gk, unb64(v.gcm))),
    gcm96: b64(await S.encrypt({ ...gp, tagLength: 96 }, gk, data)),
    cbc: b64(await S.encrypt({ name: "AES-CBC", iv }, ck, data)), cbcBack: b64(await S.decrypt({ name: "AES-CBC", iv }, ck, unb64(v.cbc))),
    ctr: b64(await S.encrypt({ name: "AES-CTR", counter: iv, length: 128 }, tk, data)),
    wrapped: b64(await S.wrapKey("raw", gk, kek, "AES-KW")),
    unwrapped: b64(await S.exportKey("raw", unwrapped)), len: (gk.algorithm as AesKeyAlgorithm).length,
  };
} };""", {k: e(v) for k, v in {"key": key, "iv": iv, "data": data, "aad": aad, "gcm": gcm, "cbc": cbc,
                                "kek": kek, "wrapped": wrapped}.items()})
    assert d(out["gcm"]) == gcm and d(out["gcmBack"]) == data
    assert d(out["gcm96"]) == gcm[:-4]  # a shorter tag is a prefix of the full one
    assert d(out["cbc"]) == cbc and d(out["cbcBack"]) == data
    assert d(out["ctr"]) == ctr
    assert d(out["wrapped"]) == wrapped and d(out["unwrapped"]) == key
    assert out["len"] == bits


async def test_aes_ctr_counter_wraps_in_its_low_bits(run_js: Any) -> None:
    """With length 8 only the last counter byte counts: after 0xff it wraps to 0x00 and the upper
    bytes stay as they were (OpenSSL's CTR would carry into them)."""
    key = os.urandom(16)
    counter = bytes(15) + b"\xfe"
    data = os.urandom(48)  # three blocks: counters ...fe, ...ff, ...00 (not 0x...0100)
    blocks = [bytes(15) + b"\xfe", bytes(15) + b"\xff", bytes(16)]
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    stream = b"".join(ecb.update(b) for b in blocks)
    want = bytes(a ^ b for a, b in zip(data, stream))
    out = await run_js(B64 + """
export default { async run(v: any) {
  const k = await S.importKey("raw", unb64(v.key), "AES-CTR", false, ["encrypt"]);
  const p = { name: "AES-CTR", counter: unb64(v.counter), length: 8 };
  let tooLong = "";
  try { await S.encrypt({ ...p, length: 1 }, k, new Uint8Array(48)); } catch (e) { tooLong = (e as Error).name; }
  return { ct: b64(await S.encrypt(p, k, unb64(v.data))), tooLong };
} };""", {"key": e(key), "counter": e(counter), "data": e(data)})
    assert d(out["ct"]) == want
    assert out["tooLong"] == "OperationError"


async def test_kdfs_match_openssl(run_js: Any) -> None:
    secret, salt, info = b"password", os.urandom(16), b"context"
    pb = PBKDF2HMAC(hashes.SHA256(), 32, salt, 1000).derive(secret)
    hk = HKDF(hashes.SHA384(), 42, salt, info).derive(secret)
    out = await run_js(B64 + """
export default { async run(v: any) {
  const pk = await S.importKey("raw", unb64(v.secret), "PBKDF2", false, ["deriveBits", "deriveKey"]);
  const hk = await S.importKey("raw", unb64(v.secret), "HKDF", false, ["deriveBits"]);
  const aes = await S.deriveKey({ name: "PBKDF2", salt: unb64(v.salt), iterations: 1000, hash: "SHA-256" }, pk,
                                { name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  return {
    pb: b64(await S.deriveBits({ name: "PBKDF2", salt: unb64(v.salt), iterations: 1000, hash: "SHA-256" }, pk, 256)),
    hk: b64(await S.deriveBits({ name: "HKDF", salt: unb64(v.salt), info: unb64(v.info), hash: "SHA-384" }, hk, 336)),
    derived: b64(await S.exportKey("raw", aes)),
  };
} };""", {"secret": e(secret), "salt": e(salt), "info": e(info)})
    assert d(out["pb"]) == pb and d(out["derived"]) == pb
    assert d(out["hk"]) == hk


async def test_jwk_round_trips_through_openssl_numbers(run_js: Any) -> None:
    """JWKs exported by the isolate describe the same keys OpenSSL holds, and OpenSSL's numbers import."""
    priv = rsa.generate_private_key(65537, 2048)
    pn = priv.private_numbers()

    def u(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    jwk = {"kty": "RSA", "n": u(pn.public_numbers.n), "e": u(pn.public_numbers.e), "d": u(pn.d), "p": u(pn.p),
           "q": u(pn.q), "dp": u(pn.dmp1), "dq": u(pn.dmq1), "qi": u(pn.iqmp), "alg": "RS384"}
    out = await run_js(B64 + """
export default { async run(v: any) {
  const k = await S.importKey("jwk", v.jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" }, true, ["sign"]);
  const pkcs8 = b64(await S.exportKey("pkcs8", k));
  let wrongAlg = "";
  try { await S.importKey("jwk", v.jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]); }
  catch (e) { wrongAlg = (e as Error).name; }
  return { pkcs8, back: await S.exportKey("jwk", k), wrongAlg,
           sig: b64(await S.sign("RSASSA-PKCS1-v1_5", k, new TextEncoder().encode("x"))) };
} };""", {"jwk": jwk})
    loaded = serialization.load_der_private_key(d(out["pkcs8"]), None)
    assert loaded.private_numbers() == pn
    assert {k: out["back"][k] for k in jwk} == jwk
    assert out["back"]["key_ops"] == ["sign"] and out["back"]["ext"] is True
    assert out["wrongAlg"] == "DataError"
    priv.public_key().verify(d(out["sig"]), b"x", padding.PKCS1v15(), hashes.SHA384())


async def test_digest_matches_hashlib(run_js: Any) -> None:
    """All digests, on inputs around block boundaries and one of 1 MiB, equal hashlib's."""
    sizes = [0, 1, 55, 56, 63, 64, 111, 112, 127, 128, 1000, 1 << 20]
    out = await run_js(B64 + """
export default { async run(sizes: number[]) {
  const r: Record<string, string[]> = {};
  for (const alg of ["SHA-1", "SHA-256", "SHA-384", "SHA-512", "MD5"]) {
    r[alg] = [];
    for (const n of sizes) r[alg].push(b64(await S.digest(alg, Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255))));
  }
  return r;
} };""", sizes)
    for alg, lib in (("SHA-1", "sha1"), ("SHA-256", "sha256"), ("SHA-384", "sha384"), ("SHA-512", "sha512"), ("MD5", "md5")):
        want = [e(hashlib.new(lib, bytes((i * 7 + 3) & 255 for i in range(n))).digest()) for n in sizes]
        assert out[alg] == want, alg
