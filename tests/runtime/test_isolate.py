"""Invocations in real isolates: handlers, errors mapped to TypeScript, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.errors import BundleError
from runtime.invocation import EventTrigger, HttpRequest, RunTrigger, ScheduledTrigger
from runtime.runner import run_once

LIMITS = '[limits]\ntimeout_ms = 400\nmemory_mb = 24\n'


def manifest(extra: str = "") -> str:
    return f'name = "t"\nmain = "src/index.ts"\n{extra}'


async def test_fetch_returns_response_with_logs_and_env(make_project) -> None:
    root = make_project({"src/index.ts": """
export default {
  async fetch(request: Request, env: any) {
    console.log("hello", request.method, new URL(request.url).pathname);
    console.warn("careful");
    return new Response(`${env.GREETING} ${await request.text()}`, { status: 201, headers: { "x-a": "1" } });
  },
};"""}, manifest('[vars]\nGREETING = "hi"\n'))
    result = await run_once(root, HttpRequest("POST", "http://localhost/p?q=1", (("content-type", "text/plain"),), b"body"))
    assert result.outcome == "ok", result.error
    assert (result.status, result.body) == (201, b"hi body")
    assert ("x-a", "1") in result.headers
    assert [(e.level, e.message) for e in result.logs] == [("log", "hello POST /p"), ("warn", "careful")]
    assert result.heap_used > 0 and result.heap_total >= result.heap_used


async def test_all_four_triggers(make_project) -> None:
    root = make_project({"src/index.ts": """
export default {
  async fetch() { return new Response("f"); },
  async scheduled(c: any) { console.log("cron", c.cron, c.scheduledTime); },
  async event(e: any) { return { got: e.name, n: e.payload.n + 1 }; },
  async run(input: any) { return input.map((x: number) => x * 2); },
};"""})
    cron = await run_once(root, ScheduledTrigger("*/5 * * * *", 1_700_000_000.0))
    assert cron.ok and cron.logs[0].message == "cron */5 * * * * 1700000000000"
    event = await run_once(root, EventTrigger("signup", {"n": 1}))
    assert event.value == {"got": "signup", "n": 2}
    once = await run_once(root, RunTrigger([1, 2]))
    assert once.value == [2, 4]


async def test_thrown_exception_has_typescript_stack(make_project) -> None:
    root = make_project({
        "src/index.ts": 'import { check } from "./check";\nexport default {\n  fetch() {\n    check(-1);\n    return new Response("x");\n  },\n};\n',
        "src/check.ts": "export function check(n: number) {\n  if (n < 0) {\n    throw new RangeError(`negative: ${n}`);\n  }\n}\n",
    })
    result = await run_once(root, HttpRequest())
    assert result.outcome == "error"
    assert result.error.summary() == "src/check.ts:3:11: RangeError: negative: -1"
    assert "at check (src/check.ts:3:11)" in result.error.stack
    assert "src/index.ts:4:5" in result.error.stack


async def test_top_level_throw_is_a_load_error(make_project) -> None:
    root = make_project({"src/index.ts": 'const x: any = null;\nx.boom();\nexport default { fetch() { return new Response("") } };\n'})
    result = await run_once(root, HttpRequest())
    assert result.outcome == "error" and result.error.kind == "load"
    assert str(result.error.location) == "src/index.ts:2:3"


@pytest.mark.parametrize(("source", "message"), [
    ('export const x = 1;\n', "no default export"),
    ('export default { run() {} };\n', "has no fetch() handler"),
    ('export default { fetch() { return { hi: 1 }; } };\n', "returned Object; expected a Response"),
    ('export default { fetch() { return "text"; } };\n', "returned string; expected a Response"),
])
async def test_contract_errors_are_clear(make_project, source: str, message: str) -> None:
    result = await run_once(make_project({"src/index.ts": source}), HttpRequest())
    assert result.outcome == "error" and message in result.error.message


async def test_endless_loop_stops_at_timeout_and_names_it(make_project) -> None:
    root = make_project({"src/index.ts": 'export default { fetch() { console.log("spin"); while (true) {} } };\n'},
                        manifest(LIMITS))
    result = await run_once(root, HttpRequest())
    assert (result.outcome, result.limit) == ("timeout", "timeout_ms")
    assert "timeout_ms (400 ms)" in result.error.message
    assert [e.message for e in result.logs] == ["spin"]
    assert 390 <= result.duration_ms < 3000


async def test_waiting_past_timeout_is_a_timeout(make_project) -> None:
    root = make_project({"src/index.ts": 'export default { async fetch() { await new Promise(r => setTimeout(r, 5000)); return new Response(""); } };\n'},
                        manifest(LIMITS))
    result = await run_once(root, HttpRequest())
    assert (result.outcome, result.limit) == ("timeout", "timeout_ms")


async def test_unbounded_allocation_stops_at_memory_limit(make_project) -> None:
    root = make_project({"src/index.ts": 'export default { fetch() { const a: number[][] = []; while (true) a.push(new Array(50000).fill(7)); } };\n'},
                        manifest(LIMITS.replace("400", "20000")))
    result = await run_once(root, HttpRequest())
    assert (result.outcome, result.limit) == ("memory", "memory_mb")
    assert "memory_mb (24 MB)" in result.error.message


async def test_timers_and_wait_until(make_project) -> None:
    root = make_project({"src/index.ts": """
