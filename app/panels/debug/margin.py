"""``BreakpointMarginAdapter``: one ``CodeEditor``'s breakpoint margin and arrow, linked to a ``DebugController``.

A click in the symbol margin toggles a breakpoint; a right-click there opens a
menu (enable/disable, condition, hit count, log message, remove). Markers are
redrawn from the controller's store whenever breakpoints change (disabled
ones in grey, by ``CodeEditor.set_breakpoint(line, enabled=False)``), and the
debugger arrow follows ``sig_current_line_changed`` for this editor's file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app.panels.debug.controller import DebugController
from app.panels.debug.store import relative_file
from app.panels.debug.types import BreakpointRow, CurrentLine
from editor.types import MarginClicked
from editor.widget import CodeEditor

AskText = Callable[[QWidget, str, str, str], "str | None"]
"""(parent, title, label, current text) -> the new text, or None when cancelled."""


def ask_text_dialog(parent: QWidget, title: str, label: str, current: str) -> str | None:
    """A modal text prompt (the default ``AskText``)."""
    text, ok = QInputDialog.getText(parent, title, label, text=current)
    return text if ok else None


EDITS = (("condition", "Edit Condition…", "Pause only when this expression is true:"),
         ("hit_count", "Edit Hit Count…", "Pause from this hit on (empty: every hit):"),
         ("log_message", "Edit Log Message…", "Log instead of pausing ({expr} interpolates):"))


class BreakpointMarginAdapter(QObject):
    """Connects one editor's margin to the controller's breakpoint store (a child of the editor)."""

    def __init__(self, editor: CodeEditor, controller: DebugController, ask_text: AskText = ask_text_dialog) -> None:
        super().__init__(editor)
        self.editor = editor
        self.controller = controller
        self._ask_text = ask_text
        editor.sig_margin_clicked.connect(self.on_editor_margin_clicked)
        editor.sig_path_changed.connect(self.on_editor_path_changed)
        controller.sig_breakpoints_changed.connect(self.on_controller_breakpoints_changed)
        controller.sig_current_line_changed.connect(self.on_controller_current_line_changed)
        editor.view.installEventFilter(self)
        self.refresh()

    @property
    def file(self) -> str | None:
        """This editor's project-relative path (None while untitled)."""
        path = self.editor.path
        return relative_file(self.controller.root, path) if path is not None else None

    def refresh(self) -> None:
        """Redraw every breakpoint marker of this file from the store."""
        self.editor.clear_breakpoints()
        if self.file is None:
            return
        for spec in self.controller.store.in_file(self.file):
            self.editor.set_breakpoint(spec.line - 1, spec.enabled)

    def toggle_line(self, line: int) -> None:
        """Toggle the breakpoint on 0-based ``line``."""
        if self.file is not None:
            self.controller.toggle_breakpoint(self.file, line + 1)

    def toggle_at_caret(self) -> None:
        """F9: toggle the breakpoint on the caret's line."""
        self.toggle_line(self.editor.caret_position().line)

    def menu_for_line(self, line: int) -> QMenu:
        """The margin context menu for 0-based ``line`` (the caller shows it)."""
        menu = QMenu(self.editor)
        spec = self.controller.store.get(self.file, line + 1) if self.file else None
        if spec is None:
            menu.addAction("Add Breakpoint").triggered.connect(lambda: self.toggle_line(line))
            return menu
        file, one_based = spec.file, spec.line
        label = "Disable Breakpoint" if spec.enabled else "Enable Breakpoint"
        menu.addAction(label).triggered.connect(
            lambda: self.controller.set_breakpoint_enabled(file, one_based, not spec.enabled))
        for field, text, prompt in EDITS:
            menu.addAction(text).triggered.connect(lambda _c=False, f=field, p=prompt: self.edit(line, f, p))
        menu.addSeparator()
        menu.addAction("Remove Breakpoint").triggered.connect(lambda: self.controller.remove_breakpoint(file, one_based))
        return menu

    def edit(self, line: int, field: str, prompt: str = "") -> None:
        """Ask for a new condition / hit count / log message of the breakpoint on 0-based ``line``."""
        spec = self.controller.store.get(self.file, line + 1) if self.file else None
        if spec is None:
            return
        current = getattr(spec, field)
        text = self._ask_text(self.editor, "Breakpoint", prompt or field, "" if current is None else str(current))
        if text is None:
            return
        value: object = text.strip() or None
        if field == "hit_count":
            value = int(text) if text.strip().isdigit() and int(text) > 0 else None
        self.controller.edit_breakpoint(spec.file, spec.line, **{field: value})

    def line_at(self, point: QPoint) -> int | None:
        """The 0-based line under a point of the editor view when the point is in the breakpoint margin."""
        view = self.editor.view
        left = view.marginWidthN(0)
        if not left <= point.x() < left + view.marginWidthN(1):
            return None
        return int(view.lineFromPosition(view.positionFromPoint(left + view.marginWidthN(1) + 1, point.y())))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Right-click in the breakpoint margin opens the breakpoint menu."""
        if watched is self.editor.view and isinstance(event, QContextMenuEvent):
            line = self.line_at(event.pos())
            if line is not None and self.file is not None:
                menu = self.menu_for_line(line)
                menu.exec(event.globalPos())
                menu.deleteLater()
                return True
        return super().eventFilter(watched, event)

    def on_editor_margin_clicked(self, clicked: MarginClicked) -> None:
        """A margin click toggles the breakpoint on that line."""
        self.toggle_line(clicked.line)

    def on_editor_path_changed(self, _changed: object) -> None:
        """Saved under a new name: redraw for the new file."""
        self.refresh()

    def on_controller_breakpoints_changed(self, _rows: tuple[BreakpointRow, ...]) -> None:
        """Breakpoints changed somewhere: redraw this file's markers."""
        self.refresh()

    def on_controller_current_line_changed(self, current: CurrentLine) -> None:
        """Move (or clear) the debugger arrow."""
        mine = current.path is not None and self.editor.path is not None and \
            Path(current.path).resolve() == self.editor.path.resolve()
        self.editor.set_current_line(current.line - 1 if mine and current.line is not None else None)
