"""The local endpoint in the IDE window (part of the composition root, like ``app/debugging.py``).

``install_endpoint`` serves every opened project on 127.0.0.1 (``LocalEndpoint``),
shows the address as a link in the status bar, gives it to Copy as curl, sends
outside requests to the Console, and adds two Debug menu entries:

- **Break on Requests** (remembered): while it is on and a breakpoint is set,
  a request from outside, or Send (Ctrl+R), runs under the debugger as F5 does.
  One session runs at a time: a request that comes while one is running is
  answered without the debugger (the Console says so).
- **Local Endpoint Port…**: the port tried first (``endpoint/port``; 0 picks
  any free one). ``ISOPLAY_ENDPOINT_PORT`` overrides it for one start.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLabel

from app.debugging import result_from_json
from app.panels.debug.types import DebugState
from app.panels.simulator.curl import DEFAULT_ORIGIN
from app.services.endpoint import DEFAULT_PORT, DebugHandoff, EndpointState, LocalEndpoint, OutsideRequest, refusal_text
from app.services.runtime_service import InvocationFinished, ProjectOpened
from app.services.types import Failure
from debugger.protocol import Exited
from runtime.invocation import HttpRequest, Trigger

if TYPE_CHECKING:
    from app.main import Ide

PORT_SETTING = "endpoint/port"
BREAK_SETTING = "endpoint/break_on_requests"
PORT_ENV = "ISOPLAY_ENDPOINT_PORT"


@dataclass
class Endpoint:
    """The local endpoint of one IDE window and its debugger hand-off."""

    service: LocalEndpoint
    label: QLabel
    break_action: QAction
    port_action: QAction
    debugging: dict[int, int] = field(default_factory=dict)
    """Controller id -> the outside request its current session answers."""
    wants_debug: bool = False
    """Break on Requests is on, a breakpoint is enabled and the debugger is idle (read on the runtime thread)."""
    _runs: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def close(self) -> None:
        """Stop listening."""
        self.service.stop()


def configured_port(ide: Ide) -> int:
    """The port to try first: the environment, else the setting, else 8787."""
    raw = os.environ.get(PORT_ENV) or ide.settings.store.value(PORT_SETTING, DEFAULT_PORT)
    try:
        port = int(str(raw))
    except ValueError:
        return DEFAULT_PORT
    return port if 0 <= port <= 65535 else DEFAULT_PORT


def install_endpoint(ide: Ide) -> Endpoint:
    """Serve the open project, show it in the status bar and wire the debugger hand-off."""
    window = ide.window
    service = LocalEndpoint(ide.services.runtime.thread, ide.services.bridge, configured_port(ide), parent=window)
    label = QLabel("")
    label.setObjectName("status_endpoint")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
    window.statusBar().addPermanentWidget(label)
    break_action = QAction("Break on Requests", window)
    break_action.setCheckable(True)
    break_action.setChecked(str(ide.settings.store.value(BREAK_SETTING, "true")).lower() == "true")
    break_action.setToolTip("With a breakpoint set, requests from outside and Send run under the debugger")
    port_action = QAction("Local Endpoint Port…", window)
    endpoint = Endpoint(service, label, break_action, port_action)
    if ide.debugger is not None:
        ide.debugger.menu.addSeparator()
        ide.debugger.menu.addAction(break_action)
        ide.debugger.menu.addAction(port_action)
    break_action.toggled.connect(lambda on: _on_break_toggled(ide, endpoint, on))
    port_action.triggered.connect(lambda: _ask_port(ide, endpoint))
    service.debug_requests = lambda: endpoint.wants_debug
    service.sig_state_changed.connect(lambda state: _on_state(ide, endpoint, state))
    service.sig_outside_finished.connect(lambda outside: _on_outside_finished(ide, endpoint, outside))
    service.sig_debug_requested.connect(lambda handoff: _on_debug_requested(ide, endpoint, handoff))
    ide.services.runtime.sig_project_opened.connect(lambda opened: _on_project_opened(ide, endpoint, opened))
    ide.controllers.project.sig_project_opening.connect(lambda _opening: service.stop())
    ide.controllers.project.sig_project_opening.connect(lambda _opening: _follow_controller(ide, endpoint))
    _follow_controller(ide, endpoint)
    return endpoint


def _on_project_opened(ide: Ide, endpoint: Endpoint, opened: ProjectOpened) -> None:
    runtime = ide.services.runtime.project_runtime
    if runtime is not None:
        endpoint.service.serve(runtime, opened.root)


def _on_state(ide: Ide, endpoint: Endpoint, state: EndpointState) -> None:
    label = endpoint.label
    if state.url:
        label.setText(f'<a href="{state.url}/">{state.url.removeprefix("http://")}</a>')
        label.setToolTip(f"The open project answers here (as wrangler dev does): {state.url}/")
        ide.controllers.simulator.origin = state.url
    else:
        label.setText("endpoint: off" if state.error else "")
        label.setToolTip(state.error)
        ide.controllers.simulator.origin = DEFAULT_ORIGIN
        if state.error:
            ide.controllers.console.add_message("error", f"local endpoint: {state.error}", "ide")


def _on_outside_finished(ide: Ide, endpoint: Endpoint, outside: OutsideRequest) -> None:
    ide.controllers.console.add_invocation(InvocationFinished(outside.root, outside.trigger, outside.result,
                                                              next(endpoint._runs)))


def _on_break_toggled(ide: Ide, endpoint: Endpoint, on: bool) -> None:
    ide.settings.store.setValue(BREAK_SETTING, "true" if on else "false")
    _update_wants_debug(ide, endpoint)


def _ask_port(ide: Ide, endpoint: Endpoint) -> None:
    port, ok = QInputDialog.getInt(ide.window, "Local Endpoint", "Port to try first (0: any free port):",
                                   endpoint.service.port, 0, 65535)
    if ok:
        set_port(ide, endpoint, port)


def set_port(ide: Ide, endpoint: Endpoint, port: int) -> None:
    """Remember ``port`` and listen there again."""
    ide.settings.store.setValue(PORT_SETTING, port)
    endpoint.service.port = port
    runtime, root = ide.services.runtime.project_runtime, ide.services.runtime.root
    if runtime is not None and root is not None:
        endpoint.service.serve(runtime, root)


# -- the debugger hand-off -------------------------------------------------------------------


def _follow_controller(ide: Ide, endpoint: Endpoint) -> None:
    """Watch the current project's debug controller (a new one per project)."""
    debugger = ide.debugger
    controller = debugger.controller if debugger is not None else None
    if controller is None or getattr(controller, "_endpoint_wired", False):
        _update_wants_debug(ide, endpoint)
        return
    controller._endpoint_wired = True  # type: ignore[attr-defined]
    controller.sig_state_changed.connect(lambda _s: _update_wants_debug(ide, endpoint))
    controller.sig_breakpoints_changed.connect(lambda _r: _update_wants_debug(ide, endpoint))
    controller.sig_exited.connect(lambda exited, c=controller: _on_exited(ide, endpoint, c, exited))
    controller.sig_start_failed.connect(lambda failure, c=controller: _on_start_failed(endpoint, c, failure))
    _update_wants_debug(ide, endpoint)


