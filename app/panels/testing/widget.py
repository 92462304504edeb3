"""``TestingWidget``: the tree of test files and tests with status, duration and Run buttons."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton, QToolButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
    QWidget,
)

from app.panels.testing.controller import TestRow, TestTarget

STATUS_GLYPHS = {
    "idle": ("○", "#8b8b8b"), "queued": ("◌", "#3b82f6"), "pass": ("✓", "#2f9e44"), "fail": ("✗", "#e5484d"),
    "skip": ("↓", "#d59b00"), "todo": ("□", "#9c6ade"),
}
TARGET_ROLE = Qt.ItemDataRole.UserRole


def debug_icon(size: int = 16) -> QIcon:
    """The Debug button's face: a play triangle with a breakpoint dot (painted: no icon font or emoji needed)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#3b82f6"), 1.5))
    painter.drawPolygon(QPolygonF([QPointF(2.5, 2.0), QPointF(11.5, 7.5), QPointF(2.5, 13.0)]))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#e5484d"))
    painter.drawEllipse(QPointF(size - 4.5, size - 4.5), 3.5, 3.5)
    painter.end()
    return QIcon(pixmap)


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f} ms" if value >= 1 else f"{value:.1f} ms"


class TestingWidget(QWidget):
    """Files and their tests; ▶ on each row runs it, double-click opens it."""

    __test__ = False  # not a pytest test class

    sig_run_requested = Signal(object)
    """TestTarget | None: run that file or test (None: every test)."""
    sig_refresh_requested = Signal()
    """List the tests again."""
    sig_location_activated = Signal(object)
    """TestTarget: a row was double-clicked or activated with Enter."""
    sig_debug_requested = Signal(object)
    """TestTarget: debug that test (its Debug button or the row's context menu)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_all_button = QPushButton("▶ Run all")
        self.run_all_button.setToolTip("Run every test (isoplay test)")
        self.refresh_button = QToolButton()
        self.refresh_button.setText("⟳")
        self.refresh_button.setToolTip("List the tests again")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["", "Test", "Time", "", ""])
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.setColumnWidth(0, 44)
        self.tree.setColumnWidth(2, 60)
        self.tree.setColumnWidth(3, 28)
        self.tree.setColumnWidth(4, 28)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self._create_layout()
        self.run_all_button.clicked.connect(lambda: self.sig_run_requested.emit(None))
        self.refresh_button.clicked.connect(self.sig_refresh_requested.emit)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.itemDoubleClicked.connect(self._on_tree_item_activated)
        self._files: dict[str, QTreeWidgetItem] = {}
        self._tests: dict[tuple[str, str], QTreeWidgetItem] = {}

    def _create_layout(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.run_all_button)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)

    # ---- view API (TestingView) ---------------------------------------------------------------
    def show_files(self, files: dict[str, list[TestRow]]) -> None:
        """Replace the tree."""
        self.tree.clear()
        self._files, self._tests = {}, {}
        for file, rows in files.items():
            item = self._file_item(file)
            for row in rows:
                self._test_item(item, row)
            item.setExpanded(True)

    def update_test(self, row: TestRow) -> None:
        """Update (or add) one test row."""
        item = self._tests.get((row.file, row.name))
        if item is None:
            item = self._test_item(self._files.get(row.file) or self._file_item(row.file), row)
        self._paint(item, row.status, row.duration_ms)
        item.setToolTip(1, row.message or row.name)

    def update_file(self, file: str, status: str, duration_ms: float | None) -> None:
        """Update a file row's status."""
        item = self._files.get(file) or self._file_item(file)
        self._paint(item, status, duration_ms)
        if status == "queued":
            for (f, _name), test in self._tests.items():
                if f == file and test.text(0) == STATUS_GLYPHS["idle"][0]:
                    self._paint(test, "queued", None)

    def show_status(self, text: str) -> None:
        """The line under the tree."""
        self.status.setText(text)

    def set_running(self, running: bool) -> None:
        """Disable the Run buttons while a run goes."""
        self.run_all_button.setEnabled(not running)
        self.refresh_button.setEnabled(not running)
        for button in self.tree.findChildren(QToolButton):
            button.setEnabled(not running)

    # ---- lookups for tests and the composition root -------------------------------------------
    def test_item(self, file: str, name: str) -> QTreeWidgetItem | None:
        """The row of one test."""
        return self._tests.get((file, name))

    def file_item(self, file: str) -> QTreeWidgetItem | None:
        """The row of one file."""
        return self._files.get(file)

    def run_button(self, file: str, name: str | None = None) -> QToolButton:
        """The ▶ button of a file row (name None) or a test row."""
        item = self._files[file] if name is None else self._tests[(file, name)]
        button = self.tree.itemWidget(item, 3)
        assert isinstance(button, QToolButton)
        return button

    def debug_button(self, file: str, name: str) -> QToolButton:
        """The Debug button of a test row."""
        button = self.tree.itemWidget(self._tests[(file, name)], 4)
        assert isinstance(button, QToolButton)
        return button

    def context_actions(self, item: QTreeWidgetItem) -> list[QAction]:
        """The context menu's actions for a row (Run, Debug for a test, Go to)."""
        target = item.data(0, TARGET_ROLE)
        if not isinstance(target, TestTarget):
            return []
        actions = []
        runnable = self.tree.itemWidget(item, 3) is not None
        if runnable:
            run = QAction("Run Test" if target.test else "Run File", self.tree)
            run.triggered.connect(lambda: self.sig_run_requested.emit(target))
            actions.append(run)
        if runnable and target.test:
            debug = QAction("Debug Test", self.tree)
            debug.triggered.connect(lambda: self.sig_debug_requested.emit(target))
            actions.append(debug)
        go = QAction("Go to Test" if target.test else "Open File", self.tree)
        go.triggered.connect(lambda: self.sig_location_activated.emit(target))
        actions.append(go)
        return actions

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        actions = self.context_actions(item) if item is not None else []
        if actions:
            menu = QMenu(self.tree)
            menu.addActions(actions)
            menu.exec(self.tree.viewport().mapToGlobal(pos))

    # ---- building rows ------------------------------------------------------------------------
    def _file_item(self, file: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(["", file, "", "", ""])
        item.setData(0, TARGET_ROLE, TestTarget(file))
        self.tree.addTopLevelItem(item)
        self._files[file] = item
        self._add_run_button(item, TestTarget(file), f"Run {file}")
        self._paint(item, "idle", None)
        return item

    def _test_item(self, parent: QTreeWidgetItem, row: TestRow) -> QTreeWidgetItem:
        item = QTreeWidgetItem(["", row.name, "", "", ""])
        item.setData(0, TARGET_ROLE, TestTarget(row.file, row.name))
        parent.addChild(item)
        self._tests[(row.file, row.name)] = item
        if row.status not in ("skip", "todo"):
            target = TestTarget(row.file, row.name)
            self._add_run_button(item, target, f"Run {row.name}")
            debug = QToolButton()
            debug.setIcon(debug_icon())
            debug.setAutoRaise(True)
            debug.setToolTip(f"Debug {row.name} (stops at breakpoints in the test and in the worker)")
            debug.setAccessibleName("Debug Test")
            debug.clicked.connect(lambda: self.sig_debug_requested.emit(target))
            self.tree.setItemWidget(item, 4, debug)
        self._paint(item, row.status, row.duration_ms)
        return item

    def _add_run_button(self, item: QTreeWidgetItem, target: TestTarget, tip: str) -> None:
        button = QToolButton()
        button.setText("▶")
        button.setAutoRaise(True)
        button.setToolTip(tip)
        button.clicked.connect(lambda: self.sig_run_requested.emit(target))
        self.tree.setItemWidget(item, 3, button)

    def _paint(self, item: QTreeWidgetItem, status: str, duration_ms: float | None) -> None:
        glyph, color = STATUS_GLYPHS.get(status, STATUS_GLYPHS["idle"])
        item.setText(0, glyph)
        item.setForeground(0, QBrush(QColor(color)))
        item.setTextAlignment(0, Qt.AlignmentFlag.AlignCenter)
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole, status)
        item.setText(2, _ms(duration_ms))

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        target = item.data(0, TARGET_ROLE)
        if isinstance(target, TestTarget):
            self.sig_location_activated.emit(target)

