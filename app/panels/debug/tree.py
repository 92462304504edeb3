"""``VariableTree``: a lazy tree of debugger values (used by Variables and Watch).

A value cut in its row (a long string, an object's preview) is never lost: the tooltip has the whole preview,
and the context menu's **Copy Value** and **View Value…** take the whole value from the debugger (for an
object: its contents as indented JSON, see ``DebugSession.value_text``), not the text the row shows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMenu,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.debug.types import ChildrenLoaded, ExpandRequest, SectionRequest, ValueText, ValueTextRequest
from debugger.protocol import Value, Variable

NODE_ROLE = Qt.ItemDataRole.UserRole
"""Item data: the node id."""
HANDLE_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data: the engine's object handle (None for leaves)."""
PLACEHOLDER_ROLE = Qt.ItemDataRole.UserRole + 2
"""Item data: True on the "loading…" row of a node not yet expanded."""
SECTION_ROLE = Qt.ItemDataRole.UserRole + 3
"""Item data: the section key (``globals``) of a section row loaded on demand."""
VALUE_ROLE = Qt.ItemDataRole.UserRole + 4
"""Item data: (preview, type) of the row's value (for copying a value that has no handle)."""
LOADING = "loading…"


def local_value_text(preview: str, kind: str) -> str:
    """The whole text of a value the debugger sent whole (no handle): a string unquoted, else its preview."""
    if kind == "string" and preview.startswith('"'):
        try:
            decoded = json.loads(preview)
        except ValueError:
            return preview
        return decoded if isinstance(decoded, str) else preview
    return preview


def value_text(value: Value) -> str:
    """The value column text (class name before object previews)."""
    if value.class_name and not value.preview.startswith(value.class_name):
        return f"{value.class_name} {value.preview}"
    return value.preview


