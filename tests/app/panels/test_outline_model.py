"""Outline data: hierarchy from a flat outline, the symbol at the caret, Go to Symbol matching, kind icons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.panels.outline.model import filter_symbols, kind_icon, match_score, symbol_at, symbol_detail, symbol_tree
from app.panels.outline.widget import OutlineWidget
from editor.lsp.types import DocumentSymbol, DocumentSymbols
from editor.types import TextPosition, TextRange


def sym(name: str, kind: int, depth: int, first: int, last: int, container: str = "") -> DocumentSymbol:
    """A symbol whose name is on line `first` and whose declaration spans lines first..last."""
    name_range = TextRange(TextPosition(first, 4), TextPosition(first, 4 + len(name)))
    return DocumentSymbol(name, kind, name_range, depth, container, TextRange(TextPosition(first, 0), TextPosition(last, 80)))


OUTLINE = (
    sym("handler", 13, 0, 0, 20),
    sym("fetch", 6, 1, 1, 10, "handler"),
    sym("url", 13, 2, 2, 2, "fetch"),
    sym("scheduled", 6, 1, 12, 19, "handler"),
    sym("parseQuery", 12, 0, 22, 25),
    sym("Counter", 5, 0, 27, 33),
    sym("increment", 6, 1, 29, 31, "Counter"),
)


def test_symbol_tree_rebuilds_nesting() -> None:
    tree = symbol_tree(OUTLINE)
    assert [n.symbol.name for n in tree] == ["handler", "parseQuery", "Counter"]
    assert [n.symbol.name for n in tree[0].children] == ["fetch", "scheduled"]
    assert [n.symbol.name for n in tree[0].children[0].children] == ["url"]
    assert [n.symbol.name for n in tree[2].children] == ["increment"]


def test_symbol_at_is_the_innermost_declaration() -> None:
    assert symbol_at(OUTLINE, TextPosition(2, 3)).name == "url"
    assert symbol_at(OUTLINE, TextPosition(5, 0)).name == "fetch"
    assert symbol_at(OUTLINE, TextPosition(11, 0)).name == "handler"
    assert symbol_at(OUTLINE, TextPosition(30, 2)).name == "increment"
    assert symbol_at(OUTLINE, TextPosition(26, 0)) is None


@pytest.mark.parametrize("query, name, score", [
    ("", "anything", 0), ("par", "parseQuery", 0), ("PARSE", "parseQuery", 0), ("query", "parseQuery", 1),
    ("ery", "parseQuery", 2), ("pq", "parseQuery", 3), ("qp", "parseQuery", None), ("count", "increment", None),
    ("name", "file_name", 1),
])
def test_match_score(query: str, name: str, score: int | None) -> None:
    assert match_score(query, name) == score


def test_filter_symbols_orders_best_first_and_keeps_document_order_for_ties() -> None:
    assert [m.symbol.name for m in filter_symbols(OUTLINE, "")] == [s.name for s in OUTLINE]
    assert [m.symbol.name for m in filter_symbols(OUTLINE, "c")] == ["Counter", "fetch", "scheduled", "increment"]
    assert [m.symbol.name for m in filter_symbols(OUTLINE, "q")] == ["parseQuery"]
    assert [m.symbol.name for m in filter_symbols(OUTLINE, "in")] == ["increment"]
    assert filter_symbols(OUTLINE, "zz") == []


def test_symbol_detail_and_icons(qtbot: Any) -> None:
    assert symbol_detail(OUTLINE[1]) == "method · in handler · line 2"
    assert symbol_detail(OUTLINE[0]) == "variable · line 1"
    light, dark = kind_icon(12, "light"), kind_icon(12, "dark")
    assert not light.isNull() and light.pixmap(16, 16).toImage() != dark.pixmap(16, 16).toImage()


def test_outline_widget_keeps_collapsed_nodes_and_emits_activation(qtbot: Any) -> None:
    widget = OutlineWidget()
    qtbot.addWidget(widget)
    widget.set_symbols(DocumentSymbols(Path("/p/a.ts"), 1, OUTLINE))
    assert widget.row_texts()[:3] == ["handler", "  fetch", "    url"]
    handler = widget.proxy.index(0, 0)
    widget.tree.collapse(handler)
    widget.set_symbols(DocumentSymbols(Path("/p/a.ts"), 2, OUTLINE))  # a refresh keeps it collapsed
    assert not widget.tree.isExpanded(widget.proxy.index(0, 0))
    assert widget.tree.isExpanded(widget.proxy.index(2, 0))
    with qtbot.waitSignal(widget.sig_symbol_activated) as blocker:
        widget.activate("Counter")
    assert blocker.args[0].symbol.name == "Counter"
    widget.highlight(OUTLINE[6])
    assert widget.highlighted() == OUTLINE[6]
    widget.set_symbols(DocumentSymbols(Path("/p/empty.ts"), 1, ()))
    assert widget.row_texts() == [] and widget.message.text() == "No symbols in empty.ts."


def test_quick_pick_keeps_the_highlighted_symbol_when_a_fresher_outline_arrives(qtbot: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    from app.panels.outline.quick_pick import SymbolQuickPick

    anchor = QWidget()
    qtbot.addWidget(anchor)
    anchor.resize(800, 600)
    anchor.show()
    picker = SymbolQuickPick(anchor)
    previewed: list[str] = []
    picker.sig_symbol_previewed.connect(lambda picked: previewed.append(picked.symbol.name))
    picker.open_over(anchor, OUTLINE)
    assert picker.rows() == [s.name for s in OUTLINE] and picker.current_symbol() == OUTLINE[0]
    for _ in range(4):
        qtbot.keyClick(picker.query, Qt.Key.Key_Down)
    assert picker.current_symbol().name == "parseQuery" and previewed[-1] == "parseQuery"
    moved = tuple(s if s.name != "parseQuery" else sym("parseQuery", 12, 0, 23, 26) for s in OUTLINE)
    assert picker.isVisible()
    picker.set_symbols(moved)  # an edit above shifted it by a line
    assert picker.current_symbol() == moved[4]
    assert previewed == ["handler", "fetch", "url", "scheduled", "parseQuery"][1:]  # a refill previews nothing
    qtbot.keyClick(picker.query, Qt.Key.Key_Up)
    assert picker.current_symbol().name == "scheduled"
    with qtbot.waitSignal(picker.sig_symbol_chosen) as chosen:
        qtbot.keyClick(picker.query, Qt.Key.Key_Return)
    assert chosen.args[0].symbol.name == "scheduled" and not picker.isVisible()
