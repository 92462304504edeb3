"""Testing panel: the project's test files and tests, run with ``isoplay test``'s runner.

Wiring (composition root)::

    panel = create_testing_panel(parent, thread, bridge, on_failure)
    dock.setWidget(panel.widget)
    panel.controller.sig_problems_changed.connect(problems.set_test_problems)
    panel.controller.sig_location_requested.connect(editors.open_location)
    panel.attach_root(root)            # on project open (None on close)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.testing.controller import TestingController, TestRow, TestTarget
from app.panels.testing.widget import TestingWidget
from app.services.types import Failure
from runtime.loop import RuntimeThread


@dataclass(frozen=True)
class TestingPanel:
    """The Testing widget and its controller, connected."""

    __test__ = False  # not a pytest test class

    widget: TestingWidget
    controller: TestingController

    def attach_root(self, root: Path | None) -> None:
        """Follow the project at ``root`` (None when it closes)."""
        self.controller.set_root(root)

    def attach(self, runtime: Any) -> None:
        """``run_panel_demo``'s hook: follow the demo runtime's project."""
        self.controller.set_root(getattr(runtime, "root", None))


def create_testing_panel(parent: QWidget, thread: RuntimeThread, bridge: FutureBridge,
                         on_failure: Callable[[Failure], None]) -> TestingPanel:
    """Build the Testing panel and connect its signals to its controller."""
    widget = TestingWidget(parent)
    c = TestingController(widget, thread, bridge, on_failure, parent=widget)
    widget.sig_run_requested.connect(c.on_view_run_requested)
    widget.sig_refresh_requested.connect(c.refresh)
    widget.sig_location_activated.connect(c.on_view_location_activated)
    widget.sig_debug_requested.connect(c.on_view_debug_requested)
    return TestingPanel(widget, c)


__all__ = ["TestRow", "TestTarget", "TestingController", "TestingPanel", "TestingWidget", "create_testing_panel"]