export default {
  async fetch(req: Request, env: unknown, ctx: any) {
    const order: string[] = [];
    await new Promise((r) => setTimeout(() => { order.push("timeout"); r(null); }, 20));
    queueMicrotask(() => order.push("micro"));
    await null;
    ctx.waitUntil(new Promise((r) => setTimeout(() => { console.log("after response"); r(null); }, 10)));
    const id = setTimeout(() => console.log("never"), 5);
    clearTimeout(id);
    return new Response(order.join(","));
  },
};"""})
    result = await run_once(root, HttpRequest())
    assert result.body == b"timeout,micro"
    assert [e.message for e in result.logs] == ["after response"]


async def test_promise_that_never_settles_is_reported(make_project) -> None:
    root = make_project({"src/index.ts": 'export default { async fetch() { await new Promise(() => {}); return new Response(""); } };\n'})
    result = await run_once(root, HttpRequest())
    assert result.outcome == "error" and "will never settle" in result.error.message


async def test_eval_is_disallowed_like_workers(make_project) -> None:
    root = make_project({"src/index.ts": 'export default { run() { try { return (0, eval)("1+1"); } catch (e) { return String(e); } } };\n'})
    result = await run_once(root, RunTrigger())
    assert "Code generation from strings disallowed" in result.value


async def test_syntax_error_is_a_bundle_error(make_project) -> None:
    root = make_project({"src/index.ts": "export default {\n  fetch( {\n};\n"})
    with pytest.raises(BundleError) as info:
        await run_once(root, HttpRequest())
    assert str(info.value.diagnostics[0].location).startswith("src/index.ts:")


async def test_an_incoming_request_is_normalised_lazily_and_read_only(make_project) -> None:
    root = make_project({"src/index.ts": """
export default {
  async fetch(request: Request) {
    let frozen = "no";
    try { request.headers.set("x", "1"); } catch (e) { frozen = (e as Error).message; }
    const clone = request.clone();
    return Response.json({ url: request.url, cloneUrl: clone.url, host: request.headers.get("HOST"),
      aborted: request.signal.aborted, frozen, body: await clone.text() });
  },
};"""}, manifest())
    result = await run_once(root, HttpRequest("POST", "http://Example.COM/a/../b%7e?q=1#f",
                                              (("Host", "example.com"), ("X-Pad", "  v  ")), b"data"))
    assert result.outcome == "ok", result.error
    import json
    data = json.loads(result.body)
    assert data == {"url": "http://example.com/b%7e?q=1#f", "cloneUrl": "http://example.com/b%7e?q=1#f",
                    "host": "example.com", "aborted": False, "frozen": "Can't modify immutable headers.",
                    "body": "data"}


async def test_a_response_with_a_streamed_body_is_still_read(make_project) -> None:
    root = make_project({"src/index.ts": """
export default {
  fetch() {
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("a")); c.enqueue("b"); c.close(); } });
    return new Response(body);
  },
};"""}, manifest())
    result = await run_once(root, HttpRequest())
    assert result.outcome == "ok", result.error
    assert result.body == b"ab"


async def test_json_edge_values_cross_both_ways(make_project) -> None:
    root = make_project({"src/index.ts": """
export default {
  run(input: any) { return { big: input.big, lone: "a\\ud800b", back: input.text }; },
};"""}, manifest())
    result = await run_once(root, RunTrigger({"big": 2 ** 70, "text": "é \u2028 😀"}))
    assert result.outcome == "ok", result.error
    assert result.value == {"big": float(2 ** 70), "lone": "a\ud800b", "back": "é \u2028 😀"}


@pytest.fixture
def polling():  # type: ignore[no-untyped-def]
    """Crossings poll for their result before they sleep (as under isoplay dev)."""
    from runtime import engine

    engine.poll_for_results(0.002)
    yield
    engine.poll_for_results(0.0)


async def test_polling_for_results_keeps_answers_and_limits(make_project, polling) -> None:
    ok = make_project({"src/index.ts": 'export default { async fetch(r: Request) { await null; return new Response("hi " + new URL(r.url).pathname); } };\n'},
                      manifest(LIMITS), name="ok")
    result = await run_once(ok, HttpRequest(url="http://localhost/a"))
    assert (result.outcome, result.status, result.body) == ("ok", 200, b"hi /a")
    spin = make_project({"src/index.ts": 'export default { fetch() { while (true) {} } };\n'}, manifest(LIMITS), name="spin")
    result = await run_once(spin, HttpRequest())
    assert (result.outcome, result.limit) == ("timeout", "timeout_ms")
