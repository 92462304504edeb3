"""Memory attacks in real isolates: everything a script allocates counts against memory_mb.

The JS heap, ArrayBuffer / typed-array backing stores and WebAssembly memories
all count (runtime/engine.py: V8's external-memory figure is checked after every
full or incremental collection and every 10 ms of a long crossing). Passing the
limit stops the invocation with ``memory_mb`` named, and the isolate is replaced.
RSS figures are printed by bench/attack_memory.py; here only a generous bound
checks that the old failure (2.1 GB for a 128 MB limit) is gone.
"""

from __future__ import annotations

import asyncio

import pytest

from isolate_harness import MB, handler_script, raw_bundle, rss_bytes, run_one, run_raw
from runtime.invocation import RunTrigger
from runtime.isolate import ScriptHost, ScriptIsolate

ATTACKS = [
    pytest.param("const k = []; for (let i = 0; i < 8; i++) k.push(new Uint8Array(64 * 2**20).fill(1));"
                 " return k.length;", id="uint8array-8x64MB"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) k.push(new ArrayBuffer(64 * 2**20)); return k.length;",
                 id="arraybuffer-8x64MB"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) k.push(new Float64Array(8 * 2**20)); return k.length;",
                 id="float64array"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) k.push(new BigInt64Array(8 * 2**20)); return k.length;",
                 id="bigint64array"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) k.push(new DataView(new ArrayBuffer(64 * 2**20)));"
                 " return k.length;", id="dataview"),
    pytest.param("const k = []; for (;;) k.push(new Uint8Array(1 << 16).fill(1));", id="many-small-buffers"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) { const m = new WebAssembly.Memory({ initial: 1024 });"
                 " new Uint8Array(m.buffer).fill(1); k.push(m); } return k.length;", id="wasm-memory-8x64MB"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) { const m = new WebAssembly.Memory({ initial: 1, maximum: 2048 });"
                 " for (let j = 0; j < 4; j++) m.grow(256); k.push(m); } return k.length;", id="wasm-memories-grown"),
    pytest.param("const k = []; for (let i = 0; i < 8; i++) { const b = new ArrayBuffer(1, { maxByteLength: 2 ** 26 });"
                 " b.resize(2 ** 26); k.push(b); } return k.length;", id="resizable-arraybuffers"),
    pytest.param("const a = new Uint8Array(100 * 2**20); const k = [a];"
                 " for (let i = 0; i < 4; i++) k.push(a.slice()); return k.length;", id="typedarray-slice"),
    pytest.param("const a = new ArrayBuffer(100 * 2**20); const k = [a];"
                 " for (let i = 0; i < 4; i++) k.push(structuredClone(k[k.length - 1])); return k.length;",
                 id="structuredClone"),
    pytest.param("let b = new ArrayBuffer(64 * 2**20); const k = [];"
                 " for (let i = 0; i < 6; i++) { k.push(new Uint8Array(b).slice()); } return k.length;",
                 id="copies-of-one-buffer"),
    pytest.param("const s = 'x'.repeat(32 * 2**20); const k = [];"
                 " for (let i = 0; i < 8; i++) k.push(new TextEncoder().encode(s)); return k.length;",
                 id="textencoder-output"),
    pytest.param("const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });", id="growing-map"),
    pytest.param("const s = new Set(); for (let i = 0; ; i++) s.add('k'.repeat(200) + i);", id="growing-set"),
    pytest.param("const k = []; for (let i = 0; ; i++) k.push('x'.repeat(2**20) + i);", id="growing-strings"),
    pytest.param("let s = ''; for (let i = 0; ; i++) s += String(i).padStart(64, '0');", id="concatenated-string"),
    pytest.param("const k = []; for (let i = 0; ; i++) k.push({ a: i, b: [i, i], c: 'v' + i });", id="objects"),
    pytest.param("const k = []; for (;;) k.push(new Array(1e6).fill(1.5));", id="double-arrays"),
    # Structures that grow by many small steps and rehash in large ones (issue 13 point 3's Map):
    pytest.param("const m = new Map(); for (let i = 0; ; i++) m.set(i, { i, s: 'v' + i });", id="growing-map-of-objects"),
    pytest.param("const m = new Map(); for (let i = 0; ; i++) m.set('key' + i, i);", id="map-with-string-keys"),
    pytest.param("const s = new Set(); for (let i = 0; ; i++) s.add(i * 1.5);", id="set-of-numbers"),
    pytest.param("const o = {}; for (let i = 0; ; i++) o['k' + i] = i;", id="object-with-many-keys"),
    pytest.param("const o = {}; for (let i = 0; ; i++) o[i * 7] = { i };", id="object-with-many-index-keys"),
    pytest.param("const k = []; for (let i = 0; ; i++) k.push([i, i + 1, i + 2]);", id="array-of-arrays"),
    pytest.param("let h = null; for (let i = 0; ; i++) h = { next: h, v: i };", id="linked-list"),
    pytest.param("const w = new WeakMap(); const k = []; for (let i = 0; ; i++) { const o = {}; k.push(o); w.set(o, i); }",
                 id="weakmap-with-kept-keys"),
    pytest.param("const k = []; for (let i = 0; ; i++) k.push(() => i);", id="closures"),
    pytest.param("const a = []; for (let i = 0; ; i++) a[i * 10] = i;", id="sparse-array"),
    pytest.param("const k = []; await new Promise(r => { (function step(i) { k.push(new Uint8Array(32 * 2**20));"
                 " Promise.resolve().then(() => step(i + 1)); })(0); }); return k.length;", id="in-microtasks"),
    pytest.param("const k = []; await new Promise(r => { (function step() { k.push(new Uint8Array(32 * 2**20));"
                 " setTimeout(step, 0); })(); }); return 1;", id="in-timers"),
    pytest.param("const k = []; ctx.waitUntil((async () => { for (;;) { k.push(new Uint8Array(32 * 2**20));"
                 " await null; } })()); return 1;", id="in-waitUntil"),
]