def _update_wants_debug(ide: Ide, endpoint: Endpoint) -> None:
    debugger = ide.debugger
    controller = debugger.controller if debugger is not None else None
    if controller is not None and not getattr(controller, "_endpoint_wired", False):
        _follow_controller(ide, endpoint)
        return
    endpoint.wants_debug = bool(
        endpoint.break_action.isChecked() and controller is not None and controller.state is DebugState.IDLE
        and any(row.spec.enabled for row in controller.breakpoint_rows()))


def debug_send(ide: Ide, trigger: Trigger) -> bool:
    """Send (Ctrl+R) with Break on Requests on and a breakpoint set: debug it as F5 does; False: run it normally."""
    endpoint: Endpoint | None = getattr(ide, "endpoint", None)
    if endpoint is None or ide.debugger is None or ide.debugger.controller is None:
        return False
    _update_wants_debug(ide, endpoint)
    if not endpoint.wants_debug:
        return False
    controller = ide.debugger.controller
    controller.save_before_start(lambda: controller.start(trigger))
    return True


def _on_debug_requested(ide: Ide, endpoint: Endpoint, handoff: DebugHandoff) -> None:
    debugger = ide.debugger
    controller = debugger.controller if debugger is not None else None
    if controller is None or controller.state is not DebugState.IDLE:
        _run_without_debugger(ide, endpoint, handoff)
        return
    endpoint.debugging[id(controller)] = handoff.id
    ide.controllers.console.add_message("info", f"debugging {handoff.trigger.method} {_path(handoff.trigger)} "
                                                "from outside (Break on Requests)", "ide")
    controller.start(handoff.trigger)


def _run_without_debugger(ide: Ide, endpoint: Endpoint, handoff: DebugHandoff) -> None:
    """The debugger is busy: answer the request from the runtime and say so."""
    ide.controllers.console.add_message(
        "warn", f"{handoff.trigger.method} {_path(handoff.trigger)} from outside ran without the debugger: "
                "a debug session is already running", "ide")
    runtime = ide.services.runtime
    future = runtime.thread.submit(_invoke(runtime.project_runtime, handoff.trigger)) \
        if runtime.project_runtime is not None else None
    if future is None:
        endpoint.service.refuse(handoff.id, "no project is open in the IDE")
        return
    ide.services.bridge.watch(future, lambda result: endpoint.service.answer(handoff.id, result),
                              lambda failure: endpoint.service.refuse(handoff.id, refusal_text(failure.error)),
                              "answering an outside request")


async def _invoke(runtime, trigger):  # type: ignore[no-untyped-def]
    return await runtime.invoke(trigger)


def _on_exited(ide: Ide, endpoint: Endpoint, controller: object, exited: Exited) -> None:
    request_id = endpoint.debugging.pop(id(controller), None)
    if request_id is None:
        return
    trigger = getattr(controller, "trigger", None)
    if exited.result is None or not isinstance(trigger, HttpRequest):
        why = f"the debug session ended ({exited.status}{': ' + exited.error if exited.error else ''})"
        endpoint.service.refuse(request_id, why)
        return
    endpoint.service.answer(request_id, result_from_json(trigger, exited.result))


def _on_start_failed(endpoint: Endpoint, controller: object, failure: Failure) -> None:
    request_id = endpoint.debugging.pop(id(controller), None)
    if request_id is not None:
        endpoint.service.refuse(request_id, refusal_text(failure.error))


def _path(trigger: HttpRequest) -> str:
    rest = trigger.url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


