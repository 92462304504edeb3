"""Value types shared by the editor widget, the language client and the app.

Positions follow the Language Server Protocol: 0-based lines and 0-based
columns counted in UTF-16 code units, so LSP results map onto the buffer
without conversion by the caller. Signal payloads are frozen dataclasses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ThemeName = Literal["light", "dark"]
"""The editor themes: ``set_theme("light")`` or ``set_theme("dark")``."""


@dataclass(frozen=True, order=True)
class TextPosition:
    """A place in a document, LSP style."""

    line: int
    """0-based line number."""
    character: int
    """0-based column in UTF-16 code units."""


@dataclass(frozen=True)
class TextRange:
    """A half-open span ``[start, end)`` in a document."""

    start: TextPosition
    """First position inside the span."""
    end: TextPosition
    """First position after the span."""


class Severity(enum.IntEnum):
    """Diagnostic severity, numbered as in LSP."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4


@dataclass(frozen=True)
class Diagnostic:
    """One problem reported for a document."""

    range: TextRange
    """Where the problem is."""
    message: str
    """Human-readable message."""
    severity: Severity = Severity.ERROR
    """How bad it is."""
    code: str = ""
    """Tool-specific code, e.g. ``"2322"`` for TypeScript."""
    source: str = ""
    """Who reported it, e.g. ``"ts"``."""


@dataclass(frozen=True)
class FileDiagnostics:
    """All current diagnostics of one file (payload of ``sig_diagnostics_published``)."""

    path: Path
    """Absolute path of the file."""
    version: int | None
    """Document version the diagnostics were computed for (None if unknown)."""
    diagnostics: tuple[Diagnostic, ...]
    """The diagnostics, in server order."""


@dataclass(frozen=True)
class DirtyChanged:
    """Payload of ``CodeEditor.sig_dirty_changed``."""

    path: Path | None
    """The document's path, or None for an unsaved buffer."""
    dirty: bool
    """True when the buffer differs from the last save/load."""


@dataclass(frozen=True)
class MarginClicked:
    """Payload of ``CodeEditor.sig_margin_clicked``."""

    line: int
    """0-based line whose breakpoint margin was clicked."""


@dataclass(frozen=True)
class TestMarkerClicked:
    """Payload of ``CodeEditor.sig_test_marker_clicked``."""

    __test__ = False  # not a pytest test class

    line: int
    """0-based line whose ▶ (run this test) was clicked."""


@dataclass(frozen=True)
class TextChange:
    """One incremental edit, in the coordinates of the text *before* it."""

    range: TextRange
    """The replaced span (empty for a pure insertion)."""
    text: str
    """The inserted text (empty for a pure deletion)."""


@dataclass(frozen=True)
class DocumentChanged:
    """Payload of ``CodeEditor.sig_text_edited``: one edit and the new version."""

    path: Path | None
    """The document's path, or None for an unsaved buffer."""
    version: int
    """Document version after this edit (strictly increasing)."""
    change: TextChange
    """What changed."""


@dataclass(frozen=True)
class ExternalChange:
    """A watched file changed on disk (payload of ``FileWatcher.sig_file_changed``)."""

    path: Path
    """Absolute path of the file."""
    text: str | None
    """New content decoded as UTF-8, or None if the file was deleted."""

    @property
    def deleted(self) -> bool:
        """True when the file no longer exists."""
        return self.text is None


@dataclass(frozen=True)
class CaretMoved:
    """Payload of ``CodeEditor.sig_caret_moved``: where the caret is and how much is selected."""

    position: TextPosition
    """The caret (0-based line, 0-based UTF-16 column)."""
    selected_chars: int = 0
    """Characters in the selection (0 when nothing is selected)."""
    selected_lines: int = 0
    """Lines the selection spans (0 when nothing is selected)."""
