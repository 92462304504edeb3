"""D1 browser dock widget: a database chooser, its tables, an SQL box and a results grid."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton,
    QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.layout import ElidingLabel
from app.panels.d1.controller import QueryShown, TableInfo

MAX_CELL_CHARS = 200


def cell_text(value: Any) -> str:
    """A value as the grid shows it: NULL, a blob's size, or the text cut to ``MAX_CELL_CHARS``."""
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return f"<blob, {len(value)} bytes>"
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS - 1] + "…"


class D1BrowserWidget(QWidget):
    """Renders what the controller sends; emits what the user asks."""

    sig_database_selected = Signal(str)
    sig_refresh_requested = Signal()
    sig_table_selected = Signal(str)
    sig_run_requested = Signal(str)
    """str: the SQL to run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        top.addWidget(QLabel("Database:"))
        self.database = QComboBox(self)
        self.database.setMinimumContentsLength(12)
        self.database.currentTextChanged.connect(self._database_changed)
        top.addWidget(self.database)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Reload the table list")
        self.refresh_button.clicked.connect(self.sig_refresh_requested.emit)
        top.addWidget(self.refresh_button)
        self.run_button = QPushButton("▶ Run SQL", self)
        self.run_button.setToolTip("Run the SQL on the chosen database (Ctrl+Enter)")
        self.run_button.clicked.connect(self._emit_run)
        top.addWidget(self.run_button)
        top.addStretch(1)
        layout.addLayout(top)

        split = QSplitter(self)
        self.tables = QListWidget(self)
        self.tables.setToolTip("Click a table to show its first rows")
        self.tables.itemClicked.connect(lambda item: self.sig_table_selected.emit(item.data(Qt.ItemDataRole.UserRole)))
        split.addWidget(self.tables)
        right = QSplitter(Qt.Orientation.Vertical, self)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.sql = QPlainTextEdit(self)
        self.sql.setFont(fixed)
        self.sql.setPlaceholderText("SELECT * FROM ...   (Ctrl+Enter runs it; several statements run in one transaction)")
        right.addWidget(self.sql)
        run = QShortcut(QKeySequence("Ctrl+Return"), self.sql)
        run.activated.connect(self._emit_run)
        self.grid = QTableWidget(self)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setFont(fixed)
        right.addWidget(self.grid)
        right.setStretchFactor(1, 4)
        right.setSizes([60, 240])
        split.addWidget(right)
        split.setStretchFactor(1, 4)
        split.setSizes([170, 680])
        layout.addWidget(split, 1)
        self.status = ElidingLabel("", self)
        layout.addWidget(self.status)

    def _database_changed(self, name: str) -> None:
        if name:
            self.sig_database_selected.emit(name)

    def _emit_run(self) -> None:
        sql = self.sql.toPlainText().strip()
        if sql:
            self.sig_run_requested.emit(sql)

    # ---- the view (D1BrowserView) ------------------------------------------------------
    def show_databases(self, names: list[str], current: str) -> None:
        self.database.blockSignals(True)
        self.database.clear()
        self.database.addItems(names)
        if current:
            self.database.setCurrentText(current)
        self.database.blockSignals(False)
        for widget in (self.database, self.refresh_button, self.run_button, self.sql):
            widget.setEnabled(bool(names))

    def show_tables(self, tables: list[TableInfo]) -> None:
        selected = self.tables.currentItem().data(Qt.ItemDataRole.UserRole) if self.tables.currentItem() else None
        self.tables.clear()
        for table in tables:
            label = table.name + (f"  ({table.rows} row{'s' if table.rows != 1 else ''})" if table.rows is not None
                                  else "  (view)")
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, table.name)
            self.tables.addItem(item)
            if table.name == selected:
                self.tables.setCurrentItem(item)

    def show_result(self, result: QueryShown | None) -> None:
        self.grid.clear()
        if result is None:
            self.grid.setRowCount(0)
            self.grid.setColumnCount(0)
            return
        self.grid.setColumnCount(len(result.columns))
        self.grid.setHorizontalHeaderLabels(result.columns)
        self.grid.setRowCount(len(result.rows))
        for r, row in enumerate(result.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(cell_text(value))
                if value is None:
                    item.setForeground(Qt.GlobalColor.gray)
                self.grid.setItem(r, c, item)
        self.grid.resizeColumnsToContents()

    def set_sql(self, sql: str) -> None:
        self.sql.setPlainText(sql)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def table_names(self) -> list[str]:
        """The tables listed (tests, screenshots)."""
        return [self.tables.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.tables.count())]
