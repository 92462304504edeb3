"""The server's recorder on real isolates and a real SQLite store: batching, the ring inside a batch, flush,
and a response body streamed to its caller, recorded and replayed."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from runtime.bundler import Bundle, bundle
from runtime.invocation import HttpRequest, InvocationResult
from runtime import isolate as isolate_module
from runtime.isolate import ScriptHost, ScriptIsolate
from runtime.pool import IsolatePool
from runtime.replay import Recording, replay
from runtime.replay.policy import ServerRecorder
from runtime.store.recordings import SqliteRecordingStore

SOURCE = """
export default {
  async fetch(request: Request) {
    const n = new URL(request.url).searchParams.get("n");
    console.log("n", n, Date.now());
    return new Response(`${n} ${crypto.randomUUID()} ${Math.random()}`);
  },
};
"""


async def _built(make_project: Any, name: str, recordings: str) -> Bundle:
    root = make_project({"src/index.ts": SOURCE},
                        f'name = "{name}"\nmain = "src/index.ts"\n[recordings]\n{recordings}', name=name)
    return await bundle(root)


async def _invoke(isolate: ScriptIsolate, n: int) -> InvocationResult:
    result = await isolate.invoke(HttpRequest(url=f"http://localhost/?n={n}"))
    assert result.ok, result.error
    assert result.recording is not None
    return result


def _flush_within(recorder: ServerRecorder, seconds: float = 60.0) -> None:
    """flush() must not wait for the writer's window: run it on a thread and insist it returns."""
    done = threading.Thread(target=recorder.flush, daemon=True)
    done.start()
    done.join(seconds)
    assert not done.is_alive(), "flush() waited for the writer's window"


async def test_a_burst_keeps_the_newest_of_each_app_and_replays_byte_for_byte(make_project: Any,
                                                                               tmp_path: Path) -> None:
    ring = await _built(make_project, "ring", "sample = 1.0\nmax_count = 3\n")
    wide = await _built(make_project, "wide", "sample = 1.0\nmax_count = 100\n")
    recorder = ServerRecorder(SqliteRecordingStore(tmp_path / "rec.sqlite3"))
    recorder.window = 3600.0  # one batch: only flush() ends the wait
    isolates = {b.manifest.name: ScriptIsolate(b, ScriptHost(b.manifest.name)) for b in (ring, wide)}
    kept: dict[int, InvocationResult] = {}
    try:
        for built in (ring, wide):
            isolates[built.manifest.name].record = True
        for n in range(8):
            for built in (ring, wide):
                result = await _invoke(isolates[built.manifest.name], n)
                if built is ring:
                    kept[n] = result
                assert recorder.keep(built.manifest.name, "1", built, result)
        assert recorder.store.list("ring") == []  # still gathering
        _flush_within(recorder)
        listed = recorder.store.list("ring")
        assert [r["what"] for r in listed] == [f"GET http://localhost/?n={n}" for n in (7, 6, 5)]
        assert len(recorder.store.list("wide")) == 8  # the other app's bound is its own
        assert recorder.superseded == 5
        for summary in listed:  # what was kept is whole: it replays to the same response and logs
            data = recorder.store.get("ring", summary["id"])
            assert data is not None
            rec = Recording.from_jsonl(data)
            n = int(summary["what"].rsplit("=", 1)[1])
            assert rec.result["body"] == {"text": kept[n].body.decode()}
            replayed = await replay(rec, ring)
            assert replayed.divergence is None, replayed.divergence
            assert replayed.result.body == kept[n].body
            assert [e.message for e in replayed.result.logs] == [e.message for e in kept[n].logs]
    finally:
        for isolate in isolates.values():
            isolate.close()
        recorder.close()


async def test_what_waits_for_the_writer_is_bounded_by_the_ring(make_project: Any, tmp_path: Path) -> None:
    built = await _built(make_project, "busy", "sample = 1.0\nmax_count = 4\n")
    recorder = ServerRecorder(SqliteRecordingStore(tmp_path / "rec.sqlite3"))
    recorder.window = 3600.0  # the writer never gets to write on its own: a stalled store
    isolate = ScriptIsolate(built, ScriptHost("busy"))
    isolate.record = True
    try:
        results = [await _invoke(isolate, n) for n in range(10)]
        # handed over newest-first: the ring keeps the newest by start time, whatever the arrival order
        assert all(recorder.keep("busy", "1", built, result) for result in reversed(results))
        assert recorder.pending() == 4 and recorder.superseded == 6
        _flush_within(recorder)
        assert recorder.pending() == 0
        assert [r["what"] for r in recorder.store.list("busy")] == [f"GET http://localhost/?n={n}" for n in (9, 8, 7, 6)]
    finally:
        isolate.close()
        recorder.close()


