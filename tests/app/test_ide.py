"""The whole IDE offscreen: real runtime thread, real esbuild and isolates, real tsc language server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ide_testutil import INDEX_TS, THROW_LINE, WAIT_MS, language_ready
from PySide6.QtCore import Qt, QUrl
from stuck_builds import esbuild_children, needs_fifo

from app.panels.editors.widget import DIRTY_MARK
from app.panels.simulator.forms import HttpForm
from editor.types import TextPosition


def send(qtbot: Any, ide: Any, url: str) -> Any:
    """Fill the HTTP tab with GET ``url``, click Send and wait for the response model."""
    ide.panels.simulator.set_http_form(HttpForm("GET", url))
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(ide.panels.simulator.http_tab.send, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def insert_line(editor: Any, line: int, text: str) -> None:
    """Insert ``text`` at the start of 0-based ``line`` as one edit (as typing would, incrementally)."""
    start = editor.view.positionFromLine(line)
    editor.view.setTargetRange(start, start)
    editor.view.replaceTarget(len(text.encode("utf-8")), text)


def caret_line(ide: Any) -> int:
    editor = ide.controllers.editors.current_editor()
    return int(editor.caret_position().line)


def test_open_project_opens_main_file_and_tree(ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    assert editor.path == (sample_project / "src" / "index.ts").resolve()
    assert "shout" in editor.text()
    assert ide.panels.tree.root == sample_project.resolve()
    assert ide.window.windowTitle().startswith("index.ts")
    assert ide.window.status["build"].text().startswith("✓ built")


def test_running_a_request_shows_response_and_logs(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    finished = send(qtbot, ide, "/hello?x=1")
    assert finished.result.status == 200
    response = ide.panels.response
    assert response.badge.text().strip() == "200 OK" or response.badge.text().strip().startswith("200")
    assert '"HI!"' in response.body_text() and '"/hello"' in response.body_text()
    assert "ms" in response.meta.text() and "heap" in response.meta.text()
    rows = ide.panels.console.row_texts()
    assert "handling /hello" in rows
    assert any(r.startswith("GET /hello?x=1 → 200") for r in rows)


def test_a_throwing_script_links_the_error_to_its_line(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    ide.controllers.editors.current_editor().set_caret(TextPosition(0, 0))
    finished = send(qtbot, ide, "/boom")
    assert finished.result.error is not None
    assert "kaboom" in ide.panels.response.error_text()
    assert ide.panels.response.tabs.currentWidget() is ide.panels.response.error
    model = ide.controllers.response.model
    assert model.location is not None and model.location.line == THROW_LINE
    href = f"source:src/index.ts:{THROW_LINE}:{model.location.column}"
    assert href in model.error_html
    ide.panels.response.error.anchorClicked.emit(QUrl(href))
    qtbot.waitUntil(lambda: caret_line(ide) == THROW_LINE - 1, timeout=WAIT_MS)
    assert ide.controllers.editors.current_path() == (sample_project / "src" / "index.ts").resolve()


def test_edit_and_save_rebuilds_and_the_next_run_uses_new_code(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    editor.view.setText(editor.text().replace('shout("hi")', 'shout("bye")'))
    qtbot.waitUntil(lambda: ide.panels.editors.tab_title(editor).endswith(DIRTY_MARK), timeout=2_000)
    with qtbot.waitSignal(ide.controllers.editors.sig_file_saved, timeout=WAIT_MS):
        ide.window.action("save").trigger()
    assert 'shout("bye")' in (sample_project / "src" / "index.ts").read_text(encoding="utf-8")
    assert not ide.panels.editors.tab_title(editor).endswith(DIRTY_MARK)
    finished = send(qtbot, ide, "/")
    assert b'"BYE!"' in finished.result.body


def test_build_error_shows_in_problems_and_response(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    (sample_project / "src" / "util.ts").write_text("export function shout(text: string): string {\n  return (;\n}\n")
    with qtbot.waitSignal(ide.services.runtime.sig_build_finished, timeout=WAIT_MS,
                          check_params_cb=lambda f: not f.report.ok):
        ide.services.runtime.reload()
    problems = ide.controllers.problems.problems()
    build = [p for p in problems if p.source == "build"]
    assert build and build[0].location.path == (sample_project / "src" / "util.ts").resolve()
    assert build[0].location.line == 2
    assert ide.window.status["build"].text() == "✗ build failed"


def test_type_error_gives_squiggle_and_problems_row_that_jumps(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    insert_line(editor, 1, 'const n: number = "text";\n')
    qtbot.waitUntil(lambda: any(d.code == "2322" for d in editor.diagnostics()), timeout=WAIT_MS)
    squiggle = next(d for d in editor.diagnostics() if d.code == "2322")
    assert squiggle.range.start.line == 1
    qtbot.waitUntil(lambda: any("TS2322" in p.message for p in ide.controllers.problems.problems()), timeout=WAIT_MS)
    row = next(i for i, p in enumerate(ide.controllers.problems.problems()) if "TS2322" in p.message)
    problem = ide.panels.problems.problem_at(row)
    assert (problem.location.path, problem.location.line) == (editor.path, 2)
    assert ide.window.status["problems"].text().startswith("⊗ 1")
    editor.set_caret(TextPosition(10, 0))
    ide.panels.problems.activate_row(row)
    qtbot.waitUntil(lambda: caret_line(ide) == 1, timeout=WAIT_MS)


def test_completion_after_env_dot_lists_the_kv_binding(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    line = next(i for i, text in enumerate(editor.text().splitlines()) if "await env.KV.put" in text)
    editor.set_caret(TextPosition(line, 4))
    client = ide.services.language.client
    with qtbot.waitSignal(client.sig_completion_received, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(editor.view, "env.")
    assert "KV" in [item.label for item in blocker.args[0].items]
    qtbot.waitUntil(editor.is_completion_active, timeout=5_000)


def test_go_to_definition_opens_the_other_file(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    line = next(i for i, text in enumerate(editor.text().splitlines()) if "shout(\"hi\")" in text)
    editor.set_caret(TextPosition(line, editor.text().splitlines()[line].index("shout(") + 2))
    ide.window.action("go_to_definition").trigger()
    util = (sample_project / "src" / "util.ts").resolve()
    qtbot.waitUntil(lambda: ide.controllers.editors.current_path() == util, timeout=WAIT_MS)
    assert ide.controllers.editors.current_editor().caret_position() == TextPosition(0, len("export function "))


def test_external_change_reloads_a_clean_buffer(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: editor.path in ide.services.watcher.watched(), timeout=WAIT_MS)
    for attempt in range(20):  # the OS watch goes live shortly after watch(): write until it is seen
        editor.path.write_text(INDEX_TS.replace("handling", f"serving{attempt}"), encoding="utf-8")
        try:
            qtbot.waitUntil(lambda: "serving" in editor.text(), timeout=1_000)
            break
        except qtbot.TimeoutError:
            continue
    assert "serving" in editor.text()
    assert not editor.is_dirty()


def test_session_restores_open_files_and_carets(qtbot: Any, ide_factory: Any, sample_project: Path,
                                               settings_factory: Any) -> None:
    settings = settings_factory("shared")
    ide = ide_factory(sample_project, settings)
    util = (sample_project / "src" / "util.ts").resolve()
    ide.controllers.editors.open(util, TextPosition(1, 2))
    qtbot.waitUntil(lambda: ide.controllers.editors.current_path() == util, timeout=WAIT_MS)
    ide.save_state()
    again = ide_factory(sample_project, settings_factory("shared"))
    qtbot.waitUntil(lambda: again.controllers.editors.current_path() == util, timeout=WAIT_MS)
    assert [f.path.name for f in again.controllers.editors.open_files()] == ["index.ts", "util.ts"]
    assert again.controllers.editors.current_editor().caret_position() == TextPosition(1, 2)
    assert again.settings.recent_projects()[0] == sample_project.resolve()


@needs_fifo
def test_saving_again_while_a_build_hangs_builds_the_newest_save_at_once(qtbot: Any, ide_factory: Any,
                                                                          sample_project: Path) -> None:
    os.mkfifo(sample_project / "src" / "data.txt")  # esbuild blocks reading it: a build that never ends
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    builds: list[Any] = []
    ide.services.runtime.sig_build_finished.connect(builds.append)
    editor.view.setText('import data from "./data.txt";\nexport const DATA = data;\n' + editor.text())
    with qtbot.waitSignal(ide.controllers.editors.sig_file_saved, timeout=WAIT_MS):
        ide.window.action("save").trigger()
    qtbot.waitUntil(lambda: bool(esbuild_children()), timeout=WAIT_MS)
    qtbot.wait(500)
    assert esbuild_children() and not builds  # the save's build hangs
    editor.view.setText(editor.text().split("\n", 2)[2].replace('shout("hi")', 'shout("fresh")'))
    with qtbot.waitSignal(ide.services.runtime.sig_build_finished, timeout=WAIT_MS,
                          check_params_cb=lambda finished: finished.report.ok):
        ide.window.action("save").trigger()
    assert ide.window.status["build"].text().startswith("✓ built")
    assert b'"FRESH!"' in send(qtbot, ide, "/").result.body
    qtbot.waitUntil(lambda: not esbuild_children(), timeout=WAIT_MS)  # the hung esbuild was killed
    assert all(finished.report.ok for finished in builds)
