"""The debugger in the IDE window: Run and Debug dock, Debug Console dock, toolbar, menu and one
``DebugController`` per open project.

Part of the composition root (app/main.py calls ``install_debugger``), like
``app/tools.py``. As in VS Code, the Run and Debug view (Variables, Watch, Call
Stack and Breakpoints, all visible at once) sits in the left column, tabbed
with the Explorer, and the Debug Console in the bottom area beside the Console.
The panel, actions, toolbar and menu live as long as the window. Each opened project gets its own controller (its breakpoints live in
the project's ``.isoplay/breakpoints.json``) wired by a ``DebugBinding``;
opening another project detaches that binding, stops the old session and
builds a new controller. F5 debugs whatever the simulator's visible tab would
send (an HTTP request, a cron, an event or a one-off run), after saving dirty
editors, since a session builds the project from disk.
"""

from __future__ import annotations

import dataclasses
import http
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu, QToolBar

from app.layout import on_screen
from app.panels.debug.actions import DebugActions
from app.panels.debug.controller import DebugController
from app.panels.debug.types import DebugState
from app.panels.debug.widget import DebugPanel
from app.panels.debug.wiring import DebugBinding
from app.panels.response.render import RenderedBody, ResponseModel, describe_trigger
from app.panels.simulator.forms import SimulatorInputError, body_note, to_trigger
from app.services.runtime_service import InvocationFinished, InvocationRefused
from app.services.types import Failure
from app.settings import AppSettings
from debugger.protocol import Exited, Paused
from runtime.errors import UserError
from runtime.invocation import ErrorInfo, InvocationResult, LogEntry, Trigger
from runtime.sourcemap import StackFrame

if TYPE_CHECKING:
    from app.main import Ide
    from app.window import MainWindow

DOCK = "debug"
"""The Run and Debug dock's key in ``MainWindow.docks``."""
CONSOLE_DOCK = "debug_console"
"""The Debug Console dock's key in ``MainWindow.docks``."""
SECTIONS_SETTING = "debug_sections"
"""Key of the Run and Debug sections' heights in ``AppSettings.panel_state``."""