class VariableTree(QTreeWidget):
    """Name / value / type rows; objects expand on demand via ``sig_expand_requested``."""

    sig_expand_requested = Signal(object)
    """ExpandRequest: a node with a handle was expanded for the first time."""
    sig_section_requested = Signal(object)
    """SectionRequest: a section loaded on demand (``add_lazy_section``) was expanded for the first time."""
    sig_value_text_requested = Signal(object)
    """ValueTextRequest: Copy Value or View Value on a row whose whole value only the debugger has."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        """Which tree this is (``variables`` or ``watch``), echoed in ``ExpandRequest.tree``."""
        self._ids = itertools.count(1)
        self._nodes: dict[int, QTreeWidgetItem] = {}
        self.setHeaderLabels(["Name", "Value", "Type"])
        self.setColumnWidth(0, 95)
        self.setColumnHidden(2, True)  # a side column is narrow: the type is in each value's tooltip
        self.setHeaderHidden(True)  # (name and value read as such, as in VS Code)
        self.header().setStretchLastSection(True)
        self.setUniformRowHeights(True)
        self.itemExpanded.connect(self._on_tree_item_expanded)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu_requested)
        self.dialogs: list[ValueDialog] = []
        """View Value windows still open."""

    def clear_nodes(self) -> None:
        """Remove every row (handles die when the script resumes)."""
        self.clear()
        self._nodes.clear()

    def add_section(self, title: str, variables: Sequence[Variable], expanded: bool = True) -> QTreeWidgetItem:
        """A top-level header row with one child per variable."""
        header = QTreeWidgetItem(self, [title])
        header.setFirstColumnSpanned(True)
        font = header.font(0)
        font.setBold(True)
        header.setFont(0, font)
        for var in variables:
            self.add_value(header, var.name, var.value)
        header.setExpanded(expanded)
        return header

    def add_lazy_section(self, title: str, section: str) -> QTreeWidgetItem:
        """A collapsed top-level header whose rows are asked for (``sig_section_requested``) when expanded."""
        header = self.add_section(title, (), expanded=False)
        node = next(self._ids)
        self._nodes[node] = header
        header.setData(0, NODE_ROLE, node)
        header.setData(0, SECTION_ROLE, section)
        QTreeWidgetItem(header, [LOADING]).setData(0, PLACEHOLDER_ROLE, True)
        return header

    def add_value(self, parent: QTreeWidgetItem | None, name: str, value: Value | None) -> QTreeWidgetItem:
        """One row; expandable values get a placeholder child until loaded."""
        texts = [name, value_text(value) if value else "", value.type if value else ""]
        item = QTreeWidgetItem(parent, texts) if parent is not None else QTreeWidgetItem(self, texts)
        node = next(self._ids)
        self._nodes[node] = item
        item.setData(0, NODE_ROLE, node)
        tip = f"{texts[1]}\n({texts[2]})" if texts[2] else texts[1]
        if value is not None and value.handle is not None:
            tip += "\nRight-click: Copy Value, View Value… (all of it)"
        item.setToolTip(1, tip)
        item.setToolTip(0, name)  # a long watch expression is cut in its narrow column
        if value is not None:
            item.setData(0, VALUE_ROLE, (value.preview, value.type))
        if value is not None and value.error:
            item.setForeground(1, Qt.GlobalColor.red)
        elif value is not None and value.type == "unavailable":  # an outer frame the debugger cannot read
            item.setForeground(1, Qt.GlobalColor.gray)
        if value is not None and value.handle is not None:
            item.setData(0, HANDLE_ROLE, value.handle)
            QTreeWidgetItem(item, [LOADING]).setData(0, PLACEHOLDER_ROLE, True)
        return item

    def node_item(self, node: int) -> QTreeWidgetItem | None:
        """The row of a node id."""
        return self._nodes.get(node)

    def find_row(self, *path: str) -> QTreeWidgetItem | None:
        """The row reached by following names from the top (section titles count)."""
        items = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        found: QTreeWidgetItem | None = None
        for name in path:
            found = next((it for it in items if it is not None and it.text(0) == name), None)
            if found is None:
                return None
            items = [found.child(i) for i in range(found.childCount())]
        return found

    def show_children(self, loaded: ChildrenLoaded) -> None:
        """Replace a node's placeholder with its children (or the error)."""
        item = self._nodes.get(loaded.node)
        if loaded.tree != self.name or item is None:
            return
        item.takeChildren()
        if loaded.error:
            QTreeWidgetItem(item, ["", loaded.error, "error"])
        for var in loaded.children:
            self.add_value(item, var.name, var.value)
        if not loaded.children and not loaded.error:
            QTreeWidgetItem(item, ["", "(no properties)", ""])

    def _on_tree_item_expanded(self, item: QTreeWidgetItem) -> None:
        first = item.child(0)
        if first is None or not first.data(0, PLACEHOLDER_ROLE):
            return
        section = item.data(0, SECTION_ROLE)
        if section is not None:
            self.sig_section_requested.emit(SectionRequest(self.name, int(item.data(0, NODE_ROLE)), str(section)))
            return
        handle = item.data(0, HANDLE_ROLE)
        if handle is not None:
            self.sig_expand_requested.emit(ExpandRequest(self.name, int(item.data(0, NODE_ROLE)), int(handle)))

    # -- Copy Value, View Value -------------------------------------------------------------
    def menu_for_item(self, item: QTreeWidgetItem) -> QMenu | None:
        """The context menu of a value row (None for section headers, placeholders and empty rows)."""
        if item.data(0, VALUE_ROLE) is None:
            return None
        menu = QMenu(self)
        copy = QAction("Copy Value", menu)
        copy.triggered.connect(lambda: self.request_value_text(item, "copy"))
        view = QAction("View Value…", menu)
        view.triggered.connect(lambda: self.request_value_text(item, "view"))
        name = QAction("Copy Name", menu)
        name.triggered.connect(lambda: set_clipboard(item.text(0)))
        menu.addActions([copy, view, name])
        return menu

    def request_value_text(self, item: QTreeWidgetItem, action: str) -> None:
        """Copy (``copy``) or show (``view``) the whole value of ``item``: asked from the debugger when only it has
        all of it (``sig_value_text_requested``), else at once."""
        preview, kind = item.data(0, VALUE_ROLE)
        request = ValueTextRequest(self.name, int(item.data(0, NODE_ROLE)), int(item.data(0, HANDLE_ROLE) or 0),
                                   item.text(0), action)
        if item.data(0, HANDLE_ROLE) is not None:
            self.sig_value_text_requested.emit(request)
        else:
            self.show_value_text(ValueText(request, local_value_text(str(preview), str(kind))))

    def show_value_text(self, value: ValueText) -> None:
        """Put the whole value on the clipboard, or show it in a View Value window (an error: in the window)."""
        if value.request.tree == self.name:
            deliver_value_text(value, self, self.dialogs)

    def _on_context_menu_requested(self, point: QPoint) -> None:
        item = self.itemAt(point)
        menu = self.menu_for_item(item) if item is not None else None
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.viewport().mapToGlobal(point))


class ValueDialog(QDialog):
    """View Value: the whole of a value, read-only, wrapped, selectable, with Copy."""

    def __init__(self, name: str, text: str, parent: QWidget | None = None, *, error: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{name} — value" if not error else f"{name} — value not available")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: set_clipboard(self.text.toPlainText()))
        copy.setEnabled(not error)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(560, 380)


def deliver_value_text(value: ValueText, parent: QWidget, dialogs: list[ValueDialog]) -> None:
    """Copy Value puts the whole text on the clipboard; View Value (or an error) opens a window
    that ``dialogs`` keeps alive until it closes."""
    request = value.request
    if request.action == "copy" and value.error is None:
        set_clipboard(value.text)
        return
    dialog = ValueDialog(request.name, value.text if value.error is None else value.error, parent,
                         error=value.error is not None)
    dialogs.append(dialog)
    dialog.finished.connect(lambda _result, d=dialog: dialogs.remove(d) if d in dialogs else None)
    dialog.show()


def set_clipboard(text: str) -> None:
    """Put ``text`` on the system clipboard."""
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)
