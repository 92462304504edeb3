"""The Deployments panel and its controller against a real isoplay server (offscreen Qt)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.bridge import FutureBridge
from app.panels.deployments.controller import DeploymentsController
from app.panels.deployments.widget import DeploymentsPanel
from runtime.bundler import Bundle
from runtime.manifest import parse_manifest
from runtime.publish_client import PublishClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))
from server_harness import RealServer  # noqa: E402


def tiny(version: str) -> Bundle:
    manifest = parse_manifest({"name": "site", "version": version, "main": "src/index.ts"})
    code = f'var __isoplay_module = {{ default: {{ fetch() {{ return new Response("{version}"); }} }} }};'
    return Bundle(manifest=manifest, code=code, sourcemap='{"version":3,"sources":[],"mappings":""}')


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[RealServer, str]]:
    server = RealServer(tmp_path / "server-data").start()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(tiny("1.0.0"))
        client.publish(tiny("1.1.0"))
    yield server, token
    server.stop()


def test_lists_versions_marks_live_and_rolls_back(qtbot: Any, deployed: tuple[RealServer, str]) -> None:
    server, token = deployed
    panel = DeploymentsPanel()
    qtbot.addWidget(panel)
    executor = ThreadPoolExecutor(max_workers=1)
    controller = DeploymentsController(panel, bridge=FutureBridge(), executor=executor,
                                       client_factory=lambda url: PublishClient(url, token))
    panel.sig_refresh_requested.connect(controller.refresh)
    panel.sig_rollback_requested.connect(controller.rollback)
    try:
        with qtbot.waitSignal(controller.sig_loaded, timeout=20_000):
            controller.show(server.url, "site")
        assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == ["1.1.0", "1.0.0"]
        assert panel.live_row() == 0
        panel.table.selectRow(1)
        with qtbot.waitSignal(controller.sig_loaded, timeout=20_000):
            panel.rollback_button.click()
        assert panel.live_row() == 1 and "live 1.0.0" in panel.title.text()
        with PublishClient(server.url, token) as client:
            assert client.app("site").live_version == "1.0.0"
    finally:
        executor.shutdown(wait=True)


def test_errors_show_in_the_panel(qtbot: Any, deployed: tuple[RealServer, str]) -> None:
    server, _ = deployed
    panel = DeploymentsPanel()
    qtbot.addWidget(panel)
    executor = ThreadPoolExecutor(max_workers=1)
    controller = DeploymentsController(panel, bridge=FutureBridge(), executor=executor,
                                       client_factory=lambda url: PublishClient(url, "isoplay_wrong"))
    try:
        controller.show(server.url, "site")
        # Wait for the error itself: the "loading … from http://127.0.0.1:PORT" status holds "401"
        # whenever the port does (e.g. 40123), which once made this pass its wait too early.
        qtbot.waitUntil(lambda: panel.status.text().startswith("✗"), timeout=20_000)
        assert "401" in panel.status.text()
        assert panel.refresh_button.isEnabled()
    finally:
        executor.shutdown(wait=True)
