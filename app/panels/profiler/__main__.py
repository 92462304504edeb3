"""Demo: ``python -m app.panels.profiler DIR`` shows this panel on the project at DIR (default: .)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.bridge import FutureBridge
from app.panels.profiler import create_profiler_panel
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


def main() -> int:
    """Open the project, show the panel, run the Qt loop; stop the runtime on exit."""
    app = QApplication(sys.argv[:1])
    thread = RuntimeThread().start()
    runtime = ProjectRuntime(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    print(thread.call(runtime.start(), 60))
    window = QWidget()
    window.resize(1000, 700)
    panel = create_profiler_panel(window, thread, FutureBridge(lambda f: print(f.message), window), print)
    layout = QVBoxLayout(window)
    for widget in (panel.charts, panel.load_form,):
        layout.addWidget(widget)
    panel.attach(runtime)
    window.show()
    try:
        return app.exec()
    finally:
        thread.call(runtime.stop(), 10)
        thread.stop()


if __name__ == "__main__":
    sys.exit(main())
