"""Load runs against real scripts: counts, errors, percentiles, heap growth, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runtime.loadrun import LoadSpec, format_summary, percentile, pool_heap_probe, run_load
from runtime.service import ProjectRuntime

EVERY_TENTH_FAILS = """
let n = 0;
export default {
  async fetch(request: Request) {
    n++;
    if (n % 10 === 0) throw new Error("every tenth");
    return new Response("ok " + n);
  },
};
"""

LEAKS = """
const kept: number[][] = [];
export default {
  async fetch() { kept.push(new Array(50000).fill(1)); return new Response(String(kept.length)); },
};
"""

ONE_ISOLATE = 'name = "{name}"\nmain = "src/index.ts"\n[limits]\nmin_idle = 1\nmax_isolates = 1\n'


@pytest.fixture
async def runtime_factory(make_project):  # type: ignore[no-untyped-def]
    started: list[ProjectRuntime] = []

    async def make(source: str, manifest: str = ONE_ISOLATE, name: str = "load") -> ProjectRuntime:
        root = make_project({"src/index.ts": source}, manifest.format(name=name), name=name)
        rt = ProjectRuntime(root)
        report = await rt.start()
        assert report.ok, report.error
        started.append(rt)
        return rt

    yield make
    for rt in started:
        await rt.stop()


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([], 0.5) == 0.0


def test_spec_needs_a_bound() -> None:
    with pytest.raises(ValueError):
        LoadSpec()
    with pytest.raises(ValueError):
        LoadSpec(count=1, concurrency=0)


async def test_every_tenth_request_fails(runtime_factory) -> None:
    rt = await runtime_factory(EVERY_TENTH_FAILS)
    summary = await run_load(rt.invoke, _get(), LoadSpec(count=500, concurrency=4), label="GET /")
    assert summary.count == 500
    assert summary.errors == {"error": 50}
    assert summary.error_count == 50
    assert sum(c for _b, c in summary.histogram) == 500
    assert 0 < summary.p50_ms <= summary.p95_ms <= summary.p99_ms <= summary.max_ms
    assert summary.rps > 0
    assert rt.metrics.statistics().by_outcome == {"ok": 450, "error": 50}
    assert "errors: 50 (error 50)" in format_summary(summary)


async def test_heap_growth_of_a_leaking_script(runtime_factory) -> None:
    rt = await runtime_factory(LEAKS)
    probe = pool_heap_probe(lambda: rt.pool)
    summary = await run_load(rt.invoke, _get(), LoadSpec(count=60, concurrency=1), heap_probe=probe)
    # 60 arrays of 50000 small ints (4+ bytes each) are kept
    assert summary.heap_growth_bytes > 60 * 50000 * 4
    steady = await runtime_factory(EVERY_TENTH_FAILS, name="steady")
    flat = await run_load(steady.invoke, _get(), LoadSpec(count=60, concurrency=1),
                          heap_probe=pool_heap_probe(lambda: steady.pool))
    assert flat.heap_growth_bytes < summary.heap_growth_bytes / 5


async def test_duration_bound_and_cancel(runtime_factory) -> None:
    rt = await runtime_factory(EVERY_TENTH_FAILS)
    timed = await run_load(rt.invoke, _get(), LoadSpec(duration_s=0.3, concurrency=2))
    # no count bound: only the duration stops it (the upper bound only says it stopped at all; how
    # far past 0.3 s the in-flight invocations end depends on the machine's load)
    assert 0.3 <= timed.duration_s < 10
    assert timed.count > 0
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int) -> None:
        seen.append(done)
        if done >= 5:
            cancel.set()

    cut = await run_load(rt.invoke, _get(), LoadSpec(count=100_000, concurrency=1), cancel=cancel, progress=progress)
    assert cut.cancelled and cut.count < 100_000 and seen


def _get():  # type: ignore[no-untyped-def]
    from runtime.invocation import HttpRequest

    return HttpRequest(url="http://localhost/")


def test_isoplay_load_json(make_project) -> None:
    root: Path = make_project({"src/index.ts": EVERY_TENTH_FAILS}, ONE_ISOLATE.format(name="cli"), name="cli")
    proc = subprocess.run([sys.executable, "-m", "app.cli", "load", str(root), "--request", "GET /x",
                           "-n", "200", "-c", "4", "--json"],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert proc.returncode == 1, proc.stderr  # some invocations failed
    data = json.loads(proc.stdout)
    assert {"count", "errors", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "heap_growth_bytes"} <= data.keys()
    assert data["count"] == 200
    assert data["errors"] == {"error": 20}
    assert data["p50_ms"] <= data["p99_ms"] <= data["max_ms"]


def test_isoplay_load_human(make_project) -> None:
    root: Path = make_project({"src/index.ts": LEAKS}, ONE_ISOLATE.format(name="human"), name="human")
    proc = subprocess.run([sys.executable, "-m", "app.cli", "load", str(root), "-n", "50"],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert proc.returncode == 0, proc.stderr
    assert "50 requests in" in proc.stdout and "heap growth: +" in proc.stdout
