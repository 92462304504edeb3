"""The Testing dock (app/panels/testing) in the IDE: part of the composition root.

``install_testing`` builds the panel, docks it in the Explorer's column (a tab
beside Explorer and Run and Debug, as VS Code's Testing view), sends its
failures to the Problems panel and its locations to the editor, lists the tests
of each project that opens, and puts a ▶ beside every test in open editors
(``GutterMarkers``): grey until it ran, then green or red; a click runs that test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from app.panels.testing import TestingPanel, create_testing_panel
from app.panels.testing.controller import TestingController

if TYPE_CHECKING:
    from app.main import Ide

DOCK = "testing"


class GutterMarkers:
    """Keeps the ▶ markers of open editors in step with the Testing controller's rows."""

    def __init__(self, controller: TestingController, editor_for: Callable[[Path], Any]) -> None:
        self.controller = controller
        self.editor_for = editor_for
        self._wired: set[int] = set()
        controller.sig_rows_changed.connect(self.on_rows_changed)

    def _rel(self, path: Path) -> str | None:
        root = self.controller.root
        if root is None:
            return None
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return None

    def attach_editor(self, path: Path) -> None:
        """An editor opened on ``path``: give it markers and make them clickable."""
        editor, rel = self.editor_for(path), self._rel(path)
        if editor is None or rel is None:
            return
        if id(editor) not in self._wired:
            self._wired.add(id(editor))
            editor.sig_test_marker_clicked.connect(lambda clicked, e=editor: self._on_clicked(e, clicked.line))
        editor.set_test_markers(self.controller.markers(rel))

    def on_rows_changed(self, file: str) -> None:
        """Slot: refresh the markers of ``file``'s editor, if it is open."""
        if self.controller.root is None:
            return
        editor = self.editor_for(self.controller.root / file)
        if editor is not None:
            self.attach_editor(self.controller.root / file)

    def _on_clicked(self, editor: Any, line: int) -> None:
        path = getattr(editor, "path", None)
        rel = self._rel(Path(path)) if path is not None else None
        target = self.controller.test_at(rel, line + 1) if rel is not None else None
        if target is not None:
            self.controller.run(target)


def install_testing(ide: Ide) -> TestingPanel:
    """Build, dock and connect the Testing panel and the editors' ▶ markers."""
    window, s, c = ide.window, ide.services, ide.controllers
    panel = create_testing_panel(window, s.runtime.thread, s.bridge, s.reporter.report)
    window.add_tool_dock(DOCK, "Testing", panel.widget, beside="tree", area=Qt.DockWidgetArea.LeftDockWidgetArea)
    window.docks["tree"].raise_()
    panel.controller.sig_problems_changed.connect(c.problems.set_test_problems)
    panel.controller.sig_location_requested.connect(c.editors.open_location)
    c.project.sig_project_opening.connect(lambda opening: panel.attach_root(opening.root))
    panel.controller.sig_debug_requested.connect(lambda target: _debug_test(ide, panel, target))
    markers = GutterMarkers(panel.controller, c.editors.editor_for)
    c.editors.sig_file_opened.connect(markers.attach_editor)
    ide.testing_markers = markers
    return panel


def _debug_test(ide: Ide, panel: TestingPanel, target: Any) -> None:
    """The Testing panel's Debug button: a debug session of that test (its end updates the row)."""
    debugger = ide.debugger
    controller = debugger.controller if debugger is not None else None
    if controller is None:
        panel.widget.show_status("open a project to debug its tests")
        return
    controller.start_test(target.file, target.test)


def debug_test_finished(ide: Ide, file: str, test: dict[str, Any] | None, error: str | None) -> None:
    """A debug session of a test ended (app/debugging.py calls this): the Testing panel shows the result."""
    panel = getattr(ide, "testing", None)
    if panel is not None:
        panel.controller.debug_finished(file, test, error)
