"""Request bodies streamed from the socket into the script, through a real ``isoplay dev`` and a real
``isoplay serve`` (issue 13 point 6, issue 14 "a streamed request body is readable as a stream").

Over raw sockets on 127.0.0.1: a chunked upload's first chunk is read and answered by the handler
while the upload is still open; the rest is then dropped and the connection serves the next request;
Content-Length and chunked bodies arrive byte for byte; a body past ``max_body_bytes`` fails the
script's read naming the limit; a client that goes away mid-body leaves the server serving.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sec_harness import REPO, ServeProcess, cli_env, create_token_offline, upload_parts, write_project

HANDLER = r"""
export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path.endsWith("/first")) {
      const reader = request.body!.getReader();
      const first = await reader.read();
      return new Response("first:" + new TextDecoder().decode(first.value));
    }
    if (path.endsWith("/sum")) {
      try {
        const bytes = new Uint8Array(await request.arrayBuffer());
        let sum = 0;
        for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i] * (i % 251 + 1)) % 1000000007;
        return new Response(JSON.stringify([bytes.length, sum]));
      } catch (e) {
        return new Response(String(e), { status: 413 });
      }
    }
    return new Response("hello");
  },
};
"""
MANIFEST = ('name = "{name}"\nversion = "1.0.0"\nmain = "src/index.ts"\n'
            "[limits]\nmax_body_bytes = 3000000\ntimeout_ms = 5000\n")


def checksum(data: bytes) -> list[int]:
    total = 0
    for i, b in enumerate(data):
        total = (total + b * (i % 251 + 1)) % 1000000007
    return [len(data), total]


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One response (Content-Length or chunked) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if match:
        length = int(match.group(1))
        while len(rest) < length:
            rest += sock.recv(65536)
        return status, rest[:length]
    body = b""
    while True:  # chunked
        while b"\r\n" not in rest:
            rest += sock.recv(65536)
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        while len(rest) < size + 2:
            rest += sock.recv(65536)
        if size == 0:
            return status, body
        body, rest = body + rest[:size], rest[size + 2:]


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Target:
    """A running server and the path prefix of the app on it."""

    def __init__(self, port: int, prefix: str) -> None:
        self.port, self.prefix = port, prefix

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return sock


@pytest.fixture(params=["dev", "serve"])
def target(request: pytest.FixtureRequest, tmp_path: Path, tools: object) -> Iterator[Target]:
    root = write_project(tmp_path / "app", MANIFEST.format(name="bodies"), {"src/index.ts": HANDLER})
    if request.param == "dev":
        log = (tmp_path / "dev.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-watch", "--no-cron"],
                                cwd=REPO, env=cli_env(), stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 60
            port = 0
            while time.monotonic() < deadline and not port:
                match = re.search(r"at http://127\.0\.0\.1:(\d+)/", (tmp_path / "dev.log").read_text())
                port = int(match.group(1)) if match else 0
                time.sleep(0.05)
            assert port, (tmp_path / "dev.log").read_text()
            yield Target(port, "")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()
        return
    from runtime.publish_client import build_release
    from runtime.server.upload import encode_upload

    data = tmp_path / "serve-data"
    token = create_token_offline(data, "deployer")
    server = ServeProcess(data).start()
    try:
        bundle = build_release(root)
        ctype, body = encode_upload(bundle)
        with server.client(token) as client:
            answer = client.post("/api/apps/bodies/versions", content=body, headers={"content-type": ctype})
            assert answer.status_code == 201, answer.text
        yield Target(server.port, "/bodies")
    finally:
        server.stop()


def test_the_first_chunk_is_answered_while_the_upload_is_still_open(target: Target) -> None:
    with target.connect() as sock:
        sock.sendall(f"POST {target.prefix}/first HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                     .encode() + chunk(b"hello, first chunk"))
        status, body = read_response(sock)  # the upload has not ended: no terminating chunk was sent
        assert (status, body) == (200, b"first:hello, first chunk")
        for _ in range(20):  # the rest is read and dropped ...
            sock.sendall(chunk(b"r" * 50_000))
        sock.sendall(b"0\r\n\r\n")
        sock.sendall(f"GET {target.prefix}/hello HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        assert read_response(sock) == (200, b"hello")  # ... and the connection serves the next request


@pytest.mark.parametrize("mode", ["content-length", "chunked"])
def test_a_large_body_arrives_byte_for_byte(target: Target, mode: str) -> None:
    data = hashlib.sha256(b"body").digest() * (2_500_000 // 32)
    with target.connect() as sock:
        if mode == "chunked":
            head = f"POST {target.prefix}/sum HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            sock.sendall(head.encode() + b"".join(chunk(data[i:i + 70_000]) for i in range(0, len(data), 70_000))
                         + b"0\r\n\r\n")
        else:
            head = f"POST {target.prefix}/sum HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(data)}\r\n\r\n"
            sock.sendall(head.encode() + data)
        status, body = read_response(sock)
    assert status == 200, body
    assert json.loads(body) == checksum(data)


def test_a_chunked_body_past_max_body_bytes_fails_the_read_naming_the_limit(target: Target) -> None:
    with target.connect() as sock:
        sock.sendall(f"POST {target.prefix}/sum HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                     .encode())
        try:
            for _ in range(40):  # 4 MB against a 3,000,000-byte limit
                sock.sendall(chunk(b"x" * 100_000))
        except OSError:
            pass  # the server may close once it answered
        status, body = read_response(sock)
    assert status == 413
    assert b"max_body_bytes" in body and b"3000000" in body, body


def test_a_client_gone_mid_body_leaves_the_server_serving(target: Target) -> None:
    for _ in range(3):
        with target.connect() as sock:
            sock.sendall(f"POST {target.prefix}/sum HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\n\r\n"
                         .encode() + b"x" * 300_000)
            time.sleep(0.1)
    with target.connect() as sock:
        sock.sendall(f"GET {target.prefix}/hello HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        assert read_response(sock) == (200, b"hello")


def test_the_api_still_reads_an_upload_whole_and_a_small_body_travels_inline(tmp_path: Path) -> None:
    """The deploy API is not streamed (it needs the whole upload); a small app body stays inline."""
    data = tmp_path / "serve-data"
    token = create_token_offline(data, "deployer")
    server = ServeProcess(data).start()
    try:
        code = "var __isoplay_module = { default: { async fetch(r) { return new Response(await r.text()); } } };\n"
        parts = upload_parts({"name": "small", "version": "1.0.0", "main": "src/index.ts"}, code + "//" + "p" * 200_000)
        from sec_harness import multipart

        ctype, body = multipart(parts)
        with server.client(token) as client:
            answer = client.post("/api/apps/small/versions", content=body, headers={"content-type": ctype})
            assert answer.status_code == 201, answer.text
            assert client.post("/small/", content=b"tiny body").text == "tiny body"
    finally:
        server.stop()


