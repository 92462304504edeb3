"""``EditorsController``: opening, saving and closing files in the editor tabs.

Reads and writes go through ``FileService`` (off the GUI thread). Each editor
gets an ``EditorLspBinding`` once the language client exists, and is registered
with the ``ExternalChangeRouter`` so a clean buffer reloads when the file
changes on disk; a dirty one asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.bridge import FutureBridge
from app.panels.tree.controller import FileRenamed
from app.services.files import FileService
from app.services.types import Failure, SourceLocation
from editor.file_watch import ExternalChangeRouter
from editor.lsp import EditorLspBinding, LanguageClient, Location
from editor.types import DirtyChanged, ExternalChange, TextPosition, ThemeName
from editor.widget import CodeEditor

DELETION_GRACE_MS = 300
"""How long a deletion reported by the file watcher waits before asking (a rename may retarget the editor)."""


@dataclass(frozen=True)
class FileSaved:
    """Payload of ``EditorsController.sig_file_saved``."""

    path: Path
    """The file that was written."""


@dataclass(frozen=True)
class OpenFile:
    """An open editor for session restore: its file and caret."""

    path: Path
    """Absolute path."""
    caret: TextPosition
    """Caret position (LSP style, 0-based)."""


class EditorsView(Protocol):
    """What the controller needs from the tab widget (``EditorTabs`` fits)."""

    def add_editor(self, path: Path, text: str, theme: ThemeName) -> CodeEditor:
        """Open a tab."""
        ...

    def remove_editor(self, editor: CodeEditor) -> None:
        """Close a tab."""
        ...

    def editors(self) -> list[CodeEditor]:
        """Open editors."""
        ...

    def current_editor(self) -> CodeEditor | None:
        """The current editor."""
        ...

    def set_current(self, editor: CodeEditor) -> None:
        """Focus a tab."""
        ...

    def set_tab_state(self, editor: CodeEditor, path: Path, dirty: bool) -> None:
        """Tab title with the dirty marker."""
        ...

    def ask_unsaved(self, name: str) -> str:
        """save / discard / cancel."""
        ...

    def ask_save_path(self, suggested: Path) -> Path | None:
        """Save As target."""
        ...

    def ask_reload(self, name: str, deleted: bool) -> bool:
        """Reload a dirty buffer whose file changed (or keep a deleted file open)?"""
        ...

    def show_message(self, text: str) -> None:
        """Show an error."""
        ...


def position_of(location: SourceLocation) -> TextPosition:
    """1-based ``SourceLocation`` line/column to a 0-based ``TextPosition``."""
    return TextPosition(max(0, location.line - 1), max(0, location.column - 1))


class EditorsController(QObject):
    """Owns the open documents: open, save, save as, close, rename, reload."""

    sig_file_opened = Signal(object)
    """Path: a file was opened in a new tab."""
    sig_file_saved = Signal(object)
    """FileSaved: a buffer was written to disk (rebuild)."""
    sig_current_changed = Signal(object)
    """Path | None: the current tab changed, or its file was renamed (None: no tab)."""
    sig_binding_changed = Signal(object)
    """CodeEditor: ``binding_for(editor)`` changed (the language service came up, restarted or went away)."""

    def __init__(self, view: EditorsView, files: FileService, bridge: FutureBridge, router: ExternalChangeRouter,
                 theme: ThemeName = "light", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._files = files
        self._bridge = bridge
        self._router = router
        self._theme: ThemeName = theme
        self._client: LanguageClient | None = None
        self._bindings: dict[CodeEditor, EditorLspBinding] = {}
        self._opening: dict[Path, TextPosition | None] = {}
        self.before_save: Callable[[CodeEditor, Callable[[], None]], None] | None = None
        """Called with the editor and a ``proceed`` that writes it, before every save (app/panels/editors/conventions)."""

    # -- open ------------------------------------------------------------------------

    def editor_for(self, path: Path) -> CodeEditor | None:
        """The editor showing ``path``, if open."""
        path = path.resolve()
        return next((e for e in self.view.editors() if e.path is not None and e.path == path), None)

    def open(self, path: Path, position: TextPosition | None = None) -> None:
        """Show ``path`` (reading it off the GUI thread if it is not open yet), at ``position``."""
        path = path.resolve()
        editor = self.editor_for(path)
        if editor is not None:
            self._focus(editor, position)
            return
        if path in self._opening:
            self._opening[path] = position or self._opening[path]
            return
        self._opening[path] = position
        self._bridge.watch(self._files.read_text(path), lambda text: self._on_file_read(path, text),
                           lambda failure: self._on_open_failed(path, failure), f"opening {path.name}")

    def open_location(self, location: SourceLocation) -> None:
        """Open the file of ``location`` at its line and column."""
        self.open(location.path, position_of(location))

    def _on_file_read(self, path: Path, text: str) -> None:
        position = self._opening.pop(path, None)
        if self.editor_for(path) is not None:
            return
        editor = self.view.add_editor(path, text, self._theme)
        editor.sig_dirty_changed.connect(lambda change: self._on_editor_dirty_changed(editor, change))
        editor.sig_external_change_conflicted.connect(lambda change: self._on_editor_conflict(editor, change))
        self._router.add_editor(editor)
        self._bind(editor)
        self._focus(editor, position)
        self.sig_file_opened.emit(path)

    def _on_open_failed(self, path: Path, failure: Failure) -> None:
        self._opening.pop(path, None)
        self.view.show_message(f"Cannot open {path.name}: {failure.error}")

    def _focus(self, editor: CodeEditor, position: TextPosition | None) -> None:
        self.view.set_current(editor)
        if position is not None:
            editor.go_to(position)

    # -- language service ------------------------------------------------------------

    def set_language_client(self, client: LanguageClient | None) -> None:
        """Serve every editor (open now or later) with ``client`` (None: no language service)."""
        for binding in self._bindings.values():
            binding.detach()
        self._bindings.clear()
        self._client = client
        for editor in self.view.editors():
            self._bind(editor)
            if client is None:
                self.sig_binding_changed.emit(editor)

    def binding_for(self, editor: CodeEditor) -> EditorLspBinding | None:
        """The language binding of ``editor``, if the language service is up."""
        return self._bindings.get(editor)

    def _bind(self, editor: CodeEditor) -> None:
        if self._client is None or editor.path is None:
            return
        binding = EditorLspBinding(editor, self._client)
        binding.sig_definition_found.connect(self._on_binding_definition_found)
        self._bindings[editor] = binding
        self.sig_binding_changed.emit(editor)

    def _on_binding_definition_found(self, location: Location) -> None:
        self.open(location.path, location.range.start)

    # -- save ------------------------------------------------------------------------

    def save(self, editor: CodeEditor | None = None, on_saved: Callable[[Path], None] | None = None) -> None:
        """Write ``editor`` (default: the current one) to its file."""
        editor = editor or self.view.current_editor()
        if editor is None:
            return
        if editor.path is None:
            self.save_as(editor)
            return
        if self.before_save is not None:  # (Format on Save formats, then writes)
            path = editor.path
            self.before_save(editor, lambda: self._write(editor, path, on_saved))
            return
        self._write(editor, editor.path, on_saved)

    def save_as(self, editor: CodeEditor | None = None) -> None:
        """Ask for a path and write ``editor`` there."""
        editor = editor or self.view.current_editor()
        if editor is None:
            return
        target = self.view.ask_save_path(editor.path or Path("untitled.ts"))
        if target is not None:
            self._write(editor, target.resolve(), None)

    def save_all(self, on_done: Callable[[], object] | None = None) -> None:
        """Write every dirty editor; call ``on_done`` once all of them are written."""
        dirty = [e for e in self.view.editors() if e.is_dirty()]
        remaining = [len(dirty)]

        def one_saved(_path: Path) -> None:
            remaining[0] -= 1
            if remaining[0] == 0 and on_done is not None:
                on_done()

        for editor in dirty:
            self.save(editor, on_saved=one_saved)
        if not dirty and on_done is not None:
            on_done()

    def _write(self, editor: CodeEditor, path: Path, on_saved: Callable[[Path], None] | None) -> None:
        version = editor.document_version
        future = self._files.write_text(path, editor.text())
        self._bridge.watch(future, lambda written: self._on_written(editor, version, written, on_saved),
                           lambda failure: self.view.show_message(f"Cannot save {path.name}: {failure.error}"),
                           f"saving {path.name}")

    def _on_written(self, editor: CodeEditor, version: int, path: Path, on_saved: Callable[[Path], None] | None) -> None:
        if editor not in self.view.editors():
            return
        if editor.document_version == version:
            editor.mark_saved(path)
        elif editor.path != path:
            editor.mark_saved(path)  # save-as while typing: adopt the path, stay dirty below
            self.view.set_tab_state(editor, path, True)
        self.sig_file_saved.emit(FileSaved(path))
        if on_saved is not None:
            on_saved(path)

    # -- close -----------------------------------------------------------------------

    def close(self, editor: CodeEditor, ask: bool = True) -> bool:
        """Close ``editor`` (asking about unsaved changes); False if the user cancelled."""
        if ask and editor.is_dirty():
            answer = self.view.ask_unsaved(editor.path.name if editor.path else "untitled")
            if answer == "cancel":
                return False
            if answer == "save":
                self.save(editor, on_saved=lambda _p: self._discard(editor))
                return True
        self._discard(editor)
        return True

    def close_all(self, ask: bool = True) -> bool:
        """Close every editor; False if the user cancelled (nothing more is closed then)."""
        for editor in list(self.view.editors()):
            if not self.close(editor, ask):
                return False
        return True

    def has_unsaved(self) -> bool:
        """Whether any editor is dirty."""
        return any(e.is_dirty() for e in self.view.editors())

    def _discard(self, editor: CodeEditor) -> None:
        if editor not in self.view.editors():
            return
        binding = self._bindings.pop(editor, None)
        if binding is not None:
            binding.detach()
        self._router.remove_editor(editor)
        self.view.remove_editor(editor)
        self.sig_current_changed.emit(self.current_path())

    # -- files changed elsewhere -------------------------------------------------------

    def on_file_renamed(self, renamed: FileRenamed) -> None:
        """Retarget editors of a renamed file or folder: buffer, undo history and dirty flag stay."""
        current = self.view.current_editor()
        for editor in self.view.editors():
            path = editor.path
            if path is None or not (path == renamed.old or renamed.old in path.parents):
                continue
            new = renamed.new / path.relative_to(renamed.old)
            editor.set_path(new)  # the language binding and the file watcher follow sig_path_changed
            self.view.set_tab_state(editor, new, editor.is_dirty())
            if editor is current:
                self.sig_current_changed.emit(new)

    def on_file_deleted(self, path: Path) -> None:
        """Close the editors of a deleted file or folder (their content is gone from disk)."""
        for editor in list(self.view.editors()):
            if editor.path is not None and (editor.path == path or path in editor.path.parents):
                self._discard(editor)

    def _on_editor_conflict(self, editor: CodeEditor, change: ExternalChange) -> None:
        if change.deleted:
            # A rename in the tree looks like a deletion to the watcher and may be reported before the
            # rename's own result retargets the editor: ask only if the editor still shows that path.
            QTimer.singleShot(DELETION_GRACE_MS, self, lambda: self._on_editor_file_deleted(editor, change))
        elif self.view.ask_reload(change.path.name, False) and change.text is not None:
            editor.apply_reload(change.text)

    def _on_editor_file_deleted(self, editor: CodeEditor, change: ExternalChange) -> None:
        if editor not in self.view.editors() or editor.path != change.path:
            return
        if not self.view.ask_reload(change.path.name, True):
            self._discard(editor)

    def _on_editor_dirty_changed(self, editor: CodeEditor, change: DirtyChanged) -> None:
        if change.path is not None:
            self.view.set_tab_state(editor, change.path, change.dirty)

    # -- session and appearance ---------------------------------------------------------

    def open_files(self) -> list[OpenFile]:
        """The open files and their carets, in tab order (for session restore)."""
        return [OpenFile(e.path, e.caret_position()) for e in self.view.editors() if e.path is not None]

    def current_path(self) -> Path | None:
        """The current editor's file."""
        editor = self.view.current_editor()
        return editor.path if editor is not None else None

    def current_editor(self) -> CodeEditor | None:
        """The current editor."""
        return self.view.current_editor()

    def set_theme(self, theme: ThemeName) -> None:
        """Use ``theme`` for every editor, open now or later."""
        self._theme = theme
        for editor in self.view.editors():
            editor.set_theme(theme)

    def on_view_close_requested(self, event: object) -> None:
        """Slot: a tab's close button was clicked."""
        editor = getattr(event, "editor", None)
        if isinstance(editor, CodeEditor):
            self.close(editor)

    def on_view_current_changed(self, event: object) -> None:
        """Slot: the current tab changed."""
        editor = getattr(event, "editor", None)
        self.sig_current_changed.emit(editor.path if isinstance(editor, CodeEditor) else None)
