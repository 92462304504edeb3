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
from PySide6.QtCore import Qt
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
    assert row.toolTip(0) == LONG_WATCH  # the expression itself, cut in its column, is whole on hover
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

    # the Debug Console: a result is shown as its preview; Copy/View Last Result take all of it
    console = panel.console
    assert console.last_result is None  # nothing evaluated yet: nothing to copy
    assert not next(a for a in console.output_menu().actions() if a.text() == "Copy Last Result").isEnabled()
    qtbot.keyClicks(console.input, "[...Array(40).keys()].map((i) => ({ i }))")
    qtbot.keyClick(console.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: console.last_result is not None and console.last_result[0].startswith("[...Array(40)"),
                    timeout=WAIT_MS)
    assert "…" in console.text().splitlines()[-1]  # the preview is cut
    copy_last = next(a for a in console.output_menu().actions() if a.text() == "Copy Last Result")
    assert copy_last.isEnabled()
    copied = clipboard_after(qtbot, copy_last.trigger, '"i": 39')
    assert json.loads(copied) == [{"i": i} for i in range(40)]
    next(a for a in console.output_menu().actions() if a.text() == "View Last Result…").trigger()
    qtbot.waitUntil(lambda: len(console.dialogs) == 1, timeout=WAIT_MS)
    assert json.loads(console.dialogs[0].text.toPlainText()) == [{"i": i} for i in range(40)]
    console.dialogs[0].close()

    # after the script resumed, the values are gone: View Value says so instead of showing stale text
    stale = watch.find_row(LONG_WATCH)
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    watch.request_value_text(stale, "view")
    qtbot.waitUntil(lambda: len(watch.dialogs) == 1, timeout=WAIT_MS)
    assert "not paused" in watch.dialogs[0].text.toPlainText()
    watch.dialogs[0].close()


OBJECTS_TS = """class Box {
  constructor(public size: number) {}
  get area(): number {
    return this.size * this.size;
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const form = new FormData();
    form.append("name", "ada");
    form.append("tag", "x");
    const map = new Map<string, number>([["one", 1], ["two", 2]]);
    const set = new Set(["a", "b"]);
    const bytes = new Uint8Array([1, 2, 3]);
    const done = Promise.resolve(7);
    await done;
    const box = new Box(3);
    const response = new Response("hi", { status: 201, headers: { "x-r": "1" } });
    return response;
  },
};
"""
OBJECTS_BREAK_LINE = 20
"""``return response;``"""
AWAIT_LINE = 17
"""``await done;``"""


def expand(qtbot: Any, tree: VariableTree, *path: str) -> dict[str, str]:
    """Expand the row at ``path`` (as a click on its arrow does) and wait for its children: name -> value text."""
    qtbot.waitUntil(lambda: tree.find_row(*path) is not None, timeout=WAIT_MS)
    row = tree.find_row(*path)
    row.setExpanded(True)
    qtbot.waitUntil(lambda: row.childCount() > 0 and row.child(0).text(0) not in ("", "loading…"), timeout=WAIT_MS)
    return {row.child(i).text(0): row.child(i).text(1) for i in range(row.childCount())}


def test_platform_objects_collections_promises_and_accessors_expand_in_variables(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    (sample_project / "src" / "index.ts").write_text(OBJECTS_TS, encoding="utf-8")
    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", AWAIT_LINE)
    controller.toggle_breakpoint("src/index.ts", OBJECTS_BREAK_LINE)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/objects"))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        ide.debugger.actions.actions["start_continue"].trigger()
    assert paused.args[0].top.line == AWAIT_LINE
    tree = ide.debugger.panel.variables.tree
    # a promise met for the first time at a pause: a paused script runs no promise jobs, so JavaScript cannot
    # know yet whether it settled, and the row says so (README: the debugger shows platform objects...)
    first = expand(qtbot, tree, "Locals", "done")
    assert first.get("[[PromiseState]]", "").startswith("pending, or settled before the debugger saw it"), first
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        ide.debugger.actions.actions["start_continue"].trigger()
    assert paused.args[0].top.line == OBJECTS_BREAK_LINE
    qtbot.waitUntil(lambda: tree.find_row("Locals", "response") is not None, timeout=WAIT_MS)
    # FormData, Map and Set show their entries
    form = expand(qtbot, tree, "Locals", "form")
    assert (form.get("name"), form.get("tag")) == ('"ada"', '"x"'), form
    entries = expand(qtbot, tree, "Locals", "map")
    assert (entries.get("size"), entries.get('"one"') or entries.get("one"), entries.get('"two"') or entries.get("two")) \
        == ("2", "1", "2"), entries
    members = expand(qtbot, tree, "Locals", "set")
    assert members.get("size") == "2" and {'"a"', '"b"'} <= set(members.values()), members
    # a typed array: its items and its length
    items = expand(qtbot, tree, "Locals", "bytes")
    assert (items.get("0"), items.get("1"), items.get("2"), items.get("length")) == ("1", "2", "3", "3"), items
    # once the script ran on, the promise's state and result
    state = expand(qtbot, tree, "Locals", "done")
    assert state.get("[[PromiseState]]") == "fulfilled" and state.get("[[PromiseResult]]") == "7", state
    # a class instance: its fields, and its accessor run when its row is expanded
    box = expand(qtbot, tree, "Locals", "box")
    assert box.get("size") == "3" and "area" in box, box
    assert expand(qtbot, tree, "Locals", "box", "area").get("value") == "9"
    # a Response: status and headers as entries
    response = expand(qtbot, tree, "Locals", "response")
    assert response.get("status") == "201" and response.get("ok") == "true", response
    assert expand(qtbot, tree, "Locals", "response", "headers").get("x-r") == '"1"'
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
