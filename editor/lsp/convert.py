"""Pure conversions between LSP JSON (via ``lsprotocol``) and editor dataclasses.

They run on the language-client thread, so big completion lists are decoded
off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import converters
from lsprotocol import types as lsp

from editor.lsp.types import CompletionItem, DocumentSymbol, Location
from editor.types import Diagnostic, Severity, TextChange, TextPosition, TextRange

_converter = converters.get_converter()


def path_to_uri(path: Path) -> str:
    """Return the ``file://`` URI of an absolute path."""
    return path.resolve().as_uri()


def uri_to_path(uri: str) -> Path:
    """Return the path of a ``file://`` URI."""
    return Path(unquote(urlparse(uri).path))


def structure(value: Any, cls: type[Any]) -> Any:
    """Decode raw JSON into an lsprotocol type (e.g. a ``*Response`` class)."""
    return _converter.structure(value, cls)


def unstructure(value: Any) -> Any:
    """Encode an lsprotocol object as JSON-ready data."""
    return _converter.unstructure(value)


def position_to_lsp(position: TextPosition) -> lsp.Position:
    """Return the lsprotocol Position of a TextPosition."""
    return lsp.Position(line=position.line, character=position.character)


def range_from_lsp(value: lsp.Range) -> TextRange:
    """Return the TextRange of an lsprotocol Range."""
    start, end = value.start, value.end
    return TextRange(TextPosition(start.line, start.character), TextPosition(end.line, end.character))


def change_to_lsp(change: TextChange) -> lsp.TextDocumentContentChangePartial:
    """Return the didChange content change of a TextChange."""
    start, end = change.range.start, change.range.end
    rng = lsp.Range(start=position_to_lsp(start), end=position_to_lsp(end))
    return lsp.TextDocumentContentChangePartial(range=rng, text=change.text)


def diagnostic_from_lsp(value: lsp.Diagnostic) -> Diagnostic:
    """Return the editor Diagnostic of an lsprotocol Diagnostic."""
    return Diagnostic(
        range=range_from_lsp(value.range),
        message=value.message,
        severity=Severity(int(value.severity or Severity.ERROR)),
        code="" if value.code is None else str(value.code),
        source=value.source or "",
    )


def diagnostics_from_report(raw: Any) -> tuple[Diagnostic, ...] | None:
    """Decode a ``textDocument/diagnostic`` result; None if it is 'unchanged'."""
    report = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.DocumentDiagnosticResponse).result
    items = getattr(report, "items", None)
    if items is None:
        return None
    return tuple(diagnostic_from_lsp(d) for d in items)


def completion_items(raw: Any) -> tuple[tuple[CompletionItem, ...], bool]:
    """Decode a completion result into sorted items and the 'incomplete' flag."""
    result = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.CompletionResponse).result
    if result is None:
        return (), False
    items: Sequence[lsp.CompletionItem]
    incomplete = False
    if isinstance(result, lsp.CompletionList):
        items, incomplete = result.items, result.is_incomplete
    else:
        items = result
    converted = (_completion_item(item) for item in items)
    return tuple(sorted(converted, key=lambda i: (i.sort_text, i.label.lower()))), incomplete


def _completion_item(item: lsp.CompletionItem) -> CompletionItem:
    insert = item.insert_text or item.label
    edit = item.text_edit
    if edit is not None:
        insert = edit.new_text
    return CompletionItem(
        label=item.label,
        insert_text=insert,
        kind=int(item.kind or 0),
        detail=item.detail or "",
        sort_text=item.sort_text or item.label,
    )


def hover_text(raw: Any) -> str:
    """Decode a hover result into plain text (empty if none)."""
    result = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.HoverResponse).result
    if result is None:
        return ""
    return _markup_text(result.contents).strip()


def hover_markdown(raw: Any) -> str:
    """A hover result as markdown ('' when the server sent none or plain text only)."""
    result = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.HoverResponse).result
    if result is None:
        return ""
    contents = result.contents
    if isinstance(contents, lsp.MarkupContent) and contents.kind == lsp.MarkupKind.Markdown:
        return contents.value.strip()
    return ""


def _markup_text(contents: Any) -> str:
    if isinstance(contents, lsp.MarkupContent):
        return strip_markdown_fences(contents.value)
    if isinstance(contents, str):
        return contents
    if isinstance(contents, lsp.MarkedStringWithLanguage):
        return contents.value
    if isinstance(contents, (list, tuple)):
        return "\n".join(_markup_text(part) for part in contents)
    return ""


def strip_markdown_fences(text: str) -> str:
    """Drop ```` ``` ```` fence lines so markdown hover text reads as plain text."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("```"))


def signature_help(raw: Any) -> tuple[str, tuple[int, int] | None, str]:
    """Decode signature help into (label, active parameter span, documentation)."""
    result = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.SignatureHelpResponse).result
    if result is None or not result.signatures:
        return "", None, ""
    index = min(result.active_signature or 0, len(result.signatures) - 1)
    signature = result.signatures[index]
    active = signature.active_parameter if signature.active_parameter is not None else result.active_parameter
    span = _parameter_span(signature, active)
    doc = _markup_text(signature.documentation) if signature.documentation else ""
    return signature.label, span, doc


def _parameter_span(signature: lsp.SignatureInformation, active: int | None) -> tuple[int, int] | None:
    params = signature.parameters or []
    if active is None or not 0 <= active < len(params):
        return None
    label = params[active].label
    if isinstance(label, str):
        start = signature.label.find(label)
        return (start, start + len(label)) if start >= 0 else None
    return int(label[0]), int(label[1])


def locations(raw: Any) -> tuple[Location, ...]:
    """Decode a definition result (Location, Location[] or LocationLink[])."""
    result = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.DefinitionResponse).result
    if result is None:
        return ()
    values: Iterable[Any] = result if isinstance(result, (list, tuple)) else [result]
    return tuple(_location(value) for value in values)


def _location(value: lsp.Location | lsp.LocationLink) -> Location:
    if isinstance(value, lsp.LocationLink):
        return Location(uri_to_path(value.target_uri), range_from_lsp(value.target_selection_range))
    return Location(uri_to_path(value.uri), range_from_lsp(value.range))


def document_symbols(raw: Any) -> tuple[DocumentSymbol, ...]:
    """Decode a documentSymbol result (hierarchical or flat) into a flat outline."""
    result = structure({"jsonrpc": "2.0", "id": 0, "result": raw}, lsp.DocumentSymbolResponse).result
    if not result:
        return ()
    out: list[DocumentSymbol] = []
    for value in result:
        if isinstance(value, lsp.DocumentSymbol):
            _flatten(value, 0, "", out)
        else:
            out.append(_flat_symbol(value))
    return tuple(sorted(out, key=lambda s: s.range.start)) if not _is_tree(result) else tuple(out)


def _is_tree(result: Sequence[Any]) -> bool:
    return bool(result) and isinstance(result[0], lsp.DocumentSymbol)


def _flat_symbol(value: lsp.SymbolInformation) -> DocumentSymbol:
    container = value.container_name or ""
    span = range_from_lsp(value.location.range)
    return DocumentSymbol(value.name, int(value.kind), span, int(bool(container)), container, span)


def _flatten(symbol: lsp.DocumentSymbol, depth: int, container: str, out: list[DocumentSymbol]) -> None:
    name, extent = range_from_lsp(symbol.selection_range), range_from_lsp(symbol.range)
    out.append(DocumentSymbol(symbol.name, int(symbol.kind), name, depth, container, extent))
    for child in symbol.children or ():
        _flatten(child, depth + 1, symbol.name, out)
