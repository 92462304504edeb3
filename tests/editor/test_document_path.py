"""``CodeEditor.set_path`` (a renamed file keeps its buffer), caret reports, ``select`` / ``save_view``,
and the language client following a renamed document (real tsc)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from editor_testutil import position_of
from PySide6.QtCore import Qt
from test_lsp import WAIT_MS, has_type_error

from editor.lsp import EditorLspBinding, LanguageClient
from editor.types import CaretMoved, TextPosition, TextRange
from editor.widget import CodeEditor, PathChanged

Factory = Callable[..., CodeEditor]


def test_set_path_keeps_text_undo_history_and_dirty_flag(qtbot: Any, editor_factory: Factory, tmp_path: Path) -> None:
    old = tmp_path / "old.ts"
    old.write_text("const a = 1;\n", encoding="utf-8")
    editor = editor_factory(old)
    editor.set_caret(TextPosition(0, 12))
    qtbot.keyClicks(editor.view, " // edited")
    assert editor.is_dirty()
    changes: list[PathChanged] = []
    editor.sig_path_changed.connect(changes.append)
    dirty_events: list[object] = []
    editor.sig_dirty_changed.connect(dirty_events.append)
    new = tmp_path / "new.ts"
    editor.set_path(new)
    assert changes == [PathChanged(old.resolve(), new)]
    assert editor.path == new and editor.is_dirty() and dirty_events == []
    assert editor.text() == "const a = 1; // edited\n"
    assert editor.caret_position() == TextPosition(0, 22)
    editor.undo()
    assert editor.text() == "const a = 1;\n"
    editor.redo()
    assert editor.save_file() == new.resolve()
    assert new.read_text(encoding="utf-8") == "const a = 1; // edited\n" and not editor.is_dirty()
    assert old.read_text(encoding="utf-8") == "const a = 1;\n"  # the save went to the new path only


def test_caret_moves_and_selections_are_reported(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="first line\nsecond line\nthird\n")
    moves: list[CaretMoved] = []
    editor.sig_caret_moved.connect(moves.append)
    editor.set_caret(TextPosition(1, 3))
    qtbot.waitUntil(lambda: bool(moves) and moves[-1].position == TextPosition(1, 3), timeout=2_000)
    assert moves[-1] == CaretMoved(TextPosition(1, 3), 0, 0)
    qtbot.keyClick(editor.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(editor.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: moves[-1].selected_chars == 2, timeout=2_000)
    assert moves[-1] == CaretMoved(TextPosition(1, 5), 2, 1)
    editor.view.setSel(0, editor.view.positionFromLine(2) + 2)
    assert editor.caret_state() == CaretMoved(TextPosition(2, 2), len("first line\nsecond line\nth"), 3)


def test_select_reveals_a_range_and_restore_view_undoes_it(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="".join(f"const v{n} = {n};\n" for n in range(400)))
    editor.set_caret(TextPosition(3, 2))
    saved = editor.save_view()
    target = TextRange(TextPosition(350, 6), TextPosition(350, 10))
    editor.select(target, focus=False)
    assert editor.caret_position() == TextPosition(350, 6)
    assert editor.view.text_between(editor.view.selectionStart(), editor.view.selectionEnd()) == "v350"
    first = editor.view.firstVisibleLine()
    assert first <= 350 < first + editor.view.linesOnScreen()
    editor.restore_view(saved)
    assert editor.caret_position() == TextPosition(3, 2) and editor.view.firstVisibleLine() == 0
    assert editor.caret_state().selected_chars == 0


def test_line_ending_and_indentation(editor_factory: Factory) -> None:
    assert editor_factory(text="a\r\nb\r\n").line_ending() == "CRLF"
    assert editor_factory(text="a\nb\n").line_ending() == "LF"
    assert editor_factory(text="single").line_ending() == "LF"
    assert editor_factory(text="").indentation() == "Spaces: 4"


def test_language_client_follows_a_renamed_dirty_document(
    qtbot: Any, ts_project: Path, editor_factory: Factory, client_factory: Callable[[Path], LanguageClient],
) -> None:
    client = client_factory(ts_project)
    editor = editor_factory(ts_project / "main.ts")
    binding = EditorLspBinding(editor, client)
    qtbot.waitUntil(lambda: has_type_error(editor), timeout=WAIT_MS)
    fix = position_of(editor.text(), '"oops"')
    start = editor.view.to_byte_position(fix)
    editor.view.setTargetRange(start, start + len('"oops"'))
    editor.view.replaceTarget(len('"x" as unknown as number'), '"x" as unknown as number')
    binding.flush()
    old, new = (ts_project / "main.ts").resolve(), (ts_project / "entry.ts").resolve()
    old.rename(new)
    editor.set_path(new)
    assert client.latest_version(old) is None
    assert client.latest_version(new) == editor.document_version
    assert client.statistics().open_documents == 1
    # the server analyses the buffer under its new name: a fresh error there is reported for entry.ts
    with qtbot.waitSignal(binding.sig_symbols_updated, timeout=WAIT_MS) as blocker:
        binding.request_document_symbols()
    assert blocker.args[0].path == new
    editor.view.setTargetRange(0, 0)
    editor.view.replaceTarget(len("const s: string = 1;\n"), "const s: string = 1;\n")
    qtbot.waitUntil(lambda: any(d.code == "2322" and d.range.start.line == 0 for d in editor.diagnostics()),
                    timeout=WAIT_MS)
    assert editor.is_dirty()


def test_binding_serves_only_typescript_and_javascript_paths(
    qtbot: Any, ts_project: Path, editor_factory: Factory, client_factory: Callable[[Path], LanguageClient],
) -> None:
    client = client_factory(ts_project)
    notes = ts_project / "notes.md"
    notes.write_text("# const x: number = 'no';\n", encoding="utf-8")
    editor = editor_factory(notes)
    binding = EditorLspBinding(editor, client)
    assert not binding.serves_document() and client.statistics().open_documents == 0
    script = (ts_project / "notes.ts").resolve()
    editor.set_path(script)  # renamed to a TypeScript file: now it is served
    assert binding.serves_document() and client.latest_version(script) == editor.document_version
    editor.set_text("const x: number = 'no';\n")
    editor.view.setTargetRange(0, 0)
    editor.view.replaceTarget(1, " ")
    qtbot.waitUntil(lambda: any(d.code == "2322" for d in editor.diagnostics()), timeout=WAIT_MS)
    editor.set_path((ts_project / "notes.txt").resolve())  # and out again
    assert client.statistics().open_documents == 0 and client.latest_version(script) is None
