"""``ResponseWidget``: status badge, timing, and Body / Headers / Error tabs."""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QFontDatabase
from app.layout import ElidingLabel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.panels.response.controller import LinkActivated
from app.panels.response.render import ResponseModel

TONE_COLORS = {"ok": "#1a7f37", "redirect": "#0969da", "client": "#bf8700", "server": "#cf222e",
               "error": "#cf222e", "idle": "#6e7781"}


class ResponseWidget(QWidget):
    """Shows one run's outcome; error links emit ``sig_link_activated``."""

    sig_link_activated = Signal(object)
    """LinkActivated: a ``source:`` link in the error or build output was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = QLabel("No response yet")
        self.badge.setObjectName("statusBadge")
        self.title = ElidingLabel("")  # (a long URL is cut, never widens the dock: full text on hover)
        self.title.setObjectName("responseTitle")
        self.meta = ElidingLabel("")
        self.meta.setObjectName("responseMeta")
        self.body = self._browser()
        self.error = self._browser()
        self.headers = QTableWidget(0, 2)
        self.headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers.verticalHeader().setVisible(False)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.body, "Body")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(self.error, "Error")
        self._create_layout()
        self._set_badge("No response yet", "idle")

    def _browser(self) -> QTextBrowser:
        browser = QTextBrowser()
        browser.setOpenLinks(False)
        browser.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        return browser

    def _create_layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 4)
        top.addWidget(self.badge)
        top.addWidget(self.title, 1)
        top.addWidget(self.meta)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    def _set_badge(self, text: str, tone: str) -> None:
        self.badge.setText(f" {text} ")
        color = TONE_COLORS.get(tone, TONE_COLORS["idle"])
        self.badge.setStyleSheet(f"background:{color}; color:white; border-radius:3px; padding:2px 6px; font-weight:600")

    def show_running(self, title: str) -> None:
        """Show that a run is in flight (the previous result stays visible below)."""
        self._set_badge("Running…", "idle")
        self.title.setText(title)
        self.meta.setText("")

    def show_model(self, model: ResponseModel, title: str) -> None:
        """Show a finished run."""
        self._set_badge(model.headline, model.tone)
        self.title.setText(title)
        self.meta.setText(model.meta)
        self.body.setHtml(model.body.html or "<p style='color:gray'>(empty body)</p>")
        self.headers.setRowCount(len(model.headers))
        for row, (name, value) in enumerate(model.headers):
            self.headers.setItem(row, 0, QTableWidgetItem(name))
            self.headers.setItem(row, 1, QTableWidgetItem(value))
        self.error.setHtml(model.error_html)
        self.tabs.setTabText(2, "Error ●" if model.error_html else "Error")
        self.tabs.setTabText(1, f"Headers ({len(model.headers)})")
        self.tabs.setCurrentWidget(self.error if model.error_html and model.body.kind == "empty" else self.body)
        if model.error_html and model.tone == "error":
            self.tabs.setCurrentWidget(self.error)

    def body_text(self) -> str:
        """The body as plain text (for tests and copy)."""
        return self.body.toPlainText()

    def error_text(self) -> str:
        """The error as plain text."""
        return self.error.toPlainText()

    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        self.sig_link_activated.emit(LinkActivated(url.toString()))


if __name__ == "__main__":
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from app.panels.response.render import model_for_result
    from runtime.invocation import InvocationResult

    app = QApplication([])
    demo = ResponseWidget()
    result = InvocationResult("fetch", "ok", 200, "OK", (("content-type", "application/json"),), b'{"a": [1, true, null]}',
                              duration_ms=2.4, heap_used=1_200_000, heap_total=4_000_000)
    demo.show_model(model_for_result(result, Path.cwd()), "GET /")
    demo.resize(480, 400)
    demo.show()
    app.exec()
