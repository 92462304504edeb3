"""``HoverPopup``: the editor's hover, rendered as markdown in a popup that wraps and keeps links usable.

The TypeScript service documents symbols in markdown (``**`pathname`**``,
``[MDN Reference](https://...)``, fenced signatures). A Scintilla call tip shows
that as raw text on one line across the screen; this popup renders it (Qt's
CommonMark support), wraps it at ``MAX_WIDTH`` pixels, and opens links in the
browser. Moving the mouse from the text into the popup keeps it open (so a
link can be clicked); leaving the popup closes it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

MAX_WIDTH = 520
"""Widest the popup gets (text wraps inside)."""
HIDE_DELAY_MS = 350
"""After the mouse leaves the hovered word: time to reach the popup before it closes."""

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~-])")


def escape_markdown(text: str) -> str:
    """Plain ``text`` as markdown that renders as itself (line breaks kept)."""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


class HoverPopup(QFrame):
    """A frameless tool-tip window showing markdown."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("hoverPopup")
        self.setFrameShape(QFrame.Shape.Box)
        self.label = QLabel(self)
        self.label.setObjectName("hoverPopupText")
        self.label.setTextFormat(Qt.TextFormat.MarkdownText)
        self.label.setWordWrap(True)
        self.label.setOpenExternalLinks(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.label.setMaximumWidth(MAX_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.label)
        self.plain = ""
        """The text shown, as plain text (what ``CodeEditor.calltip_text`` reports)."""
        self._hide_timer = QTimer(self, singleShot=True, interval=HIDE_DELAY_MS)
        self._hide_timer.timeout.connect(self._hide_unless_under_mouse)

    def show_markdown(self, markdown: str, plain: str, at: QPoint) -> None:
        """Show ``markdown`` with its top-left at global point ``at`` (kept on the screen)."""
        self._hide_timer.stop()
        self.plain = plain
        self.label.setText(markdown)
        width = min(MAX_WIDTH, self.label.fontMetrics().horizontalAdvance("M") * 80)
        self.label.setFixedWidth(width) if len(plain) > 60 else self.label.setMinimumWidth(0)
        self.adjustSize()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            at = QPoint(max(screen.left(), min(at.x(), screen.right() - self.width())),
                        max(screen.top(), min(at.y(), screen.bottom() - self.height())))
        self.move(at)
        self.show()

    @property
    def showing(self) -> bool:
        """Shown and not on its way out (the mouse left the word and has not reached the popup)."""
        return self.isVisible() and not self._hide_timer.isActive()

    def text(self) -> str:
        """The markdown shown."""
        return self.label.text()

    def hide_soon(self) -> None:
        """Close after a short delay unless the mouse moves into the popup."""
        self._hide_timer.start()

    def close_now(self) -> None:
        """Close at once."""
        self._hide_timer.stop()
        self.hide()

    def _hide_unless_under_mouse(self) -> None:
        if not self.underMouse():
            self.hide()

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt override
        """The mouse reached the popup: keep it open."""
        self._hide_timer.stop()
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        """The mouse left the popup: close it."""
        self.hide_soon()
        super().leaveEvent(event)
