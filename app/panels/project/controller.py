"""``ProjectController``: open / new / recent projects and the per-project session.

Opening a project checks the folder off the GUI thread, saves the previous
project's session, closes its editors, emits ``sig_project_opening`` (the
composition root points the tree, Problems and the language service at the
new folder) and starts the runtime. When the runtime reports the project open,
the previous session's files are reopened at their carets -- or the manifest's
main file on a first visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.panels.editors.controller import OpenFile
from app.services.files import FileService
from app.services.runtime_service import ProjectOpened
from app.services.types import Failure
from app.settings import AppSettings, ProjectSession, SessionFile
from editor.types import TextPosition
from runtime.manifest import MANIFEST_NAME
from runtime.project import is_project, new_project


@dataclass(frozen=True)
class NewProjectRequest:
    """What the New Project dialog asks for."""

    folder: Path
    """Folder to create (must be empty or absent)."""
    template: str
    """One of ``runtime.project.TEMPLATES``."""
    name: str
    """Script name (the folder name if empty)."""


@dataclass(frozen=True)
class ProjectOpening:
    """Payload of ``ProjectController.sig_project_opening``."""

    root: Path
    """The folder being opened (resolved)."""


class ProjectView(Protocol):
    """What the controller needs from the window."""

    def ask_project_dir(self) -> Path | None:
        """Ask for a folder."""
        ...

    def ask_new_project(self, template: str | None = None) -> NewProjectRequest | None:
        """Ask for a template (``template`` preselected), folder and name."""
        ...

    def set_recent_projects(self, roots: list[Path]) -> None:
        """Fill the recent-projects menu."""
        ...

    def show_message(self, text: str) -> None:
        """Tell the user why something failed."""
        ...


class Documents(Protocol):
    """What the controller needs from the editors (``EditorsController`` fits)."""

    def open(self, path: Path, position: TextPosition | None = None) -> None:
        """Open a file."""
        ...

    def close_all(self, ask: bool = True) -> bool:
        """Close everything; False if the user cancelled."""
        ...

    def open_files(self) -> list[OpenFile]:
        """Open files and carets."""
        ...

    def current_path(self) -> Path | None:
        """The current file."""
        ...


class ProjectRuntimeOpener(Protocol):
    """What the controller needs from ``RuntimeService``."""

    def open_project(self, root: Path) -> None:
        """Start the runtime for ``root``."""
        ...


class ProjectController(QObject):
    """Which project is open, and what was open in it."""

    sig_project_opening = Signal(object)
    """ProjectOpening: a project is being opened (reset panels, start the language service)."""

    def __init__(self, view: ProjectView, settings: AppSettings, documents: Documents, runtime: ProjectRuntimeOpener,
                 files: FileService, bridge: FutureBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.settings = settings
        self.documents = documents
        self.runtime = runtime
        self._files = files
        self._bridge = bridge
        self.root: Path | None = None
        """The open project."""

    def open_project(self, root: Path) -> None:
        """Open ``root`` if it holds an isoplay.toml or a wrangler config (checked off the GUI thread)."""
        root = root.expanduser().resolve()
        self._bridge.watch(self._files.submit(is_project, root), lambda ok: self._on_checked(root, ok),
                           self._on_failed, f"opening {root}")

    def _on_checked(self, root: Path, is_project: bool) -> None:
        if not is_project:
            self.settings.remove_recent_project(root)
            self.view.set_recent_projects(self.settings.recent_projects())
            self.view.show_message(f"{root} is not an isoplay project (no {MANIFEST_NAME} or wrangler config).")
            return
        self.save_session()
        if not self.documents.close_all(ask=True):
            return
        self.root = root
        self.settings.add_recent_project(root)
        self.view.set_recent_projects(self.settings.recent_projects())
        self.sig_project_opening.emit(ProjectOpening(root))
        self.runtime.open_project(root)

    def restore_session(self, opened: ProjectOpened) -> None:
        """Reopen the project's previous files at their carets (or its main file)."""
        if opened.root != self.root:
            return
        session = self.settings.session(opened.root)
        files = [f for f in session.files if (opened.root / f.path).suffix]
        if not files:
            self.documents.open(opened.main)
            return
        for item in files:
            self.documents.open(opened.root / item.path, TextPosition(item.line, item.character))
        if session.current:
            self.documents.open(opened.root / session.current)

    def save_session(self) -> None:
        """Remember the open files of the current project."""
        if self.root is None:
            return
        files = []
        for item in self.documents.open_files():
            try:
                rel = item.path.relative_to(self.root).as_posix()
            except ValueError:
                continue  # a file outside the project is not part of its session
            files.append(SessionFile(rel, item.caret.line, item.caret.character))
        current = self.documents.current_path()
        rel_current = current.relative_to(self.root).as_posix() if current and self.root in current.parents else None
        self.settings.set_session(self.root, ProjectSession(tuple(files), rel_current))

    def ask_open(self) -> None:
        """File ▸ Open Project."""
        folder = self.view.ask_project_dir()
        if folder is not None:
            self.open_project(folder)

    def ask_new(self, template: str | None = None) -> None:
        """File ▸ New Project (or a template link of the welcome view): scaffold from a template (off the GUI
        thread), then open it."""
        request = self.view.ask_new_project(template)
        if request is None:
            return
        future = self._files.submit(new_project, request.folder, request.template, request.name or None)
        self._bridge.watch(future, lambda project: self.open_project(project.root), self._on_failed,
                           f"creating {request.folder.name}")

    def _on_failed(self, failure: Failure) -> None:
        self.view.show_message(failure.message)

    def on_window_recent_project_chosen(self, chosen: object) -> None:
        """Slot: File ▸ Recent Projects entry."""
        self.open_project(getattr(chosen, "root"))
