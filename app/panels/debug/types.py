"""Value types of the debug panels: frozen dataclasses carried by the debug signals."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from debugger.protocol import Scopes, Value, Variable
from editor.types import TextPosition


class DebugState(enum.Enum):
    """Where the controller's session is in its life."""

    IDLE = "idle"
    """No session."""
    STARTING = "starting"
    """Building the debug bundle and starting the debuggee process."""
    RUNNING = "running"
    """The script runs."""
    PAUSED = "paused"
    """The script is stopped at a statement."""
    STOPPING = "stopping"
    """A stop was requested; waiting for the debuggee to exit."""


@dataclass(frozen=True)
class BreakpointSpec:
    """A breakpoint as the user set it (what is persisted)."""

    file: str
    """Project-relative POSIX path, e.g. ``src/index.ts``."""
    line: int
    """1-based line the user clicked."""
    enabled: bool = True
    """Disabled breakpoints are kept (and drawn grey) but never pause."""
    condition: str | None = None
    """Pause only when this expression is truthy."""
    hit_count: int | None = None
    """Pause only from the N-th hit on."""
    log_message: str | None = None
    """Log (with ``{expr}`` interpolation) instead of pausing."""

    @property
    def key(self) -> tuple[str, int]:
        """Identity in the store: (file, line)."""
        return (self.file, self.line)


@dataclass(frozen=True)
class BreakpointRow:
    """One row of the Breakpoints panel: the spec and what the session made of it."""

    spec: BreakpointSpec
    """The user's breakpoint."""
    status: str
    """``verified``, ``moved``, ``unverified`` (from the session), ``disabled`` or ``pending`` (no session)."""
    actual_line: int | None = None
    """The line it binds to when the session moved it."""
    error: str | None = None
    """The last condition error reported by the session."""

    def describe(self) -> str:
        """Short status text for the list (``moved to 12``, ``condition error: ...``)."""
        if self.error:
            return f"condition error: {self.error}"
        if self.status == "moved" and self.actual_line is not None:
            return f"moved to line {self.actual_line}"
        return self.status


@dataclass(frozen=True)
class CurrentLine:
    """Payload of ``DebugController.sig_current_line_changed``: where the arrow goes."""

    path: Path | None
    """Absolute path of the paused file; None clears every arrow."""
    line: int | None
    """1-based paused line; None clears."""


@dataclass(frozen=True)
class FrameSelected:
    """Payload of ``DebugController.sig_frame_selected``."""

    index: int
    """Frame index (0 is the paused frame)."""
    scopes: Scopes
    """Its scopes (locals, closure, module, ``this``)."""


@dataclass(frozen=True)
class ExpandRequest:
    """A lazy tree node asks for its children."""

    tree: str
    """Which tree asked: ``variables`` or ``watch``."""
    node: int
    """The tree's id of the node to fill."""
    handle: int
    """The engine's object handle (valid while paused)."""


@dataclass(frozen=True)
class ChildrenLoaded:
    """The children of a lazy node (or why they could not be loaded)."""

    tree: str
    """Which tree asked."""
    node: int
    """The node to fill."""
    children: tuple[Variable, ...]
    """Own properties, array items or map/set entries."""
    error: str | None = None
    """Set when expansion failed (the script resumed, the session ended)."""


@dataclass(frozen=True)
class WatchValue:
    """A watch expression and its value in the selected frame."""

    expression: str
    """The expression as typed."""
    value: Value | None
    """None until evaluated (not paused)."""


@dataclass(frozen=True)
class ConsoleEntry:
    """An evaluation in the Debug Console, or a line the script wrote."""

    text: str
    """The expression typed, or the output line."""
    value: Value | None = None
    """The result (None for output lines)."""
    level: str = "result"
    """``result``, ``error`` or a console level (``log``, ``warn``...)."""


@dataclass(frozen=True)
class SectionRequest:
    """A lazy section of a tree (``Globals``) asks for its rows."""

    tree: str
    """Which tree asked: ``variables``."""
    node: int
    """The tree's id of the section row to fill."""
    section: str
    """Which section: ``globals``."""


@dataclass(frozen=True)
class ExceptionBreaks:
    """Which exceptions pause the script (persisted with the breakpoints)."""

    uncaught: bool = True
    """Pause when an exception leaves the handler (on by default)."""
    caught: bool = False
    """Pause when a ``catch`` clause receives an exception."""


@dataclass(frozen=True)
class ScriptOutput:
    """Payload of ``DebugController.sig_script_output``: a line the debugged script wrote with ``console.*``."""

    level: str
    """log, info, warn, error or debug."""
    text: str
    """The line as the script's console formatted it."""
    time: float
    """Epoch seconds when it reached the IDE (the session streams lines as they are written)."""


@dataclass(frozen=True)
class HoverRequest:
    """The mouse rests on an expression in an editor (``DebugController.evaluate_hover``)."""

    path: Path
    """The editor's file."""
    position: TextPosition
    """Where the mouse rests (the hover is shown there)."""
    expression: str
    """The identifier under the mouse with the member chain before it (``url.pathname``); property reads only."""


@dataclass(frozen=True)
class HoverValue:
    """Payload of ``DebugController.sig_hover_evaluated``: a hovered expression's value in the selected frame."""

    path: Path
    """The editor's file (as in the request)."""
    position: TextPosition
    """Where the hover is shown."""
    expression: str
    """What was evaluated."""
    value: Value
    """Its value (never an evaluation error: those are not shown in hovers)."""


@dataclass(frozen=True)
class ValueTextRequest:
    """Payload of ``VariableTree.sig_value_text_requested``: Copy Value or View Value on a row holding an object
    (or a string longer than its preview), whose whole text the debugger has to produce."""

    tree: str
    """``variables`` or ``watch``."""
    node: int
    """The row's node id."""
    handle: int
    """The engine's handle of the value (valid while paused)."""
    name: str
    """The row's name (the dialog's title)."""
    action: str
    """``copy`` (to the clipboard) or ``view`` (in a dialog)."""


@dataclass(frozen=True)
class ValueText:
    """The whole text of a value, for ``ValueTextRequest``."""

    request: ValueTextRequest
    text: str
    """The whole value (empty when ``error`` is set)."""
    error: str | None = None
    """Why there is no text (not paused, the script resumed...)."""
