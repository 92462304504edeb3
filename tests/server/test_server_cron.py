"""The live version's cron schedules run on the server (clock shifted to just before a minute)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from runtime.bundler import Bundle
from runtime.server.core import ServerCore


class MinuteClock:
    """A clock at real speed whose next whole minute comes when the test says (``lead_to_minute``)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def lead_to_minute(self, lead: float) -> None:
        """From now on, the next whole minute is ``lead`` seconds away."""
        now = time.time()
        self.offset = math.ceil(now / 60) * 60 + 60 - lead - now


def clock_just_before_a_minute(lead: float) -> Callable[[], float]:
    """A clock that reads ``lead`` seconds before the next whole minute now, and runs at real speed."""
    clock = MinuteClock()
    clock.lead_to_minute(lead)
    return clock


async def test_live_crons_run_and_stop_on_rollback(core_factory: Callable[..., ServerCore],
                                                   release: Callable[..., Bundle]) -> None:
    clock = MinuteClock()
    core = core_factory(clock=clock)
    await core.start()
    await core.deploys.publish("ticker", release("ticker", "1.0.0"))
    assert core.runtimes.statistics().crons == {}
    with_cron = release("ticker", "2.0.0", extra='\n[triggers]\ncrons = ["* * * * *"]\n')
    # the minute turns 3 s after the cron's publish starts (a publish on a loaded machine takes a while;
    # the schedule must already be armed when the minute turns, or it fires only a minute later)
    clock.lead_to_minute(3.0)
    await core.deploys.publish("ticker", with_cron)
    assert "ticker" in core.runtimes.statistics().crons
    deadline = time.monotonic() + 15
    while core.runtimes.statistics().crons["ticker"] < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert core.runtimes.statistics().crons["ticker"] == 1
    entry = core.runtimes.kv("ticker").get("KV", "cron")
    assert entry is not None and entry.value == b"1"
    await core.deploys.rollback("ticker", "1.0.0")
    assert core.runtimes.statistics().crons == {}