@dataclass
class Debugger:
    """The debugger of one IDE window."""

    panel: DebugPanel
    actions: DebugActions
    toolbar: QToolBar
    menu: QMenu
    controller: DebugController | None = None
    """The open project's controller (None before a project is opened)."""
    binding: DebugBinding | None = None
    retired: list[DebugController] = field(default_factory=list)
    """Controllers of projects closed since (stopped; their threads are joined in ``close``)."""
    outline_hidden: bool = False
    """The Outline dock was hidden to give the Run and Debug view the whole left column."""
    _column_heights: list[int] | None = None
    """Heights of Run and Debug's column (its group, then the groups below) before it took most of it."""
    _runs: int = 0

    def open_project(self, ide: Ide, root: Path) -> DebugController:
        """Tear down the previous project's controller and wire a new one for ``root``."""
        self.detach()
        controller = DebugController(root, parent=ide.window)
        controller.trigger_provider = lambda: _simulator_trigger(ide)
        controller.save_before_start = lambda proceed: ide.controllers.editors.save_all(on_done=proceed)
        binding = DebugBinding(controller, self.panel, self.actions, ide.controllers.editors.current_editor)
        binding.link(controller.sig_location_requested, ide.controllers.editors.open_location)
        binding.link(controller.sig_error_reported, lambda failure: _on_error_reported(ide, failure))
        binding.link(controller.sig_paused, lambda paused: _on_paused(ide, paused))
        binding.link(controller.sig_state_changed, lambda state: _on_state_changed(ide, self, state))
        binding.link(controller.sig_exited, lambda exited: _on_exited(ide, self, exited))
        binding.link(controller.sig_start_failed, lambda failure: _on_start_failed(ide, controller, failure))
        binding.link(controller.sig_script_output, ide.controllers.console.add_script_output)
        binding.link(ide.controllers.tree.sig_file_renamed, lambda renamed: controller.rename_file(renamed.old,
                                                                                                  renamed.new))
        self.controller, self.binding = controller, binding
        for editor in ide.panels.editors.editors():
            binding.attach_editor(editor)
        return controller

    def attach_editor_of(self, ide: Ide, path: Path) -> None:
        """An editor was opened on ``path``: give it the breakpoint margin."""
        editor = ide.controllers.editors.editor_for(path)
        if editor is not None and self.binding is not None:
            self.binding.attach_editor(editor)

    def detach(self) -> None:
        """Unwire the current controller and stop its session (its threads end on their own)."""
        if self.binding is not None:
            self.binding.detach()
        if self.controller is not None:
            self.controller.stop()
            self.retired.append(self.controller)
        self.controller = self.binding = None

    def close(self, timeout: float = 10.0) -> None:
        """Stop every session and wait for its threads (the IDE is shutting down; idempotent)."""
        self.detach()
        for controller in self.retired:
            controller.close(timeout)
        self.retired.clear()

    def follow_side_view(self, window: MainWindow, run_and_debug_shown: bool) -> None:
        """The Outline belongs with the Explorer, as in VS Code: while Run and Debug is the current tab of the
        Explorer's group, the Outline under it steps aside so the four debug sections get the whole column."""
        outline = window.docks.get("outline")
        if shiboken6.isValid(window):  # (not while the window is being destroyed)
            QTimer.singleShot(0, window, lambda: self._share_column(window, run_and_debug_shown))
        if outline is None:
            return
        if run_and_debug_shown:
            debug = window.docks[DOCK]
            if (not outline.isHidden() and not outline.isFloating() and not debug.isFloating()
                    and window.docks["tree"] in window.tabifiedDockWidgets(debug)):
                self.outline_hidden = True
                outline.hide()
        elif self.outline_hidden:
            self.outline_hidden = False
            outline.show()

    def _share_column(self, window: MainWindow, run_and_debug_shown: bool) -> None:
        """Other tab groups still share Run and Debug's column (a narrow window folds the Response there,
        app/layout.py): while it shows, Run and Debug gets ``DEBUG_COLUMN_SHARE`` of the column's height, and
        the groups below get their heights back when it goes."""
        debug = window.docks.get(DOCK)
        if debug is None or not shiboken6.isValid(debug):
            return
        if run_and_debug_shown and self._column_heights is None and debug.isVisible() and not debug.isFloating():
            below = _groups_below(window, debug)
            column = debug.height() + sum(d.height() for d in below)
            target = int(column * DEBUG_COLUMN_SHARE)
            if below and debug.height() < target:
                self._column_heights = [debug.height(), *(d.height() for d in below)]
                rest = (column - target) // len(below)
                window.resizeDocks([debug, *below], [target, *([rest] * len(below))], Qt.Orientation.Vertical)
        elif not run_and_debug_shown and self._column_heights is not None:
            heights, self._column_heights = self._column_heights, None
            top = next((d for d in [debug, *window.tabifiedDockWidgets(debug)] if d.isVisible()
                        and on_screen(d)), None)
            below = _groups_below(window, top) if top is not None else []
            if top is not None and len(below) == len(heights) - 1:
                window.resizeDocks([top, *below], heights, Qt.Orientation.Vertical)

    def save_layout(self, window: MainWindow, settings: AppSettings) -> None:
        """Remember the heights of the Run and Debug sections; put the Explorer and the Outline back first,
        so that the window's dock state (saved after this) opens on them next time."""
        if self.outline_hidden:
            window.docks["tree"].raise_()
            self.follow_side_view(window, False)
        settings.set_panel_state(SECTIONS_SETTING, self.panel.section_state())

    def next_run(self) -> int:
        """A sequence number for the response of a debugged run."""
        self._runs += 1
        return self._runs


DEBUG_COLUMN_SHARE = 0.7
"""Share of its column's height the Run and Debug view takes while it shows, when other groups share it."""


def _groups_below(window: MainWindow, dock: QDockWidget) -> list[QDockWidget]:
    """The shown dock of each tab group under ``dock`` in its column."""
    area = window.dockWidgetArea(dock)
    left = dock.geometry().left()
    return [d for d in window.docks.values()
            if d is not dock and window.dockWidgetArea(d) == area and d.isVisible() and not d.isFloating()
            and on_screen(d) and d.geometry().left() == left and d.geometry().top() > dock.geometry().top()]


