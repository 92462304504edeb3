"""``install_outline``: add the Outline dock and the Go to Symbol box to a built IDE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from app.panels.outline.controller import OutlineController
from app.panels.outline.quick_pick import SymbolQuickPick
from app.panels.outline.widget import OutlineWidget


@dataclass
class OutlinePanel:
    """The outline's parts, as installed."""

    widget: OutlineWidget
    """The Outline dock's content."""
    picker: SymbolQuickPick
    """The Go to Symbol popup."""
    controller: OutlineController
    """Keeps both on the current editor."""


def install_outline(ide: Any) -> OutlinePanel:
    """Dock the outline under the Explorer and bind Go ▸ Go to Symbol (Ctrl+Shift+O).

    ``ide`` is the ``app.main.Ide`` being built (window, panels, controllers).
    """
    window = ide.window
    widget = OutlineWidget()
    picker = SymbolQuickPick(window)
    controller = OutlineController(widget, picker, ide.controllers.editors, parent=window)
    window.add_tool_dock("outline", "Outline", widget, area=Qt.DockWidgetArea.LeftDockWidgetArea, below="tree")
    window.action("go_to_symbol").triggered.connect(lambda _checked=False: _go_to_symbol(window, controller))
    for name in ("light", "dark"):
        window.action(f"theme_{name}").toggled.connect(
            lambda on, theme=name: _on_theme_toggled(controller, theme, on))
    return OutlinePanel(widget, picker, controller)


def _on_theme_toggled(controller: OutlineController, theme: str, on: bool) -> None:
    if on:
        controller.set_theme(theme)


def _go_to_symbol(window: Any, controller: OutlineController) -> None:
    if not controller.show_quick_pick():
        window.flash("Go to Symbol needs a TypeScript or JavaScript file open and the language service running.")
