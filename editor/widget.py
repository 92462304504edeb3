"""``CodeEditor``: the TypeScript editor widget the app embeds (one per open file).

It composes a ``ScintillaView`` (text, keys, highlighting) with a find bar and a
go-to-line bar, keeps the document state (path, dirty flag, version), draws
diagnostics and debugger markers, and emits intents (completion, hover,
definition) that ``editor.lsp.EditorLspBinding`` answers. It knows nothing
about the language server or the runtime.

Run ``python -m editor.widget [FILE] [--tsc PATH] [--theme dark]`` for a demo.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyside6_scintilla import Scintilla

from editor import decorations, document_io, editing, search
from editor.changes import ChangeTracker
from editor.decorations import DIAGNOSTIC_INDICATORS, SEVERITY_INDICATOR, Marker
from editor.find_bar import FindBar, FindRequested, GoToLineBar, ReplaceRequested
from editor.hover_popup import HoverPopup, escape_markdown
from editor.indentation import Indentation
from editor.lexer import LINE_COMMENTS, EditorLanguage, apply_lexer, language_for_path
from editor.theme import STYLE_LINE_NUMBER, apply_theme, theme_named
from editor.types import (
    CaretMoved,
    Diagnostic,
    DirtyChanged,
    DocumentChanged,
    ExternalChange,
    MarginClicked,
    TestMarkerClicked,
    Severity,
    TextPosition,
    TextRange,
    ThemeName,
)
from editor.view import ScintillaView, chord

CONTROL = Qt.KeyboardModifier.ControlModifier
FONT_SIZE = 11
_CARET_UPDATES = int(Scintilla.Update.Selection) | int(Scintilla.Update.Content)


class ExternalChangeOutcome(enum.Enum):
    """What ``CodeEditor.handle_external_change`` did."""

    UNCHANGED = "unchanged"
    """The file on disk equals the buffer (e.g. our own save): nothing to do."""
    RELOADED = "reloaded"
    """The buffer was clean and now shows the new content."""
    CONFLICT = "conflict"
    """The buffer is dirty (or the file was deleted): ``sig_external_change_conflicted`` was emitted."""


@dataclass(frozen=True)
class CharTyped:
    """Payload of ``CodeEditor.sig_char_typed``."""

    char: str
    """The typed character."""
    position: TextPosition
    """Caret position after typing it."""


@dataclass(frozen=True)
class SavedView:
    """Caret, selection anchor and scroll position (``CodeEditor.save_view`` / ``restore_view``)."""

    anchor: int
    """Byte position of the selection anchor."""
    caret: int
    """Byte position of the caret."""
    first_line: int
    """First visible display line."""


@dataclass(frozen=True)
class PathChanged:
    """Payload of ``CodeEditor.sig_path_changed``."""

    old: Path | None
    """Previous path (None for a new buffer)."""
    new: Path | None
    """New path."""


_SEVERITY_WORDS = {Severity.ERROR: "Error", Severity.WARNING: "Warning", Severity.INFORMATION: "Info",
                   Severity.HINT: "Hint"}


class CodeEditor(QWidget):
    """A TypeScript editor: Scintilla view + find bar + document state."""

    sig_dirty_changed = Signal(object)
    """DirtyChanged: the buffer became dirty or clean (after an edit, undo, save or load)."""
    sig_text_edited = Signal(object)
    """DocumentChanged: one incremental edit and the new document version."""
    sig_path_changed = Signal(object)
    """PathChanged: the document got another path (load / save as / ``set_path`` after a rename)."""
    sig_caret_moved = Signal(object)
    """CaretMoved: the caret moved or the selection changed (for the status bar and the outline)."""
    sig_margin_clicked = Signal(object)
    """MarginClicked: the breakpoint margin of a line was clicked."""
    sig_test_marker_clicked = Signal(object)
    """TestMarkerClicked: the ▶ beside a test's declaration was clicked."""
    sig_char_typed = Signal(object)
    """CharTyped: the user typed a printable character."""
    sig_completion_requested = Signal(object)
    """TextPosition: the user asked for completion (Ctrl+Space)."""
    sig_definition_requested = Signal(object)
    """TextPosition: the user asked for the definition (F12 or Ctrl+click)."""
    sig_hover_requested = Signal(object)
    """TextPosition: the mouse rested over this position."""
    sig_external_change_conflicted = Signal(object)
    """ExternalChange: the file changed on disk while the buffer is dirty (or it was deleted).
    The app asks the user and calls ``apply_reload(change.text)`` to accept."""

    def __init__(self, parent: QWidget | None = None, theme: ThemeName = "light") -> None:
        super().__init__(parent)
        self.view = ScintillaView(self)
        """The Scintilla widget (for advanced use; prefer the methods here)."""
        self.find_bar = FindBar(self)
        self.goto_bar = GoToLineBar(self)
        self._path: Path | None = None
        self._version = 0
        self._diagnostics: tuple[Diagnostic, ...] = ()
        self._theme: ThemeName = theme
        self._language = language_for_path(None)
        self._caret: CaretMoved | None = None
        self._hover_at: TextPosition | None = None
        self._hover_value = ""
        self._hover_info = ""
        self._calltip_text = ""
        self._hover_markdown = ""
        self._hover_popup = HoverPopup(self)
        self._indentation: Indentation | None = None
        self._tracker = ChangeTracker(self.view.to_text_position)
        self._create_layout()
        self._configure_view()
        self._connect_signals()
        self._bind_keys()

    def _create_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.goto_bar)
        self.find_bar.hide()
        self.goto_bar.hide()

    def _configure_view(self) -> None:
        apply_lexer(self.view, self._language)
        decorations.setup_margins(self.view)
        decorations.setup_indicators(self.view)
        self.set_theme(self._theme)

    def _connect_signals(self) -> None:
        self.view.modified.connect(self._on_view_modified)
        self.view.updateUi.connect(self._on_view_update_ui)
        self.view.savePointChanged.connect(self._on_view_save_point_changed)
        self.view.marginClicked.connect(self._on_view_margin_clicked)
        self.view.dwellStart.connect(self._on_view_dwell_start)
        self.view.dwellEnd.connect(self._on_view_dwell_end)
        self.view.sig_char_typed.connect(self._on_view_char_typed)
        self.view.sig_ctrl_clicked.connect(self._on_view_ctrl_clicked)
        self.find_bar.sig_find_requested.connect(self._on_find_bar_find_requested)
        self.find_bar.sig_replace_requested.connect(self._on_find_bar_replace_requested)
        self.find_bar.sig_options_changed.connect(self._on_find_bar_options_changed)
        self.find_bar.sig_closed.connect(self._on_bar_closed)
        self.goto_bar.sig_line_chosen.connect(self.go_to_line)
        self.goto_bar.sig_closed.connect(self._on_bar_closed)

    def _bind_keys(self) -> None:
        bindings = {
            chord(Qt.Key.Key_Slash, CONTROL): self.toggle_comment,
            chord(Qt.Key.Key_Space, CONTROL): self.request_completion,
            chord(Qt.Key.Key_F, CONTROL): self.show_find_bar,
            chord(Qt.Key.Key_H, CONTROL): lambda: self.show_find_bar(replace=True),
            chord(Qt.Key.Key_G, CONTROL): self.show_go_to_line_bar,
            chord(Qt.Key.Key_F3): lambda: self.find_bar.request_find(True),
            chord(Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier): lambda: self.find_bar.request_find(False),
            chord(Qt.Key.Key_F12): self.request_definition,
        }
        self.view.key_bindings.update(bindings)

    # -- document state ---------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The file this buffer belongs to (None for an unsaved buffer)."""
        return self._path

    @property
    def document_version(self) -> int:
        """Counter bumped by every edit; LSP document version."""
        return self._version

    def is_dirty(self) -> bool:
        """True if the buffer differs from the last load/save."""
        return bool(self.view.modify())

    def text(self) -> str:
        """Return the whole text."""
        return self.view.all_text()

    def set_text(self, text: str) -> None:
        """Replace the text, clear undo history and mark the buffer clean."""
        self.view.setText(text)
        self.view.emptyUndoBuffer()
        self.view.setSavePoint()
        self.view.gotoPos(0)

    def set_document(self, path: Path | None, text: str) -> None:
        """Show `text` as the content of `path` (clean, no undo history)."""
        self._set_path(path)
        self.set_text(text)

    def mark_saved(self, path: Path | None = None) -> None:
        """Record that the buffer was written (to `path` if given): it becomes clean."""
        if path is not None:
            self._set_path(path)
        self.view.setSavePoint()

    def load_file(self, path: Path) -> None:
        """Read `path` (UTF-8) into the buffer. Synchronous: for small files, demos and tests."""
        self.set_document(path.resolve(), document_io.read_text(path))

    def save_file(self, path: Path | None = None) -> Path:
        """Write the buffer to `path` (default: its own path) and mark it clean.

        Raises:
            ValueError: when the buffer has no path and none is given.
        """
        target = path or self._path
        if target is None:
            raise ValueError("this buffer has no path yet: pass one to save_file()")
        document_io.write_text(target, self.text())
        self.mark_saved(target.resolve())
        return target.resolve()

    def set_path(self, path: Path) -> None:
        """Give the buffer another file (its file was renamed or moved).

        Text, undo history, caret and the dirty flag stay as they are; listeners of
        ``sig_path_changed`` (language binding, file watcher) follow the new path.
        """
        self._set_path(path)

    def _set_path(self, path: Path | None) -> None:
        if path != self._path:
            old, self._path = self._path, path
            self._set_language(language_for_path(path))
            self.sig_path_changed.emit(PathChanged(old, path))

    @property
    def language(self) -> EditorLanguage:
        """How the buffer is highlighted (from the path's suffix: TypeScript, JSON, TOML or plain text)."""
        return self._language

    def _set_language(self, language: EditorLanguage) -> None:
        if language is not self._language:
            self._language = language
            apply_lexer(self.view, language)
            self.set_theme(self._theme)

    # -- external changes ---------------------------------------------------------

    def handle_external_change(self, change: ExternalChange) -> ExternalChangeOutcome:
        """React to the file changing on disk: reload if clean, else ask via a signal."""
        if change.text is not None and change.text == self.text():
            return ExternalChangeOutcome.UNCHANGED
        if change.text is None or self.is_dirty():
            self.sig_external_change_conflicted.emit(change)
            return ExternalChangeOutcome.CONFLICT
        self.apply_reload(change.text)
        return ExternalChangeOutcome.RELOADED

    def apply_reload(self, text: str) -> None:
        """Replace the buffer with `text` from disk as one undoable edit, keeping the view."""
        first_line, caret = self.view.firstVisibleLine(), self.view.caret_position()
        self.view.beginUndoAction()
        try:
            self.view.setTargetRange(0, self.view.textLength())
            self.view.replaceTarget(len(text.encode("utf-8")), text)
        finally:
            self.view.endUndoAction()
        self.view.setSavePoint()
        self.view.gotoPos(self.view.to_byte_position(caret))
        self.view.setFirstVisibleLine(first_line)

    # -- navigation ----------------------------------------------------------------

    def go_to_line(self, line: int) -> None:
        """Move the caret to the start of 0-based `line` and scroll it into view."""
        self.go_to(TextPosition(line, 0))

    def go_to(self, position: TextPosition) -> None:
        """Move the caret to `position`, unfold and scroll it into view."""
        line = max(0, min(position.line, self.view.lineCount() - 1))
        self.view.ensureVisibleEnforcePolicy(line)
        self.view.gotoPos(self.view.to_byte_position(position))
        QWidget.setFocus(self.view)

    def select(self, rng: TextRange, focus: bool = True) -> None:
        """Select `rng` (caret at its start), unfold it and scroll it into the middle of the view."""
        view = self.view
        start, end = view.to_byte_position(rng.start), view.to_byte_position(rng.end)
        line = view.lineFromPosition(start)
        view.ensureVisible(line)
        view.setSel(end, start)
        visible = view.linesOnScreen()
        if not view.firstVisibleLine() <= view.visibleFromDocLine(line) < view.firstVisibleLine() + visible:
            view.setFirstVisibleLine(max(0, view.visibleFromDocLine(line) - visible // 3))
        if focus:
            QWidget.setFocus(self.view)

    def focus_text(self) -> None:
        """Give the keyboard focus to the text."""
        QWidget.setFocus(self.view)

    def save_view(self) -> SavedView:
        """Remember the caret, selection and scroll position (to undo a preview)."""
        return SavedView(self.view.anchor(), self.view.currentPos(), self.view.firstVisibleLine())

    def restore_view(self, saved: SavedView) -> None:
        """Go back to what ``save_view`` returned."""
        length = self.view.textLength()
        self.view.setSel(min(saved.anchor, length), min(saved.caret, length))
        self.view.setFirstVisibleLine(saved.first_line)

    def caret_position(self) -> TextPosition:
        """The caret as a TextPosition."""
        return self.view.caret_position()

    def caret_state(self) -> CaretMoved:
        """The caret position and the size of the selection."""
        view = self.view
        start, end = view.selectionStart(), view.selectionEnd()
        position = view.caret_position()
        if end <= start:
            return CaretMoved(position)
        lines = view.lineFromPosition(end) - view.lineFromPosition(start) + 1
        return CaretMoved(position, view.countCharacters(start, end), lines)

    def line_ending(self) -> str:
        """``LF``, ``CRLF`` or ``CR``: how the first line of the buffer ends (``LF`` for one line)."""
        end = self.view.lineEndPosition(0)
        ending = self.view.text_between(end, min(end + 2, self.view.textLength()))
        return "CRLF" if ending == "\r\n" else "CR" if ending.startswith("\r") else "LF"

    def indentation(self) -> str:
        """``Spaces: N`` or ``Tab Size: N``: what Tab inserts."""
        return f"Tab Size: {self.view.tabWidth()}" if self.view.useTabs() else f"Spaces: {self.view.indent()}"

    def set_indentation(self, indentation: Indentation) -> None:
        """What Tab, Enter and Backspace use from now on (``editor.indentation.resolve`` finds it for a file)."""
        self._indentation = indentation
        self.view.setUseTabs(indentation.use_tabs)
        self.view.setTabWidth(indentation.size)
        self.view.setIndent(indentation.size)

    def indentation_setting(self) -> Indentation | None:
        """The indentation last set with ``set_indentation`` (None: the view's defaults)."""
        return self._indentation

    def replace_all_text(self, text: str) -> None:
        """Replace the whole text as one undoable edit (Format Document), keeping the caret's line."""
        if text == self.text():
            return
        line = self.view.lineFromPosition(self.view.currentPos())
        first = self.view.firstVisibleLine()
        self.view.beginUndoAction()
        try:
            self.view.setSel(0, self.view.textLength())
            self.view.replaceSel(text)
        finally:
            self.view.endUndoAction()
        line = min(line, self.view.lineCount() - 1)
        self.view.gotoPos(self.view.lineIndentPosition(line))
        self.view.setFirstVisibleLine(first)

    def set_caret(self, position: TextPosition) -> None:
        """Put the caret at `position` without scrolling policy changes."""
        self.view.gotoPos(self.view.to_byte_position(position))

    # -- editing commands ------------------------------------------------------------

    def toggle_comment(self) -> None:
        """Comment or uncomment the selected lines (or the caret line): ``//``, ``#`` in TOML (no-op in plain text)."""
        prefix = LINE_COMMENTS.get(self._language)
        if prefix is None:
            return
        view = self.view
        first = view.lineFromPosition(view.selectionStart())
        last = view.lineFromPosition(view.selectionEnd())
        if last > first and view.selectionEnd() == view.positionFromLine(last):
            last -= 1
        lines = [view.line_text(n) for n in range(first, last + 1)]
        new_lines = editing.toggle_line_comments(lines, prefix)
        if new_lines == lines:
            return
        start, end = view.positionFromLine(first), view.lineEndPosition(last)
        joined = "\n".join(new_lines)
        caret_line, caret_delta = view.caret_position().line, len(new_lines[0]) - len(lines[0])
        view.setTargetRange(start, end)
        view.replaceTarget(len(joined.encode("utf-8")), joined)
        view.setSel(view.positionFromLine(first), view.lineEndPosition(last))
        if first == last:
            column = max(0, view.column(view.currentPos()))
            view.gotoPos(view.findColumn(caret_line, column + caret_delta))

    def undo(self) -> None:
        """Undo the last edit."""
        self.view.undo()

    def redo(self) -> None:
        """Redo the last undone edit."""
        self.view.redo()

    # -- find / replace / go to line ---------------------------------------------------

    def show_find_bar(self, replace: bool = False) -> None:
        """Open the find bar (with replace if `replace`), seeded with the selection."""
        selected = self.view.text_between(self.view.selectionStart(), self.view.selectionEnd())
        self.goto_bar.hide()
        self.find_bar.open("" if "\n" in selected else selected, replace)

    def show_go_to_line_bar(self) -> None:
        """Open the go-to-line bar."""
        self.find_bar.hide()
        self.goto_bar.open(self.view.lineCount())

    def find_text(self, options: search.SearchOptions, forward: bool = True) -> TextRange | None:
        """Select the next match of `options`; return its range or None.

        Raises:
            search.SearchError: for an invalid regular expression.
        """
        match = search.find_next(self.view, options, forward)
        return None if match is None else self._range_of(*match)

    def replace_all(self, options: search.SearchOptions, replacement: str) -> int:
        """Replace every match (one undo step); return the count.

        Raises:
            search.SearchError: for an invalid regular expression.
        """
        return search.replace_all(self.view, options, replacement)

    def replace_current(self, options: search.SearchOptions, replacement: str) -> bool:
        """Replace the selected match and select the next; return True if one was replaced."""
        return search.replace_selection_match(self.view, options, replacement)

    def _range_of(self, start: int, end: int) -> TextRange:
        return TextRange(self.view.to_text_position(start), self.view.to_text_position(end))

    # -- diagnostics ------------------------------------------------------------------

    def set_diagnostics(self, diagnostics: Sequence[Diagnostic]) -> None:
        """Show `diagnostics` as squiggles (replacing previous ones)."""
        view = self.view
        for indicator in DIAGNOSTIC_INDICATORS:
            view.setIndicatorCurrent(indicator)
            view.indicatorClearRange(0, view.textLength())
        self._diagnostics = tuple(diagnostics)
        for index, diagnostic in enumerate(self._diagnostics):
            start, end = self._squiggle_span(diagnostic.range)
            view.setIndicatorCurrent(SEVERITY_INDICATOR[diagnostic.severity])
            view.setIndicatorValue(index + 1)
            view.indicatorFillRange(start, end - start)

    def _squiggle_span(self, rng: TextRange) -> tuple[int, int]:
        start = self.view.to_byte_position(rng.start)
        end = self.view.to_byte_position(rng.end)
        if end <= start:
            end = min(self.view.positionAfter(start), self.view.textLength())
            start = end if end == start else start
        return start, end

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The diagnostics currently shown."""
        return self._diagnostics

    def diagnostics_at(self, position: TextPosition) -> tuple[Diagnostic, ...]:
        """Diagnostics whose squiggle covers `position`."""
        pos = self.view.to_byte_position(position)
        found = []
        for indicator in DIAGNOSTIC_INDICATORS:
            value = self.view.indicatorValueAt(indicator, pos)
            if 0 < value <= len(self._diagnostics):
                found.append(self._diagnostics[value - 1])
        return tuple(found)

    # -- popups used by the language binding --------------------------------------------

    def show_completions(self, labels: Sequence[str]) -> None:
        """Show an autocompletion list for the identifier before the caret."""
        if not labels:
            self.view.autoCCancel()
            return
        self.view.autoCShow(self.view.word_prefix_length(), "\n".join(labels))

    def is_completion_active(self) -> bool:
        """True while the autocompletion list is shown."""
        return bool(self.view.autoCActive())

    def show_calltip(self, position: TextPosition, text: str, highlight: tuple[int, int] | None = None) -> None:
        """Show `text` in a call tip at `position`, optionally highlighting a character span."""
        if not text:
            return
        self._calltip_text = text
        self.view.callTipShow(self.view.to_byte_position(position), text)
        if highlight is not None:
            start = len(text[: highlight[0]].encode("utf-8"))
            self.view.callTipSetHlt(start, start + len(text[highlight[0] : highlight[1]].encode("utf-8")))

    def hide_calltip(self) -> None:
        """Hide the call tip (and the hover)."""
        self.view.callTipCancel()
        self._hover_popup.close_now()

    def is_calltip_active(self) -> bool:
        """True while a call tip or a hover is shown."""
        return bool(self.view.callTipActive()) or self._hover_popup.showing

    def request_hover(self, position: TextPosition) -> None:
        """Start a hover at `position` (as a mouse dwell does): show its diagnostics, emit ``sig_hover_requested``."""
        self._hover_at = position
        self._hover_value = self._hover_info = self._hover_markdown = ""
        self._render_hover(position)
        self.sig_hover_requested.emit(position)

    @property
    def hover_position(self) -> TextPosition | None:
        """Where the current hover is (None once the mouse left: a late answer must not reopen it)."""
        return self._hover_at

    def show_hover(self, position: TextPosition, text: str, markdown: str = "") -> None:
        """Show hover `text` at `position` (rendered from `markdown` when given), after any diagnostics found
        there (and after a value from ``show_hover_value`` for the same hover)."""
        if position != self._hover_at:
            self._hover_at, self._hover_value = position, ""
        self._hover_info = text
        self._hover_markdown = markdown
        self._render_hover(position)

    def show_hover_value(self, position: TextPosition, text: str) -> None:
        """Show a value (the debugger's) first in the hover at `position`; ignored once that hover has ended."""
        if position != self._hover_at or not text:
            return
        self._hover_value = text
        self._render_hover(position)

    def calltip_text(self) -> str:
        """The text of the call tip or hover shown now, as plain text ("" when none is shown)."""
        if self._hover_popup.showing:
            return self._hover_popup.plain
        return self._calltip_text if self.view.callTipActive() else ""

    def hover_markdown(self) -> str:
        """The markdown of the hover shown now ("" when none is shown)."""
        return self._hover_popup.text() if self._hover_popup.showing else ""

    def _render_hover(self, position: TextPosition) -> None:
        """Value, then diagnostics (most severe first), then the type and documentation, in the hover popup."""
        diagnostics = self.diagnostics_at(position)
        plain = [self._hover_value] if self._hover_value else []
        plain += [d.message for d in diagnostics]
        if self._hover_info:
            plain.append(self._hover_info)
        if not plain:
            return
        parts = [f"`{self._hover_value}`" if self._hover_value and "`" not in self._hover_value
                 else escape_markdown(self._hover_value)] if self._hover_value else []
        for d in diagnostics:
            code = f" ({d.source} {d.code})" if d.code else ""
            parts.append(f"**{_SEVERITY_WORDS.get(d.severity, '')}** {escape_markdown(d.message)}{escape_markdown(code)}")
        if self._hover_info:
            parts.append(self._hover_markdown or escape_markdown(self._hover_info))
        self.view.callTipCancel()
        pos = self.view.to_byte_position(position)
        line = self.view.lineFromPosition(pos)
        x = self.view.pointXFromPosition(pos)
        y = self.view.pointYFromPosition(pos) + self.view.textHeight(line)
        self._hover_popup.show_markdown("\n\n---\n\n".join(parts), "\n\n".join(plain),
                                        self.view.viewport().mapToGlobal(QPoint(x, y + 2)))

    def style_at(self, position: TextPosition) -> int:
        """The lexer's style number of the character at `position` (see ``editor.lexer``'s style enums)."""
        pos = self.view.to_byte_position(position)
        if self.view.endStyled() <= pos:  # not painted yet: style through its line first
            self.view.colourise(self.view.endStyled(), self.view.positionFromLine(position.line + 1))
        return int(self.view.styleAt(pos))

    def request_completion(self) -> None:
        """Ask for completion at the caret (emits ``sig_completion_requested``)."""
        self.sig_completion_requested.emit(self.caret_position())

    def request_definition(self) -> None:
        """Ask for the definition at the caret (emits ``sig_definition_requested``)."""
        self.sig_definition_requested.emit(self.caret_position())

    # -- breakpoints and debugger line ----------------------------------------------------

    def set_breakpoint(self, line: int, enabled: bool = True) -> None:
        """Show a breakpoint (enabled: filled, disabled: grey) on 0-based `line`."""
        self.remove_breakpoint(line)
        self.view.markerAdd(line, Marker.BREAKPOINT if enabled else Marker.BREAKPOINT_DISABLED)

    def remove_breakpoint(self, line: int) -> None:
        """Remove any breakpoint marker from `line`."""
        self.view.markerDelete(line, Marker.BREAKPOINT)
        self.view.markerDelete(line, Marker.BREAKPOINT_DISABLED)

    def clear_breakpoints(self) -> None:
        """Remove all breakpoint markers."""
        self.view.markerDeleteAll(Marker.BREAKPOINT)
        self.view.markerDeleteAll(Marker.BREAKPOINT_DISABLED)

    def breakpoints(self) -> dict[int, bool]:
        """Lines with a breakpoint (markers follow edits) -> enabled flag."""
        return {**self._marker_lines(Marker.BREAKPOINT_DISABLED, False), **self._marker_lines(Marker.BREAKPOINT, True)}

    def _marker_lines(self, marker: Marker, value: bool) -> dict[int, bool]:
        lines: dict[int, bool] = {}
        line = self.view.markerNext(0, 1 << marker)
        while line >= 0:
            lines[line] = value
            line = self.view.markerNext(line + 1, 1 << marker)
        return lines

    def set_test_markers(self, lines: dict[int, str]) -> None:
        """Show ▶ beside 0-based ``lines`` (status ``idle``, ``pass`` or ``fail`` picks its colour);
        an empty dict hides the run-test margin."""
        for marker in decorations.TEST_MARKERS.values():
            self.view.markerDeleteAll(marker)
        for line, status in lines.items():
            self.view.markerAdd(line, decorations.TEST_MARKERS.get(status, decorations.Marker.TEST_IDLE))
        self.view.setMarginWidthN(decorations.MARGIN_TESTS, decorations.TEST_MARGIN_WIDTH if lines else 0)

    def test_markers(self) -> dict[int, str]:
        """0-based line -> status of the ▶ markers shown (they follow edits)."""
        found: dict[int, str] = {}
        for status, marker in decorations.TEST_MARKERS.items():
            line = self.view.markerNext(0, 1 << marker)
            while line >= 0:
                found[line] = status
                line = self.view.markerNext(line + 1, 1 << marker)
        return found

    def set_current_line(self, line: int | None) -> None:
        """Show the debugger's arrow and highlight on 0-based `line` (None clears it)."""
        self.view.markerDeleteAll(Marker.CURRENT_LINE)
        self.view.markerDeleteAll(Marker.CURRENT_LINE_BACKGROUND)
        if line is None:
            return
        self.view.markerAdd(line, Marker.CURRENT_LINE)
        self.view.markerAdd(line, Marker.CURRENT_LINE_BACKGROUND)
        self.view.ensureVisibleEnforcePolicy(line)

    def current_line(self) -> int | None:
        """The line with the debugger arrow, if any."""
        line = self.view.markerNext(0, 1 << Marker.CURRENT_LINE)
        return line if line >= 0 else None

    # -- appearance --------------------------------------------------------------

    def set_theme(self, name: ThemeName) -> None:
        """Switch to the ``"light"`` or ``"dark"`` theme."""
        theme = theme_named(name)
        self._theme = name
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        apply_theme(self.view, theme, font, FONT_SIZE, self._language)
        decorations.colour_decorations(self.view, theme)
        self._update_line_number_width()

    @property
    def theme(self) -> ThemeName:
        """The current theme name."""
        return self._theme

    def _update_line_number_width(self) -> None:
        digits = max(3, len(str(self.view.lineCount())))
        width = self.view.textWidth(STYLE_LINE_NUMBER, "9" * (digits + 1))
        self.view.setMarginWidthN(decorations.MARGIN_LINE_NUMBERS, width)

    # -- slots ----------------------------------------------------------------------

    def _on_view_modified(self, flags: int, position: int, length: int, lines_added: int, text: bytes, *_: int) -> None:
        change = self._tracker.on_modified(flags, position, length, bytes(text))
        if change is None:
            return
        self._version += 1
        self.sig_text_edited.emit(DocumentChanged(self._path, self._version, change))
        if lines_added:
            self._update_line_number_width()

    def _on_view_update_ui(self, updated: int) -> None:
        if not updated & _CARET_UPDATES:
            return
        state = self.caret_state()
        if state != self._caret:
            self._caret = state
            self.sig_caret_moved.emit(state)

    def _on_view_save_point_changed(self, dirty: bool) -> None:
        self.sig_dirty_changed.emit(DirtyChanged(self._path, bool(dirty)))

    def _on_view_margin_clicked(self, position: int, _modifiers: int, margin: int) -> None:
        if margin == decorations.MARGIN_SYMBOLS:
            self.sig_margin_clicked.emit(MarginClicked(self.view.lineFromPosition(position)))
        elif margin == decorations.MARGIN_TESTS:
            self.sig_test_marker_clicked.emit(TestMarkerClicked(self.view.lineFromPosition(position)))

    def _on_view_dwell_start(self, x: int, y: int) -> None:
        pos = self.view.positionFromPointClose(x, y)
        if pos < 0:
            return
        self.request_hover(self.view.to_text_position(pos))

    def _on_view_dwell_end(self, _x: int, _y: int) -> None:
        self._hover_at = None
        self.view.callTipCancel()
        self._hover_popup.hide_soon()  # (unless the mouse moves into it, to click a link)

    def _on_view_char_typed(self, char: str) -> None:
        self.sig_char_typed.emit(CharTyped(char, self.caret_position()))

    def _on_view_ctrl_clicked(self, pos: int) -> None:
        self.sig_definition_requested.emit(self.view.to_text_position(pos))

    def _on_find_bar_find_requested(self, request: FindRequested) -> None:
        self._run_search(lambda: self.find_text(request.options, request.forward) is not None or self._report("No match"))

    def _on_find_bar_replace_requested(self, request: ReplaceRequested) -> None:
        if request.replace_all:
            self._run_search(lambda: self._report(f"{self.replace_all(request.options, request.replacement)} replaced"))
        else:
            self._run_search(lambda: self.replace_current(request.options, request.replacement))

    def _on_find_bar_options_changed(self, options: search.SearchOptions) -> None:
        self._run_search(lambda: self._report(f"{search.highlight_all(self.view, options)} matches"))

    def _on_bar_closed(self) -> None:
        search.clear_highlights(self.view)
        QWidget.setFocus(self.view)

    def _run_search(self, action: Callable[[], object]) -> None:
        try:
            action()
        except search.SearchError as exc:
            self._report(str(exc))

    def _report(self, text: str) -> bool:
        self.find_bar.show_status(text)
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo: ``python -m editor.widget [FILE] [--tsc PATH] [--theme dark]``."""
    from editor.demo import run_demo

    return run_demo(argv)


if __name__ == "__main__":
    raise SystemExit(main())
