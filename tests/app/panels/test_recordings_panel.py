"""The Recordings panel against a real isoplay server and a real project (offscreen Qt)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.bridge import FutureBridge
from app.panels.recordings.controller import RecordingsController
from app.panels.recordings.widget import RecordingsPanel
from runtime.publish_client import PublishClient, build_release

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))
from server_harness import RealServer  # noqa: E402

SOURCE = """export default {
  async fetch(request: Request, env: any) {
    const n = Number((await env.KV.get("n")) ?? "0");
    await env.KV.put("n", String(n + 1));
    if (new URL(request.url).pathname === "/fail") throw new Error(`failed at call ${n} (${crypto.randomUUID()})`);
    return new Response(`call ${n}`);
  },
};
"""


@pytest.fixture
def served(tmp_path: Path, tools: Any) -> Iterator[tuple[RealServer, str, Path]]:
    root = tmp_path / "counter"
    (root / "src").mkdir(parents=True)
    (root / "src/index.ts").write_text(SOURCE)
    (root / "isoplay.toml").write_text('name = "counter"\nmain = "src/index.ts"\nkv_namespaces = [{ binding = "KV" }]\n')
    server = RealServer(tmp_path / "server-data").start()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(build_release(root))
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/counter/ok").status_code == 200
        assert http.get("/counter/fail").status_code == 500
    yield server, token, root
    server.stop()


def test_lists_replays_saves_and_saves_as_test(qtbot: Any, served: tuple[RealServer, str, Path]) -> None:
    server, token, root = served
    panel = RecordingsPanel()
    qtbot.addWidget(panel)
    executor = ThreadPoolExecutor(max_workers=1)
    controller = RecordingsController(panel, bridge=FutureBridge(), executor=executor,
                                      client_factory=lambda url: PublishClient(url, token))
    panel.sig_refresh_requested.connect(controller.refresh)
    panel.sig_replay_requested.connect(controller.replay)
    panel.sig_save_requested.connect(controller.save)
    panel.sig_save_test_requested.connect(controller.save_test)
    try:
        server.core.recorder.flush()
        with qtbot.waitSignal(controller.sig_loaded, timeout=30_000):
            controller.show(root, server.url, "counter")
        assert panel.table.rowCount() == 1  # the failure only (the default policy)
        assert panel.table.item(0, 2).text() == "error" and panel.table.item(0, 7).text() == "server"
        assert not panel.replay_button.isEnabled()
        panel.table.selectRow(0)
        assert panel.replay_button.isEnabled() and panel.save_button.isEnabled()
        with qtbot.waitSignal(controller.sig_replayed, timeout=60_000) as replayed:
            panel.replay_button.click()
        assert replayed.args[0].differences() == []
        assert "same response and logs as recorded" in panel.status.text()
        with qtbot.waitSignal(controller.sig_loaded, timeout=30_000):
            panel.save_button.click()
        saved = list((root / "recordings").glob("*.isorec"))
        assert len(saved) == 1 and panel.table.rowCount() == 2
        assert {panel.table.item(r, 7).text() for r in range(2)} == {"server", "local"}
        local = next(r for r in range(2) if panel.table.item(r, 7).text() == "local")
        panel.table.selectRow(local)
        assert not panel.save_button.isEnabled()  # already in the project
        with qtbot.waitSignal(controller.sig_saved, timeout=30_000) as wrote:
            panel.save_test_button.click()
        test_file = wrote.args[0]
        assert test_file.name.startswith("recorded-") and 'env.KV.put("n", "1")' in test_file.read_text()
    finally:
        executor.shutdown(wait=True)


UPLOAD = """export default {
  async fetch(request: Request) {
    return new Response(String((await request.arrayBuffer()).byteLength));
  },
};
"""


def test_an_invocation_the_server_could_not_record_is_listed_with_the_reason(qtbot: Any, tmp_path: Path,
                                                                             tools: Any) -> None:
    root = tmp_path / "uploads"
    (root / "src").mkdir(parents=True)
    (root / "src/index.ts").write_text(UPLOAD)
    (root / "isoplay.toml").write_text('name = "uploads"\nmain = "src/index.ts"\n[recordings]\nsample = 1.0\n')
    server = RealServer(tmp_path / "server-data").start()
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        token = server.create_token()
        with PublishClient(server.url, token) as client:
            client.publish(build_release(root))
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert http.post("/uploads/small", content=b"x" * 100_000).text == "100000"  # streamed in, recorded
            assert http.post("/uploads/big", content=b"y" * (5 * 1024 * 1024)).text == str(5 * 1024 * 1024)
        panel = RecordingsPanel()
        qtbot.addWidget(panel)
        controller = RecordingsController(panel, bridge=FutureBridge(), executor=executor,
                                          client_factory=lambda url: PublishClient(url, token))
        with qtbot.waitSignal(controller.sig_loaded, timeout=30_000):
            controller.show(None, server.url, "uploads")
        assert panel.table.rowCount() == 2
        sources = [panel.table.item(r, 7).text() for r in range(2)]
        assert sorted(sources) == ["not kept", "server"]
        refused = sources.index("not kept")
        assert panel.table.item(refused, 1).text().endswith("/big")
        assert "read past 4 MiB" in panel.table.item(refused, 1).toolTip()  # the reason
        assert "1 invocation not kept" in panel.status.text() and "read past 4 MiB" in panel.status.text()
        panel.table.selectRow(refused)
        assert not panel.replay_button.isEnabled() and not panel.debug_button.isEnabled()  # nothing to replay
        panel.table.selectRow(sources.index("server"))
        assert panel.replay_button.isEnabled()
    finally:
        executor.shutdown(wait=True)
        server.stop()
