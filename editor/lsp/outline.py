"""``SymbolListModel``: a Qt list model of a document outline (Go to Symbol / outline panel)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from editor.lsp.types import DocumentSymbol, DocumentSymbols

SYMBOL_ROLE = Qt.ItemDataRole.UserRole + 1
"""Model role holding the row's DocumentSymbol."""

KIND_NAMES = {
    2: "module", 3: "namespace", 5: "class", 6: "method", 7: "property", 8: "field",
    9: "constructor", 10: "enum", 11: "interface", 12: "function", 13: "variable",
    14: "constant", 22: "enum member", 23: "struct", 26: "type parameter",
}


def kind_name(kind: int) -> str:
    """Return a short name for an LSP SymbolKind."""
    return KIND_NAMES.get(kind, "symbol")


class SymbolListModel(QAbstractListModel):
    """Flat, indented outline rows; feed it ``EditorLspBinding.sig_symbols_updated``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._symbols: tuple[DocumentSymbol, ...] = ()

    def set_symbols(self, symbols: DocumentSymbols) -> None:
        """Replace the rows with `symbols`."""
        self.beginResetModel()
        self._symbols = symbols.symbols
        self.endResetModel()

    def symbol(self, row: int) -> DocumentSymbol:
        """Return the symbol shown in `row`."""
        return self._symbols[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        """Number of symbols (0 under any parent: the model is flat)."""
        return 0 if parent.isValid() else len(self._symbols)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text ``"  name  (kind)"``, tooltip with the line, or the symbol itself."""
        if not index.isValid() or not 0 <= index.row() < len(self._symbols):
            return None
        symbol = self._symbols[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{'    ' * symbol.depth}{symbol.name}  ({kind_name(symbol.kind)})"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"line {symbol.range.start.line + 1}"
        if role == SYMBOL_ROLE:
            return symbol
        return None
