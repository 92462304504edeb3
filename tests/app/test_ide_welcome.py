"""#15 point 12: the welcome view on a start with no project (recent projects, New from template, Open folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS
from PySide6.QtCore import Qt

import app.main as app_main
from app.panels.project.controller import NewProjectRequest
from runtime.project import TEMPLATES

WRANGLER_TS = """export default {
  async fetch(request: Request, env: { GREETING: string }): Promise<Response> {
    return new Response(env.GREETING + " from " + new URL(request.url).pathname);
  },
};
"""


@pytest.fixture
def wrangler_project(tmp_path: Path) -> Path:
    """A folder with only a wrangler.jsonc (no isoplay.toml)."""
    root = tmp_path / "from-wrangler"
    (root / "src").mkdir(parents=True)
    (root / "src" / "index.ts").write_text(WRANGLER_TS, encoding="utf-8")
    (root / "wrangler.jsonc").write_text(
        '{\n  "name": "from-wrangler",\n  "main": "src/index.ts",\n  "compatibility_date": "2025-02-20",\n'
        '  // greeting\n  "vars": { "GREETING": "hello" }\n}\n', encoding="utf-8")
    return root


def test_a_start_without_a_project_shows_the_welcome_view(ide_factory: Any) -> None:
    ide = ide_factory()
    tabs = ide.panels.editors
    assert tabs.currentWidget() is tabs.welcome
    view = tabs.welcome_view
    assert view.isVisible() and view.open_button.isVisible() and view.new_button.isVisible()
    assert set(view.template_buttons) == set(TEMPLATES) >= {"hello", "kv", "cron", "router"}
    assert view.recent_buttons == []
    assert ide.window.minimumSizeHint().width() <= 1024


def test_recent_projects_open_from_the_welcome_view(qtbot: Any, ide_factory: Any, settings_factory: Any,
                                                     sample_project: Path, wrangler_project: Path) -> None:
    settings = settings_factory("recent")
    settings.add_recent_project(sample_project)
    settings.add_recent_project(wrangler_project)
    ide = ide_factory(settings=settings)
    view = ide.panels.editors.welcome_view
    assert [b.text() for b in view.recent_buttons] == ["from-wrangler", "sample"]
    assert view.recent_buttons[0].toolTip() == str(wrangler_project.resolve())
    with qtbot.waitSignal(ide.services.runtime.sig_project_opened, timeout=WAIT_MS) as opened:
        qtbot.mouseClick(view.recent_buttons[0], Qt.MouseButton.LeftButton)
    assert opened.args[0].root == wrangler_project.resolve()
    qtbot.waitUntil(lambda: ide.controllers.editors.current_editor() is not None, timeout=WAIT_MS)
    assert ide.panels.editors.currentWidget() is ide.panels.editors.tabs


def test_open_folder_with_a_wrangler_config_from_the_welcome_view(qtbot: Any, ide_factory: Any,
                                                                  wrangler_project: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ide = ide_factory()
    monkeypatch.setattr(ide.window, "ask_project_dir", lambda: wrangler_project)
    with qtbot.waitSignal(ide.services.runtime.sig_project_opened, timeout=WAIT_MS):
        qtbot.mouseClick(ide.panels.editors.welcome_view.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ide.controllers.editors.current_editor() is not None, timeout=WAIT_MS)
    assert ide.controllers.editors.current_editor().path == wrangler_project.resolve() / "src" / "index.ts"
    # the project is now the first recent one, in the menu and in the welcome view
    assert ide.panels.editors.welcome_view.recent_buttons[0].text() == "from-wrangler"


def test_new_project_from_a_template_link(qtbot: Any, ide_factory: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str | None] = []

    def answer(_parent: Any, folder: Path | None = None, template: str | None = None) -> NewProjectRequest:
        asked.append(template)
        return NewProjectRequest(tmp_path / "made", template or "hello", "made")

    monkeypatch.setattr(app_main, "ask_new_project", answer)
    ide = ide_factory()
    with qtbot.waitSignal(ide.services.runtime.sig_project_opened, timeout=WAIT_MS):
        qtbot.mouseClick(ide.panels.editors.welcome_view.template_buttons["router"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ide.controllers.editors.current_editor() is not None, timeout=WAIT_MS)
    assert asked == ["router"]
    assert (tmp_path / "made" / "isoplay.toml").is_file()
    assert (tmp_path / "made" / "src" / "router.ts").is_file()  # the router template's own file
