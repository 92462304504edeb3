"""#15 point 8 on the real window: indentation from .editorconfig or the file, shown in the status bar and
changeable; Format Document and Format on Save with the toolchain's pinned prettier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ide_testutil import WAIT_MS
from PySide6.QtCore import Qt

from app.window import StatusClicked

MESSY = 'export default {\nasync fetch(request:Request):Promise<Response>{\nreturn new Response("ok",{status:200})\n}}\n'
PRETTY = ('export default {\n  async fetch(request: Request): Promise<Response> {\n'
          '    return new Response("ok", { status: 200 });\n  },\n};\n')


def indent_shown(ide: Any) -> str:
    return ide.window.status["indent"].text()


def test_the_2_space_template_gets_2_spaces_and_enter_inserts_them(qtbot: Any, ide_factory: Any,
                                                                    sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: indent_shown(ide) == "Spaces: 2", timeout=WAIT_MS)
    assert "detected" in ide.window.status["indent"].toolTip()
    line = 3  # "  async fetch(request, env): Promise<Response> {"
    editor.view.gotoPos(editor.view.lineEndPosition(line))
    editor.focus_text()
    qtbot.keyClick(editor.view, Qt.Key.Key_Return)
    assert editor.view.line_text(line + 1) == "    "  # one level deeper: 2 + 2 spaces, not 4 more


def test_editorconfig_sets_tabs_and_the_status_bar_menu_changes_it(qtbot: Any, ide_factory: Any,
                                                                   sample_project: Path) -> None:
    (sample_project / ".editorconfig").write_text("root = true\n[*.ts]\nindent_style = tab\ntab_width = 4\n")
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: indent_shown(ide) == "Tab Size: 4", timeout=WAIT_MS)
    assert ".editorconfig" in ide.window.status["indent"].toolTip()
    assert editor.view.useTabs()

    ide.window.sig_status_clicked.emit(StatusClicked("indent"))
    menu = ide.conventions.last_menu
    assert menu is not None and menu.isVisible()
    spaces = next(a for a in menu.actions() if a.text() == "Indent Using Spaces").menu()
    next(a for a in spaces.actions() if a.text() == "4").trigger()
    menu.close()
    assert indent_shown(ide) == "Spaces: 4" and not editor.view.useTabs() and editor.view.indent() == 4
    assert "chosen" in ide.window.status["indent"].toolTip()


def test_format_document_uses_prettier_off_the_gui_thread_as_one_undo(qtbot: Any, ide_factory: Any,
                                                                     sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: indent_shown(ide) == "Spaces: 2", timeout=WAIT_MS)
    editor.set_text(MESSY)
    with qtbot.waitSignal(ide.conventions.sig_formatted, timeout=WAIT_MS) as done:
        ide.window.action("format_document").trigger()
    assert done.args[0].changed
    assert editor.text() == PRETTY
    editor.undo()
    assert editor.text() == MESSY

    editor.set_text("export default {\n  fetch( {\n};\n")
    with qtbot.waitSignal(ide.conventions.sig_format_failed, timeout=WAIT_MS) as failed:
        ide.window.action("format_document").trigger()
    assert failed.args[0].startswith("src/index.ts:3:2: SyntaxError")  # file:line:column, no traceback
    assert editor.text() == "export default {\n  fetch( {\n};\n"  # left alone


def test_format_on_save_formats_then_writes(qtbot: Any, ide_factory: Any, sample_project: Path,
                                            settings_factory: Any) -> None:
    settings = settings_factory("fmt")
    ide = ide_factory(sample_project, settings)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: indent_shown(ide) == "Spaces: 2", timeout=WAIT_MS)
    on_save = ide.window.action("format_on_save")
    assert not on_save.isChecked()
    on_save.setChecked(True)
    editor.view.setSel(0, editor.view.textLength())
    editor.view.replaceSel(MESSY)
    with qtbot.waitSignal(ide.controllers.editors.sig_file_saved, timeout=WAIT_MS):
        ide.window.action("save").trigger()
    assert (sample_project / "src" / "index.ts").read_text() == PRETTY
    assert not editor.is_dirty()
    assert settings.store.value("editor/format_on_save") in (True, "true")
