"""Layout guarantees of the main window: what no panel content, saved state or small screen may break.

Guarantees (each tested on the real window offscreen, tests/app/test_ide_layout_holds.py):

- **No content grows the window.** Every dock's panel sits in a ``bounded`` scroll area whose minimum size
  is a few pixels, so however long a label, table row or error a panel shows, the dock area (and so the
  window) keeps its size; the panel scrolls inside its dock when squeezed. Error and status lines that may be
  long are ``ElidingLabel``s (one line, elided, the full text in the tooltip) or wrap.
- **The editor keeps ``MIN_EDITOR_LINES`` lines** whenever the window is tall enough to have them: after
  every resize (and on the first show) the bottom dock area gives back height to the editor, and the right
  column's Simulator and Response collapse into tabs when they would both be squeezed.
- **The editor keeps its width on a narrow window**: below ``NARROW_WIDTH`` the right column's docks collapse
  into tabs of the left column (Simulator beside the Explorer, Response and Deployments beside the Outline), so
  a single side column of at most ``NARROW_SIDE_SHARE`` of the width is left and the editor gets the rest
  (about 60 % at 1024 px instead of 46 %). From ``WIDE_WIDTH`` on they go back to the right column as they were.
- **Nothing forces the window wider than ``MAX_MIN_WIDTH``**: toolbars overflow into their ``»`` menu.
- **A saved layout that doesn't fit the screen is discarded** (``fits_screen``), and View → Reset Layout
  puts every dock back where a fresh window has it.
"""

from __future__ import annotations

from collections.abc import Callable

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
NARROW_WIDTH, WIDE_WIDTH = 1200, 1280
"""Below NARROW_WIDTH the right column collapses into the left one's tabs; from WIDE_WIDTH on it comes back
(between the two nothing moves, so a window dragged around the threshold doesn't flip its docks back and forth)."""
NARROW_SIDE_SHARE = 0.4
"""Most of the window's width the single side column of a narrow window takes."""
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
        self.merged: list[list[QDockWidget]] = []
        """The right column's tab groups (top to bottom, each in tab order, the shown one first) while they sit
        in the left column because the window is narrow; empty otherwise."""
        self._merged_width = self._left_width = 0
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
        self._fit_columns()
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
        tallest = max(bottom, key=lambda d: d.height() if on_screen(d) else 0)
        target = max(tallest.minimumSizeHint().height(), tallest.height() - missing, 60)
        if target < tallest.height():
            window.resizeDocks([tallest], [target], Qt.Orientation.Vertical)

    def _fit_columns(self) -> None:
        """A narrow window folds its right column into the left one's tabs; a wide one unfolds it again."""
        if not self.window.isVisible():
            return  # (the docks have no geometry to read yet)
        if self.window.width() < NARROW_WIDTH and not self.merged:
            self._merge_right_column()
        elif self.window.width() >= WIDE_WIDTH and self.merged:
            self._restore_right_column()

    def _merge_right_column(self) -> None:
        window = self.window
        area = Qt.DockWidgetArea
        left, right = _groups(window, area.LeftDockWidgetArea), _groups(window, area.RightDockWidgetArea)
        if not left or not right:
            return  # one side column (or none) already
        self._merged_width = max(d.width() for group in right for d in group[:1])
        self._left_width = max(d.width() for group in left for d in group[:1])
        shown_left = [group[0] for group in left]
        for index, group in enumerate(right):
            target = left[min(index, len(left) - 1)][0]
            for dock in group:
                window.tabifyDockWidget(target, dock)
        hidden = [d for d in window.findChildren(QDockWidget) if window.dockWidgetArea(d) == area.RightDockWidgetArea
                  and not d.isFloating()]
        for dock in hidden:  # closed ones too, so that showing one later doesn't open a right column again
            window.tabifyDockWidget(left[0][0], dock)
        self.merged = right + ([hidden] if hidden else [])
        # the left column's top group keeps what it showed (the Explorer); below, the Response shows
        shown_left[0].raise_()
        for group in right[1:len(left)]:  # (one that joined the top group leaves the Explorer in front)
            group[0].raise_()
        self.merged_column_width()

    def merged_column_width(self) -> None:
        """Give the single side column of a narrow window the width its widest panel needs (within its share)."""
        window = self.window
        left = _groups(window, Qt.DockWidgetArea.LeftDockWidgetArea)
        if not left:
            return
        needs = max(_content_min_width(d) for group in left for d in group)
        width = min(int(window.width() * NARROW_SIDE_SHARE), max(needs, 170))
        window.resizeDocks([left[0][0]], [width], Qt.Orientation.Horizontal)

    def unfolded(self, save: Callable[[], QByteArray]) -> QByteArray:
        """``save()`` (the window's dock state) taken with the right column where it belongs, so that a layout saved
        on a narrow window opens unfolded on a wide one; a narrow window folds it again at once."""
        if not self.merged:
            return save()
        self._restore_right_column()
        try:
            return save()
        finally:
            self._merge_right_column()

    def _restore_right_column(self) -> None:
        window = self.window
        area = Qt.DockWidgetArea
        groups = [[d for d in group if window.dockWidgetArea(d) == area.LeftDockWidgetArea and not d.isFloating()]
                  for group in self.merged]
        groups = [g for g in groups if g]
        self.merged = []
        previous: QDockWidget | None = None
        for group in groups:
            first = group[0]
            if previous is None:
                window.addDockWidget(area.RightDockWidgetArea, first)
            else:
                window.splitDockWidget(previous, first, Qt.Orientation.Vertical)
            for dock in group[1:]:
                window.tabifyDockWidget(first, dock)
            first.raise_()
            previous = first
        left = _groups(window, area.LeftDockWidgetArea)
        if groups and left:  # both columns as wide as they were before the window got narrow
            window.resizeDocks([left[0][0], groups[0][0]], [self._left_width, self._merged_width],
                               Qt.Orientation.Horizontal)

    def _collapse_side_splits(self) -> None:
        """Docks of the right column that are split one above another and too short each get tabbed."""
        window = self.window
        right = [d for d in window.findChildren(QDockWidget)
                 if window.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
                 and d.isVisible() and not d.isFloating() and on_screen(d)]
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


