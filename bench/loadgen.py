"""HTTP load on 127.0.0.1: wrk when installed, else a bounded asyncio keep-alive client."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """Requests per second and how they were measured."""

    rps: float
    requests: int
    errors: int
    tool: str


def run_load(url: str, *, seconds: float = 5.0, connections: int = 32, cpu: int | None = None) -> LoadResult:
    """Load ``url`` for ``seconds`` with ``connections`` keep-alive connections."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, cpu)
    return asyncio.run(_asyncio_client(url, seconds, connections))


def _wrk(url: str, seconds: float, connections: int, cpu: int | None) -> LoadResult:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, int(seconds))}s", url]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return LoadResult(rps, total, errors, "wrk")


async def _asyncio_client(url: str, seconds: float, connections: int) -> LoadResult:
    match = re.match(r"http://([^/:]+):(\d+)(/.*)?$", url)
    assert match, url
    host, port, path = match.group(1), int(match.group(2)), match.group(3) or "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    deadline = time.monotonic() + seconds
    counts = [0, 0]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                counts[0 if head.startswith(b"HTTP/1.1 2") else 1] += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - started
    return LoadResult(counts[0] / elapsed, counts[0] + counts[1], counts[1], "asyncio-client")
