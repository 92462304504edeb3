"""Heap panel controller: snapshots of an isolate, their constructor tables, diffs, saving.

The snapshot is taken on the runtime loop (the isolate belongs to it); parsing
the snapshot into a constructor table runs in a worker thread of that loop, so
neither the GUI thread nor the loop is blocked by the parse.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime import heapsnapshot
from runtime.heapsnapshot import ConstructorDiff, HeapSummary
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@dataclass(frozen=True)
class HeapSnapshotTaken:
    """One snapshot with its parsed table."""

    isolate_id: int
    time: float
    """Epoch seconds when it was taken."""
    summary: HeapSummary
    snapshot: dict[str, Any]
    """The raw .heapsnapshot JSON (for saving)."""

    @property
    def label(self) -> str:
        """``isolate 3 @ 12:04:05``."""
        return f"isolate {self.isolate_id} @ {time.strftime('%H:%M:%S', time.localtime(self.time))}"


@dataclass(frozen=True)
class HeapComparison:
    """What grew between two snapshots."""

    before: str
    after: str
    grown: tuple[ConstructorDiff, ...]


class HeapView(Protocol):
    """What the controller needs from the heap widget."""

    def show_isolates(self, ids: list[int]) -> None:
        """The isolates that can be snapshotted."""
        ...

    def show_snapshot(self, taken: HeapSnapshotTaken, comparison: HeapComparison | None) -> None:
        """Show a snapshot's table and, if there was a previous one, what grew."""
        ...

    def show_status(self, text: str) -> None:
        """One line of status."""
        ...


class HeapController(QObject):
    """Takes and keeps heap snapshots of the attached runtime's isolates."""

    def __init__(self, view: HeapView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._thread, self._bridge, self._on_failure = thread, bridge, on_failure
        self._runtime: ProjectRuntime | None = None
        self.snapshots: list[HeapSnapshotTaken] = []

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Snapshot ``runtime``'s isolates (None: none)."""
        self._runtime = runtime
        self.refresh_isolates()

    def refresh_isolates(self) -> None:
        """List the live isolates of the current pool."""
        runtime = self._runtime
        if runtime is None:
            self.view.show_isolates([])
            return

        async def ids() -> list[int]:
            return sorted(i.id for i in runtime.pool.isolates()) if runtime.pool is not None else []

        self._bridge.watch(self._thread.submit(ids()), self.view.show_isolates, self._on_failure, "listing isolates")

    def take_snapshot(self, isolate_id: int) -> None:
        """Snapshot isolate ``isolate_id`` (-1: the first live one)."""
        runtime = self._runtime
        if runtime is None:
            return
        self.view.show_status("taking a heap snapshot…")
        self._bridge.watch(self._thread.submit(_take(runtime, isolate_id)),
                           lambda taken: self._on_taken(taken, isolate_id), self._on_failure, "taking a heap snapshot")

    def _on_taken(self, taken: HeapSnapshotTaken | None, asked: int = -1) -> None:
        self.refresh_isolates()  # the pool replaces isolates (reloads, recycling): keep the list current
        if taken is None:
            self.view.show_status("no isolate is running (the project has not built, or is reloading); try again")
            return
        previous = self.snapshots[-1] if self.snapshots else None
        self.snapshots.append(taken)
        note = (f" (isolate {asked} was replaced since the list was made: took isolate {taken.isolate_id})"
                if asked >= 0 and asked != taken.isolate_id else "")
        self.view.show_status(f"{taken.summary.node_count:,} nodes, {taken.summary.total_size:,} bytes{note}")
        self.view.show_snapshot(taken, self.compare(previous, taken) if previous else None)

    @staticmethod
    def compare(before: HeapSnapshotTaken, after: HeapSnapshotTaken) -> HeapComparison:
        """What grew from ``before`` to ``after``."""
        grown = heapsnapshot.diff(before.summary.rows, after.summary.rows)
        return HeapComparison(before.label, after.label, tuple(grown))

    def save_latest(self, path: Path) -> None:
        """Save the newest snapshot as a ``.heapsnapshot`` file (Chrome DevTools → Memory → Load)."""
        if not self.snapshots:
            self.view.show_status("take a snapshot first")
            return
        snapshot = self.snapshots[-1].snapshot
        future = self._thread.submit(asyncio.to_thread(heapsnapshot.save, snapshot, path))
        self._bridge.watch(future, lambda saved: self.view.show_status(f"saved {saved.name}"), self._on_failure,
                           f"saving {path}")


async def _take(runtime: ProjectRuntime, isolate_id: int) -> HeapSnapshotTaken | None:
    pool = runtime.pool
    isolates = pool.isolates() if pool is not None else []
    # The id comes from a list made earlier; the pool may have replaced that isolate since (a reload, a
    # recycle). Then the snapshot is of a live one of the same pool, and the status says so.
    isolate = next((i for i in isolates if i.id == isolate_id), None) or next(iter(isolates), None)
    if isolate is None:
        return None
    snapshot = heapsnapshot.take(isolate)
    summary = await asyncio.to_thread(heapsnapshot.summarize, snapshot)
    return HeapSnapshotTaken(isolate.id, time.time(), summary, snapshot)
