"""What the server's address checks cost a script's fetch (issue 13, point 2).

A fetch on ``isoplay serve`` goes through ``runtime.fetch.guarded_client``: each new connection
resolves its host, checks every address and connects to the checked one. Requests on a kept-alive
connection pay nothing more. This bench runs the ``fetch`` host op against an HTTP server on
127.0.0.1 with the plain client (``isoplay dev``/``run``) and the guarded one (a bench-only policy
that lets 127.0.0.1 through, every other rule unchanged), both with keep-alive and with a new
connection per request, and prints p50/p90 in microseconds.

It also runs the op against an older tree (``--tree /work/main`` with that tree's venv python),
so a client change can be measured before/after on the same machine, alternating:

    python bench/egress_bench.py [--n 2000] [--tree PATH] [--server front|threading] [--no-uvloop]

``--server threading`` answers from a ``ThreadingHTTPServer`` in a thread (HTTP/1.0: a new
connection per request, the far end in another thread); ``front`` (the default) from isoplay's
HttpFront on the same loop. The loop is uvloop where installed, as under ``isoplay dev``/``serve``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

_TREE = sys.argv[sys.argv.index("--tree") + 1] if "--tree" in sys.argv else str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, _TREE)

from runtime import hostops  # noqa: E402

hostops._load_builtin_ops()  # before runtime.fetch (see tests/runtime/test_fetch.py)

import runtime.fetch as fetch_module  # noqa: E402
from runtime.devserver import make_socket  # noqa: E402
from runtime.fetch import EgressPolicy, fetch, guarded_client  # noqa: E402
from runtime.httpfront import HttpFront  # noqa: E402


class _LoopbackAsPublic(EgressPolicy):
    """127.0.0.1 stands in for a public host (benches use only 127.0.0.1); every other rule holds."""

    def refusal(self, address: str) -> str | None:
        return None if address == "127.0.0.1" else super().refusal(address)


class _Host:
    script_name = "bench"
    fetch_allow = ("127.0.0.1", "localhost")

    def __init__(self, client: Any) -> None:
        self.client = client

    def http(self) -> Any:
        return self.client


def _clients() -> list[tuple[str, Any]]:
    """(name, factory) of the four clients, for the tree's fetch client (aiohttp FetchClient, or httpx before it)."""
    policy = _LoopbackAsPublic()
    if hasattr(fetch_module, "FetchClient"):
        client = fetch_module.FetchClient
        return [("plain_keepalive", lambda: client()), ("guarded_keepalive", lambda: guarded_client(policy)),
                ("plain_new_connection", lambda: client(keepalive=False)),
                ("guarded_new_connection", lambda: guarded_client(policy, keepalive=False))]
    import httpx

    fresh = httpx.Limits(max_keepalive_connections=0)
    return [("plain_keepalive", lambda: httpx.AsyncClient(trust_env=False)),
            ("guarded_keepalive", lambda: guarded_client(policy)),
            ("plain_new_connection", lambda: httpx.AsyncClient(trust_env=False, limits=fresh)),
            ("guarded_new_connection", lambda: guarded_client(policy, limits=fresh))]


class _Threaded:
    """A ThreadingHTTPServer (HTTP/1.0) in a thread answering 200 "ok"."""

    def __enter__(self) -> str:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _timed(client: Any, url: str, n: int) -> list[float]:
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


async def _measure(url: str, n: int, figures: dict[str, float]) -> None:
    clients = _clients()
    by_name = url.replace("127.0.0.1", "localhost")  # the guarded client resolves and checks each new connection
    for name, make, target in [*((name, make, url) for name, make in clients), ("guarded_new_connection_by_name",
                                                                                 clients[3][1], by_name)]:
        times = await _timed(make(), target, n)
        figures[f"{name}_us_p50"] = statistics.median(times)
        figures[f"{name}_us_p90"] = sorted(times)[int(0.9 * len(times))]


async def run(n: int, server: str = "front") -> dict[str, float]:
    figures: dict[str, float] = {}
    if server == "threading":
        with _Threaded() as url:
            await _measure(url, n, figures)
        return figures

    async def no_asgi(scope, receive, send):  # type: ignore[no-untyped-def]
        raise AssertionError

    front = HttpFront(lambda request, exchange: exchange.respond(200, [], b"ok") or True, no_asgi)
    sock = make_socket("127.0.0.1", 0)
    await front.start(sock)
    try:
        await _measure(f"http://127.0.0.1:{sock.getsockname()[1]}/", n, figures)
    finally:
        await front.close(grace_s=1)
    return figures


def main(argv: list[str]) -> int:
    n = int(argv[argv.index("--n") + 1]) if "--n" in argv else 2000
    server = argv[argv.index("--server") + 1] if "--server" in argv else "front"
    if "--no-uvloop" not in argv:
        try:
            import uvloop
        except ImportError:
            pass  # the default loop, as on Windows
        else:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    print(f"tree {_TREE}, client {'aiohttp' if hasattr(fetch_module, 'FetchClient') else 'httpx'}, "
          f"server {server}, loop {asyncio.get_event_loop_policy().__class__.__module__}")
    figures = asyncio.run(run(n, server))
    for key, value in figures.items():
        print(f"{key:32} {value:10.1f}")
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
