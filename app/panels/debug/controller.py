"""``DebugController``: the IDE's debugger state (breakpoints, session, pause, watches); no widgets.

It owns the project's ``BreakpointStore`` and at most one ``SessionDriver``
(which runs a ``debugger.session.DebugSession`` off the GUI thread). Results
come back as queued signals; the controller updates its state on the GUI
thread and tells its passive ``DebugView`` what to show. Cross-panel links
(open a file at a line, the editors' arrow and breakpoint markers) are its
signals, wired by the composition root.

Answers that belong to an earlier pause (scopes, watch values, expansions)
are dropped: each pause and resume bumps ``generation`` (latest request wins).
Hovers in an editor evaluate too (``evaluate_hover``): only the latest hover's
answer is shown, only in the selected frame's file, and never an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.panels.debug.driver import (
    AddBreakpoint,
    CommandResult,
    Evaluate,
    Expand,
    LoadGlobals,
    LoadScopes,
    LoadValueText,
    Pause,
    RemoveBreakpoint,
    Request,
    Resume,
    SessionDriver,
    SetExceptionBreaks,
    Started,
    Step,
    UpdateBreakpoint,
)
from app.panels.debug.store import BreakpointStore, relative_file
from app.panels.debug.types import (
    BreakpointRow,
    BreakpointSpec,
    ChildrenLoaded,
    ConsoleEntry,
    CurrentLine,
    DebugState,
    ExceptionBreaks,
    ExpandRequest,
    FrameSelected,
    HoverRequest,
    HoverValue,
    ScriptOutput,
    SectionRequest,
    ValueText,
    ValueTextRequest,
    WatchValue,
)
from app.services.types import Failure, SourceLocation
from debugger.protocol import (
    Breakpoint,
    BreakpointError,
    Event,
    Exited,
    Output,
    Paused,
    Resumed,
    Scopes,
    StackFrame,
)
from debugger.session import SessionEnded
from debugger.testing import TestSelection
from runtime.errors import UserError
from runtime.invocation import RunTrigger, Trigger

_log = logging.getLogger(__name__)

DriverFactory = Callable[[Path, Trigger, Sequence[BreakpointSpec], QObject], SessionDriver]


class DebugView(Protocol):
    """What the controller needs from the debug panels."""

    def show_state(self, state: DebugState) -> None:
        """Enable/disable actions for the session state."""
        ...

    def show_stack(self, stack: tuple[StackFrame, ...], selected: int) -> None:
        """Replace the Call Stack rows (empty: not paused)."""
        ...

    def show_scopes(self, scopes: Scopes | None) -> None:
        """Replace the Variables tree (None clears it)."""
        ...

    def show_children(self, loaded: ChildrenLoaded) -> None:
        """Fill a lazily expanded node."""
        ...

    def show_watches(self, values: tuple[WatchValue, ...]) -> None:
        """Replace the Watch rows."""
        ...

    def show_breakpoints(self, rows: tuple[BreakpointRow, ...]) -> None:
        """Replace the Breakpoints rows."""
        ...

    def append_console(self, entry: ConsoleEntry) -> None:
        """Add a line to the Debug Console."""
        ...

    def show_value_text(self, value: ValueText) -> None:
        """Copy or show the whole text of a value (Copy Value, View Value)."""
        ...


def _default_driver(root: Path, trigger: Trigger, specs: Sequence[BreakpointSpec], parent: QObject) -> SessionDriver:
    return SessionDriver(root, trigger, specs, parent)


class DebugController(QObject):
    """Breakpoints, one debug session and its pause state for one project."""

    sig_state_changed = Signal(object)
    """DebugState: the session state changed."""
    sig_paused = Signal(object)
    """debugger.protocol.Paused: the script stopped."""
    sig_location_requested = Signal(object)
    """SourceLocation: open this file at this line (paused frame or a chosen frame)."""
    sig_current_line_changed = Signal(object)
    """CurrentLine: move the editors' debugger arrow (path None clears it)."""
    sig_frame_selected = Signal(object)
    """FrameSelected: a frame's scopes were loaded."""
    sig_breakpoints_changed = Signal(object)
    """tuple[BreakpointRow, ...]: the breakpoints or their session status changed."""
    sig_exited = Signal(object)
    """debugger.protocol.Exited: the session ended."""
    sig_error_reported = Signal(object)
    """Failure: something the user should see in the error dialog (failed commands, no usable trigger)."""
    sig_start_failed = Signal(object)
    """Failure: a session could not start (the project did not build, the debuggee did not start)."""
    sig_exception_breaks_changed = Signal(object)
    """ExceptionBreaks: which exceptions pause changed (menu toggles and the Breakpoints panel follow it)."""
    sig_script_output = Signal(object)
    """ScriptOutput: the script wrote a console line (logpoint messages stay in the Debug Console)."""
    sig_hover_evaluated = Signal(object)
    """HoverValue: the value of the latest hovered expression (only successful evaluations, while still paused)."""

    def __init__(self, root: Path, view: DebugView | None = None, parent: QObject | None = None,
                 driver_factory: DriverFactory = _default_driver) -> None:
        super().__init__(parent)
        self.root = root
        self.view = view
        self.store = BreakpointStore(root)
        self.store.load()
        self.state = DebugState.IDLE
        self.paused: Paused | None = None
        self.selected_frame = 0
        self.generation = 0
        self.watches: list[str] = []
        self._watch_values: dict[str, WatchValue] = {}
        self._hover: tuple[HoverRequest, Evaluate] | None = None
        """The hover waiting for its value, and the request that evaluates it."""
        self._engine: dict[tuple[str, int], Breakpoint] = {}
        self._errors: dict[tuple[str, int], str] = {}
        self._driver: SessionDriver | None = None
        self._retired: list[SessionDriver] = []
        self._driver_factory = driver_factory
        self.trigger_provider: Callable[[], Trigger | None] = lambda: None
        """Gives the trigger for F5 when idle (the composition root points it at the simulator); may raise
        ``UserError`` / ``ValueError`` with a message for the user (an invalid form)."""
        self.save_before_start: Callable[[Callable[[], None]], None] = lambda proceed: proceed()
        """F5 calls this with the start: the composition root saves dirty editors first (sessions build from disk)."""
        self.trigger: Trigger | None = None
        """What the last session was started with."""
        self.test: TestSelection | None = None
        """The test the last session debugged (``start_test``), or None for a trigger."""

    # ---- breakpoints -----------------------------------------------------------------
    def breakpoint_rows(self) -> tuple[BreakpointRow, ...]:
        """Every breakpoint with its session status."""
        return tuple(self._row(spec) for spec in self.store)

    def _row(self, spec: BreakpointSpec) -> BreakpointRow:
        if not spec.enabled:
            return BreakpointRow(spec, "disabled")
        bp = self._engine.get(spec.key)
        error = self._errors.get(spec.key)
        if bp is None:
            return BreakpointRow(spec, "pending", error=error)
        return BreakpointRow(spec, bp.status, bp.actual_line, error or bp.error)

    def toggle_breakpoint(self, file: str, line: int) -> BreakpointSpec | None:
        """Add a breakpoint at ``file:line`` (1-based), or remove the one there; returns the new one."""
        if self.store.get(file, line) is not None:
            self.remove_breakpoint(file, line)
            return None
        spec = BreakpointSpec(file, line)
        self.store.put(spec)
        self._send(AddBreakpoint(spec))
        self._breakpoints_changed()
        return spec

    def remove_breakpoint(self, file: str, line: int) -> None:
        """Delete the breakpoint at ``file:line``."""
        self.store.remove(file, line)
        self._forget_engine((file, line))
        self._errors.pop((file, line), None)
        self._breakpoints_changed()

    def set_breakpoint_enabled(self, file: str, line: int, enabled: bool) -> None:
        """Enable or disable the breakpoint at ``file:line`` (disabled ones leave the session)."""
        spec = self.store.update(file, line, enabled=enabled)
        if enabled:
            self._send(AddBreakpoint(spec))
        else:
            self._forget_engine(spec.key)
        self._breakpoints_changed()

    def edit_breakpoint(self, file: str, line: int, **changes: Any) -> BreakpointSpec:
        """Change ``condition``, ``hit_count`` or ``log_message`` (empty values clear them)."""
        clean = {k: (v or None) for k, v in changes.items()}
        spec = self.store.update(file, line, **clean)
        self._errors.pop(spec.key, None)
        bp = self._engine.get(spec.key)
        if bp is not None:
            self._send(UpdateBreakpoint(bp.id, spec))
        self._breakpoints_changed()
        return spec

    def move_breakpoints(self, file: str, moves: dict[int, int]) -> None:
        """Lines were inserted or removed above breakpoints of ``file``: follow them (old -> new 1-based line).

        The store is saved at once; a running session gets each moved breakpoint
        removed and added again at its new line.
        """
        moves = {old: new for old, new in moves.items() if old != new and self.store.get(file, old) is not None}
        if not moves:
            return
        engine = {line: self._engine.pop((file, line), None) for line in moves}
        errors = {line: self._errors.pop((file, line), None) for line in moves}
        for old, spec in self.store.move(file, moves).items():
            if old not in moves:
                continue
            bp = engine.get(old)
            if bp is not None:
                self._send(RemoveBreakpoint(bp.id))
            if spec is not None and spec.enabled:
                self._send(AddBreakpoint(spec))  # (an answer still in flight for the old line is removed on arrival)
            error = errors.get(old)
            if spec is not None and error:
                self._errors[spec.key] = error
        self._breakpoints_changed()

    def rename_file(self, old: Path, new: Path) -> None:
        """A file or folder was renamed or moved: its breakpoints go with it (the session learns at its next start)."""
        if self.store.rename(relative_file(self.root, old), relative_file(self.root, new)):
            self._breakpoints_changed()

    # ---- exceptions ----------------------------------------------------------------------
    @property
    def exception_breaks(self) -> ExceptionBreaks:
        """Which exceptions pause (persisted per project)."""
        return self.store.exception_breaks

    def set_exception_breaks(self, breaks: ExceptionBreaks) -> None:
        """Choose whether uncaught / caught exceptions pause (also in a running session)."""
        if breaks == self.store.exception_breaks:
            return
        self.store.set_exception_breaks(breaks)
        self._send(SetExceptionBreaks(breaks))
        self.sig_exception_breaks_changed.emit(breaks)

    def _forget_engine(self, key: tuple[str, int]) -> None:
        bp = self._engine.pop(key, None)
        if bp is not None:
            self._send(RemoveBreakpoint(bp.id))

    def _breakpoints_changed(self) -> None:
        rows = self.breakpoint_rows()
        if self.view is not None:
            self.view.show_breakpoints(rows)
        self.sig_breakpoints_changed.emit(rows)

    # ---- session -----------------------------------------------------------------------
    def start(self, trigger: Trigger, test: TestSelection | None = None, recording: Any = None,
              secrets: dict[str, str] | None = None) -> None:
        """Start debugging one invocation of ``trigger``, the test ``test``, or a replay of ``recording``
        (a runtime.replay Recording; Step Back works then) -- ignored unless idle."""
        if self.state is not DebugState.IDLE:
            return
        if self._driver is not None:
            self._retired.append(self._driver)
        self.trigger = trigger
        self.test = test
        driver = self._driver_factory(self.root, trigger, list(self.store), self)
        driver.test = test
        driver.recording, driver.secrets = recording, secrets
        driver.sig_started.connect(self.on_driver_started)
        driver.sig_start_failed.connect(self.on_driver_start_failed)
        driver.sig_event_received.connect(self.on_driver_event_received)
        driver.sig_command_finished.connect(self.on_driver_command_finished)
        driver.exception_breaks = self.store.exception_breaks
        self._driver = driver
        self._engine.clear()
        self._errors.clear()
        self._set_state(DebugState.STARTING)
        driver.start()

    def start_test(self, file: str, name: str) -> None:
        """Debug one test of ``isoplay test`` (its file and full name), after saving dirty editors."""
        if self.state is not DebugState.IDLE:
            return
        selection = TestSelection(file, name)
        self.save_before_start(lambda: self.start(RunTrigger(None), selection))

    def start_or_continue(self) -> None:
        """F5: continue when paused, start with ``trigger_provider()`` when idle."""
        if self.state is DebugState.PAUSED:
            self.resume()
        elif self.state is DebugState.IDLE:
            try:
                trigger = self.trigger_provider()
            except (UserError, ValueError) as exc:
                self.sig_error_reported.emit(Failure("starting the debugger", exc))
                return
            if trigger is None:
                self.sig_error_reported.emit(Failure("starting the debugger", UserError("no request or trigger chosen")))
                return
            chosen = trigger
            self.save_before_start(lambda: self.start(chosen))

    def resume(self) -> None:
        """Continue to the next breakpoint or the end."""
        self._control(Resume())

    def step_over(self) -> None:
        """Run to the next statement of this frame."""
        self._control(Step("over"))

    def step_into(self) -> None:
        """Run to the next statement anywhere."""
        self._control(Step("into"))

    def step_out(self) -> None:
        """Run until this frame returns."""
        self._control(Step("out"))

    def step_back(self) -> None:
        """Go back to the statement executed before (a replayed invocation: it runs again to there)."""
        self._control(Step("back"))

    def reverse_continue(self) -> None:
        """Go back to the last earlier statement with a breakpoint (a replayed invocation)."""
        self._control(Step("reverse"))

    def start_replay(self, recording: Any, secrets: dict[str, str] | None = None) -> None:
        """Replay ``recording`` under the debugger, after saving dirty editors (ignored unless idle)."""
        if self.state is not DebugState.IDLE:
            return
        from runtime.replay.format import trigger_from_json

        trigger = trigger_from_json(recording.trigger)
        self.save_before_start(lambda: self.start(trigger, recording=recording, secrets=secrets))

    def pause(self) -> None:
        """Ask the running script to stop at its next statement."""
        if self.state is DebugState.RUNNING:
            self._send(Pause())

    def stop(self) -> None:
        """End the session, paused or not (the result is an ``Exited`` event)."""
        if self._driver is not None and self.state not in (DebugState.IDLE, DebugState.STOPPING):
            self._set_state(DebugState.STOPPING)
            self._driver.stop()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the session and wait for its threads (the panel or app is closing)."""
        for driver in [*self._retired, *([self._driver] if self._driver else [])]:
            driver.close(timeout)
        self._retired.clear()

    def _control(self, request: Request) -> None:
        if self.state is DebugState.PAUSED:
            self._send(request)

    def _send(self, request: Request) -> None:
        if self._driver is not None and self.state in (DebugState.RUNNING, DebugState.PAUSED):
            self._driver.submit(request, self.generation)

    def _set_state(self, state: DebugState) -> None:
        self.state = state
        if self.view is not None:
            self.view.show_state(state)
        self.sig_state_changed.emit(state)

    # ---- inspection ----------------------------------------------------------------------
    def select_frame(self, index: int) -> None:
        """Show frame ``index``: open its file at its line, load its scopes, re-evaluate watches."""
        if self.paused is None or not 0 <= index < len(self.paused.stack):
            return
        self.selected_frame = index
        self._hover = None
        frame = self.paused.stack[index]
        self.sig_location_requested.emit(SourceLocation(self.root / frame.file, frame.line, frame.column))
        self._send(LoadScopes(index))
        self._evaluate_watches()

    def expand(self, request: ExpandRequest) -> None:
        """Load the children of a lazy tree node."""
        if self.state is DebugState.PAUSED:
            self._send(Expand(request))

    def load_globals(self, request: SectionRequest) -> None:
        """Fill the Globals section of the Variables tree (on demand: the global object is large)."""
        if self.state is DebugState.PAUSED:
            self._send(LoadGlobals(request))

    def value_text(self, request: ValueTextRequest) -> None:
        """Copy Value / View Value on a row holding an object: ask the debugger for the whole of it (answered
        through ``DebugView.show_value_text``; not paused any more: an error saying so)."""
        if self.state is DebugState.PAUSED:
            self._send(LoadValueText(request))
        elif self.view is not None:
            self.view.show_value_text(ValueText(request, "", "the script is not paused any more: values are gone"))

    def add_watch(self, expression: str) -> None:
        """Watch ``expression`` (evaluated now if paused, and on every pause)."""
        expression = expression.strip()
        if not expression or expression in self.watches:
            return
        self.watches.append(expression)
        self._show_watches()
        if self.state is DebugState.PAUSED:
            self._send(Evaluate(expression, self.selected_frame, "watch"))

    def remove_watch(self, expression: str) -> None:
        """Stop watching ``expression``."""
        if expression in self.watches:
            self.watches.remove(expression)
            self._watch_values.pop(expression, None)
            self._show_watches()

    def evaluate_console(self, expression: str) -> None:
        """Evaluate in the selected frame for the Debug Console."""
        if not expression.strip():
            return
        if self.state is not DebugState.PAUSED:
            self._console(ConsoleEntry(f"{expression}: not paused (evaluation needs a paused script)", level="error"))
            return
        self._send(Evaluate(expression, self.selected_frame, "console"))

    def evaluate_hover(self, request: HoverRequest) -> None:
        """The mouse rests on an expression: evaluate it in the selected frame (answered by ``sig_hover_evaluated``).

        Only while paused and only in the selected frame's file (other files' names mean nothing in
        that frame); an earlier hover still waiting is forgotten.
        """
        self._hover = None
        if self.state is not DebugState.PAUSED or self.paused is None:
            return
        if relative_file(self.root, request.path) != self.paused.stack[self.selected_frame].file:
            return
        evaluate = Evaluate(request.expression, self.selected_frame, "hover")
        self._hover = (request, evaluate)
        self._send(evaluate)

    def _evaluate_watches(self) -> None:
        for expression in self.watches:
            self._send(Evaluate(expression, self.selected_frame, "watch"))

    def _show_watches(self) -> None:
        if self.view is not None:
            self.view.show_watches(tuple(self._watch_values.get(e, WatchValue(e, None)) for e in self.watches))

    def _console(self, entry: ConsoleEntry) -> None:
        if self.view is not None:
            self.view.append_console(entry)

    # ---- driver slots ----------------------------------------------------------------------
    def on_driver_started(self, started: Started) -> None:
        """The debuggee runs: learn how its breakpoints resolved."""
        self._engine = {(bp.file, bp.line): bp for bp in started.breakpoints}
        if self.state is DebugState.STARTING:
            self._set_state(DebugState.RUNNING)
        self._sync_breakpoints_changed_while_starting()
        self._breakpoints_changed()

    def _sync_breakpoints_changed_while_starting(self) -> None:
        wanted = {s.key: s for s in self.store if s.enabled}
        for key in [k for k in self._engine if k not in wanted]:
            self._forget_engine(key)
        for key, spec in wanted.items():
            if key not in self._engine:
                self._send(AddBreakpoint(spec))

    def on_driver_start_failed(self, failure: Failure) -> None:
        """The project did not build or the debuggee did not start."""
        self._set_state(DebugState.IDLE)
        self._console(ConsoleEntry(failure.message, level="error"))
        self.sig_start_failed.emit(failure)

    def on_driver_event_received(self, event: Event) -> None:
        """Apply one session event."""
        if isinstance(event, Paused):
            self._on_paused(event)
        elif isinstance(event, Resumed):
            self._on_resumed()
        elif isinstance(event, Output):
            self._console(ConsoleEntry(event.text, level=event.level))
            if event.breakpoint is None:
                self.sig_script_output.emit(ScriptOutput(event.level, event.text, time.time()))
        elif isinstance(event, BreakpointError):
            self._on_breakpoint_error(event)
        elif isinstance(event, Exited):
            self._on_exited(event)

    def on_driver_command_finished(self, result: CommandResult) -> None:
        """Apply a command's answer (stale answers for an earlier pause are dropped)."""
        request = result.request
        if isinstance(request, (LoadScopes, Evaluate, Expand, LoadGlobals)) and result.generation != self.generation:
            return
        if isinstance(request, LoadValueText):  # even for an earlier pause: its handle then says it is gone
            if self.view is not None:
                error = str(result.error) if result.error is not None else None
                self.view.show_value_text(ValueText(request.request, "" if error else str(result.value), error))
        elif isinstance(request, Evaluate) and request.purpose == "hover":
            self._on_hover_evaluated(request, result)
        elif isinstance(request, (Expand, LoadGlobals)):
            error = str(result.error) if result.error else None
            if self.view is not None:
                self.view.show_children(ChildrenLoaded(request.request.tree, request.request.node,
                                                       tuple(result.value or ()), error))
        elif result.error is not None:
            self._on_command_failed(result)
        elif isinstance(request, LoadScopes):
            self._on_scopes_loaded(result.value)
        elif isinstance(request, Evaluate):
            self._on_evaluated(request, result)
        elif isinstance(request, (AddBreakpoint, UpdateBreakpoint)) and isinstance(result.value, Breakpoint):
            self._on_engine_breakpoint(result.value)

    def _on_paused(self, event: Paused) -> None:
        self.generation += 1
        self.paused = event
        self.selected_frame = 0
        self._set_state(DebugState.PAUSED)
        if self.view is not None:
            self.view.show_stack(event.stack, 0)
        top = event.top
        self.sig_current_line_changed.emit(CurrentLine(self.root / top.file, top.line))
        if event.exception_text:
            self._console(ConsoleEntry(f"paused on exception: {event.exception_text}", level="error"))
        self.sig_paused.emit(event)
        self.select_frame(0)

    def _on_resumed(self) -> None:
        self.generation += 1
        self.paused = None
        self._hover = None
        if self.state is DebugState.PAUSED:
            self._set_state(DebugState.RUNNING)
        if self.view is not None:
            self.view.show_stack((), 0)
            self.view.show_scopes(None)
        self.sig_current_line_changed.emit(CurrentLine(None, None))

    def _on_exited(self, event: Exited) -> None:
        self._on_resumed()
        self._engine.clear()
        self._set_state(DebugState.IDLE)
        detail = f": {event.error}" if event.error else ""
        self._console(ConsoleEntry(f"session ended ({event.status}{detail})", level="info"))
        self._breakpoints_changed()
        self.sig_exited.emit(event)

    def _on_breakpoint_error(self, event: BreakpointError) -> None:
        for key, bp in self._engine.items():
            if bp.id == event.breakpoint:
                self._errors[key] = event.message
        self._console(ConsoleEntry(f"breakpoint condition failed: {event.message}", level="error"))
        self._breakpoints_changed()

    def _on_engine_breakpoint(self, bp: Breakpoint) -> None:
        spec = self.store.get(bp.file, bp.line)
        if spec is None or not spec.enabled:  # removed or disabled while the request was in flight
            self._send(RemoveBreakpoint(bp.id))
            return
        self._engine[spec.key] = bp
        self._breakpoints_changed()

    def _on_scopes_loaded(self, scopes: Scopes) -> None:
        if self.view is not None:
            self.view.show_scopes(scopes)
        self.sig_frame_selected.emit(FrameSelected(scopes.frame, scopes))

    def _on_evaluated(self, request: Evaluate, result: CommandResult) -> None:
        if request.purpose == "console":
            level = "error" if result.value.error else "result"
            self._console(ConsoleEntry(request.expression, result.value, level))
        elif request.expression in self.watches:
            self._watch_values[request.expression] = WatchValue(request.expression, result.value)
            self._show_watches()

    def _on_hover_evaluated(self, request: Evaluate, result: CommandResult) -> None:
        if self._hover is None or self._hover[1] != request:
            return  # the mouse moved on to another hover (or another frame was chosen)
        hover, self._hover = self._hover[0], None
        value = result.value
        if result.error is not None or value is None or value.error or value.type in ("error", "unavailable"):
            return  # hovers never show errors (an unknown name, a failed getter, the session ended)
        self.sig_hover_evaluated.emit(HoverValue(hover.path, hover.position, request.expression, value))

    def _on_command_failed(self, result: CommandResult) -> None:
        if isinstance(result.error, SessionEnded):
            return  # the Exited event that follows says it
        _log.info("debug command %r failed", result.request, exc_info=result.error)
        failure = Failure(f"debugger: {type(result.request).__name__}", result.error or RuntimeError("failed"))
        if isinstance(result.request, Evaluate) and result.request.purpose == "console":
            self._console(ConsoleEntry(failure.message, level="error"))
        else:
            self.sig_error_reported.emit(failure)

