"""The runtime's own asyncio loop in a background thread.

The IDE never runs JavaScript, bundling, disk or network work on the GUI
thread: it submits coroutines here and gets ``concurrent.futures.Future``
objects back (app/bridge.py turns them into Qt signals).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from runtime.errors import RuntimeDisposed

T = TypeVar("T")


class RuntimeThread:
    """An asyncio loop running in a daemon thread."""

    def __init__(self, name: str = "isoplay-runtime") -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def start(self) -> RuntimeThread:
        """Start the thread and wait until its loop runs."""
        self._thread.start()
        self._ready.wait()
        return self

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the runtime loop from any thread."""
        if self._stopped:
            coro.close()
            raise RuntimeDisposed("the runtime thread is stopped")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` and wait for its result (never from the GUI thread)."""
        return self.submit(coro).result(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel pending tasks, stop the loop and join the thread."""
        if self._stopped:
            return
        self._stopped = True

        async def _cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(_cancel_all(), self.loop).result(timeout)
            except (concurrent.futures.TimeoutError, RuntimeError):
                pass  # best effort: the loop is stopped below either way
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        if not self.loop.is_running():
            self.loop.close()
