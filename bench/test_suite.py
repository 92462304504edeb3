"""``isoplay test`` speed: 100 small tests across 10 files, each calling SELF.fetch and KV.

Prints (figures on a shared machine are noisy; not asserted anywhere):

- ``suite_wall_s_p50``: wall time of ``isoplay test DIR`` as a new process, from
  the command to its exit (target ≤ 1.5 s);
- ``suite_run_s_p50``: the same run inside one process (no interpreter start);
- ``watch_rerun_ms_p50``: ``--watch``: from saving one test file to its result (target ≤ 300 ms).

Usage: ``python bench/test_suite.py [--runs 5]``; ``--json`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKER = """export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const key = url.pathname.slice(1) || "index";
    if (request.method === "PUT") {
      await env.KV.put(key, await request.text());
      return new Response(null, { status: 204 });
    }
    const value = await env.KV.get(key);
    return value === null ? new Response("missing", { status: 404 }) : new Response(value);
  },
} satisfies ExportedHandler<Env>;
"""


def test_file(n: int) -> str:
    """One file of ten tests: a write through SELF, a read back, and a KV check each."""
    tests = "\n".join(f"""  it("round trip {i}", async () => {{
    const put = await SELF.fetch("https://example.com/k{n}-{i}", {{ method: "PUT", body: "v{i}" }});
    expect(put.status).toBe(204);
    const got = await SELF.fetch("https://example.com/k{n}-{i}");
    expect(await got.text()).toBe("v{i}");
    expect(await env.KV.get("seed")).toBe("s");
  }});""" for i in range(10))
    return f"""import {{ env, SELF }} from "cloudflare:test";
import {{ beforeAll, describe, expect, it }} from "vitest";

beforeAll(async () => {{ await env.KV.put("seed", "s"); }});

describe("file {n}", () => {{
{tests}
}});
"""


def make_suite(root: Path) -> Path:
    """Write the project: a KV worker and ten test files."""
    (root / "src").mkdir(parents=True)
    (root / "test").mkdir()
    (root / "isoplay.toml").write_text('name = "suite"\nmain = "src/index.ts"\n\n[[kv_namespaces]]\nbinding = "KV"\n')
    (root / "src" / "index.ts").write_text(WORKER)
    for n in range(10):
        (root / "test" / f"f{n}.test.ts").write_text(test_file(n))
    return root


def cli_run(root: Path) -> float:
    """Wall seconds of ``isoplay test DIR`` as a new process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "app.cli", "test", str(root)], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or "100 passed" not in proc.stdout:
        raise SystemExit(f"the suite did not pass:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed


async def in_process_runs(root: Path, runs: int) -> list[float]:
    """Seconds of whole runs in this process."""
    from runtime.testing import TestRun

    out = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await TestRun(root).run()
        out.append(time.perf_counter() - started)
        assert result.counts()["pass"] == 100, result.counts()
    return out


async def watch_reruns(root: Path, runs: int) -> list[float]:
    """Milliseconds from saving test/f3.test.ts to the watch loop's result for it."""
    from runtime.testing.runner import TestRun
    from runtime.testing.watch import watch

    results: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(watch(root, lambda files: TestRun(root, files=files),
                                     lambda result: results.put_nowait((time.perf_counter(), result))))
    try:
        await asyncio.wait_for(results.get(), 60)
        await asyncio.sleep(0.5)
        out = []
        target = root / "test" / "f3.test.ts"
        for i in range(runs):
            target.write_text(test_file(3).replace('"s"', '"s"') + f"\n// edit {i}\n")
            saved = time.perf_counter()
            done, result = await asyncio.wait_for(results.get(), 60)
            assert [f.file for f in result.files] == ["test/f3.test.ts"], [f.file for f in result.files]
            out.append((done - saved) * 1000)
            await asyncio.sleep(0.3)
        return out
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isoplay-test-bench-") as tmp:
        root = make_suite(Path(tmp) / "suite")
        cli_run(root)  # first run builds the harness and prelude caches
        walls = [cli_run(root) for _ in range(args.runs)]
        inproc = asyncio.run(in_process_runs(root, args.runs))
        reruns = asyncio.run(watch_reruns(root, args.runs))
    figures = {
        "tests": 100, "files": 10,
        "suite_wall_s_p50": round(statistics.median(walls), 3), "suite_wall_s_min": round(min(walls), 3),
        "suite_run_s_p50": round(statistics.median(inproc), 3),
        "watch_rerun_ms_p50": round(statistics.median(reruns), 1), "watch_rerun_ms_max": round(max(reruns), 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"isoplay test, 100 tests in 10 files (SELF.fetch + KV each), {args.runs} runs, shared machine:")
        print(f"  whole run from the command   p50 {figures['suite_wall_s_p50']:.2f} s   min {figures['suite_wall_s_min']:.2f} s   (target <= 1.5 s)")
        print(f"  the run inside one process   p50 {figures['suite_run_s_p50']:.2f} s")
        print(f"  --watch re-run after a save  p50 {figures['watch_rerun_ms_p50']:.0f} ms  max {figures['watch_rerun_ms_max']:.0f} ms   (target <= 300 ms)")
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
