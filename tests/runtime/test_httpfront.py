"""The lean HTTP front: HTTP/1.1 details over real sockets on 127.0.0.1, and its ASGI bridge."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route, Router

from runtime.devserver import make_socket
from runtime.httpfront import Exchange, FrontRequest, HttpFront

TEXT = [("content-type", "text/plain; charset=utf-8")]


class Script:
    """A handler standing in for the pool: answers /echo, /delay/N, /boom; the rest goes to ASGI."""

    def __init__(self) -> None:
        self.aborted: list[str] = []

    def __call__(self, request: FrontRequest, exchange: Exchange) -> bool:
        path = request.path
        if path.startswith("/admin"):
            return False
        if path == "/boom":
            raise RuntimeError("handler bug")
        if path.startswith("/delay/"):
            ms = int(path.rsplit("/", 1)[1])
            exchange.on_abort = lambda: self.aborted.append(path)
            asyncio.get_running_loop().call_later(ms / 1000, exchange.respond, 200, TEXT, path.encode())
            return True
        body = f"{request.method} {request.target} {len(request.body)} {request.body[:20].decode()}".encode()
        exchange.respond(200, [*TEXT, ("x-host", request.header("host"))], body)
        return True


async def admin_json(request):  # type: ignore[no-untyped-def]
    return JSONResponse({"path": request.url.path, "body": (await request.body()).decode()})


async def admin_stream(request):  # type: ignore[no-untyped-def]
    async def parts() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"part{i}\n".encode()
            await asyncio.sleep(0.01)

    return StreamingResponse(parts(), media_type="text/plain")


ADMIN = Router(routes=[Route("/admin/json", admin_json, methods=["GET", "POST"]),
                       Route("/admin/stream", admin_stream)])


@pytest.fixture
async def front():  # type: ignore[no-untyped-def]
    script = Script()
    server = HttpFront(script, ADMIN, max_body=lambda: 1000, keep_alive_s=0.4)
    sock = make_socket("127.0.0.1", 0)
    await server.start(sock)
    port = sock.getsockname()[1]
    yield server, script, port
    await server.close(grace_s=1)


async def exchange_raw(port: int, data: bytes, *, until_close: bool = True, timeout: float = 5) -> bytes:
    """Send raw bytes, read until the server closes (or a short quiet period)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    chunks = []
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), timeout if until_close else 0.3)
            if not chunk:
                break
            chunks.append(chunk)
    except TimeoutError:
        if until_close:
            raise
    finally:
        writer.close()
    return b"".join(chunks)


async def test_keep_alive_serves_several_requests_on_one_connection(front) -> None:
    _server, _script, port = front
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        first = await client.get("/echo?x=1")
        second = await client.post("/echo", content=b"hello")
    assert first.status_code == 200 and first.text == "GET /echo?x=1 0 "
    assert first.headers["x-host"] == f"127.0.0.1:{port}" and "date" in first.headers
    assert second.text == "POST /echo 5 hello"


async def test_pipelined_requests_are_answered_in_order(front) -> None:
    _server, _script, port = front
    # The first answer comes last in time; the responses must still be in request order.
    raw = (b"GET /delay/150 HTTP/1.1\r\nHost: a\r\n\r\n"
           b"GET /delay/10 HTTP/1.1\r\nHost: a\r\n\r\n"
           b"GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    out = await exchange_raw(port, raw)
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in out.split(b"HTTP/1.1 ")[1:]]
    assert [b[:12] for b in bodies] == [b"/delay/150", b"/delay/10", b"GET /echo 0 "]


async def test_chunked_request_body_is_decoded(front) -> None:
    _server, _script, port = front
    raw = (b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    out = await exchange_raw(port, raw)
    assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"POST /echo 11 hello world")


async def test_expect_100_continue_gets_an_interim_answer(front) -> None:
    _server, _script, port = front
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"data")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200 OK")
    writer.close()


