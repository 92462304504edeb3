"""crypto.getRandomValues / randomUUID: a CSPRNG seeded per isolate from the OS (WebCrypto section 10)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from runtime import prelude
from runtime.engine import V8Isolate
from runtime.stock import load_prelude
from runtime.webapi.crypto_entropy import seed_isolate
from webcrypto_support import run_js  # noqa: F401  (fixture)

MB = 1024 * 1024


class Isolate:
    """A bare isolate with the prelude, evaluated synchronously on its own loop."""

    def __init__(self, seed: bytes | None = None) -> None:
        self.loop = asyncio.new_event_loop()

        async def make() -> V8Isolate:
            v8 = V8Isolate(self.loop, memory_limit=64 * MB)
            if seed is None:
                load_prelude(v8)
            else:
                v8.eval(prelude.script())
                v8.eval(f'__isoplay.entropy("{base64.b64encode(seed).decode()}")')
            return v8

        self.v8 = self.loop.run_until_complete(make())

    def __call__(self, expr: str) -> Any:
        async def ev() -> Any:
            code = ("(() => { try { return JSON.stringify({ v: (" + expr + ") }); }"
                    " catch (e) { return JSON.stringify({ throws: e.name, code: e.code, isDom: e instanceof DOMException }); } })()")
            return json.loads(self.v8.eval(code))

        out = self.loop.run_until_complete(ev())
        return out["v"] if "v" in out else out

    def close(self) -> None:
        self.v8.close()
        self.loop.close()


@pytest.fixture(scope="module")
def js() -> Iterator[Isolate]:
    iso = Isolate()
    yield iso
    iso.close()


INTEGER_ARRAYS = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array"]


@pytest.mark.parametrize("kind", INTEGER_ARRAYS + ["BigInt64Array", "BigUint64Array"])
def test_every_integer_array_is_filled_in_place(js: Isolate, kind: str) -> None:
    out = js(f"(() => {{ const a = new {kind}(64); const r = crypto.getRandomValues(a);"
             " return [r === a, new Set(Array.from(a, String)).size > 16]; })()")
    assert out == [True, True]


@pytest.mark.parametrize("expr", ["new Float32Array(4)", "new Float64Array(4)", "new DataView(new ArrayBuffer(4))"])
def test_non_integer_views_are_type_mismatch(js: Isolate, expr: str) -> None:
    assert js(f"crypto.getRandomValues({expr})") == {"throws": "TypeMismatchError", "code": 17, "isDom": True}


@pytest.mark.parametrize("expr", ["new ArrayBuffer(4)", "[1, 2]", "null", "'abc'"])
def test_non_views_are_type_errors(js: Isolate, expr: str) -> None:
    assert js(f"crypto.getRandomValues({expr})")["throws"] == "TypeError"


def test_quota_is_65536_bytes(js: Isolate) -> None:
    assert js("crypto.getRandomValues(new Uint8Array(65536)).length") == 65536
    assert js("crypto.getRandomValues(new Uint32Array(16384)).length") == 16384
    assert js("crypto.getRandomValues(new Uint8Array(65537))") == {"throws": "QuotaExceededError", "code": 22, "isDom": True}
    assert js("crypto.getRandomValues(new Uint32Array(16385))")["throws"] == "QuotaExceededError"
    # a view into a larger buffer counts only its own bytes, and only those are written
    assert js("(() => { const b = new Uint8Array(70000); crypto.getRandomValues(b.subarray(10, 20));"
              " return [b.slice(0, 10).every((x) => x === 0), b.slice(20).every((x) => x === 0)]; })()") == [True, True]


def test_random_uuid_is_version_4(js: Isolate) -> None:
    uuids = js("Array.from({ length: 200 }, () => crypto.randomUUID())")
    assert len(set(uuids)) == 200
    for u in uuids:
        assert len(u) == 36 and u[14] == "4" and u[19] in "89ab" and u.count("-") == 4
        assert all(c in "0123456789abcdef-" for c in u)


def test_bytes_look_uniform(js: Isolate) -> None:
    data = bytes(js("Array.from(crypto.getRandomValues(new Uint8Array(65536)))"))
    counts = Counter(data)
    expected = len(data) / 256
    chi2 = sum((counts.get(i, 0) - expected) ** 2 / expected for i in range(256))
    assert chi2 < 400  # 255 degrees of freedom: p < 1e-8 above 400
    blocks = {data[i:i + 16] for i in range(0, len(data), 16)}
    assert len(blocks) == len(data) // 16


def test_output_is_chacha20_fast_key_erasure_from_the_seed() -> None:
    """With a known seed the stream is exactly what the documented construction gives, computed here
    with the `cryptography` package's ChaCha20: mixing the seed into the (zero) key gives
    key = ChaCha20(key XOR seed)[:32]; each 1024-byte refill is ChaCha20(key, nonce 0, counter 0)
    whose first 32 bytes become the next key."""
    seed = bytes(range(32))
    iso = Isolate(seed)
    try:
        got = bytes(iso("Array.from(crypto.getRandomValues(new Uint8Array(2000)))"))  # > one block: own keystream
        small = bytes(iso("Array.from(crypto.getRandomValues(new Uint8Array(16)))"))
    finally:
        iso.close()

    def stream(key: bytes, n: int) -> bytes:
        enc = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
        return enc.update(bytes(n))

    key = stream(bytes(a ^ b for a, b in zip(bytes(32), seed)), 32)
    first = stream(key, 2000 + 32)
    assert got == first[32:]
    key = first[:32]
    assert small == stream(key, 1024)[32:48]


def test_every_isolate_gets_its_own_seed() -> None:
    a, b = Isolate(), Isolate()
    try:
        xa = a("Array.from(crypto.getRandomValues(new Uint8Array(32)))")
        xb = b("Array.from(crypto.getRandomValues(new Uint8Array(32)))")
    finally:
        a.close()
        b.close()
    assert xa != xb


def test_unseeded_isolate_refuses_rather_than_guessing() -> None:
    loop = asyncio.new_event_loop()

    async def make() -> V8Isolate:
        v8 = V8Isolate(loop, memory_limit=64 * MB)
        v8.eval(prelude.script())
        return v8

    v8 = loop.run_until_complete(make())
    try:
        out = loop.run_until_complete(asyncio.sleep(0, v8.eval(
            "(() => { try { crypto.getRandomValues(new Uint8Array(4)); return 'filled'; } catch (e) { return e.message; } })()")))
        assert "not seeded" in out
    finally:
        v8.close()
        loop.close()


def test_entropy_only_mixes_in(js: Isolate) -> None:
    """A script calling the host's entry with chosen bytes cannot reset the generator to a known state."""
    seed = base64.b64encode(bytes(32)).decode()
    a = js(f'(__isoplay.entropy("{seed}"), Array.from(crypto.getRandomValues(new Uint8Array(16))))')
    b = js(f'(__isoplay.entropy("{seed}"), Array.from(crypto.getRandomValues(new Uint8Array(16))))')
    assert a != b
    assert js('__isoplay.entropy("c2hvcnQ=")')["throws"] == "TypeError"
    assert js(f'__isoplay.entropy("{base64.b64encode(bytes(33)).decode()}")')["throws"] == "TypeError"


async def test_random_in_a_script(run_js: Any) -> None:
    out = await run_js("""
export default { async run() {
  const a = crypto.getRandomValues(new Uint8Array(16));
  return { uuid: crypto.randomUUID(), bytes: Array.from(a), tag: Object.prototype.toString.call(crypto) };
} };""")
    assert len(out["uuid"]) == 36 and len(out["bytes"]) == 16 and out["tag"] == "[object Crypto]"
