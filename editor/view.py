"""``ScintillaView``: the configured Scintilla widget with TypeScript editing keys.

It owns keyboard behaviour (auto-close, auto-indent, shortcuts) and position
conversion; document state, diagnostics and markers live in ``CodeEditor``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QWidget
from pyside6_scintilla import Scintilla, ScintillaEdit

from editor import editing
from editor.changes import EVENT_MASK
from editor.editing import KeyAction
from editor.types import TextPosition

KeyChord = tuple[int, int]
"""(Qt key, Qt modifiers) as ints."""

BRACES = frozenset("()[]{}")
DWELL_MS = 500
_NO_TEXT_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier


def chord(key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> KeyChord:
    """Return the lookup key of a shortcut."""
    return int(key.value), int(modifiers.value)


def _decode(data: QByteArray) -> str:
    """Copy a QByteArray out (bytes() copies; .data() may alias a temporary) and decode it."""
    return bytes(data).decode("utf-8", "replace")  # type: ignore[call-overload]


class ScintillaView(ScintillaEdit):
    """Scintilla configured for TypeScript: UTF-8, spaces, brace matching, smart keys."""

    sig_char_typed = Signal(str)
    """str: a printable character the user typed (after it was applied)."""
    sig_ctrl_clicked = Signal(int)
    """int: byte position Ctrl+clicked (go to definition)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key_bindings: dict[KeyChord, Callable[[], None]] = {}
        """Shortcuts handled before Scintilla sees the key."""
        self._configure()
        self.updateUi.connect(self._on_update_ui)

    def _configure(self) -> None:
        self.setCodePage(Scintilla.CpUtf8)
        self.setUseTabs(False)
        self.setTabWidth(4)
        self.setIndent(4)
        self.setTabIndents(True)
        self.setBackSpaceUnIndents(True)
        self.setIndentationGuides(int(Scintilla.IndentView.LookBoth))
        self.setCaretLineVisible(True)
        self.setCaretLineVisibleAlways(True)
        self.setMouseDwellTime(DWELL_MS)
        self.setModEventMask(EVENT_MASK)
        self.setScrollWidthTracking(True)
        self.setScrollWidth(1)
        self.setMultipleSelection(False)
        self._configure_autocomplete()

    def _configure_autocomplete(self) -> None:
        self.autoCSetSeparator(ord("\n"))
        self.autoCSetIgnoreCase(True)
        self.autoCSetOrder(int(Scintilla.Ordering.Custom))
        self.autoCSetMaxHeight(12)
        self.autoCSetCancelAtStart(False)
        self.autoCSetAutoHide(True)

    # -- text and positions -----------------------------------------------------

    def all_text(self) -> str:
        """Return the whole buffer as str."""
        return _decode(self.getText(self.textLength() + 1))

    def text_between(self, start: int, end: int) -> str:
        """Return the text between byte positions."""
        if end <= start:
            return ""
        return _decode(self.textRange(start, end))

    def char_before(self, pos: int) -> str:
        """Return the character before byte position `pos` ('' at start)."""
        return self.text_between(self.positionBefore(pos), pos) if pos > 0 else ""

    def char_after(self, pos: int) -> str:
        """Return the character at byte position `pos` ('' at end)."""
        return self.text_between(pos, self.positionAfter(pos)) if pos < self.textLength() else ""

    def line_text(self, line: int) -> str:
        """Return line `line` without its end-of-line characters."""
        return self.text_between(self.positionFromLine(line), self.lineEndPosition(line))

    def to_text_position(self, pos: int) -> TextPosition:
        """Convert a byte position into a (line, UTF-16 column) TextPosition."""
        line = self.lineFromPosition(pos)
        return TextPosition(line, self.countCodeUnits(self.positionFromLine(line), pos))

    def to_byte_position(self, position: TextPosition) -> int:
        """Convert a TextPosition into a byte position (clamped to the document)."""
        if position.line >= self.lineCount():
            return self.textLength()
        start = self.positionFromLine(max(0, position.line))
        end = self.lineEndPosition(max(0, position.line))
        character = max(0, min(position.character, self.countCodeUnits(start, end)))
        return self.positionRelativeCodeUnits(start, character) if character else start

    def caret_position(self) -> TextPosition:
        """The caret as a TextPosition."""
        return self.to_text_position(self.currentPos())

    def word_prefix_length(self) -> int:
        """Bytes of the identifier directly before the caret."""
        caret = self.currentPos()
        return caret - self.wordStartPosition(caret, True)

    # -- keys ----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Apply shortcuts and smart editing, else let Scintilla handle the key."""
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        action = self.key_bindings.get((int(event.key()), int(modifiers.value)))
        if action is not None:
            action()
            return
        if self.autoCActive() or not self._handle_smart_key(event):
            super().keyPressEvent(event)
        text = event.text()
        if len(text) == 1 and text.isprintable() and not modifiers & _NO_TEXT_MODIFIERS:
            self.sig_char_typed.emit(text)

    def _handle_smart_key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & _NO_TEXT_MODIFIERS:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._insert_newline()
            return True
        if event.key() == Qt.Key.Key_Backspace:
            return self._delete_pair()
        text = event.text()
        return len(text) == 1 and self._type_char(text)

    def _type_char(self, char: str) -> bool:
        start, end = self.selectionStart(), self.selectionEnd()
        action = editing.typed_char_action(char, self.char_before(start), self.char_after(end), start != end)
        if action is KeyAction.INSERT:
            return False
        if action is KeyAction.SKIP:
            self.gotoPos(self.positionAfter(end))
            return True
        closer = editing.PAIRS[char]
        inner = self.text_between(start, end) if action is KeyAction.WRAP else ""
        self._replace_selection(char + inner + closer, len((char + inner).encode()))
        if action is KeyAction.WRAP:
            self.setSel(start + len(char.encode()), start + len((char + inner).encode()))
        return True

    def _insert_newline(self) -> None:
        start = self.selectionStart()
        line = self.lineFromPosition(start)
        before = self.text_between(self.positionFromLine(line), start)
        unit = "\t" if self.useTabs() else " " * max(1, self.indent())
        edit = editing.newline_edit(before, self.char_after(self.selectionEnd()), unit)
        self._replace_selection(edit.text, len(edit.text[: edit.caret_offset].encode()))
        self.scrollCaret()

    def _delete_pair(self) -> bool:
        caret = self.currentPos()
        if self.selectionStart() != self.selectionEnd():
            return False
        if not editing.deletes_pair(self.char_before(caret), self.char_after(caret)):
            return False
        start = self.positionBefore(caret)
        self.deleteRange(start, self.positionAfter(caret) - start)
        return True

    def _replace_selection(self, text: str, caret_offset: int) -> None:
        start = self.selectionStart()
        self.beginUndoAction()
        try:
            self.replaceSel(text)
            self.gotoPos(start + caret_offset)
        finally:
            self.endUndoAction()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Ctrl+click requests go-to-definition instead of adding a selection."""
        if event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            point = event.position().toPoint()
            pos = self.positionFromPointClose(point.x(), point.y())
            if pos >= 0:
                self.gotoPos(pos)
                self.sig_ctrl_clicked.emit(pos)
                return
        super().mousePressEvent(event)

    # -- brace matching -------------------------------------------------------------

    def _on_update_ui(self, _updated: int) -> None:
        caret = self.currentPos()
        for pos in (caret, self.positionBefore(caret)):
            if self.char_after(pos) in BRACES:
                match = self.braceMatch(pos, 0)
                if match >= 0:
                    self.braceHighlight(pos, match)
                else:
                    self.braceBadLight(pos)
                return
        self.braceHighlight(-1, -1)
