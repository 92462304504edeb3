"""Outline data without widgets: the symbol tree, the symbol under the caret, quick-pick matching, kind icons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from editor.lsp.outline import kind_name
from editor.lsp.types import DocumentSymbol
from editor.types import TextPosition


@dataclass
class SymbolNode:
    """A symbol and the symbols declared inside it."""

    symbol: DocumentSymbol
    """The symbol."""
    children: list[SymbolNode] = field(default_factory=list)
    """Nested symbols, in document order."""


def symbol_tree(symbols: Sequence[DocumentSymbol]) -> list[SymbolNode]:
    """Rebuild the hierarchy of a depth-first, depth-annotated outline (``DocumentSymbols.symbols``)."""
    roots: list[SymbolNode] = []
    stack: list[SymbolNode] = []
    for symbol in symbols:
        node = SymbolNode(symbol)
        while stack and stack[-1].symbol.depth >= symbol.depth:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def symbol_at(symbols: Sequence[DocumentSymbol], position: TextPosition) -> DocumentSymbol | None:
    """The innermost symbol whose declaration contains `position` (None outside every symbol)."""
    found: DocumentSymbol | None = None
    for symbol in symbols:
        if symbol.contains(position) and (found is None or symbol.depth >= found.depth):
            found = symbol
    return found


@dataclass(frozen=True)
class Match:
    """A symbol that matches a Go to Symbol query, and how well."""

    symbol: DocumentSymbol
    """The symbol."""
    score: int
    """Lower is better: 0 prefix, 1 word start, 2 substring, 3 letters in order."""
    index: int
    """Position in the outline (document order), the tie-breaker."""


def match_score(query: str, name: str) -> int | None:
    """How `name` matches `query` (see ``Match.score``), or None if it does not (case-insensitive)."""
    needle, hay = query.lower(), name.lower()
    if not needle or hay.startswith(needle):
        return 0
    at = hay.find(needle)
    if at > 0:
        word_start = not name[at - 1].isalnum() or (name[at].isupper() and name[at - 1].islower())
        return 1 if word_start else 2
    position = 0
    for char in needle:
        position = hay.find(char, position) + 1
        if position == 0:
            return None
    return 3


def filter_symbols(symbols: Sequence[DocumentSymbol], query: str) -> list[Match]:
    """The symbols matching `query`, best first (document order for an empty query)."""
    query = query.strip()
    matches = [Match(s, score, i) for i, s in enumerate(symbols) if (score := match_score(query, s.name)) is not None]
    return sorted(matches, key=lambda m: (m.score, m.index)) if query else matches


def symbol_detail(symbol: DocumentSymbol) -> str:
    """``kind · in container · line N`` for tooltips and the quick pick."""
    parts = [kind_name(symbol.kind)]
    if symbol.container:
        parts.append(f"in {symbol.container}")
    parts.append(f"line {symbol.range.start.line + 1}")
    return " · ".join(parts)


# -- kind icons ------------------------------------------------------------------------------

_GLYPHS: dict[int, tuple[str, str]] = {
    2: ("M", "module"), 3: ("N", "module"), 5: ("C", "class"), 6: ("m", "function"), 7: ("p", "field"),
    8: ("f", "field"), 9: ("c", "function"), 10: ("E", "class"), 11: ("I", "interface"), 12: ("ƒ", "function"),
    13: ("v", "field"), 14: ("K", "constant"), 22: ("e", "constant"), 23: ("S", "class"), 26: ("T", "interface"),
}
_COLOURS = {
    "light": {"module": "#6c6c6c", "class": "#c27d00", "function": "#7b3fb2", "field": "#0b6fc2",
              "interface": "#1a8a8a", "constant": "#a1260d", "other": "#6c6c6c"},
    "dark": {"module": "#c5c5c5", "class": "#ee9d28", "function": "#b180d7", "field": "#75beff",
             "interface": "#4ec9b0", "constant": "#f48771", "other": "#c5c5c5"},
}
ICON_SIZE = 16


@lru_cache(maxsize=128)
def kind_icon(kind: int, theme: str = "light") -> QIcon:
    """A small badge for an LSP SymbolKind (a letter in the kind's colour), drawn once per kind and theme."""
    glyph, group = _GLYPHS.get(kind, ("•", "other"))
    colour = QColor(_COLOURS.get(theme, _COLOURS["light"])[group])
    ratio = 2.0
    pixmap = QPixmap(int(ICON_SIZE * ratio), int(ICON_SIZE * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(1.5, 1.5, ICON_SIZE - 3, ICON_SIZE - 3)
    fill = QColor(colour)
    fill.setAlpha(40)
    painter.setBrush(fill)
    painter.setPen(colour)
    painter.drawRoundedRect(box, 3, 3)
    font = QFont()
    font.setPixelSize(10)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, glyph)
    painter.end()
    return QIcon(pixmap)
