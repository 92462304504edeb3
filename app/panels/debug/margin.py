"""``BreakpointMarginAdapter``: one ``CodeEditor``'s breakpoint margin and arrow, linked to a ``DebugController``.

A click in the symbol margin toggles a breakpoint; a right-click there opens a
menu (enable/disable, condition, hit count, log message, remove). Markers are
redrawn from the controller's store whenever breakpoints change (disabled
ones in grey, by ``CodeEditor.set_breakpoint(line, enabled=False)``), and the
debugger arrow follows ``sig_current_line_changed`` for this editor's file.

Breakpoints follow edits: Scintilla moves a line's markers with it, so after
each edit (coalesced by a zero-delay timer, once the edit is complete) the
adapter reads every breakpoint marker's line back by its handle and moves the
controller's breakpoints there (saved at once). Markers that vanished with
their text (a reload from disk replaces the whole buffer) keep their
breakpoint's line and are drawn again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QMenu

from app.panels.debug.controller import DebugController
from app.panels.debug.store import relative_file
from app.panels.debug.types import BreakpointRow, CurrentLine
from app.panels.debug.widget import EDITS, AskText, ask_text_dialog, spec_with_text
from editor.decorations import Marker
from editor.types import MarginClicked
from editor.widget import CodeEditor

__all__ = ["EDITS", "AskText", "BreakpointMarginAdapter", "ask_text_dialog"]


class BreakpointMarginAdapter(QObject):
    """Connects one editor's margin to the controller's breakpoint store (a child of the editor)."""

    def __init__(self, editor: CodeEditor, controller: DebugController, ask_text: AskText = ask_text_dialog) -> None:
        super().__init__(editor)
        self.editor = editor
        self.controller = controller
        self._ask_text = ask_text
        self._handles: dict[int, int] = {}
        """Scintilla marker handle -> the 1-based line of its breakpoint in the store."""
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(0)
        self._sync_timer.timeout.connect(self.sync_lines)
        self._links = [(editor.sig_margin_clicked, self.on_editor_margin_clicked),
                       (editor.sig_path_changed, self.on_editor_path_changed),
                       (editor.sig_text_edited, self.on_editor_text_edited),
                       (controller.sig_breakpoints_changed, self.on_controller_breakpoints_changed),
                       (controller.sig_current_line_changed, self.on_controller_current_line_changed)]
        for signal, slot in self._links:
            signal.connect(slot)
        editor.view.installEventFilter(self)
        self.refresh()

    def detach(self) -> None:
        """Disconnect from the editor and the controller, clear the markers and go away (project closed)."""
        self._sync_timer.stop()
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links = []
        self.editor.view.removeEventFilter(self)
        self.editor.clear_breakpoints()
        self.editor.set_current_line(None)
        self._handles.clear()
        self.setParent(None)
        self.deleteLater()

    @property
    def file(self) -> str | None:
        """This editor's project-relative path (None while untitled)."""
        path = self.editor.path
        return relative_file(self.controller.root, path) if path is not None else None

    def refresh(self) -> None:
        """Redraw every breakpoint marker of this file from the store (after applying pending line moves)."""
        self.flush()
        self.editor.clear_breakpoints()
        self._handles.clear()
        if self.file is None:
            return
        for spec in self.controller.store.in_file(self.file):
            self.editor.set_breakpoint(spec.line - 1, spec.enabled)
            handle = self._marker_handle(spec.line - 1)
            if handle is not None:
                self._handles[handle] = spec.line

    def _marker_handle(self, line: int) -> int | None:
        view = self.editor.view
        which = 0
        while (handle := view.markerHandleFromLine(line, which)) != -1:
            if view.markerNumberFromLine(line, which) in (Marker.BREAKPOINT, Marker.BREAKPOINT_DISABLED):
                return int(handle)
            which += 1
        return None

    def flush(self) -> None:
        """Apply line moves of an edit still waiting for the sync timer."""
        if self._sync_timer.isActive():
            self._sync_timer.stop()
            self.sync_lines()

    def sync_lines(self) -> None:
        """Move the controller's breakpoints to where their markers are now (edits moved them)."""
        file = self.file
        if file is None or not self._handles:
            return
        view = self.editor.view
        moves: dict[int, int] = {}
        vanished = False
        for handle, line in self._handles.items():
            now = int(view.markerLineFromHandle(handle))
            if now < 0:
                vanished = True
            elif now + 1 != line:
                moves[line] = now + 1
        if moves:
            self.controller.move_breakpoints(file, moves)  # its sig_breakpoints_changed redraws every editor
        elif vanished:
            self.refresh()

    def toggle_line(self, line: int) -> None:
        """Toggle the breakpoint on 0-based ``line``."""
        self.flush()
        if self.file is not None:
            self.controller.toggle_breakpoint(self.file, line + 1)

    def toggle_at_caret(self) -> None:
        """F9: toggle the breakpoint on the caret's line."""
        self.toggle_line(self.editor.caret_position().line)

    def menu_for_line(self, line: int) -> QMenu:
        """The margin context menu for 0-based ``line`` (the caller shows it)."""
        self.flush()
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
        self.flush()
        spec = self.controller.store.get(self.file, line + 1) if self.file else None
        if spec is None:
            return
        current = getattr(spec, field)
        text = self._ask_text(self.editor, "Breakpoint", prompt or field, "" if current is None else str(current))
        if text is None:
            return
        value = getattr(spec_with_text(spec, field, text), field)
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

    def on_editor_text_edited(self, _changed: object) -> None:
        """An edit: read the markers' lines back once the edit is complete."""
        if self._handles:
            self._sync_timer.start()

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
