"""Future-to-Qt bridge: deliver the outcome of a ``concurrent.futures.Future`` on the GUI thread.

The runtime thread, the file worker and the toolchain resolver all hand back
``concurrent.futures.Future`` objects. ``FutureBridge.watch`` registers a done
callback that *emits a queued signal* (it runs on whatever thread finished the
future); the slot then calls the given callbacks on the GUI thread. Nothing on
the GUI thread ever calls ``future.result()`` before the future is done.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.services.types import Failure

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[Failure], None]


@dataclass(frozen=True)
class _Completion:
    future: concurrent.futures.Future[Any]
    context: str
    on_result: ResultCallback
    on_error: ErrorCallback | None


class FutureBridge(QObject):
    """Turns finished futures into calls on the GUI thread.

    Args:
        on_unhandled: where failures go when ``watch`` got no ``on_error``
            (the composition root passes ``ErrorReporter.report``).
    """

    sig_failed = Signal(object)
    """Failure: a watched future failed and had no ``on_error`` callback (and no ``on_unhandled``)."""

    _sig_completed = Signal(object)

    def __init__(self, on_unhandled: ErrorCallback | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_unhandled = on_unhandled
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._sig_completed.connect(self._on_future_completed, Qt.ConnectionType.QueuedConnection)

    def watch(self, future: concurrent.futures.Future[Any], on_result: ResultCallback,
              on_error: ErrorCallback | None = None, context: str = "background task") -> None:
        """Call ``on_result(value)`` or ``on_error(Failure)`` on the GUI thread when ``future`` ends.

        A cancelled future calls neither.
        """
        self._pending.add(future)
        completion = _Completion(future, context, on_result, on_error)
        future.add_done_callback(lambda _f: self._sig_completed.emit(completion))

    def pending(self) -> int:
        """How many watched futures have not been delivered yet."""
        return len(self._pending)

    def _on_future_completed(self, completion: _Completion) -> None:
        self._pending.discard(completion.future)
        future = completion.future
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            completion.on_result(future.result())
            return
        self._deliver_failure(completion, Failure(completion.context, error))

    def _deliver_failure(self, completion: _Completion, failure: Failure) -> None:
        if completion.on_error is not None:
            completion.on_error(failure)
        elif self._on_unhandled is not None:
            self._on_unhandled(failure)
        else:
            log.error("%s failed", failure.context, exc_info=failure.error)
            self.sig_failed.emit(failure)
