"""Outline dock, Go to Symbol (Ctrl+Shift+O) and the caret status bar in the whole IDE, with the real tsc server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ide_testutil import WAIT_MS, language_ready
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from editor.types import TextPosition

EXTRA = """
export function parseQuery(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams);
}

export class Counter {
  count = 0;
  increment(): number {
    return ++this.count;
  }
}
"""


def outline_rows(ide: Any) -> list[str]:
    return [row.strip() for row in ide.outline.widget.row_texts()]


def wait_outline(qtbot: Any, ide: Any, *names: str) -> None:
    qtbot.waitUntil(lambda: all(name in outline_rows(ide) for name in names), timeout=WAIT_MS)


def insert_at_end(editor: Any, text: str) -> None:
    end = editor.view.textLength()
    editor.view.setTargetRange(end, end)
    editor.view.replaceTarget(len(text.encode("utf-8")), text)


def test_outline_follows_edits_and_tabs_and_jumps(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    assert ide.window.docks["outline"].isVisible()
    wait_outline(qtbot, ide, "fetch")
    assert "  url" in ide.outline.widget.row_texts()  # nested under fetch
    editor = ide.controllers.editors.current_editor()
    # edits refresh the outline after the debounce
    insert_at_end(editor, EXTRA)
    wait_outline(qtbot, ide, "parseQuery", "Counter", "increment")
    rows = ide.outline.widget.row_texts()
    assert rows.index("Counter") < rows.index("  increment")
    # a click on a row selects the symbol's name in the editor
    editor.set_caret(TextPosition(0, 0))
    ide.outline.widget.activate("increment")
    line = next(i for i, text in enumerate(editor.text().splitlines()) if "increment(): number" in text)
    assert editor.caret_position() == TextPosition(line, 2)
    assert editor.view.text_between(editor.view.selectionStart(), editor.view.selectionEnd()) == "increment"
    # the row of the symbol under the caret is highlighted
    qtbot.waitUntil(lambda: getattr(ide.outline.widget.highlighted(), "name", None) == "increment", timeout=WAIT_MS)
    # switching tabs shows the other file's symbols
    util = (sample_project / "src" / "util.ts").resolve()
    ide.controllers.editors.open(util)
    qtbot.waitUntil(lambda: ide.controllers.editors.current_path() == util, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: outline_rows(ide) == ["shout"], timeout=WAIT_MS)
    ide.panels.editors.set_current(editor)
    wait_outline(qtbot, ide, "fetch", "Counter")
    # the filter box narrows the tree and keeps parents of matches
    ide.outline.widget.filter.setText("incr")
    assert outline_rows(ide) == ["Counter", "increment"]
    ide.outline.widget.filter.clear()
    assert "parseQuery" in outline_rows(ide)


def test_go_to_symbol_box_filters_previews_and_jumps(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    insert_at_end(editor, EXTRA)
    wait_outline(qtbot, ide, "parseQuery", "increment")
    picker = ide.outline.picker
    editor.set_caret(TextPosition(2, 3))
    editor.focus_text()
    QTest.keyClick(editor.view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(picker.isVisible, timeout=WAIT_MS)
    assert {"fetch", "parseQuery", "Counter", "increment"} <= set(picker.rows())
    # typing filters (best match first); the highlighted symbol is previewed in the editor
    qtbot.keyClicks(picker.query, "inc")
    assert picker.rows()[0] == "increment"
    line = next(i for i, text in enumerate(editor.text().splitlines()) if "increment(): number" in text)
    assert editor.caret_position().line == line
    # Escape goes back to where the caret was
    qtbot.keyClick(picker.query, Qt.Key.Key_Escape)
    assert not picker.isVisible()
    assert editor.caret_position() == TextPosition(2, 3)
    # open again, move with the arrows and choose with Enter
    ide.window.action("go_to_symbol").trigger()
    qtbot.waitUntil(picker.isVisible, timeout=WAIT_MS)
    assert picker.query.text() == ""
    qtbot.keyClicks(picker.query, "q")
    assert picker.rows()[0] == "parseQuery"  # a word-inside match beats letters scattered elsewhere
    qtbot.keyClick(picker.query, Qt.Key.Key_Return)
    assert not picker.isVisible()
    target = next(i for i, text in enumerate(editor.text().splitlines()) if "function parseQuery" in text)
    assert editor.caret_position() == TextPosition(target, len("export function "))
    # a query nothing matches says so
    ide.window.action("go_to_symbol").trigger()
    qtbot.keyClicks(picker.query, "zzzz")
    assert picker.rows() == [] and picker.empty.isVisibleTo(picker)
    qtbot.keyClick(picker.query, Qt.Key.Key_Escape)
    assert editor.caret_position() == TextPosition(target, len("export function "))


def test_go_to_symbol_without_an_editor_says_why(qtbot: Any, ide_factory: Any) -> None:
    ide = ide_factory()
    ide.window.action("go_to_symbol").trigger()
    assert not ide.outline.picker.isVisible()
    assert "Go to Symbol needs a TypeScript" in ide.window.statusBar().currentMessage()
    assert "Open a file" in ide.outline.widget.message.text()


def test_status_bar_shows_caret_selection_and_file_facts(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    status = ide.window.status
    editor = ide.controllers.editors.current_editor()
    qtbot.waitUntil(lambda: status["mode"].text() == "TypeScript", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: (status["encoding"].text(), status["eol"].text(), status["indent"].text())
                    == ("UTF-8", "LF", "Spaces: 4"), timeout=WAIT_MS)
    editor.set_caret(TextPosition(4, 6))
    qtbot.waitUntil(lambda: status["cursor"].text() == "Ln 5, Col 7", timeout=WAIT_MS)
    editor.focus_text()
    qtbot.keyClick(editor.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(editor.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: status["cursor"].text() == "Ln 5, Col 9 (2 selected)", timeout=WAIT_MS)
    qtbot.keyClick(editor.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "lines)" in status["cursor"].text(), timeout=WAIT_MS)
    assert status["cursor"].text().startswith("Ln 6, Col 9 (")
    qtbot.mouseClick(status["cursor"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(editor.goto_bar.isVisible, timeout=WAIT_MS)  # a click on Ln/Col opens Go to Line
    qtbot.keyClick(editor.goto_bar, Qt.Key.Key_Escape)
    manifest = (sample_project / "tsconfig.json").resolve()
    ide.controllers.editors.open(manifest, TextPosition(1, 2))
    qtbot.waitUntil(lambda: status["mode"].text() == "JSON", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status["cursor"].text() == "Ln 2, Col 3", timeout=WAIT_MS)
    for editor in list(ide.controllers.editors.view.editors()):
        ide.controllers.editors.close(editor, ask=False)
    qtbot.waitUntil(lambda: status["cursor"].text() == "" and status["mode"].text() == "", timeout=WAIT_MS)


def test_non_typescript_files_get_no_language_service(qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    wait_outline(qtbot, ide, "fetch")
    manifest = (sample_project / "isoplay.toml").resolve()
    ide.controllers.editors.open(manifest)
    qtbot.waitUntil(lambda: ide.controllers.editors.current_path() == manifest, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "has no outline" in ide.outline.widget.message.text(), timeout=WAIT_MS)
    assert ide.outline.widget.row_texts() == []
    client = ide.services.language.client
    assert client.latest_version(manifest) is None  # never opened on the TypeScript server
    qtbot.wait(500)
    editor = ide.controllers.editors.current_editor()
    assert editor.diagnostics() == ()
    assert not [p for p in ide.controllers.problems.problems() if p.location and p.location.path == manifest]
    ide.window.action("go_to_symbol").trigger()
    assert not ide.outline.picker.isVisible()
    # back on the TypeScript tab the outline is there at once (cached) and refreshed
    ide.panels.editors.set_current(ide.controllers.editors.editor_for(sample_project / "src" / "index.ts"))
    assert "fetch" in outline_rows(ide)
