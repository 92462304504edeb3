"""Composition root: ``build_app()`` constructs services, panels, controllers and the window, then wires them.

Nothing else in ``app/`` constructs threads, clients or services. Panels never
talk to each other: every cross-panel link is one ``connect`` below.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from PySide6.QtCore import QEventLoop, QMessageLogContext, QSettings, QtMsgType, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from app.bridge import FutureBridge
from app.debugging import Debugger, install_debugger
from app.endpoint import Endpoint, debug_send, install_endpoint
from app.panels.console.controller import ConsoleController
from app.panels.console.widget import ConsoleWidget
from app.panels.editors.controller import EditorsController
from app.panels.editors.conventions import install_conventions
from app.panels.editors.status import install_editor_status
from app.panels.editors.widget import EditorTabs
from app.panels.outline import OutlinePanel, install_outline
from app.panels.problems.controller import ProblemCounts, ProblemsController
from app.panels.problems.widget import ProblemsWidget
from app.panels.project.controller import ProjectController, ProjectOpening
from app.panels.project.widget import ask_new_project
from app.panels.response.controller import ResponseController
from app.panels.response.widget import ResponseWidget
from app.panels.debug.tree import LOADING
from app.panels.simulator.controller import RunRequested, SimulatorController
from app.panels.simulator.forms import HttpForm
from app.panels.simulator.websocket_tab import install_websocket_tab
from app.panels.simulator.widget import SimulatorWidget
from app.panels.tree.controller import TreeController
from app.panels.tree.widget import ProjectTreeWidget
from app.services.errors import ErrorReport, ErrorReporter
from app.services.files import FileService
from app.services.language import ClientFactory, LanguageService
from app.services.runtime_service import BuildFinished, ProjectOpened, RuntimeService
from app.services.screenshot import Captured, ScreenshotDirector
from app.services.toolchain_service import ToolchainReady, ToolchainService
from app.panels.testing import TestingPanel
from app.services.types import Failure
from app.settings import AppSettings
from app.theme import apply_theme
from app.tools import Tools, install_tools
from app.testing import install_testing
from app.workers import install_workers
from app.window import MainWindow
from editor.file_watch import ExternalChangeRouter, FileWatcher
from editor.lsp import LanguageClient, StatusChanged
from runtime import toolchain
from runtime.manifest import MANIFEST_NAME
from runtime.loop import RuntimeThread


@dataclass
class Panels:
    """The panel widgets (views)."""

    tree: ProjectTreeWidget = field(default_factory=ProjectTreeWidget)
    editors: EditorTabs = field(default_factory=EditorTabs)
    console: ConsoleWidget = field(default_factory=ConsoleWidget)
    problems: ProblemsWidget = field(default_factory=ProblemsWidget)
    simulator: SimulatorWidget = field(default_factory=SimulatorWidget)
    response: ResponseWidget = field(default_factory=ResponseWidget)


@dataclass
class Services:
    """Background services and the error path."""

    reporter: ErrorReporter
    bridge: FutureBridge
    files: FileService
    runtime: RuntimeService
    toolchain: ToolchainService
    language: LanguageService
    watcher: FileWatcher
    router: ExternalChangeRouter


@dataclass
class Controllers:
    """One controller per panel, plus the project lifecycle."""

    tree: TreeController
    editors: EditorsController
    console: ConsoleController
    problems: ProblemsController
    simulator: SimulatorController
    response: ResponseController
    project: ProjectController


@dataclass
class Ide:
    """The assembled IDE (what ``build_app`` returns)."""

    app: QApplication
    settings: AppSettings
    window: MainWindow
    panels: Panels
    services: Services
    controllers: Controllers
    theme: str = "light"
    tools: Tools | None = None
    """Profiler, load runs, KV, heap, deployments and publish (app/tools.py)."""
    outline: OutlinePanel | None = None
    """Outline dock and Go to Symbol box (app/panels/outline)."""
    debugger: Debugger | None = None
    """Run and Debug and Debug Console docks, toolbar, menu and the open project's debug controller (app/debugging.py)."""
    endpoint: Endpoint | None = None
    """The project's local HTTP endpoint and its Break on Requests hand-off (app/endpoint.py)."""
    testing: TestingPanel | None = None
    """The Testing dock: test files and tests, run with isoplay test's runner (app/testing.py)."""
    testing_markers: Any = None
    """The editors' ▶ run-test markers (app/testing.GutterMarkers)."""
    workers: Any = None
    """Wrangler environment selector and the Install dependencies offer (app/workers.py)."""
    websocket: Any = None
    """The simulator's WebSocket tab controller (app/panels/simulator/websocket_tab.py)."""
    editor_status: Any = None
    """The status bar's caret, indentation, encoding ... fields (app/panels/editors/status.py)."""
    conventions: Any = None
    """Indentation per file, Format Document, Format on Save (app/panels/editors/conventions.py)."""
    _stopped: bool = False

    def open_project(self, root: Path) -> None:
        """Open a project folder."""
        self.controllers.project.open_project(root)

    def set_theme(self, name: str) -> None:
        """Switch the light/dark theme everywhere and remember it."""
        self.theme = name
        apply_theme(self.app, name)
        self.controllers.editors.set_theme(name)  # type: ignore[arg-type]
        self.controllers.response.theme = name
        self.window.set_theme_checked(name)
        self.settings.set_theme(name)

    def save_state(self) -> None:
        """Remember the window layout and the open files."""
        self.controllers.project.save_session()
        if self.debugger is not None:
            self.debugger.save_layout(self.window, self.settings)
        self.settings.set_window_layout(*self.window.layout_state())
        self.settings.sync()

    def wait_language_stopped(self, timeout_ms: int) -> None:
        """At process exit (after the event loop ended): let the language servers report STOPPED."""
        loop = QEventLoop()
        QTimer.singleShot(timeout_ms, loop.quit)
        if self.services.language.wait_all_stopped(loop.quit):
            loop.exec()

    def shutdown(self) -> None:
        """Stop the language server, the file watcher, the runtime and the workers (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self.tools is not None:
            self.tools.close()
        if self.endpoint is not None:
            self.endpoint.close()
        if self.debugger is not None:
            self.debugger.close()
        if self.workers is not None:
            self.workers.close()
        if self.conventions is not None:
            self.conventions.close()
        self.services.language.stop()
        self.services.watcher.stop()
        self.services.toolchain.shutdown()
        self.services.runtime.shutdown()
        self.services.files.shutdown()


def build_services(runtime_thread: RuntimeThread, resolve_toolchain: Callable[[], toolchain.Toolchain],
                   client_factory: ClientFactory) -> Services:
    """Construct the background services."""
    reporter = ErrorReporter()
    bridge = FutureBridge(on_unhandled=reporter.report)
    watcher = FileWatcher()
    return Services(reporter, bridge, FileService(), RuntimeService(runtime_thread, bridge, reporter.report),
                    ToolchainService(bridge, resolve_toolchain), LanguageService(client_factory), watcher,
                    ExternalChangeRouter(watcher))


def build_controllers(window: MainWindow, panels: Panels, s: Services, settings: AppSettings) -> Controllers:
    """Construct the controllers with their views."""
    editors = EditorsController(panels.editors, s.files, s.bridge, s.router, settings.theme())  # type: ignore[arg-type]
    project = ProjectController(_ProjectViewAdapter(window, panels), settings, editors, s.runtime, s.files, s.bridge)
    return Controllers(
        tree=TreeController(panels.tree, s.files, s.bridge),
        editors=editors,
        console=ConsoleController(panels.console),
        problems=ProblemsController(panels.problems),
        simulator=SimulatorController(panels.simulator, s.files, s.bridge),
        response=ResponseController(panels.response, settings.theme()),
        project=project,
    )


class _ProjectViewAdapter:
    """The window's questions, as the ``ProjectView`` the project controller needs."""

    def __init__(self, window: MainWindow, panels: Panels) -> None:
        self.window = window
        self.panels = panels

    def ask_project_dir(self) -> Path | None:
        return self.window.ask_project_dir()

    def ask_new_project(self, template: str | None = None):  # type: ignore[no-untyped-def]
        return ask_new_project(self.window, template=template)

    def set_recent_projects(self, roots: list[Path]) -> None:
        self.window.set_recent_projects(roots)
        self.panels.editors.welcome_view.set_recent_projects(roots)

    def show_message(self, text: str) -> None:
        self.panels.editors.show_message(text)


