"""Dock the Recordings panel in the IDE and keep it on the open project (and the app last published)."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from app.panels.recordings.controller import RecordingsController
from app.panels.recordings.widget import RecordingsPanel

if TYPE_CHECKING:
    from app.main import Ide


def install_recordings(ide: Ide, executor: Executor) -> RecordingsController:
    """Build the panel and its controller, dock it beside the Console, follow project opens."""
    window, s = ide.window, ide.services
    panel = RecordingsPanel(window)
    controller = RecordingsController(panel, bridge=s.bridge, executor=executor, parent=window)
    panel.sig_refresh_requested.connect(controller.refresh)
    panel.sig_replay_requested.connect(controller.replay)
    panel.sig_debug_requested.connect(controller.debug)
    panel.sig_save_requested.connect(controller.save)
    panel.sig_save_test_requested.connect(controller.save_test)
    window.add_tool_dock("recordings", "Recordings", panel, beside="console")

    def debug(request: tuple[Any, Any]) -> None:
        recording, root = request
        debugger = getattr(ide, "debugger", None)
        controller_ = debugger.controller if debugger is not None else None
        if controller_ is None or root is None:
            panel.show_message("open the app's project to replay in the debugger")
            return
        from runtime.project import Project

        controller_.start_replay(recording, Project.open(root).secrets())
        if "debug" in window.docks:
            window.show_dock("debug")

    controller.sig_debug_requested.connect(debug)

    def opened(_event: Any) -> None:
        controller.show(s.runtime.root, controller.server, controller.app)

    s.runtime.sig_project_opened.connect(opened)
    return controller
