"""The prelude compiled from V8's code cache is the same prelude as one compiled from source."""

from __future__ import annotations

import asyncio
import json

import pytest

from runtime import prelude, stock, v8native
from runtime.engine import COMPILE_GLOBAL, EvalFailed, V8Isolate
from runtime.webapi import chunks

pytestmark = pytest.mark.skipif(v8native.code_cache_api() is None, reason="mini-racer build without V8's compile API")

GLOBALS = """JSON.stringify(Object.getOwnPropertyNames(globalThis).sort().map((k) => {
  const d = Object.getOwnPropertyDescriptor(globalThis, k);
  return [k, d.enumerable, d.configurable, "value" in d ? typeof d.value : "accessor"];
}))"""

PROBE = """(async () => {
  const out = [];
  const r = new Response(JSON.stringify({ a: [1, 2] }), { headers: { "x-k": "v" } });
  out.push(r.status, r.headers.get("x-k"), (await r.json()).a.length);
  out.push(new URL("http://ex.ample/p?q=1#h").searchParams.get("q"));
  out.push(new TextDecoder().decode(new TextEncoder().encode("héllo")));
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
  out.push([...new Uint8Array(d)].slice(0, 4).join(","));
  const s = new ReadableStream({ start(c) { c.enqueue("x"); c.close(); } });
  out.push((await s.getReader().read()).value);
  try { new Response(null, { status: 1 }); } catch (e) { out.push(e.name, /isoplay:\\/\\/prelude\\.js/.test(e.stack)); }
  globalThis.__probe = JSON.stringify(out);
})()"""


def _fresh(loop: asyncio.AbstractEventLoop, cache: bytes | None) -> V8Isolate:
    v8 = V8Isolate(loop, memory_limit=64 * 1024 * 1024)
    v8.install_loader("__isoplayLoad", chunks.serve, chunks.BUFFER_SIZE)
    if cache is None:
        v8.eval(prelude.script())
    else:
        run = v8.run_script(prelude.script_bytes(), cache=cache)
        assert not run.rejected
    return v8


def _probe(v8: V8Isolate) -> list[object]:
    v8.eval(PROBE)
    return json.loads(v8.eval("globalThis.__probe"))


async def test_cached_prelude_has_the_same_globals_and_behaviour() -> None:
    loop = asyncio.get_running_loop()
    probe_isolate = V8Isolate(loop, memory_limit=64 * 1024 * 1024)
    try:
        cache = stock.prelude_code_cache(probe_isolate)
    finally:
        probe_isolate.close()
    assert cache, "no code cache was made"
    plain, cached = _fresh(loop, None), _fresh(loop, cache)
    try:
        assert json.loads(cached.eval(GLOBALS)) == json.loads(plain.eval(GLOBALS))
        assert COMPILE_GLOBAL not in cached.eval(GLOBALS)
        expected = [200, "v", 2, "1", "héllo", "186,120,22,191", "x", "RangeError", True]
        assert _probe(plain) == expected
        assert _probe(cached) == expected
    finally:
        plain.close()
        cached.close()


async def test_a_cache_of_other_source_is_refused_and_the_script_still_runs() -> None:
    loop = asyncio.get_running_loop()
    maker = V8Isolate(loop, memory_limit=64 * 1024 * 1024)
    try:
        other = maker.run_script(b"globalThis.fromOther = 1;", produce=True).cache
    finally:
        maker.close()
    assert other
    v8 = V8Isolate(loop, memory_limit=64 * 1024 * 1024)
    try:
        run = v8.run_script(b"globalThis.answer = 6 * 7;", cache=other)
        assert run.rejected and run.ok
        assert v8.eval("answer") == 42 and v8.eval("typeof fromOther") == "undefined"
    finally:
        v8.close()


async def test_a_script_that_throws_or_does_not_parse_fails_with_its_error() -> None:
    v8 = V8Isolate(asyncio.get_running_loop(), memory_limit=64 * 1024 * 1024)
    try:
        with pytest.raises(EvalFailed, match="boom"):
            v8.run_script(b"throw new TypeError('boom')")
        with pytest.raises(EvalFailed, match="SyntaxError"):
            v8.run_script(b"let = = 1;")
        assert v8.eval(f"typeof globalThis.{COMPILE_GLOBAL}") == "undefined"
        v8.eval(f"globalThis.{COMPILE_GLOBAL} = () => 1")  # a script's own global of that name does nothing
        assert v8.eval("1 + 1") == 2
    finally:
        v8.close()


def test_a_damaged_cache_file_is_ignored(tmp_path, monkeypatch) -> None:
    target = tmp_path / "prelude.v8cache"
    monkeypatch.setattr(prelude, "code_cache_path", lambda: target)
    prelude.write_code_cache(b"compiled bytes")
    assert prelude.read_code_cache() == b"compiled bytes"
    raw = bytearray(target.read_bytes())
    raw[-1] ^= 0xFF
    target.write_bytes(bytes(raw))
    assert prelude.read_code_cache() is None
    target.write_bytes(b"short")
    assert prelude.read_code_cache() is None