def build_app(settings: AppSettings, *, app: QApplication | None = None, runtime_thread: RuntimeThread | None = None,
              resolve_toolchain: Callable[[], toolchain.Toolchain] = toolchain.ensure,
              client_factory: ClientFactory = LanguageClient) -> Ide:
    """Build the IDE: services, panels, controllers, window, and every connection between them."""
    qapp = app or QApplication.instance() or QApplication([])
    assert isinstance(qapp, QApplication)
    services = build_services(runtime_thread or RuntimeThread().start(), resolve_toolchain, client_factory)
    panels = Panels()
    window = MainWindow(editors=panels.editors, tree=panels.tree, console=panels.console, problems=panels.problems,
                        simulator=panels.simulator, response=panels.response)
    controllers = build_controllers(window, panels, services, settings)
    ide = Ide(qapp, settings, window, panels, services, controllers)
    _connect(ide)
    ide.tools = install_tools(ide)
    ide.outline = install_outline(ide)  # (before the debugger: the Outline splits the Explorer's column)
    ide.debugger = install_debugger(ide)
    ide.endpoint = install_endpoint(ide)
    ide.testing = install_testing(ide)
    ide.workers = install_workers(ide)
    ide.websocket = install_websocket_tab(ide)
    ide.editor_status = install_editor_status(ide)
    ide.conventions = install_conventions(ide)
    window.restore_layout(settings.window_geometry(), settings.window_state())
    controllers.project.view.set_recent_projects(settings.recent_projects())
    ide.set_theme(settings.theme())
    services.watcher.start()
    services.toolchain.start()
    window.set_status("toolchain", "esbuild · tsc: preparing…")
    window.set_status("language", "TS service: waiting")
    return ide


