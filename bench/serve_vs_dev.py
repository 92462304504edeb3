"""``isoplay serve`` against ``isoplay dev`` per request, like for like: CPU microseconds and req/s.

    python bench/serve_vs_dev.py [--kind hello|work] [--rounds 5] [--seconds 3]

``python -m bench`` measures ``isoplay dev`` pinned to core 0 with wrk on core 1,
a one-line handler and one isolate; ``bench/cluster_bench.py`` measures ``serve``
unpinned, beside wrk on the same cores, with an app that parses the URL and two
isolates. Their req/s do not compare (last session: serve 9,626 against dev
25,600 hello). Here both servers run the same script (runtime_bench's
``SCRIPTS[kind]``) with the same manifest limits, each pinned to core 0 while
wrk (-t1 -c32) runs pinned on core 1, loaded in alternating rounds; the figure
that matters is each server's CPU time per request (utime+stime of the whole
process over the requests wrk counted), median of the rounds. Needs wrk and
taskset.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench.runtime_bench import SCRIPTS  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _project(base: Path, name: str, kind: str) -> Path:
    root = base / name
    (root / "src").mkdir(parents=True)
    (root / "isoplay.toml").write_text(f'name = "{name}"\nversion = "1.0.0"\nmain = "src/index.ts"\n[limits]\n'
                                       'max_isolates = 1\nmin_idle = 1\n')
    (root / "src" / "index.ts").write_text(SCRIPTS[kind])
    return root


def _wait_url(log: Path, pattern: str) -> str:
    for _ in range(600):
        found = re.search(pattern, log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ISOPLAY_TOKEN"}


def start_dev(base: Path, kind: str) -> tuple[subprocess.Popen[bytes], str]:
    log = base / "dev.log"
    proc = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "app", "dev", str(_project(base, "dev", kind)),
                             "--port", "0", "--no-cron", "--no-watch"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=log.open("w"), env=_env())
    return proc, _wait_url(log, r"at (http://127\.0\.0\.1:\d+)/")


def start_serve(base: Path, kind: str) -> tuple[subprocess.Popen[bytes], str]:
    from runtime.publish_client import PublishClient, build_release

    data, log = base / "data", base / "serve.log"
    token = subprocess.run([sys.executable, "-m", "app", "serve", "--data", str(data), "--create-token", "bench"],
                           cwd=ROOT, capture_output=True, text=True, env=_env(), check=True).stdout.strip()
    proc = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "app", "serve", "--data", str(data), "--port",
                             "0", "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("w"),
                            env=_env())
    url = _wait_url(log, r"serve: (http://127\.0\.0\.1:\d+)/")
    with PublishClient(url, token) as client:
        client.publish(build_release(_project(base, "app", kind)))
    return proc, url + "/app"


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wrk(url: str, seconds: int) -> tuple[int, float]:
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{seconds}s", url + "/"],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors:\n{out}")
    return int(re.search(r"(\d+) requests in", out).group(1)), float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="hello", choices=sorted(SCRIPTS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="isoplay-serve-vs-dev-"))
    load = os.getloadavg()[0]
    servers = {}
    try:
        servers["dev"] = start_dev(base, args.kind)
        servers["serve"] = start_serve(base, args.kind)
        for _, url in servers.values():
            wrk(url, 1)
        results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in servers}
        names = list(servers)
        for r in range(args.rounds):
            for name in names[r % 2:] + names[:r % 2]:
                proc, url = servers[name]
                before = cpu_s(proc.pid)
                count, rps = wrk(url, args.seconds)
                results[name][0].append(rps)
                results[name][1].append((cpu_s(proc.pid) - before) / count * 1e6)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(30)
    print(f"{args.kind}, both pinned to core 0, wrk -c32 on core 1, median of {args.rounds} rounds of {args.seconds} s "
          f"(load average {load:.1f} -> {os.getloadavg()[0]:.1f}):")
    for name, (rps, us) in results.items():
        print(f"  isoplay {name:5s}: {statistics.median(rps):8,.0f} req/s  {statistics.median(us):5.1f} us CPU/request")
    dev, serve = (statistics.median(results[n][1]) for n in ("dev", "serve"))
    print(f"  serve costs {serve / dev:.2f}x dev's CPU per request")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
