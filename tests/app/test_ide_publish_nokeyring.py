"""#15 point 3 on the real window, on a machine without a system keyring, against a real isoplay server.

The token typed into the Publish dialog is remembered per server in the user's token file (0600); the
Deployments panel has a server and token selector and Refresh always says what happened; no raw exception
text is shown; after a publish the dialog offers to write the version into isoplay.toml and remembers the
server and version.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS
from PySide6.QtWidgets import QLabel

from app.tools import open_publish_dialog
from runtime.manifest import load_manifest
from runtime.publish_client import PublishClient, build_release

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from server_harness import RealServer  # noqa: E402

RAW = ("Traceback", "NoKeyringError", "Exception", "Error:")


@pytest.fixture
def no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("ISOPLAY_TOKEN", raising=False)
    config = tmp_path / "user-config"
    monkeypatch.setenv("ISOPLAY_CONFIG_DIR", str(config))
    return config


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    running = RealServer(tmp_path / "server-data").start()
    yield running
    running.stop()


def panel_texts(panel: Any) -> list[str]:
    return [label.text() for label in panel.findChildren(QLabel)] + [panel.status.toolTip()]


def test_publish_remembers_the_token_server_and_version_and_deployments_refreshes_after_a_restart(
        qtbot: Any, ide_factory: Any, settings_factory: Any, sample_project: Path, server: RealServer,
        no_keyring: Path) -> None:
    settings = settings_factory("publish")
    ide = ide_factory(sample_project, settings)
    dialog = open_publish_dialog(ide, ide.tools)
    assert dialog is not None and dialog.version.text() == "0.1.0"
    dialog.bump_buttons["minor"].click()
    dialog.server.setEditText(server.url)
    dialog.token.setText(server.create_token("ide"))
    dialog.type_check.setChecked(False)
    deployments = ide.tools.deployments_controller
    with qtbot.waitSignal(deployments.sig_loaded, timeout=60_000):  # published, then Deployments follows it
        dialog.publish_button.click()
    assert "sample@0.2.0" in dialog.status.text()

    # the typed token went to the user's token file, readable by the user only
    token_file = no_keyring / "tokens.json"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert list(json.loads(token_file.read_text())) == [server.url]

    # the dialog offers to write 0.2.0 into isoplay.toml
    assert dialog.write_version_button.isVisible() and "0.2.0" in dialog.write_version_button.text()
    dialog.write_version_button.click()
    qtbot.waitUntil(lambda: not dialog.write_version_button.isVisible(), timeout=WAIT_MS)
    assert load_manifest(sample_project).version == "0.2.0"
    assert "[[kv_namespaces]]" in (sample_project / "isoplay.toml").read_text()  # the rest of the file kept
    assert dialog.status.text() == "isoplay.toml now says version 0.2.0"
    dialog.close()

    # a second dialog starts on that server and says what was published last
    again = open_publish_dialog(ide, ide.tools)
    assert again.server.currentText() == server.url
    assert again.last.text() == f"last published 0.2.0 to {server.url}"
    assert again.version.text() == "0.2.0"
    again.close()
    ide.save_state()

    # after a restart: Deployments knows the server and the app, finds the saved token, and Refresh loads
    restarted = ide_factory(sample_project, settings_factory("publish"))
    panel = restarted.tools.deployments
    assert panel.selection().server == server.url and panel.selection().app == "sample"
    qtbot.waitUntil(lambda: panel.token.placeholderText().startswith("using the saved token"), timeout=WAIT_MS)
    with qtbot.waitSignal(restarted.tools.deployments_controller.sig_loaded, timeout=WAIT_MS):
        panel.refresh_button.click()
    assert panel.table.rowCount() == 1 and panel.table.item(0, 0).text() == "0.2.0"
    assert "1 version(s) · refreshed" in panel.status.text()

    # rollback without a keyring: another version goes live (published here by the real client), then
    # "Roll back to selected" makes 0.2.0 live again with the saved token, and says so in words
    with PublishClient(server.url, server.create_token("second")) as client:
        client.publish(build_release(sample_project, version="0.3.0"))
    with qtbot.waitSignal(restarted.tools.deployments_controller.sig_loaded, timeout=WAIT_MS):
        panel.refresh_button.click()
    rows = {panel.table.item(r, 0).text(): panel.table.item(r, 1).text() for r in range(panel.table.rowCount())}
    assert rows == {"0.2.0": "", "0.3.0": "● live"}, rows
    row = next(r for r in range(panel.table.rowCount()) if panel.table.item(r, 0).text() == "0.2.0")
    panel.table.selectRow(row)
    with qtbot.waitSignal(restarted.tools.deployments_controller.sig_loaded, timeout=WAIT_MS):
        panel.rollback_button.click()
    rows = {panel.table.item(r, 0).text(): panel.table.item(r, 1).text() for r in range(panel.table.rowCount())}
    assert rows == {"0.2.0": "● live", "0.3.0": ""}, rows
    assert "live 0.2.0" in panel.title.text()
    for text in panel_texts(panel):
        assert not any(raw in text for raw in RAW), text


def test_deployments_selector_feedback_and_no_raw_exception_text(qtbot: Any, ide_factory: Any,
                                                                 server: RealServer, no_keyring: Path) -> None:
    ide = ide_factory()
    panel = ide.tools.deployments
    controller = ide.tools.deployments_controller

    panel.server.setEditText("")
    panel.app.setText("")
    panel.refresh_button.click()  # nothing chosen: it says so
    assert "choose a server and an app" in panel.status.text()

    panel.set_selection(server.url, "nothing-here")  # no token saved for this server: it says so
    qtbot.waitUntil(lambda: "no token saved" in panel.token.placeholderText(), timeout=WAIT_MS)
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: panel.refresh_button.isEnabled() and "✗" in panel.status.text(), timeout=WAIT_MS)
    assert "no token for" in panel.status.toolTip()

    panel.token.setText("isoplay_wrong")  # a wrong token: the server's refusal, in words; not saved
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: panel.refresh_button.isEnabled() and "unauthorized" in panel.status.text(), timeout=WAIT_MS)
    assert not (no_keyring / "tokens.json").exists()

    panel.token.setText(server.create_token("panel"))  # the right one: used, saved for the server, field cleared
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: panel.refresh_button.isEnabled() and "404" in panel.status.toolTip(), timeout=WAIT_MS)
    assert list(json.loads((no_keyring / "tokens.json").read_text())) == [server.url]
    panel.set_selection("127.0.0.1:1", "x")  # an unreachable server
    panel.refresh_button.click()
    assert panel.refresh_button.text() == "Refreshing…"  # feedback while it runs
    qtbot.waitUntil(lambda: panel.refresh_button.isEnabled() and "cannot reach" in panel.status.toolTip(),
                    timeout=WAIT_MS)
    for text in panel_texts(panel):
        assert not any(raw in text for raw in RAW), text
    assert controller.server == "127.0.0.1:1"