# -- wiring ---------------------------------------------------------------------------------


def _connect(ide: Ide) -> None:
    for connect in (_connect_views, _connect_project, _connect_runtime, _connect_language, _connect_actions,
                    _connect_editing_actions, _connect_errors):
        connect(ide)


def _connect_views(ide: Ide) -> None:
    p, c = ide.panels, ide.controllers
    p.tree.sig_file_activated.connect(c.tree.on_view_file_activated)
    p.tree.sig_new_file_requested.connect(c.tree.on_view_new_file_requested)
    p.tree.sig_rename_requested.connect(c.tree.on_view_rename_requested)
    p.tree.sig_delete_requested.connect(c.tree.on_view_delete_requested)
    c.tree.sig_file_open_requested.connect(c.editors.open)
    c.tree.sig_file_created.connect(c.editors.open)
    c.tree.sig_file_renamed.connect(c.editors.on_file_renamed)
    c.tree.sig_file_deleted.connect(c.editors.on_file_deleted)
    p.editors.sig_close_requested.connect(c.editors.on_view_close_requested)
    p.editors.sig_current_changed.connect(c.editors.on_view_current_changed)
    p.console.sig_filter_changed.connect(c.console.on_view_filter_changed)
    p.console.sig_cleared.connect(c.console.on_view_cleared)
    p.problems.sig_problem_activated.connect(c.problems.on_view_problem_activated)
    c.problems.sig_location_requested.connect(c.editors.open_location)
    p.response.sig_link_activated.connect(c.response.on_view_link_activated)
    c.response.sig_location_requested.connect(c.editors.open_location)
    _connect_simulator(ide)
    welcome = p.editors.welcome_view
    welcome.sig_open_requested.connect(c.project.ask_open)
    welcome.sig_new_requested.connect(lambda chosen: c.project.ask_new(chosen.template))
    welcome.sig_recent_chosen.connect(lambda chosen: c.project.open_project(chosen.root))


def _connect_simulator(ide: Ide) -> None:
    p, c = ide.panels.simulator, ide.controllers.simulator
    p.sig_send_requested.connect(c.on_view_send_requested)
    p.sig_save_requested.connect(c.on_view_save_requested)
    p.sig_curl_copy_requested.connect(c.on_view_curl_copy_requested)
    p.sig_curl_imported.connect(c.on_view_curl_imported)
    p.sig_saved_chosen.connect(c.on_view_saved_chosen)
    p.sig_saved_deleted.connect(c.on_view_saved_deleted)
    p.sig_history_chosen.connect(c.on_view_history_chosen)
    c.sig_run_requested.connect(lambda request: _on_simulator_run_requested(ide, request))


def _on_simulator_run_requested(ide: Ide, request: RunRequested) -> None:
    if not ide.services.runtime.is_running():
        ide.window.flash("The project is still starting; try again in a moment.")
        return
    if debug_send(ide, request.trigger):  # Break on Requests with a breakpoint set: like F5
        return
    ide.services.runtime.run(request.trigger)
    _reveal_response(ide)


