"""Streamed Response bodies across the isolate/host boundary (pool level, real isolates).

A body still being written when the handler returns reaches the caller as an
early result with a ResponseStream; chunks follow as the script writes them, the
pump pauses when the host has enough queued (backpressure), a client that goes
away cancels the script's stream, and a body that fails midway fails the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from runtime.bundler import bundle
from runtime.invocation import HttpRequest, InvocationResult
from runtime.isolate import ScriptHost
from runtime.pool import IsolatePool
from runtime.runner import run_once
from runtime.webapi.streaming import StreamFailed

SOURCE = """
let pulls = 0;
let cancelled: unknown = "no";
export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    const enc = new TextEncoder();
    if (url.pathname === "/timed") {
      const { readable, writable } = new TransformStream();
      const w = writable.getWriter();
      (async () => {
        for (let i = 0; i < 4; i++) { await scheduler.wait(30); await w.write(enc.encode(`part ${i}\\n`)); }
        console.log("body written");
        await w.close();
      })();
      console.log("handler returned");
      return new Response(readable, { headers: { "content-type": "text/plain" } });
    }
    if (url.pathname === "/endless") {
      return new Response(new ReadableStream({
        pull(c) { pulls++; c.enqueue(new Uint8Array(64 * 1024)); },
        cancel(reason) { cancelled = String(reason); console.log("cancelled:", String(reason)); },
      }));
    }
    if (url.pathname === "/pulls") return Response.json({ pulls, cancelled });
    if (url.pathname === "/fails") {
      let n = 0;
      return new Response(new ReadableStream({
        async pull(c) { await scheduler.wait(10); if (n++ < 2) c.enqueue(enc.encode("ok ")); else throw new RangeError("source broke"); },
      }));
    }
    if (url.pathname === "/quick") {
      return new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode("all ")); c.enqueue(enc.encode("at once")); c.close(); } }));
    }
    if (url.pathname === "/stuck") {
      const { readable, writable } = new TransformStream();
      writable.getWriter().write(enc.encode("first"));
      return new Response(readable);
    }
    if (url.pathname === "/fixed") {
      const { readable, writable } = new FixedLengthStream(6);
      const w = writable.getWriter();
      (async () => { await scheduler.wait(5); await w.write(enc.encode("abc")); await scheduler.wait(5); await w.write(enc.encode("def")); await w.close(); })();
      return new Response(readable);
    }
    return new Response("?", { status: 404 });
  },
};
"""


@pytest.fixture
async def pool(make_project) -> AsyncIterator[IsolatePool]:
    root: Path = make_project({"src/index.ts": SOURCE}, 'name = "st"\nmain = "src/index.ts"\n[limits]\ntimeout_ms = 3000\n')
    built = await bundle(root)
    p = IsolatePool(built, ScriptHost("st"))
    await p.start()
    yield p
    await p.stop()


def submit(pool: IsolatePool, path: str) -> tuple[asyncio.Queue[InvocationResult], Any]:
    results: asyncio.Queue[InvocationResult] = asyncio.Queue()
    job = pool.submit(HttpRequest("GET", f"http://localhost{path}", stream_response=True),
                      lambda out: results.put_nowait(out))  # type: ignore[arg-type]
    return results, job


async def read_all(stream: Any) -> list[bytes]:
    chunks = []
    while (chunk := await stream.next()) is not None:
        chunks.append(chunk)
    return chunks


async def test_the_head_arrives_before_the_body_is_written_and_chunks_follow(pool: IsolatePool) -> None:
    results, _ = submit(pool, "/timed")
    early = await asyncio.wait_for(results.get(), 5)
    assert early.status == 200 and ("content-type", "text/plain") in early.headers
    assert early.body_stream is not None and not early.body_stream.finished
    assert early.head_only
    assert [e.message for e in early.logs] == ["handler returned"]
    chunks = await asyncio.wait_for(read_all(early.body_stream), 5)
    assert b"".join(chunks) == b"part 0\npart 1\npart 2\npart 3\n"
    assert len(chunks) == 4  # one chunk per write: nothing waited for the end
    final = await asyncio.wait_for(results.get(), 5)
    assert final.outcome == "ok" and final.body_stream is early.body_stream and not final.head_only
    # the complete result is the invocation's one record: every log line, status, time up to the body's end
    assert [e.message for e in final.logs] == ["handler returned", "body written"]
    assert final.status == 200
    assert final.duration_ms >= 4 * 30  # four waits of 30 ms before the end


async def test_invoke_returns_the_head_and_hands_the_complete_result_on(pool: IsolatePool) -> None:
    completes: list[InvocationResult] = []
    head = await asyncio.wait_for(
        pool.invoke(HttpRequest("GET", "http://localhost/timed", stream_response=True), completes.append), 5)
    assert head.head_only and completes == []
    assert b"".join(await asyncio.wait_for(read_all(head.body_stream), 5)).count(b"part") == 4
    for _ in range(100):
        if completes:
            break
        await asyncio.sleep(0.02)
    assert len(completes) == 1 and not completes[0].head_only
    assert [e.message for e in completes[0].logs] == ["handler returned", "body written"]
    plain: list[InvocationResult] = []
    result = await pool.invoke(HttpRequest("GET", "http://localhost/quick", stream_response=True), plain.append)
    assert plain == [result] and not result.head_only


async def test_a_slow_reader_pauses_the_script_and_a_gone_one_cancels_it(pool: IsolatePool) -> None:
    results, _ = submit(pool, "/endless")
    early = await asyncio.wait_for(results.get(), 5)
    stream = early.body_stream
    first = await asyncio.wait_for(stream.next(), 5)
    assert len(first) == 64 * 1024
    await asyncio.sleep(0.3)  # nobody reads: the pump must stop at its high-water marks
    final_task = asyncio.ensure_future(results.get())
    stream.cancel()
    final = await asyncio.wait_for(final_task, 5)
    assert final.outcome == "ok"
    assert any(e.message.startswith("cancelled: AbortError") for e in final.logs), final.logs
    state = await pool.invoke(HttpRequest("GET", "http://localhost/pulls"))
    import json
    got = json.loads(state.body)
    # isolate-side high water (256 kB) + host-side high water (256 kB) + the chunks in flight
    assert 4 <= got["pulls"] <= 16, got
    assert got["cancelled"].startswith("AbortError")


async def test_a_body_that_fails_midway_fails_the_stream(pool: IsolatePool) -> None:
    results, _ = submit(pool, "/fails")
    early = await asyncio.wait_for(results.get(), 5)
    got = []
    with pytest.raises(StreamFailed, match="source broke"):
        while (chunk := await asyncio.wait_for(early.body_stream.next(), 5)) is not None:
            got.append(chunk)
    assert b"".join(got) == b"ok ok "
    final = await asyncio.wait_for(results.get(), 5)
    assert final.outcome == "error" and final.error.name == "RangeError"


async def test_a_body_nothing_can_finish_fails_at_once(pool: IsolatePool) -> None:
    results, _ = submit(pool, "/stuck")
    early = await asyncio.wait_for(results.get(), 5)
    assert await early.body_stream.next() == b"first"
    with pytest.raises(StreamFailed):
        await asyncio.wait_for(early.body_stream.next(), 5)
    final = await asyncio.wait_for(results.get(), 5)
    assert final.outcome == "error" and "will never end" in final.error.message


async def test_a_stream_finished_within_the_first_crossing_is_an_ordinary_body(pool: IsolatePool) -> None:
    results, _ = submit(pool, "/quick")
    only = await asyncio.wait_for(results.get(), 5)
    assert (only.outcome, only.body, only.body_stream) == ("ok", b"all at once", None)
    assert results.empty()


async def test_a_fixed_length_stream_declares_its_length(pool: IsolatePool) -> None:
    results, _ = submit(pool, "/fixed")
    early = await asyncio.wait_for(results.get(), 5)
    assert early.body_stream.length == 6
    assert b"".join(await asyncio.wait_for(read_all(early.body_stream), 5)) == b"abcdef"


async def test_callers_that_want_the_whole_body_get_it_collected(make_project) -> None:
    root = make_project({"src/index.ts": SOURCE})
    result = await run_once(root, HttpRequest("GET", "http://localhost/timed"))
    assert (result.outcome, result.body, result.body_stream) == ("ok", b"part 0\npart 1\npart 2\npart 3\n", None)
