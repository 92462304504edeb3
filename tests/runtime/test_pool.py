"""The isolate pool: warm reuse, state, recycling, queue bound, concurrency, metrics."""

from __future__ import annotations

import asyncio

import pytest

from runtime.bundler import bundle
from runtime.invocation import HttpRequest
from runtime.isolate import ScriptHost
from runtime.manifest import Limits
from runtime.metrics import Metrics
from runtime.pool import IsolatePool

SCRIPT = """
let hits = 0;
const leak: number[][] = [];
export default {
  async fetch(request: Request) {
    const path = new URL(request.url).pathname;
    hits++;
    if (path === "/sleep") await new Promise((r) => setTimeout(r, 150));
    if (path === "/loop") while (true) {}
    if (path === "/throw") throw new Error("nope");
    if (path === "/leak") { for (let i = 0; i < 40; i++) leak.push(new Array(20000).fill(i)); }
    return new Response(String(hits));
  },
};
"""


@pytest.fixture
async def make_pool(make_project):  # type: ignore[no-untyped-def]
    pools: list[IsolatePool] = []

    async def make(limits: str = "", source: str = SCRIPT, **overrides: int) -> IsolatePool:
        root = make_project({"src/index.ts": source},
                            f'name = "pool"\nmain = "src/index.ts"\n[limits]\ntimeout_ms = 1000\n{limits}')
        built = await bundle(root)
        lim = Limits(**{**built.manifest.limits.__dict__, **overrides})
        pool = IsolatePool(built, ScriptHost("pool"), metrics=Metrics(), limits=lim)
        await pool.start()
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        await pool.stop()


async def get(pool: IsolatePool, path: str = "/"):  # type: ignore[no-untyped-def]
    return await pool.invoke(HttpRequest(url=f"http://x{path}"))


async def test_warm_isolate_is_reused_and_keeps_module_state(make_pool) -> None:
    pool = await make_pool(min_idle=1, max_isolates=2)
    assert pool.statistics().idle == 1
    bodies = [(await get(pool)).body for _ in range(3)]
    assert bodies == [b"1", b"2", b"3"]
    stats = pool.statistics()
    assert stats.created == 1  # sequential requests never needed a second isolate
    await pool.stop()


async def test_recycles_after_timeout_and_next_request_succeeds(make_pool) -> None:
    pool = await make_pool(min_idle=0, max_isolates=1)
    assert (await get(pool)).body == b"1"
    timed_out = await get(pool, "/loop")
    assert timed_out.outcome == "timeout" and timed_out.limit == "timeout_ms"
    after = await get(pool)
    assert after.ok and after.body == b"1"  # a fresh isolate: module state starts over
    assert pool.statistics().recycled == 1
    await pool.stop()


async def test_recycles_after_n_invocations(make_pool) -> None:
    pool = await make_pool(min_idle=0, max_isolates=1, max_invocations=2)
    assert [(await get(pool)).body for _ in range(5)] == [b"1", b"2", b"1", b"2", b"1"]
    assert pool.statistics().recycled == 2
    await pool.stop()


async def test_leaking_script_is_recycled_before_or_at_the_limit(make_pool) -> None:
    pool = await make_pool("memory_mb = 24\n", min_idle=0, max_isolates=1)
    outcomes = [(await get(pool, "/leak")).outcome for _ in range(12)]
    assert pool.statistics().recycled >= 1
    assert outcomes[-1] in {"ok", "memory"}
    assert (await get(pool)).ok
    await pool.stop()


async def test_top_level_error_retires_isolate(make_pool) -> None:
    pool = await make_pool(source='throw new Error("at load");\nexport default {};\n', min_idle=0, max_isolates=1)
    first = await get(pool)
    assert first.outcome == "error" and first.error.kind == "load"
    assert pool.statistics().recycled == 1
    await pool.stop()


async def test_concurrency_across_isolates(make_pool) -> None:
    pool = await make_pool(min_idle=0, max_isolates=3)
    results = await asyncio.gather(*(get(pool, "/sleep") for _ in range(3)))
    assert all(r.ok for r in results)
    assert len({r.isolate_id for r in results}) == 3
    await pool.stop()


async def test_queue_bound_gives_503_with_retry_after(make_pool) -> None:
    pool = await make_pool(min_idle=0, max_isolates=1, max_queue=2)
    results = await asyncio.gather(*(get(pool, "/sleep") for _ in range(6)))
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["ok", "ok", "ok", "rejected", "rejected", "rejected"]
    rejected = next(r for r in results if r.outcome == "rejected")
    assert rejected.status == 503 and ("retry-after", "1") in rejected.headers and rejected.limit == "queue"
    assert pool.statistics().rejected == 3 and pool.statistics().busy == 0
    await pool.stop()


