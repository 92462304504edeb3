"""``WelcomeView``: the editor area before a file is open, as VS Code's Welcome page.

Start: New Project from a template (one link per template) and Open Folder (an isoplay project or any folder
with a wrangler config). Recent: the recent projects, newest first, each a link (name, with its folder beside
it, elided; the full path on hover). Help: the main shortcuts. Layout and signals only; ``app/main.py``
connects them to the project controller.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.layout import ElidingLabel
from runtime.project import TEMPLATES

TEMPLATE_LABELS = {"hello": "Hello world (fetch)", "kv": "KV store API", "cron": "Cron job",
                   "router": "Router with routes", "worker": "Worker with a wrangler config"}
HELP = ("<b>Ctrl+R</b> runs the simulator's request · <b>Ctrl+S</b> saves and rebuilds · "
        "<b>F5</b> debugs · <b>F12</b> goes to a definition · <b>Ctrl+Shift+O</b> goes to a symbol · "
        "<b>Ctrl+G</b> goes to a line · <b>Ctrl+F</b> finds")
MAX_RECENT = 8


@dataclass(frozen=True)
class RecentChosen:
    """Payload of ``WelcomeView.sig_recent_chosen``."""

    root: Path
    """The project folder."""


@dataclass(frozen=True)
class TemplateChosen:
    """Payload of ``WelcomeView.sig_new_requested``."""

    template: str | None
    """The template picked (None: let the dialog ask)."""


class WelcomeView(QWidget):
    """Start, Recent and Help sections; it never asks for more width than the editor area has."""

    sig_new_requested = Signal(object)
    """TemplateChosen: New Project (from that template)."""
    sig_open_requested = Signal()
    """Open Folder…"""
    sig_recent_chosen = Signal(object)
    """RecentChosen: a recent project was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeView")
        self.recent_buttons: list[QPushButton] = []
        self.template_buttons: dict[str, QPushButton] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        title = QLabel("isoplay")
        title.setObjectName("welcomeTitle")
        outer.addWidget(title)
        subtitle = QLabel("Workers-style TypeScript, run and debugged locally")
        subtitle.setObjectName("welcome")
        subtitle.setWordWrap(True)
        outer.addWidget(subtitle)
        grid = QGridLayout()
        grid.setHorizontalSpacing(32)
        grid.addLayout(self._start_section(), 0, 0, Qt.AlignmentFlag.AlignTop)
        self.recent_layout = QVBoxLayout()
        grid.addLayout(self.recent_layout, 0, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        outer.addLayout(grid)
        help_text = QLabel(HELP)
        help_text.setObjectName("welcome")
        help_text.setWordWrap(True)
        outer.addSpacing(16)
        outer.addWidget(help_text)
        outer.addStretch(1)
        self.set_recent_projects([])

    def _start_section(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addWidget(_heading("Start"))
        self.open_button = _link("Open Folder…", "An isoplay project, or any folder with a wrangler.toml, "
                                                 "wrangler.json or wrangler.jsonc (Ctrl+O)")
        self.open_button.clicked.connect(self.sig_open_requested.emit)
        column.addWidget(self.open_button)
        self.new_button = _link("New Project…", "Create a project from a template (Ctrl+Shift+N)")
        self.new_button.clicked.connect(lambda: self.sig_new_requested.emit(TemplateChosen(None)))
        column.addWidget(self.new_button)
        column.addWidget(_heading("New from template"))
        for name in TEMPLATES:
            button = _link(TEMPLATE_LABELS.get(name, name), f"New Project from the {name} template")
            button.clicked.connect(lambda _c=False, n=name: self.sig_new_requested.emit(TemplateChosen(n)))
            self.template_buttons[name] = button
            column.addWidget(button)
        return column

    def set_recent_projects(self, roots: list[Path]) -> None:
        """Show ``roots`` (newest first) under Recent."""
        while self.recent_layout.count():
            item = self.recent_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.recent_buttons = []
        self.recent_layout.addWidget(_heading("Recent"))
        if not roots:
            empty = QLabel("No recent projects")
            empty.setObjectName("welcome")
            self.recent_layout.addWidget(empty)
        for root in roots[:MAX_RECENT]:
            button = _link(root.name, str(root))
            button.clicked.connect(lambda _c=False, r=root: self.sig_recent_chosen.emit(RecentChosen(r)))
            folder = ElidingLabel(str(root.parent))
            folder.setObjectName("welcome")
            self.recent_layout.addWidget(button)
            self.recent_layout.addWidget(folder)
            self.recent_buttons.append(button)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("welcomeHeading")
    return label


def _link(text: str, tooltip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName("welcomeLink")
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setToolTip(tooltip)
    button.setStyleSheet("text-align: left;")
    button.setMinimumWidth(40)  # a long name is cut, never widens the editor area (the tooltip has it all)
    return button