@pytest.mark.parametrize("body", ATTACKS)
def test_allocation_past_memory_mb_stops_the_invocation(body: str) -> None:
    before = rss_bytes()
    # timeout_ms is far above what these need (1-10 s at load 8 on 2 cores: V8's own speed at
    # building 128 MB of small objects), so only the memory limit can end them.
    (result, after), isolate = run_raw(handler_script(body), memory_mb=128, timeout_ms=120000, invocations=2)
    assert result.outcome == "memory" and result.limit == "memory_mb", (result.outcome, result.error)
    assert result.error is not None and "memory_mb (128 MB)" in result.error.message
    assert isolate.poisoned
    # The old failure held 2.1 GB for a 128 MB limit; the isolate's memory is gone once it is replaced.
    assert rss_bytes() - before < 600 * MB


HUGE = [
    pytest.param("new Uint8Array(2 ** 34)", "new Uint8Array()", id="uint8array-16GB"),
    pytest.param("new Float64Array(2 ** 31)", "new Float64Array()", id="float64array-16GB"),
    pytest.param("new ArrayBuffer(2 ** 33)", "new ArrayBuffer()", id="arraybuffer-8GB"),
    pytest.param("new ArrayBuffer(8, { maxByteLength: 2 ** 33 })", "new ArrayBuffer()", id="resizable-max-8GB"),
    pytest.param("new SharedArrayBuffer(2 ** 33)", "new SharedArrayBuffer()", id="sharedarraybuffer-8GB"),
    pytest.param("new (new Uint8Array(0)).constructor(2 ** 34)", "new Uint8Array()", id="via-instance-constructor"),
    pytest.param("new (Object.getPrototypeOf(new Uint8Array(0)).constructor)(2 ** 34)", "new Uint8Array()",
                 id="via-prototype-constructor"),
    pytest.param("Reflect.construct(Uint8Array, [2 ** 34])", "new Uint8Array()", id="Reflect-construct"),
    pytest.param("new (class X extends Uint8Array {})(2 ** 34)", "new Uint8Array()", id="subclass"),
    pytest.param("Uint8Array.from({ length: 2 ** 34 })", "new Uint8Array()", id="from-array-like"),
    pytest.param("new Uint8Array({ length: 2 ** 34 })", "new Uint8Array()", id="array-like"),
    pytest.param("new ArrayBuffer(8).transfer(2 ** 33)", "transfer()", id="transfer"),
    pytest.param("new WebAssembly.Memory({ initial: 32768 })", "new WebAssembly.Memory()", id="wasm-memory-2GB"),
    pytest.param("new WebAssembly.Memory({ initial: 1, maximum: 65536 }).grow(32768)", "grow()", id="wasm-grow-2GB"),
    pytest.param("new (new WebAssembly.Memory({ initial: 1 })).constructor({ initial: 32768 })",
                 "new WebAssembly.Memory()", id="wasm-memory-via-constructor"),
]


