"""``EditorLspBinding``: connects one ``CodeEditor`` to a ``LanguageClient``.

It is the controller between the passive editor widget and the client: it
batches the editor's incremental edits into didChange notifications, debounces
requests (``DEBOUNCE_MS``), checks each answer against the editor's current
document version, and turns answers into squiggles, completion lists and call
tips. Go-to-definition results are re-emitted for the app to open the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from editor.lsp.client import LanguageClient, serves
from editor.lsp.types import (
    CompletionResult,
    DefinitionResult,
    DocumentSymbols,
    HoverResult,
    SignatureHelpResult,
)
from editor.types import DocumentChanged, FileDiagnostics, TextChange, TextPosition
from editor.widget import CharTyped, CodeEditor, PathChanged

DEBOUNCE_MS = 50
COMPLETION_TRIGGERS = frozenset(".")
SIGNATURE_TRIGGERS = frozenset("(,<")
SIGNATURE_CLOSERS = frozenset(")")


class EditorLspBinding(QObject):
    """Language features for one editor. Create it in the composition root.

    Args:
        editor: the editor to serve (its ``path`` identifies the document).
        client: a started (or starting) language client, shared by all editors.
        debounce_ms: delay that coalesces edits and requests.
    """

    sig_definition_found = Signal(object)
    """Location: where the symbol under the caret is defined; the app opens ``path`` at
    ``line``/``character`` (same-file targets are also jumped to by the binding)."""
    sig_symbols_updated = Signal(object)
    """DocumentSymbols: a fresh outline of this editor's document."""

    def __init__(self, editor: CodeEditor, client: LanguageClient, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(editor)
        self.editor = editor
        self.client = client
        self._pending: list[TextChange] = []
        self._track_outline = False
        self._completion_at: TextPosition | None = None
        self._hover_at: TextPosition | None = None
        self._timers = {
            name: _debounce_timer(self, debounce_ms, slot)
            for name, slot in (
                ("flush", self.flush),
                ("completion", self._send_completion),
                ("signature", self._send_signature_help),
                ("hover", self._send_hover),
                ("symbols", self.request_document_symbols),
            )
        }
        self._connect()
        if self._ready_path() is not None:
            client.open_document(self._path(), editor)

    def _connect(self) -> None:
        editor, client = self.editor, self.client
        editor.sig_text_edited.connect(self._on_editor_text_edited)
        editor.sig_char_typed.connect(self._on_editor_char_typed)
        editor.sig_completion_requested.connect(self._on_editor_completion_requested)
        editor.sig_hover_requested.connect(self._on_editor_hover_requested)
        editor.sig_definition_requested.connect(self._on_editor_definition_requested)
        editor.sig_path_changed.connect(self._on_editor_path_changed)
        client.sig_diagnostics_published.connect(self._on_client_diagnostics_published)
        client.sig_completion_received.connect(self._on_client_completion_received)
        client.sig_hover_received.connect(self._on_client_hover_received)
        client.sig_signature_help_received.connect(self._on_client_signature_help_received)
        client.sig_definition_received.connect(self._on_client_definition_received)
        client.sig_symbols_received.connect(self._on_client_symbols_received)

    def detach(self) -> None:
        """Stop serving the editor and close its document on the server."""
        for timer in self._timers.values():
            timer.stop()
        for signal, slot in _client_connections(self):
            signal.disconnect(slot)
        if self._ready_path() is not None:
            self.client.close_document(self._path())

    # -- commands ---------------------------------------------------------------

    def flush(self) -> None:
        """Send the edits collected so far as one didChange."""
        self._timers["flush"].stop()
        if self._pending and self._ready_path() is not None:
            changes, self._pending = self._pending, []
            self.client.change_document(self._path(), self.editor.document_version, changes)
            if self._track_outline:
                self._timers["symbols"].start()

    def request_completion(self, position: TextPosition | None = None) -> None:
        """Ask for completion at `position` (default: the caret), debounced."""
        self._completion_at = position or self.editor.caret_position()
        self._timers["completion"].start()

    def request_signature_help(self) -> None:
        """Ask for signature help at the caret, debounced."""
        self._timers["signature"].start()

    def request_definition(self, position: TextPosition | None = None) -> None:
        """Ask where the symbol at `position` (default: caret) is defined; see ``sig_definition_found``."""
        if self._ready_path() is not None:
            self.flush()
            target = position or self.editor.caret_position()
            self.client.request_definition(self._path(), self.editor.document_version, target)

    def request_document_symbols(self) -> None:
        """Ask for the outline now; answered by ``sig_symbols_updated``."""
        if self._ready_path() is not None:
            self.flush()
            self.client.request_document_symbols(self._path(), self.editor.document_version)

    def set_outline_tracking(self, enabled: bool) -> None:
        """Refresh the outline (``sig_symbols_updated``) after every batch of edits."""
        self._track_outline = enabled
        if enabled:
            self._timers["symbols"].start()

    # -- debounced senders -----------------------------------------------------------

    def _send_completion(self) -> None:
        if self._ready_path() is not None and self._completion_at is not None:
            self.flush()
            self.client.request_completion(self._path(), self.editor.document_version, self.editor.caret_position())

    def _send_signature_help(self) -> None:
        if self._ready_path() is not None:
            self.flush()
            position = self.editor.caret_position()
            self.client.request_signature_help(self._path(), self.editor.document_version, position)

    def _send_hover(self) -> None:
        if self._ready_path() is not None and self._hover_at is not None:
            self.flush()
            self.client.request_hover(self._path(), self.editor.document_version, self._hover_at)

    def serves_document(self) -> bool:
        """True if the language server understands this editor's file (TypeScript or JavaScript)."""
        return self._ready_path() is not None

    def _ready_path(self) -> Path | None:
        path = self.editor.path
        return path if path is not None and serves(path) else None

    def _path(self) -> Path:
        path = self.editor.path
        assert path is not None
        return path

    def _is_current(self, path: Path, version: int | None) -> bool:
        mine = self.editor.path
        if mine is None or path != mine.resolve():
            return False
        return version is None or version == self.editor.document_version

    # -- editor slots ------------------------------------------------------------------

    def _on_editor_text_edited(self, event: DocumentChanged) -> None:
        self._pending.append(event.change)
        self._hover_at = None
        self._timers["flush"].start()

    def _on_editor_char_typed(self, event: CharTyped) -> None:
        if event.char in COMPLETION_TRIGGERS:
            self.request_completion(event.position)
        elif event.char in SIGNATURE_TRIGGERS:
            self.request_signature_help()
        elif event.char in SIGNATURE_CLOSERS:
            self.editor.hide_calltip()

    def _on_editor_completion_requested(self, position: TextPosition) -> None:
        self.request_completion(position)

    def _on_editor_hover_requested(self, position: TextPosition) -> None:
        self._hover_at = position
        self._timers["hover"].start()

    def _on_editor_definition_requested(self, position: TextPosition) -> None:
        self.request_definition(position)

    def _on_editor_path_changed(self, change: PathChanged) -> None:
        self._pending.clear()
        if change.old is not None and serves(change.old):
            self.client.close_document(change.old)
        if change.new is not None and serves(change.new):
            self.client.open_document(change.new, self.editor)

    # -- client slots --------------------------------------------------------------------

    def _on_client_diagnostics_published(self, result: FileDiagnostics) -> None:
        if self._is_current(result.path, result.version):
            self.editor.set_diagnostics(result.diagnostics)

    def _on_client_completion_received(self, result: CompletionResult) -> None:
        if self.editor.path is None or result.path != self.editor.path.resolve():
            return
        if result.version != self.editor.document_version:
            self._timers["completion"].start()  # typed on meanwhile: ask again for the new text
            return
        self._completion_at = None
        self.editor.show_completions([item.label for item in result.items])

    def _on_client_hover_received(self, result: HoverResult) -> None:
        if self._is_current(result.path, result.version) and result.position == self._hover_at \
                and result.position == self.editor.hover_position:  # not once the mouse has left
            self.editor.show_hover(result.position, result.text, result.markdown)

    def _on_client_signature_help_received(self, result: SignatureHelpResult) -> None:
        if not self._is_current(result.path, result.version):
            return
        if result.label:
            self.editor.show_calltip(result.position, result.label, result.active_parameter)
        else:
            self.editor.hide_calltip()

    def _on_client_definition_received(self, result: DefinitionResult) -> None:
        if not self._is_current(result.path, result.version) or not result.targets:
            return
        target = result.targets[0]
        if target.path == self._path().resolve():
            self.editor.go_to(target.range.start)
        self.sig_definition_found.emit(target)

    def _on_client_symbols_received(self, result: DocumentSymbols) -> None:
        if self._is_current(result.path, result.version):
            self.sig_symbols_updated.emit(result)


def _client_connections(binding: EditorLspBinding) -> list[tuple[SignalInstance, Callable[..., None]]]:
    client = binding.client
    return [
        (client.sig_diagnostics_published, binding._on_client_diagnostics_published),
        (client.sig_completion_received, binding._on_client_completion_received),
        (client.sig_hover_received, binding._on_client_hover_received),
        (client.sig_signature_help_received, binding._on_client_signature_help_received),
        (client.sig_definition_received, binding._on_client_definition_received),
        (client.sig_symbols_received, binding._on_client_symbols_received),
    ]


def _debounce_timer(parent: QObject, interval_ms: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
