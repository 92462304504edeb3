"""Debug panels: controller with a fake view and driver; real sessions driving the real widgets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from app.panels.debug.controller import DebugController
from app.panels.debug.driver import (
    AddBreakpoint, CommandResult, Evaluate, Expand, LoadScopes, RemoveBreakpoint, Request, Resume, Started, Step,
)
from app.panels.debug.history import InputHistory
from app.panels.debug.store import STORE_PATH, BreakpointStore
from app.panels.debug.types import (
    BreakpointRow, BreakpointSpec, ChildrenLoaded, ConsoleEntry, CurrentLine, DebugState, ExpandRequest, WatchValue,
)
from debugger.protocol import (
    Breakpoint, BreakpointError, Exited, Output, Paused, Resumed, Scopes, StackFrame, Value, Variable,
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
    driver.sig_started.emit(Started((Breakpoint(1, "src/lib.ts", 4, "moved", 5, 7),)))
    assert controller.state is DebugState.RUNNING
    assert view.breakpoints[0].describe() == "moved to line 5"
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
    driver.sig_event_received.emit(Output("log", "hello"))
    assert view.console[-1] == ConsoleEntry("hello", level="log")
    controller.start_or_continue()
    assert driver.requests[-1][0] == Resume()
    controller.stop()
    assert driver.stopped and controller.state is DebugState.STOPPING
    driver.sig_event_received.emit(Exited("stopped"))
    assert controller.state is DebugState.IDLE and view.stack == ()
    assert view.states[-1] is DebugState.IDLE
