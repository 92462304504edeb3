"""The runtime benchmark produces every figure issue 3 asks for (their values are for bench/, not tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("cold_start_ms_p50", "ready_start_ms_p50", "warm_invoke_ms_p50", "idle_isolate_rss_mb", "reload_ms_p50", "hello_rps", "work_rps",
        "node_hello_rps", "node_work_rps", "heavy_rps", "node_heavy_rps", "heavy_js_us_node")


def test_bench_quick_run_prints_every_figure() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    for key in KEYS:
        assert isinstance(figures[key], (int, float)) and figures[key] > 0, (key, figures.get(key))
    assert figures["load_tool"].split()[0] in ("wrk", "autocannon", "python-asyncio")  # named with its version
    assert lines[0].startswith("load generator: ")
    assert any(line.startswith("hello_vs_node") for line in lines)  # the table compares against the anchor


def test_debug_overhead_bench_prints_warm_and_fresh_tables() -> None:
    proc = subprocess.run([sys.executable, "bench/debug_overhead.py", "--runs", "1", "--n", "2000"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert out.count("(target <= 3x: ") == 2 and "warm:" in out and "fresh:" in out
    rows = [line.split() for line in out.splitlines() if line.strip().split(" ")[0] in
            ("mix", "loop", "fib", "churn", "sort")]
    assert len(rows) == 10
    for row in rows:  # work, normal ms, debug ms, ratio: real positive figures
        assert float(row[1]) > 0 and float(row[2]) > 0 and row[3].endswith("x")


def test_conformance_runner_prints_pass_total_per_area() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.conformance", "streams", "workers-globals", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(summary["areas"]) == {"streams", "workers-globals"}
    for area in summary["areas"].values():
        assert 0 < area["pass"] <= area["total"]
    assert summary["areas"]["streams"]["pass"] == summary["areas"]["streams"]["total"]  # the tests hold these too
    bad = subprocess.run([sys.executable, "-m", "bench.conformance", "no-such-area"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "unknown area" in bad.stderr


def test_isolate_js_bench_prints_pure_js_machinery_and_run_batch_figures() -> None:
    proc = subprocess.run([sys.executable, "bench/isolate_js_bench.py", "--rounds", "1", "--skip-serve", "--skip-flags"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for heading in ("1. pure JS", "2. __isoplay.invokeBatch", "3. ScriptIsolate.run_batch"):
        assert heading in out, out
    pure = [line.split() for line in out.splitlines() if line.strip().startswith(("/heavy: isolate", "/hello: isolate"))]
    assert len(pure) == 2
    for row in pure:  # /kind: isolate X node Y: both measured
        assert float(row[2]) > 0 and float(row[4]) > 0
    batches = [line for line in out.splitlines() if " batch " in line and "event loop thread" in line]
    assert len(batches) == 8  # /heavy and /hello, batches of 1 and 12, one request repeated and every URL new
    assert sum("every URL new" in line for line in batches) == 4
