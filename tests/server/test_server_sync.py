"""Two server processes on one store: what one deploys, rolls back or deletes, the other applies by itself.

Two ``ServerCore`` objects on the same data folder stand in for two worker
processes (each has its own SQLite connections, pools and crons); the second
one learns of changes only through its store watcher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from runtime.bundler import Bundle
from runtime.invocation import HttpRequest
from runtime.server.core import ServerCore

CRONS = '\n[triggers]\ncrons = ["*/5 * * * *"]\n'


async def wait_for(check: Callable[[], bool], within_s: float = 10.0) -> float:
    """Poll ``check`` until it holds; return how long it took (fails after ``within_s``, a bound for busy CI
    machines: the propagation time itself, 0.25-0.5 s, is measured by bench/cluster_bench.py)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not check():
        assert loop.time() - started < within_s, "not applied within the time allowed"
        await asyncio.sleep(0.02)
    return loop.time() - started


async def test_rollback_and_delete_through_one_process_reach_the_other_by_itself(
        core_factory: Callable[..., ServerCore], release: Callable[..., Bundle]) -> None:
    a = core_factory()
    b = core_factory()
    await a.start()
    await b.start()
    await a.deploys.publish("hello", release("hello", "1.0.0", extra=CRONS), promote=True)
    await a.deploys.publish("hello", release("hello", "1.1.0", extra=CRONS), promote=True)
    _, result = await b.runtimes.invoke("hello", None, HttpRequest("GET", "http://x/"))
    assert b"1.1.0" in result.body
    assert "hello@1.1.0" in b.runtimes.statistics().pools
    await wait_for(lambda: "hello" in b.runtimes.statistics().crons)

    await a.deploys.rollback("hello", "1.0.0")
    await wait_for(lambda: "hello@1.1.0" not in b.runtimes.statistics().pools)
    _, result = await b.runtimes.invoke("hello", None, HttpRequest("GET", "http://x/"))
    assert b"1.0.0" in result.body

    await a.deploys.delete_app("hello")
    await wait_for(lambda: not b.runtimes.statistics().pools and not b.runtimes.statistics().crons)
    assert b.watcher.applied >= 3 and b.watcher.failures == 0


async def test_a_process_that_does_not_run_crons_never_schedules_them(
        core_factory: Callable[..., ServerCore], release: Callable[..., Bundle]) -> None:
    leader = core_factory()
    follower = core_factory(run_crons=False)
    await leader.start()
    await follower.start()
    await follower.deploys.publish("ticker", release("ticker", "1.0.0", extra=CRONS), promote=True)
    await wait_for(lambda: "ticker" in leader.runtimes.statistics().crons)
    assert follower.runtimes.statistics().crons == {}
    assert follower.health().to_json()["crons"] == 0 and leader.health().to_json()["crons"] == 1


async def test_sync_is_idempotent_for_what_this_process_already_applied(
        core_factory: Callable[..., ServerCore], release: Callable[..., Bundle]) -> None:
    core = core_factory()
    await core.start()
    await core.deploys.publish("hello", release("hello", "1.0.0", extra=CRONS), promote=True)
    assert await core.runtimes.sync() == 0
    assert "hello" in core.runtimes.statistics().crons


async def test_resolved_versions_are_kept_until_the_registry_changes(
        core_factory: Callable[..., ServerCore], release: Callable[..., Bundle]) -> None:
    """Requests resolve app@range from a cache, never a stale one: this process's own deploys and
    rollbacks are served at once, another process's once its watcher has seen them."""
    a = core_factory()
    b = core_factory()
    await a.start()
    await b.start()

    async def body(core: ServerCore, range_text: str | None) -> bytes:
        _, result = await core.runtimes.invoke("hello", range_text, HttpRequest("GET", "http://x/"))
        return result.body

    await a.deploys.publish("hello", release("hello", "1.0.0"), promote=True)
    assert b"1.0.0" in await body(a, None) and b"1.0.0" in await body(a, "1")
    assert b"1.0.0" in await body(b, None)
    await a.deploys.publish("hello", release("hello", "1.1.0"), promote=False)
    assert b"1.1.0" in await body(a, "1")  # a new version matches the range at once, though not live
    assert b"1.0.0" in await body(a, None)
    await a.deploys.rollback("hello", "1.1.0")
    assert b"1.1.0" in await body(a, None)
    loop = asyncio.get_running_loop()
    started = loop.time()
    while b"1.1.0" not in await body(b, None):  # b serves what it resolved until its watcher sees the change
        assert loop.time() - started < 10, "the other process never served the rolled-back version"
        await asyncio.sleep(0.02)
    assert (await b.runtimes.invoke("hello", "1.0.0", HttpRequest("GET", "http://x/")))[0].version == "1.0.0"
