"""Shared launcher for the runnable panel demos (``python -m app.panels.<x> DIR``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.bridge import FutureBridge
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


def run_panel_demo(create: Callable[..., Any], widgets: Callable[[Any], Sequence[QWidget]]) -> int:
    """Open the project at argv[1] (default: .), show the panel built by ``create``, run the Qt loop.

    Args:
        create: a ``create_<x>_panel(parent, thread, bridge, on_failure)`` factory.
        widgets: picks the widgets of the built panel to lay out.
    """
    app = QApplication(sys.argv[:1])
    thread = RuntimeThread().start()
    runtime = ProjectRuntime(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    print(thread.call(runtime.start(), 60))
    window = QWidget()
    window.resize(1000, 700)
    panel = create(window, thread, FutureBridge(lambda f: print(f.message), window), print)
    layout = QVBoxLayout(window)
    for widget in widgets(panel):
        layout.addWidget(widget)
    panel.attach(runtime)
    window.show()
    try:
        return app.exec()
    finally:
        thread.call(runtime.stop(), 10)
        thread.stop()
