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
from PySide6.QtCore import QUrl

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
