"""Issue 15's debugger points on the real main window (build_app, offscreen): positions after a debug session,
locals at an exception pause, and state that tells the truth.

Real runtime thread, real esbuild, a real debuggee process with a real isolate, real widgets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import THROW_LINE, WAIT_MS
from PySide6.QtCore import Qt, QUrl

from app.panels.simulator.forms import HttpForm

pytestmark = pytest.mark.timeout(120)

LINK_RE = re.compile(r'href="source:([^"]+)"')


def run_request(qtbot: Any, ide: Any, path: str) -> Any:
    """Send the simulator's request as Ctrl+R does and wait for its result."""
    ide.panels.simulator.set_http_form(HttpForm("GET", path))
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS) as finished:
        ide.window.action("run").trigger()
    return finished.args[0]


def links(ide: Any) -> list[str]:
    model = ide.controllers.response.model
    assert model is not None
    return LINK_RE.findall(model.error_html)


def test_a_throw_has_the_same_position_before_and_after_a_debug_session_and_its_locals_at_the_pause(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    run_request(qtbot, ide, "/boom")
    before = links(ide)
    assert f"src/index.ts:{THROW_LINE}:13" in before
    controller = ide.debugger.controller
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        ide.debugger.actions.actions["start_continue"].trigger()
    event = paused.args[0]
    assert (event.reason, event.top.line, event.top.column) == ("exception", THROW_LINE, 13)
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "url").text(1).startswith("URL")
    assert tree.find_row("Locals", "request") is not None
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    qtbot.waitUntil(lambda: bool(links(ide)) and links(ide) == before, timeout=WAIT_MS)
    # the link goes to the throw itself
    editor = ide.controllers.editors.current_editor()
    editor.go_to_line(1)
    ide.panels.response.error.anchorClicked.emit(QUrl(f"source:src/index.ts:{THROW_LINE}:13"))
    qtbot.waitUntil(lambda: editor.caret_position().line == THROW_LINE - 1, timeout=WAIT_MS)
    assert editor.caret_position().character == 12
    run_request(qtbot, ide, "/boom")
    assert links(ide) == before


def expand(qtbot: Any, tree: Any, *path: str) -> Any:
    """Expand the row at ``path`` (as a click on its arrow does) and wait for its children."""
    qtbot.waitUntil(lambda: tree.find_row(*path) is not None, timeout=WAIT_MS)
    row = tree.find_row(*path)
    row.setExpanded(True)
    qtbot.waitUntil(lambda: row.childCount() > 0 and row.child(0).text(0) != "" and
                    row.child(0).text(0) != "loading…", timeout=WAIT_MS)
    return {row.child(i).text(0): row.child(i).text(1) for i in range(row.childCount())}


def test_request_url_headers_and_long_values_expand_and_the_console_takes_top_level_await(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", 10)  # await env.KV.put(...)
    controller.toggle_breakpoint("src/index.ts", 11)  # return Response.json(...)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/debugged?x=1&y=two", headers=(("x-trace", "abc"),)))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "request") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "request").text(1).startswith('Request {method: "GET", url: "http://')
    request = expand(qtbot, tree, "Locals", "request")
    assert request["method"] == '"GET"' and request["url"].endswith('/debugged?x=1&y=two"')
    assert request["bodyUsed"] == "false" and "stream" in request["body"]  # not read: it has a side effect
    headers = expand(qtbot, tree, "Locals", "request", "headers")
    assert headers["x-trace"] == '"abc"'
    url = expand(qtbot, tree, "Locals", "url")
    assert url["pathname"] == '"/debugged"' and url["search"] == '"?x=1&y=two"'
    params = expand(qtbot, tree, "Locals", "url", "searchParams")
    assert (params["x"], params["y"]) == ('"1"', '"two"')
    this = expand(qtbot, tree, "this")
    assert "fetch" in this
    # a watch whose value is longer than a preview expands to all of it
    ide.debugger.panel.watch.sig_watch_added.emit("url.pathname.repeat(300)")
    watch = ide.debugger.panel.watch.tree
    qtbot.waitUntil(lambda: watch.topLevelItemCount() == 1 and watch.topLevelItem(0).text(1).startswith("string(2700)"),
                    timeout=WAIT_MS)
    watch.topLevelItem(0).setExpanded(True)
    qtbot.waitUntil(lambda: watch.topLevelItem(0).childCount() == 14, timeout=WAIT_MS)
    whole = "".join(watch.topLevelItem(0).child(i).text(1) for i in range(14))
    assert whole == "/debugged" * 300
    # top-level await: a promise still pending (or not yet seen settle) prints its value once the script runs on;
    # one the debugger has seen settle gives its value at once
    console = ide.debugger.panel.console

    def enter(expression: str) -> None:
        qtbot.keyClicks(console.input, expression)
        qtbot.keyClick(console.input, Qt.Key.Key_Return)

    enter("globalThis.pp = Promise.resolve(41)")
    enter("await pp")
    qtbot.waitUntil(lambda: "printed here once it settles" in console.text(), timeout=WAIT_MS)
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):  # line 11, after `await env.KV.put`
        ide.debugger.actions.actions["start_continue"].trigger()
    qtbot.waitUntil(lambda: "await pp → 41" in console.text(), timeout=WAIT_MS)
    enter("(await pp) + 1")
    qtbot.waitUntil(lambda: "> (await pp) + 1\n42" in console.text(), timeout=WAIT_MS)
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()


def test_this_in_a_plain_function_shows_no_debugger_or_runtime_internals(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/util.ts", 2)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/"))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("this") is not None, timeout=WAIT_MS)
    names = expand(qtbot, tree, "this")
    assert "Request" in names and "fetch" in names
    assert not [n for n in names if n.startswith(("$__", "__"))]
