"""Load shedding under CPU-bound overload (issue 13, point 5): prints the longest queue wait.

``isoplay dev`` serves a handler that computes for 200 ms with the default limits (4 isolates,
``max_queue`` 64, ``queue_timeout_ms`` 10,000); 200 requests arrive at once on 200 connections.
Before the pool offloaded costly jobs, all 200 were answered 200, one after another, over ~40 s,
the slowest after ~40 s in the queue. Now: at most 68 are taken (4 running, 64 queued), the rest
get 503 with Retry-After at once, and none waits longer than queue_timeout_ms.

    python bench/overload_bench.py [--requests 200] [--ms 200]

Prints a table and, last, one JSON line: served, refused_full, refused_expired, first_503_ms,
slowest_ms (the longest any request took, client side), longest_queue_wait_ms (the pool's own
figure from /__isoplay/health), total_s.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.runtime_bench import DevServer, http_get, wait_for  # noqa: E402

SLOW = """
export default {
  fetch(request: Request) {
    const ms = Number(new URL(request.url).searchParams.get("ms") ?? "200");
    const end = Date.now() + ms;
    let n = 0;
    while (Date.now() < end) n++;
    return new Response("done " + n);
  },
};
"""


async def fire(host: str, port: int, path: str, n: int) -> list[tuple[int, float, str]]:
    """Open ``n`` connections, then send one request on each at once; (status, seconds, body) each."""
    conns = [await asyncio.open_connection(host, port) for _ in range(n)]
    request = f"GET {path} HTTP/1.1\r\nhost: {host}\r\n\r\n".encode()

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, started: float) -> tuple[int, float, str]:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        body = await reader.readexactly(length)
        writer.close()
        return int(head.split(b" ")[1]), time.perf_counter() - started, body.decode("utf-8", "replace")

    started = time.perf_counter()
    for _, writer in conns:
        writer.write(request)
    return await asyncio.gather(*(one(r, w, started) for r, w in conns))


def main(argv: list[str]) -> int:
    n = int(argv[argv.index("--requests") + 1]) if "--requests" in argv else 200
    ms = int(argv[argv.index("--ms") + 1]) if "--ms" in argv else 200
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "slow"
        (root / "src").mkdir(parents=True)
        (root / "isoplay.toml").write_text('name = "overload"\nmain = "src/index.ts"\n')
        (root / "src" / "index.ts").write_text(SLOW)
        server = DevServer(root, None)
        try:
            wait_for(lambda: http_get(server.url + "/?ms=1"), 60)
            http_get(server.url + f"/?ms={ms}")
            http_get(server.url + f"/?ms={ms}")
            host, port = server.url.split("//")[1].split(":")
            started = time.perf_counter()
            results = asyncio.run(fire(host, int(port), f"/?ms={ms}", n))
            total = time.perf_counter() - started
            pool = json.loads(http_get(server.url + "/__isoplay/health")).get("pool") or {}
        finally:
            server.stop()
    refused = [r for r in results if r[0] == 503]
    figures = {
        "requests": n, "handler_ms": ms,
        "served": sum(1 for r in results if r[0] == 200),
        "refused_full": sum(1 for r in refused if "queue is full" in r[2]),
        "refused_expired": sum(1 for r in refused if "queue_timeout_ms" in r[2]),
        "first_503_ms": min((r[1] for r in refused), default=float("nan")) * 1000,
        "slowest_ms": max(r[1] for r in results) * 1000,
        "longest_queue_wait_ms": float(pool.get("max_queue_ms", float("nan"))),
        "total_s": total,
    }
    for key, value in figures.items():
        print(f"{key:24} {value:12.1f}" if isinstance(value, float) else f"{key:24} {value:12}")
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
