"""The primitives behind ``crypto.subtle``: the host operation ``crypto``.

The prelude (resources/prelude/src/web/crypto/subtle.ts) converts arguments,
normalizes algorithms and checks key usages; it sends this module one call at a
time as ``{"fn": ..., "alg": ..., "key": ..., "data": ...}`` with bytes in
base64. Every primitive comes from the ``cryptography`` package (OpenSSL).

Guarantees:

- Stateless: key material arrives with each call (raw bytes for secret keys,
  SPKI / PKCS #8 DER for public and private keys, as this module produced them
  on import or generation) and is dropped when the call returns. Nothing is
  cached, shared between isolates, or logged; error messages never quote key
  bytes.
- A call answers ``{"ok": value}`` or ``{"error": [name, message]}`` with the
  Web Crypto spec's error name (DataError, OperationError, NotSupportedError,
  InvalidAccessError, TypeError); no input makes it raise.
- Slow work (RSA key generation, PBKDF2 with many iterations) runs in a worker
  thread so the event loop keeps serving other isolates. Workers' limits hold:
  PBKDF2 takes at most 100,000 iterations; generated RSA keys are 1024 to 8192
  bits.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from typing import Any

from runtime.hostops import INLINE_WHEN, SYNC_OPS, HostContext, host_op

log = logging.getLogger(__name__)

PBKDF2_MAX_ITERATIONS = 100_000
"""Workers' cap on PBKDF2 iterations (more is NotSupportedError)."""
RSA_MAX_BITS = 8192
"""Largest RSA modulus generateKey makes."""


