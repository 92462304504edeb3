"""Load runs: fire one trigger N times (or for a duration) at concurrency C.

Used by ``isoplay load`` and by the IDE's load-run form. The run drives any
``invoke(trigger) -> InvocationResult`` coroutine function (normally
``ProjectRuntime.invoke`` or ``IsolatePool.invoke``), so it measures the same
path a real request takes: queueing, warm isolates, recycling.

The summary reports exact percentiles (from every latency of the run, not
bucket bounds), errors by outcome, throughput and heap growth. Heap growth is
measured per isolate as the last ``heap_used`` seen minus the first one seen
during the run, summed over every isolate that served the run; an isolate
that climbs request after request shows up here even while the pool recycles.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.invocation import InvocationResult, Trigger
from runtime.metrics import LATENCY_BUCKETS_MS, LatencyHistogram

Invoke = Callable[[Trigger], Awaitable[InvocationResult]]
"""The coroutine function a load run calls once per request."""

HeapProbe = Callable[[], dict[int, int]]
"""Reads ``{isolate id: heap used bytes}`` of the live isolates (on the runtime loop)."""


def pool_heap_probe(pool_of: Callable[[], Any]) -> HeapProbe:
    """A probe reading the heap of every live isolate of ``pool_of()`` (an IsolatePool or None).

    Invocation results carry a heap sample taken at most every 250 ms per
    isolate, so a short run needs this exact reading at its start and end.
    """

    def probe() -> dict[int, int]:
        pool = pool_of()
        if pool is None:
            return {}
        return {isolate.id: int(isolate.v8.heap()[0]) for isolate in pool.isolates()}

    return probe


@dataclass(frozen=True)
class LoadSpec:
    """What to run: a request count, a duration, or both (whichever ends first)."""

    count: int | None = None
    """Stop after this many invocations (None: no count bound)."""
    duration_s: float | None = None
    """Stop starting new invocations after this many seconds (None: no time bound)."""
    concurrency: int = 1
    """Invocations kept in flight at once."""

    def __post_init__(self) -> None:
        if self.count is None and self.duration_s is None:
            raise ValueError("a load run needs a count or a duration")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.count is not None and self.count < 0:
            raise ValueError("count must not be negative")


@dataclass(frozen=True)
class LoadSummary:
    """The outcome of one load run."""

    count: int
    """Invocations completed."""
    errors: dict[str, int]
    """Failed invocations by outcome (error, timeout, memory, rejected)."""
    duration_s: float
    """Wall time of the run."""
    rps: float
    """Invocations per second of wall time."""
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    heap_growth_bytes: int
    """Sum over isolates of last minus first ``heap_used`` seen in the run."""
    histogram: tuple[tuple[float, int], ...]
    """(bucket upper bound in ms, count); the last bound is ``inf``."""
    concurrency: int = 1
    label: str = ""
    """What was run (e.g. ``GET /``), for listing past runs."""
    cancelled: bool = False
    started_at: float = field(default_factory=time.time)
    """Epoch seconds when the run started."""

    @property
    def error_count(self) -> int:
        """Total failed invocations."""
        return sum(self.errors.values())

    def to_json(self) -> dict[str, Any]:
        """The object ``isoplay load --json`` prints."""
        return {
            "count": self.count, "errors": dict(self.errors), "error_count": self.error_count,
            "rps": round(self.rps, 2), "p50_ms": round(self.p50_ms, 3), "p95_ms": round(self.p95_ms, 3),
            "p99_ms": round(self.p99_ms, 3), "max_ms": round(self.max_ms, 3), "mean_ms": round(self.mean_ms, 3),
            "heap_growth_bytes": self.heap_growth_bytes, "duration_s": round(self.duration_s, 3),
            "concurrency": self.concurrency, "cancelled": self.cancelled,
            "histogram": [{"le_ms": None if math.isinf(b) else b, "count": c} for b, c in self.histogram],
        }


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank q-quantile (0 < q <= 1) of an ascending list (0.0 if empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_ms(result: InvocationResult) -> float:
    """The latency a caller sees: queue wait plus run time."""
    return result.duration_ms + result.queue_ms


class _Collector:
    """Accumulates results of a run (on the runtime loop, so no lock)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.first_heap: dict[int, int] = {}
        self.last_heap: dict[int, int] = {}
        self.histogram = LatencyHistogram()

    def add(self, result: InvocationResult) -> None:
        value = latency_ms(result)
        self.latencies.append(value)
        self.histogram.add(value)
        if result.outcome != "ok":
            self.errors[result.outcome] = self.errors.get(result.outcome, 0) + 1
        if result.isolate_id >= 0 and result.heap_used:
            self.first_heap.setdefault(result.isolate_id, result.heap_used)
            self.last_heap[result.isolate_id] = result.heap_used

    def probe(self, readings: dict[int, int], *, at_start: bool) -> None:
        """Fold exact heap readings in: start readings become the first, end readings the last."""
        for isolate_id, used in readings.items():
            if at_start:
                self.first_heap[isolate_id] = used
            elif isolate_id in self.first_heap:
                self.last_heap[isolate_id] = used

    def heap_growth(self) -> int:
        return sum(self.last_heap[i] - self.first_heap[i] for i in self.last_heap)

    def summary(self, spec: LoadSpec, elapsed: float, label: str, cancelled: bool, started_at: float) -> LoadSummary:
        ordered = sorted(self.latencies)
        count = len(ordered)
        bounds = (*LATENCY_BUCKETS_MS, math.inf)
        return LoadSummary(
            count=count, errors=dict(sorted(self.errors.items())), duration_s=elapsed,
            rps=count / elapsed if elapsed > 0 else 0.0,
            p50_ms=percentile(ordered, 0.5), p95_ms=percentile(ordered, 0.95), p99_ms=percentile(ordered, 0.99),
            max_ms=ordered[-1] if ordered else 0.0, mean_ms=sum(ordered) / count if count else 0.0,
            heap_growth_bytes=self.heap_growth(),
            histogram=tuple(zip((float(b) for b in bounds), self.histogram.counts, strict=True)),
            concurrency=spec.concurrency, label=label, cancelled=cancelled, started_at=started_at,
        )


