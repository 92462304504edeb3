"""``ProjectTreeWidget``: the project folder (QFileSystemModel scans on its own thread)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDir, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFileSystemModel,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.panels.tree.controller import TreeAction

HIDDEN = ["node_modules", ".git", ".isoplay", "dist", "__pycache__"]
NO_PROJECT = ("No project is open.<br><br><b>File ▸ Open Project</b> (Ctrl+O) opens a folder with an "
              "isoplay.toml; <b>File ▸ New Project</b> (Ctrl+Shift+N) starts one from a template.")


class ProjectTreeWidget(QWidget):
    """Shows the project's files and emits intents from the context menu."""

    sig_file_activated = Signal(object)
    """TreeAction: a file was double-clicked (open it)."""
    sig_new_file_requested = Signal(object)
    """TreeAction: New File in the given folder."""
    sig_rename_requested = Signal(object)
    """TreeAction: rename the given path."""
    sig_delete_requested = Signal(object)
    """TreeAction: delete the given path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QFileSystemModel(self)
        self.model.setFilter(QDir.Filter.AllEntries | QDir.Filter.NoDotAndDotDot | QDir.Filter.Hidden)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setHeaderHidden(True)
        for column in (1, 2, 3):
            self.view.hideColumn(column)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setAnimated(True)
        self.title = QLabel("No project")
        self.title.setObjectName("panelTitle")
        self.placeholder = QLabel(NO_PROJECT)
        self.placeholder.setObjectName("treePlaceholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.placeholder.setContentsMargins(10, 4, 10, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.view, 1)
        self.view.hide()  # without a root the model would list the whole file system
        self.root: Path | None = None
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu)
        self.model.directoryLoaded.connect(self._on_model_directory_loaded)

    def set_root(self, root: Path) -> None:
        """Show ``root``'s contents."""
        self.root = root
        self.title.setText(root.name.upper())
        index = self.model.setRootPath(str(root))
        self.view.setRootIndex(index)
        self.placeholder.hide()
        self.view.show()

    def is_hidden_name(self, name: str) -> bool:
        """Folders the tree hides (build output, local state)."""
        return name in HIDDEN

    def _on_model_directory_loaded(self, folder: str) -> None:
        parent = self.model.index(folder)
        for row in range(self.model.rowCount(parent)):
            index = self.model.index(row, 0, parent)
            self.view.setRowHidden(row, parent, self.is_hidden_name(self.model.fileName(index)))
        if self.root is not None and Path(folder) == self.root:
            src = self.model.index(str(self.root / "src"))
            if src.isValid():
                self.view.expand(src)

    def _path_at(self, index: QModelIndex) -> Path | None:
        return Path(self.model.filePath(index)) if index.isValid() else None

    def _on_view_double_clicked(self, index: QModelIndex) -> None:
        path = self._path_at(index)
        if path is not None and not self.model.isDir(index):
            self.sig_file_activated.emit(TreeAction(path))

    def _on_view_context_menu(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        path = self._path_at(index) or self.root
        if path is None:
            return
        folder = path if self.model.isDir(index) or not index.isValid() else path.parent
        menu = QMenu(self)
        menu.addAction("New File…", lambda: self.sig_new_file_requested.emit(TreeAction(folder)))
        if index.isValid():
            menu.addAction("Rename…", lambda: self.sig_rename_requested.emit(TreeAction(path)))
            menu.addAction("Delete", lambda: self.sig_delete_requested.emit(TreeAction(path)))
        menu.popup(self.view.viewport().mapToGlobal(point))

    def selected_path(self) -> Path | None:
        """The selected file or folder."""
        return self._path_at(self.view.currentIndex())

    # -- questions (modal dialogs: user input, not waiting on work) ---------------------

    def ask_name(self, title: str, label: str, default: str) -> str | None:
        """Ask for a file name."""
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    def confirm(self, title: str, question: str) -> bool:
        """Ask yes/no."""
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        return QMessageBox.question(self, title, question, buttons) == QMessageBox.StandardButton.Yes

    def show_message(self, text: str) -> None:
        """Show why an action failed (non-blocking)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "isoplay", text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    demo = ProjectTreeWidget()
    demo.set_root(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve())
    demo.resize(280, 500)
    demo.show()
    app.exec()
