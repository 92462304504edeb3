"""The retention of recordings on a real server (in process, so that its recorder's clock can move on)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from runtime.publish_client import PublishClient, build_release
from server_harness import RealServer

SOURCE = 'export default { fetch(request: Request) { return new Response("no", { status: 503 }); } };\n'


def test_a_recording_past_its_retention_is_gone_though_the_app_keeps_nothing_new(tmp_path: Path, tools: Any) -> None:
    root = tmp_path / "idle"
    (root / "src").mkdir(parents=True)
    (root / "src/index.ts").write_text(SOURCE)
    (root / "isoplay.toml").write_text('name = "idle"\nmain = "src/index.ts"\n[recordings]\nretention_hours = 1\n')
    server = RealServer(tmp_path / "server-data").start()
    try:
        token = server.create_token()
        with PublishClient(server.url, token) as client:
            client.publish(build_release(root))
            with httpx.Client(base_url=server.url, timeout=30) as http:
                assert http.get("/idle/").status_code == 503  # a failure: kept by the default policy
            (listed,) = client.list_recordings("idle")
            assert client.recording("idle", listed["id"])
            recorder = server.core.recorder
            recorder.clock = lambda: time.time() + 3601.0  # an hour later, with no new invocation
            assert client.list_recordings("idle") == []
            refused = client._http.get(f"/api/apps/idle/recordings/{listed['id']}")
            assert refused.status_code == 404
            recorder.clock = time.time
            assert client.list_recordings("idle") == []  # deleted, not only hidden
    finally:
        server.stop()
