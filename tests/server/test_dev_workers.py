"""``isoplay dev --workers 2``: two real processes on one port, each reloading on save, sharing KV;
a killed worker is restarted; SIGTERM stops everything."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]

SOURCE = """
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    if (new URL(request.url).pathname === "/count") {
      const n = Number((await env.KV.get("n")) ?? "0") + 1;
      await env.KV.put("n", String(n));
      return new Response(String(n));
    }
    return new Response("VERSION");
  },
};
"""
MANIFEST = 'name = "dw"\nversion = "1.0.0"\nmain = "src/index.ts"\n\n[[kv_namespaces]]\nbinding = "KV"\n'


def _pids_seen(url: str, want: int, within_s: float) -> dict[int, dict[str, Any]]:
    """Health answers by worker pid, until ``want`` workers answered (new connections spread over them)."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + within_s
    while len(seen) < want:
        assert time.monotonic() < deadline, f"only {sorted(seen)} answered"
        try:
            health = httpx.get(f"{url}/__isoplay/health", headers={"connection": "close"}, timeout=10).json()
        except httpx.TransportError:
            continue
        if health.get("status") == "ok":
            seen[health["pid"]] = health
    return seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_dev_workers_reload_share_kv_restart_and_stop(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": SOURCE.replace("VERSION", "v1")}, manifest=MANIFEST)
    env = {k: v for k, v in os.environ.items() if k != "ISOPLAY_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--workers", "2"],
                            cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)  # type: ignore[union-attr]
    reader.start()
    workers: list[int] = []
    try:
        banner = lines.get(timeout=90)
        while not banner.startswith("isoplay dev: serving"):  # worker 0's build report may come first
            banner = lines.get(timeout=90)
        assert banner.startswith("isoplay dev: serving") and "2 workers" in banner, banner
        url = banner.split(" at ")[1].split()[0].rstrip("/")
        workers = [int(p) for p in banner.split("pids ")[1].split(";")[0].split()]
        assert sorted(_pids_seen(url, 2, 60)) == sorted(workers)

        with httpx.Client(timeout=10, headers={"connection": "close"}) as http:
            counts = [http.get(f"{url}/count").text for _ in range(12)]  # spread over both processes
            assert counts == [str(n) for n in range(1, 13)]  # one KV file, shared

            (root / "src" / "index.ts").write_text(SOURCE.replace("VERSION", "v2"), encoding="utf-8")
            deadline = time.monotonic() + 60
            while True:  # each worker reloads by itself: wait until neither serves v1
                answers = [http.get(f"{url}/").text for _ in range(8)]
                if answers == ["v2"] * 8 and len({h["version"] for h in _pids_seen(url, 2, 30).values()}) == 1:
                    break
                assert time.monotonic() < deadline, answers
                time.sleep(0.2)

        victim = workers[1]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:  # the supervisor starts a replacement
            seen = _pids_seen(url, 2, 60)
            if victim not in seen:
                break
            assert time.monotonic() < deadline
        workers = sorted(seen)
        assert httpx.get(f"{url}/", timeout=10).text == "v2"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        reader.join(10)
        proc.stderr.close()  # type: ignore[union-attr]
    assert code == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the supervisor"
