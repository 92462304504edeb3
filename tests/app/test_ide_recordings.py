"""The Recordings panel in the real main window: a project's recording replayed in the debugger, Step Back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS

from runtime.invocation import HttpRequest
from runtime.runner import run_once

pytestmark = pytest.mark.timeout(180)

AWAIT_LINE = 10
"""1-based line of ``await env.KV.put(...)`` in the sample project's INDEX_TS."""


def test_replay_in_debugger_from_the_recordings_panel_and_step_back(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    result = asyncio.run(run_once(sample_project, HttpRequest("GET", "http://localhost/replayed"), record=True))
    assert result.ok, result.error
    (sample_project / "recordings").mkdir()
    (sample_project / "recordings" / "one.isorec").write_bytes(result.recording.to_bytes())
    ide = ide_factory(sample_project)
    recordings = ide.tools.recordings
    panel = recordings.view
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=WAIT_MS)
    assert panel.table.item(0, 1).text() == "GET http://localhost/replayed"
    assert ide.window.docks["recordings"] is not None
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", AWAIT_LINE + 1)
    panel.table.selectRow(0)
    with qtbot.waitSignal(controller.sig_paused, timeout=60_000) as paused:
        panel.debug_button.click()
    at = paused.args[0]
    assert (at.top.file, at.top.line) == ("src/index.ts", AWAIT_LINE + 1)
    with qtbot.waitSignal(controller.sig_paused, timeout=60_000) as back:
        ide.debugger.actions.actions["step_back"].trigger()
    assert back.args[0].top.line == AWAIT_LINE  # back across the await of the KV put
    assert back.args[0].count == at.count - 1
    with qtbot.waitSignal(controller.sig_exited, timeout=60_000) as exited:
        controller.toggle_breakpoint("src/index.ts", AWAIT_LINE + 1)
        controller.resume()
    assert exited.args[0].status == "ok"
    assert '"path":"/replayed"' in exited.args[0].result["body"]
