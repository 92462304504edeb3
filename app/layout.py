"""Layout guarantees of the main window: what no panel content, saved state or small screen may break.

Guarantees (each tested on the real window offscreen, tests/app/test_ide_layout_holds.py):

- **No content grows the window.** Every dock's panel sits in a ``bounded`` scroll area whose minimum size
  is a few pixels, so however long a label, table row or error a panel shows, the dock area (and so the
  window) keeps its size; the panel scrolls inside its dock when squeezed. Error and status lines that may be
  long are ``ElidingLabel``s (one line, elided, the full text in the tooltip) or wrap.
- **The editor keeps ``MIN_EDITOR_LINES`` lines** whenever the window is tall enough to have them: after
  every resize (and on the first show) the bottom dock area gives back height to the editor, and the right
  column's Simulator and Response collapse into tabs when they would both be squeezed.
- **Nothing forces the window wider than ``MAX_MIN_WIDTH``**: toolbars overflow into their ``»`` menu.
- **A saved layout that doesn't fit the screen is discarded** (``fits_screen``), and View → Reset Layout
  puts every dock back where a fresh window has it.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QDataStream, QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QScrollArea, QSizePolicy, QWidget

MIN_EDITOR_LINES = 20
"""Lines of code the editor keeps visible when the window has room for them (1024x700 does)."""
MAX_MIN_WIDTH = 1024
"""The window's minimum width never goes above this (so it fits a 1024-pixel-wide screen)."""
BOUNDED_MIN = QSize(60, 40)
"""The minimum size a dock's content asks for, whatever it holds."""
EDITOR_CHROME = 48
"""Pixels of the central area that are not lines of code: the tab bar and a horizontal scroll bar."""
FALLBACK_LINE_HEIGHT = 17
"""Line height assumed before any editor is open."""
SIDE_SPLIT_MIN = 260
"""Below this height each, the right column's split docks are tabbed instead."""
SEPARATOR_EXTENT = 5
"""Width of the splitters between docks (``QMainWindow::separator`` in app/theme.py)."""


class BoundedScroll(QScrollArea):
    """A frameless scroll area that resizes its panel and asks for almost no room itself."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Small whatever the panel needs: the panel scrolls instead."""
        return BOUNDED_MIN

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The panel's size hint, capped so that a long text cannot ask for a wide dock."""
        hint = self.widget().sizeHint() if self.widget() is not None else BOUNDED_MIN
        return QSize(min(hint.width(), 480), min(hint.height(), 480))