class Fail(Exception):
    """A Web Crypto error for the script: ``name`` is the DOMException name (or TypeError)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _b(s: Any, what: str = "data") -> bytes:
    if not isinstance(s, str):
        raise Fail("TypeError", f"{what} is missing")
    return base64.b64decode(s)


def _e(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _unb64url(s: Any, member: str) -> bytes:
    if not isinstance(s, str):
        raise Fail("DataError", f"the JWK has no {member}")
    try:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except ValueError:
        raise Fail("DataError", f"JWK member {member} is not base64url") from None


def _int_bytes(n: int, size: int | None = None) -> bytes:
    return n.to_bytes(size or max(1, (n.bit_length() + 7) // 8), "big")


def _jwk_int(jwk: dict[str, Any], member: str) -> int:
    return int.from_bytes(_unb64url(jwk.get(member), member), "big")


# ---- algorithms ---------------------------------------------------------------------------------
def _hash(name: Any) -> Any:
    from cryptography.hazmat.primitives import hashes

    table = {"SHA-1": hashes.SHA1, "SHA-256": hashes.SHA256, "SHA-384": hashes.SHA384, "SHA-512": hashes.SHA512}
    if name not in table:
        raise Fail("NotSupportedError", f"unsupported hash {name!r}")
    return table[name]()


def _curve(name: Any) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    table = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}
    if name not in table:
        raise Fail("NotSupportedError", f"unsupported namedCurve {name!r}")
    return table[name]()


def _coord_size(curve: Any) -> int:
    return (int(curve.key_size) + 7) // 8


_RSA = ("RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP")
_EC = ("ECDSA", "ECDH")


def _key_class(alg_name: str, private: bool) -> tuple[type, ...]:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    if alg_name in _RSA:
        return (rsa.RSAPrivateKey,) if private else (rsa.RSAPublicKey,)
    if alg_name in _EC:
        return (ec.EllipticCurvePrivateKey,) if private else (ec.EllipticCurvePublicKey,)
    if alg_name == "Ed25519":
        return (ed25519.Ed25519PrivateKey,) if private else (ed25519.Ed25519PublicKey,)
    if alg_name == "X25519":
        return (x25519.X25519PrivateKey,) if private else (x25519.X25519PublicKey,)
    raise Fail("NotSupportedError", f"{alg_name} has no public/private keys")


# ---- keys as the isolate holds them ---------------------------------------------------------------
def _load(wire: Any) -> Any:
    """The key object for a key the isolate sends (material this module produced)."""
    from cryptography.hazmat.primitives import serialization

    if not isinstance(wire, dict):
        raise Fail("TypeError", "key is missing")
    data = _b(wire.get("data"), "key")
    kind = wire.get("type")
    if kind == "secret":
        return data
    if kind == "public":
        return serialization.load_der_public_key(data)
    # the isolate only holds PKCS #8 this module validated when it imported or generated it
    return serialization.load_der_private_key(data, None, unsafe_skip_rsa_key_validation=True)


def _spki(pub: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pkcs8(priv: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())


def _describe(key: Any, alg: dict[str, Any], private: bool) -> dict[str, Any]:
    """The import/generate answer for one key: its DER and the algorithm fields it fixes."""
    out: dict[str, Any] = {"type": "private" if private else "public",
                           "data": _e(_pkcs8(key) if private else _spki(key))}
    if alg["name"] in _RSA:
        pub = key.public_key() if private else key
        numbers = pub.public_numbers()
        out["modulusLength"] = pub.key_size
        out["publicExponent"] = _e(_int_bytes(numbers.e))
    return out


def _check_kind(key: Any, alg: dict[str, Any], private: bool) -> None:
    if not isinstance(key, _key_class(alg["name"], private)):
        raise Fail("DataError", f"the key data is not a {alg['name']} {'private' if private else 'public'} key")
    if alg["name"] in _EC and key.curve.name != _curve(alg.get("namedCurve")).name:
        raise Fail("DataError", f"the key is not on {alg.get('namedCurve')}")


def import_key(args: dict[str, Any]) -> dict[str, Any]:
    """Parse spki / pkcs8 / raw / jwk data of a public or private key."""
    from cryptography.hazmat.primitives import serialization

    alg, fmt, name = args["alg"], args.get("format"), args["alg"]["name"]
    if fmt == "jwk":
        return _import_jwk(args.get("data"), alg)
    data = _b(args.get("data"))
    if fmt == "spki":
        try:
            key = serialization.load_der_public_key(data)
        except (ValueError, TypeError):
            raise Fail("DataError", "the key data is not a valid SubjectPublicKeyInfo") from None
        _check_kind(key, alg, False)
        return _describe(key, alg, False)
    if fmt == "pkcs8":
        try:
            key = serialization.load_der_private_key(data, None)
        except (ValueError, TypeError):
            raise Fail("DataError", "the key data is not a valid PKCS #8 private key") from None
        _check_kind(key, alg, True)
        return _describe(key, alg, True)
    if fmt == "raw":
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519

        try:
            if name in _EC:
                key = ec.EllipticCurvePublicKey.from_encoded_point(_curve(alg.get("namedCurve")), data)
            elif name == "Ed25519":
                key = ed25519.Ed25519PublicKey.from_public_bytes(data)
            elif name == "X25519":
                key = x25519.X25519PublicKey.from_public_bytes(data)
            else:
                raise Fail("NotSupportedError", f"{name} keys cannot be imported as raw")
        except ValueError:
            raise Fail("DataError", f"the key data is not a valid {name} public key") from None
        return _describe(key, alg, False)
    raise Fail("NotSupportedError", f"unknown key format {fmt!r}")


def _import_jwk(jwk: Any, alg: dict[str, Any]) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    if not isinstance(jwk, dict):
        raise Fail("DataError", "not a JSON Web Key")
    name = alg["name"]
    private = "d" in jwk
    try:
        if name in _RSA:
            public = rsa.RSAPublicNumbers(_jwk_int(jwk, "e"), _jwk_int(jwk, "n"))
            if not private:
                return _describe(public.public_key(), alg, False)
            if "oth" in jwk:
                raise Fail("NotSupportedError", "RSA keys with more than two primes are not supported")
            d = _jwk_int(jwk, "d")
            crt = ("p", "q", "dp", "dq", "qi")
            present = [m for m in crt if m in jwk]
            if present and len(present) != len(crt):
                raise Fail("DataError", "an RSA private JWK needs all of p, q, dp, dq and qi, or none")
            if present:
                p, q, dp, dq, qi = (_jwk_int(jwk, m) for m in crt)
            else:
                p, q = rsa.rsa_recover_prime_factors(public.n, public.e, d)
                dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
            key = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public).private_key()
            return _describe(key, alg, True)
        if name in _EC:
            curve = _curve(alg.get("namedCurve"))
            size = _coord_size(curve)
            x_b, y_b = _unb64url(jwk.get("x"), "x"), _unb64url(jwk.get("y"), "y")
            if len(x_b) != size or len(y_b) != size:
                raise Fail("DataError", "the JWK's x or y has the wrong length for its curve")
            pub = ec.EllipticCurvePublicNumbers(int.from_bytes(x_b, "big"), int.from_bytes(y_b, "big"), curve).public_key()
            if not private:
                return _describe(pub, alg, False)
            d_b = _unb64url(jwk.get("d"), "d")
            if len(d_b) != size:
                raise Fail("DataError", "the JWK's d has the wrong length for its curve")
            key = ec.derive_private_key(int.from_bytes(d_b, "big"), curve)
            if key.public_key().public_numbers() != pub.public_numbers():
                raise Fail("DataError", "the JWK's d does not match its x and y")
            return _describe(key, alg, True)
        kinds = {"Ed25519": (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey),
                 "X25519": (x25519.X25519PublicKey, x25519.X25519PrivateKey)}
        if name in kinds:
            pub_cls, priv_cls = kinds[name]
            x = _unb64url(jwk.get("x"), "x")
            pub = pub_cls.from_public_bytes(x)
            if not private:
                return _describe(pub, alg, False)
            key = priv_cls.from_private_bytes(_unb64url(jwk.get("d"), "d"))
            if _raw_public(key.public_key()) != x:
                raise Fail("DataError", "the JWK's d does not match its x")
            return _describe(key, alg, True)
    except ValueError:
        raise Fail("DataError", f"the JWK is not a valid {name} key") from None
    raise Fail("NotSupportedError", f"{name} keys cannot be imported as jwk")


def _raw_public(pub: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def export_key(args: dict[str, Any]) -> Any:
    """Export a public or private key as spki / pkcs8 / raw / jwk."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    wire, fmt = args["key"], args.get("format")
    if fmt in ("spki", "pkcs8"):
        return wire["data"]  # stored in exactly this form
    key = _load(wire)
    if fmt == "raw":
        if isinstance(key, ec.EllipticCurvePublicKey):
            return _e(key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
        return _e(_raw_public(key))
    if fmt != "jwk":
        raise Fail("NotSupportedError", f"unknown key format {fmt!r}")
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        pub_n = (key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key).public_numbers()
        jwk: dict[str, Any] = {"kty": "RSA", "n": _b64url(_int_bytes(pub_n.n)), "e": _b64url(_int_bytes(pub_n.e))}
        if isinstance(key, rsa.RSAPrivateKey):
            pn = key.private_numbers()
            jwk.update({m: _b64url(_int_bytes(v)) for m, v in
                        (("d", pn.d), ("p", pn.p), ("q", pn.q), ("dp", pn.dmp1), ("dq", pn.dmq1), ("qi", pn.iqmp))})
        return jwk
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        size = _coord_size(key.curve)
        pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
        nums = pub.public_numbers()
        jwk = {"kty": "EC", "crv": wire["alg"].get("namedCurve"), "x": _b64url(_int_bytes(nums.x, size)),
               "y": _b64url(_int_bytes(nums.y, size))}
        if isinstance(key, ec.EllipticCurvePrivateKey):
            jwk["d"] = _b64url(_int_bytes(key.private_numbers().private_value, size))
        return jwk
    crv = wire["alg"]["name"]
    if wire["type"] == "public":
        return {"kty": "OKP", "crv": crv, "x": _b64url(_raw_public(key))}
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return {"kty": "OKP", "crv": crv, "x": _b64url(_raw_public(key.public_key())), "d": _b64url(raw)}


def generate_key(args: dict[str, Any]) -> dict[str, Any]:
    """A new public/private key pair."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    alg = args["alg"]
    name = alg["name"]
    if name in _RSA:
        bits = int(alg.get("modulusLength", 0))
        exponent = int.from_bytes(_b(alg.get("publicExponent"), "publicExponent"), "big")
        if not 1024 <= bits <= RSA_MAX_BITS or bits % 8:
            raise Fail("OperationError", f"RSA modulusLength must be a multiple of 8 from 1024 to {RSA_MAX_BITS}, not {bits}")
        if exponent not in (3, 65537):
            raise Fail("OperationError", "RSA publicExponent must be 3 or 65537")
        priv: Any = rsa.generate_private_key(exponent, bits)
    elif name in _EC:
        priv = ec.generate_private_key(_curve(alg.get("namedCurve")))
    elif name == "Ed25519":
        priv = ed25519.Ed25519PrivateKey.generate()
    elif name == "X25519":
        priv = x25519.X25519PrivateKey.generate()
    else:
        raise Fail("NotSupportedError", f"cannot generate {name} key pairs")
    pub_d, priv_d = _describe(priv.public_key(), alg, False), _describe(priv, alg, True)
    out = {"public": pub_d["data"], "private": priv_d["data"]}
    for extra in ("modulusLength", "publicExponent"):
        if extra in pub_d:
            out[extra] = pub_d[extra]
    return out


# ---- sign / verify ---------------------------------------------------------------------------------
def _signature_args(alg: dict[str, Any], key_alg: dict[str, Any]) -> tuple[Any, ...]:
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    name = alg["name"]
    if name == "RSASSA-PKCS1-v1_5":
        return (padding.PKCS1v15(), _hash(key_alg.get("hash")))
    if name == "RSA-PSS":
        h = _hash(key_alg.get("hash"))
        return (padding.PSS(mgf=padding.MGF1(h), salt_length=int(alg.get("saltLength", 0))), h)
    if name == "ECDSA":
        return (ec.ECDSA(_hash(alg.get("hash"))),)
    return ()


def sign(args: dict[str, Any]) -> str:
    """Sign data (HMAC, RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA, Ed25519)."""
    from cryptography.hazmat.primitives import hmac
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    alg, wire = args["alg"], args["key"]
    key, data = _load(wire), _b(args.get("data"))
    if alg["name"] == "HMAC":
        mac = hmac.HMAC(key, _hash(wire["alg"].get("hash")))
        mac.update(data)
        return _e(mac.finalize())
    try:
        sig = key.sign(data, *_signature_args(alg, wire["alg"]))
    except ValueError as exc:
        raise Fail("OperationError", f"{alg['name']} signing failed: {exc}") from None
    if alg["name"] == "ECDSA":  # DER -> r || s (IEEE P1363), as Web Crypto returns it
        r, s = decode_dss_signature(sig)
        size = _coord_size(key.curve)
        sig = _int_bytes(r, size) + _int_bytes(s, size)
    return _e(sig)


def verify(args: dict[str, Any]) -> bool:
    """Check a signature; a wrong one is False, never an error."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import constant_time, hmac
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    alg, wire = args["alg"], args["key"]
    key, data, sig = _load(wire), _b(args.get("data")), _b(args.get("signature"), "signature")
    if alg["name"] == "HMAC":
        mac = hmac.HMAC(key, _hash(wire["alg"].get("hash")))
        mac.update(data)
        return constant_time.bytes_eq(mac.finalize(), sig)
    if alg["name"] == "ECDSA":
        size = _coord_size(key.curve)
        if len(sig) != 2 * size:
            return False
        sig = encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big"))
    try:
        key.verify(sig, data, *_signature_args(alg, wire["alg"]))
    except (InvalidSignature, ValueError):
        return False
    return True


# ---- encrypt / decrypt ---------------------------------------------------------------------------------
_GCM_TAGS = (32, 64, 96, 104, 112, 120, 128)


def _aes_ctr(key: bytes, counter: bytes, length: int, data: bytes) -> bytes:
    """AES-CTR where only the rightmost ``length`` bits of the counter block count (and wrap)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(counter) != 16:
        raise Fail("OperationError", "AES-CTR counter must be 16 bytes")
    if not 1 <= length <= 128:
        raise Fail("OperationError", "AES-CTR length must be between 1 and 128")
    blocks = (len(data) + 15) // 16
    if blocks > 1 << length:
        raise Fail("OperationError", "AES-CTR: the data is longer than the counter allows")
    whole = int.from_bytes(counter, "big")
    mask = (1 << length) - 1
    low, high = whole & mask, whole & ~mask & ((1 << 128) - 1)
    first = min(blocks, (1 << length) - low)  # blocks before the counter's low bits wrap to zero
    out = b""
    for start_block, ctr, nblocks in ((0, whole, first), (first, high, blocks - first)):
        if nblocks <= 0:
            continue
        chunk = data[start_block * 16:(start_block + nblocks) * 16]
        enc = Cipher(algorithms.AES(key), modes.CTR(ctr.to_bytes(16, "big"))).encryptor()
        out += enc.update(chunk) + enc.finalize()
    return out


def _crypt(args: dict[str, Any], encrypt: bool) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import padding as sym_padding
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    alg, wire = args["alg"], args["key"]
    key, data, name = _load(wire), _b(args.get("data")), alg["name"]
    if name == "AES-CTR":
        return _e(_aes_ctr(key, _b(alg.get("counter"), "counter"), int(alg.get("length", 0)), data))
    if name == "AES-CBC":
        iv = _b(alg.get("iv"), "iv")
        if len(iv) != 16:
            raise Fail("OperationError", "AES-CBC iv must be 16 bytes")
        cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
        if encrypt:
            padder = sym_padding.PKCS7(128).padder()
            enc = cipher.encryptor()
            return _e(enc.update(padder.update(data) + padder.finalize()) + enc.finalize())
        if not data or len(data) % 16:
            raise Fail("OperationError", "AES-CBC ciphertext must be a non-empty multiple of 16 bytes")
        dec = cipher.decryptor()
        padded = dec.update(data) + dec.finalize()
        unpadder = sym_padding.PKCS7(128).unpadder()
        try:
            return _e(unpadder.update(padded) + unpadder.finalize())
        except ValueError:
            raise Fail("OperationError", "AES-CBC decryption failed (bad padding)") from None
    if name == "AES-GCM":
        iv = _b(alg.get("iv"), "iv")
        tag_bits = int(alg.get("tagLength", 128))
        if tag_bits not in _GCM_TAGS:
            raise Fail("OperationError", f"AES-GCM tagLength must be one of {', '.join(map(str, _GCM_TAGS))}")
        if not 8 <= len(iv) <= 128:
            raise Fail("OperationError", "AES-GCM iv must be 8 to 128 bytes")
        aad = _b(alg["additionalData"], "additionalData") if "additionalData" in alg else None
        tag_len = tag_bits // 8
        if encrypt:
            enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
            if aad:
                enc.authenticate_additional_data(aad)
            body = enc.update(data) + enc.finalize()
            return _e(body + enc.tag[:tag_len])
        if len(data) < tag_len:
            raise Fail("OperationError", "AES-GCM ciphertext is shorter than its tag")
        body, tag = data[:len(data) - tag_len], data[len(data) - tag_len:]
        dec = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=tag_len)).decryptor()
        if aad:
            dec.authenticate_additional_data(aad)
        try:
            return _e(dec.update(body) + dec.finalize())
        except InvalidTag:
            raise Fail("OperationError", "AES-GCM decryption failed (the data or its tag is not authentic)") from None
    if name == "RSA-OAEP":
        h = _hash(wire["alg"].get("hash"))
        label = _b(alg["label"], "label") if "label" in alg else None
        pad = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=label or None)
        try:
            return _e(key.encrypt(data, pad) if encrypt else key.decrypt(data, pad))
        except ValueError:
            raise Fail("OperationError", f"RSA-OAEP {'encryption' if encrypt else 'decryption'} failed") from None
    raise Fail("NotSupportedError", f"{name} cannot {'encrypt' if encrypt else 'decrypt'}")


def wrap(args: dict[str, Any]) -> str:
    """AES-KW (RFC 3394) wrap."""
    from cryptography.hazmat.primitives import keywrap

    data = _b(args.get("data"))
    if len(data) < 16 or len(data) % 8:
        raise Fail("OperationError", "AES-KW wraps data of at least 16 bytes, in multiples of 8")
    return _e(keywrap.aes_key_wrap(_load(args["key"]), data))


def unwrap(args: dict[str, Any]) -> str:
    """AES-KW (RFC 3394) unwrap."""
    from cryptography.hazmat.primitives import keywrap

    try:
        return _e(keywrap.aes_key_unwrap(_load(args["key"]), _b(args.get("data"))))
    except (keywrap.InvalidUnwrap, ValueError):
        raise Fail("OperationError", "AES-KW unwrap failed (not wrapped with this key)") from None


# ---- derive ---------------------------------------------------------------------------------------------
def derive_bits(args: dict[str, Any]) -> str:
    """ECDH, X25519, HKDF and PBKDF2 bits."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    alg, name = args["alg"], args["alg"]["name"]
    key = _load(args["key"])
    length = args.get("length")
    if name in ("ECDH", "X25519"):
        peer = _load(alg.get("public"))
        try:
            secret = key.exchange(ec.ECDH(), peer) if name == "ECDH" else key.exchange(peer)
        except ValueError:
            raise Fail("OperationError", f"{name} key agreement failed") from None
        if length is None:
            return _e(secret)
        length = int(length)
        if length > len(secret) * 8:
            raise Fail("OperationError", f"{name} can derive at most {len(secret) * 8} bits")
        out = bytearray(secret[:(length + 7) // 8])
        if length % 8:
            out[-1] &= (0xFF << (8 - length % 8)) & 0xFF
        return _e(bytes(out))
    size = int(length) // 8
    if name == "HKDF":
        h = _hash(alg.get("hash"))
        if size > 255 * h.digest_size:
            raise Fail("OperationError", f"HKDF can derive at most {255 * h.digest_size * 8} bits with {h.name}")
        return _e(HKDF(h, size, _b(alg.get("salt"), "salt"), _b(alg.get("info"), "info")).derive(key))
    if name == "PBKDF2":
        iterations = int(alg.get("iterations", 0))
        if iterations > PBKDF2_MAX_ITERATIONS:
            raise Fail("NotSupportedError", f"PBKDF2 iteration counts above {PBKDF2_MAX_ITERATIONS} are not supported "
                       f"(requested {iterations})")
        return _e(PBKDF2HMAC(_hash(alg.get("hash")), size, _b(alg.get("salt"), "salt"), iterations).derive(key))
    raise Fail("NotSupportedError", f"{name} cannot derive bits")


FUNCS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "importKey": import_key, "exportKey": export_key, "generateKey": generate_key,
    "sign": sign, "verify": verify,
    "encrypt": lambda a: _crypt(a, True), "decrypt": lambda a: _crypt(a, False),
    "wrap": wrap, "unwrap": unwrap, "deriveBits": derive_bits,
}


def call(args: Any) -> dict[str, Any]:
    """Run one call synchronously; the answer is ``{"ok": ...}`` or ``{"error": [name, message]}``."""
    if not isinstance(args, dict) or args.get("fn") not in FUNCS:
        return {"error": ["NotSupportedError", "unknown crypto operation"]}
    try:
        return {"ok": FUNCS[args["fn"]](args)}
    except Fail as exc:
        return {"error": [exc.name, exc.message]}
    except Exception as exc:  # OpenSSL refusing something: the script gets OperationError, no key bytes logged
        log.debug("crypto %s failed: %s", args["fn"], type(exc).__name__)
        return {"error": ["OperationError", f"{args['fn']} failed: {type(exc).__name__}"]}


def _slow(args: Any) -> bool:
    if not isinstance(args, dict):
        return False
    alg = args.get("alg") if isinstance(args.get("alg"), dict) else {}
    if args.get("fn") == "generateKey" and alg.get("name") in _RSA:
        return True
    return args.get("fn") == "deriveBits" and alg.get("name") == "PBKDF2" and int(alg.get("iterations") or 0) > 5000


@host_op("crypto")
async def crypto_op(ctx: HostContext, args: Any) -> dict[str, Any]:
    """The host operation behind crypto.subtle (see the module docstring)."""
    if _slow(args):
        return await asyncio.to_thread(call, args)
    return call(args)


SYNC_OPS["crypto"] = lambda ctx, args: call(args)  # a script's top level may use crypto.subtle too
INLINE_WHEN["crypto"] = lambda args: not _slow(args)  # most calls take microseconds: answer without a task
