"""The debugger's event vocabulary: one enum of kinds and a frozen dataclass per payload.

The JS agent writes compact JSON records into the shared event ring
(debugger/mailbox.py); the worker process forwards them; ``decode`` in the
session turns each into one of these dataclasses, mapped to TypeScript
positions. Nothing else in isoplay looks at raw records, and no consumer
dispatches on strings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

PauseReason = Literal["breakpoint", "step", "exception", "pause"]
BreakpointStatus = Literal["verified", "moved", "unverified"]


class EventKind(enum.Enum):
    """What happened in a debug session."""

    PAUSED = "paused"
    RESUMED = "resumed"
    OUTPUT = "output"
    BREAKPOINT_ERROR = "breakpoint_error"
    EXITED = "exited"


@dataclass(frozen=True)
class StackFrame:
    """One call-stack frame at its TypeScript position."""

    index: int
    """0 is the paused frame."""
    function: str
    file: str
    """Project-relative path (or the bundle URL for unmapped code)."""
    line: int
    column: int
    is_async: bool = False

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` frame shape."""
        return {"function": self.function, "file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Value:
    """A value in the paused isolate, previewed; objects carry a handle for lazy expansion."""

    preview: str
    """Short display text (strings are quoted)."""
    type: str
    """``typeof`` the value (``null`` for null), ``error`` when evaluation failed."""
    handle: int | None = None
    """Pass to ``DebugSession.properties`` to expand; valid until the isolate resumes."""
    class_name: str | None = None
    error: str | None = None
    """Set when evaluating threw (then ``preview`` repeats it)."""

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Value:
        """Decode the agent's ``{t, v, h, c}`` descriptor."""
        return cls(str(raw.get("v", "")), str(raw.get("t", "undefined")), raw.get("h"), raw.get("c"))

    @classmethod
    def failed(cls, message: str) -> Value:
        """A value standing for an evaluation error."""
        return cls(message, "error", error=message)

    @property
    def expandable(self) -> bool:
        """Whether ``properties`` can list children."""
        return self.handle is not None


@dataclass(frozen=True)
class Variable:
    """A named value (a local, a property, a map entry)."""

    name: str
    value: Value


@dataclass(frozen=True)
class Scopes:
    """The scopes of one frame."""

    frame: int
    locals: tuple[Variable, ...]
    closure: tuple[Variable, ...]
    module: tuple[Variable, ...]
    this: Value | None
    """None when the frame has no ``this`` (module code, arrows outside methods) or it is not available."""
    note: str | None = None
    """Set when some or all of the frame's variables cannot be shown (they then read ``<not available>``)."""


@dataclass(frozen=True)
class Paused:
    """The isolate stopped; it stays stopped until a resume or step command."""

    reason: PauseReason
    stack: tuple[StackFrame, ...]
    hit_breakpoints: tuple[int, ...] = ()
    exception: Value | None = None
    exception_text: str | None = None
    uncaught: bool = True
    count: int | None = None
    """In a replayed invocation: statements executed up to this pause (Step Back goes to an earlier count)."""
    kind: EventKind = field(default=EventKind.PAUSED, init=False)

    @property
    def top(self) -> StackFrame:
        """The paused frame."""
        return self.stack[0]

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        out: dict[str, Any] = {"event": "paused", "reason": self.reason, "file": self.top.file,
                               "line": self.top.line, "column": self.top.column, "function": self.top.function,
                               "stack": [f.to_json() for f in self.stack]}
        if self.count is not None:
            out["count"] = self.count
        if self.hit_breakpoints:
            out["breakpoints"] = list(self.hit_breakpoints)
        if self.exception_text is not None:
            out["exception"] = self.exception_text
            out["uncaught"] = self.uncaught
        return out


@dataclass(frozen=True)
class Resumed:
    """The isolate runs again."""

    kind: EventKind = field(default=EventKind.RESUMED, init=False)


@dataclass(frozen=True)
class Output:
    """A console line (or a logpoint message) written by the script."""

    level: str
    text: str
    breakpoint: int | None = None
    """The logpoint that wrote it, if any."""
    kind: EventKind = field(default=EventKind.OUTPUT, init=False)

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        out: dict[str, Any] = {"event": "output", "level": self.level, "text": self.text}
        if self.breakpoint is not None:
            out["breakpoint"] = self.breakpoint
        return out


@dataclass(frozen=True)
class BreakpointError:
    """A breakpoint condition threw; it was treated as true once."""

    breakpoint: int
    message: str
    kind: EventKind = field(default=EventKind.BREAKPOINT_ERROR, init=False)

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        return {"event": "breakpoint_error", "breakpoint": self.breakpoint, "message": self.message}


@dataclass(frozen=True)
class Exited:
    """The invocation ended (or the session was stopped); the isolate is gone."""

    status: str
    """ok, error, timeout, memory, stopped or crashed."""
    error: str | None = None
    result: dict[str, Any] | None = None
    """``InvocationResult.to_json()`` when the invocation ran to its end."""
    test: dict[str, Any] | None = None
    """``TestResult.to_json()`` when the session debugged a test (debugger/testing.py)."""
    kind: EventKind = field(default=EventKind.EXITED, init=False)

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        out: dict[str, Any] = {"event": "exited", "status": self.status}
        if self.error is not None:
            out["error"] = self.error
        if self.result is not None:
            out["result"] = self.result
        return out


Event = Paused | Resumed | Output | BreakpointError | Exited


@dataclass(frozen=True)
class Breakpoint:
    """A breakpoint as the user set it and as the build resolved it."""

    id: int
    file: str
    line: int
    """The line the user asked for."""
    status: BreakpointStatus
    actual_line: int | None = None
    """The line it binds to (differs from ``line`` when moved)."""
    probe: int | None = None
    condition: str | None = None
    hit_count: int | None = None
    log_message: str | None = None
    enabled: bool = True
    error: str | None = None
    """The last condition error, shown in the Breakpoints list."""

    def row(self) -> list[Any]:
        """The agent's breakpoint-table row."""
        return [self.id, self.condition, self.hit_count, self.log_message]