@pytest.mark.parametrize(("expr", "what"), HUGE)
def test_one_allocation_past_memory_mb_is_refused_before_it_happens(expr: str, what: str) -> None:
    # A builtin (TypedArray#fill) runs to its end before a termination takes effect, so a
    # buffer bigger than the whole limit is refused up front, as in Workers.
    before = rss_bytes()
    result = run_one(handler_script(f"const x = {expr}; new Uint8Array(x.buffer ?? x).fill(1); return 'allocated';"),
                     memory_mb=128)
    assert result.outcome == "error" and result.error is not None, (result.outcome, result.value)
    assert result.error.name == "RangeError" and "Array buffer allocation failed" in result.error.message
    assert what in result.error.message and "memory_mb (128 MB)" in result.error.message
    assert rss_bytes() - before < 300 * MB


def test_memory_kept_across_invocations_adds_up() -> None:
    code = handler_script("globalThis.k = globalThis.k || []; k.push(new Uint8Array(50 * 2**20).fill(1));"
                          " return k.length;")
    results, _ = run_raw(code, memory_mb=128, invocations=4)
    assert [r.outcome for r in results[:2]] == ["ok", "ok"] and [r.value for r in results[:2]] == [1, 2]
    assert "memory" in [r.outcome for r in results[2:]], [(r.outcome, r.value) for r in results]


def test_an_allocation_at_top_level_is_a_load_error_naming_the_limit() -> None:
    result = run_one(handler_script("return 1;", top="const big = []; for (let i = 0; i < 8; i++) big.push(new Uint8Array(32 * 2**20));"),
                     memory_mb=64)
    assert result.outcome == "error" and result.error is not None
    assert result.error.kind == "limit" and "memory_mb (64 MB)" in result.error.message


def test_under_the_limit_everything_works_and_the_figures_include_external_memory() -> None:
    code = handler_script("globalThis.k = new Uint8Array(40 * 2**20).fill(7); return k[123];")
    (result,), _ = run_raw(code, memory_mb=128)
    assert result.outcome == "ok" and result.value == 7
    assert result.heap_used >= 40 * MB, result.heap_used  # the buffer counts


def test_the_isolate_after_a_memory_hit_serves_again() -> None:
    async def go() -> list[str]:
        host = ScriptHost("attack")
        code = handler_script("if (input === 'boom') { const k = []; for (;;) k.push(new Uint8Array(2**24)); }"
                              " return 'fine';")
        bundle = raw_bundle(code, memory_mb=64)
        outcomes = []
        isolate = ScriptIsolate(bundle, host)
        outcomes.append((await isolate.invoke(RunTrigger("boom"))).outcome)
        assert isolate.poisoned
        isolate.close()
        isolate = ScriptIsolate(bundle, host)  # the pool's replacement
        result = await isolate.invoke(RunTrigger("ok"))
        outcomes.append(f"{result.outcome}:{result.value}")
        isolate.close()
        await host.aclose()
        return outcomes

    assert asyncio.run(go()) == ["memory", "ok:fine"]


def test_a_memory_hit_in_a_batch_reports_the_limit() -> None:
    async def go() -> list[str]:
        host = ScriptHost("attack")
        code = handler_script("if (input === 'boom') { const k = []; for (;;) k.push(new ArrayBuffer(2**26)); }"
                              " return input;")
        isolate = ScriptIsolate(raw_bundle(code, memory_mb=64), host)
        batch = isolate.run_batch([RunTrigger("a"), RunTrigger("boom"), RunTrigger("c")])
        isolate.close()
        await host.aclose()
        return [r.outcome for r in batch.results]

    outcomes = asyncio.run(go())
    assert outcomes[0] in ("ok", "memory") and "memory" in outcomes[1:], outcomes


HUGE_BUILTINS = [
    # One builtin call that would build one huge array or string runs inside V8 to its end, past any
    # termination (new Array(2**26).fill(1.5) held ~880 MB for 69 s under a 128 MB limit): refused up front.
    pytest.param("new Array(2 ** 26).fill(1.5)", "Array.prototype.fill()", id="array-fill"),
    pytest.param("Array.from({ length: 2 ** 26 })", "Array.from()", id="array-from-length"),
    pytest.param("'ab'.repeat(2 ** 28)", "String.prototype.repeat()", id="string-repeat"),
    pytest.param("''.padEnd(2 ** 28, 'y')", "String.prototype.padEnd()", id="string-padEnd"),
    pytest.param("'x'.padStart(2 ** 29 - 24)", "String.prototype.padStart()", id="string-padStart"),
    pytest.param("Array.prototype.fill.call({ length: 2 ** 30 }, 0)", "Array.prototype.fill()", id="fill-array-like"),
]


