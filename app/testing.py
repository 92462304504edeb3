"""The Testing dock (app/panels/testing) in the IDE: part of the composition root.

``install_testing`` builds the panel, docks it in the Explorer's column (a tab
beside Explorer and Run and Debug, as VS Code's Testing view), sends its
failures to the Problems panel and its locations to the editor, and lists the
tests of each project that opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from app.panels.testing import TestingPanel, create_testing_panel

if TYPE_CHECKING:
    from app.main import Ide

DOCK = "testing"


def install_testing(ide: Ide) -> TestingPanel:
    """Build, dock and connect the Testing panel."""
    window, s, c = ide.window, ide.services, ide.controllers
    panel = create_testing_panel(window, s.runtime.thread, s.bridge, s.reporter.report)
    window.add_tool_dock(DOCK, "Testing", panel.widget, beside="tree", area=Qt.DockWidgetArea.LeftDockWidgetArea)
    window.docks["tree"].raise_()
    panel.controller.sig_problems_changed.connect(c.problems.set_test_problems)
    panel.controller.sig_location_requested.connect(c.editors.open_location)
    c.project.sig_project_opening.connect(lambda opening: panel.attach_root(opening.root))
    return panel
