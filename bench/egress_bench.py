"""What the server's address checks cost a script's fetch (issue 13, point 2).

A fetch on ``isoplay serve`` goes through ``runtime.fetch.guarded_client``: each new connection
resolves its host, checks every address and connects to the checked one. Requests on a kept-alive
connection pay nothing more. This bench runs the ``fetch`` host op against an HTTP server on
127.0.0.1 with the plain client (``isoplay dev``/``run``) and the guarded one (a bench-only policy
that lets 127.0.0.1 through, every other rule unchanged), both with keep-alive and with a new
connection per request, and prints p50/p90 in microseconds.

    python bench/egress_bench.py [--n 2000]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from runtime.devserver import make_socket  # noqa: E402
from runtime.fetch import EgressPolicy, fetch, guarded_client  # noqa: E402
from runtime.httpfront import HttpFront  # noqa: E402


class _LoopbackAsPublic(EgressPolicy):
    """127.0.0.1 stands in for a public host (benches use only 127.0.0.1); every other rule holds."""

    def refusal(self, address: str) -> str | None:
        return None if address == "127.0.0.1" else super().refusal(address)


class _Host:
    script_name = "bench"
    fetch_allow = ("127.0.0.1",)

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def http(self) -> httpx.AsyncClient:
        return self.client


async def _timed(client: httpx.AsyncClient, url: str, n: int) -> list[float]:
    host = _Host(client)
    args: dict[str, Any] = {"url": url, "method": "GET", "headers": [], "redirect": "follow"}
    for _ in range(50):
        await fetch(host, args)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await fetch(host, args)
        times.append((time.perf_counter() - started) * 1e6)
    await client.aclose()
    return times


async def run(n: int) -> dict[str, float]:
    async def no_asgi(scope, receive, send):  # type: ignore[no-untyped-def]
        raise AssertionError

    front = HttpFront(lambda request, exchange: exchange.respond(200, [], b"ok") or True, no_asgi)
    sock = make_socket("127.0.0.1", 0)
    await front.start(sock)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    fresh = httpx.Limits(max_keepalive_connections=0)
    figures: dict[str, float] = {}
    try:
        for name, make in [
            ("plain_keepalive", lambda: httpx.AsyncClient(trust_env=False)),
            ("guarded_keepalive", lambda: guarded_client(_LoopbackAsPublic())),
            ("plain_new_connection", lambda: httpx.AsyncClient(trust_env=False, limits=fresh)),
            ("guarded_new_connection", lambda: guarded_client(_LoopbackAsPublic(), limits=fresh)),
        ]:
            times = await _timed(make(), url, n)
            figures[f"{name}_us_p50"] = statistics.median(times)
            figures[f"{name}_us_p90"] = sorted(times)[int(0.9 * len(times))]
    finally:
        await front.close(grace_s=1)
    return figures


def main(argv: list[str]) -> int:
    n = int(argv[argv.index("--n") + 1]) if "--n" in argv else 2000
    figures = asyncio.run(run(n))
    for key, value in figures.items():
        print(f"{key:32} {value:10.1f}")
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
