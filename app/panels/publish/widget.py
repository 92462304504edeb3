"""``PublishDialog``: layout and signals only; ``PublishController`` does the work."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
    QPushButton, QVBoxLayout, QWidget,
)

from app.layout import ElidingLabel
from app.panels.publish.model import BUMP_PARTS, PublishRequest
from runtime.errors import Diagnostic
from runtime.publish_client import PublishResult


class PublishDialog(QDialog):
    """Server, token, version (with bump buttons), progress and the live URL."""

    sig_publish_requested = Signal(object)
    """PublishRequest: the user pressed Publish."""
    sig_bump_requested = Signal(str, str)
    """(current version, part): the user pressed a patch/minor/major button."""
    sig_publish_anyway_requested = Signal()
    """The user chose to publish despite type errors."""
    sig_write_version_requested = Signal(str)
    """The user accepted writing this (just published) version into isoplay.toml."""

    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = root
        self.setWindowTitle(f"Publish {root.name}")
        layout = QVBoxLayout(self)
        layout.addLayout(self._create_form())
        layout.addWidget(self._create_progress())
        layout.addLayout(self._create_buttons())

    def _create_form(self) -> QFormLayout:
        form = QFormLayout()
        self.server = QComboBox(editable=True)
        self.server.setPlaceholderText("http://127.0.0.1:8788")
        self.token = QLineEdit(echoMode=QLineEdit.EchoMode.Password,
                               placeholderText="leave empty to use the saved token or $ISOPLAY_TOKEN")
        self.version = QLineEdit()
        bumps = QHBoxLayout()
        bumps.addWidget(self.version)
        self.bump_buttons = {}
        for part in BUMP_PARTS:
            button = QPushButton(part.capitalize())
            button.clicked.connect(lambda _c=False, p=part: self.sig_bump_requested.emit(self.version.text(), p))
            bumps.addWidget(button)
            self.bump_buttons[part] = button
        self.promote = QCheckBox("Make it the live version")
        self.type_check = QCheckBox("Type check first")
        for box in (self.promote, self.type_check):
            box.setChecked(True)
        self.last = ElidingLabel("")
        self.last.setObjectName("publishLast")
        form.addRow("Server", self.server)
        form.addRow("", self.last)
        form.addRow("Token", self.token)
        form.addRow("Version", bumps)
        form.addRow("", self.promote)
        form.addRow("", self.type_check)
        return form

    def _create_progress(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar(minimum=0, maximum=100, value=0)
        self.status = QLabel("")
        self.link = QLabel("", openExternalLinks=True, textInteractionFlags=Qt.TextInteractionFlag.TextBrowserInteraction)
        self.errors = QLabel("", wordWrap=True)
        self.anyway_button = QPushButton("Publish anyway")
        self.write_version_button = QPushButton("")
        self.write_version_button.setVisible(False)
        self.write_version_button.clicked.connect(self.on_write_version_clicked)
        self._hide_type_errors()
        self.anyway_button.clicked.connect(self.on_anyway_clicked)
        for widget in (self.progress, self.status, self.errors, self.anyway_button, self.link,
                       self.write_version_button):
            layout.addWidget(widget)
        return box

    def _create_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        self.publish_button = QPushButton("Publish", default=True)
        self.publish_button.clicked.connect(self.on_publish_clicked)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        row.addWidget(self.publish_button)
        row.addWidget(close)
        return row

    def on_anyway_clicked(self) -> None:
        """Publish despite the listed type errors."""
        self._hide_type_errors()
        self.sig_publish_anyway_requested.emit()

    def on_write_version_clicked(self) -> None:
        """Write the published version into isoplay.toml."""
        version = self.write_version_button.property("version")
        if version:
            self.write_version_button.setEnabled(False)
            self.sig_write_version_requested.emit(str(version))

    def _hide_type_errors(self) -> None:
        self.errors.setVisible(False)
        self.anyway_button.setVisible(False)

    def on_publish_clicked(self) -> None:
        """Emit the request built from the fields."""
        self._hide_type_errors()
        self.sig_publish_requested.emit(PublishRequest(
            root=self.root, server=self.server.currentText().strip(), token=self.token.text().strip() or None,
            version=self.version.text().strip(), promote=self.promote.isChecked(),
            type_check=self.type_check.isChecked()))

    # ---- PublishView -----------------------------------------------------------
    def set_version(self, version: str) -> None:
        """Show a version."""
        self.version.setText(version)

    def set_servers(self, urls: list[str]) -> None:
        """Offer saved servers."""
        self.server.clear()
        self.server.addItems(urls)

    def set_server(self, url: str) -> None:
        """Preselect a server."""
        if self.server.findText(url) < 0:
            self.server.insertItem(0, url)
        self.server.setCurrentText(url)

    def show_last_publish(self, server: str, version: str) -> None:
        """What this project was last published as, and where."""
        self.last.setText(f"last published {version} to {server}")

    def offer_write_version(self, version: str, manifest_version: str) -> None:
        """Offer to write the published version into isoplay.toml (it says ``manifest_version``)."""
        self.write_version_button.setText(f"Write version {version} into isoplay.toml (now {manifest_version})")
        self.write_version_button.setProperty("version", version)
        self.write_version_button.setEnabled(True)
        self.write_version_button.setVisible(True)

    def version_written(self, version: str) -> None:
        """isoplay.toml now holds ``version``."""
        self.write_version_button.setVisible(False)
        self.status.setText(f"isoplay.toml now says version {version}")

    def set_busy(self, busy: bool) -> None:
        """Disable inputs while publishing."""
        for widget in (self.publish_button, self.server, self.token, self.version, *self.bump_buttons.values()):
            widget.setEnabled(not busy)

    def show_status(self, text: str) -> None:
        """One line of progress text."""
        self.status.setText(text)

    def show_progress(self, sent: int, total: int) -> None:
        """Upload progress."""
        self.progress.setValue(100 * sent // total if total else 100)

    def show_published(self, result: PublishResult) -> None:
        """The live (or pinned) URL as a link."""
        url = result.live_url if result.live else result.url
        what = "published" if result.created else "already published (same content)"
        self.status.setText(f"{result.app}@{result.version} {what}")
        self.link.setText(f'<a href="{url}">{url}</a>')

    def show_error(self, message: str) -> None:
        """A one-line error."""
        self.status.setText(f"<span style='color:#c33'>{html.escape(message)}</span>")
        self.status.setToolTip(message)

    def show_type_errors(self, errors: list[Diagnostic]) -> None:
        """List the first type errors and offer "Publish anyway"."""
        shown = "\n".join(str(d) for d in errors[:5]) + (f"\n… and {len(errors) - 5} more" if len(errors) > 5 else "")
        self.errors.setText(shown)
        self.errors.setVisible(True)
        self.anyway_button.setVisible(True)


def demo() -> int:
    """Show the dialog on its own (``python -m app.panels.publish``)."""
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    dialog = PublishDialog(Path.cwd())
    dialog.set_servers(["http://127.0.0.1:8788"])
    dialog.set_version("1.0.0")
    dialog.show()
    return app.exec()