def _reveal_response(ide: Ide) -> None:
    """Send shows its answer: the Response comes to the front of its tab group when another tab covers it (the
    Outline in a narrow window's folded column, Deployments); a Response the user closed stays closed."""
    dock = ide.window.docks.get("response")
    if dock is not None and dock.toggleViewAction().isChecked() and not dock.isFloating():
        dock.raise_()


def _connect_project(ide: Ide) -> None:
    c, s = ide.controllers, ide.services
    c.project.sig_project_opening.connect(lambda opening: _on_project_opening(ide, opening))
    s.runtime.sig_project_opened.connect(c.project.restore_session)
    s.runtime.sig_project_opened.connect(lambda opened: _on_project_opened(ide, opened))
    s.runtime.sig_project_open_failed.connect(s.reporter.report)
    ide.window.sig_recent_project_chosen.connect(c.project.on_window_recent_project_chosen)
    c.editors.sig_file_saved.connect(lambda _saved: s.runtime.reload())
    c.editors.sig_current_changed.connect(lambda path: ide.window.set_project_title(_project_name(ide), path))


def _project_name(ide: Ide) -> str:
    root = ide.controllers.project.root
    return root.name if root else ""


def _on_project_opening(ide: Ide, opening: ProjectOpening) -> None:
    ide.panels.tree.set_root(opening.root)
    ide.panels.problems.root = opening.root
    ide.panels.editors.root = opening.root
    ide.controllers.problems.clear()
    ide.services.language.set_root(opening.root)
    ide.controllers.console.add_message("info", f"opening {opening.root}")
    ide.window.set_project_title(opening.root.name, None)
    ide.window.set_status("build", "⏳ building…")


def _on_project_opened(ide: Ide, opened: ProjectOpened) -> None:
    ide.controllers.simulator.set_project(opened.root, opened.crons)
    ide.controllers.response.on_build_finished(BuildFinished(opened.root, opened.build))
    _on_build_finished(ide, BuildFinished(opened.root, opened.build))


def _connect_runtime(ide: Ide) -> None:
    c, s = ide.controllers, ide.services
    s.runtime.sig_build_finished.connect(lambda finished: _on_build_finished(ide, finished))
    s.runtime.sig_build_finished.connect(c.response.on_build_finished)
    s.runtime.sig_invocation_started.connect(c.response.show_running)
    s.runtime.sig_invocation_finished.connect(c.response.show_finished)
    s.runtime.sig_logs_received.connect(c.console.add_invocation)
    s.runtime.sig_invocation_refused.connect(c.response.show_refused)
    s.runtime.sig_invocation_refused.connect(c.console.add_refusal)
    s.runtime.sig_invocation_refused.connect(lambda _r: ide.window.show_dock("response"))


def _on_build_finished(ide: Ide, finished: BuildFinished) -> None:
    report = finished.report
    ide.controllers.problems.set_build_result(finished)
    ide.controllers.console.add_build(finished)
    text = f"✓ built {report.version} in {report.duration_ms:.0f} ms" if report.ok else "✗ build failed"
    ide.window.set_status("build", text, "" if report.ok else str(report.error))


def _connect_language(ide: Ide) -> None:
    s, c, w = ide.services, ide.controllers, ide.window
    s.toolchain.sig_toolchain_ready.connect(lambda ready: _on_toolchain_ready(ide, ready))
    s.toolchain.sig_toolchain_failed.connect(lambda failure: _on_toolchain_failed(ide, failure))
    s.language.sig_client_changed.connect(c.editors.set_language_client)
    s.language.sig_diagnostics_published.connect(c.problems.set_file_diagnostics)
    s.language.sig_status_changed.connect(lambda change: _on_language_status(w, change))
    c.problems.sig_counts_changed.connect(lambda counts: _on_problem_counts(w, counts))


def _on_toolchain_ready(ide: Ide, ready: ToolchainReady) -> None:
    ide.window.set_status("toolchain", "esbuild · tsc ✓", f"esbuild: {ready.esbuild}\ntsc: {ready.tsc}")
    ide.services.language.set_tsc(ready.tsc)


def _on_toolchain_failed(ide: Ide, failure: Failure) -> None:
    ide.window.set_status("toolchain", "esbuild · tsc ✗", failure.message)
    ide.controllers.console.add_message("error", failure.message, "ide")


def _on_language_status(window: MainWindow, change: StatusChanged) -> None:
    window.set_status("language", f"TS service: {change.status.value}", change.message or "TypeScript 7 language service")


