"""The main window names each panel once: a tab for a dock in a tab group, a title bar for a dock alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ide_testutil import WAIT_MS
from PySide6.QtWidgets import QTabBar, QTabWidget


def names_on_screen(window: Any) -> Counter[str]:
    """Every panel name drawn by the window: dock tab texts plus the titles of docks showing a native title bar."""
    names: Counter[str] = Counter()
    for bar in window.findChildren(QTabBar):
        # the window's dock tab bars (not the panels' own tabs); Qt parks unused ones off-screen, still "visible"
        if bar.parent() is window and bar.isVisible() and not bar.visibleRegion().isEmpty():
            names.update(bar.tabText(i) for i in range(bar.count()))
    for dock in window.docks.values():
        if dock.titleBarWidget() is None and dock.isVisible() and not dock.visibleRegion().isEmpty():
            names[dock.windowTitle()] += 1
    return names


def assert_each_name_once(qtbot: Any, window: Any) -> None:
    """Every open dock's name is drawn exactly once."""
    open_docks = {d.windowTitle() for d in window.docks.values() if not d.isHidden()}
    try:
        qtbot.waitUntil(lambda: names_on_screen(window) == Counter(open_docks), timeout=5_000)
    except Exception:  # (pytest-qt times out with its own error)
        raise AssertionError(f"names drawn: {names_on_screen(window)}, open docks: {sorted(open_docks)}") from None


def test_each_panel_name_shows_once_as_docks_are_closed_floated_and_put_back(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    window = ide.window
    assert_each_name_once(qtbot, window)
    assert {"Console", "Problems", "Debug Console", "Response", "Deployments", "Explorer", "Run and Debug"} <= set(
        names_on_screen(window))
    for name in ("console", "problems", "response", "tree"):  # tabbed: named by the tab only
        assert window.docks[name].titleBarWidget() is not None and window.docks[name].titleBarWidget().height() == 0
    assert window.docks["simulator"].titleBarWidget() is None  # alone: its own title bar
    assert all(window.tabPosition(area) == QTabWidget.TabPosition.North for area in (
        window.dockWidgetArea(window.docks["console"]), window.dockWidgetArea(window.docks["response"])))

    window.docks["deployments"].close()  # Response is left alone in its group: its title bar comes back
    qtbot.waitUntil(lambda: window.docks["response"].titleBarWidget() is None, timeout=WAIT_MS)
    assert_each_name_once(qtbot, window)
    window.docks["console"].setFloating(True)  # a floating dock has its title bar (to be moved by it)
    qtbot.waitUntil(lambda: window.docks["console"].titleBarWidget() is None, timeout=WAIT_MS)
    window.docks["console"].setFloating(False)
    window.docks["deployments"].show()
    qtbot.waitUntil(lambda: window.docks["response"].titleBarWidget() is not None, timeout=WAIT_MS)
    assert_each_name_once(qtbot, window)
