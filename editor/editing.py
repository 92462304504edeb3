"""Pure text-editing rules: bracket/quote auto-close, comment toggling, indentation.

They decide *what* to do from plain strings; ``editor.widget`` applies the
result to Scintilla. Keeping them pure lets them be tested without a widget.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

PAIRS = {"(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "`": "`"}
CLOSERS = frozenset(")]}")
QUOTES = frozenset("\"'`")
LINE_COMMENT = "//"
INDENT = "    "


class KeyAction(enum.Enum):
    """What a typed character should do."""

    INSERT = "insert"
    """Let the editor insert the character normally."""
    PAIR = "pair"
    """Insert the character and its closer, caret between."""
    WRAP = "wrap"
    """Surround the selection with the character and its closer."""
    SKIP = "skip"
    """The same closer is already next: just move over it."""


def typed_char_action(char: str, before: str, after: str, has_selection: bool) -> KeyAction:
    """Decide how to handle typing `char` between `before` and `after` characters."""
    if char in PAIRS and has_selection:
        return KeyAction.WRAP
    if (char in CLOSERS or char in QUOTES) and after == char and not has_selection:
        return KeyAction.SKIP
    if char in QUOTES:
        return KeyAction.PAIR if _may_open_quote(before, after) else KeyAction.INSERT
    if char in PAIRS:
        return KeyAction.PAIR if not _is_word_char(after) else KeyAction.INSERT
    return KeyAction.INSERT


def _may_open_quote(before: str, after: str) -> bool:
    return not _is_word_char(before) and not _is_word_char(after) and before != "\\"


def _is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_$")


def deletes_pair(before: str, after: str) -> bool:
    """True if Backspace between `before` and `after` should delete both (``(|)``)."""
    return before in PAIRS and PAIRS[before] == after


def leading_whitespace(line: str) -> str:
    """Return the indentation of `line`."""
    return line[: len(line) - len(line.lstrip(" \t"))]


@dataclass(frozen=True)
class NewlineEdit:
    """Text to insert for Enter, and where the caret goes inside it."""

    text: str
    """Text replacing the selection."""
    caret_offset: int
    """Caret position as a character offset into `text`."""


def newline_edit(line_before_caret: str, after: str, unit: str = INDENT) -> NewlineEdit:
    """Return what Enter inserts: keep indentation, indent by ``unit`` after an opener, split ``{|}``."""
    indent = leading_whitespace(line_before_caret)
    stripped = line_before_caret.rstrip()
    opens = bool(stripped) and stripped[-1] in "([{"
    inner = indent + unit if opens else indent
    if opens and after == PAIRS[stripped[-1]]:
        text = "\n" + inner + "\n" + indent
        return NewlineEdit(text, 1 + len(inner))
    return NewlineEdit("\n" + inner, 1 + len(inner))


def toggle_line_comments(lines: Sequence[str], prefix: str = LINE_COMMENT) -> list[str]:
    """Comment `lines` with ``prefix`` (``//`` by default) or, if all are commented, uncomment them."""
    code = [line for line in lines if line.strip()]
    if not code:
        return list(lines)
    if all(line.lstrip().startswith(prefix) for line in code):
        return [_uncomment(line, prefix) for line in lines]
    column = min(len(leading_whitespace(line)) for line in code)
    return [_comment(line, column, prefix) for line in lines]


def _comment(line: str, column: int, prefix: str) -> str:
    if not line.strip():
        return line
    return line[:column] + prefix + " " + line[column:]


def _uncomment(line: str, prefix: str) -> str:
    indent = leading_whitespace(line)
    rest = line[len(indent) :]
    if not rest.startswith(prefix):
        return line
    rest = rest[len(prefix) :]
    return indent + (rest[1:] if rest.startswith(" ") else rest)
