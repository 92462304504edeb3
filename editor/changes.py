"""Turn Scintilla modification notifications into LSP-style incremental edits."""

from __future__ import annotations

from collections.abc import Callable

from pyside6_scintilla import Scintilla

from editor.types import TextChange, TextPosition, TextRange

INSERT = int(Scintilla.ModificationFlags.InsertText)
DELETE = int(Scintilla.ModificationFlags.DeleteText)
BEFORE_DELETE = int(Scintilla.ModificationFlags.BeforeDelete)
EVENT_MASK = INSERT | DELETE | BEFORE_DELETE
"""The modification events the editor subscribes to."""


class ChangeTracker:
    """Builds a TextChange per insertion/deletion, in pre-edit coordinates.

    A deletion's end position only exists before the text is removed, so the
    range is captured at BeforeDelete and emitted at DeleteText. An insertion's
    start is unchanged by the insertion, so it is computed afterwards.

    Args:
        to_position: maps a byte position of the *current* buffer to a TextPosition.
    """

    def __init__(self, to_position: Callable[[int], TextPosition]) -> None:
        self._to_position = to_position
        self._pending_delete: TextRange | None = None

    def on_modified(self, flags: int, position: int, length: int, text: bytes) -> TextChange | None:
        """Feed one notification; return the completed change, if any."""
        if flags & BEFORE_DELETE:
            start = self._to_position(position)
            self._pending_delete = TextRange(start, self._to_position(position + length))
            return None
        if flags & DELETE:
            deleted, self._pending_delete = self._pending_delete, None
            if deleted is None:
                raise RuntimeError("DeleteText notification without BeforeDelete")
            return TextChange(deleted, "")
        if flags & INSERT:
            start = self._to_position(position)
            return TextChange(TextRange(start, start), text.decode("utf-8", "replace"))
        return None
