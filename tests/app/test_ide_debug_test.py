"""Debug one test from the Testing panel of the real main window: it stops at a breakpoint in the worker
and then in the test, shows the paused values, and its row shows the result when the session ends.

Real runtime thread, real esbuild, a real debuggee process with real isolates, real widgets offscreen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS
from PySide6.QtCore import Qt

from app.panels.debug.types import DebugState
from runtime.project import new_project

pytestmark = pytest.mark.timeout(180)

FILE = "test/index.test.ts"
TEST = "hello worker > greets the world by default (through SELF)"


def _line(path: Path, marker: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if marker in text)


def test_debug_button_stops_in_the_worker_and_in_the_test(qtbot: Any, ide_factory: Any, tmp_path: Path,
                                                            tools: Any) -> None:
    root = tmp_path / "hello"
    new_project(root, "hello", "hello")
    ide = ide_factory(root)
    panel = ide.testing
    qtbot.waitUntil(lambda: panel.widget.test_item(FILE, TEST) is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not panel.controller.running, timeout=WAIT_MS)
    worker_line = _line(root / "src" / "index.ts", "const name =")
    test_line = _line(root / FILE, "expect(response.status).toBe(200)")
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", worker_line)
    controller.toggle_breakpoint(FILE, test_line)

    button = panel.widget.debug_button(FILE, TEST)
    assert "Debug" in button.toolTip()
    assert [a.text() for a in panel.widget.context_actions(panel.widget.test_item(FILE, TEST))] == [
        "Run Test", "Debug Test", "Go to Test"]
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    top = paused.args[0].top
    assert (paused.args[0].reason, top.file, top.line) == ("breakpoint", "src/index.ts", worker_line)
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "url").text(1).startswith("URL")

    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        controller.resume()
    top = paused.args[0].top
    assert (top.file, top.line) == (FILE, test_line)
    qtbot.waitUntil(lambda: tree.find_row("Locals", "response") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "response").text(1).startswith("Response")

    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS) as exited:
        controller.resume()
    assert exited.args[0].status == "ok" and exited.args[0].test["status"] == "pass"
    assert controller.state is DebugState.IDLE
    item = panel.widget.test_item(FILE, TEST)
    qtbot.waitUntil(lambda: item.data(0, Qt.ItemDataRole.AccessibleTextRole) == "pass", timeout=WAIT_MS)
    assert "debugged" in panel.widget.status.text()
    assert any(f"debugged test {TEST}: ok" in row for row in ide.panels.console.row_texts())
