"""Debug panels (layout and signals only): Call Stack, Variables, Watch, Breakpoints, Debug Console.

``DebugPanel`` tabs the five together and is the controller's ``DebugView``;
each panel is also usable alone (``panel.call_stack`` etc.) for separate docks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.debug.history import InputHistory
from app.panels.debug.tree import VariableTree, value_text
from app.panels.debug.types import (
    BreakpointRow,
    BreakpointSpec,
    ChildrenLoaded,
    ConsoleEntry,
    DebugState,
    ExceptionBreaks,
    WatchValue,
)
from debugger.protocol import Scopes, StackFrame

STATUS_COLORS = {"verified": "#2e7d32", "moved": "#b26a00", "unverified": "#9e9e9e", "disabled": "#9e9e9e",
                 "pending": "#616161"}
CONSOLE_COLORS = {"error": "#c62828", "warn": "#b26a00", "info": "#616161", "result": "#1565c0"}


@dataclass(frozen=True)
class BreakpointEdited:
    """Payload of ``BreakpointsWidget.sig_breakpoint_edited``: the new settings of one breakpoint."""

    spec: BreakpointSpec
    """The breakpoint with its edited condition, hit count and log message."""


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
        self.list.setRootIsDecorated(False)
        self.list.setColumnWidth(0, 200)
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
        _vbox(self).addWidget(self.tree)

    def show_scopes(self, scopes: Scopes | None) -> None:
        """Replace the tree (None clears it)."""
        self.tree.clear_nodes()
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


class BreakpointsWidget(QWidget):
    """Every breakpoint: a checkbox enables it; condition, hit count and log message are edited in place."""

    sig_breakpoint_enabled_changed = Signal(object)
    """BreakpointSpec: the breakpoint with its new ``enabled``."""
    sig_breakpoint_edited = Signal(object)
    """BreakpointEdited: condition, hit count or log message changed."""
    sig_breakpoint_activated = Signal(object)
    """BreakpointSpec: double-clicked (open its file at its line)."""
    sig_breakpoint_removed = Signal(object)
    """BreakpointSpec: the Remove button was pressed on it."""
    sig_exception_breaks_changed = Signal(object)
    """ExceptionBreaks: an exception checkbox was toggled."""

    COLUMNS = ["Breakpoint", "Status", "Condition", "Hit count", "Log message"]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(self.COLUMNS)
        self.list.setRootIsDecorated(False)
        self.list.setColumnWidth(0, 170)
        self.list.setColumnWidth(1, 150)
        self.remove_button = QPushButton("Remove", self)
        self.uncaught_box = QCheckBox("Pause on uncaught exceptions", self)
        self.caught_box = QCheckBox("Pause on caught exceptions", self)
        self.uncaught_box.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.uncaught_box)
        row.addWidget(self.caught_box)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout = _vbox(self)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self._rows: list[BreakpointRow] = []
        self._filling = False
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
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

    def _item(self, row: BreakpointRow) -> QTreeWidgetItem:
        s = row.spec
        item = QTreeWidgetItem([f"{s.file}:{s.line}", row.describe(), s.condition or "",
                                str(s.hit_count) if s.hit_count else "", s.log_message or ""])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(0, Qt.CheckState.Checked if s.enabled else Qt.CheckState.Unchecked)
        color = "#c62828" if row.error else STATUS_COLORS.get(row.status, "#616161")
        item.setForeground(1, QBrush(QColor(color)))
        item.setToolTip(1, row.describe())
        return item

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
    """Evaluation results and the script's output, with a prompt."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(5000)
        self.input = ConsoleInput(self)
        layout = _vbox(self)
        layout.addWidget(self.output)
        layout.addWidget(self.input)

    def append_console(self, entry: ConsoleEntry) -> None:
        """Add an evaluation (``> expr`` then its value) or an output line."""
        color = CONSOLE_COLORS.get(entry.level, "#212121")
        if entry.value is not None:
            self.output.appendHtml(f'<span style="color:#616161">&gt; {_html(entry.text)}</span>')
            self.output.appendHtml(f'<span style="color:{color}">{_html(value_text(entry.value))}</span>')
        else:
            self.output.appendHtml(f'<span style="color:{color}">{_html(entry.text)}</span>')

    def text(self) -> str:
        """Everything shown."""
        return self.output.toPlainText()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


class DebugPanel(QWidget):
    """The five debug panels in tabs; implements ``DebugView``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget(self)
        self.call_stack = CallStackWidget(self.tabs)
        self.variables = VariablesWidget(self.tabs)
        self.watch = WatchWidget(self.tabs)
        self.breakpoints = BreakpointsWidget(self.tabs)
        self.console = DebugConsoleWidget(self.tabs)
        for widget, title in [(self.call_stack, "Call Stack"), (self.variables, "Variables"), (self.watch, "Watch"),
                              (self.breakpoints, "Breakpoints"), (self.console, "Debug Console")]:
            self.tabs.addTab(widget, title)
        _vbox(self).addWidget(self.tabs)
        self.state = DebugState.IDLE
        """The last state shown."""

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

    def show_watches(self, values: tuple[WatchValue, ...]) -> None:
        """Replace the Watch rows."""
        self.watch.show_watches(values)

    def show_breakpoints(self, rows: tuple[BreakpointRow, ...]) -> None:
        """Replace the Breakpoints rows."""
        self.breakpoints.show_breakpoints(rows)

    def append_console(self, entry: ConsoleEntry) -> None:
        """Add a Debug Console line."""
        self.console.append_console(entry)
