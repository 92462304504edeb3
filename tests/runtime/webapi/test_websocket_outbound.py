"""An outbound WebSocket: fetch with Upgrade: websocket from a script to a real echo server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Request, TextMessage

from runtime.invocation import RunTrigger
from runtime.runner import run_once


def _echo_server(sock: socket.socket, stop: threading.Event) -> None:
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except OSError:
            continue
        conn.settimeout(5)
        ws = WSConnection(ConnectionType.SERVER)
        with conn:
            while True:
                data = conn.recv(65536)
                ws.receive_data(data or None)
                done = not data
                for event in ws.events():
                    if isinstance(event, Request):
                        conn.sendall(ws.send(AcceptConnection()))
                    elif isinstance(event, TextMessage):
                        conn.sendall(ws.send(Message(data="echo:" + event.data)))
                    elif isinstance(event, CloseConnection):
                        conn.sendall(ws.send(event.response()))
                        done = True
                if done:
                    break


@pytest.fixture
def echo_port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    stop = threading.Event()
    thread = threading.Thread(target=_echo_server, args=(sock, stop), daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(5)
    sock.close()


SOURCE = """
export default {
  async run(input: { url: string }) {
    const resp = await fetch(input.url, { headers: { Upgrade: "websocket" } });
    const ws = resp.webSocket!;
    ws.accept();
    const replies: unknown[] = [];
    const two = new Promise<void>((resolve) => ws.addEventListener("message", (e: MessageEvent) => {
      replies.push(e.data);
      if (replies.length === 2) resolve();
    }));
    ws.send("a");
    ws.send("b");
    await two;
    ws.close(1000, "done");
    let refused = "";
    try { await fetch("http://example.invalid/", { headers: { Upgrade: "websocket" } }); }
    catch (e) { refused = (e as Error).message; }
    return { status: resp.status, replies, refused, readyState: ws.readyState };
  },
};
"""


def test_outbound_websocket_round_trip(make_project: Callable[..., Path], echo_port: int) -> None:
    manifest = f'name = "out"\nmain = "src/index.ts"\n[fetch]\nallow = ["127.0.0.1:{echo_port}"]\n'
    root = make_project({"src/index.ts": SOURCE}, manifest)
    result = asyncio.run(run_once(root, RunTrigger({"url": f"http://127.0.0.1:{echo_port}/chat"})))
    assert result.outcome == "ok", result.error
    assert result.value["status"] == 101
    assert result.value["replies"] == ["echo:a", "echo:b"]
    assert "example.invalid" in result.value["refused"] and "allow" in result.value["refused"]
    assert result.value["readyState"] == 2  # CLOSING: the close handshake is the host's
