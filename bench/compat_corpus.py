"""``python bench/compat_corpus.py [--wrangler] [-n 200] [PROJECT ...]``: the corpus under ``isoplay dev``
(and, with ``--wrangler``, under ``wrangler dev``), first-response time and warm p50, as a table.

For each project of tests/compat/projects/ (dependencies installed as the tests do):
start the dev server as a process on a free 127.0.0.1 port, time spawn -> the first
successful answer to the project's first GET request, then send that request ``-n`` times
one after another and take the median. With ``--wrangler``, wrangler (pinned below) is
installed once with isoplay's npm into the user cache and run the same way; it is NOT
part of CI (it downloads workerd). Figures from a shared machine are noisy: read them
as orders of magnitude, and run it twice.
"""

from __future__ import annotations

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

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "compat"))

import corpus  # noqa: E402

WRANGLER_VERSION = "4.164.0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_get(project: Path) -> str | None:
    for step in corpus.spec(project)["requests"]:
        method, _, target = step["request"].partition(" ")
        if method == "GET" and "${" not in target and not step.get("headers"):
            return target
    return None


def measure(argv: list[str], cwd: Path, base: str | None, target: str, n: int, env: dict[str, str],
            port_from_log: bool) -> tuple[float, float] | None:
    """(seconds to first answer, warm p50 ms) of one dev server process."""
    log = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=log, env=env, start_new_session=True)
    try:
        deadline = started + 60
        url = None
        with httpx.Client(timeout=5) as client:
            while time.perf_counter() < deadline:
                if proc.poll() is not None:
                    log.seek(0)
                    print(log.read().decode(errors="replace")[-2000:], file=sys.stderr)
                    return None
                if url is None:
                    if port_from_log:
                        log.seek(0)
                        m = re.search(rb"at http://127\.0\.0\.1:(\d+)/", log.read())
                        url = f"http://127.0.0.1:{m.group(1).decode()}" if m else None
                    else:
                        url = base
                if url is not None:
                    try:
                        if client.get(url + target).status_code < 500:
                            break
                    except httpx.HTTPError:
                        pass
                time.sleep(0.01)
            else:
                return None
            first = time.perf_counter() - started
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                client.get(url + target)
                times.append((time.perf_counter() - t0) * 1000)
        return first, statistics.median(times)
    finally:
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)
        log.close()


def wrangler_cli() -> Path:
    """wrangler, installed once into the user cache with isoplay's npm."""
    import platformdirs

    from app.commands.npm import command

    target = Path(platformdirs.user_cache_dir("isoplay")) / "bench-wrangler" / WRANGLER_VERSION
    cli = target / "node_modules" / "wrangler" / "bin" / "wrangler.js"
    if not cli.is_file():
        target.mkdir(parents=True, exist_ok=True)
        argv, env = command("npm")
        subprocess.run([*argv, "install", "--no-audit", "--no-fund", f"wrangler@{WRANGLER_VERSION}"], cwd=target,
                       env=env, check=True)
    return cli


def main(args: list[str]) -> int:
    n = int(args[args.index("-n") + 1]) if "-n" in args else 200
    names = [a for a in args if not a.startswith("-") and not a.isdigit()]
    with_wrangler = "--wrangler" in args
    from app.commands.npm import command

    node, env = command("npm")[0][0], command("npm")[1]
    env = {**env, "WRANGLER_SEND_METRICS": "false", "CI": "1"}
    rows = []
    for project in corpus.projects():
        if names and project.name not in names:
            continue
        spec = corpus.spec(project)
        target = first_get(project)
        if target is None or spec.get("upstream") or spec.get("requires"):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = corpus.materialise(project, Path(tmp) / project.name)
            iso = measure([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-watch", "--no-cron"],
                          ROOT, None, target, n, {**os.environ, "PYTHONPATH": str(ROOT)}, True)
            wr = None
            if with_wrangler and not spec.get("isoplay_only"):
                port = free_port()
                shutil.rmtree(root / ".wrangler", ignore_errors=True)
                wr = measure([node, str(wrangler_cli()), "dev", "--port", str(port), "--ip", "127.0.0.1"], root,
                             f"http://127.0.0.1:{port}", target, n, env, False)
        rows.append((project.name, iso, wr))
        print(f"{project.name:28} isoplay {fmt(iso)}   wrangler {fmt(wr)}", flush=True)
    print()
    print(f"{'project':28} {'isoplay first s':>15} {'p50 ms':>8} {'wrangler first s':>17} {'p50 ms':>8} {'p50 ratio':>9}")
    for name, iso, wr in rows:
        ratio = f"{wr[1] / iso[1]:9.1f}" if iso and wr else f"{'-':>9}"
        print(f"{name:28} {col(iso, 0, 15)} {col(iso, 1, 8)} {col(wr, 0, 17)} {col(wr, 1, 8)} {ratio}")
    print(json.dumps({name: {"isoplay": iso, "wrangler": wr} for name, iso, wr in rows}))
    return 0


def fmt(m: tuple[float, float] | None) -> str:
    return "failed/skipped" if m is None else f"first {m[0]:.2f} s, p50 {m[1]:.2f} ms"


def col(m: tuple[float, float] | None, i: int, width: int) -> str:
    if m is None:
        return f"{'-':>{width}}"
    return f"{m[i]:{width}.3f}" if i == 0 else f"{m[i]:{width}.2f}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
