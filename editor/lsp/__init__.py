"""TypeScript language client for ``tsc --lsp --stdio`` (TypeScript 7, native).

Public API::

    client = LanguageClient(tsc_path, project_root)   # one per project
    client.start()
    binding = EditorLspBinding(code_editor, client)   # one per open editor
    client.sig_status_changed       -> StatusChanged (status bar)
    client.sig_diagnostics_published -> FileDiagnostics (problems panel)
    binding.sig_definition_found    -> Location (open the file)
    binding.sig_symbols_updated     -> DocumentSymbols (outline)
"""

from editor.lsp.binding import EditorLspBinding
from editor.lsp.client import LanguageClient, RequestFailed, SyncedDocument
from editor.lsp.outline import SymbolListModel
from editor.lsp.session import RestartPolicy
from editor.lsp.types import (
    CompletionItem,
    CompletionResult,
    DefinitionResult,
    DocumentSymbol,
    DocumentSymbols,
    HoverResult,
    LanguageClientStatistics,
    Location,
    ServerStatus,
    SignatureHelpResult,
    StatusChanged,
)

__all__ = [
    "CompletionItem",
    "CompletionResult",
    "DefinitionResult",
    "DocumentSymbol",
    "DocumentSymbols",
    "EditorLspBinding",
    "HoverResult",
    "LanguageClient",
    "LanguageClientStatistics",
    "Location",
    "RequestFailed",
    "RestartPolicy",
    "ServerStatus",
    "SignatureHelpResult",
    "StatusChanged",
    "SymbolListModel",
    "SyncedDocument",
]
