"""Debug panels (layout and signals only): Variables, Watch, Call Stack, Breakpoints, Debug Console.

``DebugPanel`` is the controller's ``DebugView`` and lays the panels out as VS
Code's Run and Debug view does: Variables, Watch, Call Stack and Breakpoints
stacked in a vertical splitter, each under its own header, all visible at once.
The Debug Console (``panel.console``) belongs to the panel but is shown
wherever the caller puts it (the IDE docks it in the bottom area, beside the
Console). Each panel is also usable alone (``panel.call_stack`` etc.).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QKeyEvent, QPainter, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.debug.history import InputHistory
from app.panels.debug.tree import ValueDialog, VariableTree, deliver_value_text, local_value_text, value_text
from app.panels.debug.types import (
    BreakpointRow,
    BreakpointSpec,
    ChildrenLoaded,
    ConsoleEntry,
    DebugState,
    ExceptionBreaks,
    ValueText,
    ValueTextRequest,
    WatchValue,
)
from debugger.protocol import Scopes, StackFrame, Value

STATUS_COLORS = {"verified": "#2e7d32", "moved": "#b26a00", "unverified": "#9e9e9e", "disabled": "#9e9e9e",
                 "pending": "#616161"}
CONSOLE_COLORS = {"error": "#c62828", "warn": "#b26a00", "info": "#616161", "result": "#1565c0"}


@dataclass(frozen=True)
class BreakpointEdited:
    """Payload of ``BreakpointsWidget.sig_breakpoint_edited``: the new settings of one breakpoint."""

    spec: BreakpointSpec
    """The breakpoint with its edited condition, hit count and log message."""


AskText = Callable[[QWidget, str, str, str], "str | None"]
"""(parent, title, label, current text) -> the new text, or None when cancelled."""


def ask_text_dialog(parent: QWidget, title: str, label: str, current: str) -> str | None:
    """A modal text prompt (the default ``AskText`` of the breakpoint menus)."""
    text, ok = QInputDialog.getText(parent, title, label, text=current)
    return text if ok else None


EDITS = (("condition", "Edit Condition…", "Pause only when this expression is true:"),
         ("hit_count", "Edit Hit Count…", "Pause from this hit on (empty: every hit):"),
         ("log_message", "Edit Log Message…", "Log instead of pausing ({expr} interpolates):"))
"""The breakpoint settings the menus edit (margin and Breakpoints list): (field, menu text, prompt)."""


def _vbox(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    return layout


class CallStackWidget(QWidget):
    """Frames of the pause; choosing one emits ``sig_frame_chosen``."""

    sig_frame_chosen = Signal(int)
    """int: index of the frame clicked (0 is the paused frame)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(["Function", "Location"])
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        _vbox(self).addWidget(self.list)
        self.list.itemClicked.connect(self._on_list_item_activated)
        self.list.itemActivated.connect(self._on_list_item_activated)

    def show_stack(self, stack: tuple[StackFrame, ...], selected: int) -> None:
        """Replace the rows and select ``selected``."""
        self.list.clear()
        for frame in stack:
            name = f"{frame.function} (async)" if frame.is_async else frame.function
            QTreeWidgetItem(self.list, [name, f"{frame.file}:{frame.line}:{frame.column}"])
        item = self.list.topLevelItem(selected)
        if item is not None:
            self.list.setCurrentItem(item)

    def choose(self, index: int) -> None:
        """Act as if row ``index`` was clicked."""
        item = self.list.topLevelItem(index)
        if item is not None:
            self.list.setCurrentItem(item)
            self.sig_frame_chosen.emit(index)

    def _on_list_item_activated(self, item: QTreeWidgetItem) -> None:
        self.sig_frame_chosen.emit(self.list.indexOfTopLevelItem(item))


