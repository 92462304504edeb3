"""Profiler and load-run controllers: own the chart data and the load runs.

Threads. ``Metrics.subscribe`` delivers record batches on the runtime loop
thread; ``_on_metrics_batch`` only appends them (with a pool sample) to an
inbox under a lock. A GUI-thread ``QTimer`` (every ``interval_ms``, 5 fps by
default) drains the inbox into the ``ProfilerModel`` and hands the view one
``ProfilerFrame``: one redraw per tick however many invocations ran, and no
Qt signal per invocation or per batch.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.bridge import FutureBridge
from app.panels.profiler.history import load_history, save_history
from app.panels.profiler.model import WINDOWS, PoolSample, ProfilerFrame, ProfilerModel
from app.services.types import Failure
from runtime.errors import RuntimeDisposed
from runtime.invocation import HttpRequest, Trigger
from runtime.isolate import MB
from runtime.loadrun import LoadSpec, LoadSummary, pool_heap_probe, run_load
from runtime.loop import RuntimeThread
from runtime.metrics import InvocationRecord, Subscription
from runtime.service import ProjectRuntime

REDRAW_INTERVAL_MS = 200
"""Redraw period: 5 frames per second."""


class ProfilerView(Protocol):
    """What the profiler controller needs from its widget."""

    def render_frame(self, frame: ProfilerFrame) -> None:
        """Draw every chart from ``frame``."""
        ...

    def show_status(self, text: str) -> None:
        """Show a one-line status (paused, exported, ...)."""
        ...


class ProfilerController(QObject):
    """Collects metrics batches of the attached runtime and redraws the charts on a timer.

    Args:
        view: The profiler widget (or a fake in tests).
        thread: The runtime thread (for writing CSV files off the GUI thread).
        bridge: Delivers finished futures on the GUI thread.
        on_failure: Where failed exports go (the app's error reporter).
        clock: Epoch-seconds clock.
        interval_ms: Redraw period.
    """

    def __init__(self, view: ProfilerView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None, *,
                 clock: Callable[[], float] = time.time, interval_ms: int = REDRAW_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.view = view
        self._thread = thread
        self._bridge = bridge
        self._on_failure = on_failure
        self._clock = clock
        self.model = ProfilerModel(clock())
        self.window_label = "30 s"
        self.paused = False
        self.frames_rendered = 0
        """Redraws so far (for measuring the redraw rate)."""
        self._runtime: ProjectRuntime | None = None
        self._subscription: Subscription | None = None
        self._inbox_lock = threading.Lock()
        self._inbox: list[tuple[list[InvocationRecord], PoolSample | None]] = []
        self._drawn_version = -1
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.on_timer_tick)
        self._timer.start()

    # -- runtime -------------------------------------------------------------------
    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Follow ``runtime``'s metrics (None: detach)."""
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        self._runtime = runtime
        if runtime is not None:
            self._subscription = runtime.metrics.subscribe(self._on_metrics_batch)

    def _on_metrics_batch(self, batch: list[InvocationRecord]) -> None:
        """Runtime loop thread: queue the batch with a pool sample; never touches Qt."""
        runtime = self._runtime
        pool = runtime.pool if runtime is not None else None
        sample = PoolSample(time.time(), pool.statistics()) if pool is not None else None
        limit = pool.limits.memory_mb * MB if pool is not None else 0
        with self._inbox_lock:
            self._inbox.append((batch, sample))
            self.model.heap_limit = float(limit)

    def drain(self) -> int:
        """Move queued batches into the model; return how many records arrived."""
        with self._inbox_lock:
            inbox, self._inbox = self._inbox, []
        records = [r for batch, _s in inbox for r in batch]
        samples = [s for _b, s in inbox if s is not None]
        if inbox:
            self.model.add(records, samples)
        return len(records)

    # -- redraw --------------------------------------------------------------------
    def on_timer_tick(self) -> None:
        """Drain the inbox and redraw if anything changed (or the window slides)."""
        self.drain()
        sliding = WINDOWS[self.window_label] is not None and self.model.records
        if self.paused or (self.model.version == self._drawn_version and not sliding):
            return
        self.redraw()

    def redraw(self) -> None:
        """Render the current window now."""
        self._drawn_version = self.model.version
        self.view.render_frame(self.model.frame(self._clock(), WINDOWS[self.window_label]))
        self.frames_rendered += 1

    # -- user actions ----------------------------------------------------------------
    def set_window(self, label: str) -> None:
        """Show the last 30 s, 5 min, or everything."""
        if label not in WINDOWS:
            raise ValueError(f"unknown window {label!r}")
        self.window_label = label
        self.redraw()

    def set_paused(self, paused: bool) -> None:
        """Freeze the charts (records keep accumulating) or resume."""
        self.paused = paused
        self.view.show_status("paused" if paused else "")
        if not paused:
            self.redraw()

    def clear(self) -> None:
        """Drop every record and sample."""
        self.drain()
        self.model.clear(self._clock())
        self.redraw()

    def export_csv(self, path: Path) -> None:
        """Write the records kept to ``path`` as CSV (on the runtime thread's executor)."""
        text = self.model.to_csv
        future = self._thread.submit(asyncio.to_thread(_write_text, path, text))
        self._bridge.watch(future, lambda _v: self.view.show_status(f"exported {len(self.model.records)} records "
                                                                    f"to {path.name}"),
                           self._on_failure, f"exporting the profile to {path}")

    def close(self) -> None:
        """Stop the timer and the subscription (the panel is closing)."""
        self._timer.stop()
        self.attach(None)


def _write_text(path: Path, render: Callable[[], str]) -> None:
    path.write_text(render(), encoding="utf-8", newline="")


# ---- load runs -------------------------------------------------------------------


@dataclass(frozen=True)
class LoadRunStarted:
    """A load run was submitted."""

    label: str
    spec: LoadSpec


class LoadRunView(Protocol):
    """What the load-run controller needs from its form."""

    def show_running(self, started: LoadRunStarted | None) -> None:
        """Show that a run is in progress (None: idle again)."""
        ...

    def show_progress(self, done: int) -> None:
        """Invocations completed so far in the current run."""
        ...

    def show_runs(self, runs: list[LoadSummary], current: LoadSummary | None) -> None:
        """List every past run and show ``current`` in detail (summary + histogram)."""
        ...


class LoadRunController(QObject):
    """Runs load tests against the attached runtime and keeps every summary for comparison."""

    _sig_progress = Signal(int)

    def __init__(self, view: LoadRunView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._thread = thread
        self._bridge = bridge
        self._on_failure = on_failure
        self.runs: list[LoadSummary] = []
        self.trigger: Trigger = HttpRequest()
        self.label = "GET /"
        self._runtime: ProjectRuntime | None = None
        self._history_root: Path | None = None
        """The project whose run history ``runs`` holds (saved in its ``.isoplay/loadruns.json``)."""
        self._cancel: threading.Event | None = None
        self._sig_progress.connect(view.show_progress, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._cancel is not None

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Run against ``runtime`` from now on (None: no project); its saved run history is shown."""
        self._runtime = runtime
        root = runtime.project.root if runtime is not None else None
        if root == self._history_root:
            return
        self._history_root = root
        self.runs = []
        self.view.show_runs([], None)
        if root is not None:
            future = self._thread.submit(asyncio.to_thread(load_history, root))
            self._bridge.watch(future, lambda runs: self._on_history_loaded(root, runs), self._on_failure,
                               "reading the load-run history")

    def _on_history_loaded(self, root: Path, runs: list[LoadSummary]) -> None:
        if root != self._history_root or not runs:
            return
        self.runs = runs + self.runs
        self.view.show_runs(list(self.runs), None)

    def set_trigger(self, trigger: Trigger, label: str) -> None:
        """The request (or other trigger) the next run fires (the simulator's current one)."""
        self.trigger, self.label = trigger, label

    def start(self, spec: LoadSpec) -> bool:
        """Start a run; False if no project is attached or a run is already going."""
        runtime = self._runtime
        if runtime is None or self.running:
            return False
        self._cancel = threading.Event()
        coro = run_load(runtime.invoke, self.trigger, spec, label=self.label, cancel=self._cancel,
                        progress=self._sig_progress.emit, heap_probe=pool_heap_probe(lambda: runtime.pool))
        self._bridge.watch(self._thread.submit(coro), self._on_run_finished, self._on_run_failed,
                           f"load run of {self.label}")
        self.view.show_running(LoadRunStarted(self.label, spec))
        return True

    def cancel(self) -> None:
        """Stop starting new invocations; the summary covers those done."""
        if self._cancel is not None:
            self._cancel.set()

    def _on_run_finished(self, summary: LoadSummary) -> None:
        self._cancel = None
        self.runs.append(summary)
        if self._history_root is not None:
            root, runs = self._history_root, list(self.runs)
            save = asyncio.to_thread(save_history, root, runs)
            try:
                future = self._thread.submit(save)
            except RuntimeDisposed:  # the IDE is closing under a running load run: nothing left to save with
                save.close()
            else:
                self._bridge.watch(future, lambda _v: None, self._on_failure, "saving the load-run history")
        self.view.show_running(None)
        self.view.show_runs(list(self.runs), summary)

    def _on_run_failed(self, failure: Failure) -> None:
        self._cancel = None
        self.view.show_running(None)
        self._on_failure(failure)

    def show(self, index: int) -> None:
        """Show past run ``index`` in detail."""
        self.view.show_runs(list(self.runs), self.runs[index])
