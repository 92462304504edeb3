"""FutureBridge: results and failures arrive on the GUI thread, queued, never before the future is done."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

from PySide6.QtCore import QThread

from app.bridge import FutureBridge
from app.services.types import Failure


def test_result_is_delivered_on_the_gui_thread(qtbot: Any) -> None:
    bridge = FutureBridge()
    seen: list[tuple[Any, bool]] = []
    gui = QThread.currentThread()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        release = threading.Event()
        future = pool.submit(lambda: release.wait(5) and 42)
        bridge.watch(future, lambda v: seen.append((v, QThread.currentThread() is gui)))
        assert bridge.pending() == 1 and seen == []
        release.set()
        qtbot.waitUntil(lambda: seen == [(42, True)], timeout=2000)
    assert bridge.pending() == 0


def test_already_done_future_is_still_delivered_later(qtbot: Any) -> None:
    bridge = FutureBridge()
    done: concurrent.futures.Future[int] = concurrent.futures.Future()
    done.set_result(1)
    seen: list[int] = []
    bridge.watch(done, seen.append)
    assert seen == []
    qtbot.waitUntil(lambda: seen == [1], timeout=1000)


def test_failures_go_to_on_error_or_the_unhandled_handler(qtbot: Any) -> None:
    unhandled: list[Failure] = []
    bridge = FutureBridge(on_unhandled=unhandled.append)
    failing: concurrent.futures.Future[int] = concurrent.futures.Future()
    failing.set_exception(ValueError("nope"))
    handled: list[Failure] = []
    bridge.watch(failing, lambda _v: None, handled.append, "reading x")
    bridge.watch(failing, lambda _v: None, context="writing y")
    qtbot.waitUntil(lambda: len(handled) == 1 and len(unhandled) == 1, timeout=1000)
    assert handled[0].message == "reading x: nope" and isinstance(unhandled[0].error, ValueError)
    cancelled: concurrent.futures.Future[int] = concurrent.futures.Future()
    cancelled.cancel()
    bridge.watch(cancelled, lambda _v: handled.append(Failure("x", RuntimeError())))
    qtbot.wait(50)
    assert len(handled) == 1
