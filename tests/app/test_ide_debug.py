"""The debugger in the real main window (build_app): margin, F5 from the simulator, pause, continue, response.

Real runtime thread, real esbuild, a real debuggee process with a real isolate,
real widgets offscreen.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from app.panels.debug.store import STORE_PATH
from app.panels.debug.types import DebugState
from app.panels.simulator.forms import HttpForm
from runtime.project import new_project

pytestmark = pytest.mark.timeout(120)

AFTER_AWAIT_LINE = 11
"""1-based line of ``return Response.json(...)`` in INDEX_TS (after ``await env.KV.put``)."""

DEBUG_KEYS = ("F5", "F6", "F9", "F10", "F11", "Shift+F11", "Shift+F5")


def click_margin(qtbot: Any, editor: Any, line: int) -> None:
    """A real mouse click in the breakpoint margin on 0-based ``line``."""
    view = editor.view
    y = view.pointYFromPosition(view.positionFromLine(line)) + view.textHeight(line) // 2
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(view.marginWidthN(0) + 4, y))


def press(qtbot: Any, ide: Any, key: str) -> None:
    """Press a shortcut with the keyboard focus in the current editor (as a user would)."""
    editor = ide.controllers.editors.current_editor()
    ide.window.activateWindow()
    QWidget.setFocus(editor.view)
    sequence = QKeySequence(key)[0]
    qtbot.keyClick(editor.view, sequence.key(), sequence.keyboardModifiers())


def actions_bound_to(window: Any, key: str) -> list[str]:
    """Texts of the enabled-or-not actions of the window that use shortcut ``key``."""
    wanted = QKeySequence(key)
    return [a.text() for a in window.findChildren(QAction) if wanted in a.shortcuts()]


def on_screen(widget: QWidget) -> bool:
    """Shown and not covered (a dock in a tab that is not current is 'visible' but has no visible region)."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def assert_run_and_debug_layout(qtbot: Any, ide: Any) -> None:
    """Paused: Variables, Watch, Call Stack and Breakpoints all on screen at once in the left column (tabbed with the
    Explorer, the Outline out of their way), the Debug Console on screen in the bottom area beside the Console."""
    window, panel = ide.window, ide.debugger.panel
    debug, console = window.docks["debug"], window.docks["debug_console"]
    assert window.dockWidgetArea(debug) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.docks["tree"] in window.tabifiedDockWidgets(debug)
    assert window.dockWidgetArea(console) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.docks["console"] in window.tabifiedDockWidgets(console)
    qtbot.waitUntil(lambda: all(on_screen(s.body) and s.body.height() >= 60 for s in panel.sections.values()),
                    timeout=WAIT_MS)
    assert on_screen(panel.console) and not on_screen(window.dock_content("tree"))
    assert window.docks["outline"].isHidden()  # the Run and Debug view has the whole column, as in VS Code
    assert debug.height() > window.height() * 0.6


