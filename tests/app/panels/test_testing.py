"""The Testing panel with a real runner on a runtime thread (offscreen Qt): list, run one test, run all,
failures into Problems at their line, double-click to the test's line."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.problems.controller import ProblemsController
from app.panels.problems.widget import ProblemsWidget
from app.panels.testing import TestTarget, create_testing_panel
from runtime.loop import RuntimeThread

EXAMPLE = Path(__file__).resolve().parents[2] / "runtime" / "testing" / "examples" / "basics"
WAIT_MS = 60_000

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.fixture
def env(qtbot: Any, tmp_path: Path, tools: Any) -> Iterator[dict[str, Any]]:
    root = tmp_path / "basics"
    shutil.copytree(EXAMPLE, root)
    thread = RuntimeThread().start()
    parent = QWidget()
    qtbot.addWidget(parent)
    failures: list[Any] = []
    panel = create_testing_panel(parent, thread, FutureBridge(failures.append, parent), failures.append)
    problems_view = ProblemsWidget()
    qtbot.addWidget(problems_view)
    problems = ProblemsController(problems_view)
    panel.controller.sig_problems_changed.connect(problems.set_test_problems)
    yield {"root": root, "panel": panel, "problems": problems, "failures": failures}
    thread.stop()


def status_of(item: Any) -> str:
    return item.data(0, Qt.ItemDataRole.AccessibleTextRole)


UNIT = "Hello World worker > responds with Hello World! (unit style)"
NOT_FOUND = "Hello World worker > answers 404 for /404"
FILE = "test/index.spec.ts"


def test_lists_runs_one_test_from_its_button_then_all(qtbot: Any, env: dict[str, Any]) -> None:
    panel, root = env["panel"], env["root"]
    widget, controller = panel.widget, panel.controller
    with qtbot.waitSignal(controller.sig_run_finished, timeout=WAIT_MS):
        panel.attach_root(root)
    assert widget.file_item(FILE) is not None
    assert [status_of(widget.test_item(FILE, n)) for n in (UNIT, NOT_FOUND)] == ["idle", "idle"]
    assert widget.status.text() == "3 tests in 1 file"

    with qtbot.waitSignal(controller.sig_run_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(widget.run_button(FILE, UNIT), Qt.MouseButton.LeftButton)
    assert finished.args[0].counts()["pass"] == 1
    unit = widget.test_item(FILE, UNIT)
    assert status_of(unit) == "pass" and unit.text(0) == "✓" and unit.text(2).endswith("ms")
    assert status_of(widget.test_item(FILE, NOT_FOUND)) == "idle"  # only the clicked test ran

    spec = root / FILE
    text = spec.read_text()
    spec.write_text(text.replace('toBe("Not found")', 'toBe("Missing")'))
    fail_line = next(i for i, line in enumerate(spec.read_text().splitlines(), 1) if 'toBe("Missing")' in line)
    with qtbot.waitSignal(controller.sig_run_finished, timeout=WAIT_MS):
        qtbot.mouseClick(widget.run_all_button, Qt.MouseButton.LeftButton)
    assert status_of(widget.test_item(FILE, NOT_FOUND)) == "fail"
    assert status_of(widget.file_item(FILE)) == "fail"
    assert "1 failed · 2 passed" in widget.status.text()
    shown = env["problems"].problems()
    assert len(shown) == 1 and shown[0].source == "test"
    assert (shown[0].location.path, shown[0].location.line) == (root / FILE, fail_line)
    assert NOT_FOUND in shown[0].message and "Missing" in shown[0].message

    spec.write_text(text)  # fixed: running the file clears its problem
    with qtbot.waitSignal(controller.sig_run_finished, timeout=WAIT_MS):
        qtbot.mouseClick(widget.run_button(FILE), Qt.MouseButton.LeftButton)
    assert env["problems"].problems() == [] and status_of(widget.file_item(FILE)) == "pass"
    assert env["failures"] == []


def test_double_click_opens_the_test_line(qtbot: Any, env: dict[str, Any]) -> None:
    panel, root = env["panel"], env["root"]
    with qtbot.waitSignal(panel.controller.sig_run_finished, timeout=WAIT_MS):
        panel.attach_root(root)
    line = next(i for i, text in enumerate((root / FILE).read_text().splitlines(), 1) if '"answers 404' in text)
    with qtbot.waitSignal(panel.controller.sig_location_requested, timeout=5_000) as opened:
        panel.widget.sig_location_activated.emit(TestTarget(FILE, NOT_FOUND))
    assert (opened.args[0].path, opened.args[0].line) == (root / FILE, line)
    item = panel.widget.test_item(FILE, NOT_FOUND)
    with qtbot.waitSignal(panel.controller.sig_location_requested, timeout=5_000):
        panel.widget.tree.itemDoubleClicked.emit(item, 1)


def test_gutter_markers_beside_tests_run_the_clicked_test(qtbot: Any, env: dict[str, Any]) -> None:
    from app.testing import GutterMarkers
    from editor.decorations import MARGIN_TESTS
    from editor.widget import CodeEditor

    panel, root = env["panel"], env["root"]
    editor = CodeEditor()
    qtbot.addWidget(editor)
    path = (root / FILE).resolve()
    editor.load_file(path)
    markers = GutterMarkers(panel.controller, lambda p: editor if Path(p).resolve() == path else None)
    with qtbot.waitSignal(panel.controller.sig_run_finished, timeout=WAIT_MS):
        panel.attach_root(root)
    markers.attach_editor(path)
    lines = [i for i, text in enumerate(path.read_text().splitlines()) if text.lstrip().startswith("it(")]
    assert editor.test_markers() == {line: "idle" for line in lines}
    assert editor.view.marginWidthN(MARGIN_TESTS) > 0
    clicked = lines[2]  # "answers 404 for /404"
    with qtbot.waitSignal(panel.controller.sig_run_finished, timeout=WAIT_MS) as finished:
        editor.view.marginClicked.emit(editor.view.positionFromLine(clicked), 0, MARGIN_TESTS)
    assert [t.case.full_name for f in finished.args[0].files for t in f.tests if t.status == "pass"] == [NOT_FOUND]
    assert editor.test_markers() == {lines[0]: "idle", lines[1]: "idle", clicked: "pass"}
    assert status_of(panel.widget.test_item(FILE, NOT_FOUND)) == "pass"