def _on_problem_counts(window: MainWindow, counts: ProblemCounts) -> None:
    window.set_status("problems", f"⊗ {counts.errors}  ⚠ {counts.warnings}")
    window.docks["problems"].setWindowTitle(f"Problems ({counts.errors + counts.warnings})" if counts.errors + counts.warnings else "Problems")


def _connect_actions(ide: Ide) -> None:
    c, w = ide.controllers, ide.window
    table: dict[str, Callable[[], object]] = {
        "new_project": lambda: c.project.ask_new(), "open_project": c.project.ask_open,
        "new_file": lambda: _new_file(ide), "save": c.editors.save, "save_as": c.editors.save_as,
        "save_all": c.editors.save_all, "quit": w.close,
        "close_tab": lambda: (e := c.editors.current_editor()) is not None and c.editors.close(e),
        "run": c.simulator.run_current, "rebuild": ide.services.runtime.reload,
        "theme_light": lambda: ide.set_theme("light"), "theme_dark": lambda: ide.set_theme("dark"),
    }
    for name, slot in table.items():
        w.action(name).triggered.connect(lambda _checked=False, s=slot: s())
    w.close_guard = lambda: _confirm_close(ide)


def _connect_editing_actions(ide: Ide) -> None:
    c, w = ide.controllers, ide.window
    table: dict[str, Callable[..., object]] = {
        "undo": lambda e: e.undo(), "redo": lambda e: e.redo(), "find": lambda e: e.show_find_bar(),
        "replace": lambda e: e.show_find_bar(replace=True), "toggle_comment": lambda e: e.toggle_comment(),
        "complete": lambda e: e.request_completion(), "go_to_definition": lambda e: e.request_definition(),
        "go_to_line": lambda e: e.show_go_to_line_bar(),
    }
    for name, call in table.items():
        w.action(name).triggered.connect(
            lambda _checked=False, f=call: (e := c.editors.current_editor()) is not None and f(e))


def _new_file(ide: Ide) -> None:
    root = ide.controllers.project.root
    selected = ide.panels.tree.selected_path()
    folder = selected if selected and selected.is_dir() else selected.parent if selected else (root / "src" if root else None)
    if folder is not None:
        ide.controllers.tree.new_file(folder)


def _confirm_close(ide: Ide) -> bool:
    editors = ide.controllers.editors
    if editors.has_unsaved():
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(ide.window, "Unsaved changes", "Save your changes before quitting?",
                                      buttons.SaveAll | buttons.Discard | buttons.Cancel, buttons.SaveAll)
        if answer == buttons.Cancel:
            return False
        if answer == buttons.SaveAll:
            editors.save_all(on_done=ide.window.close)
            return False  # the window closes again once every write is done
    ide.save_state()
    return True


def _connect_errors(ide: Ide) -> None:
    ide.services.reporter.sig_error_reported.connect(lambda report: _on_error_reported(ide, report))
    ide.services.router.sig_reloaded.connect(lambda change: ide.window.flash(f"{change.path.name} reloaded from disk"))
    ide.services.watcher.sig_watch_failed.connect(lambda exc: ide.services.reporter.report(Failure("watching files", exc)))


def _on_error_reported(ide: Ide, report: ErrorReport) -> None:
    ide.controllers.console.add_message("error", report.message, "ide")
    ide.window.show_error(report)


# -- the ``isoplay ide`` entry point ----------------------------------------------------------

SCREENSHOT_SIZE = (1480, 900)


