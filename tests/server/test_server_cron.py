"""The live version's cron schedules run on the server (clock shifted to just before a minute)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from runtime.bundler import Bundle
from runtime.server.core import ServerCore


def clock_just_before_a_minute(lead: float) -> Callable[[], float]:
    """A clock that reads ``lead`` seconds before the next whole minute now, and runs at real speed."""
    now = time.time()
    offset = math.ceil(now / 60) * 60 + 60 - lead - now
    return lambda: time.time() + offset


async def test_live_crons_run_and_stop_on_rollback(core_factory: Callable[..., ServerCore],
                                                   release: Callable[..., Bundle]) -> None:
    core = core_factory(clock=clock_just_before_a_minute(1.0))
    await core.start()
    await core.deploys.publish("ticker", release("ticker", "1.0.0"))
    assert core.runtimes.statistics().crons == {}
    with_cron = release("ticker", "2.0.0", extra='\n[triggers]\ncrons = ["* * * * *"]\n')
    await core.deploys.publish("ticker", with_cron)
    assert "ticker" in core.runtimes.statistics().crons
    deadline = time.monotonic() + 5
    while core.runtimes.statistics().crons["ticker"] < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert core.runtimes.statistics().crons["ticker"] == 1
    entry = core.runtimes.kv("ticker").get("KV", "cron")
    assert entry is not None and entry.value == b"1"
    await core.deploys.rollback("ticker", "1.0.0")
    assert core.runtimes.statistics().crons == {}
