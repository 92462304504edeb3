"""WebSockets through a real ``isoplay dev`` process, with a real client (wsproto over a socket)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from wsclient import WSClient

SOURCE = """
interface Env { KV: KVNamespace }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      if (request.headers.get("upgrade") !== "websocket") return new Response("expected a websocket", { status: 426 });
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.send("welcome");
      let n = 0;
      server.addEventListener("message", async (e: MessageEvent) => {
        n++;
        if (e.data === "close") { server.close(1000, "bye"); return; }
        if (e.data === "spin") { while (true) {} }
        if (e.data instanceof ArrayBuffer) { server.send(new Uint8Array(e.data).reverse()); return; }
        const count = Number((await env.KV.get("count")) ?? "0") + 1;
        await env.KV.put("count", String(count));
        server.send(`echo ${e.data} #${n} kv=${count}`);
      });
      server.addEventListener("close", (e: CloseEvent) => console.log("closed", e.code, e.reason));
      return new Response(null, { status: 101, webSocket: client });
    }
    if (url.pathname === "/bad101") return new Response(null, { status: 101, webSocket: {} as any });
    return new Response("plain " + url.pathname);
  },
};
"""
MANIFEST = 'name = "wsdev"\nmain = "src/index.ts"\n[[kv_namespaces]]\nbinding = "KV"\n[limits]\ntimeout_ms = 1000\n'


class Dev:
    def __init__(self, root: Path, log: Path) -> None:
        self.log = log
        self._handle = log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-cron"],
                                     stdout=subprocess.DEVNULL, stderr=self._handle)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            match = re.search(r"at http://127\.0\.0\.1:(\d+)/", log.read_text())
            if match:
                self.port = int(match.group(1))
                break
            if self.proc.poll() is not None:
                raise AssertionError(log.read_text())
            time.sleep(0.05)
        else:
            raise AssertionError("dev server did not start: " + log.read_text())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/__isoplay/health", timeout=5).json()["status"] == "ok":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("dev server not healthy: " + log.read_text())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._handle.close()


@pytest.fixture
def dev(make_project: Callable[..., Path], tmp_path: Path) -> Iterator[Dev]:
    root = make_project({"src/index.ts": SOURCE}, MANIFEST, name="wsdev")
    server = Dev(root, tmp_path / "dev.log")
    yield server
    server.stop()


def test_websocket_echo_through_isoplay_dev(dev: Dev) -> None:
    ws = WSClient(f"ws://127.0.0.1:{dev.port}/ws")
    try:
        assert ws.recv() == "welcome"  # sent before the 101 left the script
        ws.send("hello")
        assert ws.recv() == "echo hello #1 kv=1"  # an async listener awaiting KV
        ws.send("again")
        assert ws.recv() == "echo again #2 kv=2"  # module state of the held isolate persists
        ws.send(b"\x01\x02\x03")
        assert ws.recv() == b"\x03\x02\x01"
        # the server keeps answering plain HTTP while the socket is open
        assert httpx.get(f"http://127.0.0.1:{dev.port}/x", timeout=10).text == "plain /x"
        ws.send("close")
        assert ws.recv() == ("close", 1000, "bye")
    finally:
        ws.shutdown()
    second = WSClient(f"ws://127.0.0.1:{dev.port}/ws")
    try:
        assert second.recv() == "welcome"
        second.send("x")
        assert second.recv() == "echo x #1 kv=3"
        assert second.close(1000, "done") == ("close", 1000, "done")
    finally:
        second.shutdown()
    deadline = time.monotonic() + 10
    while "[log] closed 1000 done\nwebsocket close /ws -> ok" not in dev.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = dev.log.read_text()
    # each socket event is a console entry of its own: its console lines, then what ran on which path
    assert "[log] closed 1000 done\nwebsocket close /ws -> ok" in log
    assert log.count("websocket message /ws -> ok") == 5


def test_websocket_limits_and_refusals(dev: Dev) -> None:
    ws = WSClient(f"ws://127.0.0.1:{dev.port}/ws")
    try:
        assert ws.recv() == "welcome"
        ws.send("spin")  # a listener that never returns: timeout_ms closes the socket with 1011
        event = ws.recv()
        assert isinstance(event, tuple) and event[:2] == ("close", 1011) and "timeout_ms" in event[2]
    finally:
        ws.shutdown()
    plain = httpx.get(f"http://127.0.0.1:{dev.port}/ws", timeout=10)
    assert plain.status_code == 426
    refused = httpx.get(f"http://127.0.0.1:{dev.port}/bad101", headers={"upgrade": "websocket", "connection": "upgrade",
                                                                         "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                                         "sec-websocket-version": "13"}, timeout=10)
    assert refused.status_code == 500 and "webSocket" in refused.text
    after = WSClient(f"ws://127.0.0.1:{dev.port}/ws")  # the runtime still serves sockets
    try:
        assert after.recv() == "welcome"
    finally:
        after.shutdown()
