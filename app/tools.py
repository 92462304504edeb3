"""The tool panels around the editor: profiler, load runs, KV browser, heap, deployments, publish.

Part of the composition root (app/main.py calls ``install_tools``): builds each
feature package with its controller, docks it, and connects it to the runtime
service and the simulator. Panels never reach into each other.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from app.panels.deployments.controller import DeploymentsController
from app.panels.deployments.widget import DeploymentsPanel
from app.panels.heap import HeapPanel, create_heap_panel
from app.panels.d1 import D1Panel, create_d1_panel
from app.panels.kv import KVPanel, create_kv_panel
from app.panels.r2 import R2Panel, create_r2_panel
from app.panels.profiler import ProfilerPanel, create_profiler_panel
from app.panels.publish.controller import PublishController
from app.panels.publish.model import ServerProfiles
from app.panels.publish.widget import PublishDialog
from runtime.loadrun import LoadSpec
from runtime.publish_client import PublishResult

if TYPE_CHECKING:
    from app.main import Ide
    from app.panels.simulator.controller import RunRequested


@dataclass
class Tools:
    """The tool panels of one IDE window."""

    profiler: ProfilerPanel
    kv: KVPanel
    heap: HeapPanel
    deployments: DeploymentsPanel
    deployments_controller: DeploymentsController
    executor: ThreadPoolExecutor
    publish_profiles: ServerProfiles
    recordings: Any = None
    """app.panels.recordings.controller.RecordingsController (the Recordings panel's)."""
    d1: D1Panel | None = None
    r2: R2Panel | None = None

    def attach(self, ide: Ide) -> None:
        """Follow the runtime of the project that just opened (or None)."""
        runtime = ide.services.runtime.project_runtime
        for panel in (self.profiler, self.kv, self.heap, self.d1, self.r2):
            if panel is not None:
                panel.attach(runtime)

    def close(self) -> None:
        """Stop timers, subscriptions, load runs and the network worker."""
        self.profiler.close()
        self.kv.controller.close()
        for store_panel in (self.d1, self.r2):
            if store_panel is not None:
                store_panel.controller.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


def install_tools(ide: Ide) -> Tools:
    """Build, dock and connect every tool panel."""
    window, s = ide.window, ide.services
    thread = s.runtime.thread
    profiler = create_profiler_panel(window, thread, s.bridge, s.reporter.report)
    kv = create_kv_panel(window, thread, s.bridge, s.reporter.report)
    d1 = create_d1_panel(window, thread, s.bridge, s.reporter.report)
    r2 = create_r2_panel(window, thread, s.bridge, s.reporter.report)
    heap = create_heap_panel(window, thread, s.bridge, s.reporter.report)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="isoplay-publish")
    deployments = DeploymentsPanel(window)
    deployments_controller = DeploymentsController(deployments, bridge=s.bridge, executor=executor, parent=window)
    deployments.sig_refresh_requested.connect(deployments_controller.refresh)
    deployments.sig_rollback_requested.connect(deployments_controller.rollback)
    window.add_tool_dock("profiler", "Profiler", profiler.charts, beside="console")
    window.add_tool_dock("load", "Load", profiler.load_form, beside="console")
    window.add_tool_dock("heap", "Heap", heap.widget, beside="console")
    window.add_tool_dock("kv", "KV", kv.widget, beside="console")
    window.add_tool_dock("d1", "D1", d1.widget, beside="console")
    window.add_tool_dock("r2", "R2", r2.widget, beside="console")
    window.add_tool_dock("deployments", "Deployments", deployments, beside="response",
                        area=window.dockWidgetArea(window.docks["response"]))
    window.docks["console"].raise_()
    window.docks["response"].raise_()
    window.resizeDocks([window.docks["tree"]], [230], Qt.Orientation.Horizontal)
    profiles = ServerProfiles(ide.settings.store)
    from app.panels.recordings.install import install_recordings

    tools = Tools(profiler, kv, heap, deployments, deployments_controller, executor, profiles,
                  install_recordings(ide, executor), d1, r2)
    deployments.set_servers(profiles.urls())
    deployments.sig_server_changed.connect(deployments_controller.check_token)
    deployments_controller.sig_failure_details.connect(lambda text: ide.controllers.console.add_message("error", text))
    deployments_controller.check_token(deployments.selection().server)
    s.runtime.sig_project_opened.connect(lambda _opened: tools.attach(ide))
    s.runtime.sig_project_opened.connect(lambda opened: _follow_project(tools, opened))
    ide.controllers.simulator.sig_run_requested.connect(lambda request: _follow_request(tools, request))
    _add_publish_action(ide, tools)
    return tools


