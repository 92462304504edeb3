"""Light and dark application themes: a Fusion palette plus a small style sheet.

The editor colours come from ``editor.theme`` (``CodeEditor.set_theme``); this
module styles everything around it so the window reads as one IDE.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    """The colours of one theme."""

    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    highlight: str
    panel_title: str
    error: str


THEMES: dict[str, Colors] = {
    "light": Colors(window="#f3f3f3", base="#ffffff", alt_base="#f7f7f7", text="#1f2328", muted="#6e7781",
                    border="#d0d7de", accent="#0969da", accent_text="#ffffff", highlight="#cce4ff",
                    panel_title="#616161", error="#cf222e"),
    "dark": Colors(window="#252526", base="#1e1e1e", alt_base="#232323", text="#d4d4d4", muted="#8b949e",
                   border="#3c3c3c", accent="#0e639c", accent_text="#ffffff", highlight="#264f78",
                   panel_title="#bbbbbb", error="#f85149"),
}


def palette_for(name: str) -> QPalette:
    """A QPalette for theme ``name``."""
    c = THEMES[name]
    palette = QPalette()
    role = QPalette.ColorRole
    for r, value in ((role.Window, c.window), (role.Base, c.base), (role.AlternateBase, c.alt_base),
                     (role.Text, c.text), (role.WindowText, c.text), (role.Button, c.window),
                     (role.ButtonText, c.text), (role.Highlight, c.highlight), (role.HighlightedText, c.text),
                     (role.ToolTipBase, c.base), (role.ToolTipText, c.text), (role.PlaceholderText, c.muted),
                     (role.Link, c.accent), (role.Mid, c.border)):
        palette.setColor(r, QColor(value))
    return palette


def style_sheet(name: str) -> str:
    """The application style sheet for theme ``name``."""
    c = THEMES[name]
    return f"""
QMainWindow::separator {{ background: {c.border}; width: 5px; height: 5px; }}
QMainWindow::separator:hover {{ background: {c.accent}; }}
QDockWidget {{ titlebar-close-icon: none; font-size: 11px; }}
QDockWidget::title {{ background: {c.window}; padding: 4px 8px; color: {c.panel_title};
                      text-transform: uppercase; border-bottom: 1px solid {c.border}; }}
QLabel#panelTitle {{ color: {c.panel_title}; font-weight: 600; padding: 6px 8px; font-size: 11px; }}
QLabel#welcome {{ color: {c.muted}; }}
QLabel#welcomeTitle {{ font-size: 26px; font-weight: 300; }}
QLabel#welcomeHeading {{ font-size: 14px; font-weight: 600; padding-top: 12px; }}
QPushButton#welcomeLink {{ color: {c.accent}; border: none; padding: 3px 0; text-align: left; }}
QPushButton#welcomeLink:hover {{ text-decoration: underline; }}
QLabel#responseMeta {{ color: {c.muted}; }}
QLabel#responseTitle {{ font-family: monospace; padding-left: 6px; }}
QLabel#inputError {{ color: {c.error}; padding: 4px 8px; }}
QPushButton#primaryButton {{ background: {c.accent}; color: {c.accent_text}; border: none; border-radius: 3px;
                             padding: 5px 14px; font-weight: 600; }}
QPushButton#primaryButton:hover {{ background: {c.accent}; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {c.border}; }}
QTabBar::tab {{ padding: 5px 12px; border: none; background: {c.window}; color: {c.muted}; }}
QTabBar::tab:selected {{ background: {c.base}; color: {c.text}; border-top: 2px solid {c.accent}; }}
QTreeView, QTreeWidget, QTableWidget, QTextBrowser, QPlainTextEdit {{ border: none; background: {c.base}; }}
QHeaderView::section {{ background: {c.window}; color: {c.muted}; border: none;
                        border-bottom: 1px solid {c.border}; padding: 3px 6px; }}
QStatusBar {{ background: {c.accent}; color: {c.accent_text}; }}
QStatusBar QLabel {{ color: {c.accent_text}; padding: 0 8px; }}
QToolBar {{ border: none; border-bottom: 1px solid {c.border}; spacing: 2px; padding: 2px; }}
"""


def apply_theme(app: QApplication, name: str) -> None:
    """Style the whole application with theme ``name`` (``light`` or ``dark``)."""
    app.setStyle("Fusion")
    app.setPalette(palette_for(name))
    app.setStyleSheet(style_sheet(name))
