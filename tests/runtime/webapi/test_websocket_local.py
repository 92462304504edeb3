"""In-process WebSockets (``ProjectRuntime.open_socket``, the IDE simulator's): the script gets the same
upgrade request and events as from a network client; messages cross as values; closes follow the
closing handshake; limits close the socket as on the network (1011, 1009); a reload closes it with 1012."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.invocation import HttpRequest, InvocationResult, SocketTrigger
from runtime.service import ProjectRuntime
from runtime.webapi.websocket import MAX_MESSAGE_BYTES

SOURCE = """
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.headers.get("upgrade") !== "websocket") return new Response("use a websocket", { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.send(`hello ${url.pathname} v${request.headers.get("sec-websocket-version")}`);
    server.addEventListener("message", (e: MessageEvent) => {
      console.log("got", typeof e.data === "string" ? e.data : `${e.data.byteLength} bytes`);
      if (e.data === "spin") { while (true) {} }
      if (e.data === "close") { server.close(4001, "asked to"); return; }
      server.send(typeof e.data === "string" ? `echo ${e.data}` : new Uint8Array(e.data).reverse());
    });
    server.addEventListener("close", (e: CloseEvent) => console.log("close event", e.code, e.reason));
    return new Response(null, { status: 101, webSocket: client });
  },
};
"""


class Client:
    """What the in-process client received, as a queue."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple[str, Any, int, str]] = asyncio.Queue()
        self.results: list[tuple[SocketTrigger, InvocationResult]] = []

    def on_peer(self, kind: str, data: Any, code: int, reason: str) -> None:
        self.events.put_nowait((kind, data, code, reason))

    def on_result(self, trigger: SocketTrigger, result: InvocationResult) -> None:
        self.results.append((trigger, result))

    async def next(self) -> tuple[str, Any, int, str]:
        return await asyncio.wait_for(self.events.get(), 10)

    async def settled(self, count: int) -> None:
        for _ in range(500):
            if len(self.results) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{len(self.results)} socket events ran, expected {count}")


@pytest.fixture
async def runtime(make_project: Callable[..., Path]) -> AsyncIterator[ProjectRuntime]:
    root = make_project({"src/index.ts": SOURCE}, 'name = "local-ws"\nmain = "src/index.ts"\n[limits]\ntimeout_ms = 500\n')
    rt = ProjectRuntime(root)
    report = await rt.start()
    assert report.ok, report.error
    yield rt
    await rt.stop()


async def test_messages_both_ways_and_a_client_close(runtime: ProjectRuntime) -> None:
    client = Client()
    result, socket = await runtime.open_socket(HttpRequest("GET", "http://localhost/room"), client.on_peer,
                                               client.on_result)
    assert result.status == 101 and socket is not None
    assert await client.next() == ("message", "hello /room v13", 0, "")
    socket.send("one")
    socket.send(b"\x01\x02\x03")
    assert await client.next() == ("message", "echo one", 0, "")
    assert await client.next() == ("message", b"\x03\x02\x01", 0, "")
    socket.close(1000, "done")
    assert await client.next() == ("close", None, 1000, "done")  # the script's side answers the close
    await client.settled(3)
    assert [(t.type, t.route, [e.message for e in r.logs]) for t, r in client.results] == [
        ("message", "/room", ["got one"]), ("message", "/room", ["got 3 bytes"]),
        ("close", "/room", ["close event 1000 done"])]
    with pytest.raises(ConnectionError):
        socket.send("after close")


async def test_the_script_closes_and_gets_its_close_event(runtime: ProjectRuntime) -> None:
    client = Client()
    _, socket = await runtime.open_socket(HttpRequest("GET", "http://localhost/"), client.on_peer, client.on_result)
    assert socket is not None
    await client.next()
    socket.send("close")
    assert await client.next() == ("close", None, 4001, "asked to")
    await client.settled(2)
    assert [e.message for e in client.results[-1][1].logs] == ["close event 4001 asked to"]


async def test_limits_close_the_socket_as_on_the_network(runtime: ProjectRuntime) -> None:
    client = Client()
    _, socket = await runtime.open_socket(HttpRequest("GET", "http://localhost/"), client.on_peer, client.on_result)
    assert socket is not None
    await client.next()
    socket.send("spin")
    kind, _, code, reason = await client.next()
    assert (kind, code) == ("close", 1011) and "timeout_ms" in reason
    client2 = Client()
    _, big = await runtime.open_socket(HttpRequest("GET", "http://localhost/"), client2.on_peer)
    assert big is not None
    await client2.next()
    big.send("x" * (MAX_MESSAGE_BYTES + 1))
    kind, _, code, _ = await client2.next()
    assert (kind, code) == ("close", 1009)


async def test_no_socket_without_a_101_and_a_reload_closes_one(runtime: ProjectRuntime, tmp_path: Path) -> None:
    client = Client()
    plain = HttpRequest("GET", "http://localhost/", headers=(("upgrade", "h2c"),))
    result, socket = await runtime.open_socket(plain, client.on_peer)
    assert (result.status, socket) == (426, None)  # the script saw Upgrade: h2c (a header it was given is kept)
    _, socket = await runtime.open_socket(HttpRequest("GET", "http://localhost/"), client.on_peer)
    assert socket is not None
    await client.next()
    source = runtime.project.root / "src" / "index.ts"
    source.write_text(source.read_text().replace("hello ", "hi "))  # new code: a new version
    report = await runtime.reload()
    assert report.ok
    kind, _, code, _ = await client.next()
    assert (kind, code) == ("close", 1012)
