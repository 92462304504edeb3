"""Test isolates made ahead: V8 isolates with the prelude and the test harness loaded, on worker threads.

Loading the prelude and the 200 kB harness is most of what a test file's
isolate costs, and none of it depends on the file. A run starts making one
isolate per parallel job as soon as it starts, on threads, while esbuild builds
the test files; each file then takes a ready isolate and the next one starts.
Each isolate is made by one thread and then handed to the loop's thread, which
alone uses it from then on; V8 runs each isolate's JavaScript on its own thread,
so isolates being made use the machine's cores in parallel, where making them
on the loop's thread ran them one after another.

An isolate is handed out once and has never run user code; a file that is not
run leaves its isolate to ``aclose``, which disposes of it.
"""

from __future__ import annotations

import asyncio
from collections import deque

from runtime.engine import V8Isolate
from runtime.stock import load_prelude
from runtime.testing import harness


def make_harness_isolate(loop: asyncio.AbstractEventLoop, memory_limit: int) -> V8Isolate:
    """A new isolate bound to ``loop`` with the prelude and the harness evaluated (blocking)."""
    v8 = V8Isolate(loop, memory_limit=memory_limit)
    try:
        load_prelude(v8)
        v8.eval(harness.script())
    except BaseException:
        v8.close()
        raise
    return v8


class HarnessIsolates:
    """Isolates for the files of one run: up to ``ahead`` in the making at once, ``planned`` in all."""

    def __init__(self, memory_limit: int, *, planned: int, ahead: int) -> None:
        self._loop = asyncio.get_running_loop()
        self.memory_limit = memory_limit
        self._planned = planned
        self._pending: deque[asyncio.Future[V8Isolate]] = deque()
        self._closed = False
        for _ in range(min(ahead, planned)):
            self._start_one()

    def _start_one(self) -> None:
        self._planned -= 1
        self._pending.append(asyncio.ensure_future(
            asyncio.to_thread(make_harness_isolate, self._loop, self.memory_limit)))

    async def take(self) -> V8Isolate:
        """A ready isolate (made now if none is in the making); the next planned one starts."""
        if self._closed:
            raise RuntimeError("the run's isolates are closed")
        if not self._pending:
            self._planned = max(self._planned, 1)
            self._start_one()
        made = self._pending.popleft()
        if self._planned > 0:
            self._start_one()
        return await made

    async def aclose(self) -> None:
        """Dispose of isolates made and not taken (waits for the ones still being made)."""
        self._closed = True
        pending, self._pending = list(self._pending), deque()
        for made in await asyncio.gather(*pending, return_exceptions=True):
            if isinstance(made, V8Isolate):
                made.close()
