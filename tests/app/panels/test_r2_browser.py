"""R2 browser driven by a real runtime: scripts' uploads show up, the preview reads the object, uploads and
deletes from the panel reach the bucket the scripts see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.panels.r2 import create_r2_panel
from app.panels.r2.widget import human
from runtime.invocation import HttpRequest

SCRIPT = """
export default {
  async fetch(request: Request, env: any) {
    const key = new URL(request.url).pathname.slice(1);
    if (request.method === "PUT") {
      await env.FILES.put(key, await request.text(), { httpMetadata: { contentType: "application/json" }, customMetadata: { by: "script" } });
      return new Response("stored");
    }
    const o = await env.FILES.get(key);
    return new Response(o ? await o.text() : "missing", { status: o ? 200 : 404 });
  },
};
"""
MANIFEST = 'name = "r2b"\nmain = "src/index.ts"\n[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "files"\n'

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.fixture
def env(running_project: Any) -> Iterator[dict[str, Any]]:
    env = running_project(SCRIPT, MANIFEST, "r2b")
    panel = create_r2_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    env["panel"] = panel
    yield env
    panel.controller.close()


def test_objects_previews_uploads_and_deletes(qtbot: Any, env: dict[str, Any], tmp_path: Path) -> None:
    panel, runtime, w = env["panel"], env["runtime"], env["panel"].widget
    call = lambda req: env["thread"].call(runtime.invoke(req), 10)  # noqa: E731
    panel.attach(runtime)
    assert w.bucket.currentText() == "FILES" and w.keys() == []
    call(HttpRequest("PUT", "http://localhost/data/a.json", body=b'{"a":1}'))
    qtbot.waitUntil(lambda: w.keys() == ["data/a.json"], timeout=5000)  # after the metrics batch
    w.objects.selectRow(0)
    qtbot.waitUntil(lambda: '"a": 1' in w.preview.toPlainText(), timeout=5000)  # pretty JSON
    assert "application/json · 7 bytes" in w.details.text() and "'by': 'script'" in w.details.text()

    upload = tmp_path / "notes.txt"
    upload.write_text("from the panel")
    panel.controller.set_prefix("data/")
    panel.controller.upload(upload)
    qtbot.waitUntil(lambda: w.keys() == ["data/a.json", "data/notes.txt"], timeout=5000)
    assert "uploaded data/notes.txt (14 bytes) · 2 objects in FILES under 'data/'" in w.status.text()
    assert call(HttpRequest("GET", "http://localhost/data/notes.txt")).body == b"from the panel"  # scripts see it
    saved = tmp_path / "copy.json"
    panel.controller.download("data/a.json", saved)
    qtbot.waitUntil(lambda: saved.exists() and saved.read_bytes() == b'{"a":1}', timeout=5000)
    panel.controller.delete("data/a.json")
    qtbot.waitUntil(lambda: w.keys() == ["data/notes.txt"], timeout=5000)
    assert call(HttpRequest("GET", "http://localhost/data/a.json")).status == 404
    assert env["failures"] == []


def test_human_sizes() -> None:
    assert [human(n) for n in (5, 1500, 2_500_000)] == ["5 B", "1.5 kB", "2.5 MB"]