async def test_close_writes_what_is_pending_without_waiting_for_the_window(make_project: Any, tmp_path: Path) -> None:
    built = await _built(make_project, "late", "sample = 1.0\n")
    path = tmp_path / "rec.sqlite3"
    recorder = ServerRecorder(SqliteRecordingStore(path))
    recorder.window = 3600.0
    isolate = ScriptIsolate(built, ScriptHost("late"))
    isolate.record = True
    try:
        assert recorder.keep("late", "1", built, await _invoke(isolate, 1))
    finally:
        isolate.close()
    closing = threading.Thread(target=recorder.close, daemon=True)
    closing.start()
    closing.join(60.0)
    assert not closing.is_alive(), "close() waited for the writer's window"
    store = SqliteRecordingStore(path)
    try:
        assert [r["what"] for r in store.list("late")] == ["GET http://localhost/?n=1"]
    finally:
        store.close()


STREAMING = """
export default {
  async fetch(request: Request) {
    const size = Number(new URL(request.url).searchParams.get("size") ?? "3");
    const enc = new TextEncoder();
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    (async () => {
      for (let i = 0; i < size; i++) {
        await new Promise((r) => setTimeout(r, 1));
        console.log("chunk", i);
        await writer.write(enc.encode(`${i}:${Date.now()}:${crypto.randomUUID()}:${"x".repeat(2000)}\\n`));
      }
      await writer.close();
    })();
    return new Response(readable, { headers: { "content-type": "text/plain" } });
  },
};
"""


async def _streamed(pool: Any, size: int) -> tuple[bytes, InvocationResult]:
    """A streamed answer read the way the HTTP front reads it; returns the bytes and the complete result."""
    completes: list[InvocationResult] = []
    head = await pool.invoke(HttpRequest("GET", f"http://localhost/?size={size}", stream_response=True),
                             completes.append)
    assert head.head_only and head.body_stream is not None, head
    parts = []
    for _ in range(10_000):  # bounded: the body ends long before
        chunk = await head.body_stream.next()
        if chunk is None:
            break
        parts.append(chunk)
    for _ in range(600):  # the complete result follows the body's end
        if completes:
            break
        await asyncio.sleep(0.05)
    assert completes, "the complete result never came"
    return b"".join(parts), completes[0]


async def test_a_streamed_response_is_recorded_with_its_body_and_replays_it(make_project: Any, tmp_path: Path,
                                                                            monkeypatch: Any) -> None:
    root = make_project({"src/index.ts": STREAMING},
                        'name = "streams"\nmain = "src/index.ts"\n[recordings]\nsample = 1.0\n', name="streams")
    built = await bundle(root)
    recorder = ServerRecorder(SqliteRecordingStore(tmp_path / "rec.sqlite3"))
    pool = IsolatePool(built, ScriptHost("streams"))
    pool.record = True
    await pool.start()
    try:
        sent, complete = await _streamed(pool, 5)
        assert sent.count(b"\n") == 5 and complete.ok and complete.body == b""  # the stream carried the body
        assert recorder.keep("streams", "1", built, complete)
        _flush_within(recorder)
        (listed,) = recorder.store.list("streams")
        data = recorder.store.get("streams", listed["id"])
        assert data is not None
        rec = Recording.from_jsonl(data)
        assert rec.result["body"] == {"text": sent.decode()}
        assert len(rec.steps) > 1  # the body was written over several crossings (timers between chunks)
        replayed = await replay(rec, built)
        assert replayed.divergence is None, replayed.divergence
        assert replayed.result is not None and replayed.result.body == sent
        assert replayed.differences() == []
        assert [e.message for e in replayed.result.logs] == [f"chunk {i}" for i in range(5)]

        monkeypatch.setattr(isolate_module, "RECORD_STREAMED_BODY_MAX", 3000)  # past it: not recordable
        sent, complete = await _streamed(pool, 3)
        assert sent.count(b"\n") == 3 and complete.ok
        assert complete.recording is not None and complete.recording.body_cut
        assert not recorder.keep("streams", "1", built, complete)
    finally:
        await pool.stop()
        recorder.close()