def on_screen(dock: QDockWidget) -> bool:
    """A dock that is drawn: Qt parks the hidden members of a tab group at negative coordinates."""
    return dock.geometry().left() >= 0 and dock.geometry().top() >= 0


def _groups(window: QMainWindow, area: Qt.DockWidgetArea) -> list[list[QDockWidget]]:
    """The tab groups of ``area`` that show (top to bottom), each with its shown dock first, then the others
    of its tab group that are not closed."""
    docks = [d for d in window.findChildren(QDockWidget)
             if window.dockWidgetArea(d) == area and not d.isHidden() and not d.isFloating()]
    groups: list[list[QDockWidget]] = []
    for dock in _one_per_row([d for d in docks if on_screen(d)]):
        mates = [m for m in window.tabifiedDockWidgets(dock) if m in docks and m is not dock]
        groups.append([dock, *mates])
    return groups


def _content_min_width(dock: QDockWidget) -> int:
    """The width the panel in ``dock`` needs (its bounded scroll area asks for almost none)."""
    widget = dock.widget()
    inner = widget.widget() if isinstance(widget, QScrollArea) and widget.widget() is not None else widget
    return (inner.minimumSizeHint().width() if inner is not None else 0) + 12


def _one_per_row(docks: list[QDockWidget]) -> list[QDockWidget]:
    """The docks that show at once (one per tab group), top to bottom."""
    seen: dict[int, QDockWidget] = {}
    for dock in docks:
        seen.setdefault(dock.geometry().top(), dock)
    return [seen[top] for top in sorted(seen)]
