"""Attacks on the HTTP front's request head and body: oversized URLs and headers, header floods,
endless header lines, big bodies. Real sockets on 127.0.0.1 against ``runtime.httpfront``."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from runtime.devserver import make_socket
from runtime.httpfront import Exchange, FrontLimits, FrontRequest, HttpFront

TEXT = [("content-type", "text/plain; charset=utf-8")]


class Echo:
    """Answers every request with its method, target length, header count and body length."""

    def __init__(self) -> None:
        self.seen: list[FrontRequest] = []
        self.peak_during_handler = 0

    def __call__(self, request: FrontRequest, exchange: Exchange) -> bool:
        self.seen.append(request)
        if tracemalloc.is_tracing():
            self.peak_during_handler = tracemalloc.get_traced_memory()[1]
        exchange.respond(200, TEXT, f"ok {len(request.target)} {len(request.headers)} {len(request.body)}".encode())
        return True


async def no_asgi(scope, receive, send):  # type: ignore[no-untyped-def]
    raise AssertionError("every request is taken by the handler")


@pytest.fixture
async def serve():  # type: ignore[no-untyped-def]
    """Factory: an HttpFront with the given limits on 127.0.0.1; returns (port, handler)."""
    fronts: list[HttpFront] = []

    async def start(limits: FrontLimits | None = None, max_body: int = 64 * 1024 * 1024) -> tuple[int, Echo]:
        echo = Echo()
        front = HttpFront(echo, no_asgi, max_body=lambda: max_body, limits=limits)
        sock = make_socket("127.0.0.1", 0)
        await front.start(sock)
        fronts.append(front)
        return sock.getsockname()[1], echo

    yield start
    for front in fronts:
        await front.close(grace_s=1)


async def talk(port: int, data: bytes | list[bytes], *, timeout: float = 10) -> tuple[bytes, bool]:
    """Send ``data`` (pieces written one by one, while reading); return what came back until the
    server closed, and whether every piece was written before an answer arrived."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    pieces = data if isinstance(data, list) else [data]
    chunks: list[bytes] = []
    answered = asyncio.Event()

    async def read() -> None:
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                answered.set()
        except ConnectionResetError:
            pass
        answered.set()

    reading = asyncio.create_task(read())
    all_sent = True
    try:
        for piece in pieces:
            if answered.is_set():
                all_sent = False
                break
            writer.write(piece)
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        all_sent = False
    try:
        await asyncio.wait_for(reading, timeout)
    except asyncio.TimeoutError:
        reading.cancel()
    writer.close()
    return b"".join(chunks), all_sent


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def get(target: str, headers: list[tuple[str, str]] = (), close: bool = True) -> bytes:  # type: ignore[assignment]
    lines = [f"GET {target} HTTP/1.1", "host: x"] + [f"{k}: {v}" for k, v in headers]
    if close:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


DEFAULTS = FrontLimits()


# ---- URL length: 414 --------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [0, -1, -100])
async def test_a_target_up_to_max_url_bytes_is_served(serve, extra: int) -> None:
    port, echo = await serve()
    target = "/" + "a" * (DEFAULTS.max_url_bytes - 1 + extra)
    answer, _ = await talk(port, get(target))
    assert status_of(answer) == 200, answer[:200]
    assert echo.seen[0].target == target


@pytest.mark.parametrize("size", [16 * 1024 + 1, 64 * 1024, 1024 * 1024])
async def test_a_longer_target_is_refused_with_414_naming_the_limit(serve, size: int) -> None:
    port, echo = await serve()
    answer, _ = await talk(port, get("/" + "a" * (size - 1)))
    assert status_of(answer) == 414
    assert b"max_url_bytes (16384 bytes)" in answer
    assert b"connection: close" in answer
    assert not echo.seen


async def test_a_long_query_string_counts_toward_the_url_limit(serve) -> None:
    port, echo = await serve()
    answer, _ = await talk(port, get("/q?" + "x=1&" * 5000))
    assert status_of(answer) == 414 and not echo.seen


