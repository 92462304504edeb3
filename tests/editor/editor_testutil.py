"""Helpers for editor tests (pure functions)."""

from __future__ import annotations

from editor.types import TextChange, TextPosition


def apply_change(text: str, change: TextChange) -> str:
    """Apply an LSP-style incremental change to `text` (UTF-16 columns), as a server would."""
    start = offset_of(text, change.range.start)
    end = offset_of(text, change.range.end)
    return text[:start] + change.text + text[end:]


def offset_of(text: str, position: TextPosition) -> int:
    """Python string index of an LSP position in `text`."""
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return offset + index
        units += 2 if ord(char) > 0xFFFF else 1
    return offset + len(line)


def position_of(text: str, needle: str, delta: int = 0) -> TextPosition:
    """TextPosition of the first `needle` in `text` (+ `delta` characters); ASCII lines only."""
    index = text.index(needle) + delta
    line = text.count("\n", 0, index)
    return TextPosition(line, index - (text.rfind("\n", 0, index) + 1))
