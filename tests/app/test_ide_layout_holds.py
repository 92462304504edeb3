"""#15 point 1: a layout that holds, on the real main window offscreen.

No content grows the window; the editor keeps 20 lines at 1024x700; nothing forces the window wider than
1024; visible splitters; View → Reset Layout; a saved layout that doesn't fit the screen is discarded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ide_testutil import WAIT_MS
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QStyle, QToolBar

from app.layout import MIN_EDITOR_LINES, ElidingLabel
from app.panels.simulator.forms import HttpForm

LONG = "NoKeyringError: " + "x" * 3000 + " and " + "a-very-long-token-without-spaces-" * 80


def in_front(dock: Any) -> bool:
    """Drawn: not closed and the current tab of its group (Qt parks the others off the window)."""
    return dock.isVisible() and dock.geometry().top() >= 0 and dock.geometry().left() >= 0


def settle(qtbot: Any, ms: int = 150) -> None:
    QApplication.processEvents()
    qtbot.wait(ms)


def test_1024x700_keeps_the_window_size_and_twenty_editor_lines(qtbot: Any, ide_factory: Any,
                                                                 sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    window = ide.window
    window.resize(1024, 700)
    settle(qtbot, 300)
    assert window.size() == QSize(1024, 700)
    assert window.minimumSizeHint().width() <= 1024
    for bar in window.findChildren(QToolBar):  # the toolbars overflow into their » menu instead
        assert bar.minimumSizeHint().width() < 400, bar.windowTitle()
    editor = ide.controllers.editors.current_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: editor.view.linesOnScreen() >= MIN_EDITOR_LINES, timeout=WAIT_MS)
    # a tall bottom panel (as a saved layout may have) gives the lines back after the next resize
    window.resizeDocks([window.docks["console"]], [520], Qt.Orientation.Vertical)
    settle(qtbot)
    window.resize(1024, 701)
    qtbot.waitUntil(lambda: editor.view.linesOnScreen() >= MIN_EDITOR_LINES, timeout=WAIT_MS)
    assert window.width() == 1024


def test_a_narrow_window_folds_the_right_column_into_tabs_before_the_editor_narrows(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    window = ide.window
    area = Qt.DockWidgetArea
    editor = ide.controllers.editors.current_editor()
    assert window.dockWidgetArea(window.docks["simulator"]) == area.RightDockWidgetArea  # 1280 wide: two columns
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.dockWidgetArea(window.docks["simulator"]) == area.LeftDockWidgetArea,
                    timeout=WAIT_MS)
    settle(qtbot, 300)
    assert window.size() == QSize(1024, 700)
    central = window.centralWidget()
    assert central.width() >= 0.55 * window.width(), central.width()
    qtbot.waitUntil(lambda: editor.view.linesOnScreen() >= MIN_EDITOR_LINES, timeout=WAIT_MS)
    # every side panel is still one click away, as a tab of the left column; none is closed
    for name in ("simulator", "response", "deployments"):
        dock = window.docks[name]
        assert window.dockWidgetArea(dock) == area.LeftDockWidgetArea and not dock.isHidden(), name
    assert window.docks["simulator"] in window.tabifiedDockWidgets(window.docks["tree"])
    assert window.docks["response"] in window.tabifiedDockWidgets(window.docks["outline"])
    # the Simulator's form still fits its column, and Send still works from its tab
    window.show_dock("simulator")
    settle(qtbot)
    simulator = window.dock_content("simulator")
    assert simulator.width() >= simulator.minimumSizeHint().width()
    window.show_dock("outline")  # the Outline covers the Response in their tab group
    settle(qtbot)
    assert not in_front(window.docks["response"]), window.docks["response"].geometry()
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS):
        ide.controllers.simulator.run_current()
    qtbot.waitUntil(lambda: in_front(window.docks["response"]), timeout=WAIT_MS)  # Send shows its answer
    assert in_front(window.docks["simulator"])  # and the form stays in view above it
    # a wide window gets its right column back, as it was
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.dockWidgetArea(window.docks["simulator"]) == area.RightDockWidgetArea,
                    timeout=WAIT_MS)
    settle(qtbot, 300)
    for name in ("response", "deployments"):
        assert window.dockWidgetArea(window.docks[name]) == area.RightDockWidgetArea, name
    assert window.docks["deployments"] in window.tabifiedDockWidgets(window.docks["response"])
    assert window.docks["simulator"].geometry().bottom() < window.docks["response"].geometry().top()
    assert window.docks["simulator"] not in window.tabifiedDockWidgets(window.docks["tree"])
    assert window.centralWidget().width() >= 0.5 * window.width()


def test_with_the_outline_closed_the_whole_right_column_folds_beside_the_explorer(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    window = ide.window
    window.docks["outline"].close()
    settle(qtbot)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.dockWidgetArea(window.docks["response"]) == Qt.DockWidgetArea.LeftDockWidgetArea,
                    timeout=WAIT_MS)
    settle(qtbot)
    tree = window.docks["tree"]
    group = window.tabifiedDockWidgets(tree)
    assert {window.docks[n] for n in ("simulator", "response", "deployments")} <= set(group)
    assert in_front(tree)  # the Explorer stays in front; the others are tabs beside it
    assert window.centralWidget().width() >= 0.55 * window.width()
    assert window.docks["outline"].isHidden()
    # View → Reset Layout on the narrow window: the Outline is back, and the right column folds again
    window.action("reset_layout").trigger()
    qtbot.waitUntil(lambda: not window.docks["outline"].isHidden(), timeout=WAIT_MS)
    settle(qtbot, 300)
    assert window.dockWidgetArea(window.docks["simulator"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.docks["response"] in window.tabifiedDockWidgets(window.docks["outline"])
    assert in_front(tree) and in_front(window.docks["response"])
    assert window.centralWidget().width() >= 0.55 * window.width()


def test_a_layout_saved_on_a_narrow_window_opens_unfolded_on_a_wide_one(qtbot: Any, ide_factory: Any,
                                                                        sample_project: Path,
                                                                        settings_factory: Any) -> None:
    area = Qt.DockWidgetArea
    narrow = ide_factory(sample_project, settings_factory("narrow"))
    window = narrow.window
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.dockWidgetArea(window.docks["simulator"]) == area.LeftDockWidgetArea,
                    timeout=WAIT_MS)
    settle(qtbot)
    narrow.save_state()
    # saving did not unfold the running narrow window
    assert window.dockWidgetArea(window.docks["simulator"]) == area.LeftDockWidgetArea
    assert window.docks["response"] in window.tabifiedDockWidgets(window.docks["outline"])

    wide = ide_factory(sample_project, settings_factory("narrow"))
    wide.window.resize(1600, 1000)
    settle(qtbot, 300)
    for name in ("simulator", "response", "deployments"):
        assert wide.window.dockWidgetArea(wide.window.docks[name]) == area.RightDockWidgetArea, name


def test_a_narrow_window_gives_run_and_debug_most_of_its_folded_column_while_it_shows(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    from app.debugging import DEBUG_COLUMN_SHARE, DOCK

    ide = ide_factory(sample_project)
    window = ide.window
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.dockWidgetArea(window.docks["response"]) == Qt.DockWidgetArea.LeftDockWidgetArea,
                    timeout=WAIT_MS)
    settle(qtbot, 300)
    response = window.docks["response"]
    response_before = response.height()
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", 10)
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    debug = window.docks[DOCK]
    column = lambda: debug.height() + response.height()  # noqa: E731
    qtbot.waitUntil(lambda: debug.isVisible() and debug.height() >= (DEBUG_COLUMN_SHARE - 0.05) * column(),
                    timeout=WAIT_MS)
    assert response.isVisible() and response.height() >= 60  # still there, below
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
    assert tree.viewport().height() >= 5 * tree.sizeHintForRow(0)  # the Variables show more than a row or two
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    # back to the Explorer: the groups below get their height back
    window.show_dock("tree")
    qtbot.waitUntil(lambda: abs(response.height() - response_before) <= 8, timeout=WAIT_MS)


def test_a_long_error_in_every_panel_leaves_the_window_size_unchanged(qtbot: Any, ide_factory: Any,
                                                                     sample_project: Path) -> None:
    index = sample_project / "src" / "index.ts"
    index.write_text(index.read_text().replace('"kaboom"', f'"{"kaboom-" * 600}"'))
    ide = ide_factory(sample_project)
    window = ide.window
    window.resize(1024, 700)
    settle(qtbot, 300)
    before = window.size()

    # real paths: a thrown error with a 4 kB message in the Response and Console, a long build error in
    # the status bar, a long input error in the Simulator, a long server error in Deployments, the find bar
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS):
        ide.panels.simulator.set_http_form(HttpForm("GET", "/boom?" + "q" * 2000))
        ide.controllers.simulator.run_current()
    ide.window.set_status("build", LONG)
    ide.panels.simulator.error.setText(LONG)
    ide.panels.simulator.error.show()
    ide.tools.deployments.show_error(LONG)
    ide.controllers.console.add_message("error", LONG)
    window.show_dock("deployments")
    settle(qtbot)
    status = ide.tools.deployments.status  # cut to the panel's width, the whole of it on hover
    assert isinstance(status, ElidingLabel) and status.toolTip() == f"✗ {LONG}"
    assert status.displayed_text().endswith("…") and status.width() < 700
    editor = ide.controllers.editors.current_editor()
    editor.show_find_bar()
    for field in editor.find_bar.findChildren(QLineEdit):
        field.setText(LONG)
    # and every label of every panel, shown one dock at a time
    for name, dock in window.docks.items():
        window.show_dock(name)
        for label in window.dock_content(name).findChildren(QLabel):
            label.setText(LONG)
        settle(qtbot, 30)
        assert window.size() == before, name
    settle(qtbot)
    assert window.size() == before
    assert window.minimumSizeHint().width() <= 1024
    assert window.docks["simulator"].width() < 700 and window.docks["response"].width() < 700


def test_splitters_are_visible_and_easy_to_grab(ide_factory: Any) -> None:
    window = ide_factory().window
    extent = window.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, window)
    assert extent >= 4


def test_view_reset_layout_puts_every_dock_back(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    window = ide.window
    area = Qt.DockWidgetArea
    window.docks["console"].close()
    window.addDockWidget(area.LeftDockWidgetArea, window.docks["response"])
    window.docks["problems"].setFloating(True)
    settle(qtbot)
    window.action("reset_layout").trigger()
    settle(qtbot, 300)
    assert not window.docks["console"].isHidden()
    assert window.dockWidgetArea(window.docks["response"]) == area.RightDockWidgetArea
    assert not window.docks["problems"].isFloating()
    assert window.dockWidgetArea(window.docks["problems"]) == area.BottomDockWidgetArea
    assert window.docks["tree"].width() < window.width() * 0.3


def test_a_saved_layout_that_does_not_fit_the_screen_is_discarded(qtbot: Any, ide_factory: Any,
                                                                  settings_factory: Any) -> None:
    first = ide_factory(settings=settings_factory("big"))
    window = first.window
    screen = window.screen().availableGeometry()
    window.docks["console"].close()
    window.resize(screen.width() + 1500, 900)  # as a long error once grew it
    settle(qtbot)
    assert window.width() > screen.width()
    first.save_state()

    again = ide_factory(settings=settings_factory("big"))
    settle(qtbot)
    assert again.window.width() <= screen.width()
    assert not again.window.docks["console"].isHidden()  # the dock state saved with it went too

    # a layout that fits is restored
    window = again.window
    window.resize(1100, 760)
    window.docks["kv"].close()
    settle(qtbot)
    again.save_state()
    third = ide_factory(settings=settings_factory("big"))
    settle(qtbot)
    assert third.window.docks["kv"].isHidden()


def test_the_explorer_column_shows_its_tab_row_whole(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    """At 1600x1000 the left column's tabs (Explorer, Run and Debug, Testing) fit without scroll arrows."""
    from PySide6.QtWidgets import QTabBar

    window = ide_factory(sample_project).window
    window.resize(1600, 1000)
    settle(qtbot)
    window.action("reset_layout").trigger()
    settle(qtbot, 300)
    bars = [bar for bar in window.findChildren(QTabBar) if bar.parent() is window and bar.isVisible()
            and "Explorer" in [bar.tabText(i) for i in range(bar.count())]]
    assert len(bars) == 1
    bar = bars[0]
    texts = [bar.tabText(i) for i in range(bar.count())]
    assert {"Explorer", "Run and Debug", "Testing"} <= set(texts), texts
    needed = sum(bar.tabSizeHint(i).width() for i in range(bar.count()))
    assert bar.width() >= needed, (bar.width(), needed)
    assert window.centralWidget().width() >= 0.5 * window.width()
