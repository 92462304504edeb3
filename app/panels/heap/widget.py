"""Heap panel widget: isolate picker, snapshot button, sortable constructor table, growth table."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.panels.heap.controller import HeapComparison, HeapSnapshotTaken


def _cell(value: str | int) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, value)  # ints sort numerically
    if isinstance(value, int):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setSortingEnabled(True)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str | int, ...]]) -> None:
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, _cell(value))
    table.setSortingEnabled(True)


class HeapWidget(QWidget):
    """Renders snapshots; emits what the user asks for."""

    sig_snapshot_requested = Signal(int)
    """int: the isolate id to snapshot."""
    sig_save_requested = Signal(Path)
    """Path: where to save the newest snapshot (.heapsnapshot)."""
    sig_isolates_refresh_requested = Signal()
    """The user asked to re-list the live isolates."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(self._create_toolbar())
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.table = _table(split, ["Constructor", "Count", "Shallow size (B)"])
        self.grown_title = QLabel("Take two snapshots to see what grew.", split)
        self.grown_table = _table(split, ["Constructor", "Count +", "Size + (B)", "Count", "Size (B)"])
        for w in (self.table, self.grown_title, self.grown_table):
            split.addWidget(w)
        layout.addWidget(split, 1)
        self.status = QLabel(self)
        layout.addWidget(self.status)

    def _create_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.isolate_box = QComboBox(self)
        refresh = QPushButton("↻", self)
        refresh.clicked.connect(self.sig_isolates_refresh_requested)
        self.snapshot_button = QPushButton("Take snapshot", self)
        self.snapshot_button.clicked.connect(self.on_snapshot_clicked)
        save = QPushButton("Save .heapsnapshot…", self)
        save.clicked.connect(self.on_save_clicked)
        for w in (QLabel("Isolate:", self), self.isolate_box, refresh, self.snapshot_button, save):
            bar.addWidget(w)
        bar.addStretch(1)
        return bar

    # -- view API --------------------------------------------------------------------
    def show_isolates(self, ids: list[int]) -> None:
        """Fill the isolate picker."""
        self.isolate_box.clear()
        for isolate_id in ids:
            self.isolate_box.addItem(f"isolate {isolate_id}", isolate_id)

    def show_snapshot(self, taken: HeapSnapshotTaken, comparison: HeapComparison | None) -> None:
        """Show the constructor table and what grew since the previous snapshot."""
        _fill(self.table, [(r.name, r.count, r.shallow_size) for r in taken.summary.rows])
        self.table.sortItems(2, Qt.SortOrder.DescendingOrder)
        if comparison is None:
            self.grown_title.setText(f"{taken.label}: take another snapshot to see what grew.")
            _fill(self.grown_table, [])
            return
        self.grown_title.setText(f"Grew from {comparison.before} to {comparison.after}:")
        _fill(self.grown_table, [(d.name, d.count_delta, d.size_delta, d.count_after, d.size_after)
                                 for d in comparison.grown])
        self.grown_table.sortItems(2, Qt.SortOrder.DescendingOrder)

    def show_status(self, text: str) -> None:
        """One line of status."""
        self.status.setText(text)

    # -- slots ---------------------------------------------------------------------
    def on_snapshot_clicked(self) -> None:
        """Snapshot the picked isolate (the first one if none is listed)."""
        data = self.isolate_box.currentData()
        self.sig_snapshot_requested.emit(int(data) if data is not None else -1)

    def on_save_clicked(self) -> None:
        """Ask where to save the newest snapshot."""
        path, _ = QFileDialog.getSaveFileName(self, "Save heap snapshot", "isolate.heapsnapshot",
                                              "Heap snapshot (*.heapsnapshot)")
        if path:
            self.sig_save_requested.emit(Path(path))
