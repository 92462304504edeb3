"""``ConsoleWidget``: filter bar plus a table of log lines (time, level, message)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.console.controller import LEVELS, ConsoleEntry, ConsoleFilter

LEVEL_COLORS = {"error": "#e5484d", "warn": "#d59b00", "info": "#3b82f6", "debug": "#8b8b8b", "log": ""}


class ConsoleWidget(QWidget):
    """The Console: shows entries it is given and emits filter/clear intents."""

    sig_filter_changed = Signal(object)
    """ConsoleFilter: the filter text or level changed."""
    sig_cleared = Signal()
    """Clear was clicked (no payload)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit(placeholderText="Filter logs", clearButtonEnabled=True)
        self.level_box = QComboBox()
        self.level_box.addItem("All levels", "")
        for level in LEVELS:
            self.level_box.addItem(level, level)
        self.clear_button = QToolButton(text="Clear", toolTip="Clear the console")
        self.table = self._create_table()
        self._create_layout()
        self.filter_edit.textChanged.connect(self._on_filter_edit_changed)
        self.level_box.currentIndexChanged.connect(self._on_filter_edit_changed)
        self.clear_button.clicked.connect(self.sig_cleared)

    def _create_table(self) -> QTreeWidget:
        table = QTreeWidget()
        table.setHeaderLabels(["Time", "Level", "Message"])
        table.setRootIsDecorated(False)
        table.setUniformRowHeights(True)
        table.setAlternatingRowColors(True)
        table.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.header().setStretchLastSection(True)
        table.setColumnWidth(0, 100)
        table.setColumnWidth(1, 60)
        table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        return table

    def _create_layout(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.level_box)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    def show_entries(self, entries: list[ConsoleEntry]) -> None:
        """Replace all rows."""
        self.table.clear()
        self.append_entries(entries)

    def append_entries(self, entries: list[ConsoleEntry]) -> None:
        """Add rows and scroll to the newest."""
        self.table.addTopLevelItems([_item(e) for e in entries])
        self.table.scrollToBottom()

    def row_texts(self) -> list[str]:
        """The messages shown, top to bottom (for tests and copy)."""
        return [self.table.topLevelItem(i).text(2) for i in range(self.table.topLevelItemCount())]

    def _on_filter_edit_changed(self, *_args: object) -> None:
        self.sig_filter_changed.emit(ConsoleFilter(self.filter_edit.text(), self.level_box.currentData() or ""))


def _item(entry: ConsoleEntry) -> QTreeWidgetItem:
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.time)) + f".{int(entry.time * 1000) % 1000:03d}"
    item = QTreeWidgetItem([stamp, entry.level, entry.message])
    item.setToolTip(2, entry.message)
    color = LEVEL_COLORS.get(entry.level)
    if color:
        item.setForeground(1, QBrush(QColor(color)))
        if entry.level in ("error", "warn"):
            item.setForeground(2, QBrush(QColor(color)))
    item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
    return item


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    demo = ConsoleWidget()
    demo.show_entries([ConsoleEntry(level, time.time(), f"a {level} line") for level in LEVELS])
    demo.resize(700, 240)
    demo.show()
    app.exec()
