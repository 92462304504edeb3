"""Watch open files for changes made outside the editor (``watchfiles`` in a thread).

``FileWatcher`` watches the parent folders of the watched files (editors and
tools often save by writing a temp file and renaming it, which a watch on the
file itself would miss), reads the new content on its own thread and emits
``sig_file_changed`` on the GUI thread. ``ExternalChangeRouter`` hands each
change to the ``CodeEditor`` showing that file: a clean buffer reloads, a dirty
one emits ``sig_external_change_conflicted`` for the app to ask the user.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from watchfiles._rust_notify import RustNotify

from editor.document_io import read_text
from editor.types import ExternalChange
from editor.widget import CodeEditor, ExternalChangeOutcome, PathChanged

log = logging.getLogger(__name__)

DEBOUNCE_MS = 50
STEP_MS = 50
POLL_DELAY_MS = 300
RUST_TIMEOUT_MS = 5_000


class FileWatcher(QObject):
    """Reports changes to a set of files from a background thread.

    Args:
        debounce_ms: how long changes are grouped before being reported.
        force_polling: poll instead of using OS notifications (network drives).
    """

    sig_file_changed = Signal(object)
    """ExternalChange: a watched file was modified, replaced or deleted on disk."""
    sig_watch_failed = Signal(object)
    """Exception: the watcher thread stopped because of an error."""
    sig_watching = Signal(object)
    """frozenset[Path]: the OS watch for these files is now live (after start/watch/unwatch)."""

    _sig_from_thread = Signal(object)
    _sig_live = Signal(object)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS, force_polling: bool = False) -> None:
        super().__init__(parent)
        self._debounce_ms = debounce_ms
        self._force_polling = force_polling
        self._paths: set[Path] = set()
        self._lock = threading.Lock()
        self._interrupt = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._sig_from_thread.connect(self.sig_file_changed, Qt.ConnectionType.QueuedConnection)
        self._sig_live.connect(self.sig_watching, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        """Start the watcher thread (returns at once)."""
        if self._thread is not None:
            return
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="isoplay-file-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (it exits within about ``STEP_MS``; does not wait)."""
        self._stopped.set()
        self._interrupt.set()
        self._thread = None

    def watch(self, path: Path) -> None:
        """Start reporting changes to `path`."""
        with self._lock:
            self._paths.add(path.resolve())
        self._interrupt.set()

    def unwatch(self, path: Path) -> None:
        """Stop reporting changes to `path`."""
        with self._lock:
            self._paths.discard(path.resolve())
        self._interrupt.set()

    def watched(self) -> frozenset[Path]:
        """The files currently watched."""
        with self._lock:
            return frozenset(self._paths)

    # -- watcher thread ------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                self._interrupt.clear()
                watched = self.watched()
                folders = sorted({p.parent for p in watched if p.parent.is_dir()})
                if not folders:
                    self._interrupt.wait()
                    continue
                self._watch_folders(folders, watched)
        except Exception as exc:  # reported to the GUI through sig_watch_failed
            log.exception("file watcher stopped")
            self.sig_watch_failed.emit(exc)

    def _watch_folders(self, folders: list[Path], watched: frozenset[Path]) -> None:
        # RustNotify (watchfiles' engine) is used directly rather than watchfiles.watch()
        # so that sig_watching can report the moment the OS watch is really in place.
        args = ([str(f) for f in folders], False, self._force_polling, POLL_DELAY_MS, False, True)
        with RustNotify(*args) as notify:
            self._sig_live.emit(watched)
            while True:
                raw = notify.watch(self._debounce_ms, STEP_MS, RUST_TIMEOUT_MS, self._interrupt)
                if raw in ("stop", "signal"):
                    return
                if not isinstance(raw, str):
                    self._report({Path(path) for _change, path in raw})

    def _report(self, changed: Iterable[Path]) -> None:
        watched = self.watched()
        for path in sorted(p for p in changed if p in watched):
            self._sig_from_thread.emit(ExternalChange(path, _read_or_none(path)))


def _read_or_none(path: Path) -> str | None:
    try:
        return read_text(path)
    except FileNotFoundError:
        return None


class ExternalChangeRouter(QObject):
    """Routes a FileWatcher's changes to the editors showing the changed files."""

    sig_reloaded = Signal(object)
    """ExternalChange: a clean buffer was reloaded from disk (for a status message)."""

    def __init__(self, watcher: FileWatcher, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = watcher
        self._editors: dict[Path, CodeEditor] = {}
        watcher.sig_file_changed.connect(self._on_watcher_file_changed)

    def add_editor(self, editor: CodeEditor) -> None:
        """Watch the file of `editor` (and follow its path changes)."""
        editor.sig_path_changed.connect(self._on_editor_path_changed)
        if editor.path is not None:
            self._track(editor.path, editor)

    def remove_editor(self, editor: CodeEditor) -> None:
        """Stop watching the file of `editor`."""
        editor.sig_path_changed.disconnect(self._on_editor_path_changed)
        for path in [p for p, e in self._editors.items() if e is editor]:
            self._untrack(path)

    def _track(self, path: Path, editor: CodeEditor) -> None:
        self._editors[path.resolve()] = editor
        self._watcher.watch(path)

    def _untrack(self, path: Path) -> None:
        self._editors.pop(path.resolve(), None)
        self._watcher.unwatch(path)

    def _on_editor_path_changed(self, change: PathChanged) -> None:
        editor = self.sender()
        if change.old is not None:
            self._untrack(change.old)
        if change.new is not None and isinstance(editor, CodeEditor):
            self._track(change.new, editor)

    def _on_watcher_file_changed(self, change: ExternalChange) -> None:
        editor = self._editors.get(change.path)
        if editor is not None and editor.handle_external_change(change) is ExternalChangeOutcome.RELOADED:
            self.sig_reloaded.emit(change)
