"""The inline find/replace bar and go-to-line bar shown under the editor.

They hold layout and signals only; ``CodeEditor`` performs the searches.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator, QKeyEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from editor.search import SearchOptions


@dataclass(frozen=True)
class FindRequested:
    """Payload of ``FindBar.sig_find_requested``."""

    options: SearchOptions
    """What to look for."""
    forward: bool = True
    """Search direction."""


@dataclass(frozen=True)
class ReplaceRequested:
    """Payload of ``FindBar.sig_replace_requested``."""

    options: SearchOptions
    """What to look for."""
    replacement: str
    """Replacement text (``\\1``-style groups allowed with regex)."""
    replace_all: bool = False
    """Replace every match rather than the current one."""


class FindBar(QWidget):
    """Find / replace inputs with 'Regex' and 'Match case' toggles."""

    sig_find_requested = Signal(object)
    """FindRequested: find the next/previous match."""
    sig_replace_requested = Signal(object)
    """ReplaceRequested: replace the current match or all matches."""
    sig_options_changed = Signal(object)
    """SearchOptions: the pattern or a toggle changed (for live highlighting)."""
    sig_closed = Signal()
    """The bar was dismissed (Esc or the close button)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.find_edit = QLineEdit(placeholderText="Find")
        self.replace_edit = QLineEdit(placeholderText="Replace")
        self.regex_box = QCheckBox("Regex")
        self.case_box = QCheckBox("Match case")
        self.status_label = QLabel()
        self._create_layout()
        self._connect()

    def _create_layout(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (self.find_edit, self.regex_box, self.case_box):
            layout.addWidget(widget)
        self._buttons = {name: QPushButton(label) for name, label in _BUTTONS}
        layout.addWidget(self._buttons["prev"])
        layout.addWidget(self._buttons["next"])
        layout.addWidget(self.replace_edit)
        layout.addWidget(self._buttons["replace"])
        layout.addWidget(self._buttons["all"])
        layout.addWidget(self.status_label, 1)
        layout.addWidget(self._buttons["close"])

    def _connect(self) -> None:
        self.find_edit.returnPressed.connect(lambda: self.request_find(True))
        self.replace_edit.returnPressed.connect(lambda: self.request_replace(False))
        self._buttons["next"].clicked.connect(lambda: self.request_find(True))
        self._buttons["prev"].clicked.connect(lambda: self.request_find(False))
        self._buttons["replace"].clicked.connect(lambda: self.request_replace(False))
        self._buttons["all"].clicked.connect(lambda: self.request_replace(True))
        self._buttons["close"].clicked.connect(self.dismiss)
        self.find_edit.textChanged.connect(self._emit_options)
        self.regex_box.toggled.connect(self._emit_options)
        self.case_box.toggled.connect(self._emit_options)

    def options(self) -> SearchOptions:
        """Return the options currently entered."""
        return SearchOptions(
            pattern=self.find_edit.text(),
            regex=self.regex_box.isChecked(),
            match_case=self.case_box.isChecked(),
        )

    def request_find(self, forward: bool) -> None:
        """Emit a find request with the current options."""
        self.sig_find_requested.emit(FindRequested(self.options(), forward))

    def request_replace(self, replace_all: bool) -> None:
        """Emit a replace request with the current options."""
        self.sig_replace_requested.emit(ReplaceRequested(self.options(), self.replace_edit.text(), replace_all))

    def open(self, pattern: str = "", replace: bool = False) -> None:
        """Show the bar (with the replace field if `replace`), focused on the find field."""
        if pattern:
            self.find_edit.setText(pattern)
        self.replace_edit.setVisible(replace)
        self._buttons["replace"].setVisible(replace)
        self._buttons["all"].setVisible(replace)
        self.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def show_status(self, text: str) -> None:
        """Show a short status such as '3 matches' or an error."""
        self.status_label.setText(text)

    def dismiss(self) -> None:
        """Hide the bar and announce it."""
        self.hide()
        self.sig_closed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Close on Escape."""
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)

    def _emit_options(self) -> None:
        self.sig_options_changed.emit(self.options())


_BUTTONS = (
    ("prev", "Previous"),
    ("next", "Next"),
    ("replace", "Replace"),
    ("all", "Replace all"),
    ("close", "✕"),
)


class GoToLineBar(QWidget):
    """A one-field bar asking for a 1-based line number."""

    sig_line_chosen = Signal(int)
    """int: the chosen line, 0-based."""
    sig_closed = Signal()
    """The bar was dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = QLineEdit(placeholderText="Go to line")
        self.line_edit.setValidator(QIntValidator(1, 10_000_000, self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Line:"))
        layout.addWidget(self.line_edit, 1)
        self.line_edit.returnPressed.connect(self._choose)

    def open(self, line_count: int) -> None:
        """Show the bar for a document of `line_count` lines."""
        self.line_edit.setPlaceholderText(f"1 – {line_count}")
        self.line_edit.clear()
        self.show()
        self.line_edit.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Close on Escape."""
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            self.sig_closed.emit()
            return
        super().keyPressEvent(event)

    def _choose(self) -> None:
        if self.line_edit.text():
            self.hide()
            self.sig_line_chosen.emit(int(self.line_edit.text()) - 1)
