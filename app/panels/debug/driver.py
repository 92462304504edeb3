"""``SessionDriver``: runs one ``DebugSession`` off the GUI thread and reports back through signals.

The session itself runs the script in a debuggee process (see ``debugger``);
its methods block (a command waits for the paused agent's answer), so the
driver gives it two Python threads: a *command* thread that starts the
session and then executes requests one at a time, and an *event* thread that
forwards the session's events. Both only emit signals; the controller lives
on the GUI thread, so Qt queues those emissions to it (never a widget call
from here). ``stop`` never waits: it ends the debuggee from a third thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QObject, Signal

from app.panels.debug.types import (
    BreakpointSpec,
    ExceptionBreaks,
    ExpandRequest,
    SectionRequest,
    ValueTextRequest,
)
from app.services.types import Failure
from debugger.protocol import Breakpoint, Exited
from debugger.session import DebugSession
from runtime.invocation import Trigger

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resume:
    """Continue to the next breakpoint or the end."""


@dataclass(frozen=True)
class Step:
    """Step over, into or out."""

    how: Literal["over", "into", "out", "back", "reverse"]
    """Which step (``back``: Step Back, ``reverse``: Reverse Continue; replayed sessions only)."""


@dataclass(frozen=True)
class Pause:
    """Stop the running script at its next statement."""


@dataclass(frozen=True)
class LoadScopes:
    """Fetch the scopes of a frame."""

    frame: int
    """Frame index."""


@dataclass(frozen=True)
class Evaluate:
    """Evaluate an expression in a paused frame."""

    expression: str
    """The expression."""
    frame: int
    """Frame index."""
    purpose: Literal["watch", "console", "hover"]
    """Who asked (decides where the answer is shown)."""


@dataclass(frozen=True)
class Expand:
    """List an object's children for a lazy tree node."""

    request: ExpandRequest
    """The node and its handle."""


@dataclass(frozen=True)
class LoadValueText:
    """The whole text of a value (Copy Value, View Value)."""

    request: ValueTextRequest
    """The row and its handle."""


@dataclass(frozen=True)
class LoadGlobals:
    """List the global object's properties for the Variables tree's Globals section."""

    request: SectionRequest
    """The section row to fill."""


@dataclass(frozen=True)
class SetExceptionBreaks:
    """Choose which exceptions pause the running session."""

    breaks: ExceptionBreaks
    """Uncaught / caught."""


@dataclass(frozen=True)
class AddBreakpoint:
    """Add a breakpoint to the running session."""

    spec: BreakpointSpec
    """What to add (only enabled ones are sent)."""


@dataclass(frozen=True)
class RemoveBreakpoint:
    """Remove a breakpoint from the running session."""

    bp_id: int
    """The session's id."""


@dataclass(frozen=True)
class UpdateBreakpoint:
    """Change condition, hit count or log message of a session breakpoint."""

    bp_id: int
    """The session's id."""
    spec: BreakpointSpec
    """The new settings."""


Request = (Resume | Step | Pause | LoadScopes | Evaluate | Expand | LoadGlobals | LoadValueText | SetExceptionBreaks
           | AddBreakpoint | RemoveBreakpoint | UpdateBreakpoint)


@dataclass(frozen=True)
class CommandResult:
    """Payload of ``SessionDriver.sig_command_finished``."""

    request: Request
    """What was asked."""
    generation: int
    """The controller's pause generation when asked (stale answers are dropped)."""
    value: Any = None
    """The session method's return value."""
    error: BaseException | None = None
    """The exception, when the command failed."""


@dataclass(frozen=True)
class Started:
    """Payload of ``SessionDriver.sig_started``: the session runs."""

    breakpoints: tuple[Breakpoint, ...]
    """The session's breakpoints as the build resolved them."""


def execute(session: DebugSession, request: Request) -> Any:
    """Run one request against a session (on the command thread); return what the session returned."""
    match request:
        case Resume():
            return session.resume()
        case Step(how=how):
            return session.step(how)
        case Pause():
            return session.pause()
        case LoadScopes(frame=frame):
            return session.scopes(frame)
        case Evaluate(expression=expression, frame=frame):
            return session.evaluate(expression, frame)
        case Expand(request=expand):
            return session.properties(expand.handle)
        case LoadGlobals():
            return session.globals()
        case LoadValueText(request=wanted):
            return session.value_text(wanted.handle)
        case SetExceptionBreaks(breaks=breaks):
            return session.set_exception_breaks(uncaught=breaks.uncaught, caught=breaks.caught)
        case AddBreakpoint(spec=s):
            return session.set_breakpoint(s.file, s.line, condition=s.condition, hit_count=s.hit_count,
                                          log_message=s.log_message)
        case RemoveBreakpoint(bp_id=bp_id):
            return session.remove_breakpoint(bp_id)
        case UpdateBreakpoint(bp_id=bp_id, spec=s):
            return session.update_breakpoint(bp_id, condition=s.condition, hit_count=s.hit_count,
                                             log_message=s.log_message)
    raise TypeError(f"unknown debug request {request!r}")


