"""Demo: ``python -m app.panels.debug [PROJECT_DIR]`` -- an editor, the debug toolbar and panels on a project.

Without a directory a small sample project is written to a temporary folder.
Click the margin (or F9) for a breakpoint, then F5 debugs ``GET /``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter

from app.panels.debug.actions import DebugActions
from app.panels.debug.controller import DebugController
from app.panels.debug.widget import DebugPanel
from app.panels.debug.wiring import DebugBinding
from editor.qt_gc import install_gui_thread_gc
from editor.widget import CodeEditor
from runtime.invocation import HttpRequest

SAMPLE = """\
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const items = [1, 2, 3].map((x) => x * 2);
    let total = 0;
    for (const n of items) {
      total += n;
    }
    return new Response(`${url.pathname} ${total}`);
  },
};
"""


def write_sample(root: Path) -> Path:
    """Write the sample project into ``root``; returns ``root``."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text('name = "demo"\nmain = "src/index.ts"\n', encoding="utf-8")
    (root / "src/index.ts").write_text(SAMPLE, encoding="utf-8")
    return root


def build_demo(root: Path) -> tuple[QMainWindow, DebugController]:
    """The demo window (Run and Debug view left, editor on the project's main file, Debug Console below it)."""
    window = QMainWindow()
    splitter = QSplitter(Qt.Orientation.Horizontal, window)
    panel = DebugPanel(splitter)
    column = QSplitter(Qt.Orientation.Vertical, splitter)
    editor = CodeEditor(column)
    editor.load_file(root / "src/index.ts")
    column.addWidget(panel.console)
    splitter.setSizes([300, 700])
    actions = DebugActions(window)
    window.addToolBar(actions.make_toolbar(window))
    window.setCentralWidget(splitter)
    controller = DebugController(root, parent=window)
    controller.trigger_provider = lambda: HttpRequest("GET", "http://localhost/demo")
    binding = DebugBinding(controller, panel, actions, lambda: editor)
    binding.attach_editor(editor)
    window.resize(1000, 800)
    return window, controller


def main(argv: list[str]) -> int:
    """Run the demo."""
    app = QApplication(argv)
    root = Path(argv[1]) if len(argv) > 1 else write_sample(Path(tempfile.mkdtemp(prefix="isoplay-debug-demo-")))
    window, controller = build_demo(root)
    install_gui_thread_gc(window)
    app.aboutToQuit.connect(controller.close)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
