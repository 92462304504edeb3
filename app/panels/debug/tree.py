"""``VariableTree``: a lazy tree of debugger values (used by Variables and Watch)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from app.panels.debug.types import ChildrenLoaded, ExpandRequest, SectionRequest
from debugger.protocol import Value, Variable

NODE_ROLE = Qt.ItemDataRole.UserRole
"""Item data: the node id."""
HANDLE_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data: the engine's object handle (None for leaves)."""
PLACEHOLDER_ROLE = Qt.ItemDataRole.UserRole + 2
"""Item data: True on the "loading…" row of a node not yet expanded."""
SECTION_ROLE = Qt.ItemDataRole.UserRole + 3
"""Item data: the section key (``globals``) of a section row loaded on demand."""
LOADING = "loading…"


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
        item.setToolTip(1, f"{texts[1]}\n({texts[2]})" if texts[2] else texts[1])
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
