"""Triggers: the cron scheduler and explicit dispatch helpers.

``dispatch_scheduled``/``dispatch_event``/``dispatch_run`` serve the scheduler,
the "fire now" buttons, the dev server's ``/__isoplay/*`` routes and the tests
alike. ``CronScheduler`` takes an injectable clock and sleep, so tests advance
time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from runtime.cron import next_fire, validate_cron
from runtime.invocation import EventTrigger, InvocationResult, RunTrigger, ScheduledTrigger, Trigger

log = logging.getLogger(__name__)


class Invoker(Protocol):
    """Anything that runs a trigger (an IsolatePool, a ProjectRuntime)."""

    async def invoke(self, trigger: Trigger) -> InvocationResult:
        """Run one invocation."""
        ...


async def dispatch_scheduled(target: Invoker, cron: str, scheduled_time: float | None = None) -> InvocationResult:
    """Fire the ``scheduled`` handler for ``cron`` (due at ``scheduled_time``, default now)."""
    validate_cron(cron)
    return await target.invoke(ScheduledTrigger(cron, time.time() if scheduled_time is None else scheduled_time))


async def dispatch_event(target: Invoker, name: str, payload: Any = None) -> InvocationResult:
    """Fire the ``event`` handler with a named event."""
    return await target.invoke(EventTrigger(name, payload))


async def dispatch_run(target: Invoker, input: Any = None) -> InvocationResult:
    """Call the one-off ``run`` handler."""
    return await target.invoke(RunTrigger(input))


class ScaledClock:
    """Wall-clock time running ``speed`` times faster from ``anchor`` (epoch seconds), with a matching sleep.

    For tests of real server processes only (``ISOPLAY_TEST_CLOCK=anchor,speed``): processes
    given the same anchor and speed agree on the time, so a once-a-minute cron ticks every
    ``60 / speed`` real seconds in all of them. ``CronScheduler`` sleeps through ``sleep``.
    """

    def __init__(self, anchor: float, speed: float) -> None:
        if speed <= 0:
            raise ValueError("the clock speed must be positive")
        self.anchor = anchor
        self.speed = speed

    @classmethod
    def parse(cls, text: str) -> ScaledClock:
        """From ``"anchor,speed"``.

        Raises:
            ValueError: not two numbers, or a speed that is not positive.
        """
        anchor, _, speed = text.partition(",")
        return cls(float(anchor), float(speed))

    def __call__(self) -> float:
        return self.anchor + (time.time() - self.anchor) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of this clock."""
        await asyncio.sleep(seconds / self.speed)


@dataclass(frozen=True)
class CronStatistics:
    """What the scheduler has done."""

    schedules: tuple[str, ...]
    fired: int
    failed: int
    next_due: float | None


class CronScheduler:
    """Runs ``dispatch(ScheduledTrigger)`` at each schedule's times."""

    def __init__(self, crons: tuple[str, ...],
                 dispatch: Callable[[ScheduledTrigger], Awaitable[InvocationResult | None]],
                 *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        for expr in crons:
            validate_cron(expr)
        self.crons = crons
        self._dispatch = dispatch
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._next: dict[str, float] = {expr: next_fire(expr, now) for expr in crons}
        self.fired = 0
        self.failed = 0
        self.skipped = 0
        """Ticks ``dispatch`` declined (another node of a cluster claimed them)."""
        self._task: asyncio.Task[None] | None = None

    def next_due(self) -> float | None:
        """The earliest upcoming fire time, epoch seconds."""
        return min(self._next.values(), default=None)

    async def tick(self) -> list[InvocationResult | None]:
        """Fire every schedule that is due at ``clock()``; each fires once per due time."""
        now = self._clock()
        results = []
        for expr, due in sorted(self._next.items(), key=lambda item: item[1]):
            if due > now:
                continue
            self._next[expr] = next_fire(expr, max(due, now))
            results.append(await self._fire(expr, due))
        return results

    async def _fire(self, expr: str, due: float) -> InvocationResult | None:
        try:
            result = await self._dispatch(ScheduledTrigger(expr, due))
        except Exception:
            self.failed += 1
            log.exception("cron %s could not be dispatched", expr)
            raise
        if result is None:
            self.skipped += 1
            return None
        self.fired += 1
        if not result.ok:
            self.failed += 1
            summary = result.error.summary() if result.error else result.outcome
            log.warning("cron %s failed: %s", expr, summary)
        return result

    async def run(self) -> None:
        """Sleep until the next due time, fire, repeat (until cancelled)."""
        while self._next:
            due = self.next_due()
            assert due is not None
            delay = due - self._clock()
            if delay > 0:
                await self._sleep(delay)
            try:
                await self.tick()
            except Exception:  # already logged in _fire; the next schedule must still run
                continue

    def start(self) -> None:
        """Run the scheduler as a task on the current loop."""
        if self.crons and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="isoplay-cron")

    async def stop(self) -> None:
        """Cancel the scheduler task."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def statistics(self) -> CronStatistics:
        """Schedules, fire and failure counts, next due time."""
        return CronStatistics(self.crons, self.fired, self.failed, self.next_due())

    def __repr__(self) -> str:
        return f"<CronScheduler {len(self.crons)} schedules fired={self.fired} failed={self.failed}>"
