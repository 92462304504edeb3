"""Find / replace in the real editor, through the find bar and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from editor.search import SearchError, SearchOptions
from editor.types import TextPosition
from editor.widget import CodeEditor

Factory = Callable[..., CodeEditor]
SOURCE = "const foo1 = 1;\nconst Foo2 = 2;\nconst bar = foo1 + Foo2;\n"


def test_regex_replace_all_with_groups(editor_factory: Factory) -> None:
    editor = editor_factory(text=SOURCE)
    count = editor.replace_all(SearchOptions(r"foo(\d)", regex=True, match_case=True), r"baz_\1")
    assert count == 2
    assert editor.text() == "const baz_1 = 1;\nconst Foo2 = 2;\nconst bar = baz_1 + Foo2;\n"
    editor.undo()  # one undo step
    assert editor.text() == SOURCE


def test_match_case_off_finds_both_spellings(editor_factory: Factory) -> None:
    editor = editor_factory(text=SOURCE)
    assert editor.replace_all(SearchOptions(r"foo\d", regex=True, match_case=False), "x") == 4


def test_find_next_wraps_and_selects(editor_factory: Factory) -> None:
    editor = editor_factory(text=SOURCE)
    editor.set_caret(TextPosition(2, 0))
    first = editor.find_text(SearchOptions("Foo2", match_case=True))
    assert first is not None and first.start == TextPosition(2, 19)
    second = editor.find_text(SearchOptions("Foo2", match_case=True))
    assert second is not None and second.start == TextPosition(1, 6)  # wrapped around


def test_invalid_regex_is_reported(editor_factory: Factory) -> None:
    editor = editor_factory(text=SOURCE)
    with pytest.raises(SearchError):
        editor.find_text(SearchOptions("(foo", regex=True))


def test_find_bar_regex_replace(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text=SOURCE)
    qtbot.keyClick(editor.view, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    bar = editor.find_bar
    assert bar.isVisible() and bar.replace_edit.isVisible()
    bar.regex_box.setChecked(True)
    bar.case_box.setChecked(True)
    qtbot.keyClicks(bar.find_edit, r"const (\w+)")
    assert bar.status_label.text() == "3 matches"
    qtbot.keyClicks(bar.replace_edit, r"let \1")
    bar.request_replace(replace_all=True)
    assert editor.text() == SOURCE.replace("const ", "let ")
    assert bar.status_label.text() == "3 replaced"
    qtbot.keyClick(bar, Qt.Key.Key_Escape)
    assert not bar.isVisible()
