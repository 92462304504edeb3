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
- Jobs queued in the same event-loop turn go to an isolate together, in one
  Python-to-V8 crossing (``ScriptIsolate.run_batch``): under load the cost of a
  crossing (a thread hand-off, ~40 us) is shared by up to ``BATCH_MAX`` requests.
  They still run one at a time, in order; a job that waits on host I/O ends its
  batch and keeps its isolate until it settles.
- An isolate whose invocation answered with a WebSocket (101) is *held* for the
  socket's life (``HeldIsolate``, as Workers keeps a socket's isolate): it takes no
  other jobs, still counts against ``max_isolates``, and runs the socket's events
  one at a time under the same ``timeout_ms`` and ``memory_mb``. Released, it goes
  back to the idle list (or is replaced after a limit hit). A hold the front does not
  attach within ``HOLD_ATTACH_S`` is released.
- Batching must not cost parallelism: the pool measures what a job costs (the
  crossing's CPU time per job it started, the lowest of the last few). Cheap
  jobs (under ``OFFLOAD_JOB_MS``, e.g. hello world) cross from the event loop's thread,
  the cheapest hand-off, batched as above. Costly jobs cross from a worker thread
  per isolate, so several isolates run JavaScript in parallel (V8 does, on
  separate cores) and the event loop stays free to read requests, refuse what
  passes ``max_queue`` and expire what waited ``queue_timeout_ms``. Then queued
  jobs are spread over every free isolate first (a batch each, as even as they
  come), and a batch holds only as many as fit its ``BATCH_BUDGET_MS`` by the
  measured cost.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.bundler import Bundle
from runtime.errors import RuntimeDisposed
from runtime.invocation import ErrorInfo, InvocationResult, Trigger
from runtime.isolate import MB, Pending, ScriptHost, ScriptIsolate
from runtime.manifest import Limits
from runtime.metrics import Metrics
from runtime.stock import IsolateStock

log = logging.getLogger(__name__)
HEAP_RECYCLE_FRACTION = 0.8
BATCH_MAX = 32
"""At most this many queued jobs go to an isolate in one crossing."""
BATCHES_PER_TURN = 4
"""Batches one flush runs inline before it lets the event loop take I/O again."""
OFFLOAD_JOB_MS = 0.15
"""A pool whose jobs cost at least this much (ms of CPU per job, see COST_WINDOW) runs its
crossings on worker threads, in parallel; below it they run on the event loop's thread."""
COST_WINDOW = 8
"""The cost of a job is the lowest CPU time per job of the last this many crossings (process CPU
time, so other isolates running in parallel can only make a crossing look costlier)."""
COST_SAMPLES_NEEDED = 3
"""Crossings measured before the CPU cost is trusted."""
COST_SAMPLE_INTERVAL_S = 0.005
"""Once the cost is trusted, a crossing is measured only if this long passed since the last
measured one (at most 200 per second): reading the process CPU clock is a system call that
walks every thread of the process (2-10 us and more on the 2-core VM, two per crossing), as
much as a hello-world request's share of its crossing; ``perf_counter`` is not."""
LONG_CROSSING_MS = 20.0
"""Crossings that keep their thread this long (wall time, even the shortest of the last
COST_WINDOW) run on worker threads whatever their CPU cost, so the event loop is never held."""
BATCH_BUDGET_MS = 2.0
"""A batch for a worker thread holds about this much work by the measured cost (the isolate's
own batch budget stops starting new jobs after the same time)."""
HOLD_ATTACH_S = 10.0
"""How long a WebSocket's held isolate waits for the front to attach the connection."""


class HeldIsolate:
    """One WebSocket's claim on the isolate that created it (see the module docstring)."""

    def __init__(self, pool: IsolatePool, isolate: ScriptIsolate, socket: int, path: str = "") -> None:
        self.pool = pool
        self.isolate = isolate
        self.socket = socket
        self.path = path
        """The path of the request that opened the socket (its events' log route)."""
        self.attached = False
        self.released = False

    async def run(self, trigger: Trigger) -> InvocationResult:
        """Run one of the socket's events on its isolate (one invocation at a time per isolate).

        Raises:
            RuntimeDisposed: the isolate was replaced or the pool stopped.
        """
        if self.released or self.isolate.closed:
            raise RuntimeDisposed("the WebSocket's isolate is gone")
        async with self.pool._held_locks[self.isolate]:
            if self.isolate.closed:
                raise RuntimeDisposed("the WebSocket's isolate is gone")
            result = await self.isolate.invoke(trigger)
        manifest = self.pool.bundle.manifest
        self.pool.metrics.record_many(manifest.name, manifest.version, [(trigger, result)])
        if self.pool.on_socket_result is not None:
            self.pool.on_socket_result(trigger, result)
        return result

    def release(self) -> None:
        """The socket is closed: give the isolate back (once)."""
        if not self.released:
            self.released = True
            self.pool._unhold(self.isolate)


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
    batches: int = 0
    """Crossings that started invocations (``invocations / batches`` is the mean batch size)."""
    offloaded: int = 0
    """Crossings made from worker threads (costly jobs, run in parallel)."""
    job_cost_ms: float = 0.0
    """What one job costs in a crossing (CPU, the lowest of the recent crossings, per job)."""
    crossing_ms: float = 0.0
    """How long a crossing holds its thread (wall, the lowest of the recent crossings)."""
    max_queue_ms: float = 0.0
    """Longest a started job waited in the queue."""


class Job:
    """One submitted invocation: its trigger and who gets the result."""

    __slots__ = ("cancelled", "on_done", "submitted", "trigger")

    def __init__(self, trigger: Trigger, on_done: OnDone) -> None:
        self.trigger = trigger
        self.on_done = on_done
        self.submitted = time.perf_counter()
        self.cancelled = False

    def cancel(self) -> None:
        """Drop the job if it has not started (its caller went away); a started one runs to its end."""
        self.cancelled = True


OnDone = Callable[["InvocationResult | BaseException"], None]
"""Receives an invocation's result, or the exception that stopped isoplay from producing one."""


class IsolatePool:
    """Warm isolates of one bundle, with limits, queueing, batching and recycling."""

    def __init__(self, bundle: Bundle, host: ScriptHost, *, metrics: Metrics | None = None,
                 limits: Limits | None = None, stock: IsolateStock | None = None) -> None:
        """``stock``: ready isolates shared with the runtime's other pools (see runtime/stock.py)."""
        self.bundle = bundle
        self.stock = stock
        self.host = host
        self.metrics = metrics or Metrics()
        self.limits = limits or bundle.manifest.limits
        self._idle: list[ScriptIsolate] = []
        self._busy: set[ScriptIsolate] = set()
        self._held: dict[ScriptIsolate, int] = {}
        """Isolates kept by open WebSockets, with how many sockets each."""
        self._held_locks: dict[ScriptIsolate, asyncio.Lock] = {}
        self.on_socket_result: Callable[[Trigger, InvocationResult], None] | None = None
        """Gets each WebSocket event's result (its logs), as a job's caller gets a request's."""
        self._pending: deque[Job] = deque()
        self._flush_handle: asyncio.Handle | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._drivers: set[asyncio.Task[None]] = set()
        self._creating = 0
        self._created = self._recycled = self._rejected = self._invocations = 0
        self._batches = 0
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.job_cost_ms = 0.0
        """What one job costs in a crossing (CPU time; see ``COST_WINDOW`` and ``OFFLOAD_JOB_MS``)."""
        self.crossing_ms = 0.0
        """How long a crossing holds its thread (wall time, the lowest of the last ``COST_WINDOW``)."""
        self._costs: deque[tuple[float, float]] = deque(maxlen=COST_WINDOW)
        self._measured_at = 0.0
        self._executor: ThreadPoolExecutor | None = None
        self._offloaded = 0
        self._max_queue_ms = 0.0
        self.record = False
        """Isolates record every invocation (runtime/replay; each result carries its tape)."""
        self.record_ok = True
        """With ``record``: invocations that end well (no error, no 5xx) carry their tape too (a policy that
        keeps failures only sets it False: see ``ScriptIsolate.record_ok``)."""

    # ---- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        """Create the ``min_idle`` warm isolates."""
        self._loop = asyncio.get_running_loop()
        for _ in range(max(self.limits.min_idle, 0)):
            self._idle.append(self._new_isolate())

    async def stop(self) -> None:
        """Refuse new work, wait for in-flight invocations, dispose of every isolate."""
        self._stopped = True
        while self._pending:
            job = self._pending.popleft()
            if not job.cancelled:
                job.on_done(RuntimeDisposed("the pool was stopped"))
        for handle in (self._flush_handle, self._expiry):
            if handle is not None:
                handle.cancel()
        while self._busy:
            await asyncio.sleep(0.005)
        for isolate in self._idle:
            isolate.close()
        self._idle.clear()
        for isolate in list(self._held):  # open WebSockets end (their sessions see the isolate gone)
            lock = self._held_locks.get(isolate)
            if lock is not None:
                async with lock:
                    isolate.close()
            else:
                isolate.close()
        self._held.clear()
        self._held_locks.clear()
        hub = getattr(self.host, "_sockets", None)
        if hub is not None:
            await hub.close_all(1012, "service restart")
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def wait_idle(self) -> None:
        """Wait until no invocation is running or queued."""
        while self._busy or self._pending:
            await asyncio.sleep(0.005)

    def _new_isolate(self) -> ScriptIsolate:
        # No source map here: its isolates decode the bundle's (once, kept by the Bundle) when an
        # error's stack needs it; decoding it up front delayed a large bundle's first answer.
        ready = self.stock.take() if self.stock is not None else None
        isolate = ScriptIsolate(self.bundle, self.host, ready=ready)
        isolate.record = self.record
        isolate.record_ok = self.record_ok
        self._created += 1
        return isolate

    @property
    def size(self) -> int:
        """Isolates alive or being created."""
        return len(self._idle) + len(self._busy) + len(self._held) + self._creating

    # ---- submitting --------------------------------------------------------------
    async def invoke(self, trigger: Trigger,
                     on_complete: Callable[[InvocationResult], None] | None = None) -> InvocationResult:
        """Run ``trigger`` on a warm isolate, queueing or refusing as the limits say.

        For a streamed response (``HttpRequest.stream_response``) this returns the ``head_only``
        result as soon as the head is known; ``on_complete`` gets the invocation's complete result
        (every other result is complete, and ``on_complete`` gets it too, before this returns)."""
        future: asyncio.Future[InvocationResult] = asyncio.get_running_loop().create_future()

        def on_done(outcome: InvocationResult | BaseException) -> None:
            if on_complete is not None and isinstance(outcome, InvocationResult) and not outcome.head_only:
                on_complete(outcome)
            if future.done():
                return
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        job = self.submit(trigger, on_done)
        try:
            return await future
        except asyncio.CancelledError:
            job.cancel()
            raise

    def submit(self, trigger: Trigger, on_done: OnDone) -> Job:
        """Queue ``trigger``; ``on_done`` gets its result on the loop thread (maybe before this returns).

        Jobs queued in the same loop iteration go to an isolate together, in one
        crossing (see ``ScriptIsolate.run_batch``). Each free isolate (idle, or
        not yet created) takes one job, ``max_queue`` more may wait; beyond that
        the job is refused at once (503).

        Raises:
            RuntimeDisposed: the pool is stopped.
        """
        if self._stopped:
            raise RuntimeDisposed("the pool is stopped")
        job = Job(trigger, on_done)
        free = len(self._idle) + max(0, self.limits.max_isolates - self.size)
        if len(self._pending) >= self.limits.max_queue + free:
            self._reject(job, full=True)
            return job
        self._pending.append(job)
        if self._flush_handle is None:
            self._flush_handle = (self._loop or asyncio.get_running_loop()).call_soon(self._flush)
        return job

    # ---- dispatching -------------------------------------------------------------
    @property
    def offloading(self) -> bool:
        """Whether crossings run on worker threads: the jobs cost CPU (``OFFLOAD_JOB_MS``) or a
        crossing would hold the event loop too long (``LONG_CROSSING_MS``). A lone job with every
        isolate free still crosses inline unless it is long: a worker thread would only add two
        thread wake-ups to its latency (~0.1 ms here) and run nothing in parallel."""
        return self.job_cost_ms >= OFFLOAD_JOB_MS or self.crossing_ms >= LONG_CROSSING_MS

    def _flush(self) -> None:
        """Hand queued jobs to free isolates: costly jobs spread over all of them on worker
        threads; cheap ones batched inline, a batch per crossing (a few per loop turn)."""
        self._flush_handle = None
        pending = self._pending
        if pending and time.perf_counter() - pending[0].submitted >= self.limits.queue_timeout_ms / 1000:
            self._expire()  # never start a job past queue_timeout_ms (its timer may not have fired yet)
        if self.offloading and (len(pending) > 1 or self._busy or self.crossing_ms >= LONG_CROSSING_MS):
            self._flush_threaded()
            return
        for _ in range(BATCHES_PER_TURN):
            while self._pending and self._pending[0].cancelled:
                self._pending.popleft()
            if not self._pending or self._stopped:
                break
            isolate = self._take_isolate()
            if isolate is None:
                self._arm_expiry()
                return
            jobs = self._take_jobs(isolate, BATCH_MAX)
            if jobs:
                self._run(isolate, jobs)
            else:
                self._release(isolate)
        self._schedule_flush()

    def _flush_threaded(self) -> None:
        """Every free isolate takes a share of the queue (idle isolates before batching)."""
        while not self._stopped:
            while self._pending and self._pending[0].cancelled:
                self._pending.popleft()
            if not self._pending:
                return
            free = len(self._idle) + max(0, self.limits.max_isolates - self.size)
            isolate = self._take_isolate()
            if isolate is None:
                self._arm_expiry()
                return
            fits = max(1, int(BATCH_BUDGET_MS / max(self.job_cost_ms, 1e-3)))
            share = math.ceil(len(self._pending) / max(1, free))
            jobs = self._take_jobs(isolate, min(BATCH_MAX, fits, share))
            if jobs:
                self._run_threaded(isolate, jobs)
            else:
                self._release(isolate)

    def _take_jobs(self, isolate: ScriptIsolate, size: int) -> list[Job]:
        if self.limits.max_invocations:  # never run an isolate past max_invocations
            size = max(1, min(size, self.limits.max_invocations - isolate.invocations))
        jobs = [self._pending.popleft() for _ in range(min(size, len(self._pending)))]
        return [job for job in jobs if not job.cancelled]

    def _take_isolate(self) -> ScriptIsolate | None:
        if self._idle:
            isolate = self._idle.pop()
        elif self.size < self.limits.max_isolates:
            try:
                isolate = self._new_isolate()
            except Exception as exc:  # an isoplay fault: fail the waiting jobs rather than hang them
                log.exception("could not create an isolate for %s", self.bundle.manifest.name)
                while self._pending:
                    self._pending.popleft().on_done(exc)
                return None
        else:
            return None
        self._busy.add(isolate)
        self._top_up()
        return isolate

    def _run(self, isolate: ScriptIsolate, jobs: list[Job]) -> None:
        """One crossing on the event loop's thread."""
        self._batches += 1
        crossing = time.perf_counter()
        measure = self._measure_this(crossing)
        cpu = time.process_time() if measure else 0.0
        waits = [(crossing - job.submitted) * 1000 for job in jobs]
        try:
            batch = isolate.run_batch([job.trigger for job in jobs], queue_ms=waits)
        except Exception as exc:  # a protocol failure: an isoplay bug, reported to every caller
            self._batch_failed(isolate, jobs, exc)
            return
        self._batch_done(isolate, jobs, batch, time.process_time() - cpu if measure else None,
                         time.perf_counter() - crossing, waits)

    def _measure_this(self, now: float) -> bool:
        """Whether this crossing's CPU time is measured (see COST_SAMPLE_INTERVAL_S)."""
        if len(self._costs) < COST_SAMPLES_NEEDED or now - self._measured_at >= COST_SAMPLE_INTERVAL_S:
            self._measured_at = now
            return True
        return False

    def _run_threaded(self, isolate: ScriptIsolate, jobs: list[Job]) -> None:
        """One crossing on a worker thread; its results come back to the loop."""
        self._batches += 1
        self._offloaded += 1
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=max(1, self.limits.max_isolates),
                                                thread_name_prefix=f"isoplay-{self.bundle.manifest.name}")
        loop = self._loop or asyncio.get_running_loop()
        triggers = [job.trigger for job in jobs]
        measure = self._measure_this(time.perf_counter())

        def cross() -> tuple[Any, float | None, float, list[float]]:
            crossing = time.perf_counter()
            cpu = time.process_time() if measure else 0.0
            waits = [(crossing - job.submitted) * 1000 for job in jobs]
            batch = isolate.run_batch(triggers, queue_ms=waits)
            return batch, time.process_time() - cpu if measure else None, time.perf_counter() - crossing, waits

        def back(future: asyncio.Future[tuple[Any, float | None, float, list[float]]]) -> None:
            exc = future.exception()
            if exc is not None:
                self._batch_failed(isolate, jobs, exc)
                return
            batch, cpu, wall, waits = future.result()
            self._batch_done(isolate, jobs, batch, cpu, wall, waits)
            self._schedule_flush()

        loop.run_in_executor(self._executor, cross).add_done_callback(back)

    def _batch_failed(self, isolate: ScriptIsolate, jobs: list[Job], exc: BaseException) -> None:
        self._retire(isolate)
        for job in jobs:
            job.on_done(exc)

    def _batch_done(self, isolate: ScriptIsolate, jobs: list[Job], batch: Any, cpu: float | None, wall: float,
                    waits: list[float]) -> None:
        """Measure the crossing, queue again what it did not start, hand out results, free the isolate.

        ``cpu`` is the process CPU time the crossing took (V8's thread computes while the caller
        waits): unlike wall time it does not grow when the machine is busy with other work.
        ``wall`` is how long the crossing held its thread (the event loop's, when inline).
        ``cpu`` is None for crossings not sampled (COST_SAMPLE_INTERVAL_S)."""
        started = batch.started
        if cpu is not None and isolate.invocations > started:  # an isolate's first crossing also compiles the script
            self._costs.append((cpu * 1000 / max(1, started), wall * 1000))
            if len(self._costs) >= COST_SAMPLES_NEEDED:
                self.job_cost_ms = min(c for c, _ in self._costs)
            self.crossing_ms = min(w for _, w in self._costs)
        if started:
            self._max_queue_ms = max(self._max_queue_ms, max(waits[:started]))
        for job in reversed(jobs[started:]):
            self._pending.appendleft(job)
        self._deliver(list(zip(jobs, batch.results)), isolate)
        if batch.pending is not None:
            task = asyncio.get_running_loop().create_task(
                self._finish(isolate, jobs[len(batch.results)], batch.pending))
            self._drivers.add(task)
            task.add_done_callback(self._drivers.discard)
        elif batch.results and self._needs_recycling(isolate, batch.results[-1]):
            self._retire(isolate)
        else:
            self._release(isolate)

    async def _finish(self, isolate: ScriptIsolate, job: Job, pending: Pending) -> None:
        # A streamed response reaches a caller that asked for it (HttpRequest.stream_response) twice:
        # when its head is known (a head_only result with body_stream), and complete at the end.
        on_head = job.on_done if getattr(job.trigger, "stream_response", False) else None
        try:
            result = await isolate.finish(pending, on_head=on_head)
        except BaseException as exc:
            self._retire(isolate)
            job.on_done(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if self._needs_recycling(isolate, result):
            self._retire(isolate)
        else:
            self._release(isolate)
        self._deliver([(job, result)], isolate)

    def _deliver(self, finished: list[tuple[Job, InvocationResult]], isolate: ScriptIsolate | None = None) -> None:
        """Record finished jobs (one metrics call per batch) and hand out their results."""
        if not finished:
            return
        if isolate is not None:
            for job, result in finished:
                if result.socket is not None and result.outcome == "ok" and not isolate.poisoned and not isolate.closed:
                    result.lease = self._hold(isolate, int(result.socket), str(job.trigger.route))
        self._invocations += len(finished)
        manifest = self.bundle.manifest
        self.metrics.record_many(manifest.name, manifest.version, [(job.trigger, result) for job, result in finished])
        for job, result in finished:
            job.on_done(result)

    def _schedule_flush(self) -> None:
        if self._pending and not self._stopped and self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    # ---- queue timeout -----------------------------------------------------------
    def _arm_expiry(self) -> None:
        if self._expiry is not None or not self._pending:
            return
        wait = self.limits.queue_timeout_ms / 1000 - (time.perf_counter() - self._pending[0].submitted)
        self._expiry = asyncio.get_running_loop().call_later(max(0.0, wait), self._expire)

    def _expire(self) -> None:
        self._expiry = None
        limit = self.limits.queue_timeout_ms / 1000
        now = time.perf_counter()
        while self._pending and (self._pending[0].cancelled or now - self._pending[0].submitted >= limit):
            job = self._pending.popleft()
            if not job.cancelled:
                self._reject(job, full=False)
        self._arm_expiry()

    # ---- isolates coming back ------------------------------------------------------
    def _top_up(self) -> None:
        """Create spare isolates in the background so the next request finds one warm."""
        missing = self.limits.min_idle - len(self._idle) - self._creating
        room = self.limits.max_isolates - self.size
        for _ in range(max(0, min(missing, room))):
            self._creating += 1
            asyncio.get_running_loop().call_soon(self._create_spare)

    def _create_spare(self) -> None:
        self._creating -= 1
        if self._stopped or (len(self._idle) >= self.limits.min_idle and not self._pending):
            return
        try:
            self._release(self._new_isolate())
        except Exception:  # an isoplay fault: log it; the next dispatch creates on demand
            log.exception("could not create a spare isolate for %s", self.bundle.manifest.name)

    # ---- WebSocket holds ---------------------------------------------------------------
    def _hold(self, isolate: ScriptIsolate, socket: int, path: str = "") -> HeldIsolate:
        """Keep ``isolate`` out of rotation for a WebSocket (called before it is released)."""
        self._busy.discard(isolate)
        if isolate in self._idle:
            self._idle.remove(isolate)
        self._held[isolate] = self._held.get(isolate, 0) + 1
        self._held_locks.setdefault(isolate, asyncio.Lock())
        held = HeldIsolate(self, isolate, socket, path)

        def unattached() -> None:
            if not held.attached:
                held.release()

        asyncio.get_running_loop().call_later(HOLD_ATTACH_S, unattached)
        return held

    def _unhold(self, isolate: ScriptIsolate) -> None:
        count = self._held.get(isolate, 0) - 1
        if count > 0:
            self._held[isolate] = count
            return
        self._held.pop(isolate, None)
        self._held_locks.pop(isolate, None)
        if isolate.closed:
            return
        if isolate.poisoned or self._stopped:
            self._retire(isolate)
        else:
            self._release(isolate)

    def _release(self, isolate: ScriptIsolate) -> None:
        if isolate in self._held:
            return  # a WebSocket keeps it (see _hold)
        self._busy.discard(isolate)
        if self._stopped:
            isolate.close()
            return
        self._idle.append(isolate)
        self._schedule_flush()

    def _retire(self, isolate: ScriptIsolate) -> None:
        if isolate in self._held and not self._stopped and not isolate.poisoned:
            return  # a WebSocket keeps it; replaced when released
        self._busy.discard(isolate)
        isolate.close()
        self._recycled += 1
        if self._stopped:
            return
        if self._pending:
            self._schedule_flush()  # the flush creates a replacement on demand
        else:
            self._top_up()

    def _needs_recycling(self, isolate: ScriptIsolate, result: InvocationResult) -> bool:
        if isolate.poisoned:
            return True
        if self.limits.max_invocations and isolate.invocations >= self.limits.max_invocations:
            return True
        return result.heap_used > HEAP_RECYCLE_FRACTION * self.limits.memory_mb * MB

    def _reject(self, job: Job, *, full: bool) -> None:
        result = self._rejected_result(job.trigger, job.submitted, full=full)
        self._record(job.trigger, result)
        job.on_done(result)

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
        return PoolStatistics(busy=len(self._busy), idle=len(self._idle), queued=len(self._pending),
                              created=self._created, recycled=self._recycled, rejected=self._rejected,
                              invocations=self._invocations, max_isolates=self.limits.max_isolates,
                              batches=self._batches, offloaded=self._offloaded, job_cost_ms=self.job_cost_ms,
                              crossing_ms=self.crossing_ms,
                              max_queue_ms=self._max_queue_ms)

    def isolates(self) -> list[ScriptIsolate]:
        """The live isolates (idle and busy), for heap snapshots and the profiler."""
        return [*self._idle, *self._busy, *self._held]

    def __repr__(self) -> str:
        s = self.statistics()
        return f"<IsolatePool {self.bundle.manifest.name} busy={s.busy} idle={s.idle} queued={s.queued}>"
