"""What the store browsers (KV, D1) share: store calls off the GUI thread, and a refresh after scripts ran.

Scripts' writes are noticed through the runtime's metrics batches: the batch callback (runtime thread)
only sets a flag, and a GUI timer calls back when it is set.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.metrics import InvocationRecord, Subscription

T = TypeVar("T")


def run_off_gui(thread: RuntimeThread, bridge: FutureBridge, fn: Callable[[], T], done: Callable[[T], None],
                on_error: Callable[[Failure], None], context: str) -> None:
    """Run ``fn`` on a worker thread of the runtime loop; ``done`` or ``on_error`` gets its outcome on the GUI thread."""
    future = thread.submit(asyncio.to_thread(fn))
    bridge.watch(future, done, on_error, context)


class ScriptWrites(QObject):
    """Calls ``on_change`` (GUI thread, at most once an interval) after the followed runtime's scripts ran."""

    def __init__(self, on_change: Callable[[], None], interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_change = on_change
        self._subscription: Subscription | None = None
        self._dirty = threading.Event()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        self._timer.start()

    def follow(self, runtime: Any) -> None:
        """Watch ``runtime`` (a ProjectRuntime; None: nothing)."""
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if runtime is not None:
            self._subscription = runtime.metrics.subscribe(self._on_batch)

    def _on_batch(self, _batch: list[InvocationRecord]) -> None:
        """Runtime thread: a script may have written."""
        self._dirty.set()

    def tick(self) -> None:
        if self._dirty.is_set():
            self._dirty.clear()
            self._on_change()

    def close(self) -> None:
        self._timer.stop()
        self.follow(None)
