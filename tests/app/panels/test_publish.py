"""The Publish dialog and its controller against a real isoplay server (offscreen Qt)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QSettings

from app.bridge import FutureBridge
from app.panels.publish.controller import PublishController
from app.panels.publish.model import ServerProfiles, bump
from app.panels.publish.widget import PublishDialog
from runtime.project import new_project

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))
from server_harness import RealServer  # noqa: E402

SOURCE = 'export default { fetch(request: Request): Response { return new Response("hi from " + new URL(request.url).pathname); } };\n'
BROKEN = 'const n: number = "not a number";\nexport default { fetch(): Response { return new Response(String(n)); } };\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    running = RealServer(tmp_path / "server-data").start()
    yield running
    running.stop()


@pytest.fixture
def project(tmp_path: Path, tools: Any) -> Path:
    root = tmp_path / "site"
    new_project(root, "hello", "site")
    toml = root / "isoplay.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('version = "0.1.0"', 'version = "0.3.1"'), encoding="utf-8")
    (root / "src" / "index.ts").write_text(SOURCE, encoding="utf-8")
    return root


@pytest.fixture
def dialog(qtbot: Any, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PublishDialog, PublishController]]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("ISOPLAY_TOKEN", raising=False)
    view = PublishDialog(project)
    qtbot.addWidget(view)
    executor = ThreadPoolExecutor(max_workers=1)
    profiles = ServerProfiles(QSettings(str(tmp_path / "publish.ini"), QSettings.Format.IniFormat))
    controller = PublishController(view, bridge=FutureBridge(), executor=executor, profiles=profiles)
    view.sig_publish_requested.connect(controller.publish)
    view.sig_bump_requested.connect(controller.bump)
    view.sig_publish_anyway_requested.connect(controller.publish_anyway)
    controller.load_project(project)
    yield view, controller
    executor.shutdown(wait=True)


def test_bump() -> None:
    assert [bump("1.2.3", p) for p in ("patch", "minor", "major")] == ["1.2.4", "1.3.0", "2.0.0"]
    assert bump("not semver", "patch") == "0.1.0"


def test_publish_from_the_dialog_shows_the_live_url(qtbot: Any, dialog: tuple[PublishDialog, PublishController],
                                                   server: RealServer) -> None:
    view, controller = dialog
    assert view.version.text() == "0.3.1"
    view.bump_buttons["minor"].click()
    assert view.version.text() == "0.4.0"
    view.server.setEditText(server.url)
    view.token.setText(server.create_token())
    with qtbot.waitSignal(controller.sig_published, timeout=60_000) as published:
        view.publish_button.click()
    result = published.args[0]
    assert (result.app, result.version, result.live) == ("site", "0.4.0", True)
    assert f'href="{server.url}/site/"' in view.link.text()
    assert view.progress.value() == 100 and view.publish_button.isEnabled()
    assert httpx.get(f"{server.url}/site/page", timeout=10).text == "hi from /page"
    assert controller.profiles.urls() == [server.url]


def test_type_errors_hold_the_publish_until_confirmed(qtbot: Any, dialog: tuple[PublishDialog, PublishController],
                                                     server: RealServer, project: Path) -> None:
    view, controller = dialog
    (project / "src" / "index.ts").write_text(BROKEN, encoding="utf-8")
    view.server.setEditText(server.url)
    view.token.setText(server.create_token())
    view.publish_button.click()
    qtbot.waitUntil(lambda: view.anyway_button.isVisibleTo(view), timeout=60_000)
    assert "1 type error" in view.status.text() and "TS2322" in view.errors.text()
    assert view.publish_button.isEnabled()
    assert httpx.get(f"{server.url}/site/", timeout=10).status_code == 404
    with qtbot.waitSignal(controller.sig_published, timeout=60_000):
        view.anyway_button.click()
    assert httpx.get(f"{server.url}/site/", timeout=10).text == "not a number"


def test_server_refusals_show_one_line(qtbot: Any, dialog: tuple[PublishDialog, PublishController],
                                       server: RealServer) -> None:
    view, _ = dialog
    view.type_check.setChecked(False)
    view.server.setEditText(server.url)
    view.token.setText("isoplay_wrong")
    view.publish_button.click()
    # "unauthorized", not "401": a status naming http://127.0.0.1:PORT holds "401" when the port does.
    qtbot.waitUntil(lambda: "unauthorized" in view.status.text(), timeout=30_000)
    assert "401" in view.status.text() and view.publish_button.isEnabled()