def test_breakpoint_from_the_margin_f5_pauses_with_stack_and_continue_shows_the_response(
        qtbot: Any, ide_factory: Any, sample_project: Path, tmp_path: Path) -> None:
    ide = ide_factory(sample_project)
    for key in DEBUG_KEYS:  # one action per key, none ambiguous with the IDE's own shortcuts (Ctrl+R runs)
        assert len(actions_bound_to(ide.window, key)) == 1, (key, actions_bound_to(ide.window, key))
    menus = [a.text() for a in ide.window.menuBar().actions()]
    assert menus.index("&Debug") == menus.index("&View") - 1
    editor = ide.controllers.editors.current_editor()
    click_margin(qtbot, editor, AFTER_AWAIT_LINE - 1)
    assert editor.breakpoints() == {AFTER_AWAIT_LINE - 1: True}
    saved = json.loads((sample_project / STORE_PATH).read_text(encoding="utf-8"))
    assert [(b["file"], b["line"]) for b in saved["breakpoints"]] == [("src/index.ts", AFTER_AWAIT_LINE)]
    ide.panels.simulator.set_http_form(HttpForm("GET", "/debugged?x=1"))
    controller = ide.debugger.controller
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        press(qtbot, ide, "F5")
    top = paused.args[0].top
    assert (paused.args[0].reason, top.function, top.file, top.line) == ("breakpoint", "fetch", "src/index.ts",
                                                                         AFTER_AWAIT_LINE)
    assert editor.current_line() == AFTER_AWAIT_LINE - 1
    panel = ide.debugger.panel
    first = panel.call_stack.list.topLevelItem(0)
    assert first.text(0).startswith("fetch") and first.text(1).startswith(f"src/index.ts:{AFTER_AWAIT_LINE}:")
    tree = panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "url").text(1).startswith("URL")
    assert ide.debugger.actions.actions["start_continue"].text() == "Continue"
    assert_run_and_debug_layout(qtbot, ide)
    # console.log ran before the breakpoint: it is already in the Console too, formatted as a normal run's log
    logged = console_rows(ide, "handling /debugged")
    assert len(logged) == 1 and logged[0][1] == "log" and re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", logged[0][0])
    ide.window.resize(1480, 900)
    env = tree.find_row("Locals", "env")
    env.setExpanded(True)
    qtbot.waitUntil(lambda: tree.find_row("Locals", "env", "KV") is not None, timeout=WAIT_MS)
    qtbot.wait(100)
    assert ide.window.grab().save(str(tmp_path / "ide-debug.png"))
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS) as exited:
        press(qtbot, ide, "F5")
    assert exited.args[0].status == "ok"
    assert controller.state is DebugState.IDLE and editor.current_line() is None
    qtbot.waitUntil(lambda: ide.panels.response.badge.text().strip().startswith("200"), timeout=WAIT_MS)
    body = ide.panels.response.body_text()
    assert '"HI!"' in body and '"/debugged"' in body
    assert "handling /debugged" in panel.console.text()  # console.log reached the Debug Console live
    assert any(r.startswith("GET /debugged?x=1 → 200") for r in ide.panels.console.row_texts())
    assert len(console_rows(ide, "handling /debugged")) == 1  # not repeated by the run's summary at the end
    rows = ide.panels.console.row_texts()
    assert rows.index("handling /debugged") < next(i for i, r in enumerate(rows) if r.startswith("GET /debugged"))


def console_rows(ide: Any, message: str) -> list[tuple[str, str]]:
    """(time, level) of the Console rows showing ``message``."""
    table = ide.panels.console.table
    items = [table.topLevelItem(i) for i in range(table.topLevelItemCount())]
    return [(it.text(0), it.text(1)) for it in items if it is not None and it.text(2) == message]