def load_for_screenshot(ide: Ide, tools: Tools, seconds: float, chart: str, then: Callable[[], None]) -> None:
    """``isoplay ide --screenshot --load``: run the simulator's request for ``seconds`` (8 at a time), show the
    Profiler's ``chart``, and call ``then`` three quarters into the run (once)."""
    if tools.profiler.load.running or getattr(tools, "_screenshot_load", False):
        return
    tools._screenshot_load = True  # type: ignore[attr-defined]
    tools.profiler.load.start(LoadSpec(duration_s=seconds, concurrency=8))
    ide.window.show_dock("profiler")
    tools.profiler.charts.show_chart(chart)
    QTimer.singleShot(int(seconds * 750), then)


def _follow_project(tools: Tools, opened: object) -> None:
    """Deployments suggests the opened project's app, on the server it was last published to."""
    root = getattr(opened, "root", None)
    name = getattr(opened, "name", "") or (root.name if root is not None else "")
    last = tools.publish_profiles.last_publish(root) if root is not None else None
    if last is not None and not tools.deployments.selection().server:
        tools.deployments.set_selection(last[0], name)
    tools.deployments.set_app_if_empty(name)


def _follow_request(tools: Tools, request: RunRequested) -> None:
    """The load form runs whatever the simulator ran last."""
    trigger = request.trigger
    label = f"{getattr(trigger, 'method', trigger.kind)} {trigger.route}"
    tools.profiler.load.set_trigger(trigger, label)
    tools.profiler.load_form.set_request_label(label)


def _add_publish_action(ide: Ide, tools: Tools) -> None:
    action = QAction("Publish…", ide.window)
    action.setShortcut(QKeySequence("Ctrl+Shift+P"))
    action.setToolTip("Bundle a release and publish it to a server (Ctrl+Shift+P)")
    action.triggered.connect(lambda: open_publish_dialog(ide, tools))
    ide.window.actions["publish"] = action
    toolbars = ide.window.findChildren(QToolBar)
    if toolbars:
        toolbars[0].addAction(action)
    for menu in ide.window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "") == "Run":
            menu.addAction(action)
            break


def open_publish_dialog(ide: Ide, tools: Tools) -> PublishDialog | None:
    """Show the Publish dialog for the open project; on success follow the app in Deployments."""
    root: Path | None = ide.services.runtime.root
    if root is None:
        ide.window.flash("Open a project first.")
        return None
    dialog = PublishDialog(root, ide.window)
    controller = PublishController(dialog, bridge=ide.services.bridge, executor=tools.executor,
                                   profiles=tools.publish_profiles, parent=dialog)
    dialog.sig_publish_requested.connect(controller.publish)
    dialog.sig_bump_requested.connect(controller.bump)
    dialog.sig_publish_anyway_requested.connect(controller.publish_anyway)
    dialog.sig_write_version_requested.connect(controller.write_version)
    controller.sig_failure_details.connect(lambda text: ide.controllers.console.add_message("error", text))
    controller.sig_published.connect(lambda result: _on_published(ide, tools, dialog, result))
    controller.load_project(root)
    dialog.show()
    return dialog


def _on_published(ide: Ide, tools: Tools, dialog: PublishDialog, result: PublishResult) -> None:
    server = dialog.server.currentText().strip()
    tools.deployments.set_servers(tools.publish_profiles.urls())
    if server:
        tools.deployments_controller.show(server, result.app)
        if tools.recordings is not None:
            tools.recordings.show(ide.services.runtime.root, server, result.app)
        ide.window.show_dock("deployments")
