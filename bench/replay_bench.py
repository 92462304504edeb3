"""Record and replay costs (issue 16): ``python bench/replay_bench.py [--quick]``.

Prints, against the same run without recording:

- warm invoke p50 (in process, one warm isolate: the time until the result is there; ``keep()`` follows, as
  on the server, where it runs once the answer is on its way, and counts in the CPU figure) of the hello
  and work handlers with recording off,
  recording every invocation and keeping it (``sample = 1.0``: redacted, encoded and written to SQLite by
  the writer thread), and recording every invocation but keeping failures only (the default policy);
- req/s of the same three policies on one real ``isoplay serve`` (one worker), alternating short rounds;
- the size of one recording of the work handler and of a KV-heavy handler;
- how long Step Back takes on a replayed invocation (a debug session; the issue's target is 300 ms for
  invocations under 50 ms).

Each policy also gets a CPU figure, steadier than wall time on a shared machine: in process, the process
CPU time (every thread, the recordings writer and its flush included) per invocation; on the server, the
CPU time of the server's processes per request.

How the figures are kept steady on a shared machine (compare within one run; the load average is printed
at the start and at the end):

- Rounds alternate between the policies, each taking each place in turn, so a change of the machine's load
  hits every side of a ratio. Each cost is the median over rounds of that round's ratio to the same round
  without recording; the spread printed beside it is the middle half (25th to 75th percentile) of those
  ratios. A second pool without recording (``control``) gives the noise floor of the run.
- An in-process round lasts one writer window and ends with a flush, so the writer writes once per round,
  as on a server. Keeping every invocation at thousands a second overflows the ring (``max_count``) in
  every window, so the server's writer waits its busy window (``ServerRecorder.busy_window``, 1 s)
  between writes: that is the round. Rounds of a fixed, small number of invocations flushed many times
  a window and charged the keep-all pool several times the writer work a server does for the same
  invocations.

``--ring N`` keeps up to N recordings per app under the keep-all policy (default 100, the product's
default). With the default ring and thousands of invocations a second, the writer stores only the newest
100 of each window (the rest would be pruned in the same transaction); a large ring makes every recording
reach the store. ``--rounds N`` sets the serve rounds (default 12), ``--quick`` a short run.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import run_load  # noqa: E402
from bench.runtime_bench import SCRIPTS, pct  # noqa: E402

POLICIES = {"off": "failures = false\n", "failures": "", "all": "sample = 1.0\nmax_count = 100\n"}
CONTROL = {"control": "failures = false\n"}
"""A second pool without recording: how far two identical pools differ is the noise floor of this run."""
KV_HEAVY = """
export default {
  async fetch(request: Request, env: any) {
    const out: string[] = [];
    for (let i = 0; i < 50; i++) {
      const v = await env.KV.get("k" + i);
      out.push(v ?? "-");
    }
    await env.KV.put("last", String(Date.now()));
    return Response.json({ n: out.length, first: out[0], id: crypto.randomUUID() });
  },
};
"""


def project(base: Path, name: str, source: str, policy: str, *, kv: bool = False) -> Path:
    """A project named ``name`` with ``source`` and a ``[recordings]`` policy."""
    root = base / name
    (root / "src").mkdir(parents=True, exist_ok=True)
    manifest = f'name = "{name}"\nmain = "src/index.ts"\n'
    if kv:
        manifest += 'kv_namespaces = [{ binding = "KV" }]\n'
    manifest += "[limits]\nmax_isolates = 1\nmin_idle = 1\n"
    if policy:
        manifest += "[recordings]\n" + policy
    (root / "isoplay.toml").write_text(manifest)
    (root / "src" / "index.ts").write_text(source)
    return root


async def warm_invoke(base: Path, kind: str, rounds: int,
                      round_s: float | None = None) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per policy and round (alternating rounds on the pools, each one writer window long): the p50 warm
    invoke (ms), and the process CPU time (ms, all threads: the recordings writer and its flush included)
    per invocation."""
    from runtime.bundler import bundle
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost
    from runtime.pool import IsolatePool
    from runtime.replay.policy import ServerRecorder
    from runtime.store.recordings import SqliteRecordingStore

    recorder = ServerRecorder(SqliteRecordingStore(base / f"rec-{kind}.sqlite3"))
    round_s = round_s or getattr(recorder, "busy_window", recorder.window)
    pools: dict[str, Any] = {}
    for policy, text in {**POLICIES, **CONTROL}.items():
        built = await bundle(project(base, f"{kind}-{policy}", SCRIPTS[kind], text))
        pool = IsolatePool(built, ScriptHost("bench"))
        pool.record = built.manifest.recordings.active
        pool.record_ok = built.manifest.recordings.sample > 0  # as the server sets it (runtime/server/apps.py)
        await pool.start()
        pools[policy] = pool
    request = HttpRequest(url="http://localhost/")
    p50: dict[str, list[float]] = {p: [] for p in pools}
    cpu: dict[str, list[float]] = {p: [] for p in pools}
    writer: dict[str, list[float]] = {p: [] for p in pools}
    keeping: dict[str, list[float]] = {p: [] for p in pools}
    order = list(pools)
    for r in range(rounds + 1):
        for policy in order[r % len(order):] + order[:r % len(order)]:  # each policy takes each place in turn
            pool = pools[policy]
            times: list[float] = []
            kept_s = 0.0
            cpu_started = time.process_time()
            writer_started = getattr(recorder, "writer_cpu_s", 0.0)
            ends = time.perf_counter() + round_s
            count = 0
            while count < 50 or time.perf_counter() < ends:  # one writer window (and at least 50 invocations)
                count += 1
                started = time.perf_counter()
                result = await pool.invoke(request)
                answered = time.perf_counter()
                if r:  # round 0 warms up
                    times.append((answered - started) * 1000)
                if result.recording is not None:  # as on the server: once the answer is on its way
                    recorder.keep("bench", "1", pool.bundle, result)
                    kept_s += time.perf_counter() - answered
            recorder.flush()  # the window's write, counted for its own policy, not for the next pool's round
            if r:
                p50[policy].append(pct(times, 0.5))
                cpu[policy].append((time.process_time() - cpu_started) * 1000 / count)
                writer[policy].append((getattr(recorder, "writer_cpu_s", 0.0) - writer_started) * 1000 / count)
                keeping[policy].append(kept_s * 1000 / count)
    for pool in pools.values():
        await pool.stop()
    recorder.close()
    cpu["writer"] = writer["all"]
    cpu["keep_all"] = keeping["all"]
    cpu["keep_failures"] = keeping["failures"]
    return p50, cpu