async def test_queue_timeout_names_the_limit(make_pool) -> None:
    pool = await make_pool(min_idle=0, max_isolates=1, queue_timeout_ms=50)
    slow, waiting = await asyncio.gather(get(pool, "/sleep"), get(pool, "/sleep"))
    assert slow.ok and waiting.outcome == "rejected"
    assert "queue_timeout_ms (50 ms)" in waiting.error.message
    await pool.stop()


async def test_metrics_record_every_outcome(make_pool) -> None:
    pool = await make_pool(min_idle=0, max_isolates=1, max_queue=0)
    batches: list[list] = []
    sub = pool.metrics.subscribe(batches.append)
    await get(pool)
    await get(pool, "/throw")
    await get(pool, "/loop")
    await asyncio.gather(get(pool, "/sleep"), get(pool, "/sleep"))
    await asyncio.sleep(pool.metrics.batch_interval * 3)
    delivered = [rec for batch in batches for rec in batch]
    assert [r.outcome for r in delivered] == ["ok", "error", "timeout", "rejected", "ok"]
    assert len(batches) < len(delivered)  # batched, not one callback per invocation
    ok = next(r for r in delivered if r.outcome == "ok")
    assert ok.route == "/" and ok.method == "GET" and ok.status == 200 and ok.heap_used > 0
    stats = pool.metrics.statistics()
    assert stats.count == 5 and stats.by_outcome["error"] == 1
    text = pool.metrics.prometheus_text().decode()
    assert 'isoplay_invocations_total{outcome="timeout",script="pool",trigger="fetch"} 1.0' in text
    sub.close()
    await pool.stop()


# ---- batching: jobs queued in one loop turn share a crossing --------------------------------------------

async def test_concurrent_jobs_share_crossings_and_run_in_order(make_pool) -> None:
    pool = await make_pool(min_idle=1, max_isolates=1)
    results = await asyncio.gather(*(get(pool) for _ in range(40)))
    assert [r.body for r in results] == [str(i).encode() for i in range(1, 41)]  # one at a time, in order
    stats = pool.statistics()
    assert stats.invocations == 40
    assert stats.batches < 10  # 40 jobs went in a handful of crossings, not 40


async def test_a_job_waiting_on_a_timer_ends_its_batch_and_the_rest_run_after_it(make_pool) -> None:
    pool = await make_pool(min_idle=1, max_isolates=1)
    paths = ["/", "/", "/sleep", "/", "/"]
    results = await asyncio.gather(*(get(pool, p) for p in paths))
    assert all(r.ok for r in results), [r.error for r in results]
    assert [r.body for r in results] == [b"1", b"2", b"3", b"4", b"5"]
    assert results[3].queue_ms >= 100  # waited behind the sleeping one, on the only isolate


async def test_a_runaway_job_in_a_batch_times_out_alone(make_pool) -> None:
    pool = await make_pool(min_idle=1, max_isolates=1)
    paths = ["/", "/", "/loop", "/", "/"]
    results = await asyncio.gather(*(get(pool, p) for p in paths))
    assert [r.outcome for r in results] == ["ok", "ok", "timeout", "ok", "ok"]
    assert results[2].limit == "timeout_ms"
    assert [results[0].body, results[1].body] == [b"1", b"2"]  # finished before the runaway: delivered
    assert [results[3].body, results[4].body] == [b"1", b"2"]  # after it: a fresh isolate
    assert pool.statistics().recycled == 1


async def test_a_job_cancelled_before_it_starts_never_runs(make_pool) -> None:
    pool = await make_pool(min_idle=1, max_isolates=1)
    slow = asyncio.ensure_future(get(pool, "/sleep"))
    await asyncio.sleep(0.02)  # the isolate is now busy with the sleeping job
    waiting = asyncio.ensure_future(get(pool))
    await asyncio.sleep(0.01)
    assert pool.statistics().queued == 1
    waiting.cancel()
    assert (await slow).body == b"1"
    assert (await get(pool)).body == b"2"  # the cancelled job did not count a hit


async def test_batches_respect_max_invocations(make_pool) -> None:
    pool = await make_pool(min_idle=1, max_isolates=1, max_invocations=3)
    results = await asyncio.gather(*(get(pool) for _ in range(7)))
    assert [r.body for r in results] == [b"1", b"2", b"3", b"1", b"2", b"3", b"1"]
