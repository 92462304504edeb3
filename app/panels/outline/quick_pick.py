"""``SymbolQuickPick``: the Go to Symbol box (Ctrl+Shift+O), a filterable popup list like VS Code's ``@``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.outline.model import filter_symbols, kind_icon, symbol_detail
from editor.lsp.outline import SYMBOL_ROLE
from editor.lsp.types import DocumentSymbol

DETAIL_ROLE = Qt.ItemDataRole.UserRole + 2
WIDTH = 560
MAX_VISIBLE_ROWS = 14


@dataclass(frozen=True)
class SymbolPicked:
    """Payload of ``SymbolQuickPick`` signals: the symbol concerned."""

    symbol: DocumentSymbol
    """The symbol chosen (Enter / click) or highlighted (arrow keys)."""


class SymbolQuickPick(QFrame):
    """A popup with a query field over the list of symbols that match it, best first.

    Arrow keys highlight (``sig_symbol_previewed``), Enter or a click chooses
    (``sig_symbol_chosen``), Escape or a click outside cancels (``sig_cancelled``).
    """

    sig_symbol_chosen = Signal(object)
    """SymbolPicked: jump to this symbol."""
    sig_symbol_previewed = Signal(object)
    """SymbolPicked: the highlighted row changed (show the symbol, keep the box open)."""
    sig_cancelled = Signal()
    """The box closed without a choice (go back to where the caret was)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("symbolQuickPick")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._symbols: tuple[DocumentSymbol, ...] = ()
        self._theme = "light"
        self._chosen = False
        self.query = QLineEdit()
        self.query.setPlaceholderText("Go to symbol in editor (type to filter)")
        self.query.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(_SymbolDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty = QLabel("No matching symbols")
        self.empty.setObjectName("quickPickEmpty")
        self.empty.setContentsMargins(8, 6, 8, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.query)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        self.query.textChanged.connect(self._on_query_text_changed)
        self.query.installEventFilter(self)
        self.list.clicked.connect(self._on_list_clicked)
        self.list.selectionModel().currentChanged.connect(self._on_list_current_changed)

    # -- API ------------------------------------------------------------------------------

    def open_over(self, anchor: QWidget, symbols: Sequence[DocumentSymbol], theme: str = "light") -> None:
        """Show the box at the top centre of `anchor` listing `symbols`, with an empty query."""
        self._theme = theme
        self._chosen = False
        self._symbols = tuple(symbols)
        self.query.blockSignals(True)
        self.query.clear()
        self.query.blockSignals(False)
        self._refill(preview=False)
        width = min(WIDTH, max(320, anchor.width() - 40))
        top_left = anchor.mapToGlobal(QPoint((anchor.width() - width) // 2, 4))
        self.setGeometry(QRect(top_left, QSize(width, self._height_for(self.model.rowCount()))))
        self.show()
        self.raise_()
        self.activateWindow()
        self.query.setFocus()

    def set_symbols(self, symbols: Sequence[DocumentSymbol]) -> None:
        """Replace the symbols (a fresher outline arrived) keeping the query."""
        self._symbols = tuple(symbols)
        if self.isVisible():
            self._refill(preview=False)

    def rows(self) -> list[str]:
        """The names listed, in order (for tests)."""
        return [str(self.model.item(row).text()) for row in range(self.model.rowCount())]

    def current_symbol(self) -> DocumentSymbol | None:
        """The highlighted symbol."""
        index = self.list.currentIndex()
        symbol = index.data(SYMBOL_ROLE) if index.isValid() else None
        return symbol if isinstance(symbol, DocumentSymbol) else None

    def choose_current(self) -> None:
        """Choose the highlighted symbol (as Enter does)."""
        symbol = self.current_symbol()
        if symbol is None:
            return
        self._chosen = True
        self.hide()
        self.sig_symbol_chosen.emit(SymbolPicked(symbol))

    # -- events -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Up/Down/PageUp/PageDown move through the list, Enter chooses, Escape cancels."""
        if watched is self.query and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                self._move(key)
                return True
        return super().eventFilter(watched, event)

    def hideEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Closing without a choice (Escape, click outside) cancels."""
        super().hideEvent(event)  # type: ignore[arg-type]
        if not self._chosen:
            self._chosen = True
            self.sig_cancelled.emit()

    # -- helpers --------------------------------------------------------------------------

    def _refill(self, preview: bool) -> None:
        keep = None if preview else self.current_symbol()
        selection = self.list.selectionModel()
        selection.blockSignals(True)  # rebuilding the rows is no move: nothing is previewed meanwhile
        self.model.clear()
        for match in filter_symbols(self._symbols, self.query.text()):
            item = QStandardItem(kind_icon(match.symbol.kind, self._theme), match.symbol.name)
            item.setData(match.symbol, SYMBOL_ROLE)
            item.setData(symbol_detail(match.symbol), DETAIL_ROLE)
            self.model.appendRow(item)
        has_rows = self.model.rowCount() > 0
        self.empty.setVisible(not has_rows)
        self.list.setVisible(has_rows)
        if has_rows:
            self.list.setCurrentIndex(self.model.index(self._row_of(keep), 0))
        selection.blockSignals(False)
        self.list.scrollTo(self.list.currentIndex())
        self.list.viewport().update()
        if has_rows and preview:
            self._preview()
        if self.isVisible():
            self.resize(self.width(), self._height_for(self.model.rowCount()))

    def _row_of(self, symbol: DocumentSymbol | None) -> int:
        """Row of the symbol with `symbol`'s name and kind nearest its line (0 if none): keeps the
        highlighted row when a fresher outline replaces the list."""
        if symbol is None:
            return 0
        rows = [(abs(s.range.start.line - symbol.range.start.line), row) for row in range(self.model.rowCount())
                if (s := self.model.item(row).data(SYMBOL_ROLE)).name == symbol.name and s.kind == symbol.kind]
        return min(rows)[1] if rows else 0

    def _height_for(self, rows: int) -> int:
        row = self.list.sizeHintForRow(0) if rows else 0
        list_height = row * min(max(rows, 1), MAX_VISIBLE_ROWS) + 6 if rows else self.empty.sizeHint().height()
        return self.query.sizeHint().height() + list_height + 16

    def _move(self, key: int) -> None:
        count = self.model.rowCount()
        if count == 0:
            return
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -MAX_VISIBLE_ROWS,
                Qt.Key.Key_PageDown: MAX_VISIBLE_ROWS}[Qt.Key(key)]
        row = self.list.currentIndex().row()
        target = (row + step) % count if abs(step) == 1 else max(0, min(count - 1, row + step))
        self.list.setCurrentIndex(self.model.index(target, 0))

    def _preview(self) -> None:
        symbol = self.current_symbol()
        if symbol is not None:
            self.sig_symbol_previewed.emit(SymbolPicked(symbol))

    def _on_query_text_changed(self, _text: str) -> None:
        self._refill(preview=True)

    def _on_list_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._preview()

    def _on_list_clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        self.list.setCurrentIndex(self.model.index(index.row(), 0))
        self.choose_current()


class _SymbolDelegate(QStyledItemDelegate):
    """Paints ``icon  name   detail`` with the detail in a muted colour."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        """Draw the row."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        detail = str(index.data(DETAIL_ROLE) or "")
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.save()
        palette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_colour = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(text_colour)
        metrics = opt.fontMetrics
        name_width = metrics.horizontalAdvance(name)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        muted = QColor(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.setPen(muted)
        detail_rect = text_rect.adjusted(name_width + 12, 0, 0, 0)
        elided = metrics.elidedText(detail, Qt.TextElideMode.ElideRight, max(0, detail_rect.width()))
        painter.drawText(detail_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        """A little taller than the default row."""
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 22))
