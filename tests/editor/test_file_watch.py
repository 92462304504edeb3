"""External changes: a real watchfiles thread and real files in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from editor.file_watch import ExternalChangeRouter, FileWatcher
from editor.types import ExternalChange
from editor.widget import CodeEditor, ExternalChangeOutcome

Factory = Callable[..., CodeEditor]
WAIT_MS = 10_000


@pytest.fixture
def watcher() -> Iterator[FileWatcher]:
    """A started FileWatcher, stopped after the test."""
    instance = FileWatcher()
    instance.start()
    yield instance
    instance.stop()


def test_clean_buffer_reloads_on_external_change(
    qtbot: Any, editor_factory: Factory, watcher: FileWatcher, tmp_path: Path
) -> None:
    path = tmp_path / "main.ts"
    path.write_text("let a = 1;\n", encoding="utf-8")
    editor = editor_factory(path)
    router = ExternalChangeRouter(watcher)
    with qtbot.waitSignal(watcher.sig_watching, timeout=WAIT_MS):
        router.add_editor(editor)
    assert watcher.watched() == {path.resolve()}
    with qtbot.waitSignal(router.sig_reloaded, timeout=WAIT_MS):
        path.write_text("let a = 2;\nlet b = 3;\n", encoding="utf-8")
    assert editor.text() == "let a = 2;\nlet b = 3;\n"
    assert not editor.is_dirty()
    editor.undo()  # the reload is one undoable step
    assert editor.text() == "let a = 1;\n"


def test_dirty_buffer_asks_instead_of_reloading(
    qtbot: Any, editor_factory: Factory, watcher: FileWatcher, tmp_path: Path
) -> None:
    path = tmp_path / "main.ts"
    path.write_text("let a = 1;\n", encoding="utf-8")
    editor = editor_factory(path)
    router = ExternalChangeRouter(watcher)
    with qtbot.waitSignal(watcher.sig_watching, timeout=WAIT_MS):
        router.add_editor(editor)
    qtbot.keyClicks(editor.view, "x")
    with qtbot.waitSignal(editor.sig_external_change_conflicted, timeout=WAIT_MS) as blocker:
        path.write_text("changed outside\n", encoding="utf-8")
    assert blocker.args == [ExternalChange(path.resolve(), "changed outside\n")]
    assert editor.text() == "xlet a = 1;\n"
    editor.apply_reload(blocker.args[0].text)  # what the app calls when the user accepts
    assert editor.text() == "changed outside\n" and not editor.is_dirty()


def test_own_save_is_not_a_conflict(editor_factory: Factory, tmp_path: Path) -> None:
    path = tmp_path / "main.ts"
    path.write_text("a\n", encoding="utf-8")
    editor = editor_factory(path)
    editor.view.appendText(2, "b\n")
    editor.save_file()
    assert editor.handle_external_change(ExternalChange(path, "a\nb\n")) is ExternalChangeOutcome.UNCHANGED
    assert editor.handle_external_change(ExternalChange(path, None)) is ExternalChangeOutcome.CONFLICT
