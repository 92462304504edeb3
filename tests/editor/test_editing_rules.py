"""Pure editing rules: auto-close decisions, Enter indentation, comment toggling."""

from __future__ import annotations

import pytest

from editor.editing import KeyAction, deletes_pair, newline_edit, toggle_line_comments, typed_char_action


@pytest.mark.parametrize(
    ("char", "before", "after", "selection", "expected"),
    [
        ("(", " ", "", False, KeyAction.PAIR),
        ("(", " ", "x", False, KeyAction.INSERT),
        (")", "(", ")", False, KeyAction.SKIP),
        ('"', " ", "", False, KeyAction.PAIR),
        ('"', "a", "", False, KeyAction.INSERT),
        ("'", "n", "t", False, KeyAction.INSERT),
        ('"', "", '"', False, KeyAction.SKIP),
        ("`", "=", "", False, KeyAction.PAIR),
        ("[", "", "", True, KeyAction.WRAP),
        ("x", "", "", False, KeyAction.INSERT),
    ],
)
def test_typed_char_action(char: str, before: str, after: str, selection: bool, expected: KeyAction) -> None:
    assert typed_char_action(char, before, after, selection) is expected


def test_deletes_pair() -> None:
    assert deletes_pair("(", ")")
    assert deletes_pair('"', '"')
    assert not deletes_pair("(", "]")


def test_newline_keeps_and_adds_indent() -> None:
    assert newline_edit("    const a = 1;", "").text == "\n    "
    split = newline_edit("  if (x) {", "}")
    assert split.text == "\n      \n  "
    assert split.caret_offset == len("\n      ")


def test_toggle_comments_round_trip() -> None:
    lines = ["  const a = 1;", "", "    b();"]
    commented = toggle_line_comments(lines)
    assert commented == ["  // const a = 1;", "", "  //   b();"]
    assert toggle_line_comments(commented) == lines
