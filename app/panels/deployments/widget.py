"""``DeploymentsPanel``: a table of versions (live marked) with Refresh and Roll back; layout and signals only."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.layout import ElidingLabel
from runtime.publish_client import AppInfo

COLUMNS = ("Version", "Live", "Deployed", "Size", "Hash")


class DeploymentsPanel(QWidget):
    """The server's versions of one app."""

    sig_refresh_requested = Signal()
    """The user pressed Refresh."""
    sig_rollback_requested = Signal(str)
    """The version the user wants live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.title = ElidingLabel("No app selected")
        self.table = self._create_table()
        self.status = ElidingLabel("")  # a long error is cut to one line, the whole of it on hover
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addLayout(self._create_buttons())
        layout.addWidget(self.status)

    def _create_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        return table

    def _create_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.sig_refresh_requested.emit)
        self.rollback_button = QPushButton("Roll back to selected")
        self.rollback_button.clicked.connect(self.on_rollback_clicked)
        row.addWidget(self.refresh_button)
        row.addWidget(self.rollback_button)
        row.addStretch(1)
        return row

    def on_rollback_clicked(self) -> None:
        """Ask for the selected version to go live."""
        version = self.selected_version()
        if version is not None:
            self.sig_rollback_requested.emit(version)

    def selected_version(self) -> str | None:
        """The version in the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.text() if item is not None else None

    # ---- DeploymentsView ----------------------------------------------------------
    def show_app(self, info: AppInfo) -> None:
        """One row per version, the live one in bold."""
        self.title.setText(f"{info.name}: live {info.live_version or '(none)'} — {info.url}")
        self.table.setRowCount(len(info.versions))
        for row, v in enumerate(info.versions):
            cells = (v.version, "● live" if v.live else "", time.strftime("%Y-%m-%d %H:%M", time.localtime(v.deployed_at)),
                     f"{v.size_bytes / 1000:.1f} kB", v.content_hash[:12])
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if v.live:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.status.setText("")

    def show_error(self, message: str) -> None:
        """A one-line error."""
        self.status.setText(message)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a call runs."""
        self.refresh_button.setEnabled(not busy)
        self.rollback_button.setEnabled(not busy)

    def live_row(self) -> int | None:
        """The row of the live version, if listed."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            if item is not None and item.text():
                return row
        return None


def demo() -> int:
    """Show the panel with sample data (``python -m app.panels.deployments``)."""
    import sys

    from PySide6.QtWidgets import QApplication

    from runtime.publish_client import VersionInfo

    app = QApplication.instance() or QApplication(sys.argv)
    panel = DeploymentsPanel()
    panel.show_app(AppInfo("hello", "1.0.0", "http://127.0.0.1:8788/hello/", (
        VersionInfo("1.1.0", "ab" * 32, 12_000, time.time(), False, "http://127.0.0.1:8788/hello@1.1.0/"),
        VersionInfo("1.0.0", "cd" * 32, 11_000, time.time() - 3600, True, "http://127.0.0.1:8788/hello@1.0.0/"))))
    panel.show()
    return app.exec()
