"""``EditorTabs``: the central tab widget of CodeEditors, with a welcome page when empty."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QStackedWidget, QTabWidget, QWidget

from editor.types import ThemeName
from editor.widget import CodeEditor

DIRTY_MARK = " ●"
WELCOME = """<div style="text-align:center">
<h2 style="font-weight:400">isoplay</h2>
<p>Open a file from the project tree, or a project with <b>File ▸ Open Project</b> (Ctrl+O).</p>
<p><b>Ctrl+R</b> runs the simulator's request · <b>Ctrl+S</b> saves and rebuilds · <b>F12</b> goes to a definition</p>
</div>"""


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
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.welcome = QLabel(WELCOME)
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome.setObjectName("welcome")
        self.addWidget(self.welcome)
        self.addWidget(self.tabs)
        self.root: Path | None = None
        """Project root, for tab tooltips."""
        self.tabs.tabCloseRequested.connect(self._on_tabs_close_requested)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

    def add_editor(self, path: Path, text: str, theme: ThemeName) -> CodeEditor:
        """Create an editor showing ``text`` as ``path`` in a new tab and make it current."""
        editor = CodeEditor(theme=theme)
        editor.set_document(path, text)
        index = self.tabs.addTab(editor, path.name)
        self.tabs.setTabToolTip(index, str(path))
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

    def _on_tabs_close_requested(self, index: int) -> None:
        widget = self.tabs.widget(index)
        self.sig_close_requested.emit(EditorEvent(widget if isinstance(widget, CodeEditor) else None))

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
