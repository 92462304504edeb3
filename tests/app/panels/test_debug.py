"""Debug panels: controller with a fake view and driver; real sessions driving the real widgets."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from app.panels.debug.controller import DebugController
from app.panels.debug.driver import (
    AddBreakpoint,
    CommandResult,
    Evaluate,
    Expand,
    LoadScopes,
    RemoveBreakpoint,
    Request,
    Resume,
    Started,
    Step,
)
from app.panels.debug.history import InputHistory
from app.panels.debug.store import STORE_PATH, BreakpointStore
from app.panels.debug.types import (
    BreakpointRow,
    BreakpointSpec,
    ChildrenLoaded,
    ConsoleEntry,
    CurrentLine,
    DebugState,
    ExpandRequest,
    ScriptOutput,
    WatchValue,
)
from debugger.protocol import (
    Breakpoint,
    BreakpointError,
    Exited,
    Output,
    Paused,
    Resumed,
    Scopes,
    StackFrame,
    Value,
    Variable,
)
from runtime.invocation import HttpRequest, Trigger

pytestmark = pytest.mark.timeout(90)


# ---- fakes (the view and the session driver are the layer boundaries) ---------------------
class FakeView:
    """Records what the controller shows."""

    def __init__(self) -> None:
        self.states: list[DebugState] = []
        self.stack: tuple[StackFrame, ...] = ()
        self.scopes: Scopes | None = None
        self.children: list[ChildrenLoaded] = []
        self.watches: tuple[WatchValue, ...] = ()
        self.breakpoints: tuple[BreakpointRow, ...] = ()
        self.console: list[ConsoleEntry] = []

    def show_state(self, state: DebugState) -> None:
        self.states.append(state)

    def show_stack(self, stack: tuple[StackFrame, ...], selected: int) -> None:
        self.stack = stack

    def show_scopes(self, scopes: Scopes | None) -> None:
        self.scopes = scopes

    def show_children(self, loaded: ChildrenLoaded) -> None:
        self.children.append(loaded)

    def show_watches(self, values: tuple[WatchValue, ...]) -> None:
        self.watches = values

    def show_breakpoints(self, rows: tuple[BreakpointRow, ...]) -> None:
        self.breakpoints = rows

    def append_console(self, entry: ConsoleEntry) -> None:
        self.console.append(entry)


class FakeDriver(QObject):
    """Records requests; the test plays the session's part by emitting."""

    sig_started = Signal(object)
    sig_start_failed = Signal(object)
    sig_event_received = Signal(object)
    sig_command_finished = Signal(object)

    def __init__(self, root: Path, trigger: Trigger, specs: Sequence[BreakpointSpec], parent: QObject) -> None:
        super().__init__(parent)
        self.specs = list(specs)
        self.requests: list[tuple[Request, int]] = []
        self.started = self.stopped = self.closed = False

    def start(self) -> None:
        self.started = True

    def submit(self, request: Request, generation: int) -> None:
        self.requests.append((request, generation))

    def stop(self) -> None:
        self.stopped = True

    def close(self, timeout: float = 10.0) -> None:
        self.closed = True

    def answer(self, request: Request, value: Any = None, error: BaseException | None = None) -> None:
        generation = next(g for r, g in self.requests if r == request)
        self.sig_command_finished.emit(CommandResult(request, generation, value, error))


STACK = (StackFrame(0, "helper", "src/lib.ts", 4, 2), StackFrame(1, "fetch", "src/index.ts", 13, 4, True))


