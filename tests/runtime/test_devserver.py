"""``isoplay dev`` end to end: a real server process on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SOURCE = """
export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    if (url.pathname === "/slow") await new Promise((r) => setTimeout(r, 600));
    console.log("served", url.pathname);
    return new Response("VERSION-A " + url.pathname + " " + (await request.text()).length);
  },
  async scheduled(c: { cron: string }) { console.log("cron", c.cron); },
  async event(e: { name: string; payload: unknown }) { return { name: e.name, payload: e.payload }; },
};
"""
MANIFEST = 'name = "dev"\nmain = "src/index.ts"\n[triggers]\ncrons = ["*/5 * * * *"]\n[limits]\nmax_body_bytes = 1000\n'


class DevProcess:
    def __init__(self, root: Path, log: Path) -> None:
        self.log = log
        self._log_handle = log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-cron"],
                                     stdout=subprocess.DEVNULL, stderr=self._log_handle)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"at http://127\.0\.0\.1:(\d+)/", log.read_text())
            if match:
                self.base = f"http://127.0.0.1:{match.group(1)}"
                break
            if self.proc.poll() is not None:
                self._log_handle.close()
                raise AssertionError(log.read_text())
            time.sleep(0.05)
        else:
            raise AssertionError("dev server did not start: " + log.read_text())
        self.client = httpx.Client(base_url=self.base, timeout=10)
        self.wait_until(lambda: self.client.get("/__isoplay/health").json()["status"] == "ok")

    def wait_until(self, predicate, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("condition not met; log:\n" + self.log.read_text())

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log_handle.close()


@pytest.fixture
def dev(make_project, tmp_path: Path) -> Iterator[tuple[DevProcess, Path]]:
    root = make_project({"src/index.ts": SOURCE}, MANIFEST, name="dev")
    server = DevProcess(root, tmp_path / "dev.log")
    yield server, root
    server.stop()


def test_serves_requests_and_admin_routes(dev) -> None:
    server, _root = dev
    response = server.client.post("/hello?x=1", content=b"abc")
    assert response.status_code == 200 and response.text == "VERSION-A /hello 3"
    health = server.client.get("/__isoplay/health").json()
    assert health["script"] == "dev" and health["build_error"] is None
    cron = server.client.post("/__isoplay/scheduled", params={"cron": "*/5 * * * *"})
    assert cron.status_code == 200 and cron.json()["logs"][0]["message"] == "cron */5 * * * *"
    event = server.client.post("/__isoplay/event/signup", json={"id": 7})
    assert event.json()["value"] == {"name": "signup", "payload": {"id": 7}}
    bad = server.client.post("/__isoplay/event/signup", content=b"{nope")
    assert bad.status_code == 400 and "not valid JSON" in bad.text
    metrics = server.client.get("/__isoplay/metrics").text
    assert 'isoplay_invocations_total{outcome="ok",script="dev",trigger="fetch"}' in metrics
    assert "served /hello" in server.log.read_text()


def test_body_over_limit_is_413(dev) -> None:
    server, _root = dev
    response = server.client.post("/upload", content=b"x" * 5000)
    assert response.status_code == 413 and "max_body_bytes (1000 bytes)" in response.text
    assert server.client.get("/ok").status_code == 200


def test_hot_reload_swaps_atomically_and_bad_save_keeps_serving(dev) -> None:
    server, root = dev
    slow_result: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: slow_result.append(server.client.get("/slow")))
    slow.start()
    time.sleep(0.15)  # let the slow request start on version A
    (root / "src" / "index.ts").write_text(SOURCE.replace("VERSION-A", "VERSION-B"))
    server.wait_until(lambda: server.client.get("/x").text.startswith("VERSION-B"))
    slow.join(10)
    assert slow_result and slow_result[0].text == "VERSION-A /slow 0"  # in flight: finished on the old version
    (root / "src" / "index.ts").write_text("export default {\n  fetch( {\n};\n")
    server.wait_until(lambda: server.client.get("/__isoplay/health").json()["build_error"] is not None)
    assert server.client.get("/x").text.startswith("VERSION-B")
    error = server.client.get("/__isoplay/health").json()["build_error"]
    assert re.search(r"src/index\.ts:\d+:\d+: error: ", error)
    assert "build failed, still serving" in server.log.read_text()


def test_client_disconnect_releases_the_isolate(dev) -> None:
    server, _root = dev
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)
    server.wait_until(lambda: server.client.get("/__isoplay/health").json()["pool"]["busy"] == 0)
    assert server.client.get("/after").text == "VERSION-A /after 0"


async def test_answered_requests_leave_no_reference_cycles(make_project) -> None:  # type: ignore[no-untyped-def]
    """Each answered request is freed by reference counting, not left to the cyclic GC (which
    under load ran every few dozen requests and promoted them to older generations)."""
    import asyncio
    import gc

    from runtime.devserver import DevServer, make_socket, serve
    from runtime.service import ProjectRuntime

    root = make_project({"src/index.ts": 'export default { fetch() { return new Response("ok"); } };\n'}, name="gc")
    sock = make_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    started, stop = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve(DevServer(ProjectRuntime(root, run_crons=False), watch=False), sock,
                                       started=started, stop=stop))
    try:
        await asyncio.wait_for(started.wait(), 30)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await client.get("/")  # warm: the first request creates long-lived objects
            gc.collect()
            gc.disable()
            try:
                answers = await asyncio.gather(*(client.get(f"/{i}") for i in range(40)))
                gc.set_debug(gc.DEBUG_SAVEALL)
                gc.collect()
                leaked = {type(o).__name__ for o in gc.garbage} & {"Exchange", "Job", "FrontRequest", "HttpRequest"}
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
                gc.enable()
        assert [a.text for a in answers] == ["ok"] * 40
        assert leaked == set()
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
