"""``NewProjectDialog``: choose a template, a parent folder and a name."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QWidget,
)

from app.panels.project.controller import NewProjectRequest
from runtime.project import TEMPLATES

TEMPLATE_LABELS = {"hello": "Hello world (fetch)", "kv": "KV store API", "cron": "Cron job", "router": "Router with routes",
                   "worker": "Cloudflare Workers project (wrangler.jsonc)"}


class NewProjectDialog(QDialog):
    """Asks where to create a project and from which template."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None, template: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Project")
        self.template = QComboBox()
        for name in TEMPLATES:
            self.template.addItem(TEMPLATE_LABELS.get(name, name), name)
        if template in TEMPLATES:
            self.template.setCurrentIndex(TEMPLATES.index(template))
        self.name = QLineEdit("my-worker")
        self.folder = QLineEdit(str(folder or Path.home()))
        browse = QToolButton(text="…")
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Template", self.template)
        form.addRow("Name", self.name)
        form.addRow("Location", folder_row)
        form.addRow(buttons)
        self.resize(460, 0)

    def _on_browse_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Location", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def request(self) -> NewProjectRequest:
        """What the dialog holds."""
        name = self.name.text().strip()
        return NewProjectRequest(Path(self.folder.text()).expanduser() / name, self.template.currentData(), name)


def ask_new_project(parent: QWidget | None, folder: Path | None = None,
                    template: str | None = None) -> NewProjectRequest | None:
    """Show the dialog (modal: it asks the user, it does not wait on work), on ``template`` if given;
    None if cancelled."""
    dialog = NewProjectDialog(parent, folder, template)
    return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None