def install_debugger(ide: Ide) -> Debugger:
    """Build the Run and Debug and Debug Console docks, the toolbar and menu, and follow the project being opened."""
    window = ide.window
    panel = DebugPanel(window)
    actions = DebugActions(window)
    toolbar = actions.make_toolbar(window)
    window.addToolBar(toolbar)
    menu = actions.make_menu("&Debug", window)
    titles = {a.text().replace("&", ""): a for a in window.menuBar().actions()}
    before = titles.get("View")
    if before is not None:
        window.menuBar().insertMenu(before, menu)
    else:
        window.menuBar().addMenu(menu)
    window.add_tool_dock(DOCK, "Run and Debug", panel, beside="tree", area=Qt.DockWidgetArea.LeftDockWidgetArea)
    window.add_tool_dock(CONSOLE_DOCK, "Debug Console", panel.console, beside="console")
    window.docks["tree"].raise_()
    window.docks["console"].raise_()
    panel.restore_section_state(ide.settings.panel_state(SECTIONS_SETTING))
    debugger = Debugger(panel, actions, toolbar, menu)
    window.docks[DOCK].visibilityChanged.connect(lambda shown: debugger.follow_side_view(window, shown))
    ide.controllers.project.sig_project_opening.connect(lambda opening: debugger.open_project(ide, opening.root))
    ide.controllers.editors.sig_file_opened.connect(lambda path: debugger.attach_editor_of(ide, path))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(debugger.close)
    return debugger


def _simulator_trigger(ide: Ide) -> Trigger:
    """What the simulator's visible tab would send (its form shows why when it cannot be sent)."""
    try:
        trigger = to_trigger(ide.panels.simulator.current_form())
    except SimulatorInputError as exc:
        ide.panels.simulator.show_input_error(str(exc))
        raise
    ide.panels.simulator.show_input_error(body_note(ide.panels.simulator.current_form()))
    return trigger


def _on_error_reported(ide: Ide, failure: Failure) -> None:
    """A form mistake is shown in the form (like Ctrl+R does); everything else in the error dialog."""
    if isinstance(failure.error, SimulatorInputError):
        ide.window.show_dock("simulator")
        ide.window.flash(f"Cannot debug: {failure.error}")
        return
    ide.services.reporter.report(failure)


def _on_paused(ide: Ide, paused: Paused) -> None:
    top = paused.top
    why = {"breakpoint": "at a breakpoint", "step": "after a step", "exception": "on an exception",
           "pause": "on request"}.get(paused.reason, paused.reason)
    ide.window.show_dock(DOCK)
    ide.window.flash(f"Paused {why} in {top.function} ({top.file}:{top.line})", 8000)


def _on_state_changed(ide: Ide, debugger: Debugger, state: DebugState) -> None:
    if state is not DebugState.PAUSED and ide.window.statusBar().currentMessage().startswith("Paused "):
        ide.window.statusBar().clearMessage()  # "Paused after a step…" is over once the script runs or ends
    controller = debugger.controller
    if state is DebugState.STARTING and controller is not None and controller.test is not None:
        ide.window.show_dock(DOCK)
        ide.window.show_dock(CONSOLE_DOCK)
    elif state is DebugState.STARTING and controller is not None and controller.trigger is not None:
        ide.controllers.response.show_running(controller.trigger)
        ide.window.show_dock(DOCK)
        ide.window.show_dock(CONSOLE_DOCK)


def _on_start_failed(ide: Ide, controller: DebugController, failure: Failure) -> None:
    """The project did not build: the Response panel shows the build errors with links, as a refused run does."""
    if isinstance(failure.error, UserError) and controller.test is not None:
        ide.controllers.console.add_message("error", f"debugging {controller.test.name}: {failure.error}", "ide")
        from app.testing import debug_test_finished

        debug_test_finished(ide, controller.test.file, None, str(failure.error))
        ide.window.show_dock("console")
    elif isinstance(failure.error, UserError) and controller.trigger is not None:
        ide.controllers.response.show_refused(InvocationRefused(controller.root, controller.trigger, failure.error))
        ide.controllers.console.add_message("error", f"debugging: {failure.error}", "ide")
        ide.window.show_dock("response")
    else:
        ide.services.reporter.report(failure)


