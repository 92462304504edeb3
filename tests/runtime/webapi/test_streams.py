"""WHATWG Streams in the isolate: what the spec (and the WPT streams tests) say these do.

Each case is an async function body run in a real isolate with the prelude, and the
value the Streams standard says it returns.
"""

from __future__ import annotations

import pytest

CASES: list[tuple[str, str, object]] = [
    # ---- ReadableStream basics and backpressure --------------------------------------
    ("pull fills the queue up to the high-water mark", """
        let pulls = 0;
        const s = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); } }, new CountQueuingStrategy({ highWaterMark: 3 }));
        await Promise.resolve(); await Promise.resolve(); await Promise.resolve(); await Promise.resolve();
        for (let i = 0; i < 10; i++) await Promise.resolve();
        return pulls;""", 3),
    ("desiredSize counts down as chunks queue", """
        let ctrl; new ReadableStream({ start(c) { ctrl = c; } }, { highWaterMark: 2 });
        const a = ctrl.desiredSize; ctrl.enqueue("x"); const b = ctrl.desiredSize; ctrl.enqueue("y"); ctrl.enqueue("z");
        return [a, b, ctrl.desiredSize];""", [2, 1, -1]),
    ("reads come in order, then done", """
        const s = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } });
        const r = s.getReader();
        return [await r.read(), await r.read(), await r.read()];""",
     [{"value": 1, "done": False}, {"value": 2, "done": False}, {"done": True}]),
    ("a second reader is refused while locked", """
        const s = new ReadableStream(); s.getReader();
        try { s.getReader(); return "no"; } catch (e) { return [e.name, s.locked]; }""", ["TypeError", True]),
    ("controller.error rejects reads and closed with that error", """
        const boom = new Error("boom");
        const s = new ReadableStream({ start(c) { c.error(boom); } });
        const r = s.getReader();
        const read = await r.read().then(() => "ok", (e) => e === boom);
        const closed = await r.closed.then(() => "ok", (e) => e === boom);
        return [read, closed];""", [True, True]),
    ("a throwing start() makes the constructor throw", """
        try { new ReadableStream({ start() { throw new RangeError("no"); } }); return "no"; } catch (e) { return e.name; }""",
     "RangeError"),
    ("a rejecting start() errors the stream", """
        const s = new ReadableStream({ start() { return Promise.reject(new URIError("later")); } });
        return await s.getReader().read().then(() => "ok", (e) => e.name);""", "URIError"),
    ("cancel reaches the source with its reason and ends reads", """
        let got;
        const s = new ReadableStream({ start(c) { c.enqueue("a"); }, cancel(r) { got = r; } });
        const r = s.getReader();
        await r.cancel("why");
        return [got, await r.read()];""", ["why", {"done": True}]),
    ("cancel on a locked stream rejects", """
        const s = new ReadableStream(); s.getReader();
        return await s.cancel().then(() => "ok", (e) => e.name);""", "TypeError"),
    ("releaseLock unlocks and rejects pending reads", """
        const s = new ReadableStream(); const r = s.getReader();
        const p = r.read(); r.releaseLock();
        return [await p.then(() => "ok", (e) => e.name), s.locked];""", ["TypeError", False]),
    ("async iteration reads every chunk", """
        const s = new ReadableStream({ start(c) { for (const x of "abc") c.enqueue(x); c.close(); } });
        const out = []; for await (const x of s) out.push(x); return out;""", ["a", "b", "c"]),
    ("breaking out of async iteration cancels the stream", """
        let reason = "not cancelled";
        const s = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel(r) { reason = r; } });
        for await (const x of s) break;
        return [reason, s.locked];""", [None, False]),
    ("values({ preventCancel: true }) leaves the stream readable", """
        let cancelled = false;
        const s = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel() { cancelled = true; } });
        for await (const x of s.values({ preventCancel: true })) break;
        return [cancelled, s.locked];""", [False, False]),
    ("ReadableStream.from an array", """
        const out = []; for await (const x of ReadableStream.from([1, 2, 3])) out.push(x); return out;""", [1, 2, 3]),
    ("ReadableStream.from an async generator", """
        async function* g() { yield "x"; yield "y"; }
        const r = ReadableStream.from(g()).getReader();
        return [(await r.read()).value, (await r.read()).value, (await r.read()).done];""", ["x", "y", True]),
    ("ReadableStream.from a non-iterable throws", """
        try { ReadableStream.from(5); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    # ---- byte streams and BYOB -------------------------------------------------------
    ("a BYOB read fills the caller's view", """
        const s = new ReadableStream({ type: "bytes", pull(c) {
          const v = c.byobRequest.view; v[0] = 7; v[1] = 8; c.byobRequest.respond(2); } });
        const r = s.getReader({ mode: "byob" });
        const { value, done } = await r.read(new Uint8Array(4));
        return [Array.from(value), value.byteLength, value.buffer.byteLength, done];""", [[7, 8], 2, 4, False]),
    ("an enqueued chunk larger than the view is split across BYOB reads", """
        const s = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.close(); } });
        const r = s.getReader({ mode: "byob" });
        const a = await r.read(new Uint8Array(2)), b = await r.read(new Uint8Array(2)), c = await r.read(new Uint8Array(2));
        const d = await r.read(new Uint8Array(2));
        return [Array.from(a.value), Array.from(b.value), Array.from(c.value), d.done];""", [[1, 2], [3, 4], [5], True]),
    ("read(view, { min }) waits for at least min elements", """
        const s = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1])); c.enqueue(new Uint8Array([2, 3])); } });
        const r = s.getReader({ mode: "byob" });
        const { value } = await r.read(new Uint8Array(4), { min: 3 });
        return Array.from(value);""", [1, 2, 3]),
    ("BYOB readers need a byte stream", """
        try { new ReadableStream().getReader({ mode: "byob" }); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("a BYOB read of a zero-length view is refused", """
        const s = new ReadableStream({ type: "bytes" });
        return await s.getReader({ mode: "byob" }).read(new Uint8Array(0)).then(() => "ok", (e) => e.name);""", "TypeError"),
    ("autoAllocateChunkSize gives default readers a byobRequest", """
        const s = new ReadableStream({ type: "bytes", autoAllocateChunkSize: 16, pull(c) {
          const v = c.byobRequest.view; v[0] = v.byteLength; c.byobRequest.respond(1); } });
        const { value } = await s.getReader().read();
        return Array.from(value);""", [16]),
    ("byte streams refuse non-view chunks", """
        let err; new ReadableStream({ type: "bytes", start(c) { try { c.enqueue("x"); } catch (e) { err = e.name; } } });
        return err;""", "TypeError"),
    # ---- tee ---------------------------------------------------------------------------
    ("tee gives both branches every chunk", """
        const [a, b] = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } }).tee();
        const all = async (s) => { const o = []; for await (const x of s) o.push(x); return o; };
        return [await all(a), await all(b)];""", [[1, 2], [1, 2]]),
    ("cancelling both tee branches cancels the source with both reasons", """
        let reason;
        const [a, b] = new ReadableStream({ cancel(r) { reason = r; } }).tee();
        await Promise.all([a.cancel("r1"), b.cancel("r2")]);
        return reason;""", ["r1", "r2"]),
    ("an error reaches both tee branches", """
        let ctrl; const [a, b] = new ReadableStream({ start(c) { ctrl = c; } }).tee();
        ctrl.error(new SyntaxError("bad"));
        return [await a.getReader().read().catch((e) => e.name), await b.getReader().read().catch((e) => e.name)];""",
     ["SyntaxError", "SyntaxError"]),
    # ---- WritableStream ------------------------------------------------------------------
    ("writes reach the sink in order, close after them", """
        const log = [];
        const w = new WritableStream({ write(c) { log.push(c); }, close() { log.push("close"); } }).getWriter();
        w.write("a"); w.write("b"); await w.close();
        return log;""", ["a", "b", "close"]),
    ("writer.desiredSize and ready follow the strategy (backpressure)", """
        let release; const w = new WritableStream({ write() { return new Promise((r) => { release = r; }); } },
                                                  new CountQueuingStrategy({ highWaterMark: 2 })).getWriter();
        await w.ready;
        w.write(1); w.write(2); w.write(3);
        const size = w.desiredSize;
        let ready = false; w.ready.then(() => { ready = true; });
        for (let i = 0; i < 5; i++) await Promise.resolve();
        const before = ready;
        release(); for (let i = 0; i < 10; i++) await Promise.resolve();
        release(); for (let i = 0; i < 10; i++) await Promise.resolve();
        return [size, before, ready];""", [-1, False, True]),
    ("a sink error errors the stream and later writes", """
        const w = new WritableStream({ write() { throw new TypeError("sink"); } }).getWriter();
        const first = await w.write("x").catch((e) => e.name);
        const later = await w.write("y").catch((e) => e.name);
        return [first, later, await w.closed.catch((e) => e.message)];""", ["TypeError", "TypeError", "sink"]),
    ("abort reaches the sink with its reason", """
        let got; const s = new WritableStream({ abort(r) { got = r; } });
        await s.abort("stop");
        return [got, await s.getWriter().closed.catch((e) => e)];""", ["stop", "stop"]),
    ("a closed writable refuses writes", """
        const w = new WritableStream().getWriter(); await w.close();
        return await w.write("x").catch((e) => e.name);""", "TypeError"),
    # ---- TransformStream, pipes ---------------------------------------------------------------
    ("pipeThrough a TransformStream", """
        const up = new TransformStream({ transform(c, ctl) { ctl.enqueue(String(c).toUpperCase()); } });
        const out = []; for await (const x of ReadableStream.from(["a", "b"]).pipeThrough(up)) out.push(x);
        return out;""", ["A", "B"]),
    ("flush runs at the end and may enqueue", """
        const ts = new TransformStream({ transform() {}, flush(c) { c.enqueue("end"); } });
        const out = []; for await (const x of ReadableStream.from([1, 2]).pipeThrough(ts)) out.push(x); return out;""", ["end"]),
    ("terminate() closes the readable side and errors the writable side", """
        const ts = new TransformStream({ start(c) { c.terminate(); } });
        const w = ts.writable.getWriter();
        return [await ts.readable.getReader().read(), await w.write(1).catch((e) => e.name)];""",
     [{"done": True}, "TypeError"]),
    ("an identity TransformStream exerts backpressure on its writer", """
        const ts = new TransformStream(); const w = ts.writable.getWriter();
        await w.ready; const a = w.desiredSize; w.write("x"); return [a, w.desiredSize];""", [1, 0]),
    ("pipeTo writes every chunk and closes the destination", """
        const got = []; let closed = false;
        await ReadableStream.from([1, 2, 3]).pipeTo(new WritableStream({ write(c) { got.push(c); }, close() { closed = true; } }));
        return [got, closed];""", [[1, 2, 3], True]),
    ("pipeTo with preventClose leaves the destination open", """
        let closed = false; const dest = new WritableStream({ close() { closed = true; } });
        await ReadableStream.from([1]).pipeTo(dest, { preventClose: true });
        return [closed, dest.locked];""", [False, False]),
    ("a source error aborts the destination", """
        let aborted; const src = new ReadableStream({ start(c) { c.error("bad source"); } });
        const r = await src.pipeTo(new WritableStream({ abort(x) { aborted = x; } })).catch((e) => e);
        return [r, aborted];""", ["bad source", "bad source"]),
    ("a destination error cancels the source", """
        let cancelled; const src = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel(r) { cancelled = r.message; } });
        const r = await src.pipeTo(new WritableStream({ write() { throw new Error("bad sink"); } })).catch((e) => e.message);
        return [r, cancelled];""", ["bad sink", "bad sink"]),
    ("aborting a pipe's signal rejects with the reason, aborts the sink and cancels the source", """
        const ac = new AbortController(); let aborted, cancelled;
        const src = new ReadableStream({ cancel(r) { cancelled = r.name; } });
        const p = src.pipeTo(new WritableStream({ abort(r) { aborted = r.name; } }), { signal: ac.signal });
        ac.abort();
        const e = await p.catch((x) => x);
        return [e instanceof DOMException, e.name, e.code === DOMException.ABORT_ERR, aborted, cancelled];""",
     [True, "AbortError", True, "AbortError", "AbortError"]),
    ("an already-aborted signal stops the pipe before any chunk", """
        const got = []; const signal = AbortSignal.abort(new RangeError("early"));
        const e = await ReadableStream.from([1]).pipeTo(new WritableStream({ write(c) { got.push(c); } }), { signal }).catch((x) => x.name);
        return [e, got];""", ["RangeError", []]),
    ("pipeTo refuses a locked source", """
        const s = new ReadableStream(); s.getReader();
        return await s.pipeTo(new WritableStream()).catch((e) => e.name);""", "TypeError"),
    # ---- queuing strategies ------------------------------------------------------------------
    ("ByteLengthQueuingStrategy measures byteLength", """
        const q = new ByteLengthQueuingStrategy({ highWaterMark: 16 });
        return [q.highWaterMark, q.size(new Uint8Array(5)), q.size.name];""", [16, 5, "size"]),
    ("CountQueuingStrategy counts chunks", """
        const q = new CountQueuingStrategy({ highWaterMark: 4 }); return [q.highWaterMark, q.size("anything")];""", [4, 1]),
    ("a strategy needs a highWaterMark", """
        try { new CountQueuingStrategy({}); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("a negative highWaterMark is a RangeError", """
        try { new ReadableStream({}, { highWaterMark: -1 }); return "no"; } catch (e) { return e.name; }""", "RangeError"),
    # ---- encoding streams ----------------------------------------------------------------------
    ("TextEncoderStream joins a surrogate pair split across chunks", """
        const out = []; const s = ReadableStream.from(["a\\uD83D", "\\uDE00b"]).pipeThrough(new TextEncoderStream());
        for await (const c of s) out.push(...c); return out;""", [97, 240, 159, 152, 128, 98]),
    ("TextEncoderStream ends a lone high surrogate with U+FFFD", """
        const out = []; for await (const c of ReadableStream.from(["\\uD83D"]).pipeThrough(new TextEncoderStream())) out.push(...c);
        return out;""", [0xEF, 0xBF, 0xBD]),
    ("TextDecoderStream joins a character split across chunks", """
        const parts = [new Uint8Array([0xE2, 0x82]), new Uint8Array([0xAC, 0x21])];
        let s = ""; for await (const c of ReadableStream.from(parts).pipeThrough(new TextDecoderStream())) s += c;
        return s;""", "\u20ac!"),
    ("a fatal TextDecoderStream errors on bad bytes", """
        const s = ReadableStream.from([new Uint8Array([0xFF])]).pipeThrough(new TextDecoderStream("utf-8", { fatal: true }));
        return await s.getReader().read().catch((e) => e.name);""", "TypeError"),
    ("a fatal TextDecoderStream errors on a truncated end", """
        const s = ReadableStream.from([new Uint8Array([0xE2, 0x82])]).pipeThrough(new TextDecoderStream("utf-8", { fatal: true }));
        return await s.getReader().read().catch((e) => e.name);""", "TypeError"),
    ("TextDecoderStream exposes its decoder's attributes", """
        const d = new TextDecoderStream("utf-16le", { fatal: true });
        return [d.encoding, d.fatal, d.ignoreBOM, new TextEncoderStream().encoding];""", ["utf-16le", True, False, "utf-8"]),
    # ---- Workers' byte transform streams ----------------------------------------------------------
    ("IdentityTransformStream passes bytes and allows BYOB reads", """
        const { readable, writable } = new IdentityTransformStream(); const w = writable.getWriter();
        w.write(new Uint8Array([1, 2, 3])); w.close();
        const r = readable.getReader({ mode: "byob" });
        const a = await r.read(new Uint8Array(2)), b = await r.read(new Uint8Array(2)), c = await r.read(new Uint8Array(2));
        return [Array.from(a.value), Array.from(b.value), c.done, new IdentityTransformStream() instanceof TransformStream];""",
     [[1, 2], [3], True, True]),
    ("IdentityTransformStream refuses string chunks", """
        const { writable } = new IdentityTransformStream();
        return await writable.getWriter().write("text").catch((e) => e.name);""", "TypeError"),
    ("FixedLengthStream passes exactly its length", """
        const { readable, writable } = new FixedLengthStream(3); const w = writable.getWriter();
        w.write(new Uint8Array([1, 2])); w.write(new Uint8Array([3])); w.close();
        return Array.from(new Uint8Array(await new Response(readable).arrayBuffer()));""", [1, 2, 3]),
    ("FixedLengthStream refuses more bytes than declared", """
        const { writable } = new FixedLengthStream(2);
        return await writable.getWriter().write(new Uint8Array(3)).catch((e) => e.name);""", "TypeError"),
    ("FixedLengthStream refuses to close short", """
        const { readable, writable } = new FixedLengthStream(5); const w = writable.getWriter();
        const read = new Response(readable).arrayBuffer().catch((e) => e.name);
        await w.write(new Uint8Array(2));
        return [await w.close().catch((e) => e.name), await read];""", ["TypeError", "TypeError"]),
    # ---- bodies are streams ---------------------------------------------------------------------------
    ("a Response body is a byte stream (BYOB)", """
        const r = new Response("hello").body.getReader({ mode: "byob" });
        const { value } = await r.read(new Uint8Array(3));
        return new TextDecoder().decode(value);""", "hel"),
    ("reading a body through its reader marks it used", """
        const res = new Response("x"); await res.body.getReader().read();
        return [res.bodyUsed, await res.text().catch((e) => e.name)];""", [True, "TypeError"]),
    ("a stream body is read back in full", """
        const s = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.enqueue(new TextEncoder().encode("!")); c.close(); } });
        return await new Response(s).text();""", "hi!"),
    ("clone() tees a stream body", """
        const a = new Response(ReadableStream.from([new Uint8Array([1, 2])]));
        const b = a.clone();
        return [Array.from(new Uint8Array(await a.arrayBuffer())), Array.from(new Uint8Array(await b.arrayBuffer()))];""",
     [[1, 2], [1, 2]]),
    ("a locked stream cannot become a body", """
        const s = new ReadableStream(); s.getReader();
        try { new Response(s); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("an erroring body stream rejects text()", """
        const s = new ReadableStream({ start(c) { c.error(new RangeError("mid")); } });
        return await new Response(s).text().catch((e) => e.name);""", "RangeError"),
    ("a Request body is readable as a stream", """
        const req = new Request("http://x/", { method: "POST", body: "abc" });
        const out = []; for await (const c of req.body) out.push(...c); return [out, req.bodyUsed];""", [[97, 98, 99], True]),
]


@pytest.mark.parametrize("body, expected", [(b, e) for _, b, e in CASES], ids=[name for name, _, _ in CASES])
def test_streams(js, body: str, expected: object) -> None:
    assert js.wait(body) == expected


def test_globals_are_interfaces(js) -> None:
    names = ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
             "ReadableStreamDefaultController", "ReadableByteStreamController", "WritableStream",
             "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream",
             "TransformStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
             "TextEncoderStream", "TextDecoderStream", "IdentityTransformStream", "FixedLengthStream",
             "CompressionStream", "DecompressionStream"]
    got = js("[" + ",".join(f"typeof {n} === 'function' && Object.keys(globalThis).indexOf('{n}') < 0" for n in names) + "]")
    assert got == [True] * len(names)
    assert js("Object.prototype.toString.call(new ReadableStream())") == "[object ReadableStream]"
    assert js("(() => { try { new ReadableStreamDefaultController(); return 'no'; } catch (e) { return e.name; } })()") \
        == "TypeError"
