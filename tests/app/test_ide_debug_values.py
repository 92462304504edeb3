"""#15 point 4, "values and watch expressions aren't cut off without a way to see the rest", on the real main window
offscreen: Copy Value and View Value on Variables and Watch rows take the whole value from the debugger, not the
text the row shows.

Real runtime thread, real esbuild, a real debuggee process with a real isolate, real widgets, the real clipboard of
the offscreen platform.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS
from PySide6.QtGui import QGuiApplication

from app.panels.debug.tree import ValueDialog, VariableTree
from app.panels.simulator.forms import HttpForm

pytestmark = pytest.mark.timeout(120)

LONG_WATCH = '"0123456789".repeat(300) + "THE-END"'


def menu_action(tree: VariableTree, item: Any, text: str) -> Any:
    menu = tree.menu_for_item(item)
    assert menu is not None
    found = [a for a in menu.actions() if a.text() == text]
    assert found, [a.text() for a in menu.actions()]
    return found[0]


def clipboard_after(qtbot: Any, trigger: Any, marker: str) -> str:
    """Empty the clipboard, trigger, and wait until the clipboard holds something with ``marker``."""
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("")
    trigger()
    qtbot.waitUntil(lambda: marker in clipboard.text(), timeout=WAIT_MS)
    return clipboard.text()


def test_copy_value_and_view_value_give_the_whole_value_in_variables_and_watch(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", 10)
    query = "q=" + "v" * 400
    ide.panels.simulator.set_http_form(HttpForm("GET", f"/copy-me?{query}"))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    panel = ide.debugger.panel
    tree = panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)

    # an object in Variables: the row shows a preview; Copy Value gives its contents, fetched from the debugger
    request_row = tree.find_row("Locals", "request")
    assert request_row is not None and "Request" in request_row.text(1)
    assert "Right-click" in request_row.toolTip(1)
    copied = clipboard_after(qtbot, menu_action(tree, request_row, "Copy Value").trigger, "copy-me")
    request = json.loads(copied)
    assert request["method"] == "GET" and request["url"].endswith(f"/copy-me?{query}")
    assert copied != request_row.text(1) and len(copied) > len(request_row.text(1))
    # a URL is its href, whole
    url_row = tree.find_row("Locals", "url")
    copied = clipboard_after(qtbot, menu_action(tree, url_row, "Copy Value").trigger, "copy-me")
    assert copied.startswith("http") and copied.endswith(f"/copy-me?{query}")
    # Copy Name
    clipboard_after(qtbot, menu_action(tree, url_row, "Copy Name").trigger, "url")
    assert QGuiApplication.clipboard().text() == "url"
    # section headers have no menu
    assert tree.menu_for_item(tree.find_row("Locals")) is None

    # a watch whose value is longer than its preview: the row is cut, Copy Value and View Value are whole
    watch = panel.watch.tree
    controller.add_watch(LONG_WATCH)
    qtbot.waitUntil(lambda: watch.find_row(LONG_WATCH) is not None
                    and watch.find_row(LONG_WATCH).text(1).startswith('string(3007)'), timeout=WAIT_MS)
    row = watch.find_row(LONG_WATCH)
    assert "THE-END" not in row.text(1)
    whole = "0123456789" * 300 + "THE-END"
    assert clipboard_after(qtbot, menu_action(watch, row, "Copy Value").trigger, "THE-END") == whole
    menu_action(watch, row, "View Value…").trigger()
    qtbot.waitUntil(lambda: len(watch.dialogs) == 1, timeout=WAIT_MS)
    dialog = watch.dialogs[0]
    assert isinstance(dialog, ValueDialog) and dialog.isVisible() and dialog.text.toPlainText() == whole
    assert LONG_WATCH in dialog.windowTitle()
    dialog.close()
    assert watch.dialogs == []
    # a short string watch has no handle: copied at once, unquoted
    controller.add_watch('"short" + 1')
    qtbot.waitUntil(lambda: watch.find_row('"short" + 1') is not None
                    and watch.find_row('"short" + 1').text(1) == '"short1"', timeout=WAIT_MS)
    assert clipboard_after(qtbot, menu_action(watch, watch.find_row('"short" + 1'), "Copy Value").trigger,
                           "short1") == "short1"

    # after the script resumed, the values are gone: View Value says so instead of showing stale text
    stale = watch.find_row(LONG_WATCH)
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    watch.request_value_text(stale, "view")
    qtbot.waitUntil(lambda: len(watch.dialogs) == 1, timeout=WAIT_MS)
    assert "not paused" in watch.dialogs[0].text.toPlainText()
    watch.dialogs[0].close()
