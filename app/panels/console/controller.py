"""``ConsoleController``: keeps the log entries, filters them, and feeds the view."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject

from app.panels.response.render import describe_trigger, paused_text
from app.services.runtime_service import BuildFinished, InvocationFinished, InvocationRefused

LEVELS = ("debug", "log", "info", "warn", "error")
MAX_ENTRIES = 5000


@dataclass(frozen=True)
class ConsoleEntry:
    """One line in the Console."""

    level: str
    """debug, log, info, warn or error."""
    time: float
    """Epoch seconds."""
    message: str
    """The text."""
    source: str = "script"
    """Who wrote it: script, run, build or ide."""


@dataclass(frozen=True)
class ConsoleFilter:
    """What the Console shows (payload of ``ConsoleWidget.sig_filter_changed``)."""

    text: str = ""
    """Case-insensitive substring the message must contain."""
    level: str = ""
    """Only this level ('' for all)."""


def matches(entry: ConsoleEntry, flt: ConsoleFilter) -> bool:
    """Whether ``entry`` passes ``flt``."""
    if flt.level and entry.level != flt.level:
        return False
    return not flt.text or flt.text.lower() in entry.message.lower()


class ScriptOutputLike(Protocol):
    """A streamed log line (e.g. ``app.panels.debug.types.ScriptOutput``)."""

    @property
    def level(self) -> str:
        """log, info, warn, error or debug."""
        ...

    @property
    def text(self) -> str:
        """The message."""
        ...

    @property
    def time(self) -> float:
        """Epoch seconds."""
        ...


class ConsoleView(Protocol):
    """What the controller needs from the Console widget."""

    def show_entries(self, entries: list[ConsoleEntry]) -> None:
        """Replace the visible rows."""
        ...

    def append_entries(self, entries: list[ConsoleEntry]) -> None:
        """Add rows at the bottom."""
        ...


class ConsoleController(QObject):
    """Collects script logs, run summaries and build results for the Console."""

    def __init__(self, view: ConsoleView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.entries: deque[ConsoleEntry] = deque(maxlen=MAX_ENTRIES)
        self.filter = ConsoleFilter()
        self._last_build_ok: bool | None = None

    def add(self, entries: Iterable[ConsoleEntry]) -> None:
        """Append entries (the view only gets those that pass the filter)."""
        new = list(entries)
        self.entries.extend(new)
        visible = [e for e in new if matches(e, self.filter)]
        if visible:
            self.view.append_entries(visible)

    def add_message(self, level: str, message: str, source: str = "ide") -> None:
        """Append one line from the IDE itself."""
        self.add([ConsoleEntry(level, time.time(), message, source)])

    def add_invocation(self, finished: InvocationFinished) -> None:
        """The script's log lines, then a one-line summary of the run."""
        result = finished.result
        lines = [ConsoleEntry(e.level, e.time, e.message) for e in result.logs]
        what = describe_trigger(finished.trigger)
        if result.error is not None:
            lines.append(ConsoleEntry("error", time.time(), f"{what} ✗ {result.error.summary()}", "run"))
        else:
            status = f"{result.status}" if result.status is not None else "ok"
            paused = f" (+ {paused_text(result.paused_ms)} paused in the debugger)" if result.paused_ms else ""
            lines.append(ConsoleEntry("info", time.time(), f"{what} → {status} in {result.duration_ms:.1f} ms{paused}",
                                      "run"))
        self.add(lines)

    def add_script_output(self, output: ScriptOutputLike) -> None:
        """One line a script wrote while it ran (a debugged invocation streams them)."""
        self.add([ConsoleEntry(output.level, output.time, output.text)])

    def add_refusal(self, refused: InvocationRefused) -> None:
        """A run that could not start."""
        self.add_message("error", f"{describe_trigger(refused.trigger)} not run: {refused.error}", "run")

    def add_build(self, finished: BuildFinished) -> None:
        """Report failed builds, and the first good build after a failure or a new version."""
        report = finished.report
        if report.ok and self._last_build_ok is not False and self._last_build_ok is not None:
            self._last_build_ok = True
            return
        self._last_build_ok = report.ok
        if report.ok:
            self.add_message("info", f"build {report.version} ok in {report.duration_ms:.0f} ms", "build")
        else:
            self.add_message("error", f"build failed: {report.error}", "build")

    def clear(self) -> None:
        """Forget every entry."""
        self.entries.clear()
        self.view.show_entries([])

    def set_filter(self, flt: ConsoleFilter) -> None:
        """Show only the entries that pass ``flt``."""
        self.filter = flt
        self.view.show_entries([e for e in self.entries if matches(e, flt)])

    def on_view_filter_changed(self, flt: ConsoleFilter) -> None:
        """Slot: the filter text or level changed."""
        self.set_filter(flt)

    def on_view_cleared(self) -> None:
        """Slot: Clear was clicked."""
        self.clear()
