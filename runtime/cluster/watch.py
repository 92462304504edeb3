"""Apply deploys, rollbacks and deletes made by other processes sharing the store.

Every server process polls :meth:`DeploymentStorage.changes` (for SQLite,
``PRAGMA data_version``: one cheap read, no table scan) every
:data:`POLL_SECONDS`; when it moved, :meth:`AppRuntimes.sync` retires pools
and moves crons as the store now says. Requests always resolve the live
version from the store itself, so this is about retiring old pools and
moving crons, and it bounds how long an old version's pool lingers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
"""How often the store is asked whether anything changed."""


class StoreWatcher:
    """Polls ``changes`` and calls ``apply`` after each change, on the running loop.

    Args:
        changes: Returns a number that moves when the store was written.
        apply: Brings this process in line with the store (``AppRuntimes.sync``).
        poll_seconds: Delay between polls.
    """

    def __init__(self, changes: Callable[[], int], apply: Callable[[], Awaitable[int]], *,
                 poll_seconds: float = POLL_SECONDS,
                 subscribe: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.changes = changes
        self.apply = apply
        self.poll_seconds = poll_seconds
        self.subscribe = subscribe
        """Registers a callback the store calls (from any thread) when a change was committed
        (PostgreSQL's LISTEN/NOTIFY); the poll stays as the fallback."""
        self._wake: asyncio.Event | None = None
        self.applied = 0
        """How many times a change was applied."""
        self.failures = 0
        """Polls that failed (the store was unreachable); the next poll tries again."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Take the baseline now, then poll on the running loop.

        Call it before the process reads the store's state at start, so that a change
        committed in between is applied rather than missed.
        """
        if self._task is not None:
            return
        baseline: int | None = None
        try:
            baseline = self.changes()
        except Exception:  # an unreachable store at start: the first poll that answers applies
            log.exception("the store did not answer; retrying")
        loop = asyncio.get_running_loop()
        wake = self._wake = asyncio.Event()
        if self.subscribe is not None:
            self.subscribe(lambda: loop.call_soon_threadsafe(wake.set))
        self._task = loop.create_task(self._run(baseline), name="isoplay-store-watcher")

    async def stop(self) -> None:
        """Stop polling."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _run(self, last: int | None) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                current = self.changes()
                if current != last:
                    await self.apply()
                    self.applied += 1
                last = current
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly unreachable: log, keep polling, apply when it answers
                self.failures += 1
                log.exception("applying changes from the store failed; retrying")
                last = None

    def __repr__(self) -> str:
        return f"<StoreWatcher applied={self.applied} failures={self.failures}>"