class VariablesWidget(QWidget):
    """Locals, closure, module bindings and ``this`` of the selected frame, expanded lazily; Globals on demand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = VariableTree("variables", self)
        self.note = QLabel(self)
        """Why some of the frame's variables read ``<not available>`` (hidden when all can be shown)."""
        self.note.setObjectName("variablesNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.setStyleSheet("QLabel#variablesNote { font-style: italic; padding: 2px 4px; }")
        small = self.note.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.note.setFont(small)
        self.note.hide()
        layout = _vbox(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tree)

    def show_scopes(self, scopes: Scopes | None) -> None:
        """Replace the tree (None clears it); a frame that cannot show everything says why above it."""
        self.tree.clear_nodes()
        note = scopes.note if scopes is not None else None
        self.note.setText(note or "")
        self.note.setToolTip(note or "")
        self.note.setVisible(bool(note))
        if scopes is None:
            return
        self.tree.add_section("Locals", scopes.locals)
        if scopes.closure:
            self.tree.add_section("Closure", scopes.closure)
        if scopes.this is not None:
            self.tree.add_value(None, "this", scopes.this)
        if scopes.module:
            self.tree.add_section("Module", scopes.module, expanded=False)
        self.tree.add_lazy_section("Globals", "globals")


class WatchWidget(QWidget):
    """Watch expressions: type one and press Enter to add; Delete (or the button) removes the selected one."""

    sig_watch_added = Signal(str)
    """str: an expression to watch."""
    sig_watch_removed = Signal(str)
    """str: an expression to stop watching."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = QLineEdit(self)
        self.input.setPlaceholderText("Add expression to watch…")
        self.remove_button = QPushButton("Remove", self)
        self.tree = VariableTree("watch", self)
        row = QHBoxLayout()
        row.addWidget(self.input)
        row.addWidget(self.remove_button)
        layout = _vbox(self)
        layout.addLayout(row)
        layout.addWidget(self.tree)
        self.input.returnPressed.connect(self._on_input_return_pressed)
        self.remove_button.clicked.connect(self.remove_selected)
        self.tree.installEventFilter(self)

    def show_watches(self, values: tuple[WatchValue, ...]) -> None:
        """Replace the rows."""
        self.tree.clear_nodes()
        for watch in values:
            item = self.tree.add_value(None, watch.expression, watch.value)
            if watch.value is None:
                item.setText(1, "(not paused)")

    def remove_selected(self) -> None:
        """Remove the selected top-level expression."""
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is not None:
            self.sig_watch_removed.emit(item.text(0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Delete on the tree removes the selected watch."""
        if watched is self.tree and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Delete:
            self.remove_selected()
            return True
        return super().eventFilter(watched, event)

    def _on_input_return_pressed(self) -> None:
        text = self.input.text().strip()
        self.input.clear()
        if text:
            self.sig_watch_added.emit(text)


SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 1
"""Data role of a Breakpoints row's first cell: ``breakpoint_summary`` of its breakpoint."""
SHORT_STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
"""Data role of a Breakpoints row's Status cell: ``short_status`` of its row (shown while compact)."""
COMPACT_BELOW = 420
"""Width (px) of the Breakpoints list below which it shows only the Breakpoint and Status columns."""


def breakpoint_summary(spec: BreakpointSpec) -> str:
    """Condition, hit count and log message in a few words (``if n > 3 · from hit 2 · log: n={n}``; "" if none)."""
    parts = []
    if spec.condition:
        parts.append(f"if {spec.condition}")
    if spec.hit_count:
        parts.append(f"from hit {spec.hit_count}")
    if spec.log_message:
        parts.append(f"log: {spec.log_message}")
    return " · ".join(parts)


def breakpoint_tooltip(row: BreakpointRow) -> str:
    """Everything about one breakpoint, one setting a line (the list's hidden columns included)."""
    s = row.spec
    lines = [f"{s.file}:{s.line}", f"Status: {row.describe()}"]
    if s.condition:
        lines.append(f"Condition: {s.condition}")
    if s.hit_count:
        lines.append(f"Hit count: pause from hit {s.hit_count} on")
    if s.log_message:
        lines.append(f"Log message: {s.log_message}")
    lines.append("Right-click to edit the condition, hit count or log message.")
    return "\n".join(lines)


def short_status(row: BreakpointRow) -> str:
    """The status in a word or two, for the compact list (``verified``, ``→ 12`` for moved to line 12, ``error``)."""
    if row.error:
        return "error"
    if row.status == "moved" and row.actual_line is not None:
        return f"→ {row.actual_line}"
    return row.status


def elide_location(text: str, metrics: QFontMetrics, width: int) -> str:
    """``dir/file.ts:8`` in ``width`` px: leading folders go first (``…/file.ts:8``), then the middle of the name."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    parts = text.split("/")
    for first in range(1, len(parts)):
        shorter = "…/" + "/".join(parts[first:])
        if metrics.horizontalAdvance(shorter) <= width:
            return shorter
    return metrics.elidedText(parts[-1], Qt.TextElideMode.ElideMiddle, width)


class _BreakpointDelegate(QStyledItemDelegate):
    """Draws the Breakpoints list's cells and edits only Condition, Hit count and Log message in place.

    ``file:line`` loses its leading folders first when it does not fit; while the list
    is compact its summary (condition, hit count, log message) follows it, dimmed, and
    the status is shortened (``short_status``).
    """

    def __init__(self, owner: BreakpointsWidget) -> None:
        super().__init__(owner)
        self._owner = owner

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,  # noqa: N802 (Qt override)
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        """No editor for ``file:line`` and the status."""
        if index.column() < 2:
            return None  # type: ignore[return-value]
        return super().createEditor(parent, option, index)

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt override)
                        index: QModelIndex | QPersistentModelIndex) -> None:
        """A compact list shows the short status."""
        super().initStyleOption(option, index)
        if index.column() == 1 and self._owner.compact:
            short = index.data(SHORT_STATUS_ROLE)
            if short:
                option.text = short

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        """The default cell; the first cell elides its path by folders and (compact) adds the summary."""
        if index.column() != 0:
            super().paint(painter, option, index)
            return
        summary = str(index.data(SUMMARY_ROLE) or "") if self._owner.compact else ""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)  # checkbox, selection
        opt.text = text
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        rect.adjust(margin, 0, -margin, 0)
        metrics = opt.fontMetrics
        gap = metrics.horizontalAdvance("  ")
        own = rect.width()
        if summary:  # the path comes first; the summary keeps at least a word's room
            keep = min(metrics.horizontalAdvance(summary), metrics.horizontalAdvance("if x…"))
            own = max(rect.width() // 2, rect.width() - gap - keep)
        shown = elide_location(text, metrics, own)
        group = QPalette.ColorGroup.Normal if opt.state & QStyle.StateFlag.State_Active else \
            QPalette.ColorGroup.Inactive
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        color = opt.palette.color(group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(color)
        painter.drawText(QRect(rect.left(), rect.top(), own, rect.height()), align, shown)
        left = rect.left() + metrics.horizontalAdvance(shown) + gap
        room = rect.right() + 1 - left
        if summary and room > metrics.horizontalAdvance("x…"):
            color.setAlphaF(0.6)
            painter.setPen(color)
            painter.drawText(QRect(left, rect.top(), room, rect.height()), align,
                             metrics.elidedText(summary, Qt.TextElideMode.ElideRight, room))
        painter.restore()


class BreakpointsWidget(QWidget):
    """Every breakpoint: a checkbox enables it; condition, hit count and log message are edited in place.

    In a narrow side column (narrower than ``COMPACT_BELOW``) the list shows, as VS
    Code does, only ``file:line`` (with a dimmed summary of the condition, hit count
    and log message) and a compact status, without a header and without scrolling
    sideways; the tooltip tells everything and the row's context menu edits the
    hidden settings. Wider, all five columns show and are edited in place.
    """

    sig_breakpoint_enabled_changed = Signal(object)
    """BreakpointSpec: the breakpoint with its new ``enabled``."""
    sig_breakpoint_edited = Signal(object)
    """BreakpointEdited: condition, hit count or log message changed."""
    sig_breakpoint_activated = Signal(object)
    """BreakpointSpec: double-clicked (open its file at its line)."""
    sig_breakpoint_removed = Signal(object)
    """BreakpointSpec: the Remove button (or the row's Remove Breakpoint) was pressed on it."""
    sig_exception_breaks_changed = Signal(object)
    """ExceptionBreaks: an exception checkbox was toggled."""

    COLUMNS = ["Breakpoint", "Status", "Condition", "Hit count", "Log message"]

    def __init__(self, parent: QWidget | None = None, ask_text: AskText | None = None) -> None:
        super().__init__(parent)
        self._ask_text = ask_text
        """The prompt of the context menu's edits (None: ``ask_text_dialog``)."""
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(self.COLUMNS)
        self.list.setRootIsDecorated(False)
        self.list.setColumnWidth(0, 130)
        self.list.setColumnWidth(1, 80)
        self.list.setItemDelegate(_BreakpointDelegate(self))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.remove_button = QPushButton("Remove", self)
        self.uncaught_box = QCheckBox("Uncaught exceptions", self)
        self.uncaught_box.setToolTip("Pause on uncaught exceptions")
        self.caught_box = QCheckBox("Caught exceptions", self)
        self.caught_box.setToolTip("Pause on caught exceptions")
        self.uncaught_box.setChecked(True)
        row = QHBoxLayout()  # stacked, not side by side: the view is usually a narrow side column
        row.setContentsMargins(4, 0, 0, 0)
        row.addWidget(self.caught_box)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout = _vbox(self)
        self.uncaught_box.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.uncaught_box)
        layout.addLayout(row)
        layout.addWidget(self.list)
        self._rows: list[BreakpointRow] = []
        self._filling = False
        self.compact = False
        """True while the list only shows the Breakpoint and Status columns (it is narrower than ``COMPACT_BELOW``)."""
        self._wide_widths: list[int] = []
        self._set_compact(True)  # until the list is laid out (a resize decides)
        self.list.installEventFilter(self)
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.uncaught_box.toggled.connect(self._on_exception_box_toggled)
        self.caught_box.toggled.connect(self._on_exception_box_toggled)

    def show_exception_breaks(self, breaks: ExceptionBreaks) -> None:
        """Tick the exception checkboxes (without emitting)."""
        for box, checked in ((self.uncaught_box, breaks.uncaught), (self.caught_box, breaks.caught)):
            box.blockSignals(True)
            box.setChecked(checked)
            box.blockSignals(False)

    def _on_exception_box_toggled(self, _checked: bool) -> None:
        self.sig_exception_breaks_changed.emit(ExceptionBreaks(self.uncaught_box.isChecked(),
                                                               self.caught_box.isChecked()))

    @property
    def rows(self) -> tuple[BreakpointRow, ...]:
        """The rows shown."""
        return tuple(self._rows)

    def show_breakpoints(self, rows: tuple[BreakpointRow, ...]) -> None:
        """Replace the rows."""
        self._filling = True
        self._rows = list(rows)
        self.list.clear()
        for row in rows:
            self.list.addTopLevelItem(self._item(row))
        self._filling = False
        if self.compact:
            self._fit_status_column()

    def _item(self, row: BreakpointRow) -> QTreeWidgetItem:
        s = row.spec
        item = QTreeWidgetItem([f"{s.file}:{s.line}", row.describe(), s.condition or "",
                                str(s.hit_count) if s.hit_count else "", s.log_message or ""])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(0, Qt.CheckState.Checked if s.enabled else Qt.CheckState.Unchecked)
        item.setData(0, SUMMARY_ROLE, breakpoint_summary(s))
        item.setData(1, SHORT_STATUS_ROLE, short_status(row))
        color = "#c62828" if row.error else STATUS_COLORS.get(row.status, "#616161")
        item.setForeground(1, QBrush(QColor(color)))
        item.setToolTip(0, breakpoint_tooltip(row))
        item.setToolTip(1, row.describe())
        for column in (2, 3, 4):
            item.setToolTip(column, item.text(column))
        return item

    def set_list_width(self, width: int) -> None:
        """Lay the columns out for a list ``width`` px wide (compact below ``COMPACT_BELOW``)."""
        compact = width < COMPACT_BELOW
        if compact != self.compact:
            self._set_compact(compact)
        if compact:
            self._fit_status_column(width)

    def _set_compact(self, compact: bool) -> None:
        header = self.list.header()
        if compact:
            self._wide_widths = [header.sectionSize(column) for column in range(len(self.COLUMNS) - 1)]
            header.setStretchLastSection(False)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        else:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
            header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
            header.setStretchLastSection(True)
        for column in range(2, len(self.COLUMNS)):
            self.list.setColumnHidden(column, compact)
        if not compact:
            for column, width in enumerate(self._wide_widths):
                self.list.setColumnWidth(column, width)
        self.list.setHeaderHidden(compact)
        self.compact = compact
        self.list.viewport().update()

    def _fit_status_column(self, width: int | None = None) -> None:
        """A compact Status column: as wide as its longest short status, at most a quarter of the list (then elided)."""
        metrics = self.list.fontMetrics()
        texts = [short_status(row) for row in self._rows]
        needed = max((metrics.horizontalAdvance(t) for t in texts), default=metrics.horizontalAdvance("pending"))
        cap = (width if width is not None else self.list.width()) // 4
        self.list.setColumnWidth(1, max(24, min(needed + 2 * metrics.horizontalAdvance(" ") + 6, cap)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """The list was resized: compact or all columns."""
        if watched is self.list and isinstance(event, QResizeEvent):
            self.set_list_width(event.size().width())
        return super().eventFilter(watched, event)

    def menu_for_row(self, index: int) -> QMenu | None:
        """The context menu of row ``index`` (None when there is no such row; the caller shows it)."""
        if not 0 <= index < len(self._rows):
            return None
        spec = self._rows[index].spec
        menu = QMenu(self.list)
        menu.addAction("Disable Breakpoint" if spec.enabled else "Enable Breakpoint").triggered.connect(
            lambda: self.sig_breakpoint_enabled_changed.emit(dataclasses.replace(spec, enabled=not spec.enabled)))
        for field, text, prompt in EDITS:
            menu.addAction(text).triggered.connect(lambda _c=False, f=field, p=prompt: self.edit(spec.key, f, p))
        menu.addSeparator()
        menu.addAction("Remove Breakpoint").triggered.connect(lambda: self.sig_breakpoint_removed.emit(spec))
        return menu

    def edit(self, key: tuple[str, int], field: str, prompt: str = "") -> None:
        """Ask for a new ``condition`` / ``hit_count`` / ``log_message`` of the breakpoint ``key`` (file, line)."""
        spec = next((row.spec for row in self._rows if row.spec.key == key), None)
        if spec is None:
            return
        current = getattr(spec, field)
        ask = self._ask_text or ask_text_dialog
        text = ask(self, "Breakpoint", prompt or field, "" if current is None else str(current))
        if text is None:
            return
        edited = spec_with_text(spec, field, text)
        if edited != spec:
            self.sig_breakpoint_edited.emit(BreakpointEdited(edited))

    def _on_list_context_menu_requested(self, point: QPoint) -> None:
        item = self.list.itemAt(point)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = self.menu_for_row(self.list.indexOfTopLevelItem(item))
        if menu is not None:
            menu.exec(self.list.viewport().mapToGlobal(point))
            menu.deleteLater()

    def _on_list_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling:
            return
        spec = self._rows[self.list.indexOfTopLevelItem(item)].spec
        if column == 0:
            enabled = item.checkState(0) == Qt.CheckState.Checked
            if enabled != spec.enabled:
                self.sig_breakpoint_enabled_changed.emit(dataclasses.replace(spec, enabled=enabled))
        elif column >= 2:
            self.sig_breakpoint_edited.emit(BreakpointEdited(edited_spec(spec, item.text(2), item.text(3),
                                                                         item.text(4))))

    def _on_list_item_double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column <= 1:
            self.sig_breakpoint_activated.emit(self._rows[self.list.indexOfTopLevelItem(item)].spec)

    def _on_remove_button_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.sig_breakpoint_removed.emit(self._rows[self.list.indexOfTopLevelItem(item)].spec)


def edited_spec(spec: BreakpointSpec, condition: str, hit_count: str, log_message: str) -> BreakpointSpec:
    """``spec`` with the texts typed in the Breakpoints list (a hit count that is not a positive number clears it)."""
    hits = int(hit_count) if hit_count.strip().isdigit() and int(hit_count) > 0 else None
    return BreakpointSpec(spec.file, spec.line, spec.enabled, condition.strip() or None, hits,
                          log_message.strip() or None)


def spec_with_text(spec: BreakpointSpec, field: str, text: str) -> BreakpointSpec:
    """``spec`` with one setting (``condition``, ``hit_count`` or ``log_message``) set from the text typed for it."""
    texts = {"condition": spec.condition or "", "hit_count": str(spec.hit_count or ""),
             "log_message": spec.log_message or ""}
    texts[field] = text
    return edited_spec(spec, **texts)


class ConsoleInput(QLineEdit):
    """The Debug Console prompt: Enter evaluates, Up/Down walk the history."""

    sig_expression_entered = Signal(str)
    """str: the expression to evaluate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = InputHistory()
        self.setPlaceholderText("Evaluate in the paused frame…")
        self.returnPressed.connect(self._on_return_pressed)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Up/Down recall history; everything else edits."""
        if event.key() == Qt.Key.Key_Up:
            self.setText(self.history.previous(self.text()))
        elif event.key() == Qt.Key.Key_Down:
            self.setText(self.history.next())
        else:
            super().keyPressEvent(event)

    def _on_return_pressed(self) -> None:
        text = self.text()
        self.history.add(text)
        self.clear()
        if text.strip():
            self.sig_expression_entered.emit(text)


class DebugConsoleWidget(QWidget):
    """Evaluation results and the script's output, with a prompt.

    A result is shown as its preview; the output's context menu has **Copy Last Result** and **View Last
    Result…**, which take the whole of the last result from the debugger (as Copy Value in Variables does).
    """

    sig_value_text_requested = Signal(object)
    """ValueTextRequest (tree ``console``): the whole text of the last result, from the debugger."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(5000)
        self.output.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.output.customContextMenuRequested.connect(self._on_output_context_menu_requested)
        self.input = ConsoleInput(self)
        self.last_result: tuple[str, Value] | None = None
        """(expression, value) of the last evaluation shown."""
        self.dialogs: list[ValueDialog] = []
        """View Last Result windows still open."""
        layout = _vbox(self)
        layout.addWidget(self.output)
        layout.addWidget(self.input)

    def append_console(self, entry: ConsoleEntry) -> None:
        """Add an evaluation (``> expr`` then its value) or an output line."""
        color = CONSOLE_COLORS.get(entry.level, "#212121")
        if entry.value is not None:
            self.output.appendHtml(f'<span style="color:#616161">&gt; {_html(entry.text)}</span>')
            self.output.appendHtml(f'<span style="color:{color}">{_html(value_text(entry.value))}</span>')
            self.last_result = (entry.text, entry.value) if not entry.value.error else None
        else:
            self.output.appendHtml(f'<span style="color:{color}">{_html(entry.text)}</span>')

    def output_menu(self) -> QMenu:
        """The output's context menu: the usual Copy / Select All, then the last result's Copy and View."""
        menu = self.output.createStandardContextMenu()
        menu.addSeparator()
        copy = menu.addAction("Copy Last Result")
        copy.triggered.connect(lambda: self.request_last_result("copy"))
        view = menu.addAction("View Last Result…")
        view.triggered.connect(lambda: self.request_last_result("view"))
        copy.setEnabled(self.last_result is not None)
        view.setEnabled(self.last_result is not None)
        return menu

    def request_last_result(self, action: str) -> None:
        """Copy (``copy``) or show (``view``) the whole of the last result."""
        if self.last_result is None:
            return
        expression, value = self.last_result
        request = ValueTextRequest("console", 0, value.handle or 0, expression, action)
        if value.handle is not None:
            self.sig_value_text_requested.emit(request)
        else:
            self.show_value_text(ValueText(request, local_value_text(value.preview, value.type)))

    def show_value_text(self, value: ValueText) -> None:
        """Put the whole result on the clipboard, or show it in a window (an error: in the window)."""
        if value.request.tree == "console":
            deliver_value_text(value, self, self.dialogs)

    def _on_output_context_menu_requested(self, point: QPoint) -> None:
        menu = self.output_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.output.viewport().mapToGlobal(point))

    def text(self) -> str:
        """Everything shown."""
        return self.output.toPlainText()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


SECTIONS = (("variables", "Variables", 4), ("watch", "Watch", 1), ("call_stack", "Call Stack", 2),
            ("breakpoints", "Breakpoints", 2))
"""The stacked sections of ``DebugPanel``, top to bottom: (attribute, title, share of the height)."""
SECTION_MIN_LIST_HEIGHT = 44
"""Smallest height of a section's list: the four sections must fit half of a side column."""


class DebugSection(QWidget):
    """One titled section of the Run and Debug view: a header line above a panel."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"debugSection{title.replace(' ', '')}")
        self.header = QLabel(title.upper(), self)
        self.header.setObjectName("debugSectionHeader")
        font = self.header.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        self.header.setFont(font)
        self.header.setContentsMargins(6, 3, 6, 2)
        self.body = body
        layout = _vbox(self)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(body, 1)

    @property
    def title(self) -> str:
        """The header text."""
        return self.header.text()


class DebugPanel(QWidget):
    """The Run and Debug view: Variables, Watch, Call Stack and Breakpoints in one vertical splitter.

    Implements ``DebugView``; its Debug Console (``console``) has no parent until the
    caller places it (a dock of its own in the IDE).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("debugSections")
        self.splitter.setChildrenCollapsible(False)
        self.call_stack = CallStackWidget()
        self.variables = VariablesWidget()
        self.watch = WatchWidget()
        self.breakpoints = BreakpointsWidget()
        self.sections: dict[str, DebugSection] = {}
        """The sections by attribute name (``variables``, ``watch``, ``call_stack``, ``breakpoints``)."""
        for index, (name, title, stretch) in enumerate(SECTIONS):
            for tree in getattr(self, name).findChildren(QTreeWidget):
                tree.setMinimumHeight(SECTION_MIN_LIST_HEIGHT)  # (the default minimum is taller than needed)
            section = DebugSection(title, getattr(self, name), self.splitter)
            self.splitter.addWidget(section)
            self.splitter.setStretchFactor(index, stretch)
            self.sections[name] = section
        self.console = DebugConsoleWidget()
        """The Debug Console: evaluation results and the script's output (placed by the caller)."""
        _vbox(self).addWidget(self.splitter)
        self.state = DebugState.IDLE
        """The last state shown."""

    def section_state(self) -> QByteArray:
        """The sections' heights, for the settings."""
        return self.splitter.saveState()

    def restore_section_state(self, state: QByteArray | None) -> bool:
        """Give the sections the heights ``section_state`` returned last time (False: kept the defaults)."""
        return state is not None and not state.isEmpty() and self.splitter.restoreState(state)

    def show_state(self, state: DebugState) -> None:
        """Remember the state; the console prompt only works while paused."""
        self.state = state
        self.console.input.setEnabled(state is DebugState.PAUSED)

    def show_stack(self, stack: tuple[StackFrame, ...], selected: int) -> None:
        """Replace the Call Stack rows."""
        self.call_stack.show_stack(stack, selected)

    def show_scopes(self, scopes: Scopes | None) -> None:
        """Replace the Variables tree."""
        self.variables.show_scopes(scopes)

    def show_children(self, loaded: ChildrenLoaded) -> None:
        """Fill a lazily expanded node in whichever tree asked."""
        for tree in (self.variables.tree, self.watch.tree):
            tree.show_children(loaded)

    def show_value_text(self, value: ValueText) -> None:
        """Copy or show the whole value in whichever tree (or the Debug Console) asked."""
        for tree in (self.variables.tree, self.watch.tree):
            tree.show_value_text(value)
        self.console.show_value_text(value)

    def show_watches(self, values: tuple[WatchValue, ...]) -> None:
        """Replace the Watch rows."""
        self.watch.show_watches(values)

    def show_breakpoints(self, rows: tuple[BreakpointRow, ...]) -> None:
        """Replace the Breakpoints rows."""
        self.breakpoints.show_breakpoints(rows)

    def append_console(self, entry: ConsoleEntry) -> None:
        """Add a Debug Console line."""
        self.console.append_console(entry)
