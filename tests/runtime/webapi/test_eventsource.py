"""EventSource (the `eventsource` package, loaded on first read of the global) against a real
server-sent-events server on 127.0.0.1: named and default events, ids, multi-line data, close;
the egress allow-list applies to it as to fetch."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runtime.invocation import HttpRequest
from runtime.runner import run_once

STREAM = (
    "retry: 50\n\n"
    ": a comment line\n"
    "event: greet\nid: 1\ndata: hello\n\n"
    "id: 2\ndata: two\ndata: lines\n\n"
    "data: last\n\n"
)

SOURCE = """
export default {
  async fetch(request: Request): Promise<Response> {
    const target = new URL(request.url).searchParams.get("to")!;
    const lazy = Object.getOwnPropertyDescriptor(globalThis, "EventSource")!.get !== undefined;
    const es = new EventSource(target);
    const got: unknown[] = [];
    const states: number[] = [es.readyState];
    const outcome = await new Promise<string>((resolve) => {
      es.onopen = () => states.push(es.readyState);
      es.addEventListener("greet", (e) => got.push(["greet", (e as MessageEvent).data, (e as MessageEvent).lastEventId]));
      es.onmessage = (e) => {
        got.push(["message", e.data, e.lastEventId]);
        if (e.data === "last") { es.close(); resolve("closed"); }
      };
      es.onerror = (e) => { es.close(); resolve("error: " + String((e as any).message ?? e.type)); };
    });
    states.push(es.readyState);
    return Response.json({ lazy, outcome, got, states, url: es.url, constants: [EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED] });
  },
};
"""


class _SSE(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        self.server.accept_header = self.headers.get("accept")  # type: ignore[attr-defined]
        for block in STREAM.split("\n\n"):
            if block:
                self.wfile.write((block + "\n\n").encode())
                self.wfile.flush()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def sse_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SSE)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_eventsource_reads_a_real_event_stream(make_project, sse_server: ThreadingHTTPServer) -> None:  # type: ignore[no-untyped-def]
    port = sse_server.server_address[1]
    root = make_project({"src/index.ts": SOURCE},
                        f'name = "es"\nmain = "src/index.ts"\n[fetch]\nallow = ["127.0.0.1:{port}"]\n')
    target = f"http://127.0.0.1:{port}/events"
    result = await run_once(root, HttpRequest("GET", f"http://localhost/?to={target}"))
    assert result.outcome == "ok", result.error
    out = json.loads(result.body)
    assert out["lazy"] is True
    assert out["outcome"] == "closed"
    assert out["got"] == [["greet", "hello", "1"], ["message", "two\nlines", "2"], ["message", "last", "2"]]
    assert out["states"] == [0, 1, 2]
    assert out["url"] == target and out["constants"] == [0, 1, 2]
    assert sse_server.accept_header == "text/event-stream"  # type: ignore[attr-defined]


async def test_eventsource_obeys_the_egress_allow_list(make_project, sse_server: ThreadingHTTPServer) -> None:  # type: ignore[no-untyped-def]
    port = sse_server.server_address[1]
    root = make_project({"src/index.ts": SOURCE}, 'name = "es2"\nmain = "src/index.ts"\n[fetch]\nallow = ["example.com"]\n',
                        name="es2")
    result = await run_once(root, HttpRequest("GET", f"http://localhost/?to=http://127.0.0.1:{port}/events"))
    assert result.outcome == "ok", result.error
    out = json.loads(result.body)
    assert out["outcome"].startswith("error") and out["got"] == []
    assert out["states"][-1] == 2
