"""``EditorTabs``: the central tab widget of CodeEditors, with the welcome view when empty."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QMessageBox,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QWidget,
)

from app.layout import bounded
from app.panels.welcome import WelcomeView
from editor.types import ThemeName
from editor.widget import CodeEditor

DIRTY_MARK = " ●"
CLOSE_BUTTON_SIZE = 18


class TabCloseButton(QAbstractButton):
    """A flat ``×`` drawn in the palette's text colour, with a rounded hover background.

    Drawn rather than taken from the style: Fusion under an application style
    sheet falls back to the platform theme's window-close icon (a red square on
    some desktops), which reads as an alarm on every tab.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tabCloseButton")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Close (Ctrl+W)")
        self.setFixedSize(CLOSE_BUTTON_SIZE, CLOSE_BUTTON_SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """A small square."""
        return QSize(CLOSE_BUTTON_SIZE, CLOSE_BUTTON_SIZE)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Hover background, then the cross."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        if self.underMouse():
            hover = QColor(text)
            hover.setAlpha(45 if self.isDown() else 28)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(hover)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 3, 3)
        cross = QColor(text)
        cross.setAlpha(230 if self.underMouse() else 150)
        pen = QPen(cross, 1.4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        centre, arm = QRectF(self.rect()).center(), 3.6
        painter.drawLine(centre + QPointF(-arm, -arm), centre + QPointF(arm, arm))
        painter.drawLine(centre + QPointF(-arm, arm), centre + QPointF(arm, -arm))
        painter.end()


@dataclass(frozen=True)
class EditorEvent:
    """Payload of ``EditorTabs`` signals: the editor concerned (None: no editor)."""

    editor: CodeEditor | None
    """The editor."""


class EditorTabs(QStackedWidget):
    """Tabs of ``CodeEditor``; passive: the controller decides what opens, saves and closes."""

    sig_close_requested = Signal(object)
    """EditorEvent: the tab's close button was clicked."""
    sig_current_changed = Signal(object)
    """EditorEvent: another tab became current (editor None when the last one closed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideMiddle)
        self.tabs.tabBar().installEventFilter(self)
        self.welcome_view = WelcomeView()
        """Recent projects, New from template, Open Folder (app/panels/welcome)."""
        self.welcome = bounded(self.welcome_view)
        self.addWidget(self.welcome)
        self.addWidget(self.tabs)
        self.root: Path | None = None
        """Project root, for tab tooltips."""
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

    def add_editor(self, path: Path, text: str, theme: ThemeName) -> CodeEditor:
        """Create an editor showing ``text`` as ``path`` in a new tab and make it current."""
        editor = CodeEditor(theme=theme)
        editor.set_document(path, text)
        index = self.tabs.addTab(editor, path.name)
        self.tabs.setTabToolTip(index, str(path))
        close = TabCloseButton()
        close.clicked.connect(lambda: self.sig_close_requested.emit(EditorEvent(editor)))
        self.tabs.tabBar().setTabButton(index, QTabBar.ButtonPosition.RightSide, close)
        self.tabs.setCurrentIndex(index)
        self.setCurrentWidget(self.tabs)
        return editor

    def remove_editor(self, editor: CodeEditor) -> None:
        """Close ``editor``'s tab and delete the editor."""
        index = self.tabs.indexOf(editor)
        if index >= 0:
            self.tabs.removeTab(index)
        editor.deleteLater()
        if self.tabs.count() == 0:
            self.setCurrentWidget(self.welcome)

    def editors(self) -> list[CodeEditor]:
        """Open editors in tab order."""
        return [w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), CodeEditor)]

    def current_editor(self) -> CodeEditor | None:
        """The editor in the current tab."""
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, CodeEditor) else None

    def set_current(self, editor: CodeEditor) -> None:
        """Bring ``editor``'s tab to the front."""
        self.tabs.setCurrentWidget(editor)

    def set_tab_state(self, editor: CodeEditor, path: Path, dirty: bool) -> None:
        """Title (file name + dirty marker) and tooltip of ``editor``'s tab."""
        index = self.tabs.indexOf(editor)
        if index >= 0:
            self.tabs.setTabText(index, path.name + (DIRTY_MARK if dirty else ""))
            self.tabs.setTabToolTip(index, str(path))

    def tab_title(self, editor: CodeEditor) -> str:
        """The tab text of ``editor`` (for tests)."""
        return self.tabs.tabText(self.tabs.indexOf(editor))

    def close_button(self, editor: CodeEditor) -> QAbstractButton | None:
        """The close button on ``editor``'s tab."""
        button = self.tabs.tabBar().tabButton(self.tabs.indexOf(editor), QTabBar.ButtonPosition.RightSide)
        return button if isinstance(button, QAbstractButton) else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A middle click on a tab closes it."""
        if (watched is self.tabs.tabBar() and event.type() == QEvent.Type.MouseButtonRelease
                and isinstance(event, QMouseEvent) and event.button() == Qt.MouseButton.MiddleButton):
            index = self.tabs.tabBar().tabAt(event.position().toPoint())
            widget = self.tabs.widget(index) if index >= 0 else None
            if isinstance(widget, CodeEditor):
                self.sig_close_requested.emit(EditorEvent(widget))
                return True
        return super().eventFilter(watched, event)

    def set_theme(self, theme: ThemeName) -> None:
        """Switch every editor's theme."""
        for editor in self.editors():
            editor.set_theme(theme)

    # -- questions --------------------------------------------------------------------

    def ask_unsaved(self, name: str) -> str:
        """Ask what to do with unsaved changes: ``save``, ``discard`` or ``cancel``."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self, "Unsaved changes", f"Save the changes to {name}?",
                                      buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")

    def ask_save_path(self, suggested: Path) -> Path | None:
        """Ask where to save (Save As)."""
        name, _ = QFileDialog.getSaveFileName(self, "Save As", str(suggested), "TypeScript (*.ts);;All files (*)")
        return Path(name) if name else None

    def ask_reload(self, name: str, deleted: bool) -> bool:
        """The file changed on disk while edited here: reload it (True) or keep the buffer?"""
        text = f"{name} was deleted on disk. Keep the editor open?" if deleted else \
            f"{name} changed on disk and has unsaved changes here. Reload it and lose your changes?"
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        return QMessageBox.question(self, "File changed", text, buttons) == QMessageBox.StandardButton.Yes

    def show_message(self, text: str) -> None:
        """Tell the user why an action failed (non-blocking)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "isoplay", text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_tabs_current_changed(self, _index: int) -> None:
        self.sig_current_changed.emit(EditorEvent(self.current_editor()))


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    demo = EditorTabs()
    demo.add_editor(Path("index.ts"), "export default {};\n", "light")
    demo.resize(800, 500)
    demo.show()
    app.exec()