async def test_a_body_over_the_limit_is_refused_with_413_and_the_connection_closed(front) -> None:
    _server, _script, port = front
    declared = await exchange_raw(port, b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")
    assert declared.startswith(b"HTTP/1.1 413 ") and b"max_body_bytes (1000 bytes)" in declared
    chunked = await exchange_raw(port, b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 + b"400\r\n" + b"x" * 1024 + b"\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n")
    assert chunked.startswith(b"HTTP/1.1 413 ") and b"connection: close" in chunked


async def test_a_malformed_request_gets_400_and_the_server_keeps_serving(front) -> None:
    _server, _script, port = front
    out = await exchange_raw(port, b"GET /echo HTTP/1.1\r\nHost a b c\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ") and b"400 Bad Request" in out
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        assert (await client.get("/echo")).status_code == 200


async def test_http_1_0_closes_after_the_answer_and_head_has_no_body(front) -> None:
    _server, _script, port = front
    old = await exchange_raw(port, b"GET /echo HTTP/1.0\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in old
    head = await exchange_raw(port, b"HEAD /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert b"content-length: 13" in head and head.endswith(b"\r\n\r\n")


async def test_an_upgrade_reaches_the_handler_or_is_refused_with_501(front) -> None:
    _server, _script, port = front
    upgrade = b"Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    # a route that does not take upgrades (here: the ASGI side) refuses them
    out = await exchange_raw(port, b"GET /admin/json HTTP/1.1\r\n" + upgrade)
    assert out.startswith(b"HTTP/1.1 501 ") and b"WebSocket" in out
    # the script handler gets the request; answered normally, the connection closes after the answer
    # (nothing sent after the head is parsed as HTTP)
    out = await exchange_raw(port, b"GET /ws HTTP/1.1\r\n" + upgrade + b"GET /echo HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in out and out.count(b"HTTP/1.1") == 1


async def test_a_handler_bug_is_a_500_and_the_connection_goes_on(front) -> None:
    _server, _script, port = front
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        failed = await client.get("/boom")
        after = await client.get("/echo")
    assert failed.status_code == 500 and "isoplay failed" in failed.text
    assert after.status_code == 200


async def test_asgi_bridge_serves_json_and_streams(front) -> None:
    _server, _script, port = front
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        posted = await client.post("/admin/json", content=b"payload")
        streamed = await client.get("/admin/stream")
        again = await client.get("/admin/json")  # keep-alive after a chunked answer
        missing = await client.get("/admin/none")
    assert posted.json() == {"path": "/admin/json", "body": "payload"}
    assert streamed.headers["transfer-encoding"] == "chunked" and streamed.text == "part0\npart1\npart2\n"
    assert again.status_code == 200
    assert missing.status_code == 404


async def test_a_client_leaving_mid_request_aborts_its_exchange(front) -> None:
    _server, script, port = front
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /delay/300 HTTP/1.1\r\nHost: a\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.transport.abort()
    for _ in range(100):
        if script.aborted:
            break
        await asyncio.sleep(0.01)
    assert script.aborted == ["/delay/300"]
    await asyncio.sleep(0.3)  # the late answer finds the connection gone and is dropped quietly


async def test_idle_keep_alive_connections_are_closed(front) -> None:
    server, _script, port = front
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /echo HTTP/1.1\r\nHost: a\r\n\r\n")
    await reader.readuntil(b"GET /echo 0 ")
    assert len(server.connections) == 1
    closed = await asyncio.wait_for(reader.read(), 5)  # keep_alive_s = 0.4: the server hangs up
    assert closed == b"" and not server.connections
    writer.close()


async def test_close_lets_an_answer_in_flight_finish(front) -> None:
    server, _script, port = front
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        pending = asyncio.ensure_future(client.get("/delay/200"))
        for _ in range(500):  # until the request is being answered (a fixed sleep raced on a loaded machine)
            if server.requests:
                break
            await asyncio.sleep(0.01)
        await server.close(grace_s=2)
        response = await pending
    assert response.status_code == 200 and response.text == "/delay/200"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_polling_after_an_answer_ends_at_its_deadline_and_at_close() -> None:
    """``poll_after_answer_s`` (isoplay dev): the loop keeps turning after an answer, then stops."""
    server = HttpFront(Script(), ADMIN, max_body=lambda: 1000, poll_after_answer_s=0.05)
    sock = make_socket("127.0.0.1", 0)
    await server.start(sock)
    port = sock.getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            answers = [(await client.get(f"/echo?n={i}")).text for i in range(5)]
        assert answers == [f"GET /echo?n={i} 0 " for i in range(5)]
        for _ in range(1000):  # bounded: it stops 50 ms after the last answer
            if not server._polling:
                break
            await asyncio.sleep(0.01)
        assert not server._polling
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/echo")).status_code == 200
        server.poll_after_answer_s = 3600.0
        server.poll_briefly()  # would poll for an hour, but the front closes
        assert server._polling
    finally:
        await server.close(grace_s=1)
    for _ in range(1000):
        if not server._polling:
            break
        await asyncio.sleep(0.01)
    assert not server._polling
