"""Request bodies streamed from the host into a real isolate (runtime/webapi/request_body.py, web/reqbody.ts).

A body over 64 KiB, or one still arriving, is not put in the request's spec: the script
reads it as a stream the host feeds. Checked here: every way of reading gives the exact
bytes; reading starts before the body is complete; waiting for the client and copying
the body do not count against ``timeout_ms``; failures reach the script as TypeErrors
that say why; an invocation that does not read its body leaves nothing registered.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "security"))

from isolate_harness import raw_bundle  # noqa: E402

from runtime.invocation import HttpRequest, InvocationResult  # noqa: E402
from runtime.isolate import ScriptHost, ScriptIsolate  # noqa: E402
from runtime.webapi.request_body import GATHER, HIGH_WATER, INLINE_BODY_BYTES, RequestBody  # noqa: E402

SCRIPT = r"""
var __isoplay_module = { default: { async fetch(request) {
  const path = new URL(request.url).pathname;
  const hex = async (buf) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buf)), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    if (path === "/arrayBuffer") { const b = await request.arrayBuffer(); return new Response(JSON.stringify([b.byteLength, await hex(b)])); }
    if (path === "/bytes") { const b = await request.bytes(); return new Response(JSON.stringify([b.length, await hex(b)])); }
    if (path === "/text") { const t = await request.text(); return new Response(JSON.stringify([t.length, t.slice(0, 8), t.slice(-8)])); }
    if (path === "/json") { const j = await request.json(); return new Response(JSON.stringify([j.items.length, j.items[j.items.length - 1]])); }
    if (path === "/blob") { const b = await request.blob(); return new Response(JSON.stringify([b.size, b.type])); }
    if (path === "/reader") {
      const r = request.body.getReader(); let n = 0, chunks = 0; const parts = [];
      for (;;) { const x = await r.read(); if (x.done) break; n += x.value.length; chunks++; parts.push(x.value); }
      const all = new Uint8Array(n); let o = 0; for (const p of parts) { all.set(p, o); o += p.length; }
      return new Response(JSON.stringify([n, await hex(all), chunks > 1, request.bodyUsed]));
    }
    if (path === "/slowreader") {
      const r = request.body.getReader(); let n = 0;
      for (;;) { const x = await r.read(); if (x.done) break; n += x.value.length; await new Promise((ok) => setTimeout(ok, 5)); }
      return new Response(JSON.stringify([n]));
    }
    if (path === "/first") {
      const r = request.body.getReader(); const x = await r.read();
      return new Response(JSON.stringify([x.value.length, new TextDecoder().decode(x.value.subarray(0, 5))]));
    }
    if (path === "/echo") return new Response(request.body, { headers: { "content-type": "application/octet-stream" } });
    if (path === "/clone") {
      const c = request.clone(); const [a, b] = await Promise.all([request.arrayBuffer(), c.arrayBuffer()]);
      return new Response(JSON.stringify([a.byteLength, b.byteLength, await hex(a) === await hex(b)]));
    }
    if (path === "/forward") { const r2 = new Request("http://x/other", request); const b = await r2.arrayBuffer(); return new Response(String(b.byteLength)); }
    if (path === "/twice") { await request.arrayBuffer(); try { await request.text(); return new Response("read twice"); } catch (e) { return new Response(e.name + ": " + e.message); } }
    if (path === "/count") return new Response(String((await request.arrayBuffer()).byteLength));
    if (path === "/ignore") return new Response("ignored");
    if (path === "/state") return new Response(JSON.stringify([request.bodyUsed, typeof request.body.getReader]));
  } catch (e) { return new Response(e.name + ": " + e.message, { status: 599 }); }
  return new Response("?", { status: 404 });
} } };
"""


def _blob(size: int) -> bytes:
    seed = hashlib.sha256(b"isoplay").digest()
    return (seed * (size // len(seed) + 1))[:size]


async def _invoke(isolate: ScriptIsolate, path: str, *, body: bytes = b"", stream: RequestBody | None = None,
                  headers: tuple[tuple[str, str], ...] = ()) -> InvocationResult:
    return await isolate.invoke(HttpRequest("POST", f"http://x{path}", headers, body=body, body_stream=stream))


def _run(coro_fn: Any, **bundle: Any) -> Any:
    async def go() -> Any:
        host = ScriptHost("body")
        isolate = ScriptIsolate(raw_bundle(SCRIPT, **bundle), host)
        try:
            return await coro_fn(isolate)
        finally:
            isolate.close()
            await host.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("path", ["/arrayBuffer", "/bytes", "/reader"])
@pytest.mark.parametrize("size", [INLINE_BODY_BYTES + 1, 3 * 1024 * 1024 + 7])
def test_a_large_body_reads_exactly(path: str, size: int) -> None:
    data = _blob(size)
    result = _run(lambda iso: _invoke(iso, path, body=data))
    assert result.status == 200, result.body
    got = json.loads(result.body)
    assert got[:2] == [size, hashlib.sha256(data).hexdigest()]
    if path == "/reader":
        assert got[2:] == [size > 256 * 1024, True]  # 256 KiB pieces; the body is used once read


def test_text_json_blob_clone_forward_and_echo_of_a_large_body() -> None:
    text = "héllo wörld " * 20000
    items = {"items": list(range(30000))}

    async def go(iso: ScriptIsolate) -> list[InvocationResult]:
        return [await _invoke(iso, "/text", body=text.encode()),
                await _invoke(iso, "/json", body=json.dumps(items).encode()),
                await _invoke(iso, "/blob", body=_blob(200000), headers=(("content-type", "image/png"),)),
                await _invoke(iso, "/clone", body=_blob(300000)),
                await _invoke(iso, "/forward", body=_blob(400000)),
                await _invoke(iso, "/echo", body=_blob(500000)),
                await _invoke(iso, "/twice", body=_blob(100000))]

    t, j, b, c, f, e, twice = _run(go)
    assert json.loads(t.body) == [len(text), text[:8], text[-8:]]
    assert json.loads(j.body) == [30000, 29999]
    assert json.loads(b.body) == [200000, "image/png"]
    assert json.loads(c.body) == [300000, 300000, True]
    assert f.body == b"400000"
    assert e.body == _blob(500000)
    assert twice.body.startswith(b"TypeError: Body has already been used")


def test_a_small_body_still_travels_inline() -> None:
    data = _blob(1000)

    async def go(iso: ScriptIsolate) -> tuple[InvocationResult, dict[str, Any]]:
        result = await _invoke(iso, "/arrayBuffer", body=data)
        return result, dict(iso.v8.bodies)

    result, registered = _run(go)
    assert json.loads(result.body)[0] == 1000 and registered == {}
    assert b'"stream"' not in json.dumps(HttpRequest("POST", body=data).spec()).encode()


def test_the_first_chunk_is_readable_before_the_body_ends() -> None:
    async def go(iso: ScriptIsolate) -> tuple[InvocationResult, bool, int]:
        body = RequestBody(None, None)
        body.push(b"first" + b"." * 1000)
        result = await _invoke(iso, "/first", stream=body)
        ended_before_answer = body.complete
        body.push(b"more that nobody reads")
        body.end()
        return result, ended_before_answer, len(iso.v8.bodies)

    result, ended, left = _run(go)
    assert json.loads(result.body) == [1005, "first"]
    assert ended is False  # answered while the upload was still open
    assert left == 0  # released with its invocation


def test_waiting_for_a_slow_client_does_not_count_against_timeout_ms() -> None:
    """A client sends 1.2 MB over ~2.4 s to a script with timeout_ms = 500: the waits are not its time."""

    async def go(iso: ScriptIsolate) -> InvocationResult:
        body = RequestBody(None, None)

        async def client() -> None:
            for _ in range(24):
                await asyncio.sleep(0.1)
                body.push(b"z" * 50_000)
            body.end()

        feeding = asyncio.ensure_future(client())
        result = await _invoke(iso, "/count", stream=body)
        await feeding
        return result

    result = _run(go, timeout_ms=500)
    assert result.outcome == "ok", result.error
    assert result.body == b"1200000"
    assert result.duration_ms > 2000  # it really waited that long


def test_a_runaway_script_with_a_body_still_hits_timeout_ms() -> None:
    code = SCRIPT.replace('if (path === "/ignore")', 'if (path === "/spin") { await request.arrayBuffer(); for (;;) {} }\n    if (path === "/ignore")')

    async def go() -> InvocationResult:
        host = ScriptHost("body")
        isolate = ScriptIsolate(raw_bundle(code, timeout_ms=300), host)
        try:
            return await _invoke(isolate, "/spin", body=_blob(2 * 1024 * 1024))
        finally:
            isolate.close()

    result = asyncio.run(go())
    assert result.outcome == "timeout" and result.limit == "timeout_ms"


@pytest.mark.parametrize("why", ["limit", "client gone"])
def test_a_failed_body_is_a_typeerror_saying_why(why: str) -> None:
    async def go(iso: ScriptIsolate) -> InvocationResult:
        body = RequestBody(None, 300_000 if why == "limit" else None)

        async def client() -> None:
            await asyncio.sleep(0.05)
            for _ in range(5):
                body.push(b"y" * 100_000)
            if why == "client gone":
                body.fail("the client closed the connection before the request body was complete")

        feeding = asyncio.ensure_future(client())
        result = await _invoke(iso, "/arrayBuffer", stream=body)
        await feeding
        return result

    result = _run(go)
    assert result.status == 599
    text = result.body.decode()
    assert text.startswith("TypeError: reading the request body failed:")
    assert ("max_body_bytes (300000 bytes)" if why == "limit" else "closed the connection") in text


def test_backpressure_keeps_the_host_side_small() -> None:
    """While the script reads a stream slowly, at most ~HIGH_WATER waits host-side: the producer is told to stop."""
    pauses: list[int] = []

    async def go(iso: ScriptIsolate) -> InvocationResult:
        body = RequestBody(None, None)
        resumed = asyncio.Event()
        loop = asyncio.get_running_loop()
        body.on_room = lambda: loop.call_soon_threadsafe(resumed.set)

        async def client() -> None:
            piece = b"q" * 65536
            for _ in range(160):  # 10 MiB
                if body.push(piece):
                    pauses.append(body._buffered)
                    resumed.clear()
                    await resumed.wait()
                await asyncio.sleep(0)
            body.end()

        feeding = asyncio.ensure_future(client())
        result = await _invoke(iso, "/slowreader", stream=body)
        await feeding
        return result

    result = _run(go, memory_mb=256)
    assert json.loads(result.body)[0] == 160 * 65536
    assert pauses, "the producer was never asked to stop"
    assert max(pauses) <= HIGH_WATER + 65536


def test_an_unread_body_is_released_and_its_rest_dropped() -> None:
    async def go(iso: ScriptIsolate) -> tuple[InvocationResult, bool, int]:
        body = RequestBody(None, None)
        body.push(b"a" * 100)
        result = await _invoke(iso, "/ignore", stream=body)
        body.push(b"b" * 100)
        return result, body.abandoned, body._buffered

    result, abandoned, buffered = _run(go)
    assert result.body == b"ignored" and abandoned and buffered == 0


def test_a_script_cannot_reach_the_body_loader_or_forge_a_body_wait() -> None:
    code = r"""
