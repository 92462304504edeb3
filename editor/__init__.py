"""The code editor widget and the TypeScript language client (Qt; no ``runtime``).

Public API:

- ``CodeEditor`` (``editor.widget``): one editor per open file.
- ``FileWatcher`` / ``ExternalChangeRouter`` (``editor.file_watch``): reload on outside changes.
- ``editor.lsp``: ``LanguageClient`` (one per project) and ``EditorLspBinding`` (one per editor).
- ``editor.types``: the value types carried by signals.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ExternalChangeRouter": "editor.file_watch",
    "FileWatcher": "editor.file_watch",
    "SearchError": "editor.search",
    "SearchOptions": "editor.search",
    "CaretMoved": "editor.types",
    "Diagnostic": "editor.types",
    "DirtyChanged": "editor.types",
    "DocumentChanged": "editor.types",
    "ExternalChange": "editor.types",
    "FileDiagnostics": "editor.types",
    "MarginClicked": "editor.types",
    "Severity": "editor.types",
    "TextChange": "editor.types",
    "TextPosition": "editor.types",
    "TextRange": "editor.types",
    "ThemeName": "editor.types",
    "CharTyped": "editor.widget",
    "CodeEditor": "editor.widget",
    "ExternalChangeOutcome": "editor.widget",
    "PathChanged": "editor.widget",
    "SavedView": "editor.widget",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import public names lazily, so ``python -m editor.widget`` runs cleanly."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'editor' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
