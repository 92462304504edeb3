"""``OutlineController``: keeps the Outline dock and the Go to Symbol box on the current editor's symbols.

It follows the current editor tab, asks that editor's language binding for its
document symbols when the tab changes, when the language server becomes ready
and ``debounce_ms`` after the last edit, highlights the symbol under the caret,
and moves the caret when a symbol is picked. The language server work happens
on the language client's thread; this only sends requests and renders answers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from app.panels.editors.controller import EditorsController
from app.panels.outline.model import symbol_at
from app.panels.outline.quick_pick import SymbolPicked, SymbolQuickPick
from app.panels.outline.widget import OutlineWidget, SymbolActivated
from editor.lsp import EditorLspBinding, ServerStatus, StatusChanged
from editor.lsp.types import DocumentSymbol, DocumentSymbols
from editor.types import CaretMoved
from editor.widget import CodeEditor, SavedView

OUTLINE_DEBOUNCE_MS = 400
"""Quiet time after the last edit before the outline is asked for again."""


class OutlineController(QObject):
    """Feeds the outline view and the quick pick from the current editor's language binding."""

    sig_symbols_shown = Signal(object)
    """DocumentSymbols: the outline now shows this answer (tests and status)."""

    def __init__(self, view: OutlineWidget, picker: SymbolQuickPick, editors: EditorsController,
                 debounce_ms: int = OUTLINE_DEBOUNCE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.picker = picker
        self.editors = editors
        self.theme = "light"
        self._editor: CodeEditor | None = None
        self._binding: EditorLspBinding | None = None
        self._connections: list[tuple[SignalInstance, Callable[..., Any]]] = []
        self._cache: dict[Path, DocumentSymbols] = {}
        self._before_preview: SavedView | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.refresh)
        editors.sig_current_changed.connect(self._on_editors_current_changed)
        editors.sig_binding_changed.connect(self._on_editors_binding_changed)
        view.sig_symbol_activated.connect(self._on_view_symbol_activated)
        picker.sig_symbol_chosen.connect(self._on_picker_symbol_chosen)
        picker.sig_symbol_previewed.connect(self._on_picker_symbol_previewed)
        picker.sig_cancelled.connect(self._on_picker_cancelled)

    # -- commands ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask the current editor's language binding for its symbols now."""
        self._timer.stop()
        if self._binding is not None:
            self._binding.request_document_symbols()

    def symbols(self) -> tuple[DocumentSymbol, ...]:
        """The current editor's symbols as last received (empty if none yet)."""
        path = self._editor.path if self._editor is not None else None
        cached = self._cache.get(path) if path is not None else None
        return cached.symbols if cached is not None else ()

    def show_quick_pick(self) -> bool:
        """Open Go to Symbol over the editor; False (and nothing opens) without an editor or a language service."""
        editor = self._editor
        if editor is None or (self._binding is None and not self.symbols()):
            return False
        self._before_preview = editor.save_view()
        anchor = editor.parentWidget() or editor
        self.picker.open_over(anchor, self.symbols(), self.theme)
        self.refresh()
        return True

    def set_theme(self, theme: str) -> None:
        """Use ``light`` or ``dark`` kind icons."""
        self.theme = theme
        self.view.set_theme(theme)

    def go_to(self, symbol: DocumentSymbol, focus: bool = True) -> None:
        """Select `symbol`'s name in the current editor."""
        if self._editor is not None:
            self._editor.select(symbol.range, focus)

    # -- following the current editor --------------------------------------------------------

    def _attach(self, editor: CodeEditor | None) -> None:
        self._detach()
        self._editor = editor
        self._binding = self.editors.binding_for(editor) if editor is not None else None
        if editor is None:
            self.view.clear("Open a file to see its symbols.")
            return
        self._connect(editor.sig_text_edited, self._on_editor_text_edited)
        self._connect(editor.sig_caret_moved, self._on_editor_caret_moved)
        self._connect(editor.sig_path_changed, self._on_editor_path_changed)
        cached = self._cache.get(editor.path) if editor.path is not None else None
        if self._binding is not None and not self._binding.serves_document():
            self._binding = None
            name = editor.path.name if editor.path is not None else "This file"
            self.view.clear(f"{name} has no outline: symbols come from the TypeScript language service.")
        elif cached is not None:
            self._show(cached)
        elif self._binding is None:
            self.view.clear("Waiting for the TypeScript language service…")
        else:
            self.view.clear("Loading symbols…")
        if self._binding is not None:
            self._connect(self._binding.sig_symbols_updated, self._on_binding_symbols_updated)
            self._connect(self._binding.client.sig_status_changed, self._on_client_status_changed)
            self.refresh()

    def _connect(self, signal: SignalInstance, slot: Callable[..., Any]) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    def _detach(self) -> None:
        self._timer.stop()
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass  # the editor (or binding) is already gone
        self._connections.clear()
        self._editor = None
        self._binding = None

    def _show(self, symbols: DocumentSymbols) -> None:
        self.view.set_symbols(symbols)
        self.picker.set_symbols(symbols.symbols)
        if self._editor is not None:
            self.view.highlight(symbol_at(symbols.symbols, self._editor.caret_position()))
        self.sig_symbols_shown.emit(symbols)

    # -- slots ------------------------------------------------------------------------------

    def _on_editors_current_changed(self, _path: object) -> None:
        editor = self.editors.current_editor()
        if editor is not self._editor or editor is None:
            self._attach(editor)

    def _on_editors_binding_changed(self, editor: CodeEditor) -> None:
        if editor is self.editors.current_editor():
            self._attach(editor)

    def _on_editor_text_edited(self, _event: object) -> None:
        self._timer.start()

    def _on_editor_caret_moved(self, caret: CaretMoved) -> None:
        self.view.highlight(symbol_at(self.symbols(), caret.position))

    def _on_editor_path_changed(self, _change: object) -> None:
        self._attach(self._editor)  # a rename may turn it into (or out of) a TypeScript file

    def _on_client_status_changed(self, change: StatusChanged) -> None:
        if change.status is ServerStatus.READY:
            self._timer.start()  # after the client has re-opened its documents

    def _on_binding_symbols_updated(self, symbols: DocumentSymbols) -> None:
        if self._editor is None or self._editor.path is None or symbols.path != self._editor.path.resolve():
            return
        self._cache[self._editor.path] = symbols
        self._show(symbols)

    def _on_view_symbol_activated(self, event: SymbolActivated) -> None:
        self.go_to(event.symbol)

    def _on_picker_symbol_previewed(self, picked: SymbolPicked) -> None:
        self.go_to(picked.symbol, focus=False)

    def _on_picker_symbol_chosen(self, picked: SymbolPicked) -> None:
        self._before_preview = None
        self.go_to(picked.symbol)

    def _on_picker_cancelled(self) -> None:
        saved, self._before_preview = self._before_preview, None
        if self._editor is not None and saved is not None:
            self._editor.restore_view(saved)
            self._editor.focus_text()
