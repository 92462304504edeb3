"""Tree controller with a fake view and a real FileService: new, rename, delete; name validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.bridge import FutureBridge
from app.panels.tree.controller import FileRenamed, TreeController, validate_file_name
from app.services.files import FileService


class FakeTreeView:
    def __init__(self) -> None:
        self.answer: str | None = "new.ts"
        self.confirmed = True
        self.messages: list[str] = []

    def ask_name(self, title: str, label: str, default: str) -> str | None:
        return self.answer

    def confirm(self, title: str, question: str) -> bool:
        return self.confirmed

    def show_message(self, text: str) -> None:
        self.messages.append(text)


@pytest.fixture
def tree(qtbot: Any) -> Any:
    files = FileService()
    yield TreeController(FakeTreeView(), files, FutureBridge())
    files.shutdown()


@pytest.mark.parametrize("name, ok", [("a.ts", True), ("lib/b.ts", True), ("", False), ("../x.ts", False),
                                      ("/abs.ts", False), ("a?.ts", False)])
def test_validate_file_name(name: str, ok: bool) -> None:
    assert (validate_file_name(name) is None) is ok


def test_new_rename_delete(qtbot: Any, tree: Any, tmp_path: Path) -> None:
    with qtbot.waitSignal(tree.sig_file_created, timeout=2000) as created:
        tree.new_file(tmp_path)
    assert created.args[0] == (tmp_path / "new.ts").resolve() and (tmp_path / "new.ts").is_file()
    tree.view.answer = "renamed.ts"
    with qtbot.waitSignal(tree.sig_file_renamed, timeout=2000) as renamed:
        tree.rename(tmp_path / "new.ts")
    assert renamed.args[0] == FileRenamed((tmp_path / "new.ts").resolve(), (tmp_path / "renamed.ts").resolve())
    with qtbot.waitSignal(tree.sig_file_deleted, timeout=2000):
        tree.delete(tmp_path / "renamed.ts")
    assert not (tmp_path / "renamed.ts").exists()


def test_failures_and_bad_names_show_a_message(qtbot: Any, tree: Any, tmp_path: Path) -> None:
    (tmp_path / "taken.ts").write_text("")
    tree.view.answer = "taken.ts"
    tree.new_file(tmp_path)
    qtbot.waitUntil(lambda: tree.view.messages == ["creating taken.ts: taken.ts already exists"], timeout=2000)
    tree.view.answer = "../escape.ts"
    tree.new_file(tmp_path)
    assert "'.' or '..'" in tree.view.messages[-1]
    tree.view.confirmed = False
    with qtbot.assertNotEmitted(tree.sig_file_deleted, wait=100):
        tree.delete(tmp_path / "taken.ts")
    assert (tmp_path / "taken.ts").exists()
