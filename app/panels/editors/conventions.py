"""Editor conventions in the IDE: indentation per file and Format Document / Format on Save.

- Each opened file gets its indentation from ``.editorconfig``, else from its own lines, else 2 spaces
  (``editor.indentation.resolve``, run off the GUI thread). The status bar shows it (``Spaces: 2``); a
  click opens a menu to indent with spaces or tabs, pick the size, or detect it again from the content.
- Edit → Format Document (Shift+Alt+F) formats the current file with the toolchain's pinned prettier
  (``runtime.formatter``, in a worker thread) as one undoable edit. A syntax error is reported with its
  file:line:column in the status bar and the Console, and the text is left alone.
- Edit → Format on Save (off by default, remembered): every save formats first, then writes; a file that
  cannot be formatted is saved as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.services.types import Failure
from editor import indentation as indent_rules
from editor.indentation import Indentation
from editor.widget import CodeEditor
from runtime.errors import UserError
from runtime.formatter import can_format, format_source

if TYPE_CHECKING:
    from app.main import Ide

FORMAT_ON_SAVE_KEY = "editor/format_on_save"
SIZES = (2, 4, 8)


@dataclass(frozen=True)
class Formatted:
    """Payload of ``Conventions.sig_formatted``."""

    path: Path
    changed: bool
    """The text changed (False: it was already formatted)."""


class Conventions(QObject):
    """Indentation and formatting for the editors of one window."""

    sig_formatted = Signal(object)
    """Formatted: Format Document finished on a file."""
    sig_format_failed = Signal(str)
    """The message of a failed format (syntax error with file:line:column)."""
    sig_indentation_applied = Signal(object)
    """CodeEditor: its indentation was (re)set."""

    def __init__(self, ide: Ide) -> None:
        super().__init__(ide.window)
        self.ide = ide
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="isoplay-format")
        """prettier runs here (node start-up plus formatting: ~0.3-1 s, never on the GUI thread)."""
        self.format_action: QAction | None = None
        self.format_on_save_action: QAction | None = None
        self.last_menu: QMenu | None = None

    # -- indentation ------------------------------------------------------------------

    def resolve_for(self, editor: CodeEditor) -> None:
        """Find ``editor``'s indentation off the GUI thread, then apply it."""
        path, text = editor.path, editor.text()
        try:
            future = self.ide.services.files.submit(indent_rules.resolve, path, text)
        except RuntimeError:  # the file service stopped (the IDE is shutting down): nothing to indent
            return
        self.ide.services.bridge.watch(future, lambda found: self.apply(editor, found), self._on_failed,
                                       f"reading the indentation of {path.name if path else 'the file'}")

    def apply(self, editor: CodeEditor, found: Indentation) -> None:
        """Use ``found`` in ``editor`` and show it."""
        if editor not in self.ide.panels.editors.editors():
            return
        editor.set_indentation(found)
        self.sig_indentation_applied.emit(editor)
        if editor is self.ide.controllers.editors.current_editor():
            self.ide.editor_status.refresh()

    def indentation_menu(self, editor: CodeEditor) -> QMenu:
        """The menu the status bar's indentation field opens."""
        menu = QMenu(self.ide.window)
        current = editor.indentation_setting() or Indentation(editor.view.useTabs(), editor.view.indent())
        for use_tabs, title in ((False, "Indent Using Spaces"), (True, "Indent Using Tabs")):
            sub = menu.addMenu(title)
            for size in SIZES:
                action = sub.addAction(str(size))
                action.setCheckable(True)
                action.setChecked(current.use_tabs == use_tabs and current.size == size)
                action.triggered.connect(lambda _c=False, t=use_tabs, s=size: self.apply(
                    editor, Indentation(t, s, "chosen")))
        menu.addSeparator()
        detect = menu.addAction("Detect Indentation from Content")
        detect.triggered.connect(lambda: self.apply(editor, indent_rules.detect(editor.text()) or indent_rules.DEFAULT))
        return menu

    def on_status_clicked(self, field_name: str) -> None:
        """The indentation field was clicked: open its menu above it."""
        editor = self.ide.controllers.editors.current_editor()
        if field_name != "indent" or editor is None:
            return
        label = self.ide.window.status["indent"]
        menu = self.indentation_menu(editor)
        self.last_menu = menu
        menu.popup(label.mapToGlobal(QPoint(0, -menu.sizeHint().height())))

    # -- formatting -------------------------------------------------------------------

    def format_document(self, editor: CodeEditor | None = None, then: Callable[[], None] | None = None) -> None:
        """Format ``editor`` (default: the current one) with prettier, then call ``then`` (also on failure)."""
        editor = editor or self.ide.controllers.editors.current_editor()
        if editor is None or editor.path is None or not can_format(editor.path):
            if then is not None:
                then()
            return
        path, version = editor.path, editor.document_version
        current = editor.indentation_setting()
        root = self.ide.controllers.project.root
        shown = path.relative_to(root).as_posix() if root is not None and root in path.parents else path.name
        future = self.executor.submit(format_source, editor.text(), path,
                                      use_tabs=current.use_tabs if current else None,
                                      tab_width=current.size if current else None, display_name=shown)
        self.ide.services.bridge.watch(
            future, lambda text: self._on_formatted(editor, path, version, text, then),
            lambda failure: self._on_format_failed(failure, then), f"formatting {shown}")

    def _on_formatted(self, editor: CodeEditor, path: Path, version: int, text: str,
                      then: Callable[[], None] | None) -> None:
        if editor in self.ide.panels.editors.editors() and editor.document_version == version:
            changed = text != editor.text()
            editor.replace_all_text(text)
            self.sig_formatted.emit(Formatted(path, changed))
        if then is not None:
            then()

    def _on_format_failed(self, failure: Failure, then: Callable[[], None] | None) -> None:
        error = failure.error
        message = str(error) if isinstance(error, UserError) else failure.message
        self.ide.window.flash(f"Not formatted: {message}", 8000)
        self.ide.controllers.console.add_message("warn", f"Format Document: {message}", "ide")
        self.sig_format_failed.emit(message)
        if then is not None:
            then()

    def format_on_save(self) -> bool:
        """Whether saves format first."""
        return self.format_on_save_action is not None and self.format_on_save_action.isChecked()

    def before_save(self, editor: CodeEditor, proceed: Callable[[], None]) -> None:
        """The editors controller's save hook: format first when Format on Save is on."""
        if self.format_on_save():
            self.format_document(editor, then=proceed)
        else:
            proceed()

    def _on_failed(self, failure: Failure) -> None:
        self.ide.window.flash(failure.message)

    def close(self) -> None:
        """Stop the format worker."""
        self.executor.shutdown(wait=False, cancel_futures=True)


