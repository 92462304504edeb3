"""R2 browser dock widget: a bucket chooser and prefix filter, the objects, a preview, upload / save / delete."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.layout import ElidingLabel
from app.panels.r2.controller import ObjectRow, Preview


def human(size: int) -> str:
    for unit in ("B", "kB", "MB"):
        if size < 1000 or unit == "MB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    return str(size)


class R2BrowserWidget(QWidget):
    """Renders what the controller sends; emits what the user asks."""

    sig_bucket_selected = Signal(str)
    sig_prefix_changed = Signal(str)
    sig_key_selected = Signal(str)
    sig_upload_requested = Signal(Path)
    sig_download_requested = Signal(str, Path)
    sig_delete_requested = Signal(str)
    sig_refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        top.addWidget(QLabel("Bucket:"))
        self.bucket = QComboBox(self)
        self.bucket.setMinimumContentsLength(10)
        self.bucket.currentTextChanged.connect(self._bucket_changed)
        top.addWidget(self.bucket)
        self.prefix = QLineEdit(self)
        self.prefix.setPlaceholderText("prefix")
        self.prefix.editingFinished.connect(lambda: self.sig_prefix_changed.emit(self.prefix.text()))
        top.addWidget(self.prefix, 1)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.sig_refresh_requested.emit)
        top.addWidget(self.refresh_button)
        self.upload_button = QPushButton("Upload…", self)
        self.upload_button.setToolTip("Store a file in the bucket (under the prefix)")
        self.upload_button.clicked.connect(self._pick_upload)
        top.addWidget(self.upload_button)
        self.save_button = QPushButton("Save as…", self)
        self.save_button.clicked.connect(self._pick_download)
        top.addWidget(self.save_button)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self._delete)
        top.addWidget(self.delete_button)
        layout.addLayout(top)

        split = QSplitter(self)
        self.objects = QTableWidget(0, 4, self)
        self.objects.setHorizontalHeaderLabels(["Key", "Size", "Type", "Uploaded"])
        self.objects.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.objects.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.objects.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.objects.verticalHeader().setVisible(False)
        self.objects.setWordWrap(False)
        self.objects.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.objects.itemSelectionChanged.connect(self._selection_changed)
        split.addWidget(self.objects)
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        self.details = ElidingLabel("", self)
        column.addWidget(self.details)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        column.addWidget(self.preview, 1)
        split.addWidget(right)
        split.setSizes([520, 380])
        layout.addWidget(split, 1)
        self.status = ElidingLabel("", self)
        layout.addWidget(self.status)

    def _bucket_changed(self, name: str) -> None:
        if name:
            self.sig_bucket_selected.emit(name)

    def selected_key(self) -> str | None:
        rows = self.objects.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.objects.item(rows[0].row(), 0)
        return item.text() if item is not None else None

    def _selection_changed(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.sig_key_selected.emit(key)

    def _pick_upload(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Upload a file to the bucket")
        if path:
            self.sig_upload_requested.emit(Path(path))

    def _pick_download(self) -> None:
        key = self.selected_key()
        if key is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, f"Save {key}", key.rsplit("/", 1)[-1])
        if path:
            self.sig_download_requested.emit(key, Path(path))

    def _delete(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.sig_delete_requested.emit(key)

    # ---- the view (R2BrowserView) ------------------------------------------------------
    def show_buckets(self, names: list[str], current: str) -> None:
        self.bucket.blockSignals(True)
        self.bucket.clear()
        self.bucket.addItems(names)
        if current:
            self.bucket.setCurrentText(current)
        self.bucket.blockSignals(False)
        for widget in (self.bucket, self.prefix, self.refresh_button, self.upload_button, self.save_button,
                       self.delete_button):
            widget.setEnabled(bool(names))

    def show_objects(self, rows: list[ObjectRow], truncated: bool) -> None:
        selected = self.selected_key()
        self.objects.blockSignals(True)
        self.objects.setRowCount(len(rows))
        for r, row in enumerate(rows):
            uploaded = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.uploaded / 1000))
            for c, text in enumerate((row.key, human(row.size), row.content_type, uploaded)):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.objects.setItem(r, c, item)
            if row.key == selected:
                self.objects.selectRow(r)
        self.objects.blockSignals(False)
        for column in (1, 2, 3):
            self.objects.resizeColumnToContents(column)

    def show_preview(self, preview: Preview | None) -> None:
        self.details.setText("" if preview is None else preview.details)
        self.preview.setPlainText("" if preview is None else preview.text)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def keys(self) -> list[str]:
        """The keys listed (tests, screenshots)."""
        return [self.objects.item(r, 0).text() for r in range(self.objects.rowCount())]
