"""``RecordingsPanel``: a table of recordings with Replay, Replay in debugger, Save into project and
Save as test; layout and signals only (the controller does the work)."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.panels.recordings.controller import NOT_KEPT, RecordingRow

COLUMNS = ("Trigger", "What", "Outcome", "Status", "Duration", "Version", "Time", "Where")


class RecordingsPanel(QWidget):
    """Recorded invocations of the app (server) and of the project (local files)."""

    sig_refresh_requested = Signal()
    sig_replay_requested = Signal(object)
    """RecordingRow to replay."""
    sig_debug_requested = Signal(object)
    """RecordingRow to replay in the debugger."""
    sig_save_requested = Signal(object)
    """RecordingRow to write into the project."""
    sig_save_test_requested = Signal(object)
    """RecordingRow to write as a test."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[RecordingRow] = []
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.sig_refresh_requested.emit)
        self.replay_button = QPushButton("Replay")
        self.debug_button = QPushButton("Replay in debugger")
        self.save_button = QPushButton("Save into project")
        self.save_test_button = QPushButton("Save as test")
        for button, signal in ((self.replay_button, self.sig_replay_requested),
                               (self.debug_button, self.sig_debug_requested),
                               (self.save_button, self.sig_save_requested),
                               (self.save_test_button, self.sig_save_test_requested)):
            button.clicked.connect(lambda _=False, s=signal: self._emit_selected(s))
        for button in (self.refresh_button, self.replay_button, self.debug_button, self.save_button,
                       self.save_test_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._busy = False
        self._selection_changed()

    def selected(self) -> RecordingRow | None:
        """The recording in the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def _emit_selected(self, signal: Signal) -> None:
        row = self.selected()
        if row is not None:
            signal.emit(row)  # type: ignore[attr-defined]

    def _selection_changed(self) -> None:
        row = self.selected()
        has = row is not None and row.source != NOT_KEPT and not self._busy
        for button in (self.replay_button, self.debug_button, self.save_test_button):
            button.setEnabled(has)
        self.save_button.setEnabled(has and row is not None and row.source == "server")

    # ---- RecordingsView --------------------------------------------------------------------
    def show_rows(self, rows: list[RecordingRow]) -> None:
        """One row per recording, newest first."""
        self.rows = list(rows)
        self.table.setRowCount(len(rows))
        for r, rec in enumerate(rows):
            s = rec.summary
            started = float(s.get("started") or 0.0)
            cells = (str(s.get("trigger") or ""), str(s.get("what") or ""), str(s.get("outcome") or ""),
                     str(s.get("status") or ""), f"{float(s.get('duration_ms') or 0.0):.1f} ms",
                     str(s.get("version") or ""),
                     time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if started else "",
                     rec.source)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1 and s.get("error"):
                    item.setToolTip(str(s["error"]))
                self.table.setItem(r, c, item)
        self._selection_changed()

    def show_message(self, message: str) -> None:
        """The status line."""
        self.status.setText(message)

    def set_busy(self, busy: bool) -> None:
        """Disable the actions while a call runs."""
        self._busy = busy
        self.refresh_button.setEnabled(not busy)
        self._selection_changed()


def demo() -> int:
    """Show the panel with sample rows (``python -m app.panels.recordings``)."""
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    panel = RecordingsPanel()
    panel.show_rows([
        RecordingRow("server", "r1", {"trigger": "fetch", "what": "GET https://shop/fail?id=1", "outcome": "error",
                                      "status": None, "duration_ms": 12.5, "version": "1.2.0",
                                      "started": time.time(), "error": "failed for ada"}),
        RecordingRow("local", "r2", {"trigger": "run", "what": "run", "outcome": "ok", "duration_ms": 3.1,
                                     "version": "1.2.0", "started": time.time() - 60})])
    panel.show()
    return app.exec()
