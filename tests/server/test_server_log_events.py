"""The log stream of a real `isoplay serve` (GET /api/apps/{app}/logs over SSE) for invocations that outlive
their handler: a streamed response is one event when its body ends (status, every log line, the time up to
the end), and each WebSocket event (message, close) is an event of its own with the handler's console lines."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient
from server_harness import RealServer
from wsclient import WSClient

APP = """
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/stream") {
      const { readable, writable } = new TransformStream();
      const w = writable.getWriter();
      const enc = new TextEncoder();
      (async () => {
        for (let i = 0; i < 3; i++) { await scheduler.wait(100); await w.write(enc.encode(`chunk ${i}\\n`)); }
        console.log("stream done");
        await w.close();
      })();
      console.log("head sent");
      return new Response(readable, { status: 201, headers: { "content-type": "text/plain" } });
    }
    if (url.pathname === "/chat") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (e: MessageEvent) => {
        console.log("got", e.data);
        server.send(`echo ${e.data}`);
      });
      server.addEventListener("close", (e: CloseEvent) => { console.warn("closed", e.code, e.reason); });
      console.log("socket opened");
      return new Response(null, { status: 101, webSocket: client });
    }
    console.log("plain", url.pathname);
    return new Response("plain");
  },
};
"""


class LogListener:
    """Reads the app's SSE log stream on a thread; events land in a queue."""

    def __init__(self, server: RealServer, token: str, app: str) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(f"{server.url}/api/apps/{app}/logs", token),
                                       daemon=True)
        self.thread.start()
        assert self.connected.wait(10)

    def _run(self, url: str, token: str) -> None:
        with httpx.stream("GET", url, headers={"authorization": f"Bearer {token}"}, timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    self.connected.set()
                elif line.startswith("data: "):
                    self.events.put(json.loads(line[6:]))
                if self.stop.is_set():
                    return

    def take(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The next ``count`` events."""
        return [self.events.get(timeout=timeout) for _ in range(count)]

    def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Events that arrive within ``seconds`` (expected none)."""
        time.sleep(seconds)
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


def test_a_streamed_response_is_one_log_event_with_its_whole_time(real_server: Callable[..., RealServer],
                                                                  release: Callable[..., Bundle]) -> None:
    server = real_server()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("streamy", "1.0.0", source=APP))
    httpx.get(f"{server.url}/streamy/warm", timeout=10)  # the pool is warm: the front's own path
    listener = LogListener(server, token, "streamy")
    assert listener.take(0) == []
    chunks: list[str] = []
    started = time.monotonic()
    with httpx.stream("GET", f"{server.url}/streamy/stream", timeout=10) as response:
        assert response.status_code == 201
        for chunk in response.iter_text():
            chunks.append(chunk)
    elapsed_ms = (time.monotonic() - started) * 1000
    assert "".join(chunks) == "chunk 0\nchunk 1\nchunk 2\n"
    (event,) = listener.take(1)
    assert (event["route"], event["method"], event["status"], event["outcome"]) == ("/stream", "GET", 201, "ok")
    assert [e["message"] for e in event["logs"]] == ["head sent", "stream done"]
    assert 3 * 100 <= event["duration_ms"] <= elapsed_ms + 50
    httpx.get(f"{server.url}/streamy/after", timeout=10)
    (after,) = listener.take(1)
    assert after["route"] == "/after"  # no second event of the streamed one came in between
    assert listener.quiet() == []


def test_websocket_events_reach_the_log_stream(real_server: Callable[..., RealServer],
                                               release: Callable[..., Bundle]) -> None:
    server = real_server()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("chatty", "1.0.0", source=APP))
    listener = LogListener(server, token, "chatty")
    ws = WSClient(server.url.replace("http://", "ws://") + "/chatty/chat")
    try:
        (opened,) = listener.take(1)
        assert (opened["route"], opened["status"]) == ("/chat", 101)
        assert [e["message"] for e in opened["logs"]] == ["socket opened"]
        ws.send("hello")
        assert ws.recv() == "echo hello"
        (message,) = listener.take(1)
        assert (message["trigger"], message["method"], message["route"], message["outcome"]) == (
            "socket", "message", "/chat", "ok")
        assert [(e["level"], e["message"]) for e in message["logs"]] == [("log", "got hello")]
        assert ws.close(1000, "bye") == ("close", 1000, "bye")
        (closed,) = listener.take(1)
        assert (closed["method"], closed["route"]) == ("close", "/chat")
        assert [(e["level"], e["message"]) for e in closed["logs"]] == [("warn", "closed 1000 bye")]
    finally:
        ws.shutdown()


def test_isoplay_logs_follows_an_app(real_server: Callable[..., RealServer], release: Callable[..., Bundle]) -> None:
    import subprocess
    import sys

    server = real_server()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("tail", "1.0.0", source=APP))
    proc = subprocess.Popen([sys.executable, "-m", "app", "logs", "tail", "--server", server.url, "--token", token,
                             "--count", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert "following tail on" in proc.stderr.readline()
        assert httpx.get(f"{server.url}/tail/plain", timeout=10).text == "plain"
        with httpx.stream("GET", f"{server.url}/tail/stream", timeout=10) as response:
            assert "".join(response.iter_text()).count("chunk") == 3
        ws = WSClient(server.url.replace("http://", "ws://") + "/tail/chat")
        try:
            ws.send("hi")
            assert ws.recv() == "echo hi"
        finally:
            ws.shutdown()
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0
    lines = out.splitlines()
    assert "  [log] plain /plain" in lines
    assert any(line.endswith("GET /plain -> 200 in " + line.split(" in ")[-1]) for line in lines)
    assert [line for line in lines if "GET /stream -> 201" in line] and "  [log] stream done" in lines
    assert any("GET /chat -> 101" in line for line in lines)
    assert "  [log] got hi" in lines and any("websocket message /chat -> ok" in line for line in lines)


def test_isoplay_logs_refusals_are_one_line(real_server: Callable[..., RealServer]) -> None:
    import subprocess
    import sys

    server = real_server()
    proc = subprocess.run([sys.executable, "-m", "app", "logs", "nope", "--server", server.url, "--token", "wrong"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "401" in proc.stderr and "Traceback" not in proc.stderr
