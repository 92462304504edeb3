"""``ProblemsWidget``: a table of problems (severity, message, file, line)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.panels.problems.controller import Problem

SEVERITY_GLYPHS = {"error": ("●", "#e5484d"), "warning": ("▲", "#d59b00"), "info": ("ℹ", "#3b82f6"), "hint": ("·", "#8b8b8b")}


class ProblemsWidget(QWidget):
    """The Problems list; a click emits ``sig_problem_activated``."""

    sig_problem_activated = Signal(object)
    """Problem: a row was clicked or activated with Enter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root: Path | None = None
        """Project root, to show paths relative to it."""
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["", "Message", "File", "Line"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.header().setStretchLastSection(False)
        self.table.setColumnWidth(0, 28)
        self.table.setColumnWidth(2, 160)
        self.table.setColumnWidth(3, 60)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        self.table.itemClicked.connect(self._on_table_item_activated)
        self.table.itemActivated.connect(self._on_table_item_activated)
        self._problems: list[Problem] = []

    def show_problems(self, problems: list[Problem]) -> None:
        """Replace the rows."""
        self._problems = list(problems)
        self.table.clear()
        self.table.addTopLevelItems([self._item(p) for p in problems])

    def problem_at(self, row: int) -> Problem:
        """The problem shown in ``row``."""
        return self._problems[row]

    def activate_row(self, row: int) -> None:
        """Act as if ``row`` was clicked."""
        self.sig_problem_activated.emit(self._problems[row])

    def _item(self, problem: Problem) -> QTreeWidgetItem:
        glyph, color = SEVERITY_GLYPHS.get(problem.severity, ("●", "#e5484d"))
        loc = problem.location
        file = self._display_path(loc.path) if loc else ""
        item = QTreeWidgetItem([glyph, problem.message, file, f"{loc.line}:{loc.column}" if loc else ""])
        item.setForeground(0, QBrush(QColor(color)))
        item.setTextAlignment(0, Qt.AlignmentFlag.AlignCenter)
        item.setToolTip(1, f"[{problem.source}] {problem.message}")
        return item

    def _display_path(self, path: Path) -> str:
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass  # outside the project: show the full path
        return str(path)

    def _on_table_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.sig_problem_activated.emit(self._problems[self.table.indexOfTopLevelItem(item)])


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from app.services.types import SourceLocation

    app = QApplication([])
    demo = ProblemsWidget()
    demo.show_problems([Problem(SourceLocation(Path("src/index.ts"), 3, 7), "error", "Type 'string' is not assignable", "ts")])
    demo.show()
    app.exec()
