"""The profiler's chart data: records and pool samples in, plot-ready series out (no Qt).

``ProfilerModel`` is fed by the controller from metrics batches and computes a
``ProfilerFrame`` for a time window; the widget draws a frame and nothing else.
Times on the x axis are seconds since the model started (or was cleared); ``ProfilerFrame.origin`` is that
start as epoch seconds, so the charts can label the axis with the wall-clock time.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np

from runtime.metrics import InvocationRecord
from runtime.pool import PoolStatistics

MAX_RECORDS = 200_000
"""Records kept for charts and CSV export (oldest dropped first)."""

MARKER_OUTCOMES = ("error", "timeout", "memory", "rejected")
"""Outcomes drawn as markers; ``recycle`` markers come from pool samples."""

WINDOWS = {"30 s": 30.0, "5 min": 300.0, "all": None}
"""Time windows offered by the panel."""


@dataclass(frozen=True)
class PoolSample:
    """The pool's occupancy at one moment."""

    time: float
    """Epoch seconds."""
    stats: PoolStatistics


@dataclass(frozen=True)
class Series:
    """One line: x (seconds since start) and y values."""

    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class ProfilerFrame:
    """Everything the charts show for one redraw."""

    heap_used: dict[int, Series]
    """Heap used per isolate id."""
    heap_total: dict[int, Series]
    """Heap total per isolate id."""
    heap_limit: float
    """The isolate memory limit in bytes (0: unknown)."""
    latency: Series
    """Every invocation's latency (scatter)."""
    p50: Series
    p95: Series
    p99: Series
    """Latency percentiles per one-second bucket."""
    throughput: Series
    """Invocations per second, per one-second bucket."""
    queue_wait: Series
    busy: Series
    idle: Series
    markers: dict[str, np.ndarray]
    """x positions of error/timeout/memory/rejected/recycle events."""
    marker_points: dict[str, Series]
    """The same events with their latency as y (0 for a recycle), for drawing them on the latency chart."""
    count: int
    """Records in the window."""
    x_range: tuple[float, float]
    origin: float = 0.0
    """Epoch seconds of x = 0 (wall-clock axis labels)."""


def _empty() -> Series:
    return Series(np.empty(0), np.empty(0))


class ProfilerModel:
    """Accumulated invocation records and pool samples."""

    def __init__(self, start: float, capacity: int = MAX_RECORDS) -> None:
        self.start = start
        self.records: deque[InvocationRecord] = deque(maxlen=capacity)
        self.samples: deque[PoolSample] = deque(maxlen=capacity)
        self.heap_limit = 0.0
        self.version = 0
        """Bumped on every change, so the controller redraws only when needed."""

    def add(self, records: Iterable[InvocationRecord], samples: Iterable[PoolSample] = ()) -> None:
        """Append a batch."""
        self.records.extend(records)
        self.samples.extend(samples)
        self.version += 1

    def clear(self, now: float) -> None:
        """Forget everything; x restarts at 0."""
        self.records.clear()
        self.samples.clear()
        self.start = now
        self.version += 1

    def frame(self, now: float, window_s: float | None) -> ProfilerFrame:
        """The series for the last ``window_s`` seconds (None: everything)."""
        lo = self.start if window_s is None else max(self.start, now - window_s)
        recs = [r for r in self.records if r.time >= lo]
        samples = [s for s in self.samples if s.time >= lo]
        t = np.fromiter((r.time - self.start for r in recs), float, len(recs))
        lat = np.fromiter((r.latency_ms for r in recs), float, len(recs))
        queue = np.fromiter((r.queue_ms for r in recs), float, len(recs))
        p50, p95, p99, rate = _bucketed(t, lat)
        used, total = _heap_series(recs, self.start)
        busy, idle, recycled = _pool_series(samples, self.start)
        points = {o: Series(np.array([r.time - self.start for r in recs if r.outcome == o], float),
                            np.array([r.latency_ms for r in recs if r.outcome == o], float)) for o in MARKER_OUTCOMES}
        points["recycle"] = Series(recycled.astype(float), np.zeros(len(recycled)))
        markers = {kind: series.x for kind, series in points.items()}
        return ProfilerFrame(used, total, self.heap_limit, Series(t, lat), p50, p95, p99, rate, Series(t, queue),
                             busy, idle, markers, points, len(recs), self._x_range(lo, now, recs, samples),
                             self.start)

    def _x_range(self, lo: float, now: float, recs: list[InvocationRecord], samples: list[PoolSample]) -> tuple[float, float]:
        """From the first event in the window (not the window's start: a run that began 2 s ago fills the
        chart instead of its last 2 s) to now."""
        first = min([r.time for r in recs[:1]] + [s.time for s in samples[:1]], default=lo)
        begin = max(lo, first - 1.0) - self.start
        end = max(now - self.start, begin + 1.0)
        return begin, end

    def to_csv(self) -> str:
        """Every record kept, as CSV with a header row."""
        names = [f.name for f in fields(InvocationRecord)]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(names)
        for rec in self.records:
            writer.writerow([getattr(rec, n) for n in names])
        return out.getvalue()


def _bucketed(t: np.ndarray, lat: np.ndarray) -> tuple[Series, Series, Series, Series]:
    """p50/p95/p99 and invocations/s per whole second of x."""
    if not len(t):
        return _empty(), _empty(), _empty(), _empty()
    sec = np.floor(t).astype(int)
    keys, inverse, counts = np.unique(sec, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    groups = np.split(lat[order], np.cumsum(counts)[:-1])
    x = keys.astype(float) + 0.5
    pcts = np.array([np.percentile(g, [50, 95, 99]) for g in groups])
    return (Series(x, pcts[:, 0]), Series(x, pcts[:, 1]), Series(x, pcts[:, 2]),
            Series(x, counts.astype(float)))


def _heap_series(recs: list[InvocationRecord], start: float) -> tuple[dict[int, Series], dict[int, Series]]:
    points: dict[int, list[tuple[float, int, int]]] = {}
    for r in recs:
        if r.isolate_id >= 0 and r.heap_used:
            points.setdefault(r.isolate_id, []).append((r.time - start, r.heap_used, r.heap_total))
    used = {i: Series(np.array([p[0] for p in ps]), np.array([p[1] for p in ps], float)) for i, ps in points.items()}
    total = {i: Series(np.array([p[0] for p in ps]), np.array([p[2] for p in ps], float)) for i, ps in points.items()}
    return used, total


def _pool_series(samples: list[PoolSample], start: float) -> tuple[Series, Series, np.ndarray]:
    if not samples:
        return _empty(), _empty(), np.empty(0)
    x = np.array([s.time - start for s in samples])
    busy = np.array([s.stats.busy for s in samples], float)
    idle = np.array([s.stats.idle for s in samples], float)
    recycled = np.array([s.stats.recycled for s in samples])
    steps = np.nonzero(np.diff(recycled) > 0)[0] + 1
    return Series(x, busy), Series(x, idle), x[steps]
