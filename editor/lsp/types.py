"""Results of language-server requests, as frozen dataclasses for Qt signals."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from editor.types import TextPosition, TextRange


class ServerStatus(enum.Enum):
    """Lifecycle of the language server, for the status bar."""

    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    RESTARTING = "restarting"
    FAILED = "failed"


@dataclass(frozen=True)
class StatusChanged:
    """Payload of ``LanguageClient.sig_status_changed``."""

    status: ServerStatus
    """The new status."""
    message: str = ""
    """Detail for the user, e.g. why the server failed."""


@dataclass(frozen=True)
class CompletionItem:
    """One completion candidate."""

    label: str
    """Text shown in the list."""
    insert_text: str
    """Text inserted when chosen."""
    kind: int = 0
    """LSP CompletionItemKind (0 if unknown)."""
    detail: str = ""
    """Extra information, e.g. a type."""
    sort_text: str = ""
    """Key the server wants the list ordered by."""


@dataclass(frozen=True)
class CompletionResult:
    """Payload of ``LanguageClient.sig_completion_received``."""

    path: Path
    """Document the completion was asked for."""
    version: int
    """Document version at request time."""
    position: TextPosition
    """Where completion was asked for."""
    items: tuple[CompletionItem, ...]
    """Candidates, sorted by ``sort_text`` then label."""
    is_incomplete: bool = False
    """True if typing more should ask the server again."""


@dataclass(frozen=True)
class HoverResult:
    """Payload of ``LanguageClient.sig_hover_received``."""

    path: Path
    """Document the hover was asked for."""
    version: int
    """Document version at request time."""
    position: TextPosition
    """Hovered position."""
    text: str
    """Plain text to show (empty if the server had nothing)."""
    markdown: str = ""
    """The same as markdown, when the server sent markdown (rendered by the hover popup)."""


@dataclass(frozen=True)
class SignatureHelpResult:
    """Payload of ``LanguageClient.sig_signature_help_received``."""

    path: Path
    """Document the help was asked for."""
    version: int
    """Document version at request time."""
    position: TextPosition
    """Where the help was asked for."""
    label: str
    """The active signature, e.g. ``helper(x: number): string`` (empty if none)."""
    active_parameter: tuple[int, int] | None = None
    """Span of the active parameter inside ``label``, if known."""
    documentation: str = ""
    """Plain-text documentation of the signature."""


@dataclass(frozen=True)
class Location:
    """A span in some file."""

    path: Path
    """Absolute path of the file."""
    range: TextRange
    """The span."""

    @property
    def line(self) -> int:
        """0-based line of the span's start."""
        return self.range.start.line

    @property
    def character(self) -> int:
        """0-based UTF-16 column of the span's start."""
        return self.range.start.character


@dataclass(frozen=True)
class DefinitionResult:
    """Payload of ``LanguageClient.sig_definition_received``."""

    path: Path
    """Document the request came from."""
    version: int
    """Document version at request time."""
    position: TextPosition
    """Where the request was made."""
    targets: tuple[Location, ...]
    """Definitions found (empty if none)."""


@dataclass(frozen=True)
class DocumentSymbol:
    """One entry of a document outline, flattened depth-first."""

    name: str
    """Symbol name."""
    kind: int
    """LSP SymbolKind."""
    range: TextRange
    """Where the symbol's name (or declaration) is."""
    depth: int = 0
    """Nesting depth (0 for top level)."""
    container: str = ""
    """Name of the enclosing symbol, if any."""
    extent: TextRange | None = None
    """The whole declaration (body included), when the server sends it; ``range`` is its name."""

    def contains(self, position: TextPosition) -> bool:
        """True if `position` lies inside the declaration (or on its name, without an extent)."""
        span = self.extent or self.range
        return span.start <= position <= span.end


@dataclass(frozen=True)
class DocumentSymbols:
    """Payload of ``LanguageClient.sig_symbols_received``."""

    path: Path
    """Document the outline belongs to."""
    version: int
    """Document version at request time."""
    symbols: tuple[DocumentSymbol, ...]
    """Outline entries in document order, depth-first."""


@dataclass(frozen=True)
class LanguageClientStatistics:
    """Snapshot of a ``LanguageClient`` (see ``statistics()``)."""

    status: ServerStatus
    """Current lifecycle status."""
    pid: int | None
    """Process id of the running server, if any."""
    restarts: int
    """How many times the server was restarted after dying."""
    open_documents: int
    """Documents currently synchronized with the server."""
    dropped_responses: int
    """Responses dropped because the document changed meanwhile."""
