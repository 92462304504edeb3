"""A raw-socket HTTP/1.1 client that reads a chunked body chunk by chunk, noting when each arrived."""

from __future__ import annotations

import socket
import time

STREAMING_SOURCE = """
export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname.endsWith("/plain")) return new Response("plain");
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    const enc = new TextEncoder();
    (async () => {
      for (let i = 0; i < 5; i++) {
        if (i > 0) await scheduler.wait(150);
        await writer.write(enc.encode(`chunk ${i} written at ${Date.now()}\\n`));
      }
      await writer.close();
    })();
    return new Response(readable, { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
"""


class RawResponse:
    def __init__(self, head: bytes, chunks: list[tuple[float, bytes]]) -> None:
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        self.chunks = chunks
        """(arrival time in epoch ms, chunk bytes) per HTTP chunk, in order."""

    @property
    def body(self) -> bytes:
        return b"".join(c for _, c in self.chunks)


class RawClient:
    """One keep-alive connection."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buf += data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def get(self, path: str, host: str = "localhost") -> RawResponse:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        response = RawResponse(head, [])
        if "content-length" in response.headers:
            n = int(response.headers["content-length"])
            while len(self.buf) < n:
                self._fill()
            response.chunks.append((time.time() * 1000, self.buf[:n]))
            self.buf = self.buf[n:]
            return response
        assert response.headers.get("transfer-encoding") == "chunked", response.headers
        while True:
            size = int(self._line().split(b";")[0], 16)
            while len(self.buf) < size + 2:
                self._fill()
            arrived = time.time() * 1000
            data, self.buf = self.buf[:size], self.buf[size + 2:]
            if size == 0:
                return response
            response.chunks.append((arrived, data))


def check_streamed(response: RawResponse) -> None:
    """The five timed chunks came one by one, the first well before the last was written."""
    assert response.status == 200, response.headers
    lines = response.body.decode().splitlines()
    assert [line.split(" written")[0] for line in lines] == [f"chunk {i}" for i in range(5)]
    last_written = int(lines[-1].rsplit(" ", 1)[1])
    first_arrived = response.chunks[0][0]
    assert first_arrived < last_written - 300, (first_arrived, last_written)
    assert len(response.chunks) == 5
    assert response.chunks[-1][0] - response.chunks[0][0] >= 400