var __isoplay_module = { default: { async fetch(request) {
  const seen = [typeof globalThis.__isoplayLoad, typeof globalThis.__isoplayLoadBuf];
  let forged;
  try { forged = await __isoplay.hostCall?.("body.wait", { id: "1" }); } catch (e) { forged = e.name; }
  return new Response(JSON.stringify([seen, String(forged)]));
} } };
"""

    async def go() -> InvocationResult:
        host = ScriptHost("body")
        isolate = ScriptIsolate(raw_bundle(code), host)
        try:
            return await isolate.invoke(HttpRequest("POST", "http://x/", body=_blob(100_000)))
        finally:
            isolate.close()

    result = asyncio.run(go())
    seen, forged = json.loads(result.body)
    assert seen == ["undefined", "undefined"]
    assert forged in ("undefined", "TypeError")


def test_a_gathering_wait_returns_once_its_bytes_are_there_and_lets_the_front_read_on() -> None:
    """``wait(want=N)``: the front is not told to stop before N bytes wait; the wait ends at N or at the body's end."""

    async def go() -> list[object]:
        body = RequestBody(4 * 1024 * 1024, None)
        seen: list[object] = []
        waiting = asyncio.ensure_future(body.wait(want=3 * 1024 * 1024))
        await asyncio.sleep(0)  # the wait starts
        for _ in range(2):
            seen.append(body.push(b"a" * 1024 * 1024))  # past HIGH_WATER, but the reader wants more
        await asyncio.sleep(0)
        seen.append(waiting.done())
        seen.append(body.push(b"b" * 1024 * 1024))
        seen.append(await asyncio.wait_for(waiting, 30))
        seen.append(body.push(b"c" * 1024 * 1024))  # 4 MiB wait now: past the raised mark, stop reading
        short = RequestBody(100, None)
        short.push(b"x" * 10)
        short.end()
        seen.append(await asyncio.wait_for(short.wait(want=100), 30))  # ended before its want: returns
        return seen

    assert asyncio.run(go()) == [False, False, False, False, 3 * 1024 * 1024, True, 10]


