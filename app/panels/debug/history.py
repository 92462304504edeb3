"""``InputHistory``: Up/Down recall for the Debug Console prompt (pure, no Qt)."""

from __future__ import annotations


class InputHistory:
    """Entered lines, newest last, with a cursor moved by Up/Down."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._items: list[str] = []
        self._cursor = 0
        self._draft = ""

    @property
    def items(self) -> tuple[str, ...]:
        """Every entry, oldest first."""
        return tuple(self._items)

    def add(self, text: str) -> None:
        """Record an entered line (blank lines and repeats of the last are skipped) and reset the cursor."""
        if text.strip() and (not self._items or self._items[-1] != text):
            self._items.append(text)
            del self._items[:-self.limit]
        self._cursor = len(self._items)
        self._draft = ""

    def previous(self, current: str) -> str:
        """The entry before the cursor (Up); ``current`` is kept as the draft when leaving it."""
        if self._cursor == len(self._items):
            self._draft = current
        self._cursor = max(0, self._cursor - 1)
        return self._items[self._cursor] if self._items else current

    def next(self) -> str:
        """The entry after the cursor (Down); past the newest, the draft comes back."""
        self._cursor = min(len(self._items), self._cursor + 1)
        return self._items[self._cursor] if self._cursor < len(self._items) else self._draft