def run_ide(project: Path | None, screenshot: Path | None = None, theme: str | None = None, *,
            request: tuple[str, str] | None = None, debug_at: tuple[str, int] | None = None,
            size: tuple[int, int] | None = None, load: tuple[float, str] | None = None) -> int:
    """Open the IDE (on ``project``, else the last project) and run until the window closes.

    With ``screenshot``, settings are kept in a throwaway file, the window is
    captured once diagnostics and one request are in (or after 30 s) and the
    function returns 0. ``request`` (method, path) is what the simulator sends;
    with ``debug_at`` (file, line) a breakpoint is set there and the request is
    debugged instead: the capture shows the paused IDE with the frame's ``env``
    expanded. ``size`` is the window's (default ``SCREENSHOT_SIZE``); with ``load``
    (seconds, chart) a load run of the request runs that long and the capture is
    taken while it runs, with the Profiler showing that chart.
    """
    from runtime.project import is_project

    if screenshot is not None and project is not None and not is_project(project):
        print(f"isoplay: {project} is not an isoplay project (no {MANIFEST_NAME} or wrangler config)", file=sys.stderr)
        return 1
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("isoplay")
    app.setApplicationName("isoplay")
    scratch = tempfile.TemporaryDirectory(prefix="isoplay-ide-") if screenshot is not None else None
    store = QSettings(f"{scratch.name}/settings.ini", QSettings.Format.IniFormat) if scratch else QSettings()
    ide = build_app(AppSettings(store), app=app)
    if theme is not None:
        ide.set_theme(theme)
    if screenshot is not None:
        _start_screenshot(ide, screenshot, request, debug_at, size, load)
    ide.window.show()
    root = project or ide.settings.last_project()
    if root is not None:
        ide.open_project(root)
    code = app.exec()
    ide.shutdown()
    ide.wait_language_stopped(3_000)
    if scratch is not None:
        scratch.cleanup()
    return code


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Print Qt's warnings, minus the offscreen platform's harmless noise."""
    if "propagateSizeHints" in message or kind == QtMsgType.QtDebugMsg:
        return
    print(f"qt: {message}", file=sys.stderr)


def _start_screenshot(ide: Ide, path: Path, request: tuple[str, str] | None = None,
                      debug_at: tuple[str, int] | None = None, size: tuple[int, int] | None = None,
                      load: tuple[float, str] | None = None) -> ScreenshotDirector:
    ide.window.resize(*(size or SCREENSHOT_SIZE))
    director = ScreenshotDirector(ide.window, path, timeout_ms=30_000 + int((load or (0, ""))[0] * 1000),
                                  parent=ide.window)
    s = ide.services
    s.language.sig_diagnostics_published.connect(director.on_language_diagnostics_published)
    if load is not None and ide.tools is not None:
        from app.tools import load_for_screenshot

        s.runtime.sig_invocation_finished.connect(lambda _f: load_for_screenshot(ide, ide.tools, *load, then=(
            lambda: director.on_runtime_invocation_done(None))))
    elif debug_at is None:
        s.runtime.sig_invocation_finished.connect(director.on_runtime_invocation_done)
        s.runtime.sig_invocation_refused.connect(director.on_runtime_invocation_done)
    s.runtime.sig_project_opened.connect(
        lambda _o: QTimer.singleShot(200, lambda: _screenshot_request(ide, director, request, debug_at)))
    director.sig_captured.connect(lambda captured: _on_captured(ide, captured))
    director.start()
    return director


def _screenshot_request(ide: Ide, director: ScreenshotDirector, request: tuple[str, str] | None,
                        debug_at: tuple[str, int] | None) -> None:
    """Send the screenshot's request, or debug it to a breakpoint (then the paused frame is what counts)."""
    if request is not None:
        ide.panels.simulator.set_http_form(HttpForm(*request))
    if debug_at is None or ide.debugger is None or ide.debugger.controller is None:
        if ide.endpoint is not None:  # a plain capture runs the request even if the project keeps breakpoints
            ide.endpoint.break_action.blockSignals(True)  # (for this window only: the setting is not changed)
            ide.endpoint.break_action.setChecked(False)
            ide.endpoint.break_action.blockSignals(False)
        ide.controllers.simulator.run_current()
        return
    controller = ide.debugger.controller
    if controller.store.get(*debug_at) is None:
        controller.toggle_breakpoint(*debug_at)
    tree = ide.debugger.panel.variables.tree

    def env_loaded() -> bool:
        row = tree.find_row("Locals", "env")
        first = row.child(0) if row is not None else None
        return row is None or (first is not None and first.text(0) != LOADING)

    def on_frame_selected(_selected: object) -> None:
        row = tree.find_row("Locals", "env")
        if row is not None:
            row.setExpanded(True)
        _when(env_loaded, lambda: director.on_runtime_invocation_done(None))

    controller.sig_frame_selected.connect(on_frame_selected)
    controller.start_or_continue()


def _when(condition: Callable[[], bool], then: Callable[[], None], tries: int = 100) -> None:
    """Call ``then`` once ``condition()`` holds (polled every 50 ms, at most ``tries`` times)."""
    if condition() or tries <= 0:
        then()
    else:
        QTimer.singleShot(50, lambda: _when(condition, then, tries - 1))


def _on_captured(ide: Ide, captured: Captured) -> None:
    note = "" if captured.complete else " (timed out waiting for diagnostics or the request)"
    print(f"isoplay: saved {captured.path}{note}" if captured.ok else f"isoplay: could not write {captured.path}",
          file=sys.stderr)
    ide.app.exit(0 if captured.ok else 1)
