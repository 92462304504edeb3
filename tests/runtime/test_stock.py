"""Ready isolates: pools taking isolates from a stock behave exactly like pools creating their own."""

from __future__ import annotations

import pytest

from runtime.bundler import bundle
from runtime.invocation import HttpRequest
from runtime.isolate import ScriptHost
from runtime.metrics import Metrics
from runtime.pool import IsolatePool
from runtime.stock import IsolateStock

COUNTER = """
let hits = 0;
console.log("top level of", "%NAME%");
export default {
  fetch(request: Request) {
    hits++;
    console.log("handling", new URL(request.url).pathname);
    return new Response(`%NAME% ${hits}`);
  },
};
"""
THROWS = """
function fail(n: number): never {
  throw new RangeError("bad " + n);
}
export default { fetch() { return fail(7); } };
"""
LEAKS = """
const leak: number[][] = [];
export default {
  fetch() {
    for (let i = 0; i < 100; i++) leak.push(new Array(100000).fill(i));  // ~40 MB: over 16, under 128
    return new Response(String(leak.length));
  },
};
"""


@pytest.fixture
async def stock():  # type: ignore[no-untyped-def]
    made = IsolateStock(size=2)
    await made.filled()
    yield made
    made.close()


@pytest.fixture
async def pools(make_project, stock):  # type: ignore[no-untyped-def]
    made: list[IsolatePool] = []

    async def make(name: str, source: str, limits: str = "") -> IsolatePool:
        root = make_project({"src/index.ts": source.replace("%NAME%", name)},
                            f'name = "{name}"\nmain = "src/index.ts"\n[limits]\nmin_idle = 1\n{limits}', name=name)
        pool = IsolatePool(await bundle(root), ScriptHost(name), metrics=Metrics(), stock=stock)
        await pool.start()
        made.append(pool)
        return pool

    yield make
    for pool in made:
        await pool.stop()


async def get(pool: IsolatePool, path: str = "/"):  # type: ignore[no-untyped-def]
    return await pool.invoke(HttpRequest(url=f"http://x{path}"))


async def test_pools_of_different_scripts_take_ready_isolates_and_share_nothing(pools, stock) -> None:
    a = await pools("a", COUNTER)
    b = await pools("b", COUNTER)
    assert stock.taken == 2 and stock.missed == 0
    first = await get(a, "/one")
    assert first.ok and first.body == b"a 1"
    # the first invocation's logs are its own: none from the warm-up request or handler
    assert [entry.message for entry in first.logs] == ["handling /one"]
    assert (await get(a)).body == b"a 2"
    assert (await get(b)).body == b"b 1"  # module state is per isolate, never shared
    await stock.filled()
    assert stock.ready == 2


GLOBALS = """
export default {
  fetch() {
    const names = Object.getOwnPropertyNames(globalThis).sort();
    return new Response(JSON.stringify([names, typeof (globalThis as any).__isoplay_module]));
  },
};
"""


async def test_a_ready_isolate_looks_like_a_fresh_one_to_the_script(pools, stock, make_project) -> None:
    stocked = await pools("stocked", GLOBALS)
    assert stock.taken == 1
    root = make_project({"src/index.ts": GLOBALS}, name="fresh")
    fresh = IsolatePool(await bundle(root), ScriptHost("fresh"), metrics=Metrics())
    await fresh.start()
    try:
        seen_fresh = (await get(fresh)).body
    finally:
        await fresh.stop()
    assert (await get(stocked)).body == seen_fresh


async def test_errors_in_a_ready_isolate_map_to_typescript_lines(pools, stock) -> None:
    pool = await pools("thrower", THROWS)
    assert stock.taken == 1
    result = await get(pool)
    assert result.outcome == "error" and result.error is not None
    assert result.error.name == "RangeError" and result.error.message == "bad 7"
    assert (result.error.frames[0].file, result.error.frames[0].line) == ("src/index.ts", 3)


async def test_a_ready_isolate_gets_its_scripts_memory_limit(pools, stock) -> None:
    pool = await pools("leaky", LEAKS, "memory_mb = 16\n")
    assert stock.taken == 1
    result = await get(pool)
    assert result.outcome == "memory" and result.limit == "memory_mb"
    again = await get(pool)  # recycled: a fresh isolate (from the stock again) answers
    assert again.outcome == "memory" and pool.statistics().recycled >= 1
    assert stock.taken >= 2


async def test_an_empty_or_closed_stock_falls_back_to_creating(make_project) -> None:
    stock = IsolateStock(size=0)
    root = make_project({"src/index.ts": COUNTER.replace("%NAME%", "c")})
    pool = IsolatePool(await bundle(root), ScriptHost("c"), metrics=Metrics(), stock=stock)
    await pool.start()
    try:
        assert (await get(pool)).body == b"c 1"
        assert stock.missed >= 1 and stock.taken == 0
        stock.close()
        assert stock.take() is None
    finally:
        await pool.stop()
