"""Run Python's cyclic garbage collector on the GUI thread only.

The language client and the file watcher run Python threads. CPython runs the
cyclic collector in whichever thread happens to allocate when a threshold is
crossed, so a Python-owned QObject caught in a reference cycle (a widget whose
lambda slot refers back to it, say) can be destroyed on the LSP thread; Qt
then fires a timer of a freed object on the GUI thread and crashes (observed:
SIGSEGV in ``QTimerInfoList::activateTimers``). The remedy used by pyqtgraph
and others: turn automatic collection off and collect from a GUI-thread timer.
The app's composition root calls ``install_gui_thread_gc`` once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250


def collect_if_due() -> int:
    """Collect the generations whose thresholds were crossed; return objects found."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            return gc.collect(generation)
    return 0


def install_gui_thread_gc(parent: QObject, interval_ms: int = INTERVAL_MS) -> QTimer:
    """Disable automatic GC and collect from a timer on `parent`'s (GUI) thread."""
    gc.disable()
    timer = QTimer(parent)
    timer.setInterval(interval_ms)
    timer.timeout.connect(collect_if_due)
    timer.start()
    return timer