def paired_pct(values: list[float], base: list[float]) -> float:
    """The median over rounds of ``values[i] / base[i]``, as % more than base (a round's load hits both)."""
    return (statistics.median(v / b for v, b in zip(values, base)) - 1) * 100


def paired_spread(values: list[float], base: list[float], sign: int = 1) -> tuple[float, float]:
    """The 25th and 75th percentiles over rounds of ``values[i] / base[i]`` as % more than base (``sign``
    -1: as % less, for req/s)."""
    ratios = sorted(sign * (v / b - 1) * 100 for v, b in zip(values, base))
    return pct(ratios, 0.25), pct(ratios, 0.75)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree = {pid}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    return sum(times.get(p, 0.0) for p in tree)


def serve_rps(base: Path, seconds: float, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]], str]:
    """Per app and round: req/s of hello/work under each policy on one real ``isoplay serve --workers 1``,
    and the server's CPU time (its processes, ms) per request."""
    from tests.serve_process import ServeProcess  # type: ignore[import-not-found]

    data = base / "serve-data"
    made = subprocess.run([sys.executable, "-m", "app", "tokens", "create", "bench", "--data", str(data),
                           "--role", "admin"], capture_output=True, text=True, check=True)
    token = made.stdout.strip()
    server = ServeProcess(["--data", str(data), "--port", "0", "--workers", "1"])
    tool = ""
    try:
        apps = []
        for kind in ("hello", "work"):
            for policy, text in {**POLICIES, **CONTROL}.items():
                root = project(base / "serve", f"{kind}-{policy}", SCRIPTS[kind], text)
                subprocess.run([sys.executable, "-m", "app", "publish", str(root), "--server", server.url,
                                "--token", token], capture_output=True, check=True)
                apps.append(f"{kind}-{policy}")
        for app in apps:
            run_load(f"{server.url}/{app}/", seconds=2)  # the pool, the stock and the front warm up
        samples: dict[str, list[float]] = {app: [] for app in apps}
        cpu: dict[str, list[float]] = {app: [] for app in apps}
        for r in range(rounds):
            for app in apps[r % len(apps):] + apps[:r % len(apps)]:  # each app takes each place in turn
                before = tree_cpu_s(server.proc.pid)
                load = run_load(f"{server.url}/{app}/", seconds=seconds)
                tool = load.tool
                samples[app].append(load.rps)
                cpu[app].append((tree_cpu_s(server.proc.pid) - before) * 1000 / max(load.requests, 1))
    finally:
        server.stop()
    return samples, cpu, tool