def test_a_whole_read_of_a_declared_length_copies_in_gathered_pieces_and_stays_bounded() -> None:
    """arrayBuffer() of a 20 MiB Content-Length body fed with backpressure: exact bytes, the host holds at most
    about GATHER, and the script is resumed about once per GATHER bytes, not once per HIGH_WATER."""
    size = 20 * 1024 * 1024 + 5
    data = _blob(size)
    held: list[int] = []
    wakes: list[int] = []

    async def go(iso: ScriptIsolate) -> InvocationResult:
        body = RequestBody(size, None)
        resumed = asyncio.Event()
        loop = asyncio.get_running_loop()
        body.on_room = lambda: loop.call_soon_threadsafe(resumed.set)
        real_wait = body.wait

        async def counted_wait(whole: bool = False, want: int = 0) -> int:
            wakes.append(want)
            return await real_wait(whole=whole, want=want)

        body.wait = counted_wait  # type: ignore[method-assign]

        async def client() -> None:
            for at in range(0, size, 65536):
                held.append(body._buffered)
                if body.push(data[at:at + 65536]):
                    resumed.clear()
                    await resumed.wait()
                await asyncio.sleep(0)
            body.end()

        feeding = asyncio.ensure_future(client())
        result = await _invoke(iso, "/arrayBuffer", stream=body, headers=(("content-length", str(size)),))
        await feeding
        return result

    result = _run(go, memory_mb=256)
    assert result.outcome == "ok", result.error
    assert json.loads(result.body) == [size, hashlib.sha256(data).hexdigest()]
    assert max(held) <= GATHER + 65536
    assert wakes and all(0 < w <= GATHER for w in wakes), wakes
    assert len(wakes) <= size // GATHER + 3, len(wakes)