UPLOAD = """
export default {
  async fetch(request: Request) {
    const reader = request.body!.getReader();
    const sizes: number[] = [];
    let sum = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sizes.push(value.length);
      for (const b of value) sum = (sum * 31 + b) >>> 0;
    }
    console.log("pieces", sizes.length, Date.now());
    return Response.json({ sizes, sum, id: crypto.randomUUID() });
  },
};
"""


async def test_an_upload_streamed_in_is_recorded_and_replays_as_it_was_read(make_project: Any, tmp_path: Path,
                                                                          monkeypatch: Any) -> None:
    # The server streams uploads over 64 KiB (or chunked) into the isolate as they arrive: the script reads
    # pieces whose sizes depend on when the bytes came, and waits (body.wait) when none had. The recording
    # keeps what each read gave, so the replay reads the same pieces and waits at the same points.
    from runtime.webapi.request_body import RequestBody

    root = make_project({"src/index.ts": UPLOAD},
                        'name = "upload"\nmain = "src/index.ts"\n[recordings]\nsample = 1.0\n', name="upload")
    built = await bundle(root)
    recorder = ServerRecorder(SqliteRecordingStore(tmp_path / "rec.sqlite3"))
    pool = IsolatePool(built, ScriptHost("upload"))
    pool.record = True
    await pool.start()
    data = bytes(range(256)) * 800  # 204,800 bytes, not UTF-8: the recording holds them as base64

    async def upload(body: RequestBody, parts: list[bytes]) -> InvocationResult:
        """Invoke, then push ``parts`` one by one, each once the script has read all that came before."""
        task = asyncio.ensure_future(pool.invoke(HttpRequest("POST", "http://localhost/up", body_stream=body)))
        for part in parts:
            for _ in range(6000):  # bounded: the script reads what arrived within a crossing or two
                if body._buffered == 0:
                    break
                await asyncio.sleep(0.01)
            body.push(part)
        for _ in range(6000):
            if body._buffered == 0:
                break
            await asyncio.sleep(0.01)
        body.end()
        return await asyncio.wait_for(task, 120)

    try:
        body = RequestBody(None)  # chunked: no declared length
        live = await upload(body, [data[:10_000], data[10_000:150_000], data[150_000:]])
        assert live.ok, live.error
        sizes = json.loads(live.body)["sizes"]
        assert sum(sizes) == len(data) and len(sizes) >= 3  # read as it arrived, in several pieces
        assert recorder.keep("upload", "1", built, live)
        _flush_within(recorder)
        (listed,) = recorder.store.list("upload")
        rec = Recording.from_jsonl(recorder.store.get("upload", listed["id"]) or b"")
        assert rec.trigger["stream"]["length"] is None and None in rec.trigger["stream"]["reads"]  # it waited
        assert rec.trigger["body"]["b64"]  # the bytes it read
        for _ in range(2):  # a recording replays as often as asked (the debugger replays from the start)
            replayed = await replay(rec, built)
            assert replayed.divergence is None, replayed.divergence
            assert replayed.result is not None and replayed.result.body == live.body  # same pieces, same sum
            assert replayed.differences() == []

        monkeypatch.setattr(isolate_module, "RECORD_STREAMED_BODY_MAX", 100_000)  # past it: not recordable
        body = RequestBody(len(data))
        cut = await upload(body, [data[:120_000], data[120_000:]])
        assert cut.ok and sum(json.loads(cut.body)["sizes"]) == len(data)
        assert not recorder.keep("upload", "1", built, cut)
        assert recorder.unrecordable == 1
        (refused,) = recorder.not_kept("upload")
        assert refused["what"] == "POST http://localhost/up" and refused["status"] == 200
        assert refused["reason"] == ("its request body was streamed in and read past 100000 bytes "
                                     "(a recording keeps up to 100000 bytes of an upload)")
    finally:
        await pool.stop()
        recorder.close()
