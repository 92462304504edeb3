"""``EditorStatus``: the current editor's caret, selection, indentation, encoding, line ending and language
in the window's status bar (``Ln 12, Col 5 (3 selected)  Spaces: 4  UTF-8  LF  TypeScript``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from app.panels.editors.controller import EditorsController
from editor.types import CaretMoved
from editor.widget import CodeEditor

LANGUAGES = {
    ".ts": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript", ".tsx": "TypeScript JSX",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript JSX",
    ".json": "JSON", ".toml": "TOML", ".md": "Markdown", ".txt": "Plain Text", ".html": "HTML", ".css": "CSS",
}
ENCODING = "UTF-8"
"""Files are read and written as UTF-8 (editor.document_io)."""
INDENT_SOURCES = {"editorconfig": " (from .editorconfig)", "detected": " (detected from the file)",
                  "default": " (default)", "chosen": " (chosen)"}
FIELDS = ("cursor", "indent", "encoding", "eol", "mode")
"""The status bar fields this fills (see ``app.window.STATUS_FIELDS``)."""

SetStatus = Callable[[str, str, str], None]
"""``MainWindow.set_status(field, text, tooltip)``."""


def language_mode(path: Path | None) -> str:
    """The language shown for a file, from its suffix (``.d.ts`` is TypeScript too)."""
    if path is None:
        return "TypeScript"
    return LANGUAGES.get(path.suffix.lower(), "Plain Text")


def caret_text(caret: CaretMoved) -> str:
    """``Ln 12, Col 5``, plus ``(3 selected)`` or ``(40 selected, 3 lines)`` while selecting (1-based)."""
    text = f"Ln {caret.position.line + 1}, Col {caret.position.character + 1}"
    if caret.selected_chars:
        lines = f", {caret.selected_lines} lines" if caret.selected_lines > 1 else ""
        text += f" ({caret.selected_chars} selected{lines})"
    return text


class EditorStatus(QObject):
    """Follows the current editor and writes its caret and file facts into the status bar."""

    def __init__(self, editors: EditorsController, set_status: SetStatus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editors = editors
        self._set_status = set_status
        self._editor: CodeEditor | None = None
        editors.sig_current_changed.connect(self._on_editors_current_changed)

    def refresh(self) -> None:
        """Show the current editor's facts (or blank fields without an editor)."""
        editor = self._editor
        if editor is None:
            for name in FIELDS:
                self._set_status(name, "", "")
            return
        self._show_caret(editor.caret_state())
        setting = editor.indentation_setting()
        source = INDENT_SOURCES.get(setting.source, "") if setting is not None else ""
        self._set_status("indent", editor.indentation(), f"Indentation{source}: click to change")
        self._set_status("encoding", ENCODING, "File encoding")
        self._set_status("eol", editor.line_ending(), "Line endings")
        self._set_status("mode", language_mode(editor.path), "Language of the file")

    def on_field_clicked(self, field: str) -> None:
        """A click on Ln/Col opens Go to Line in the current editor."""
        if field == "cursor" and self._editor is not None:
            self._editor.show_go_to_line_bar()

    def _show_caret(self, caret: CaretMoved) -> None:
        self._set_status("cursor", caret_text(caret), "Line and column of the caret: click to go to a line (Ctrl+G)")

    def _follow(self, editor: CodeEditor | None) -> None:
        if self._editor is not None:
            try:
                self._editor.sig_caret_moved.disconnect(self._on_editor_caret_moved)
            except (RuntimeError, TypeError):
                pass  # already deleted
        self._editor = editor
        if editor is not None:
            editor.sig_caret_moved.connect(self._on_editor_caret_moved)

    def _on_editors_current_changed(self, _path: Any) -> None:
        editor = self.editors.current_editor()
        if editor is not self._editor:
            self._follow(editor)
        self.refresh()

    def _on_editor_caret_moved(self, caret: CaretMoved) -> None:
        self._show_caret(caret)


def install_editor_status(ide: Any) -> EditorStatus:
    """Show the current editor's caret and file facts in ``ide.window``'s status bar."""
    status = EditorStatus(ide.controllers.editors, ide.window.set_status, parent=ide.window)
    ide.window.sig_status_clicked.connect(lambda clicked: status.on_field_clicked(clicked.field))
    status.refresh()
    return status