SessionFactory = Callable[[Path, Trigger], DebugSession]


class SessionDriver(QObject):
    """One debug session on background threads; all results come back as signals."""

    sig_started = Signal(object)
    """Started: the debuggee runs with these breakpoints."""
    sig_start_failed = Signal(object)
    """Failure: the project did not build or the debuggee did not start."""
    sig_event_received = Signal(object)
    """debugger.protocol.Event: paused, resumed, output, breakpoint error or exited."""
    sig_command_finished = Signal(object)
    """CommandResult: a request finished (or failed)."""

    def __init__(self, root: Path, trigger: Trigger, breakpoints: Sequence[BreakpointSpec],
                 parent: QObject | None = None, session_factory: SessionFactory = DebugSession) -> None:
        super().__init__(parent)
        self.root = root
        self.trigger = trigger
        self._specs = [s for s in breakpoints if s.enabled]
        self._factory = session_factory
        self._session: DebugSession | None = None
        self._requests: queue.Queue[tuple[Request, int] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.exception_breaks = ExceptionBreaks()
        """Which exceptions pause from the first statement on (set before ``start``)."""
        self.test: Any = None
        """A ``debugger.testing.TestSelection``: debug that test instead of ``trigger`` (set before ``start``)."""
        self.recording: Any = None
        """A ``runtime.replay.Recording`` to replay instead of running ``trigger`` (set before ``start``)."""
        self.secrets: dict[str, str] | None = None
        """The local secrets the replay fills the recording's placeholders with."""

    def start(self) -> None:
        """Build and start the session on the command thread (returns at once)."""
        self._spawn(self._run_commands, "debug-commands")

    def submit(self, request: Request, generation: int) -> None:
        """Queue a request; its ``CommandResult`` arrives on ``sig_command_finished``."""
        self._requests.put((request, generation))

    def stop(self) -> None:
        """End the debuggee (paused or not) without waiting; ``Exited`` arrives as an event."""
        if not self._stopping.is_set():
            self._stopping.set()
            self._spawn(self._stop_session, "debug-stop")

    def close(self, timeout: float = 10.0) -> None:
        """Stop and wait for every thread (shutdown and tests only: this blocks)."""
        self.stop()
        self._requests.put(None)
        for thread in list(self._threads):
            thread.join(timeout)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run_commands(self) -> None:
        if self.recording is not None:
            session = self._factory(self.root, self.trigger, recording=self.recording,  # type: ignore[call-arg]
                                    secrets=self.secrets)
        else:
            session = (self._factory(self.root, self.trigger) if self.test is None
                       else self._factory(self.root, self.trigger, test=self.test))  # type: ignore[call-arg]
        try:
            breaks = self.exception_breaks
            session.set_exception_breaks(uncaught=breaks.uncaught, caught=breaks.caught)
            for s in self._specs:
                session.set_breakpoint(s.file, s.line, condition=s.condition, hit_count=s.hit_count,
                                       log_message=s.log_message)
            session.start()
        except Exception as exc:  # reported to the one error handler; the thread then ends
            _log.info("debug session did not start", exc_info=True)
            self.sig_start_failed.emit(Failure("starting the debugger", exc))
            return
        self._session = session
        if self._stopping.is_set():
            session.stop()
        self.sig_started.emit(Started(tuple(session.breakpoints)))
        self._spawn(self._pump_events, "debug-events")
        while (item := self._requests.get()) is not None:
            self._execute(session, *item)

    def _execute(self, session: DebugSession, request: Request, generation: int) -> None:
        try:
            value = execute(session, request)
        except Exception as exc:  # every failure goes back to the controller, which shows it
            self.sig_command_finished.emit(CommandResult(request, generation, error=exc))
            return
        self.sig_command_finished.emit(CommandResult(request, generation, value))

    def _pump_events(self) -> None:
        session = self._session
        assert session is not None
        while True:
            try:
                event = session.next_event(0.2)
            except TimeoutError:
                continue
            self.sig_event_received.emit(event)
            if isinstance(event, Exited):
                self._requests.put(None)
                return

    def _stop_session(self) -> None:
        session = self._session
        if session is not None:
            session.stop()