def _on_exited(ide: Ide, debugger: Debugger, exited: Exited) -> None:
    """Show what the debugged invocation answered in the Response panel and its summary line in the Console.

    Its log lines reached the Console while it ran (``sig_script_output``): a session streams every
    line it logs, so the result's own copy of them is left out of the Console here.
    """
    controller = debugger.controller
    if controller is None or controller.trigger is None:
        return
    if controller.test is not None:  # a test from the Testing panel: its row shows the result
        from app.testing import debug_test_finished

        debug_test_finished(ide, controller.test.file, exited.test, exited.error)
        ide.controllers.console.add_message("info" if exited.status == "ok" else "error",
                                            f"debugged test {controller.test.name}: {exited.status}"
                                            + (f" ({exited.error})" if exited.error else ""), "ide")
        return
    trigger = controller.trigger
    if exited.result is None:
        detail = f": {exited.error}" if exited.error else ""
        model = ResponseModel(f"■ debug session {exited.status}", "idle", f"ended{detail}", (),
                              RenderedBody("empty", "", 0))
        ide.panels.response.show_model(model, describe_trigger(trigger))
        return
    finished = InvocationFinished(controller.root, trigger, result_from_json(trigger, exited.result),
                                  debugger.next_run(), debugged=True)
    ide.controllers.response.show_finished(finished)
    ide.controllers.console.add_invocation(dataclasses.replace(
        finished, result=dataclasses.replace(finished.result, logs=())))
    ide.window.show_dock("response")


def result_from_json(trigger: Trigger, data: dict[str, Any]) -> InvocationResult:
    """An ``InvocationResult`` back from the ``to_json`` shape a debug session's ``Exited.result`` carries."""
    body = data.get("body")
    status = data.get("status")
    value: Any = None
    raw = b""
    if trigger.kind == "fetch":
        raw = str(body or "").encode("utf-8")
    elif body is not None:
        try:
            value = json.loads(body)
        except (TypeError, ValueError):
            value = body
    error = None
    if data.get("error"):
        e = data["error"]
        name = str(e.get("name") or "")
        summary = str(e.get("message") or "")
        message = summary.split(f"{name}: ", 1)[1] if name and f"{name}: " in summary else summary
        stack = str(e.get("stack") or "")
        error = ErrorInfo(name, message, stack, _stack_frames(stack), kind=str(e.get("kind") or "exception"))
    heap = data.get("heap") or {}
    logs = tuple(LogEntry(str(x.get("level", "log")), str(x.get("message", "")), float(x.get("time", 0.0)))
                 for x in data.get("logs") or ())
    return InvocationResult(
        trigger=trigger.kind, outcome=data.get("outcome") or "error", status=status,
        status_text=_status_text(status), headers=tuple((str(k), str(v)) for k, v in (data.get("headers") or {}).items()),
        body=raw, value=value, logs=logs, error=error, limit=(data.get("error") or {}).get("limit"),
        duration_ms=float(data.get("duration_ms") or 0.0), paused_ms=float(data.get("paused_ms") or 0.0),
        heap_used=int(heap.get("used") or 0),
        heap_total=int(heap.get("total") or 0))


_FRAME_LINE = re.compile(r"^\s*at (?:(?P<func>.*?) \()?(?P<file>[^()\s]+?):(?P<line>\d+):(?P<col>\d+)\)?$")


def _stack_frames(stack: str) -> tuple[StackFrame, ...]:
    """The frames of a mapped stack text (so the Response panel links the throw as a normal run does)."""
    out: list[StackFrame] = []
    for raw in stack.splitlines():
        m = _FRAME_LINE.match(raw)
        if m is not None:
            out.append(StackFrame((m["func"] or "<anonymous>").strip(), m["file"], int(m["line"]), int(m["col"])))
    return tuple(out)


def _status_text(status: object) -> str:
    try:
        return http.HTTPStatus(int(status)).phrase  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
