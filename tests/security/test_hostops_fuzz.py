"""Every host op driven with junk through a real isolate (issue 13: host ops validate on the host side).

A script can reach the host with anything JSON can carry: the prelude serialises its State with the
global ``JSON.stringify``, which a script may replace, so it can rewrite the name and arguments of an
op in flight (and any other field of the State). Each case here does that from inside a real
isolate: it starts a harmless host call, swaps in the op name and junk arguments, and reports what its
promise gave. Must hold for every op and every junk value: the script gets a JS error with a clear
message (never "internal error", never a Python traceback), nothing is logged as a host failure, the
isolate answers the next request, and the process carries on. Forged State fields (status, headers,
bodies, logs, timers, WebSocket emits) are refused the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from isolate_harness import raw_bundle

from runtime.invocation import HttpRequest, InvocationResult
from runtime.isolate import ScriptHost, ScriptIsolate
from runtime.kv.store import KVStore
from runtime.webapi.cache import SQLiteCacheStore

SCRIPT = r"""
const realStringify = JSON.stringify;
var __isoplay_module = { default: { async fetch(request, env) {
  const spec = await request.json();
  let armed = spec.mode === "op";
  let forgeState = spec.mode === "state" ? spec.state : null;
  JSON.stringify = function (value, ...rest) {
    if (value && typeof value === "object" && Array.isArray(value.ops)) {
      if (armed && value.ops.length > 0) {
        const op = value.ops[value.ops.length - 1];
        op[1] = spec.name;
        op[2] = spec.args;
        if (typeof spec.args === "string" && spec.args.startsWith("__deep:")) {
          let v = 1;
          for (let i = 0; i < Number(spec.args.slice(7)); i++) v = { a: v };
          op[2] = v;
        }
        armed = false;
      }
      if (forgeState && value.done) {
        const forged = forgeState;
        forgeState = null;
        JSON.stringify = realStringify;
        return realStringify.call(JSON, Object.assign({}, value, forged), ...rest);
      }
    }
    return realStringify.call(JSON, value, ...rest);
  };
  try {
    if (spec.mode === "state") return new Response("plain");
    const out = await env.KV.get("harmless");
    return new Response(realStringify({ ok: true, type: typeof out }));
  } catch (e) {
    return new Response(realStringify({ ok: false, name: e && e.name, message: String(e && e.message) }));
  } finally {
    JSON.stringify = realStringify;
  }
} } };
"""

OPS = ["kv.get", "kv.getWithMetadata", "kv.put", "kv.delete", "kv.list", "cache.match", "cache.put", "cache.delete",
       "fetch", "ws.connect", "ws.recv", "crypto", "compression.push", "compression.close", "body.wait",
       "no.such.op", "__proto__", ""]


def _deep(n: int) -> Any:
    value: Any = 1
    for _ in range(n):
        value = {"a": value}
    return value


JUNK: dict[str, Any] = {
    "null": None,
    "zero": 0,
    "negative": -1,
    "huge-number": 1e308,
    "big-int": 2**70,
    "string": "junk",
    "empty-list": [],
    "empty-object": {},
    "list-of-junk": [None, -1, "x", {"a": []}],
    "deep-200": _deep(200),
    "deep-3000": "__deep:3000",  # built in the isolate (Python's json cannot write it)
    "deep-100000": "__deep:100000",
    "lone-surrogate": {"binding": "KV", "key": "\ud800", "name": "\udfff", "url": "http://\ud800/"},
    "wrong-types": {"binding": 5, "key": ["k"], "value": {"text": 5}, "type": 7, "limit": "ten", "url": 3,
                    "cacheName": {}, "request": "x", "response": 4, "id": [], "op": 9, "format": [],
                    "stream": -4, "data": {"b64": 5}, "socket": "s", "method": 1, "headers": "h", "body": 8},
    "negative-sizes": {"binding": "KV", "key": "k", "limit": -5, "expirationTtl": -1, "expiration": -10,
                       "cacheTtl": -3, "id": -1, "stream": -1, "length": -7, "iterations": -1},
    "huge-sizes": {"binding": "KV", "key": "k", "limit": 10**30, "expirationTtl": 10**30, "length": 2**64,
                   "iterations": 10**12, "modulusLength": 10**9, "id": 2**80, "stream": 2**80},
    "bad-base64": {"binding": "KV", "key": "k", "value": {"b64": "!!!not base64"}, "data": {"b64": "%%%"},
                   "body": {"b64": "@@"}},
    "huge-string": {"binding": "KV", "key": "k" * 3_000_000, "value": {"text": "v" * 3_000_000}},
    "unknown-binding": {"binding": "NOT_DECLARED", "key": "k"},
    "proto-keys": {"__proto__": {"binding": "KV"}, "constructor": {"prototype": 1}, "key": "k"},
}


class Harness:
    def __init__(self, tmp: Path) -> None:
        self.kv = KVStore(tmp / "kv.sqlite3")
        self.cache = SQLiteCacheStore(tmp / "cache.sqlite3")

    async def run(self, cases: list[dict[str, Any]]) -> list[InvocationResult]:
        host = ScriptHost("fuzz", kv_store=self.kv, cache_store=self.cache)
        isolate = ScriptIsolate(raw_bundle(SCRIPT, kv=("KV",), timeout_ms=5000), host)
        results = []
        try:
            for case in cases:
                if isolate.poisoned:  # the pool would replace it
                    isolate.close()
                    isolate = ScriptIsolate(raw_bundle(SCRIPT, kv=("KV",), timeout_ms=5000), host)
                results.append(await asyncio.wait_for(isolate.invoke(
                    HttpRequest("POST", "http://x/", body=json.dumps(case).encode())), 30))
            results.append(await isolate.invoke(HttpRequest("POST", "http://x/", body=b'{"mode": "none"}')))
        finally:
            isolate.close()
            await host.aclose()
        return results


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return Harness(tmp_path_factory.mktemp("fuzz"))


def _clear(text: str) -> None:
    assert "internal error" not in text and "Traceback" not in text and "Error(" not in text, text


@pytest.mark.parametrize("op", OPS)
def test_junk_arguments_to_every_host_op_give_a_clear_js_error(harness: Harness, op: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    cases = [{"mode": "op", "name": op, "args": junk} for junk in JUNK.values()]
    with caplog.at_level(logging.WARNING):
        results = asyncio.run(harness.run(cases))
    for junk_name, result in zip(JUNK, results):
        if result.outcome == "error":  # the host could not even read the State: the invocation says so
            assert result.error is not None and result.error.kind == "contract", (op, junk_name, result.error)
            assert "malformed state" in result.error.message
            continue
        assert result.outcome == "ok", (op, junk_name, result.error)
        answer = json.loads(result.body)
        if not answer["ok"]:
            assert answer["name"] in ("TypeError", "RangeError", "Error", "SyntaxError", "DataError",
                                      "NotSupportedError", "OperationError", "InvalidAccessError",
                                      "QuotaExceededError"), (op, junk_name, answer)
            assert answer["message"], (op, junk_name, answer)
            _clear(answer["message"])
    assert results[-1].status == 200 and results[-1].outcome == "ok"  # the isolate still answers
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures][:3]


FORGED_STATES: dict[str, Any] = {
    "status-not-a-number": {"done": {"ok": True, "response": {"status": "abc", "statusText": "", "headers": [],
                                                               "body": None}}},
    "status-out-of-range": {"done": {"ok": True, "response": {"status": 99999, "statusText": "", "headers": [],
                                                               "body": None}}},
    "headers-junk": {"done": {"ok": True, "response": {"status": 200, "statusText": "", "headers": [[1], "x", None],
                                                        "body": None}}},
    "header-injection": {"done": {"ok": True, "response": {"status": 200, "statusText": "",
                                                            "headers": [["x-a", "b\r\nSet-Cookie: evil=1"]],
                                                            "body": None}}},
    "body-bad-base64": {"done": {"ok": True, "response": {"status": 200, "statusText": "", "headers": [],
                                                           "body": {"b64": "%%%"}}}},
    "body-text-not-string": {"done": {"ok": True, "response": {"status": 200, "statusText": "", "headers": [],
                                                                "body": {"text": 12}}}},
    "response-junk": {"done": {"ok": True, "response": "nope"}},
    "error-junk": {"done": {"ok": False, "error": 5}},
    "done-junk": {"done": 7},
    "logs-junk": {"logs": [[1], "x", None, ["log", "t", 5]]},
    "ops-junk": {"done": None, "ops": [5, "x", [1], [None, None, None]], "wake": None},
    "wake-junk": {"done": None, "ops": [], "wake": "soon"},
    "wake-negative": {"done": None, "ops": [], "wake": -1e308},
    "emit-junk": {"emit": [5, "x", {"socket": "s"}, None]},
    "head-junk": {"done": None, "ops": [], "wake": 1, "head": {"status": "x", "headers": 5}},
    "chunks-junk": {"done": None, "ops": [], "wake": 1, "head": {"status": 200, "statusText": "", "headers": []},
                    "chunks": [5, {"b64": "%%"}, None]},
}


def test_a_forged_state_is_refused_with_a_clear_error(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    cases = [{"mode": "state", "state": state} for state in FORGED_STATES.values()]
    with caplog.at_level(logging.WARNING):
        results = asyncio.run(harness.run(cases))
    for name, result in zip(FORGED_STATES, results):
        if name == "header-injection" and result.outcome == "ok":
            assert all("\r" not in v and "\n" not in v for _, v in result.headers), result.headers
            continue
        if result.outcome == "ok":
            continue  # a harmless forgery (e.g. junk log lines dropped) changes nothing
        assert result.error is not None, name
        _clear(result.error.message)
        assert result.error.message, name
    assert results[-1].status == 200
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures][:3]


PUBLIC_JUNK = r"""
var __isoplay_module = { default: { async fetch(request, env) {
  const out = {};
  const attempt = async (name, fn) => {
    try { const v = await fn(); out[name] = "ok:" + typeof v; }
    catch (e) { out[name] = (e && e.name) + ": " + String(e && e.message).slice(0, 300); }
  };
  const big = "x".repeat(2 ** 22);
  await attempt("kv.get-number-key", () => env.KV.get(12345));
  await attempt("kv.get-empty-key", () => env.KV.get(""));
  await attempt("kv.get-bad-type", () => env.KV.get("k", { type: "nonsense" }));
  await attempt("kv.put-huge-key", () => env.KV.put(big, "v"));
  await attempt("kv.put-negative-ttl", () => env.KV.put("k", "v", { expirationTtl: -5 }));
  await attempt("kv.put-nan-expiration", () => env.KV.put("k", "v", { expiration: NaN }));
  await attempt("kv.put-symbol-metadata", () => env.KV.put("k", "v", { metadata: { a: 1n } }));
  await attempt("kv.list-negative-limit", () => env.KV.list({ limit: -1 }));
  await attempt("kv.list-huge-limit", () => env.KV.list({ limit: 1e300 }));
  await attempt("kv.list-bad-cursor", () => env.KV.list({ cursor: "\ud800" }));
  await attempt("cache.put-junk", () => caches.default.put("not a url", new Response("x")));
  await attempt("cache.match-junk", () => caches.default.match({}));
  await attempt("cache.open-huge-name", () => caches.open(big).then((c) => c.match("http://x/")));
  await attempt("fetch-junk-url", () => fetch("::::"));
  await attempt("fetch-bad-method", () => fetch("http://example.invalid/", { method: "B A D" }));
  await attempt("compression-bad-format", () => new CompressionStream("zip"));
  await attempt("decompress-junk", () => new Response(new Response(new Uint8Array([1, 2, 3, 4, 5])).body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  await attempt("digest-junk", () => crypto.subtle.digest("SHA-7", new Uint8Array(4)));
  await attempt("importKey-junk", () => crypto.subtle.importKey("jwk", { kty: "RSA", n: "%%", e: 5 }, { name: "RSA-PSS", hash: "SHA-256" }, true, ["verify"]));
  await attempt("generateKey-huge-rsa", () => crypto.subtle.generateKey({ name: "RSA-PSS", modulusLength: 1e9, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign"]));
  await attempt("pbkdf2-negative", () => crypto.subtle.importKey("raw", new Uint8Array(8), "PBKDF2", false, ["deriveBits"]).then((k) => crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(8), iterations: -1 }, k, 256)));
  await attempt("websocket-junk", () => fetch("ws://\ud800", { headers: { Upgrade: "websocket" } }));
  return new Response(JSON.stringify(out));
} } };
"""


def test_junk_through_the_public_apis_gives_clear_js_errors(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> InvocationResult:
        host = ScriptHost("fuzz", kv_store=harness.kv, cache_store=harness.cache)
        isolate = ScriptIsolate(raw_bundle(PUBLIC_JUNK, kv=("KV",), timeout_ms=20000, memory_mb=256), host)
        try:
            return await isolate.invoke(HttpRequest("GET", "http://x/"))
        finally:
            isolate.close()
            await host.aclose()

    with caplog.at_level(logging.WARNING):
        result = asyncio.run(go())
    assert result.outcome == "ok", result.error
    answers = json.loads(result.body)
    for name, text in answers.items():
        _clear(text)
    refused = {n: t for n, t in answers.items() if not t.startswith("ok:")}
    for must in ("kv.put-huge-key", "kv.put-negative-ttl", "kv.list-negative-limit", "cache.put-junk",
                 "fetch-junk-url", "compression-bad-format", "digest-junk", "generateKey-huge-rsa", "pbkdf2-negative"):
        assert must in refused, (must, answers[must])
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures][:3]
