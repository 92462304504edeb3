"""Hostile input to crypto.subtle: every misuse rejects with a spec error, the isolate keeps working,
and the host operation answers an error for any argument shape instead of raising."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from webcrypto_support import run_js  # noqa: F401  (fixture)

from runtime.webapi import crypto as host

GARBAGE = """[undefined, null, 0, -1, 2 ** 53, NaN, "", "x".repeat(1000), {}, [], { name: 42 }, { name: "AES-GCM", iv: "nope" },
  { name: "HMAC", hash: { name: "MD5" } }, { name: "ECDSA", namedCurve: "P-256", hash: 7 }, new Uint8Array(3), new ArrayBuffer(0),
  { get name() { throw new RangeError("getter"); } }, Symbol("s"), () => 1, new Proxy({}, { get() { throw new Error("proxy"); } })]"""

SCRIPT = """
const G: unknown[] = """ + GARBAGE + """;
const ALLOWED = new Set(["TypeError", "SyntaxError", "DataError", "NotSupportedError", "InvalidAccessError", "OperationError",
                         "RangeError", "Error", "QuotaExceededError", "TypeMismatchError"]);
export default { async run() {
  const S = crypto.subtle as any;
  const key = await S.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"]);
  const pair = await S.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const pick = (i: number) => G[i % G.length];
  const calls: [string, (i: number) => Promise<unknown>][] = [
    ["digest", (i) => S.digest(pick(i), pick(i + 3))],
    ["importKey", (i) => S.importKey(pick(i), pick(i + 1), pick(i + 2), pick(i + 3), pick(i + 4))],
    ["importKey jwk", (i) => S.importKey("jwk", pick(i), { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"])],
    ["importKey spki", (i) => S.importKey("spki", new Uint8Array(i * 7), pick(i), true, ["verify"])],
    ["exportKey", (i) => S.exportKey(pick(i), i % 2 ? key : pair.privateKey)],
    ["generateKey", (i) => S.generateKey(pick(i), pick(i + 1), pick(i + 2))],
    ["sign", (i) => S.sign(pick(i), i % 2 ? pair.privateKey : pick(i + 1), pick(i + 2))],
    ["verify", (i) => S.verify(pick(i), pair.publicKey, pick(i + 1), pick(i + 2))],
    ["encrypt", (i) => S.encrypt(pick(i), key, pick(i + 1))],
    ["decrypt", (i) => S.decrypt({ name: "AES-GCM", iv: new Uint8Array(i % 20), tagLength: i * 8 }, key, new Uint8Array(i))],
    ["deriveBits", (i) => S.deriveBits(pick(i), pair.privateKey, pick(i + 1))],
    ["deriveKey", (i) => S.deriveKey(pick(i), key, pick(i + 1), true, ["encrypt"])],
    ["wrapKey", (i) => S.wrapKey(pick(i), key, key, pick(i + 1))],
    ["unwrapKey", (i) => S.unwrapKey("raw", new Uint8Array(i), key, pick(i), pick(i + 1), true, pick(i + 2))],
  ];
  const odd: string[] = [];
  let rejected = 0;
  for (const [name, call] of calls) {
    for (let i = 0; i < G.length; i++) {
      let p: unknown;
      try { p = call(i); } catch (e) { odd.push(`${name}#${i} threw synchronously: ${(e as Error).name}`); continue; }
      if (!(p instanceof Promise)) { odd.push(`${name}#${i} returned no promise`); continue; }
      try { await p; } catch (e) {
        rejected++;
        const n = (e as Error)?.name;
        if (!ALLOWED.has(n)) odd.push(`${name}#${i}: ${n}`);
      }
    }
  }
  // still working afterwards
  const ct = await S.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, key, new Uint8Array(4));
  return { odd, rejected, after: ct.byteLength };
} };
"""


async def test_garbage_arguments_reject_with_spec_errors(run_js: Any) -> None:  # noqa: F811
    out = await run_js(SCRIPT)
    assert out["odd"] == []
    assert out["rejected"] > 200
    assert out["after"] == 20


def test_host_operation_never_raises() -> None:
    b = base64.b64encode
    keys: list[Any] = [None, 7, {}, {"type": "secret"}, {"type": "secret", "data": "!!"},
                       {"type": "private", "alg": {"name": "ECDSA", "namedCurve": "P-256"}, "data": b(b"\x30\x00").decode()},
                       {"type": "public", "alg": {"name": "RSA-OAEP", "hash": "SHA-256"}, "data": b(bytes(40)).decode()},
                       {"type": "secret", "alg": {"name": "HMAC", "hash": "SHA-999"}, "data": b(bytes(16)).decode()}]
    algs: list[Any] = [None, {}, {"name": "AES-GCM"}, {"name": "AES-GCM", "iv": "%%%"}, {"name": "AES-CTR", "counter": "AAAA",
                       "length": 300}, {"name": "RSA-PSS", "saltLength": -5}, {"name": "ECDH", "public": {"type": "public"}},
                       {"name": "PBKDF2", "iterations": 10 ** 9, "hash": "SHA-256", "salt": ""},
                       {"name": "RSASSA-PKCS1-v1_5", "modulusLength": 10 ** 6, "publicExponent": "AQAB", "hash": "SHA-256"}]
    datas: list[Any] = [None, "", "not base64 !", 5, {"kty": "EC"}]
    fns = list(host.FUNCS) + ["nope", None]
    seen = 0
    for fn, key, alg, data in itertools.product(fns, keys, algs, datas):
        for fmt in ("raw", "jwk", "spki", "pkcs8", "bogus"):
            out = host.call({"fn": fn, "key": key, "alg": alg, "data": data, "format": fmt, "length": 128,
                             "signature": data})
            assert set(out) <= {"ok", "error"} and len(out) == 1, out
            if "error" in out:
                name, message = out["error"]
                assert name in {"TypeError", "DataError", "NotSupportedError", "OperationError", "InvalidAccessError"}
                assert isinstance(message, str)
            seen += 1
    assert host.call("not a dict") == {"error": ["NotSupportedError", "unknown crypto operation"]}
    assert seen > 1000


async def test_non_extractable_key_bytes_are_unreachable(run_js: Any) -> None:  # noqa: F811
    """No property, symbol or API of a non-extractable key gives its bytes, and replacing WeakMap's methods
    (where the prelude keeps key material) does not hand the script the table."""
    out = await run_js("""
export default { async run() {
  const seen: unknown[] = [];
  const get = WeakMap.prototype.get, set = WeakMap.prototype.set, has = WeakMap.prototype.has;
  WeakMap.prototype.get = function (this: WeakMap<object, unknown>, k: object) { seen.push(this); return get.call(this, k); };
  WeakMap.prototype.set = function (this: WeakMap<object, unknown>, k: object, v: unknown) { seen.push(this); return set.call(this, k, v); };
  WeakMap.prototype.has = function (this: WeakMap<object, unknown>, k: object) { seen.push(this); return has.call(this, k); };
  const secret = new Uint8Array(32).fill(0x5a);
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  secret.fill(0);
  const mac = await crypto.subtle.sign("HMAC", key, new Uint8Array(1));
  const props = [...Object.getOwnPropertyNames(key), ...Object.getOwnPropertySymbols(key).map(String),
                 ...Reflect.ownKeys(Object.getPrototypeOf(key)).map(String)];
  let exported = "";
  try { await crypto.subtle.exportKey("raw", key); } catch (e) { exported = (e as Error).name; }
  let wrapped = "";
  const kek = await crypto.subtle.importKey("raw", new Uint8Array(16), "AES-KW", false, ["wrapKey"]);
  try { await crypto.subtle.wrapKey("raw", key, kek, "AES-KW"); } catch (e) { wrapped = (e as Error).name; }
  console.log(key);
  return { seen: seen.length, props: props.sort(), exported, wrapped, json: JSON.stringify(key), mac: mac.byteLength,
           cloned: (() => { try { return JSON.stringify(structuredClone(key)); } catch (e) { return (e as Error).name; } })() };
} };""")
    assert out["seen"] == 0
    assert out["props"] == sorted(["constructor", "type", "extractable", "algorithm", "usages", "Symbol(Symbol.toStringTag)",
                                   "Symbol(nodejs.util.inspect.custom)"])
    assert out["exported"] == "InvalidAccessError" and out["wrapped"] == "InvalidAccessError"
    assert out["json"] == "{}" and out["mac"] == 32
    assert "90" not in out["cloned"] and "Wl" not in out["cloned"]  # 0x5a bytes / their base64 never show


async def test_console_log_of_a_key_shows_no_material(make_project: Any) -> None:
    from runtime.invocation import RunTrigger
    from runtime.runner import run_once

    root = make_project({"src/index.ts": """
export default { async run() {
  const key = await crypto.subtle.importKey("raw", new Uint8Array(16).fill(0x5a), "AES-GCM", false, ["encrypt"]);
  console.log(key);
  return null;
} };"""}, name="logkey")
    result = await run_once(root, RunTrigger(None))
    assert result.outcome == "ok", result.error
    line = result.logs[0].message
    assert line.startswith("CryptoKey {") and "AES-GCM" in line and "length: 128" in line and "'encrypt'" in line
    assert "90" not in line and "Wl" not in line
