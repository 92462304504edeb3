"""D1 browser panel: the project's D1 databases, their tables, and SQL run on them.

Wiring (composition root)::

    panel = create_d1_panel(parent, thread, bridge, on_failure)
    dock.setWidget(panel.widget)
    panel.attach(runtime)   # on project open (ProjectRuntime) / close (None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.d1.controller import D1BrowserController
from app.panels.d1.widget import D1BrowserWidget
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@dataclass(frozen=True)
class D1Panel:
    """The D1 browser widget and its controller, connected."""

    widget: D1BrowserWidget
    controller: D1BrowserController

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Follow ``runtime`` (None when the project closes)."""
        self.controller.attach(runtime)


def create_d1_panel(parent: QWidget, thread: RuntimeThread, bridge: FutureBridge,
                    on_failure: Callable[[Failure], None]) -> D1Panel:
    """Build the D1 browser and connect its signals to its controller."""
    widget = D1BrowserWidget(parent)
    c = D1BrowserController(widget, thread, bridge, on_failure, parent=widget)
    widget.sig_database_selected.connect(c.set_database)
    widget.sig_refresh_requested.connect(c.refresh)
    widget.sig_table_selected.connect(c.browse)
    widget.sig_run_requested.connect(c.execute)
    return D1Panel(widget, c)


__all__ = ["D1BrowserController", "D1BrowserWidget", "D1Panel", "create_d1_panel"]