@pytest.mark.parametrize(("expr", "what"), HUGE_BUILTINS)
def test_one_builtin_building_a_huge_array_or_string_is_refused(expr: str, what: str) -> None:
    before = rss_bytes()
    result = run_one(handler_script(f"const x = {expr}; return typeof x;"), memory_mb=128, timeout_ms=20000)
    assert result.outcome == "error" and result.error is not None, (result.outcome, result.value)
    assert result.error.name == "RangeError" and what in result.error.message
    assert "memory_mb (128 MB)" in result.error.message
    assert rss_bytes() - before < 200 * MB


def test_the_same_builtins_under_the_limit_work() -> None:
    result = run_one(handler_script(
        "return [new Array(1000).fill(7).length, Array.from({ length: 3 }, (_, i) => i).join(''),"
        " 'ab'.repeat(3), 'x'.padStart(4, '-'), 'y'.padEnd(3, '.'), new Array(2 ** 20).fill(0).length].join(' ');"),
        memory_mb=128)
    assert result.outcome == "ok", result.error
    assert result.value == "1000 012 ababab ---x y.. 1048576"


# (module (import "env" "mem" (memory 1)) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
GROW_WASM = bytes.fromhex("0061736d01000000" "01060160017f017f" "020c0103656e76036d656d020001"
                          "03020100" "0708010467726f770000" "0a08010600200040000b")


def test_a_wasm_memory_maximum_past_the_limit_is_lowered_so_wasm_cannot_grow_past_it() -> None:
    """memory.grow inside WebAssembly never passes through JS: the maximum itself is lowered to memory_mb."""
    body = ("const mem = new WebAssembly.Memory({ initial: 1, maximum: 65536 });"
            " const grow = new WebAssembly.Instance(__isoplay.wasm('g'), { env: { mem } }).exports.grow;"
            " return [grow(16), grow(4096), mem.buffer.byteLength / 65536].join(' ');")
    result = run_one(handler_script(body), memory_mb=128, wasm={"g": GROW_WASM})
    assert result.outcome == "ok", result.error
    assert result.value == "1 -1 17"  # 16 pages fit; 4096 more (256 MB) fail inside WebAssembly itself


CHURN = [
    pytest.param("for (;;) {}", id="empty-loop"),
    pytest.param("for (;;) { const a = new Array(100000).fill(1.5); }", id="garbage-arrays"),
    pytest.param("for (;;) { let s = 'y'.repeat(1e6) + Math.random(); s = s.toUpperCase(); }", id="garbage-strings"),
    pytest.param("for (;;) { const o = []; for (let i = 0; i < 100000; i++) o.push({ i }); }", id="garbage-objects"),
    pytest.param("for (;;) { new Uint8Array(4 * 2**20).fill(1); }", id="garbage-buffers"),
    pytest.param("const keep = new Uint8Array(100 * 2**20).fill(1); for (;;) { const a = new Array(1e5).fill(keep[0]); }",
                 id="near-the-limit-plus-garbage"),
]


@pytest.mark.parametrize("body", CHURN)
def test_a_loop_that_only_makes_garbage_ends_on_the_timeout_not_memory(body: str) -> None:
    # The memory checks must not turn garbage (collected by V8 as it goes) into a memory hit.
    result = run_one(handler_script(body), memory_mb=128, timeout_ms=1500)
    assert result.outcome == "timeout" and result.limit == "timeout_ms", (result.outcome, result.error)
    assert result.error is not None and "timeout_ms (1500 ms)" in result.error.message


def test_an_isolate_past_memory_mb_runs_no_more_code() -> None:
    # Its memory checks stop at the first hit; a second invocation used to run in it unchecked
    # (up to V8's own 1.4 GB heap limit or the timeout) until the isolate was replaced.
    before = rss_bytes()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # resets VmHWM, the process's peak RSS, to its RSS now
    code = handler_script("const k = globalThis.k = globalThis.k || [];"
                          " if (globalThis.ran) { for (let i = 0; ; i++) k.push({ i, s: 'v' + i }); }"
                          " globalThis.ran = true; for (;;) k.push(new Uint8Array(1 << 16).fill(1));")
    results, isolate = run_raw(code, memory_mb=64, timeout_ms=60000, invocations=2)
    assert [r.outcome for r in results] == ["memory", "memory"], [(r.outcome, r.value) for r in results]
    assert isolate.poisoned
    with open("/proc/self/status", encoding="ascii") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    assert peak - before < 400 * MB, f"peak RSS {peak / MB:.0f} MB, {before / MB:.0f} MB before"
