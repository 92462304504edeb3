"""``ScreenshotDirector``: for ``isoplay ide DIR --screenshot FILE.png``.

Waits until the language service has published diagnostics and one request
has run (or a timeout), lets the window paint, saves a capture and emits
``sig_captured``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

SETTLE_MS = 400


@dataclass(frozen=True)
class Captured:
    """Payload of ``ScreenshotDirector.sig_captured``."""

    path: Path
    """Where the PNG was written."""
    ok: bool
    """Whether saving succeeded."""
    complete: bool
    """False when the timeout fired before diagnostics and a run arrived."""


class ScreenshotDirector(QObject):
    """Captures ``window`` once both conditions hold or ``timeout_ms`` passes."""

    sig_captured = Signal(object)
    """Captured: the screenshot was taken (quit now)."""

    def __init__(self, window: QWidget, path: Path, timeout_ms: int = 30_000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.path = path
        self.diagnostics_seen = False
        self.run_seen = False
        self._done = False
        self._timeout = QTimer(self, singleShot=True, interval=timeout_ms)
        self._timeout.timeout.connect(lambda: self._capture(False))
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(lambda: self._capture(True))

    def start(self) -> None:
        """Start the timeout clock."""
        self._timeout.start()

    def on_language_diagnostics_published(self, _published: object) -> None:
        """Slot: the language service published diagnostics."""
        self.diagnostics_seen = True
        self._check()

    def on_runtime_invocation_done(self, _finished: object) -> None:
        """Slot: a run finished (or was refused)."""
        self.run_seen = True
        self._check()

    def _check(self) -> None:
        if self.diagnostics_seen and self.run_seen and not self._settle.isActive():
            self._settle.start()

    def _capture(self, complete: bool) -> None:
        if self._done:
            return
        self._done = True
        self._timeout.stop()
        ok = self.window.grab().save(str(self.path))
        self.sig_captured.emit(Captured(self.path, ok, complete))