async def test_a_long_target_sent_a_byte_at_a_time_in_small_writes_is_refused(serve) -> None:
    port, _ = await serve(FrontLimits(max_url_bytes=2000))
    head = get("/" + "b" * 5000)
    answer, _ = await talk(port, [head[i:i + 100] for i in range(0, len(head), 100)])
    assert status_of(answer) == 414 and b"max_url_bytes (2000 bytes)" in answer


async def test_an_endless_request_line_is_cut_off_before_it_is_all_sent(serve) -> None:
    port, _ = await serve()
    pieces = [b"GET /"] + [b"c" * 65536] * 400  # 26 MB that never ends its line
    answer, all_sent = await talk(port, pieces)
    assert status_of(answer) == 414
    assert not all_sent, "the front kept reading an endless request line"


async def test_the_url_limit_is_configurable(serve) -> None:
    port, _ = await serve(FrontLimits(max_url_bytes=100))
    ok, _ = await talk(port, get("/" + "d" * 99))
    refused, _ = await talk(port, get("/" + "d" * 100))
    assert status_of(ok) == 200 and status_of(refused) == 414
    assert b"max_url_bytes (100 bytes)" in refused


# ---- header bytes and count: 431 ------------------------------------------------------------
async def test_a_one_megabyte_header_line_gets_431(serve) -> None:
    port, echo = await serve()
    answer, _ = await talk(port, get("/", [("x-big", "h" * 1024 * 1024)]))
    assert status_of(answer) == 431
    assert b"max_header_bytes (65536 bytes)" in answer
    assert not echo.seen


async def test_an_endless_header_line_is_cut_off_before_it_is_all_sent(serve) -> None:
    port, _ = await serve()
    pieces = [b"GET / HTTP/1.1\r\nhost: x\r\nx-endless: "] + [b"e" * 65536] * 400
    answer, all_sent = await talk(port, pieces)
    assert status_of(answer) == 431
    assert not all_sent


async def test_an_endless_header_name_is_cut_off(serve) -> None:
    port, _ = await serve()
    pieces = [b"GET / HTTP/1.1\r\nhost: x\r\nx-"] + [b"n" * 65536] * 400
    answer, all_sent = await talk(port, pieces)
    assert status_of(answer) in (400, 431)  # llhttp may refuse the name itself first
    assert not all_sent


async def test_many_medium_headers_passing_the_total_get_431(serve) -> None:
    port, _ = await serve()
    headers = [(f"x-h{i}", "v" * 1000) for i in range(100)]  # 100 KB in lines of 1 KB
    answer, _ = await talk(port, get("/", headers))
    assert status_of(answer) == 431 and b"max_header_bytes" in answer


async def test_headers_just_under_the_total_are_served(serve) -> None:
    port, echo = await serve()
    headers = [(f"x-h{i:02d}", "v" * 1000) for i in range(60)]  # ~60 KB
    answer, _ = await talk(port, get("/", headers))
    assert status_of(answer) == 200
    assert len(echo.seen[0].headers) == 62


@pytest.mark.parametrize(("count", "status"), [(126, 200), (127, 431), (500, 431), (10_000, 431)])
async def test_the_header_count_is_limited(serve, count: int, status: int) -> None:
    port, _ = await serve()  # host and connection are two lines of the 128
    answer, _ = await talk(port, get("/", [(f"x-{i}", "1") for i in range(count)]))
    assert status_of(answer) == status, answer[:200]
    if status == 431:
        assert b"max_headers (128)" in answer


async def test_a_flood_of_empty_headers_is_refused(serve) -> None:
    port, _ = await serve()
    answer, _ = await talk(port, b"GET / HTTP/1.1\r\n" + b"a:\r\n" * 50_000 + b"\r\n")
    assert status_of(answer) == 431


async def test_header_limits_are_configurable(serve) -> None:
    port, _ = await serve(FrontLimits(max_header_bytes=300, max_headers=5))
    ok, _ = await talk(port, get("/", [("x-a", "1")]))
    too_many, _ = await talk(port, get("/", [(f"x-{i}", "1") for i in range(4)]))
    too_big, _ = await talk(port, get("/", [("x-a", "z" * 400)]))
    assert status_of(ok) == 200
    assert status_of(too_many) == 431 and b"max_headers (5)" in too_many
    assert status_of(too_big) == 431 and b"max_header_bytes (300 bytes)" in too_big