@pytest.fixture
def fake(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A controller over a fake view and a fake driver: (controller, view, drivers made)."""
    drivers: list[FakeDriver] = []

    def factory(root: Path, trigger: Trigger, specs: Sequence[BreakpointSpec], parent: QObject) -> FakeDriver:
        drivers.append(FakeDriver(root, trigger, specs, parent))
        return drivers[-1]

    view = FakeView()
    controller = DebugController(tmp_path, view, driver_factory=factory)  # type: ignore[arg-type]
    yield controller, view, drivers
    controller.close()


def _paused(controller: DebugController, driver: FakeDriver) -> None:
    driver.sig_started.emit(Started((Breakpoint(1, "src/lib.ts", 4, "verified", 4, 7),)))
    driver.sig_event_received.emit(Paused("breakpoint", STACK, (1,)))


# ---- pure helpers ------------------------------------------------------------------------------
def test_store_persists_and_reloads_and_skips_bad_records(tmp_path: Path) -> None:
    store = BreakpointStore(tmp_path)
    store.put(BreakpointSpec("src/a.ts", 3))
    store.put(BreakpointSpec("src/a.ts", 1, enabled=False, condition="x > 1", hit_count=2, log_message="x={x}"))
    raw = json.loads((tmp_path / STORE_PATH).read_text())
    raw["breakpoints"].append({"file": "src/b.ts"})  # no line
    (tmp_path / STORE_PATH).write_text(json.dumps(raw))
    again = BreakpointStore(tmp_path)
    again.load()
    assert [s.key for s in again] == [("src/a.ts", 1), ("src/a.ts", 3)]
    assert again.get("src/a.ts", 1) == BreakpointSpec("src/a.ts", 1, False, "x > 1", 2, "x={x}")
    (tmp_path / STORE_PATH).write_text("{not json")
    again.load()
    assert len(again) == 0


def test_input_history_up_down_keeps_the_draft() -> None:
    history = InputHistory()
    for line in ["a", "b", "b", "  "]:
        history.add(line)
    assert history.items == ("a", "b")
    assert history.previous("dra") == "b"
    assert history.previous("b") == "a"
    assert history.previous("a") == "a"
    assert history.next() == "b"
    assert history.next() == "dra"


# ---- controller with fakes -------------------------------------------------------------------------
def test_controller_breakpoints_are_stored_and_sent_to_a_running_session(fake) -> None:  # type: ignore[no-untyped-def]
    controller, view, drivers = fake
    assert controller.toggle_breakpoint("src/lib.ts", 4) == BreakpointSpec("src/lib.ts", 4)
    controller.toggle_breakpoint("src/lib.ts", 9)
    controller.set_breakpoint_enabled("src/lib.ts", 9, False)
    assert [(r.spec.line, r.status) for r in view.breakpoints] == [(4, "pending"), (9, "disabled")]
    controller.start(HttpRequest("GET", "http://localhost/"))
    driver = drivers[0]
    assert driver.started and [s.line for s in driver.specs] == [4, 9]
    controller.toggle_breakpoint("src/lib.ts", 20)  # while starting: synced once started
    driver.sig_started.emit(Started((Breakpoint(1, "src/lib.ts", 4, "moved", 5, 7),)))
    assert controller.state is DebugState.RUNNING
    assert view.breakpoints[0].describe() == "moved to line 5"
    assert driver.requests == [(AddBreakpoint(BreakpointSpec("src/lib.ts", 20)), 0)]
    controller.toggle_breakpoint("src/lib.ts", 20)
    driver.requests.clear()
    controller.toggle_breakpoint("src/lib.ts", 4)  # remove while running
    controller.set_breakpoint_enabled("src/lib.ts", 9, True)
    assert [r for r, _ in driver.requests] == [RemoveBreakpoint(1), AddBreakpoint(BreakpointSpec("src/lib.ts", 9))]
    driver.answer(AddBreakpoint(BreakpointSpec("src/lib.ts", 9)), Breakpoint(2, "src/lib.ts", 9, "unverified"))
    driver.sig_event_received.emit(BreakpointError(2, "ReferenceError: nope is not defined"))
    assert view.breakpoints[0].describe() == "condition error: ReferenceError: nope is not defined"
    reloaded = DebugController(controller.root)
    assert [(s.line, s.enabled) for s in reloaded.store] == [(9, True)]


def test_controller_pause_loads_stack_scopes_watches_and_drops_stale_answers(fake, qtbot) -> None:  # type: ignore[no-untyped-def]
    controller, view, drivers = fake
    controller.add_watch("n + 1")
    controller.toggle_breakpoint("src/lib.ts", 4)
    controller.start(HttpRequest("GET", "http://localhost/"))
    driver = drivers[0]
    with qtbot.waitSignal(controller.sig_current_line_changed) as line, \
            qtbot.waitSignal(controller.sig_location_requested) as location:
        _paused(controller, driver)
    assert line.args[0] == CurrentLine(controller.root / "src/lib.ts", 4)
    assert location.args[0].line == 4 and view.stack == STACK
    assert [r for r, _ in driver.requests] == [LoadScopes(0), Evaluate("n + 1", 0, "watch")]
    scopes = Scopes(0, (Variable("n", Value("10", "number")),), (), (), None)
    driver.answer(LoadScopes(0), scopes)
    driver.answer(Evaluate("n + 1", 0, "watch"), Value("11", "number"))
    assert view.scopes == scopes and view.watches == (WatchValue("n + 1", Value("11", "number")),)
    controller.expand(ExpandRequest("variables", 3, 42))
    controller.select_frame(1)
    assert driver.requests[-2:] == [(LoadScopes(1), 1), (Evaluate("n + 1", 1, "watch"), 1)]
    controller.step_over()
    assert driver.requests[-1] == (Step("over"), 1)
    driver.sig_event_received.emit(Resumed())
    assert view.scopes is None and controller.state is DebugState.RUNNING
    driver.answer(Expand(ExpandRequest("variables", 3, 42)), (Variable("a", Value("1", "number")),))
    assert view.children == []  # answered after the resume: stale
    controller.step_over()  # not paused: ignored
    assert driver.requests[-1] == (Step("over"), 1)


def test_controller_console_stop_and_exit(fake) -> None:  # type: ignore[no-untyped-def]
    controller, view, drivers = fake
    controller.evaluate_console("1 + 1")
    assert view.console[-1].level == "error"  # not paused
    controller.trigger_provider = lambda: HttpRequest("GET", "http://localhost/")
    controller.start_or_continue()
    driver = drivers[0]
    _paused(controller, driver)
    controller.evaluate_console("n")
    driver.answer(Evaluate("n", 0, "console"), Value.failed("ReferenceError: n is not defined"))
    assert view.console[-1] == ConsoleEntry("n", Value.failed("ReferenceError: n is not defined"), "error")
    streamed: list[ScriptOutput] = []
    controller.sig_script_output.connect(streamed.append)
    before = time.time()
    driver.sig_event_received.emit(Output("log", "hello"))
    driver.sig_event_received.emit(Output("warn", "careful"))
    driver.sig_event_received.emit(Output("log", "logpoint says hi", breakpoint=1))
    assert view.console[-3:] == [ConsoleEntry("hello", level="log"), ConsoleEntry("careful", level="warn"),
                                 ConsoleEntry("logpoint says hi", level="log")]
    assert [(o.level, o.text) for o in streamed] == [("log", "hello"), ("warn", "careful")]  # not the logpoint
    assert all(before <= o.time <= time.time() for o in streamed)
    controller.start_or_continue()
    assert driver.requests[-1][0] == Resume()
    controller.stop()
    assert driver.stopped and controller.state is DebugState.STOPPING
    driver.sig_event_received.emit(Exited("stopped"))
    assert controller.state is DebugState.IDLE and view.stack == ()
    assert view.states[-1] is DebugState.IDLE


# ---- real sessions driving the real widgets --------------------------------------------------------
SRC = """\
export default {
  async fetch(request: Request): Promise<Response> {
    const obj = { a: 1, nested: { b: [1, 2, 3] } };
    let total = 0;
    for (const n of obj.nested.b) {
      total += n;
    }
    const text = `${obj.a}:${total}`;
    return new Response(text);
  },
};
"""


class Ide:
    """The debug feature assembled the way the main window does it."""

    def __init__(self, root: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtWidgets import QSplitter

        from app.panels.debug.actions import DebugActions
        from app.panels.debug.widget import DebugPanel
        from app.panels.debug.wiring import DebugBinding
        from editor.widget import CodeEditor

        self.window = QSplitter()
        qtbot.addWidget(self.window)
        self.editor = CodeEditor(self.window)
        self.editor.load_file(root / "src/index.ts")
        self.panel = DebugPanel(self.window)
        self.window.addWidget(self.panel.console)  # (the IDE docks it apart from the other four)
        self.actions = DebugActions(self.window)
        self.controller = DebugController(root, parent=self.window)
        self.binding = DebugBinding(self.controller, self.panel, self.actions, lambda: self.editor)
        self.adapter = self.binding.attach_editor(self.editor)
        self.window.resize(1200, 520)
        self.window.show()

    def trigger(self, name: str) -> None:
        self.actions.actions[name].trigger()

    def click_margin(self, qtbot, line: int) -> None:  # type: ignore[no-untyped-def]
        """A real mouse click in the breakpoint margin on 0-based ``line``."""
        from PySide6.QtCore import QPoint, Qt

        view = self.editor.view
        y = view.pointYFromPosition(view.positionFromLine(line)) + view.textHeight(line) // 2
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(view.marginWidthN(0) + 4, y))


@pytest.fixture
def ide(make_project, qtbot):  # type: ignore[no-untyped-def]
    """An IDE over a small project; its session is stopped and its threads joined at teardown."""
    made: list[Ide] = []

    def make() -> Ide:
        made.append(Ide(make_project({"src/index.ts": SRC}), qtbot))
        return made[-1]

    yield make
    for one in made:
        one.controller.close()


def _type_enter(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    widget.setText(text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_session_from_margin_click_to_the_end(ide, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    one = ide()
    one.click_margin(qtbot, 7)  # const text = ... (1-based line 8)
    assert one.editor.breakpoints() == {7: True}
    assert [r.spec.key for r in one.panel.breakpoints.rows] == [("src/index.ts", 8)]
    with qtbot.waitSignal(one.controller.sig_paused, timeout=30000) as paused:
        one.controller.start(HttpRequest("GET", "http://localhost/"))
    assert (paused.args[0].top.file, paused.args[0].top.line) == ("src/index.ts", 8)
    assert one.editor.current_line() == 7
    assert one.panel.call_stack.list.topLevelItem(0).text(0) == "fetch"
    assert one.panel.breakpoints.rows[0].status == "verified"
    tree = one.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "total") is not None, timeout=10000)
    assert tree.find_row("Locals", "total").text(1) == "6"
    obj = tree.find_row("Locals", "obj")
    assert obj.childCount() == 1 and obj.child(0).text(0) == "loading…"  # lazy until expanded
    obj.setExpanded(True)
    qtbot.waitUntil(lambda: tree.find_row("Locals", "obj", "nested") is not None, timeout=10000)
    assert tree.find_row("Locals", "obj", "a").text(1) == "1"
    _type_enter(qtbot, one.panel.watch.input, "total * 2")
    qtbot.waitUntil(lambda: one.panel.watch.tree.find_row("total * 2") is not None
                    and one.panel.watch.tree.find_row("total * 2").text(1) == "12", timeout=10000)
    _type_enter(qtbot, one.panel.console.input, "obj.a + 41")
    qtbot.waitUntil(lambda: "42" in one.panel.console.text(), timeout=10000)
    _type_enter(qtbot, one.panel.console.input, "nope.x")
    qtbot.waitUntil(lambda: "nope is not defined" in one.panel.console.text(), timeout=10000)
    qtbot.keyClick(one.panel.console.input, Qt.Key.Key_Up)
    qtbot.keyClick(one.panel.console.input, Qt.Key.Key_Up)
    assert one.panel.console.input.text() == "obj.a + 41"
    assert one.window.grab().save(str(tmp_path / "debug-paused.png"))
    for name, section in one.panel.sections.items():  # one picture per panel, to look at
        assert section.grab().save(str(tmp_path / f"debug-{name}.png"))
    with qtbot.waitSignal(one.controller.sig_paused, timeout=10000) as stepped:
        one.trigger("step_over")
    assert stepped.args[0].top.line == 9 and one.editor.current_line() == 8
    qtbot.waitUntil(lambda: tree.find_row("Locals", "text") is not None, timeout=10000)
    assert tree.find_row("Locals", "text").text(1) == '"1:6"'
    with qtbot.waitSignal(one.controller.sig_exited, timeout=10000) as exited:
        one.trigger("start_continue")
    assert exited.args[0].status == "ok" and exited.args[0].result["body"] == "1:6"
    assert one.editor.current_line() is None and one.controller.state is DebugState.IDLE
    assert one.panel.call_stack.list.topLevelItemCount() == 0


def test_condition_error_stop_while_paused_and_persisted_breakpoints(ide, qtbot) -> None:  # type: ignore[no-untyped-def]
    one = ide()
    one.editor.set_caret(one.editor.caret_position().__class__(3, 0))
    one.trigger("toggle_breakpoint")  # F9 on line 4
    one.adapter.toggle_line(8)
    one.controller.set_breakpoint_enabled("src/index.ts", 9, False)
    assert one.editor.breakpoints() == {3: True, 8: False}
    one.controller.edit_breakpoint("src/index.ts", 4, condition="missing.x > 0")
    one.controller.trigger_provider = lambda: HttpRequest("GET", "http://localhost/")
    with qtbot.waitSignal(one.controller.sig_paused, timeout=30000) as paused:
        one.trigger("start_continue")
    assert paused.args[0].top.line == 4
    qtbot.waitUntil(lambda: "missing is not defined" in one.panel.breakpoints.rows[0].describe(), timeout=10000)
    assert one.panel.breakpoints.list.topLevelItem(0).text(1).startswith("condition error")
    with qtbot.waitSignal(one.controller.sig_exited, timeout=15000):
        one.trigger("stop")
    assert one.controller.state is DebugState.IDLE and one.editor.current_line() is None
    two = Ide(one.controller.root, qtbot)  # a new window on the same project
    try:
        assert two.editor.breakpoints() == {3: True, 8: False}
        assert [(r.spec.line, r.spec.condition, r.status) for r in two.panel.breakpoints.rows] == [
            (4, "missing.x > 0", "pending"), (9, None, "disabled")]
    finally:
        two.controller.close()


# ---- real widgets over a fake driver ---------------------------------------------------------------
def test_panel_frame_choice_breakpoint_list_watch_removal_and_action_states(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    from app.panels.debug.actions import DebugActions
    from app.panels.debug.widget import DebugPanel
    from app.panels.debug.wiring import DebugBinding

    drivers: list[FakeDriver] = []

    def factory(root: Path, trigger: Trigger, specs: Sequence[BreakpointSpec], parent: QObject) -> FakeDriver:
        drivers.append(FakeDriver(root, trigger, specs, parent))
        return drivers[-1]

    window = QWidget()
    qtbot.addWidget(window)
    panel, actions = DebugPanel(window), DebugActions(window)
    controller = DebugController(tmp_path, parent=window, driver_factory=factory)  # type: ignore[arg-type]
    DebugBinding(controller, panel, actions, lambda: None)
    controller.toggle_breakpoint("src/lib.ts", 4)
    controller.add_watch("n")
    assert actions.actions["start_continue"].isEnabled() and not actions.actions["step_over"].isEnabled()
    controller.start(HttpRequest("GET", "http://localhost/"))
    _paused(controller, drivers[0])
    assert actions.actions["step_over"].isEnabled() and actions.actions["start_continue"].text() == "Continue"
    with qtbot.waitSignal(controller.sig_location_requested) as location:
        panel.call_stack.choose(1)
    assert (location.args[0].path, location.args[0].line) == (tmp_path / "src/index.ts", 13)
    assert drivers[0].requests[-2:] == [(LoadScopes(1), 1), (Evaluate("n", 1, "watch"), 1)]
    drivers[0].answer(LoadScopes(1), Scopes(1, (Variable("url", Value("URL {}", "object", 5, "URL")),), (), (), None))
    url = panel.variables.tree.find_row("Locals", "url")
    assert url is not None and url.text(1) == "URL {}"
    url.setExpanded(True)
    assert drivers[0].requests[-1] == (Expand(ExpandRequest("variables", int(url.data(0, Qt.ItemDataRole.UserRole)), 5)), 1)
    # the Breakpoints list: the checkbox disables, in-place edits set condition and hit count
    item = panel.breakpoints.list.topLevelItem(0)
    assert item is not None and item.text(1) == "verified"
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert controller.store.get("src/lib.ts", 4).enabled is False  # type: ignore[union-attr]
    assert drivers[0].requests[-1] == (RemoveBreakpoint(1), 1)
    item = panel.breakpoints.list.topLevelItem(0)
    assert item is not None and item.text(1) == "disabled"
    item.setText(2, "n > 3")
    item = panel.breakpoints.list.topLevelItem(0)
    assert item is not None
    item.setText(3, "2")
    assert controller.store.get("src/lib.ts", 4) == BreakpointSpec("src/lib.ts", 4, False, "n > 3", 2)
    panel.breakpoints.list.setCurrentItem(panel.breakpoints.list.topLevelItem(0))
    panel.breakpoints.remove_button.click()
    assert len(controller.store) == 0 and panel.breakpoints.list.topLevelItemCount() == 0
    # Watch: Delete removes the selected expression
    panel.watch.tree.setCurrentItem(panel.watch.tree.topLevelItem(0))
    qtbot.keyClick(panel.watch.tree, Qt.Key.Key_Delete)
    assert controller.watches == [] and panel.watch.tree.topLevelItemCount() == 0
    controller.close()


def test_margin_menu_edits_and_grey_disabled_marker(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.panels.debug.margin import BreakpointMarginAdapter
    from editor.widget import CodeEditor

    (tmp_path / "src").mkdir()
    (tmp_path / "src/index.ts").write_text("let a = 1;\nlet b = 2;\nlet c = 3;\n")
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.load_file(tmp_path / "src/index.ts")
    controller = DebugController(tmp_path, parent=editor)
    answers = iter(["a > 0", "3", "a is {a}", None])
    adapter = BreakpointMarginAdapter(editor, controller, ask_text=lambda *_: next(answers))
    assert [a.text() for a in adapter.menu_for_line(1).actions()] == ["Add Breakpoint"]
    adapter.menu_for_line(1).actions()[0].trigger()
    menu = adapter.menu_for_line(1)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Disable Breakpoint", "Edit Condition…", "Edit Hit Count…", "Edit Log Message…", "",
                     "Remove Breakpoint"]
    for action in menu.actions()[1:4]:
        action.trigger()
    adapter.edit(1, "condition")  # cancelled: unchanged
    assert controller.store.get("src/index.ts", 2) == BreakpointSpec("src/index.ts", 2, True, "a > 0", 3, "a is {a}")
    menu.actions()[0].trigger()
    assert editor.breakpoints() == {1: False}
    assert adapter.menu_for_line(1).actions()[0].text() == "Enable Breakpoint"
    view = editor.view
    y = view.pointYFromPosition(view.positionFromLine(2)) + 2
    from PySide6.QtCore import QPoint
    assert adapter.line_at(QPoint(view.marginWidthN(0) + 3, y)) == 2
    assert adapter.line_at(QPoint(view.marginWidthN(0) + view.marginWidthN(1) + 40, y)) is None
    adapter.menu_for_line(1).actions()[-1].trigger()
    assert editor.breakpoints() == {} and len(controller.store) == 0


def test_demo_window_builds_and_f5_debugs(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.panels.debug.__main__ import build_demo, write_sample

    window, controller = build_demo(write_sample(tmp_path / "demo"))
    qtbot.addWidget(window)
    try:
        controller.toggle_breakpoint("src/index.ts", 9)
        with qtbot.waitSignal(controller.sig_paused, timeout=30000) as paused:
            controller.start_or_continue()
        assert paused.args[0].top.line == 9
        with qtbot.waitSignal(controller.sig_exited, timeout=10000) as exited:
            controller.start_or_continue()
        assert exited.args[0].result["body"] == "/demo 12"
    finally:
        controller.close()


# ---- binding detach, breakpoints following edits, exception toggles, globals ------------------------
def _receivers(obj: QObject, signal: str) -> int:
    from PySide6.QtCore import SIGNAL

    return int(obj.receivers(SIGNAL(f"{signal}(PyObject)")))


def test_binding_detach_disconnects_everything_and_a_new_binding_takes_the_panels(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWidget

    from app.panels.debug.actions import DebugActions
    from app.panels.debug.margin import BreakpointMarginAdapter
    from app.panels.debug.widget import DebugPanel
    from app.panels.debug.wiring import DebugBinding
    from editor.widget import CodeEditor

    (tmp_path / "a/src").mkdir(parents=True)
    (tmp_path / "a/src/index.ts").write_text("let a = 1;\nlet b = 2;\nlet c = 3;\n")
    window = QWidget()
    qtbot.addWidget(window)
    panel, actions = DebugPanel(window), DebugActions(window)
    editor = CodeEditor(window)
    editor.load_file(tmp_path / "a/src/index.ts")
    old = DebugController(tmp_path / "a", parent=window)
    idle = {name: _receivers(panel.breakpoints, name) for name in ("sig_breakpoint_edited", "sig_breakpoint_removed")}
    binding = DebugBinding(old, panel, actions, lambda: editor)
    binding.attach_editor(editor)
    old.toggle_breakpoint("src/index.ts", 2)
    assert editor.breakpoints() == {1: True} and len(panel.breakpoints.rows) == 1
    assert _receivers(old, "sig_breakpoints_changed") == 1  # the margin
    binding.detach()
    binding.detach()  # idempotent
    assert not binding.attached and old.view is None
    for name in ("sig_state_changed", "sig_breakpoints_changed", "sig_current_line_changed",
                 "sig_exception_breaks_changed"):
        assert _receivers(old, name) == 0, name
    assert {n: _receivers(panel.breakpoints, n) for n in idle} == idle
    assert _receivers(actions, "sig_exception_breaks_changed") == 0
    qtbot.waitUntil(lambda: editor.findChild(BreakpointMarginAdapter) is None, timeout=2000)
    assert editor.breakpoints() == {} and panel.breakpoints.rows == ()
    old.toggle_breakpoint("src/index.ts", 3)  # reaches neither the panel nor the editor
    assert editor.breakpoints() == {} and panel.breakpoints.rows == ()
    actions.actions["toggle_breakpoint"].trigger()  # reaches nobody
    assert [s.line for s in old.store] == [2, 3]
    # a new project's controller over the same panels and editor
    (tmp_path / "a/.isoplay").rename(tmp_path / "old-store")
    new = DebugController(tmp_path / "a", parent=window)
    assert len(new.store) == 0
    second = DebugBinding(new, panel, actions, lambda: editor)
    second.attach_editor(editor)
    editor.go_to_line(2)
    actions.actions["toggle_breakpoint"].trigger()
    assert [s.line for s in new.store] == [3] and [s.line for s in old.store] == [2, 3]
    assert editor.breakpoints() == {2: True} and [r.spec.line for r in panel.breakpoints.rows] == [3]
    old.close()
    new.close()


def test_breakpoints_follow_inserted_and_deleted_lines_and_survive_a_reload(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.panels.debug.margin import BreakpointMarginAdapter
    from editor.widget import CodeEditor

    (tmp_path / "src").mkdir()
    (tmp_path / "src/index.ts").write_text("".join(f"let v{i} = {i};\n" for i in range(1, 9)))
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.load_file(tmp_path / "src/index.ts")
    controller = DebugController(tmp_path, parent=editor)
    BreakpointMarginAdapter(editor, controller)
    controller.toggle_breakpoint("src/index.ts", 3)
    controller.toggle_breakpoint("src/index.ts", 6)
    controller.edit_breakpoint("src/index.ts", 6, condition="v1 > 0")

    def saved() -> list[tuple[int, str | None]]:
        data = json.loads((tmp_path / STORE_PATH).read_text())
        return [(b["line"], b["condition"]) for b in data["breakpoints"]]

    def edit(line: int, end_line: int, text: str) -> None:
        view = editor.view
        view.setTargetRange(view.positionFromLine(line), view.positionFromLine(end_line))
        view.replaceTarget(len(text.encode()), text)

    edit(1, 1, "// one\n// two\n")  # two lines inserted above both
    qtbot.waitUntil(lambda: [s.line for s in controller.store] == [5, 8], timeout=2000)
    assert saved() == [(5, None), (8, "v1 > 0")]
    assert editor.breakpoints() == {4: True, 7: True}
    edit(5, 6, "")  # the line after the first breakpoint: only the second moves
    qtbot.waitUntil(lambda: [s.line for s in controller.store] == [5, 7], timeout=2000)
    assert controller.store.get("src/index.ts", 7).condition == "v1 > 0"  # type: ignore[union-attr]
    edit(3, 6, "")  # lines 4-6 (1-based) with the first breakpoint go; the second's line moves up to 4
    qtbot.waitUntil(lambda: [s.line for s in controller.store] == [4], timeout=2000)
    assert saved() == [(4, "v1 > 0")]  # the breakpoint whose line survived stays
    edit(4, 5, "")  # the line after it: nothing moves, nothing is saved again
    qtbot.wait(20)
    assert saved() == [(4, "v1 > 0")]
    view = editor.view
    view.setTargetRange(view.lineEndPosition(2), view.lineEndPosition(3))  # join lines 3 and 4 from the end of 3
    view.replaceTarget(0, "")
    qtbot.waitUntil(lambda: [s.line for s in controller.store] == [3], timeout=2000)
    editor.apply_reload("// reloaded\n" * 10)  # a whole-buffer replace from disk: breakpoints keep their lines
    qtbot.wait(50)
    assert [s.line for s in controller.store] == [3] and editor.breakpoints() == {2: True}
    controller.close()


def test_moved_breakpoints_are_moved_in_a_running_session(fake) -> None:  # type: ignore[no-untyped-def]
    controller, view, drivers = fake
    controller.toggle_breakpoint("src/lib.ts", 4)
    controller.toggle_breakpoint("src/lib.ts", 9)
    controller.start(HttpRequest("GET", "http://localhost/"))
    drivers[0].sig_started.emit(Started((Breakpoint(1, "src/lib.ts", 4, "verified", 4, 7),
                                         Breakpoint(2, "src/lib.ts", 9, "verified", 9, 8))))
    controller.edit_breakpoint("src/lib.ts", 9, log_message="at nine")
    # lines 4-8 deleted: both meet on line 6, where the text of line 9 survived: its breakpoint stays
    controller.move_breakpoints("src/lib.ts", {4: 6, 9: 6})
    assert list(controller.store) == [BreakpointSpec("src/lib.ts", 6, log_message="at nine")]
    requests = [r for r, _g in drivers[0].requests]
    assert requests[-3:] == [RemoveBreakpoint(2), AddBreakpoint(BreakpointSpec("src/lib.ts", 6, log_message="at nine")),
                             RemoveBreakpoint(1)]
    assert [r.spec.line for r in view.breakpoints] == [6] and view.breakpoints[0].status == "pending"


def test_exception_toggles_persist_reach_the_session_and_follow_each_other(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWidget

    from app.panels.debug.actions import DebugActions
    from app.panels.debug.driver import SetExceptionBreaks
    from app.panels.debug.types import ExceptionBreaks
    from app.panels.debug.widget import DebugPanel
    from app.panels.debug.wiring import DebugBinding

    drivers: list[FakeDriver] = []

    def factory(root: Path, trigger: Trigger, specs: Sequence[BreakpointSpec], parent: QObject) -> FakeDriver:
        drivers.append(FakeDriver(root, trigger, specs, parent))
        return drivers[-1]

    window = QWidget()
    qtbot.addWidget(window)
    panel, actions = DebugPanel(window), DebugActions(window)
    controller = DebugController(tmp_path, parent=window, driver_factory=factory)  # type: ignore[arg-type]
    DebugBinding(controller, panel, actions, lambda: None)
    assert actions.actions["break_uncaught"].isChecked() and not actions.actions["break_caught"].isChecked()
    assert panel.breakpoints.uncaught_box.isChecked() and not panel.breakpoints.caught_box.isChecked()
    actions.actions["break_caught"].trigger()  # the Debug menu / toolbar toggle
    assert controller.exception_breaks == ExceptionBreaks(True, True)
    assert panel.breakpoints.caught_box.isChecked()
    assert json.loads((tmp_path / STORE_PATH).read_text())["exceptions"] == {"uncaught": True, "caught": True}
    controller.start(HttpRequest("GET", "http://localhost/"))
    assert drivers[0].exception_breaks == ExceptionBreaks(True, True)  # set before the debuggee starts
    drivers[0].sig_started.emit(Started(()))
    panel.breakpoints.uncaught_box.setChecked(False)  # the Breakpoints panel's checkbox
    assert drivers[0].requests[-1] == (SetExceptionBreaks(ExceptionBreaks(False, True)), 0)
    assert not actions.actions["break_uncaught"].isChecked()
    again = BreakpointStore(tmp_path)
    again.load()
    assert again.exception_breaks == ExceptionBreaks(False, True)
    controller.close()


CAUGHT_SRC = """\
(globalThis as any).appVersion = "1.2.3";

export default {
  async fetch(request: Request): Promise<Response> {
    let note = "fine";
    try {
      JSON.parse("{not json");
    } catch (e) {
      note = String(e);
    }
    return new Response(note);
  },
};
"""


def test_pause_on_caught_exception_from_the_panel_and_globals_on_demand(make_project, qtbot) -> None:  # type: ignore[no-untyped-def]
    one = Ide(make_project({"src/index.ts": CAUGHT_SRC}), qtbot)
    try:
        one.panel.breakpoints.caught_box.setChecked(True)
        with qtbot.waitSignal(one.controller.sig_paused, timeout=30000) as paused:
            one.controller.start(HttpRequest("GET", "http://localhost/"))
        event = paused.args[0]
        assert (event.reason, event.uncaught, event.top.line) == ("exception", False, 8)
        tree = one.panel.variables.tree
        qtbot.waitUntil(lambda: tree.find_row("Globals") is not None, timeout=10000)
        globals_row = tree.find_row("Globals")
        assert globals_row.childCount() == 1 and globals_row.child(0).text(0) == "loading…"  # nothing asked yet
        globals_row.setExpanded(True)
        qtbot.waitUntil(lambda: tree.find_row("Globals", "appVersion") is not None, timeout=10000)
        assert tree.find_row("Globals", "appVersion").text(1) == '"1.2.3"'
        assert tree.find_row("Globals", "URL") is not None and tree.find_row("Globals", "$__dP") is None
        with qtbot.waitSignal(one.controller.sig_exited, timeout=10000) as exited:
            one.trigger("start_continue")
        assert "SyntaxError" in exited.args[0].result["body"]
    finally:
        one.controller.close()


def test_breakpoints_follow_a_renamed_file_or_folder(fake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    controller, view, _drivers = fake
    for file, line in [("src/a.ts", 2), ("src/lib/b.ts", 3), ("src/library.ts", 4)]:
        controller.toggle_breakpoint(file, line)
    controller.rename_file(tmp_path / "src/a.ts", tmp_path / "src/main.ts")
    controller.rename_file(tmp_path / "src/lib", tmp_path / "src/util")  # a folder: not src/library.ts
    assert [s.key for s in controller.store] == [("src/library.ts", 4), ("src/main.ts", 2), ("src/util/b.ts", 3)]
    assert [r.spec.key for r in view.breakpoints] == [s.key for s in controller.store]
    again = BreakpointStore(tmp_path)
    again.load()
    assert [s.key for s in again] == [s.key for s in controller.store]


def test_the_four_sections_show_at_once_in_a_side_column_and_keep_their_heights(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Variables, Watch, Call Stack and Breakpoints are stacked (not tabbed): all visible in a narrow, half-high
    column, the call stack not scrolled sideways; the heights round-trip; the Debug Console is placed elsewhere."""
    from PySide6.QtWidgets import QTreeWidgetItem

    from app.panels.debug.widget import DebugPanel

    def shown() -> DebugPanel:
        panel = DebugPanel()
        qtbot.addWidget(panel)
        panel.resize(240, 420)  # half of the IDE's left column
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    panel = shown()
    assert [s.title for s in panel.sections.values()] == ["VARIABLES", "WATCH", "CALL STACK", "BREAKPOINTS"]
    assert panel.minimumSizeHint().height() <= 420
    for name, section in panel.sections.items():
        assert section.body.isVisible() and not section.body.visibleRegion().isEmpty(), name
        assert section.body.height() >= 40, (name, section.body.height())
    heights = {name: s.height() for name, s in panel.sections.items()}
    assert heights["variables"] == max(heights.values())  # the section read most gets the most room
    assert panel.console.parent() is None and not panel.console.isVisible()
    stack = panel.call_stack.list
    stack.addTopLevelItem(QTreeWidgetItem(["aRatherLongFunctionName", "src/index.ts:11:5"]))
    qtbot.wait(20)
    assert not stack.horizontalScrollBar().isVisible()
    panel.splitter.setSizes([60, 150, 60, 150])
    moved = panel.splitter.sizes()
    assert moved != list(heights.values())
    again = shown()
    assert again.splitter.sizes() != moved
    assert again.restore_section_state(panel.section_state())
    assert again.splitter.sizes() == moved
    assert not again.restore_section_state(None)


def test_variables_say_why_an_outer_frame_cannot_show_its_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor

    from app.panels.debug.widget import DebugPanel

    panel = DebugPanel()
    qtbot.addWidget(panel)
    panel.resize(240, 420)
    panel.show()
    variables = panel.variables
    note = "walk ran more than 10,000 times, so the debugger stopped keeping records of its calls"
    hidden = Value("<not available>", "unavailable")
    variables.show_scopes(Scopes(2, (Variable("depth", hidden), Variable("n", Value("3", "number"))), (), (), None,
                                 note))
    assert variables.note.isVisible() and note in variables.note.text()
    row = variables.tree.find_row("Locals", "depth")
    assert row is not None and row.text(1) == "<not available>"
    assert row.foreground(1).color() == QColor(Qt.GlobalColor.gray)
    n = variables.tree.find_row("Locals", "n")
    assert n is not None and n.foreground(1).color() != QColor(Qt.GlobalColor.gray)
    variables.show_scopes(Scopes(0, (Variable("n", Value("3", "number")),), (), (), None))  # a frame with all
    assert not variables.note.isVisible() and variables.note.text() == ""
    variables.show_scopes(None)
    assert not variables.note.isVisible()


def _breakpoint_rows() -> tuple[BreakpointRow, ...]:
    return (BreakpointRow(BreakpointSpec("src/handlers/really_long_name.ts", 120, True, "n > 3", 2, "n is {n}"),
                          "moved", 122),
            BreakpointRow(BreakpointSpec("src/lib.ts", 4, False), "disabled"),
            BreakpointRow(BreakpointSpec("src/a.ts", 14, True, "missing.x > 0"), "verified",
                          error="ReferenceError: missing is not defined"))


def test_breakpoints_list_in_a_narrow_column_shows_two_columns_and_summarises_the_rest(qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 240 px the list shows ``file:line`` and a short status, no header and no sideways scrolling; the condition,
    hit count and log message are in the summary and the tooltip. Widened, all five columns come back (in place
    editing included), and narrowed again they go."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    from app.panels.debug.widget import COMPACT_BELOW, SHORT_STATUS_ROLE, SUMMARY_ROLE, BreakpointEdited, DebugPanel

    panel = DebugPanel()
    qtbot.addWidget(panel)
    panel.resize(240, 420)
    panel.show()
    qtbot.waitExposed(panel)
    widget, tree = panel.breakpoints, panel.breakpoints.list
    widget.show_breakpoints(_breakpoint_rows())
    qtbot.wait(20)
    assert widget.compact and tree.width() < COMPACT_BELOW
    assert [tree.isColumnHidden(c) for c in range(5)] == [False, False, True, True, True]
    assert tree.isHeaderHidden()
    assert not tree.horizontalScrollBar().isVisible()
    assert tree.header().length() <= tree.viewport().width()
    assert tree.columnWidth(0) > tree.columnWidth(1) > 0
    item = tree.topLevelItem(0)
    assert item is not None and item.text(0) == "src/handlers/really_long_name.ts:120"
    assert item.data(0, SUMMARY_ROLE) == "if n > 3 · from hit 2 · log: n is {n}"
    tip = item.toolTip(0)
    assert "Condition: n > 3" in tip and "from hit 2" in tip and "Log message: n is {n}" in tip
    assert item.text(1) == "moved to line 122" and item.data(1, SHORT_STATUS_ROLE) == "→ 122"
    error = tree.topLevelItem(2)
    assert error is not None and error.data(1, SHORT_STATUS_ROLE) == "error" and "ReferenceError" in error.toolTip(0)
    plain = tree.topLevelItem(1)
    assert plain is not None and plain.data(0, SUMMARY_ROLE) == ""
    assert not panel.grab().isNull()  # the compact cells paint
    delegate = tree.itemDelegate()
    assert delegate.createEditor(tree.viewport(), QStyleOptionViewItem(), tree.model().index(0, 0)) is None
    assert delegate.createEditor(tree.viewport(), QStyleOptionViewItem(), tree.model().index(0, 2)) is not None

    panel.resize(640, 420)  # undocked or widened
    qtbot.waitUntil(lambda: not widget.compact)
    assert [tree.isColumnHidden(c) for c in range(5)] == [False] * 5
    assert not tree.isHeaderHidden() and tree.columnWidth(0) == 130
    assert not panel.grab().isNull()
    item = tree.topLevelItem(1)
    assert item is not None
    with qtbot.waitSignal(widget.sig_breakpoint_edited) as edited:
        item.setText(2, "a > 1")
    assert edited.args[0] == BreakpointEdited(BreakpointSpec("src/lib.ts", 4, False, "a > 1"))
    panel.resize(240, 420)
    qtbot.waitUntil(lambda: widget.compact)
    assert tree.isColumnHidden(2) and not tree.horizontalScrollBar().isVisible()


def test_breakpoints_context_menu_edits_the_hidden_settings_enables_and_removes(tmp_path: Path, qtbot,  # type: ignore[no-untyped-def]
                                                                               monkeypatch) -> None:
    """The row menu has the margin menu's entries and prompts; its edits go out through the list's signals and reach
    the controller through the existing wiring."""
    from PySide6.QtWidgets import QWidget

    from app.panels.debug import widget as widget_module
    from app.panels.debug.actions import DebugActions
    from app.panels.debug.widget import EDITS, BreakpointEdited, BreakpointsWidget, DebugPanel
    from app.panels.debug.wiring import DebugBinding

    asked: list[tuple[str, str]] = []
    answers = iter(["x > 1", "5", "hit {x}", None, "x > 1"])

    def ask(_parent: QWidget, _title: str, label: str, current: str) -> str | None:
        asked.append((label, current))
        return next(answers)

    monkeypatch.setattr(widget_module, "ask_text_dialog", ask)
    widget = BreakpointsWidget()
    qtbot.addWidget(widget)
    spec = BreakpointSpec("src/a.ts", 3, True, "old")
    widget.show_breakpoints((BreakpointRow(spec, "pending"), BreakpointRow(BreakpointSpec("src/b.ts", 1, False),
                                                                          "disabled")))
    emitted: list[object] = []
    for signal in (widget.sig_breakpoint_edited, widget.sig_breakpoint_enabled_changed,
                   widget.sig_breakpoint_removed):
        signal.connect(emitted.append)
    menu = widget.menu_for_row(0)
    assert menu is not None
    assert [a.text() for a in menu.actions()] == ["Disable Breakpoint", "Edit Condition…", "Edit Hit Count…",
                                                  "Edit Log Message…", "", "Remove Breakpoint"]
    for action in menu.actions()[1:4]:
        action.trigger()
    assert asked == [(EDITS[0][2], "old"), (EDITS[1][2], ""), (EDITS[2][2], "")]
    assert emitted == [BreakpointEdited(BreakpointSpec("src/a.ts", 3, True, "x > 1")),
                       BreakpointEdited(BreakpointSpec("src/a.ts", 3, True, "old", 5)),
                       BreakpointEdited(BreakpointSpec("src/a.ts", 3, True, "old", None, "hit {x}"))]
    emitted.clear()
    menu.actions()[1].trigger()  # cancelled
    assert emitted == []
    menu.actions()[0].trigger()
    menu.actions()[-1].trigger()
    assert emitted == [BreakpointSpec("src/a.ts", 3, False, "old"), spec]
    other = widget.menu_for_row(1)
    assert other is not None and other.actions()[0].text() == "Enable Breakpoint"
    emitted.clear()
    other.actions()[0].trigger()
    assert emitted == [BreakpointSpec("src/b.ts", 1, True)]
    assert widget.menu_for_row(2) is None and widget.menu_for_row(-1) is None

    # through the existing wiring to the controller's store
    window = QWidget()
    qtbot.addWidget(window)
    panel = DebugPanel(window)
    controller = DebugController(tmp_path, parent=window)
    DebugBinding(controller, panel, DebugActions(window), lambda: None)
    controller.toggle_breakpoint("src/lib.ts", 4)
    menu = panel.breakpoints.menu_for_row(0)
    assert menu is not None
    menu.actions()[1].trigger()
    assert controller.store.get("src/lib.ts", 4) == BreakpointSpec("src/lib.ts", 4, True, "x > 1")
    menu = panel.breakpoints.menu_for_row(0)
    assert menu is not None
    menu.actions()[0].trigger()
    assert controller.store.get("src/lib.ts", 4) == BreakpointSpec("src/lib.ts", 4, False, "x > 1")
    assert panel.breakpoints.rows[0].status == "disabled"
    menu = panel.breakpoints.menu_for_row(0)
    assert menu is not None
    menu.actions()[-1].trigger()
    assert len(controller.store) == 0 and panel.breakpoints.rows == ()
    controller.close()
