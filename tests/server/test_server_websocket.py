"""WebSockets on a real server (the HTTP front of isoplay serve), with a wsproto client on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient
from server_harness import RealServer
from wsclient import WSClient

ECHO_APP = """
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade") !== "websocket") return new Response("use a websocket", { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    const prefix = request.headers.get("x-forwarded-prefix");
    server.addEventListener("message", (e: MessageEvent) => server.send(`${prefix} says ${e.data}`));
    return new Response(null, { status: 101, webSocket: client });
  },
};
"""


def test_websocket_echo_through_isoplay_serve(real_server: Callable[..., RealServer],
                                             release: Callable[..., Bundle]) -> None:
    server = real_server()
    with PublishClient(server.url, server.create_token()) as client:
        client.publish(release("echo", "1.0.0", source=ECHO_APP))
    base = server.url.replace("http://", "ws://")
    first, second = WSClient(f"{base}/echo/socket"), WSClient(f"{base}/echo@1/socket")
    try:
        first.send("one")
        second.send("two")
        assert second.recv() == "/echo@1 says two"
        assert first.recv() == "/echo says one"
        assert first.close(1000, "bye") == ("close", 1000, "bye")
        second.send("still here")
        assert second.recv() == "/echo@1 says still here"
    finally:
        first.shutdown()
        second.shutdown()
    server.stop()
