"""KV browser driven by a real runtime: scripts write, the browser shows, edits round-trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.panels.kv import create_kv_panel, render_value
from app.panels.kv.controller import hex_dump
from runtime.invocation import HttpRequest

SCRIPT = """
export default {
  async fetch(request: Request, env: any) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "1");
    for (let i = 0; i < n; i++) {
      await env.DATA.put(`item:${String(i).padStart(3, "0")}`, JSON.stringify({ i }), { metadata: { i } });
    }
    return new Response("ok");
  },
};
"""
MANIFEST = 'name = "kvb"\nmain = "src/index.ts"\n[[kv_namespaces]]\nbinding = "DATA"\n[[kv_namespaces]]\nbinding = "EMPTY"\n'


pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.fixture
def env(running_project: Any) -> Iterator[dict[str, Any]]:
    """A running project with two KV bindings on a runtime thread, and the KV panel."""
    env = running_project(SCRIPT, MANIFEST, "kvb")
    panel = create_kv_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    panel.controller.page_size = 10
    env["panel"] = panel
    yield env
    panel.controller.close()


def keys_shown(panel: Any) -> list[str]:
    table = panel.widget.keys_table
    return [table.item(r, 0).text() for r in range(table.rowCount())]


def test_render_value_modes() -> None:
    assert render_value(b'{"a":1}') == ('{\n  "a": 1\n}', "json")
    assert render_value(b"plain") == ("plain", "text")
    assert render_value(b'{"a":1}', "text") == ('{"a":1}', "text")
    assert render_value(b"\xff\x00A")[1] == "hex"
    assert render_value(b"not json", "json") == ("not json", "text")
    assert hex_dump(b"AB\x00") == "00000000  41 42 00" + " " * 41 + "AB."


def test_browser_follows_script_writes_and_pages(qtbot: Any, env: dict[str, Any], tmp_path: Path) -> None:
    panel, runtime = env["panel"], env["runtime"]
    panel.controller.attach(runtime)
    qtbot.waitUntil(lambda: panel.widget.namespace_box.count() == 2, timeout=3000)
    assert [panel.widget.namespace_box.itemText(i) for i in range(2)] == ["DATA", "EMPTY"]
    assert keys_shown(panel) == []
    env["thread"].call(runtime.invoke(HttpRequest(url="http://localhost/?n=25")), 10)
    qtbot.waitUntil(lambda: len(keys_shown(panel)) == 10, timeout=3000)  # refreshed after the metrics batch
    assert keys_shown(panel)[0] == "item:000"
    assert panel.widget.next_button.isEnabled() and not panel.widget.prev_button.isEnabled()
    panel.widget.next_button.click()
    qtbot.waitUntil(lambda: keys_shown(panel)[:1] == ["item:010"], timeout=3000)
    panel.widget.next_button.click()
    qtbot.waitUntil(lambda: keys_shown(panel) == [f"item:{i:03d}" for i in range(20, 25)], timeout=3000)
    assert not panel.widget.next_button.isEnabled()
    panel.widget.prev_button.click()
    qtbot.waitUntil(lambda: keys_shown(panel)[:1] == ["item:010"], timeout=3000)

    panel.widget.prefix_edit.setText("item:02")
    panel.widget.prefix_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: keys_shown(panel) == [f"item:{i:03d}" for i in range(20, 25)], timeout=3000)

    panel.widget.keys_table.cellClicked.emit(1, 0)
    qtbot.waitUntil(lambda: panel.widget.key_edit.text() == "item:021", timeout=3000)
    assert json.loads(panel.widget.value_edit.toPlainText()) == {"i": 21}
    assert "shown as json" in panel.widget.info_label.text()
    assert json.loads(panel.widget.metadata_edit.text()) == {"i": 21}
    panel.widget.mode_box.setCurrentText("hex")
    qtbot.waitUntil(lambda: panel.widget.value_edit.toPlainText().startswith("00000000  7b"), timeout=3000)
    panel.widget.resize(900, 420)
    panel.widget.grab().save(str(tmp_path / "kv.png"))
    assert not env["failures"]


def test_put_edit_delete_import_export(qtbot: Any, env: dict[str, Any], tmp_path: Path) -> None:
    panel, runtime = env["panel"], env["runtime"]
    panel.controller.attach(runtime)
    qtbot.waitUntil(lambda: panel.widget.namespace_box.count() == 2, timeout=3000)
    w = panel.widget
    w.key_edit.setText("greeting")
    w.value_edit.setPlainText("hello")
    w.metadata_edit.setText('{"lang": "en"}')
    w.ttl_box.setValue(3600)
    w.on_save_clicked()
    qtbot.waitUntil(lambda: keys_shown(panel) == ["greeting"], timeout=3000)
    entry = runtime.kv.get("DATA", "greeting")
    assert entry is not None and entry.value == b"hello" and entry.metadata == {"lang": "en"}
    assert entry.expiration is not None
    assert "never" not in w.keys_table.item(0, 1).text()

    w.value_edit.setPlainText("bonjour")
    w.metadata_edit.setText("{bad")
    w.on_save_clicked()
    assert "not valid JSON" in w.status.text()
    w.key_edit.setText("x" * 600)
    w.metadata_edit.setText("")
    w.on_save_clicked()
    qtbot.waitUntil(lambda: "saving" in w.status.text(), timeout=3000)  # the KV key limit, as a status line
    assert not env["failures"]

    out = tmp_path / "data.json"
    panel.controller.export_to(out)
    qtbot.waitUntil(lambda: out.exists() and "exported" in w.status.text(), timeout=3000)
    assert [item["key"] for item in json.loads(out.read_text())] == ["greeting"]

    w.key_edit.setText("greeting")
    w.on_delete_clicked()
    qtbot.waitUntil(lambda: keys_shown(panel) == [], timeout=3000)
    assert runtime.kv.get("DATA", "greeting") is None

    panel.controller.import_from(out)
    qtbot.waitUntil(lambda: keys_shown(panel) == ["greeting"], timeout=3000)
    assert runtime.kv.get("DATA", "greeting").value == b"hello"  # type: ignore[union-attr]
