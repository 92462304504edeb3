"""``OutlineWidget``: the tree of the current editor's symbols (the Outline dock)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from app.panels.outline.model import SymbolNode, kind_icon, symbol_detail, symbol_tree
from editor.lsp.outline import SYMBOL_ROLE
from editor.lsp.types import DocumentSymbol, DocumentSymbols


@dataclass(frozen=True)
class SymbolActivated:
    """Payload of ``OutlineWidget.sig_symbol_activated``."""

    symbol: DocumentSymbol
    """The symbol the user clicked (or pressed Enter on)."""


class OutlineWidget(QWidget):
    """Shows an outline as a tree with kind icons and a filter box; emits the symbol the user picks."""

    sig_symbol_activated = Signal(object)
    """SymbolActivated: a symbol was clicked or chosen with Enter (jump to it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = "light"
        self._symbols: DocumentSymbols | None = None
        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter symbols")
        self.filter.setClearButtonEnabled(True)
        self.filter.setObjectName("outlineFilter")
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setExpandsOnDoubleClick(False)
        self.message = QLabel()
        self.message.setObjectName("outlineMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message.setContentsMargins(10, 8, 10, 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        filter_row = QVBoxLayout()
        filter_row.setContentsMargins(6, 4, 6, 4)
        filter_row.addWidget(self.filter)
        layout.addLayout(filter_row)
        layout.addWidget(self.message)
        layout.addWidget(self.tree, 1)
        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.tree.clicked.connect(self._on_tree_activated)
        self.tree.activated.connect(self._on_tree_activated)
        self.show_message("Open a file to see its symbols.")

    # -- state -------------------------------------------------------------------------

    def set_symbols(self, symbols: DocumentSymbols) -> None:
        """Show `symbols` as a tree (keeping the filter and which nodes were collapsed)."""
        collapsed = self._collapsed_names()
        self._symbols = symbols
        self.model.clear()
        self._add_nodes(self.model.invisibleRootItem(), symbol_tree(symbols.symbols))
        self.tree.expandAll()
        for index in self._indexes():
            if _path_key(index) in collapsed:
                self.tree.collapse(index)
        if symbols.symbols:
            self.message.hide()
        else:
            self.show_message(f"No symbols in {symbols.path.name}.")

    def clear(self, text: str) -> None:
        """Remove every row and show `text` instead."""
        self._symbols = None
        self.model.clear()
        self.show_message(text)

    def show_message(self, text: str) -> None:
        """Show a hint above the (empty) tree."""
        self.message.setText(text)
        self.message.show()

    def symbols(self) -> DocumentSymbols | None:
        """The outline on display."""
        return self._symbols

    def set_theme(self, theme: str) -> None:
        """Redraw the kind icons for ``light`` or ``dark``."""
        self._theme = theme
        if self._symbols is not None:
            self.set_symbols(self._symbols)

    def highlight(self, symbol: DocumentSymbol | None) -> None:
        """Select `symbol`'s row (the symbol at the caret) without emitting an activation."""
        index = self._index_of(symbol) if symbol is not None else QModelIndex()
        if not index.isValid():
            self.tree.clearSelection()
            return
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)

    def highlighted(self) -> DocumentSymbol | None:
        """The selected row's symbol."""
        index = self.tree.currentIndex()
        return index.data(SYMBOL_ROLE) if index.isValid() and self.tree.selectionModel().isSelected(index) else None

    def row_texts(self) -> list[str]:
        """Visible rows, depth-first, indented by two spaces per level (for tests and debugging)."""
        return ["  " * _depth(index) + str(index.data()) for index in self._indexes()]

    def activate(self, name: str) -> None:
        """Activate the first visible row called `name`, as a click would."""
        index = next((i for i in self._indexes() if i.data() == name), QModelIndex())
        if index.isValid():
            self._on_tree_activated(index)

    # -- helpers ----------------------------------------------------------------------------

    def _add_nodes(self, parent: QStandardItem, nodes: list[SymbolNode]) -> None:
        for node in nodes:
            item = QStandardItem(kind_icon(node.symbol.kind, self._theme), node.symbol.name)
            item.setData(node.symbol, SYMBOL_ROLE)
            item.setToolTip(symbol_detail(node.symbol))
            parent.appendRow(item)
            self._add_nodes(item, node.children)

    def _indexes(self, parent: QModelIndex | None = None) -> list[QModelIndex]:
        parent = parent or QModelIndex()
        out: list[QModelIndex] = []
        for row in range(self.proxy.rowCount(parent)):
            index = self.proxy.index(row, 0, parent)
            out.append(index)
            out.extend(self._indexes(index))
        return out

    def _index_of(self, symbol: DocumentSymbol) -> QModelIndex:
        return next((i for i in self._indexes() if i.data(SYMBOL_ROLE) == symbol), QModelIndex())

    def _collapsed_names(self) -> set[tuple[str, ...]]:
        return {_path_key(i) for i in self._indexes() if self.proxy.hasChildren(i) and not self.tree.isExpanded(i)}

    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self.tree.expandAll()

    def _on_tree_activated(self, index: QModelIndex | QPersistentModelIndex) -> None:
        symbol = index.data(SYMBOL_ROLE)
        if isinstance(symbol, DocumentSymbol):
            self.sig_symbol_activated.emit(SymbolActivated(symbol))


def _depth(index: QModelIndex) -> int:
    depth, parent = 0, index.parent()
    while parent.isValid():
        depth, parent = depth + 1, parent.parent()
    return depth


def _path_key(index: QModelIndex) -> tuple[str, ...]:
    names: list[str] = []
    while index.isValid():
        names.append(str(index.data()))
        index = index.parent()
    return tuple(reversed(names))