def bounded(widget: QWidget) -> BoundedScroll:
    """``widget`` in a ``BoundedScroll`` (scroll bars only when squeezed below the panel's minimum)."""
    area = BoundedScroll()
    area.setObjectName(f"{widget.objectName() or 'panel'}Scroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


class ElidingLabel(QLabel):
    """One line of text that never asks for more width than it gets: elided at the end, full text on hover.

    Multi-line text shows its first line (with ``…``); the tooltip always has all of it.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        """Show ``text`` (elided when too long) and put the whole of it in the tooltip when it is cut."""
        super().setText(text)
        self.setToolTip(text if text else "")
        self.update()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """One line high, almost no width."""
        return QSize(16, QFontMetrics(self.font()).height() + self.contentsMargins().top()
                     + self.contentsMargins().bottom())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The first line's width (capped), one line high."""
        metrics = QFontMetrics(self.font())
        width = min(metrics.horizontalAdvance(self.text().split("\n", 1)[0]), 400)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(), self.minimumSizeHint().height())

    def displayed_text(self) -> str:
        """The text as drawn at the current width."""
        lines = self.text().split("\n")
        first = lines[0] + (" …" if len(lines) > 1 else "")
        return QFontMetrics(self.font()).elidedText(first, Qt.TextElideMode.ElideRight, max(0, self.contentsRect().width()))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw the elided first line."""
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         self.displayed_text())
        painter.end()


def saved_frame(geometry: QByteArray) -> QRect | None:
    """The window frame recorded in ``geometry`` (what ``QWidget.saveGeometry`` wrote), or None if unreadable.

    Read from the bytes because ``restoreGeometry`` itself squeezes a window onto the screen, which would hide
    the very damage this looks for. Layout (Qt 5/6): magic 0x1D9D0CB, major, minor (quint16), then the frame
    and normal geometries (QRect)."""
    stream = QDataStream(geometry)
    stream.setVersion(QDataStream.Version.Qt_5_0)
    magic = stream.readUInt32()
    major = stream.readUInt16()
    stream.readUInt16()
    if magic != 0x1D9D0CB or major not in (1, 2, 3):
        return None
    frame = QRect()
    stream >> frame
    return frame if stream.status() == QDataStream.Status.Ok and frame.isValid() else None


def fits_screen(window: QWidget, geometry: QByteArray) -> bool:
    """Whether the window frame saved in ``geometry`` lies within the available area of one of the screens."""
    frame = saved_frame(geometry)
    if frame is None:
        return False
    screen = window.screen()
    screens = screen.virtualSiblings() if screen is not None else []
    return any(_contains(s.availableGeometry(), frame) for s in screens)


def _contains(area: QRect, frame: QRect) -> bool:
    # a window manager's decorations may push the frame a few pixels past the area: allow them
    slack = 48
    return (frame.width() <= area.width() + 2 and frame.height() <= area.height() + 2
            and area.adjusted(-slack, -slack, slack, slack).contains(frame))


class LayoutGuard(QObject):
    """Keeps the editor's lines and the window's size after every resize and layout change."""

    def __init__(self, window: QMainWindow, line_height: callable, lines_shown: callable) -> None:  # type: ignore[valid-type]
        super().__init__(window)
        self.window = window
        self._line_height = line_height
        self._lines_shown = lines_shown
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.enforce)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Re-check after the window is resized or shown."""
        if watched is self.window and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            if isinstance(event, QResizeEvent) or event.type() == QEvent.Type.Show:
                self._pending.start()
        return False

    def schedule(self) -> None:
        """Check once control returns to the event loop (after a dock moved, showed or hid)."""
        self._pending.start()

    def needed_central_height(self) -> int:
        """Height of the central area that shows ``MIN_EDITOR_LINES`` lines."""
        return MIN_EDITOR_LINES * max(1, self._line_height()) + EDITOR_CHROME

    def enforce(self) -> None:
        """Give the editor its lines back from the bottom docks, and tab the right column when it is short."""
        window = self.window
        self._collapse_side_splits()
        central = window.centralWidget()
        if central is None:
            return
        shown = self._lines_shown()
        if shown > 0:  # an editor is open: count its lines (its chrome is whatever it is)
            missing = (MIN_EDITOR_LINES - shown) * max(1, self._line_height()) + 2
        else:
            missing = self.needed_central_height() - central.height()
        if missing <= 0:
            return
        bottom = [d for d in window.findChildren(QDockWidget)
                  if window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
                  and d.isVisible() and not d.isFloating()]
        if not bottom:
            return
        tallest = max(bottom, key=lambda d: d.height() if _on_screen(d) else 0)
        target = max(tallest.minimumSizeHint().height(), tallest.height() - missing, 60)
        if target < tallest.height():
            window.resizeDocks([tallest], [target], Qt.Orientation.Vertical)

    def _collapse_side_splits(self) -> None:
        """Docks of the right column that are split one above another and too short each get tabbed."""
        window = self.window
        right = [d for d in window.findChildren(QDockWidget)
                 if window.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
                 and d.isVisible() and not d.isFloating() and _on_screen(d)]
        stacked = _one_per_row(right)
        if len(stacked) < 2:
            return
        column = sum(d.height() for d in stacked)
        if column >= SIDE_SPLIT_MIN * len(stacked):
            return
        first = stacked[0]
        for dock in stacked[1:]:
            window.tabifyDockWidget(first, dock)
        first.raise_()


def _on_screen(dock: QDockWidget) -> bool:
    """A dock that is drawn: Qt parks the hidden members of a tab group at negative coordinates."""
    return dock.geometry().left() >= 0 and dock.geometry().top() >= 0


def _one_per_row(docks: list[QDockWidget]) -> list[QDockWidget]:
    """The docks that show at once (one per tab group), top to bottom."""
    seen: dict[int, QDockWidget] = {}
    for dock in docks:
        seen.setdefault(dock.geometry().top(), dock)
    return [seen[top] for top in sorted(seen)]