async def test_a_refused_head_on_a_keep_alive_connection_ends_it_after_earlier_answers(serve) -> None:
    port, echo = await serve(FrontLimits(max_url_bytes=50))
    data = get("/first", close=False) + get("/" + "x" * 100, close=False)
    answer, _ = await talk(port, data)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"414 URI Too Long" in answer
    assert [r.target for r in echo.seen] == ["/first"]


async def test_the_front_keeps_serving_after_refusals(serve) -> None:
    port, _ = await serve()
    for _ in range(3):
        refused, _ = await talk(port, get("/", [("x-big", "h" * 200_000)]))
        assert status_of(refused) == 431
    answer, _ = await talk(port, get("/after"))
    assert status_of(answer) == 200


async def test_many_small_keep_alive_requests_never_add_up_to_a_refusal(serve) -> None:
    port, echo = await serve(FrontLimits(max_url_bytes=64, max_header_bytes=256, max_headers=8))
    data = b"".join(get(f"/r{i}", [("x-a", "v" * 100)], close=False) for i in range(300)) + get("/last")
    answer, _ = await talk(port, data)
    assert answer.count(b"HTTP/1.1 200") == 301
    assert len(echo.seen) == 301


@pytest.mark.parametrize("bad", [{"max_url_bytes": 0}, {"max_header_bytes": -1}, {"max_headers": 0},
                                 {"max_headers": True}, {"max_url_bytes": 1.5}])
def test_limits_must_be_positive_integers(bad: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        FrontLimits(**bad)


# ---- bodies ------------------------------------------------------------------------------------
async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(serve) -> None:
    port, echo = await serve(max_body=1000)
    head = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 50000000\r\n\r\n"
    answer, all_sent = await talk(port, [head] + [b"z" * 65536] * 800)
    assert status_of(answer) == 413 and b"max_body_bytes (1000 bytes)" in answer
    assert not all_sent and not echo.seen


async def test_a_chunked_body_over_the_limit_is_refused(serve) -> None:
    port, _ = await serve(max_body=1000)
    chunk = b"%x\r\n%s\r\n" % (600, b"y" * 600)
    answer, _ = await talk(port, b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n" + chunk * 3
                           + b"0\r\n\r\n")
    assert status_of(answer) == 413


async def test_a_big_body_is_held_once(serve) -> None:
    """A 24 MB body costs at most ~2x its size in the front while it is read (parts, then one join)."""
    port, echo = await serve()
    size = 24 * 1024 * 1024
    piece = b"B" * (1 << 20)
    pieces = [b"POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % size]
    pieces += [piece] * (size // len(piece))
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        answer, _ = await talk(port, pieces)
        peak = echo.peak_during_handler - base
    finally:
        tracemalloc.stop()
    assert status_of(answer) == 200 and answer.endswith(b" %d" % size)
    assert len(echo.seen[0].body) == size
    assert peak <= 2.2 * size, f"the front held {peak / size:.2f}x the body"
    print(f"front peak {peak / size:.2f}x")


# ---- a real isoplay serve ---------------------------------------------------------------------
HELLO = 'export default { async fetch(request: Request) { return new Response("hi " + new URL(request.url).pathname); } };\n'


def test_isoplay_serve_applies_its_front_limits(tmp_path, tools) -> None:  # type: ignore[no-untyped-def]
    from net_serve import ServeProcess, write_project

    server = ServeProcess(tmp_path / "data", "--max-url-bytes", "200", "--max-headers", "20")
    try:
        server.publish(write_project(tmp_path / "p", "hello", HELLO))
        assert server.get("/hello/ok").text == "hi /ok"
        long_url = server.get("/hello/" + "u" * 300)
        assert long_url.status_code == 414 and "max_url_bytes (200 bytes)" in long_url.text
        many = server.get("/hello/", headers={f"x-{i}": "1" for i in range(30)})
        assert many.status_code == 431 and "max_headers (20)" in many.text
        big = server.get("/hello/", headers={"x-big": "h" * 1024 * 1024})
        assert big.status_code == 431 and "max_header_bytes (65536 bytes)" in big.text
        assert server.get("/hello/still").text == "hi /still"
    finally:
        server.stop()
