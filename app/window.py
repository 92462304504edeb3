"""``MainWindow``: layout and docking only.

The panels are built by ``app/main.py`` and handed in; the window places them
(project tree left, editors centre, Console + Problems bottom, Simulator and
Response right), builds menus and the toolbar from a declarative action table,
and offers intention-level methods (``show_error``, ``ask_project_dir``,
``set_status``). It holds no business logic: ``main.py`` connects its actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QMouseEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabBar,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app.layout import LayoutGuard, bounded, fits_screen
from app.services.errors import ErrorReport


@dataclass(frozen=True)
class ActionSpec:
    """One entry of the action table."""

    name: str
    """Key in ``MainWindow.actions``."""
    menu: str
    """Menu title it appears in."""
    text: str
    """Menu text."""
    shortcut: str | QKeySequence.StandardKey | None = None
    """Keyboard shortcut."""
    toolbar: bool = False
    """Also on the toolbar."""


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new_project", "&File", "New Project…", "Ctrl+Shift+N", True),
    ActionSpec("open_project", "&File", "Open Project…", "Ctrl+O", True),
    ActionSpec("new_file", "&File", "New File…", "Ctrl+N"),
    ActionSpec("save", "&File", "Save", "Ctrl+S", True),
    ActionSpec("save_as", "&File", "Save As…", "Ctrl+Shift+S"),
    ActionSpec("save_all", "&File", "Save All", "Ctrl+Alt+S"),
    ActionSpec("close_tab", "&File", "Close Editor", "Ctrl+W"),
    ActionSpec("quit", "&File", "Quit", "Ctrl+Q"),
    ActionSpec("undo", "&Edit", "Undo", None),
    ActionSpec("redo", "&Edit", "Redo", None),
    ActionSpec("find", "&Edit", "Find…", "Ctrl+F"),
    ActionSpec("replace", "&Edit", "Replace…", "Ctrl+H"),
    ActionSpec("toggle_comment", "&Edit", "Toggle Line Comment", None),
    ActionSpec("complete", "&Edit", "Trigger Completion", "Ctrl+Space"),
    ActionSpec("go_to_definition", "&Go", "Go to Definition", "F12"),
    ActionSpec("go_to_line", "&Go", "Go to Line…", "Ctrl+G"),
    ActionSpec("go_to_symbol", "&Go", "Go to Symbol in Editor…", "Ctrl+Shift+O"),
    ActionSpec("run", "&Run", "Run Request", "Ctrl+R", True),
    ActionSpec("rebuild", "&Run", "Rebuild", "Ctrl+Shift+B"),
    ActionSpec("theme_light", "&View", "Light Theme", None),
    ActionSpec("theme_dark", "&View", "Dark Theme", None),
    ActionSpec("reset_layout", "&View", "Reset Layout", None),
)
STATUS_FIELDS = ("build", "problems", "cursor", "indent", "encoding", "eol", "mode", "language", "toolchain")
"""Status bar fields, left to right: build and problems on the left, the rest on the right."""
LEFT_STATUS_FIELDS = ("build", "problems")
DEFAULT_DOCK_SIZES = {"tree": 240, "simulator": 460, "console": 200, "outline": 260}
"""Initial dock sizes in pixels (width for side docks, height for the bottom and the outline's minimum)."""
BOTTOM_SHARE, BOTTOM_MAX = 0.3, 340
"""The bottom panels get this share of the window's height at first (between the default and BOTTOM_MAX)."""
SIDE_COLUMNS_SHARE, SIDE_MIN_WIDTH = 0.52, 170
"""At most this share of the window's width goes to the left and right columns at first (and on Reset Layout)."""
OUTLINE_SHARE = 0.5
"""Share of the left column the Outline gets under the Explorer at first (at least ``DEFAULT_DOCK_SIZES``)."""
LAYOUT_VERSION = 1
"""Version of the saved dock layout: a layout saved under another version is ignored (the defaults apply).
1: the Run and Debug view moved to the left column and the Debug Console got a dock of its own."""


@dataclass(frozen=True)
class StatusClicked:
    """Payload of ``MainWindow.sig_status_clicked``."""

    field: str
    """The status bar field clicked (one of ``STATUS_FIELDS``)."""


class _StatusLabel(QLabel):
    """A status bar field that reports clicks."""

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """A left click on the field."""
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


@dataclass(frozen=True)
class ProjectChosen:
    """Payload of ``MainWindow.sig_recent_project_chosen``."""

    root: Path
    """The project folder."""


class MainWindow(QMainWindow):
    """The IDE window: docks, menus, toolbar and status bar around the panels."""

    sig_recent_project_chosen = Signal(object)
    """ProjectChosen: an entry of File ▸ Recent Projects was picked."""
    sig_status_clicked = Signal(object)
    """StatusClicked: a status bar field was clicked (e.g. Ln/Col: go to line)."""

    def __init__(self, *, editors: QWidget, tree: QWidget, console: QWidget, problems: QWidget,
                 simulator: QWidget, response: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("isoplayMainWindow")
        self.setWindowTitle("isoplay")
        self.setCentralWidget(editors)
        self.actions: dict[str, QAction] = {}
        """Every command, by ``ActionSpec.name``."""
        self.docks: dict[str, QDockWidget] = {}
        self.dock_contents: dict[str, QWidget] = {}
        """The panel shown by each tool dock (``docks[name].widget()`` may be a scroll area around it)."""
        self.close_guard: Callable[[], bool] | None = None
        """Called before closing; returning False keeps the window open (unsaved changes)."""
        self.status: dict[str, QLabel] = {}
        self.recent_menu = QMenu("Recent Projects", self)
        self._layout_restored = False
        self._view_menu: QMenu | None = None
        self._title_sync = QTimer(self, singleShot=True, interval=0)
        self._title_sync.timeout.connect(self.sync_title_bars)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self._default_state: QByteArray | None = None
        self._create_docks(tree, console, problems, simulator, response)
        self._create_actions()
        self._create_status_bar()
        self.layout_guard = LayoutGuard(self, self._editor_line_height, self._editor_lines_shown)
        """Keeps the editor's lines after resizes (app/layout.py)."""
        self.actions["reset_layout"].triggered.connect(self.reset_layout)

    # -- construction -------------------------------------------------------------------

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        self.dock_contents[name] = widget
        dock.setWidget(bounded(widget))  # no panel content can grow the dock (or the window): it scrolls
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        for signal in (dock.dockLocationChanged, dock.topLevelChanged, dock.visibilityChanged):
            signal.connect(lambda *_args: self._title_sync.start())
        self._title_sync.start()
        return dock

    def add_tool_dock(self, name: str, title: str, widget: QWidget, *, beside: str | None = None,
                      below: str | None = None,
                      area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea) -> QDockWidget:
        """Add a feature panel as a dock, tabbed with the ``beside`` dock or split under the ``below`` dock.

        Every panel sits in a bounded scroll area (app/layout.py), so that neither a tab group of panels nor
        a long text forces the dock area (and so the editor or the window) to its largest member;
        ``dock_content(name)`` returns the panel. The dock's show/hide action joins the View menu.
        """
        dock = self._dock(name, title, widget, area)
        if self._view_menu is not None:
            self._view_menu.addAction(dock.toggleViewAction())
        if beside is not None and beside in self.docks:
            self.tabifyDockWidget(self.docks[beside], dock)
            self.docks[beside].raise_()
        elif below is not None and below in self.docks:
            self.splitDockWidget(self.docks[below], dock, Qt.Orientation.Vertical)
        return dock

    def _create_docks(self, tree: QWidget, console: QWidget, problems: QWidget, simulator: QWidget,
                      response: QWidget) -> None:
        area = Qt.DockWidgetArea
        self._dock("tree", "Explorer", tree, area.LeftDockWidgetArea)
        console_dock = self._dock("console", "Console", console, area.BottomDockWidgetArea)
        problems_dock = self._dock("problems", "Problems", problems, area.BottomDockWidgetArea)
        self.tabifyDockWidget(console_dock, problems_dock)
        console_dock.raise_()
        simulator_dock = self._dock("simulator", "Simulator", simulator, area.RightDockWidgetArea)
        response_dock = self._dock("response", "Response", response, area.RightDockWidgetArea)
        self.splitDockWidget(simulator_dock, response_dock, Qt.Orientation.Vertical)
        self.setCorner(Qt.Corner.BottomRightCorner, area.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)

    def sync_title_bars(self) -> None:
        """Name each dock once: a dock that shares a tab group is named by its tab, so its title bar goes;
        a dock alone (or floating) keeps its title bar. Runs after every dock move, float, close or restore."""
        for bar in self.findChildren(QTabBar):  # the dock areas' tab bars: whole names, scroll arrows when crowded
            if bar.parent() is self and bar.elideMode() != Qt.TextElideMode.ElideNone:
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)
        for dock in self.docks.values():
            tabbed = not dock.isFloating() and any(
                not mate.isHidden() and not mate.isFloating() for mate in self.tabifiedDockWidgets(dock))
            bare = isinstance(dock.titleBarWidget(), _NoTitleBar)
            if tabbed and not bare:
                dock.setTitleBarWidget(_NoTitleBar(dock))
            elif not tabbed and bare:
                old = dock.titleBarWidget()
                dock.setTitleBarWidget(None)
                old.deleteLater()

    def _apply_default_dock_sizes(self) -> None:
        """Size the docks once the window has its size (``resizeDocks`` before the first show is lost)."""
        sizes = DEFAULT_DOCK_SIZES
        self.layout_guard.schedule()  # afterwards: a narrow window folds its right column into the left one
        if self.layout_guard.merged:
            self.layout_guard.merged_column_width()
            bottom = max(sizes["console"], min(BOTTOM_MAX, int(self.height() * BOTTOM_SHARE)))
            self.resizeDocks([self.docks["console"]], [bottom], Qt.Orientation.Vertical)
            return
        # a narrow window keeps the editor wide: the sides share SIDE_COLUMNS_SHARE of it, the Simulator keeping
        # the width its form needs and the Explorer giving way first (down to SIDE_MIN_WIDTH)
        room = int(self.width() * SIDE_COLUMNS_SHARE)
        simulator_needs = self.dock_content("simulator").minimumSizeHint().width() + 12
        simulator = max(min(sizes["simulator"], room - SIDE_MIN_WIDTH), min(simulator_needs, sizes["simulator"]))
        # the Explorer column is at least as wide as its tab row (Explorer, Run and Debug, Testing), room allowing
        tree = max(SIDE_MIN_WIDTH, min(max(sizes["tree"], self._tab_row_width(self.docks["tree"])), room - simulator))
        self.resizeDocks([self.docks["tree"], self.docks["simulator"]], [tree, simulator], Qt.Orientation.Horizontal)
        bottom = max(sizes["console"], min(BOTTOM_MAX, int(self.height() * BOTTOM_SHARE)))  # taller on a tall window
        self.resizeDocks([self.docks["console"]], [bottom], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["simulator"], self.docks["response"]], [330, 400], Qt.Orientation.Vertical)
        if "outline" in self.docks:
            column = self.docks["tree"].height() + self.docks["outline"].height()
            outline = max(sizes["outline"], int(column * OUTLINE_SHARE))
            self.resizeDocks([self.docks["tree"], self.docks["outline"]], [max(120, column - outline), outline],
                             Qt.Orientation.Vertical)

    def _tab_row_width(self, dock: QDockWidget) -> int:
        """The width the tab row of ``dock``'s tab group needs to show every tab whole (0: not tabbed)."""
        title = dock.windowTitle()
        for bar in self.findChildren(QTabBar):
            if bar.parent() is self and bar.isVisible() and any(bar.tabText(i) == title for i in range(bar.count())):
                return sum(bar.tabSizeHint(i).width() for i in range(bar.count())) + 8
        return 0

    def _create_actions(self) -> None:
        menus: dict[str, QMenu] = {}
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        for spec in ACTIONS:
            menu = menus.get(spec.menu) or menus.setdefault(spec.menu, self.menuBar().addMenu(spec.menu))
            action = QAction(spec.text, self)
            if spec.shortcut is not None:
                action.setShortcut(QKeySequence(spec.shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            menu.addAction(action)
            if spec.toolbar:
                toolbar.addAction(action)
            self.actions[spec.name] = action
        menus["&File"].insertMenu(self.actions["save"], self.recent_menu)
        menus["&File"].insertSeparator(self.actions["save"])
        self._create_theme_group()
        view_menu = self._view_menu = menus["&View"]
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        self.actions["run"].setText("▶ Run")
        self.actions["run"].setToolTip("Run the simulator's request (Ctrl+R)")

    def _create_theme_group(self) -> None:
        group = QActionGroup(self)
        for name in ("theme_light", "theme_dark"):
            self.actions[name].setCheckable(True)
            group.addAction(self.actions[name])

    def _create_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        for name in STATUS_FIELDS:
            label = _StatusLabel("")
            label.setObjectName(f"status_{name}")
            label.clicked.connect(lambda field=name: self.sig_status_clicked.emit(StatusClicked(field)))
            self.status[name] = label
            if name in LEFT_STATUS_FIELDS:
                bar.addWidget(label)
            else:
                bar.addPermanentWidget(label)

    # -- intention-level API -----------------------------------------------------------------

    def action(self, name: str) -> QAction:
        """The QAction called ``name`` (see ``ACTIONS``)."""
        return self.actions[name]

    def set_status(self, field: str, text: str, tooltip: str = "") -> None:
        """Show ``text`` in the status bar field ``field`` (one of ``STATUS_FIELDS``)."""
        self.status[field].setText(text)
        self.status[field].setToolTip(tooltip)

    def set_project_title(self, project: str, file: Path | None) -> None:
        """Window title: ``file — project — isoplay``."""
        parts = [p for p in (file.name if file else "", project, "isoplay") if p]
        self.setWindowTitle(" — ".join(parts))

    def set_recent_projects(self, roots: list[Path]) -> None:
        """Fill File ▸ Recent Projects."""
        self.recent_menu.clear()
        for root in roots:
            action = self.recent_menu.addAction(f"{root.name}  —  {root.parent}")
            action.triggered.connect(lambda _checked=False, r=root: self.sig_recent_project_chosen.emit(ProjectChosen(r)))
        self.recent_menu.setEnabled(bool(roots))

    def set_theme_checked(self, name: str) -> None:
        """Tick the current theme in the View menu."""
        self.actions[f"theme_{name}"].setChecked(True)

    def dock_content(self, name: str) -> QWidget:
        """The panel in dock ``name``."""
        return self.dock_contents.get(name) or self.docks[name].widget()

    def show_dock(self, name: str) -> None:
        """Make a dock visible and raise it in its tab group."""
        self.docks[name].show()
        self.docks[name].raise_()

    def show_error(self, report: ErrorReport) -> None:
        """Show an error dialog (window-modal, does not block the caller)."""
        icon = QMessageBox.Icon.Warning if report.user_error else QMessageBox.Icon.Critical
        box = QMessageBox(icon, report.title, report.message, QMessageBox.StandardButton.Ok, self)
        if report.detail:
            box.setDetailedText(report.detail)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def flash(self, text: str, ms: int = 4000) -> None:
        """A transient status-bar message."""
        self.statusBar().showMessage(text, ms)

    def ask_project_dir(self) -> Path | None:
        """Ask for a project folder to open."""
        folder = QFileDialog.getExistingDirectory(self, "Open Project")
        return Path(folder) if folder else None

    def _editor_line_height(self) -> int:
        editor = _current_code_view(self.centralWidget())
        return editor.textHeight(0) if editor is not None else 17

    def _editor_lines_shown(self) -> int:
        editor = _current_code_view(self.centralWidget())
        return editor.linesOnScreen() if editor is not None else 0

    def reset_layout(self) -> None:
        """View → Reset Layout: every dock back where a fresh window has it, at the default sizes."""
        if self._default_state is None:
            return
        for dock in self.docks.values():
            dock.setFloating(False)
        self.layout_guard.merged = []  # the state below has the right column unfolded: a narrow window folds it anew
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self.sync_title_bars()
        QTimer.singleShot(0, self, self._apply_default_dock_sizes)
        self.layout_guard.schedule()

    def layout_state(self) -> tuple[QByteArray, QByteArray]:
        """Geometry and dock state, for the settings."""
        return self.saveGeometry(), self.layout_guard.unfolded(lambda: self.saveState(LAYOUT_VERSION))

    def restore_layout(self, geometry: QByteArray | None, state: QByteArray | None) -> None:
        """Restore what ``layout_state`` returned last time (else the default sizes apply on the first show).

        A dock state saved under another ``LAYOUT_VERSION`` is ignored, and so is a layout whose window
        doesn't fit on any screen (both geometry and dock state: the state was shaped by that size). The
        layout as built (before this) is what View → Reset Layout returns to.
        """
        self._default_state = self.saveState(LAYOUT_VERSION)
        if geometry is not None and not fits_screen(self, geometry):
            geometry = state = None
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self._layout_restored = self.restoreState(state, LAYOUT_VERSION)
        self.sync_title_bars()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """On the first show without a saved layout, give the docks their default sizes."""
        super().showEvent(event)
        if not self._layout_restored:
            self._layout_restored = True
            QTimer.singleShot(0, self, self._apply_default_dock_sizes)
        self.layout_guard.schedule()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Ask the close guard (unsaved changes) before closing."""
        if self.close_guard is not None and not self.close_guard():
            event.ignore()
            return
        event.accept()


class _NoTitleBar(QWidget):
    """The title bar of a tabbed dock: nothing (its tab names it)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """No room."""
        return QSize(0, 0)


def _current_code_view(central: QWidget | None):  # type: ignore[no-untyped-def]
    """The Scintilla view of the current editor in the central area, if one is open."""
    current = getattr(central, "current_editor", None)
    editor = current() if callable(current) else None
    return getattr(editor, "view", None)
