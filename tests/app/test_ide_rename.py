"""Renaming open files and folders from the project tree keeps their buffers (dirty state, undo, language
service), and the editor tabs' close button (the whole IDE offscreen, real tsc, real file watcher)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ide_testutil import WAIT_MS, language_ready
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from app.panels.editors.widget import DIRTY_MARK
from editor.types import TextPosition


def rename_in_tree(qtbot: Any, ide: Any, path: Path, new_name: str) -> Any:
    """Rename ``path`` through the tree's controller as the context menu does, answering the name prompt."""
    ide.panels.tree.ask_name = lambda _title, _label, _default: new_name
    with qtbot.waitSignal(ide.controllers.tree.sig_file_renamed, timeout=WAIT_MS) as blocker:
        ide.controllers.tree.rename(path)
    return blocker.args[0]


def record_questions(ide: Any) -> list[str]:
    """Answer (and record) every "file changed on disk" question instead of showing a modal box."""
    asked: list[str] = []
    ide.panels.editors.ask_reload = lambda name, deleted: asked.append(f"{name} deleted={deleted}") or True
    return asked


def test_renaming_a_dirty_file_keeps_its_buffer_and_saves_to_the_new_path(
    qtbot: Any, ide_factory: Any, sample_project: Path,
) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    asked = record_questions(ide)
    old = (sample_project / "src" / "util.ts").resolve()
    ide.controllers.editors.open(old)
    qtbot.waitUntil(lambda: ide.controllers.editors.current_path() == old, timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: old in ide.services.watcher.watched(), timeout=WAIT_MS)
    editor.set_caret(TextPosition(1, 0))
    editor.focus_text()
    qtbot.keyClicks(editor.view, "// unsaved ")
    assert editor.is_dirty()
    renamed = rename_in_tree(qtbot, ide, old, "strings.ts")
    new = (sample_project / "src" / "strings.ts").resolve()
    assert renamed.new == new and new.is_file() and not old.exists()
    assert editor.path == new and editor.is_dirty()
    assert ide.panels.editors.tab_title(editor) == "strings.ts" + DIRTY_MARK
    assert ide.window.windowTitle().startswith("strings.ts")
    assert "// unsaved " in editor.text() and editor.view.canUndo()
    assert new in ide.services.watcher.watched() and old not in ide.services.watcher.watched()
    client = ide.services.language.client
    assert client.latest_version(old) is None and client.latest_version(new) is not None
    qtbot.wait(600)  # longer than the watcher's debounce and the deletion grace period
    assert asked == [] and editor in ide.panels.editors.editors()
    with qtbot.waitSignal(ide.controllers.editors.sig_file_saved, timeout=WAIT_MS) as saved:
        ide.window.action("save").trigger()
    assert saved.args[0].path == new
    assert "// unsaved " in new.read_text(encoding="utf-8")
    assert not editor.is_dirty() and ide.panels.editors.tab_title(editor) == "strings.ts"
    qtbot.wait(300)
    assert not old.exists()
    editor.undo()  # the undo history survived the rename
    assert "// unsaved " not in editor.text()


def test_renaming_a_folder_retargets_every_open_file_in_it(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    lib = sample_project / "src" / "lib"
    lib.mkdir()
    (lib / "a.ts").write_text("export const a = 1;\n", encoding="utf-8")
    (lib / "b.ts").write_text("export const b = 2;\n", encoding="utf-8")
    ide = ide_factory(sample_project)
    asked = record_questions(ide)
    editors = ide.controllers.editors
    for name in ("a.ts", "b.ts"):
        editors.open((lib / name).resolve())
        qtbot.waitUntil(lambda n=name: editors.current_path() == (lib / n).resolve(), timeout=WAIT_MS)
    a_editor = editors.editor_for(lib / "a.ts")
    b_editor = editors.current_editor()
    insert = "// changed\n"
    a_editor.view.setTargetRange(0, 0)
    a_editor.view.replaceTarget(len(insert), insert)
    assert a_editor.is_dirty() and not b_editor.is_dirty()
    rename_in_tree(qtbot, ide, lib, "shared")
    shared = (sample_project / "src" / "shared").resolve()
    assert (a_editor.path, b_editor.path) == (shared / "a.ts", shared / "b.ts")
    assert a_editor.is_dirty() and not b_editor.is_dirty()
    assert ide.panels.editors.tab_title(a_editor) == "a.ts" + DIRTY_MARK
    assert ide.panels.editors.tab_title(b_editor) == "b.ts"
    assert ide.panels.editors.tabs.tabToolTip(ide.panels.editors.tabs.indexOf(a_editor)) == str(shared / "a.ts")
    with qtbot.waitSignal(editors.sig_file_saved, timeout=WAIT_MS):
        editors.save(a_editor)
    assert (shared / "a.ts").read_text(encoding="utf-8") == insert + "export const a = 1;\n"
    qtbot.wait(600)
    assert asked == [] and not lib.exists()


def test_a_deleted_file_is_still_asked_about(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    asked = record_questions(ide)
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: editor.path in ide.services.watcher.watched(), timeout=WAIT_MS)
    for _attempt in range(20):  # the OS watch goes live shortly after watch(): retry until it reports
        path = editor.path
        text = path.read_text(encoding="utf-8")
        path.unlink()
        try:
            qtbot.waitUntil(lambda: asked != [], timeout=1_500)
            break
        except qtbot.TimeoutError:
            path.write_text(text, encoding="utf-8")
    assert asked == ["index.ts deleted=True"]


def test_tab_close_button_is_a_drawn_cross_that_closes_the_tab(qtbot: Any, ide_factory: Any,
                                                               sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    tabs = ide.panels.editors
    editor = ide.controllers.editors.current_editor()
    button = tabs.close_button(editor)
    assert button is not None and button.isVisible()
    image = button.grab().toImage()
    colours = [QColor(image.pixel(x, y)) for x in range(image.width()) for y in range(image.height())]
    reddish = [c for c in colours if c.red() > 150 and c.green() < 110 and c.blue() < 110]
    inked = [c for c in colours if c.lightness() < 180]
    assert not reddish, "the close button must not draw a red square"
    assert inked, "the close button draws its cross"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(button.width() // 2, button.height() // 2))
    qtbot.waitUntil(lambda: editor not in tabs.editors(), timeout=WAIT_MS)
    assert tabs.currentWidget() is tabs.welcome
