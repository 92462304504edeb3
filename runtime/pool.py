"""A pool of warm isolates for one script version.

- ``min_idle`` spare isolates are kept ready, so a request does not wait for
  isolate creation; at most ``max_isolates`` exist.
- One invocation at a time per isolate (module globals persist between the
  invocations an isolate serves, as in Workers).
- Beyond ``max_isolates`` busy, invocations queue up to ``max_queue``; more are
  refused at once (503 with Retry-After), and a queued one that waits longer
  than ``queue_timeout_ms`` is refused too. The result names the ``queue`` limit.
- An isolate is replaced after a timeout, a memory-limit hit, a top-level error,
  when its heap passes 80 % of the limit, or after ``max_invocations``.
- Every invocation is recorded in ``Metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, replace

from runtime.bundler import Bundle
from runtime.errors import RuntimeDisposed
from runtime.invocation import ErrorInfo, InvocationResult, Trigger
from runtime.isolate import MB, ScriptHost, ScriptIsolate
from runtime.manifest import Limits
from runtime.metrics import Metrics
from runtime.sourcemap import SourceMap

log = logging.getLogger(__name__)
HEAP_RECYCLE_FRACTION = 0.8


@dataclass(frozen=True)
class PoolStatistics:
    """Live counts of a pool."""

    busy: int
    idle: int
    queued: int
    created: int
    recycled: int
    rejected: int
    invocations: int
    max_isolates: int


class IsolatePool:
    """Warm isolates of one bundle, with limits, queueing and recycling."""

    def __init__(self, bundle: Bundle, host: ScriptHost, *, metrics: Metrics | None = None,
                 limits: Limits | None = None) -> None:
        self.bundle = bundle
        self.host = host
        self.metrics = metrics or Metrics()
        self.limits = limits or bundle.manifest.limits
        self._smap: SourceMap | None = None
        self._idle: list[ScriptIsolate] = []
        self._busy: set[ScriptIsolate] = set()
        self._waiters: deque[asyncio.Future[ScriptIsolate]] = deque()
        self._creating = 0
        self._created = self._recycled = self._rejected = self._invocations = 0
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        """Create the ``min_idle`` warm isolates."""
        self._loop = asyncio.get_running_loop()
        for _ in range(max(self.limits.min_idle, 0)):
            self._idle.append(self._new_isolate())

    async def stop(self) -> None:
        """Refuse new work, wait for in-flight invocations, dispose of every isolate."""
        self._stopped = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(RuntimeDisposed("the pool was stopped"))
        self._waiters.clear()
        while self._busy:
            await asyncio.sleep(0.005)
        for isolate in self._idle:
            isolate.close()
        self._idle.clear()

    async def wait_idle(self) -> None:
        """Wait until no invocation is running or queued."""
        while self._busy or self._waiters:
            await asyncio.sleep(0.005)

    def _new_isolate(self) -> ScriptIsolate:
        if self._smap is None:
            self._smap = self.bundle.decoded_map()
        isolate = ScriptIsolate(self.bundle, self.host, smap=self._smap)
        self._created += 1
        return isolate

    @property
    def size(self) -> int:
        """Isolates alive or being created."""
        return len(self._idle) + len(self._busy) + self._creating

    # ---- acquiring -------------------------------------------------------------
    async def _acquire(self) -> ScriptIsolate:
        if self._stopped:
            raise RuntimeDisposed("the pool is stopped")
        if self._idle:
            isolate = self._idle.pop()
        elif self.size < self.limits.max_isolates:
            isolate = self._new_isolate()
        else:
            if len(self._waiters) >= self.limits.max_queue:
                raise _QueueFull
            waiter: asyncio.Future[ScriptIsolate] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                isolate = await asyncio.wait_for(waiter, self.limits.queue_timeout_ms / 1000)
            except TimeoutError:
                raise _QueueTimeout from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._busy.add(isolate)
        self._top_up()
        return isolate

    def _top_up(self) -> None:
        """Create spare isolates in the background so the next request finds one warm."""
        missing = self.limits.min_idle - len(self._idle) - self._creating
        room = self.limits.max_isolates - self.size
        for _ in range(max(0, min(missing, room))):
            self._creating += 1
            asyncio.get_running_loop().call_soon(self._create_spare)

    def _create_spare(self) -> None:
        self._creating -= 1
        if self._stopped or len(self._idle) >= self.limits.min_idle:
            return
        try:
            self._release(self._new_isolate())
        except Exception:  # an isoplay fault: log it; the next acquire creates on demand
            log.exception("could not create a spare isolate for %s", self.bundle.manifest.name)

    def _release(self, isolate: ScriptIsolate) -> None:
        self._busy.discard(isolate)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._busy.add(isolate)
                waiter.set_result(isolate)
                return
        self._idle.append(isolate)

    def _retire(self, isolate: ScriptIsolate) -> None:
        self._busy.discard(isolate)
        isolate.close()
        self._recycled += 1
        if self._waiters and not self._stopped:
            self._release(self._new_isolate())
        elif not self._stopped:
            self._top_up()

    def _needs_recycling(self, isolate: ScriptIsolate, result: InvocationResult) -> bool:
        if isolate.poisoned:
            return True
        if self.limits.max_invocations and isolate.invocations >= self.limits.max_invocations:
            return True
        return result.heap_used > HEAP_RECYCLE_FRACTION * self.limits.memory_mb * MB

    # ---- invoking --------------------------------------------------------------
    async def invoke(self, trigger: Trigger) -> InvocationResult:
        """Run ``trigger`` on a warm isolate, queueing or refusing as the limits say."""
        queued_at = time.perf_counter()
        try:
            isolate = await self._acquire()
        except (_QueueFull, _QueueTimeout) as exc:
            result = self._rejected_result(trigger, queued_at, full=isinstance(exc, _QueueFull))
            self._record(trigger, result)
            return result
        queue_ms = (time.perf_counter() - queued_at) * 1000
        try:
            result = await isolate.invoke(trigger)
        except BaseException:
            self._retire(isolate)
            raise
        if self._needs_recycling(isolate, result):
            self._retire(isolate)
        else:
            self._release(isolate)
        self._invocations += 1
        if queue_ms >= 0.05:
            result = replace(result, queue_ms=queue_ms)
        self._record(trigger, result)
        return result

    def _record(self, trigger: Trigger, result: InvocationResult) -> None:
        manifest = self.bundle.manifest
        self.metrics.record(manifest.name, manifest.version, trigger, result)

    def _rejected_result(self, trigger: Trigger, queued_at: float, *, full: bool) -> InvocationResult:
        self._rejected += 1
        waited = (time.perf_counter() - queued_at) * 1000
        why = (f"the queue is full ({self.limits.max_queue} waiting for {self.limits.max_isolates} isolates)"
               if full else f"no isolate became free within queue_timeout_ms ({self.limits.queue_timeout_ms} ms)")
        err = ErrorInfo("Error", f"request refused: {why}", "", kind="limit")
        return InvocationResult(trigger=trigger.kind, outcome="rejected", status=503, status_text="Service Unavailable",
                                headers=(("retry-after", "1"), ("content-type", "text/plain; charset=utf-8")),
                                body=f"503 Service Unavailable: {why}\n".encode(), error=err, limit="queue",
                                queue_ms=waited, retry_after=1)

    # ---- introspection ---------------------------------------------------------
    def statistics(self) -> PoolStatistics:
        """Busy/idle/queued/recycled counts."""
        return PoolStatistics(busy=len(self._busy), idle=len(self._idle), queued=len(self._waiters),
                              created=self._created, recycled=self._recycled, rejected=self._rejected,
                              invocations=self._invocations, max_isolates=self.limits.max_isolates)

    def isolates(self) -> list[ScriptIsolate]:
        """The live isolates (idle and busy), for heap snapshots and the profiler."""
        return [*self._idle, *self._busy]

    def __repr__(self) -> str:
        s = self.statistics()
        return f"<IsolatePool {self.bundle.manifest.name} busy={s.busy} idle={s.idle} queued={s.queued}>"


class _QueueFull(Exception):
    """More invocations are waiting than max_queue allows."""


class _QueueTimeout(Exception):
    """A queued invocation waited longer than queue_timeout_ms."""