async def sizes(base: Path) -> dict[str, int]:
    """Bytes of one recording of the work handler and of a KV-heavy handler (50 gets, 1 put)."""
    from runtime.bundler import bundle
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost, ScriptIsolate
    from runtime.kv.store import KVStore

    out = {}
    for name, source, kv in (("work", SCRIPTS["work"], False), ("kv-heavy", KV_HEAVY, True)):
        built = await bundle(project(base, f"size-{name}", source, "", kv=kv))
        store = KVStore(base / f"{name}.kv.sqlite3")
        for i in range(50):
            store.namespace("KV").put(f"k{i}", f"value-{i}-" + "x" * 40)
        isolate = ScriptIsolate(built, ScriptHost("bench", kv_store=store))
        isolate.record = True
        result = await isolate.invoke(HttpRequest(url="http://localhost/"))
        assert result.ok, result.error
        rec = result.recording.to_recording(result, bundle_hash=built.content_hash)
        out[name] = len(rec.to_bytes())
        isolate.close()
        store.close()
    return out


def step_back_ms(base: Path, trials: int) -> tuple[float, float]:
    """(p50 ms of a Step Back, duration ms of the replayed invocation) on a small handler."""
    from debugger.session import DebugSession
    from runtime.bundler import bundle_sync
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost, ScriptIsolate

    source = """export default {
  async fetch(request: Request) {
    let total = 0;
    for (let i = 0; i < 200; i++) total += i;
    const when = Date.now();
    await new Promise((r) => setTimeout(r, 1));
    const id = crypto.randomUUID();
    return new Response(`${total} ${when} ${id}`);
  },
};
"""
    root = project(base, "stepback", source, "")
    built = bundle_sync(root)

    async def record() -> Any:
        isolate = ScriptIsolate(built, ScriptHost("bench"))
        isolate.record = True
        result = await isolate.invoke(HttpRequest(url="http://localhost/"))
        isolate.close()
        return result.recording.to_recording(result, bundle_hash=built.content_hash), result.duration_ms

    rec, duration = asyncio.run(record())
    session = DebugSession(root, HttpRequest(), recording=rec)
    session.set_breakpoint("src/index.ts", 7)
    session.start()
    took = []
    try:
        session.wait_paused(60)
        for _ in range(trials):
            session.step_over()
            session.wait_paused(60)
            started = time.perf_counter()
            session.step_back()
            session.wait_paused(60)
            took.append((time.perf_counter() - started) * 1000)
    finally:
        session.stop()
    return pct(took, 0.5), duration


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    if "--ring" in argv:
        POLICIES["all"] = f"sample = 1.0\nmax_count = {int(argv[argv.index('--ring') + 1])}\n"
    serve_rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else (3 if quick else 12)
    rows: list[tuple[str, float, tuple[float, float], str]] = []
    figures: dict[str, Any] = {}
    load_before = os.getloadavg()
    targets = {"all": "<= 10 %", "failures": "<= 3 %", "control": "(noise: same as off)"}
    with tempfile.TemporaryDirectory(prefix="isoplay-replay-bench-") as tmp:
        base = Path(tmp)
        for kind in ("hello", "work"):
            warm, cpu = asyncio.run(warm_invoke(base, kind, rounds=4 if quick else 12))
            for policy in warm:
                figures[f"{kind}_warm_invoke_ms_p50_{policy}"] = round(statistics.median(warm[policy]), 4)
                figures[f"{kind}_cpu_ms_per_invoke_{policy}"] = round(statistics.median(cpu[policy]), 4)
            # the recordings writer's own CPU time (encoding, SQLite) per invocation kept, and keep()'s time
            figures[f"{kind}_writer_cpu_ms_per_invoke_all"] = round(statistics.median(cpu["writer"]), 4)
            figures[f"{kind}_keep_ms_per_invoke_all"] = round(statistics.median(cpu["keep_all"]), 4)
            figures[f"{kind}_keep_ms_per_invoke_failures"] = round(statistics.median(cpu["keep_failures"]), 4)
            for policy in ("all", "failures", "control"):
                cost = paired_pct(warm[policy], warm["off"])
                figures[f"{kind}_warm_cost_pct_{policy}"] = round(cost, 1)
                rows.append((f"{kind} warm invoke, record {policy}", cost, paired_spread(warm[policy], warm["off"]),
                             targets[policy]))
                cost = paired_pct(cpu[policy], cpu["off"])
                figures[f"{kind}_cpu_cost_pct_{policy}"] = round(cost, 1)
                rows.append((f"{kind} CPU/invoke incl. writer, record {policy}", cost,
                             paired_spread(cpu[policy], cpu["off"]), targets[policy]))
        rps, server_cpu, tool = serve_rps(base, seconds=1.0, rounds=serve_rounds)
        figures["loadgen"] = tool
        for kind in ("hello", "work"):
            for policy in ("off", "failures", "all"):
                figures[f"{kind}_rps_{policy}"] = round(statistics.median(rps[f"{kind}-{policy}"]), 1)
                figures[f"{kind}_server_cpu_ms_per_req_{policy}"] = round(statistics.median(server_cpu[f"{kind}-{policy}"]), 4)
            for policy in ("all", "failures", "control"):
                got, off = rps[f"{kind}-{policy}"], rps[f"{kind}-off"]
                cost = -paired_pct(got, off)
                figures[f"{kind}_rps_cost_pct_{policy}"] = round(cost, 1)
                rows.append((f"{kind} req/s (serve), record {policy}", cost, paired_spread(got, off, -1), targets[policy]))
                got, off = server_cpu[f"{kind}-{policy}"], server_cpu[f"{kind}-off"]
                cost = paired_pct(got, off)
                figures[f"{kind}_server_cpu_cost_pct_{policy}"] = round(cost, 1)
                rows.append((f"{kind} server CPU/req, record {policy}", cost, paired_spread(got, off), targets[policy]))
        size = asyncio.run(sizes(base))
        figures["recording_bytes_work"] = size["work"]
        figures["recording_bytes_kv_heavy"] = size["kv-heavy"]
        back, duration = step_back_ms(base, trials=5 if quick else 15)
        figures["step_back_ms_p50"] = round(back, 1)
        figures["step_back_invocation_ms"] = round(duration, 1)
    load_after = os.getloadavg()
    figures["load_before"] = [round(x, 2) for x in load_before]
    figures["load_after"] = [round(x, 2) for x in load_after]
    print(f"load average {' '.join(f'{x:.2f}' for x in load_before)} at the start, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} at the end; req/s by {tool}, {serve_rounds} rounds of 1 s")
    print(f"{'cost against the same run without recording':48} {'median':>7}  {'middle half':>15}  target")
    for name, value, (low, high), target in rows:
        print(f"{name:48} {value:6.1f}%  {low:6.1f} .. {high:5.1f}%  {target}")
    for key in ("hello_warm_invoke_ms_p50_off", "hello_warm_invoke_ms_p50_failures", "hello_warm_invoke_ms_p50_all",
                "work_warm_invoke_ms_p50_off", "work_warm_invoke_ms_p50_failures", "work_warm_invoke_ms_p50_all",
                "hello_cpu_ms_per_invoke_off", "hello_cpu_ms_per_invoke_all", "hello_writer_cpu_ms_per_invoke_all",
                "hello_keep_ms_per_invoke_all", "hello_keep_ms_per_invoke_failures",
                "work_cpu_ms_per_invoke_off", "work_cpu_ms_per_invoke_all", "work_writer_cpu_ms_per_invoke_all",
                "work_keep_ms_per_invoke_all", "work_keep_ms_per_invoke_failures",
                "hello_rps_off", "hello_rps_failures", "hello_rps_all", "work_rps_off", "work_rps_failures",
                "work_rps_all", "recording_bytes_work", "recording_bytes_kv_heavy", "step_back_ms_p50",
                "step_back_invocation_ms"):
        print(f"{key:48} {figures[key]:>10}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
