"""Heap panel: V8 heap snapshots of an isolate, constructor table, growth between snapshots, save.

Wiring (composition root)::

    panel = create_heap_panel(parent, thread, bridge, on_failure)
    dock.setWidget(panel.widget)
    panel.controller.attach(runtime)   # on project open (ProjectRuntime) / close (None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.heap.controller import HeapController
from app.panels.heap.widget import HeapWidget
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@dataclass(frozen=True)
class HeapPanel:
    """The heap widget and its controller, connected."""

    widget: HeapWidget
    controller: HeapController

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Follow ``runtime`` (None when the project closes)."""
        self.controller.attach(runtime)


def create_heap_panel(parent: QWidget, thread: RuntimeThread, bridge: FutureBridge,
                      on_failure: Callable[[Failure], None]) -> HeapPanel:
    """Build the heap panel and connect its signals to its controller."""
    widget = HeapWidget(parent)
    controller = HeapController(widget, thread, bridge, on_failure, parent=widget)
    widget.sig_snapshot_requested.connect(controller.take_snapshot)
    widget.sig_save_requested.connect(controller.save_latest)
    widget.sig_isolates_refresh_requested.connect(controller.refresh_isolates)
    return HeapPanel(widget, controller)


__all__ = ["HeapController", "HeapPanel", "HeapWidget", "create_heap_panel"]
