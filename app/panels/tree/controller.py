"""``TreeController``: file operations asked for in the project tree, done off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.services.files import FileService
from app.services.types import Failure

_FORBIDDEN = set('<>:"|?*\\')


@dataclass(frozen=True)
class TreeAction:
    """Payload of the tree's intents: the path the action is about."""

    path: Path
    """A file, or the folder a new file goes into."""


@dataclass(frozen=True)
class FileRenamed:
    """Payload of ``TreeController.sig_file_renamed``."""

    old: Path
    """Previous absolute path."""
    new: Path
    """New absolute path."""


def validate_file_name(name: str) -> str | None:
    """Why ``name`` cannot be a new file name relative to a folder, or None if it can."""
    stripped = name.strip()
    if not stripped:
        return "the name is empty"
    if stripped.startswith("/") or any(part in ("", ".", "..") for part in stripped.split("/")):
        return f"{stripped!r} must be a relative name without '.' or '..' parts"
    if _FORBIDDEN & set(stripped):
        return f"{stripped!r} contains a character that is not allowed in file names"
    return None


class TreeView(Protocol):
    """What the controller needs from the tree widget."""

    def ask_name(self, title: str, label: str, default: str) -> str | None:
        """Ask for a name (None: cancelled)."""
        ...

    def confirm(self, title: str, question: str) -> bool:
        """Ask yes/no."""
        ...

    def show_message(self, text: str) -> None:
        """Tell the user why an action failed."""
        ...


class TreeController(QObject):
    """Creates, renames and deletes project files for the tree's context menu."""

    sig_file_created = Signal(object)
    """Path: a new file exists (open it)."""
    sig_file_renamed = Signal(object)
    """FileRenamed: a file or folder was renamed (retarget open editors)."""
    sig_file_deleted = Signal(object)
    """Path: a file or folder was deleted (close its editors)."""
    sig_file_open_requested = Signal(object)
    """Path: the user double-clicked a file."""

    def __init__(self, view: TreeView, files: FileService, bridge: FutureBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._files = files
        self._bridge = bridge

    def new_file(self, folder: Path) -> None:
        """Ask for a name and create an empty file in ``folder``."""
        name = self.view.ask_name("New File", f"File name in {folder.name}/:", "untitled.ts")
        if name is None or not self._valid(name):
            return
        future = self._files.create_file(folder / name.strip())
        self._bridge.watch(future, self.sig_file_created.emit, self._on_failed, f"creating {name}")

    def rename(self, path: Path) -> None:
        """Ask for a new name and rename ``path`` within its folder."""
        name = self.view.ask_name("Rename", f"New name for {path.name}:", path.name)
        if name is None or name.strip() == path.name or not self._valid(name):
            return
        target = path.parent / name.strip()
        future = self._files.rename(path, target)
        self._bridge.watch(future, lambda new: self.sig_file_renamed.emit(FileRenamed(path.resolve(), new)),
                           self._on_failed, f"renaming {path.name}")

    def delete(self, path: Path) -> None:
        """Confirm, then delete ``path``."""
        if not self.view.confirm("Delete", f"Delete {path.name}? This cannot be undone."):
            return
        future = self._files.delete(path)
        self._bridge.watch(future, lambda p: self.sig_file_deleted.emit(p.resolve()), self._on_failed,
                           f"deleting {path.name}")

    def _valid(self, name: str) -> bool:
        problem = validate_file_name(name)
        if problem is not None:
            self.view.show_message(problem)
        return problem is None

    def _on_failed(self, failure: Failure) -> None:
        self.view.show_message(failure.message)

    def on_view_new_file_requested(self, action: TreeAction) -> None:
        """Slot: New File from the context menu."""
        self.new_file(action.path)

    def on_view_rename_requested(self, action: TreeAction) -> None:
        """Slot: Rename from the context menu."""
        self.rename(action.path)

    def on_view_delete_requested(self, action: TreeAction) -> None:
        """Slot: Delete from the context menu."""
        self.delete(action.path)

    def on_view_file_activated(self, action: TreeAction) -> None:
        """Slot: a file was double-clicked."""
        self.sig_file_open_requested.emit(action.path)
