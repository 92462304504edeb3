"""App test fixtures: settings and IDE factories (real services, real tsc, real isolates, offscreen Qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from app.settings import AppSettings  # noqa: E402
from editor.lsp import ServerStatus  # noqa: E402
from runtime.project import new_project  # noqa: E402

from ide_testutil import INDEX_TS, UTIL_TS, WAIT_MS  # noqa: E402

@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[[str], AppSettings]:
    """Factory: AppSettings on a fresh (or named, to reuse) INI file under tmp_path."""

    def make(name: str = "settings") -> AppSettings:
        return AppSettings(QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat))

    return make


@pytest.fixture
def sample_project(tmp_path: Path, tools: Any) -> Path:
    """A KV project (from the kv template) whose index.ts imports util.ts and can throw."""
    root = tmp_path / "sample"
    new_project(root, "kv", "sample")
    (root / "src" / "index.ts").write_text(INDEX_TS, encoding="utf-8")
    (root / "src" / "util.ts").write_text(UTIL_TS, encoding="utf-8")
    return root


@pytest.fixture
def ide_factory(qtbot: Any, settings_factory: Callable[[str], AppSettings]) -> Iterator[Callable[..., Any]]:
    """Factory: a built, shown IDE; with ``root`` it waits until the project runs and its main file is open.

    Teardown stops the language server, the file watcher and the runtime thread.
    """
    from app.main import build_app

    ides: list[Any] = []

    def make(root: Path | None = None, settings: AppSettings | None = None) -> Any:
        ide = build_app(settings or settings_factory(f"settings{len(ides)}"))
        ides.append(ide)
        # not qtbot.addWidget: pytest-qt would delete the window before this fixture stops the services
        ide.window.resize(1280, 800)
        ide.window.show()
        if root is not None:
            with qtbot.waitSignal(ide.services.runtime.sig_project_opened, timeout=WAIT_MS):
                ide.open_project(root)
            qtbot.waitUntil(lambda: ide.controllers.editors.current_editor() is not None, timeout=WAIT_MS)
        return ide

    yield make
    for ide in ides:
        ide.window.close_guard = None
        clients = [c for c in [ide.services.language.client] if c is not None]
        ide.shutdown()
        for client in clients:
            qtbot.waitUntil(lambda c=client: c.status is ServerStatus.STOPPED, timeout=5_000)
        qtbot.wait(50)  # deliver results that were queued before the services stopped
        ide.window.close()
        ide.window.deleteLater()
