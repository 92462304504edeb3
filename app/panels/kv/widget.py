"""KV browser dock widget: namespaces, paged keys with a prefix filter, value view and editor."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QPlainTextEdit, QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.panels.kv.controller import MODES, KeyPage, KVEdit, ValueShown


def _expiry_text(expiration: int | None) -> str:
    if expiration is None:
        return "never"
    left = expiration - time.time()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(expiration)) + f" (in {max(left, 0):.0f} s)"


class KVBrowserWidget(QWidget):
    """The KV browser: renders what the controller sends and emits what the user asks."""

    sig_namespace_selected = Signal(str)
    """str: the namespace picked."""
    sig_prefix_changed = Signal(str)
    """str: the key prefix filter after editing."""
    sig_page_requested = Signal(int)
    """int: +1 for the next page, -1 for the previous one."""
    sig_key_selected = Signal(str)
    """str: the key whose value to show."""
    sig_mode_changed = Signal(str)
    """str: value rendering mode (auto, text, json, hex)."""
    sig_put_requested = Signal(KVEdit)
    """KVEdit: save this key/value/metadata/TTL in the current namespace."""
    sig_delete_requested = Signal(str)
    """str: delete this key from the current namespace."""
    sig_export_requested = Signal(Path)
    """Path: export the current namespace to this JSON file."""
    sig_import_requested = Signal(Path)
    """Path: import this bulk JSON file into the current namespace."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(self._create_toolbar())
        split = QSplitter(self)
        split.addWidget(self._create_keys())
        split.addWidget(self._create_value())
        layout.addWidget(split, 1)
        self.status = QLabel(self)
        layout.addWidget(self.status)

    def _create_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.namespace_box = QComboBox(self)
        self.namespace_box.textActivated.connect(self.sig_namespace_selected)
        self.prefix_edit = QLineEdit(self)
        self.prefix_edit.setPlaceholderText("key prefix")
        self.prefix_edit.editingFinished.connect(self.on_prefix_edit_finished)
        export = QPushButton("Export…", self)
        export.clicked.connect(self.on_export_clicked)
        import_ = QPushButton("Import…", self)
        import_.clicked.connect(self.on_import_clicked)
        for w in (QLabel("Namespace:", self), self.namespace_box, self.prefix_edit, export, import_):
            bar.addWidget(w)
        return bar

    def _create_keys(self) -> QWidget:
        box = QWidget(self)
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        self.keys_table = QTableWidget(0, 3, box)
        self.keys_table.setHorizontalHeaderLabels(["Key", "Expires", "Metadata"])
        self.keys_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.keys_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.keys_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.keys_table.cellClicked.connect(self.on_keys_table_cell_clicked)
        col.addWidget(self.keys_table, 1)
        pager = QHBoxLayout()
        self.prev_button = QPushButton("◀", box)
        self.prev_button.clicked.connect(lambda: self.sig_page_requested.emit(-1))
        self.page_label = QLabel(box)
        self.next_button = QPushButton("▶", box)
        self.next_button.clicked.connect(lambda: self.sig_page_requested.emit(1))
        for w in (self.prev_button, self.page_label, self.next_button):
            pager.addWidget(w)
        col.addLayout(pager)
        return box

    def _create_value(self) -> QWidget:
        box = QWidget(self)
        form = QFormLayout(box)
        self.key_edit = QLineEdit(box)
        self.mode_box = QComboBox(box)
        self.mode_box.addItems(list(MODES))
        self.mode_box.currentTextChanged.connect(self.sig_mode_changed)
        self.value_edit = QPlainTextEdit(box)
        self.value_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.info_label = QLabel(box)
        self.metadata_edit = QLineEdit(box)
        self.metadata_edit.setPlaceholderText("metadata JSON (optional)")
        self.ttl_box = QSpinBox(box)
        self.ttl_box.setRange(0, 10 ** 9)
        self.ttl_box.setSpecialValueText("no expiry")
        self.ttl_box.setSuffix(" s TTL")
        buttons = QHBoxLayout()
        save = QPushButton("Put", box)
        save.clicked.connect(self.on_save_clicked)
        delete = QPushButton("Delete", box)
        delete.clicked.connect(self.on_delete_clicked)
        buttons.addWidget(save)
        buttons.addWidget(delete)
        for label, w in (("Key", self.key_edit), ("View as", self.mode_box), ("Value", self.value_edit),
                         ("", self.info_label), ("Metadata", self.metadata_edit), ("Expiration", self.ttl_box)):
            form.addRow(label, w)
        form.addRow("", buttons)
        return box

    # -- view API --------------------------------------------------------------------
    def show_namespaces(self, names: list[str], current: str) -> None:
        """Fill the namespace chooser."""
        self.namespace_box.blockSignals(True)
        self.namespace_box.clear()
        self.namespace_box.addItems(names)
        self.namespace_box.setCurrentText(current)
        self.namespace_box.blockSignals(False)

    def show_keys(self, page: KeyPage) -> None:
        """Show one page of keys."""
        self.keys_table.setRowCount(len(page.keys))
        for row, key in enumerate(page.keys):
            meta = "" if key.metadata is None else json.dumps(key.metadata)
            for col, text in enumerate((key.name, _expiry_text(key.expiration), meta)):
                self.keys_table.setItem(row, col, QTableWidgetItem(text))
        self.page_label.setText(f"page {page.page + 1}{'+' if page.has_more else ''} · {len(page.keys)} keys")
        self.prev_button.setEnabled(page.page > 0)
        self.next_button.setEnabled(page.has_more)

    def show_value(self, value: ValueShown | None) -> None:
        """Show a value in the editor (None: clear it)."""
        if value is None:
            self.value_edit.setPlainText("")
            self.info_label.setText("")
            return
        self.key_edit.setText(value.key)
        self.value_edit.setPlainText(value.text)
        self.metadata_edit.setText(value.metadata)
        self.info_label.setText(f"{value.size} bytes · shown as {value.mode} · expires {_expiry_text(value.expiration)}")

    def show_status(self, text: str) -> None:
        """One line of status."""
        self.status.setText(text)

    # -- slots ---------------------------------------------------------------------
    def on_prefix_edit_finished(self) -> None:
        """Apply the prefix filter."""
        self.sig_prefix_changed.emit(self.prefix_edit.text())

    def on_keys_table_cell_clicked(self, row: int, _col: int) -> None:
        """Show the clicked key's value."""
        item = self.keys_table.item(row, 0)
        if item is not None:
            self.sig_key_selected.emit(item.text())

    def on_save_clicked(self) -> None:
        """Put the editor's key and value."""
        if self.key_edit.text():
            self.sig_put_requested.emit(KVEdit(self.key_edit.text(), self.value_edit.toPlainText(),
                                               self.metadata_edit.text(), self.ttl_box.value()))

    def on_delete_clicked(self) -> None:
        """Delete the editor's key."""
        if self.key_edit.text():
            self.sig_delete_requested.emit(self.key_edit.text())

    def on_export_clicked(self) -> None:
        """Ask for a file to export to."""
        path, _ = QFileDialog.getSaveFileName(self, "Export namespace", "kv.json", "JSON (*.json)")
        if path:
            self.sig_export_requested.emit(Path(path))

    def on_import_clicked(self) -> None:
        """Ask for a file to import."""
        path, _ = QFileDialog.getOpenFileName(self, "Import into namespace", "", "JSON (*.json)")
        if path:
            self.sig_import_requested.emit(Path(path))