async def run_load(invoke: Invoke, trigger: Trigger, spec: LoadSpec, *, label: str = "",
                   cancel: threading.Event | None = None,
                   progress: Callable[[int], None] | None = None,
                   heap_probe: HeapProbe | None = None) -> LoadSummary:
    """Run ``trigger`` as ``spec`` says and summarise.

    Args:
        invoke: Runs one trigger (``ProjectRuntime.invoke`` or ``IsolatePool.invoke``).
        trigger: The trigger fired every time.
        spec: Count and/or duration, and concurrency.
        label: A name for the run, kept in the summary.
        cancel: Set from any thread to stop starting new invocations; the
            summary then covers those that completed and has ``cancelled``.
        progress: Called on the runtime loop with the completed count, at
            most every 100 ms.
        heap_probe: Reads exact heap figures before and after the run (see
            :func:`pool_heap_probe`); without it the per-result samples are used.

    Returns:
        The summary of the invocations that completed.
    """
    collector = _Collector()
    if heap_probe is not None:
        collector.probe(heap_probe(), at_start=True)
    started_at = time.time()
    start = time.perf_counter()
    deadline = None if spec.duration_s is None else start + spec.duration_s
    issued = 0
    last_progress = start

    def may_start() -> bool:
        nonlocal issued
        if cancel is not None and cancel.is_set():
            return False
        if spec.count is not None and issued >= spec.count:
            return False
        if deadline is not None and time.perf_counter() >= deadline:
            return False
        issued += 1
        return True

    async def worker() -> None:
        nonlocal last_progress
        while may_start():
            collector.add(await invoke(trigger))
            # A warm invocation may complete without ever suspending; yield so the
            # loop's timers (metrics flushes, the HTTP server, cron) keep running.
            await asyncio.sleep(0)
            now = time.perf_counter()
            if progress is not None and now - last_progress >= 0.1:
                last_progress = now
                progress(len(collector.latencies))

    await asyncio.gather(*(worker() for _ in range(spec.concurrency)))
    elapsed = time.perf_counter() - start
    if heap_probe is not None:
        collector.probe(heap_probe(), at_start=False)
    if progress is not None:
        progress(len(collector.latencies))
    cancelled = cancel is not None and cancel.is_set()
    return collector.summary(spec, elapsed, label, cancelled, started_at)


def format_summary(summary: LoadSummary) -> str:
    """The human-readable rendering ``isoplay load`` prints."""
    errors = ", ".join(f"{k} {v}" for k, v in summary.errors.items()) or "none"
    lines = [
        f"{summary.count} requests in {summary.duration_s:.2f} s at concurrency {summary.concurrency}"
        f"  ({summary.rps:.1f} req/s)",
        f"errors: {summary.error_count} ({errors})",
        f"latency ms: p50 {summary.p50_ms:.2f}  p95 {summary.p95_ms:.2f}  p99 {summary.p99_ms:.2f}"
        f"  max {summary.max_ms:.2f}  mean {summary.mean_ms:.2f}",
        f"heap growth: {summary.heap_growth_bytes:+,} bytes",
        "histogram:",
    ]
    peak = max((c for _b, c in summary.histogram), default=0) or 1
    for bound, count in summary.histogram:
        if count:
            label = "   +inf" if math.isinf(bound) else f"{bound:>7g}"
            lines.append(f"  <= {label} ms {count:>7}  {'#' * max(1, round(40 * count / peak))}")
    return "\n".join(lines)
