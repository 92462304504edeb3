"""The cron scheduler with a fake clock, and explicit dispatch."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from runtime.errors import CronSyntaxError
from runtime.invocation import InvocationResult, ScheduledTrigger
from runtime.service import ProjectRuntime
from runtime.triggers import CronScheduler, dispatch_event, dispatch_scheduled


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


async def test_scheduler_fires_each_due_time_once_with_fake_clock() -> None:
    clock = FakeClock(ts("2026-01-01T00:03:00"))
    fired: list[ScheduledTrigger] = []

    async def dispatch(trigger: ScheduledTrigger) -> InvocationResult:
        fired.append(trigger)
        return InvocationResult(trigger="scheduled", outcome="ok")

    sched = CronScheduler(("*/5 * * * *", "0 * * * *"), dispatch, clock=clock)
    assert sched.next_due() == ts("2026-01-01T00:05:00")
    assert await sched.tick() == []
    clock.now = ts("2026-01-01T00:05:00")
    await sched.tick()
    await sched.tick()  # the same due time never fires twice
    assert [(t.cron, t.scheduled_time) for t in fired] == [("*/5 * * * *", ts("2026-01-01T00:05:00"))]
    clock.now = ts("2026-01-01T01:00:30")
    await sched.tick()
    assert {t.cron for t in fired[1:]} == {"*/5 * * * *", "0 * * * *"}
    assert sched.statistics().fired == 3


async def test_a_throwing_cron_handler_is_logged_and_the_next_schedule_runs(make_project, caplog) -> None:
    root = make_project({"src/index.ts": """
let n = 0;
export default { async scheduled(c: ScheduledController) { n++; if (n === 1) throw new Error("first run fails"); console.log("run", n); } };
interface ScheduledController { cron: string }
"""}, 'name = "c"\nmain = "src/index.ts"\n[triggers]\ncrons = ["* * * * *"]\n')
    clock = FakeClock(ts("2026-01-01T00:00:30"))
    rt = ProjectRuntime(root, clock=clock)
    await rt.start()
    sched = CronScheduler(("* * * * *",), rt.invoke, clock=clock)
    clock.now = ts("2026-01-01T00:01:00")
    first = await sched.tick()
    clock.now = ts("2026-01-01T00:02:00")
    second = await sched.tick()
    assert first[0].outcome == "error" and "first run fails" in first[0].error.message
    assert second[0].ok and second[0].logs[0].message == "run 2"
    assert sched.statistics().failed == 1
    assert any("first run fails" in r.getMessage() for r in caplog.records)
    await rt.stop()


async def test_scheduler_run_loop_sleeps_until_due() -> None:
    clock = FakeClock(ts("2026-01-01T00:00:00"))
    slept: list[float] = []
    done = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds
        await asyncio.sleep(0)  # like a real sleep, let other tasks run

    async def dispatch(trigger: ScheduledTrigger) -> InvocationResult:
        done.set()
        return InvocationResult(trigger="scheduled", outcome="ok")

    sched = CronScheduler(("*/10 * * * *",), dispatch, clock=clock, sleep=fake_sleep)
    sched.start()
    await asyncio.wait_for(done.wait(), 2)
    await sched.stop()
    assert slept[0] == 600.0


def test_bad_cron_is_refused() -> None:
    async def dispatch(trigger: ScheduledTrigger) -> InvocationResult:
        raise AssertionError

    with pytest.raises(CronSyntaxError):
        CronScheduler(("not a cron",), dispatch)


async def test_dispatch_helpers(make_project) -> None:
    root = make_project({"src/index.ts": 'export default { scheduled(c: any) { console.log(c.cron); }, event(e: any) { return e.payload; } };\n'})
    rt = ProjectRuntime(root)
    await rt.start()
    cron = await dispatch_scheduled(rt, "*/5 * * * *", 0)
    assert cron.ok and cron.logs[0].message == "*/5 * * * *"
    event = await dispatch_event(rt, "x", {"a": [1]})
    assert event.value == {"a": [1]}
    with pytest.raises(CronSyntaxError):
        await dispatch_scheduled(rt, "bad")
    await rt.stop()