def install_conventions(ide: Ide) -> Conventions:
    """Indentation per opened file, the indentation menu, Format Document and Format on Save."""
    conventions = Conventions(ide)
    window, editors = ide.window, ide.controllers.editors
    editors.sig_file_opened.connect(lambda path: _on_file_opened(conventions, path))
    window.sig_status_clicked.connect(lambda clicked: conventions.on_status_clicked(clicked.field))
    fmt = QAction("Format Document", window)
    fmt.setShortcut(QKeySequence("Shift+Alt+F"))
    fmt.triggered.connect(lambda: conventions.format_document())
    on_save = QAction("Format on Save", window)
    on_save.setCheckable(True)
    on_save.setChecked(str(ide.settings.store.value(FORMAT_ON_SAVE_KEY, "false")).lower() == "true")
    on_save.toggled.connect(lambda checked: ide.settings.store.setValue(FORMAT_ON_SAVE_KEY, bool(checked)))
    window.actions["format_document"] = conventions.format_action = fmt
    window.actions["format_on_save"] = conventions.format_on_save_action = on_save
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "") == "Edit":
            menu.addSeparator()
            menu.addAction(fmt)
            menu.addAction(on_save)
            break
    editors.before_save = conventions.before_save
    window.destroyed.connect(lambda *_: conventions.close())
    return conventions


def _on_file_opened(conventions: Conventions, path: Path) -> None:
    editor = conventions.ide.controllers.editors.editor_for(path)
    if editor is not None:
        conventions.resolve_for(editor)
