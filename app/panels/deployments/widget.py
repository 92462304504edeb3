"""``DeploymentsPanel``: server, app and token selector, a table of versions (live marked), Refresh and Roll
back, and a status line that always says what the last Refresh did; layout and signals only."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from app.layout import ElidingLabel
from runtime.publish_client import AppInfo

COLUMNS = ("Version", "Live", "Deployed", "Size", "Hash")


@dataclass(frozen=True)
class Selection:
    """What the Deployments panel is pointed at (``DeploymentsPanel.selection``)."""

    server: str
    app: str
    token: str | None
    """A token typed into the panel (remembered per server once used), None to use the saved one."""


class DeploymentsPanel(QWidget):
    """The server's versions of one app: pick the server, app and token, Refresh, Roll back."""

    sig_refresh_requested = Signal()
    """The user pressed Refresh (the controller reads ``selection()``)."""
    sig_rollback_requested = Signal(str)
    """The version the user wants live."""
    sig_server_changed = Signal(str)
    """Another server was picked (the controller says whether a token is saved for it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addLayout(self._create_selector())
        self.title = ElidingLabel("No app selected")
        self.table = self._create_table()
        self.status = ElidingLabel("Choose a server and an app, then Refresh")  # cut to one line, all on hover
        self.status.setObjectName("deploymentsStatus")
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addLayout(self._create_buttons())
        layout.addWidget(self.status)

    def _create_selector(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.server = QComboBox(editable=True)
        self.server.setPlaceholderText("http://127.0.0.1:8788")
        self.server.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.server.setMinimumContentsLength(12)
        self.server.currentTextChanged.connect(lambda text: self.sig_server_changed.emit(text.strip()))
        self.app = QLineEdit(placeholderText="app name (the project's name)")
        self.token = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("saved token, or paste one")
        self.server.lineEdit().returnPressed.connect(self.sig_refresh_requested.emit)
        self.app.returnPressed.connect(self.sig_refresh_requested.emit)
        self.token.returnPressed.connect(self.sig_refresh_requested.emit)
        form.addRow("Server", self.server)
        form.addRow("App", self.app)
        form.addRow("Token", self.token)
        return form

    def selection(self) -> Selection:
        """The server, app and typed token."""
        return Selection(self.server.currentText().strip(), self.app.text().strip(), self.token.text().strip() or None)

    def set_selection(self, server: str, app: str) -> None:
        """Point the panel at ``app`` on ``server``."""
        if self.server.findText(server) < 0:
            self.server.insertItem(0, server)
        self.server.setCurrentText(server)
        self.app.setText(app)

    def set_servers(self, urls: list[str]) -> None:
        """Offer these servers (most recent first), keeping what is typed."""
        current = self.server.currentText()
        self.server.blockSignals(True)
        self.server.clear()
        self.server.addItems(urls)
        self.server.setCurrentText(current or (urls[0] if urls else ""))
        self.server.blockSignals(False)

    def set_app_if_empty(self, app: str) -> None:
        """Suggest the open project's app."""
        if not self.app.text().strip():
            self.app.setText(app)

    def show_token_state(self, text: str) -> None:
        """Say whether a token is saved for the chosen server (placeholder of the token field)."""
        self.token.setPlaceholderText(text)

    def token_used(self) -> None:
        """The typed token was saved for the server: clear the field (it is used from the store now)."""
        self.token.clear()

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
        self.status.setText(f"{len(info.versions)} version(s) · refreshed {time.strftime('%H:%M:%S')}")

    def show_error(self, message: str) -> None:
        """A one-line error (cut to the panel's width; the whole of it on hover)."""
        self.status.setText(f"✗ {message}")

    def show_status(self, text: str) -> None:
        """Progress or result of the last call."""
        self.status.setText(text)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a call runs."""
        self.refresh_button.setEnabled(not busy)
        self.rollback_button.setEnabled(not busy)
        self.refresh_button.setText("Refreshing…" if busy else "Refresh")

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