def test_f9_toggles_at_the_caret_and_a_bad_form_is_shown_not_started(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    editor.go_to_line(4)
    press(qtbot, ide, "F9")
    assert editor.breakpoints() == {4: True}
    reports: list[Any] = []
    ide.services.reporter.sig_error_reported.connect(reports.append)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/with spaces"))
    press(qtbot, ide, "F5")
    assert ide.debugger.controller.state is DebugState.IDLE
    assert "must not contain spaces" in ide.panels.simulator.error.text() and not reports  # in the form, no dialog
    press(qtbot, ide, "F9")
    assert editor.breakpoints() == {}


def test_opening_another_project_rewires_the_debugger_to_it(qtbot: Any, ide_factory: Any, sample_project: Path,
                                                            tmp_path: Path) -> None:
    ide = ide_factory(sample_project)
    first = ide.debugger.controller
    first_binding = ide.debugger.binding
    click_margin(qtbot, ide.controllers.editors.current_editor(), 4)
    assert [r.spec.line for r in ide.debugger.panel.breakpoints.rows] == [5]
    other = tmp_path / "other"
    new_project(other, "hello", "other")
    with qtbot.waitSignal(ide.services.runtime.sig_project_opened, timeout=WAIT_MS):
        ide.open_project(other)
    qtbot.waitUntil(lambda: (e := ide.controllers.editors.current_editor()) is not None
                    and e.path is not None and e.path.is_relative_to(other.resolve()), timeout=WAIT_MS)
    second = ide.debugger.controller
    assert second is not first and second.root == other.resolve()
    assert first in ide.debugger.retired and not first_binding.attached
    assert ide.debugger.panel.breakpoints.rows == ()
    # the old controller reaches nothing any more: not the panel, not the actions, not the editors
    first.toggle_breakpoint("src/index.ts", 2)
    assert ide.debugger.panel.breakpoints.rows == ()
    editor = ide.controllers.editors.current_editor()
    assert editor.breakpoints() == {}
    click_margin(qtbot, editor, 0)
    assert [(r.spec.file, r.spec.line) for r in ide.debugger.panel.breakpoints.rows] == [
        (editor.path.relative_to(other.resolve()).as_posix(), 1)]
    assert len(first.store) == 2 and len(second.store) == 1
    ide.debugger.actions.actions["break_caught"].trigger()
    assert second.exception_breaks.caught and not first.exception_breaks.caught


def test_a_build_error_shows_in_the_response_panel_and_breakpoints_follow_a_renamed_file(
        qtbot: Any, ide_factory: Any, sample_project: Path, monkeypatch: Any) -> None:
    ide = ide_factory(sample_project)
    util = (sample_project / "src" / "util.ts").resolve()
    ide.controllers.editors.open(util)
    qtbot.waitUntil(lambda: ide.controllers.editors.current_path() == util, timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    click_margin(qtbot, editor, 1)
    controller = ide.debugger.controller
    assert [s.key for s in controller.store] == [("src/util.ts", 2)]
    monkeypatch.setattr(ide.panels.tree, "ask_name", lambda *_args: "text.ts")
    ide.controllers.tree.rename(util)
    qtbot.waitUntil(lambda: [s.key for s in controller.store] == [("src/text.ts", 2)], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: editor.path == util.with_name("text.ts") and editor.breakpoints() == {1: True},
                    timeout=WAIT_MS)
    # the import of ./util is now broken: F5 shows the build error where a refused run shows it, no dialog
    reports: list[Any] = []
    ide.services.reporter.sig_error_reported.connect(reports.append)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/"))
    with qtbot.waitSignal(controller.sig_start_failed, timeout=WAIT_MS):
        press(qtbot, ide, "F5")
    assert controller.state is DebugState.IDLE
    qtbot.waitUntil(lambda: "Build failed" in ide.panels.response.badge.text(), timeout=WAIT_MS)
    assert "./util" in ide.panels.response.error_text() and not reports


def test_debug_docks_and_section_heights_are_saved_and_restored(qtbot: Any, ide_factory: Any, sample_project: Path,
                                                                 settings_factory: Any) -> None:
    ide = ide_factory(sample_project, settings_factory("shared"))
    window = ide.window
    window.show_dock("debug")
    qtbot.waitUntil(lambda: window.docks["outline"].isHidden(), timeout=WAIT_MS)
    window.show_dock("tree")  # back to the Explorer: the Outline returns
    qtbot.waitUntil(lambda: not window.docks["outline"].isHidden(), timeout=WAIT_MS)
    window.show_dock("debug")
    qtbot.waitUntil(lambda: window.docks["outline"].isHidden(), timeout=WAIT_MS)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.docks["debug_console"])  # the user moved it
    splitter = ide.debugger.panel.splitter
    total = sum(splitter.sizes())
    splitter.setSizes([total // 6, total // 2, total // 6, total - total // 6 * 2 - total // 2])  # a tall Watch
    ide.save_state()  # (what closing the window does)
    assert not window.docks["outline"].isHidden()  # saved with the Explorer and Outline showing

    again = ide_factory(sample_project, settings_factory("shared"))
    w = again.window
    assert w.dockWidgetArea(w.docks["debug_console"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert w.dockWidgetArea(w.docks["debug"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert w.docks["tree"] in w.tabifiedDockWidgets(w.docks["debug"])
    qtbot.waitUntil(lambda: on_screen(w.dock_content("tree")) and on_screen(w.dock_content("outline")),
                    timeout=WAIT_MS)
    w.show_dock("debug")
    sections = again.debugger.panel.sections
    qtbot.waitUntil(lambda: on_screen(sections["watch"]) and w.docks["debug"].height() > w.height() * 0.6,
                    timeout=WAIT_MS)
    heights = {name: s.height() for name, s in sections.items()}
    assert heights["watch"] == max(heights.values()), heights

    # a layout saved by an older version of the window (Debug dock at the bottom) is not restored
    old = settings_factory("old")
    old.set_window_layout(w.saveGeometry(), w.saveState(0))
    fresh = ide_factory(sample_project, old)
    assert fresh.window.dockWidgetArea(fresh.window.docks["debug_console"]) == Qt.DockWidgetArea.BottomDockWidgetArea
