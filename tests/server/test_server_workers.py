"""``isoplay serve --workers 2``: real worker processes under a real supervisor, on 127.0.0.1.

Restarts, drains and rolling restarts are checked under load from client
threads that open a new connection per request, so every request that a
worker drops would show as a failure.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient
from runtime.server.sqlite_storage import SqliteDeploymentStorage
from runtime.server.tokens import create_token
from serve_process import ServeProcess
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers needs a POSIX system")


class Cluster(ServeProcess):
    """A running ``isoplay serve --workers N`` subprocess, with an admin token."""

    def __init__(self, data: Path, workers: int) -> None:
        storage = SqliteDeploymentStorage.open(data)
        self.token = create_token(storage, "tests")
        storage.close()
        super().__init__(["--data", str(data), "--port", "0", "--workers", str(workers)])
        assert f"{workers} workers" in self.banner, self.banner

    def health(self) -> dict[str, object]:
        """/api/health from whichever worker takes a new connection."""
        return httpx.get(f"{self.url}/api/health", headers={"connection": "close"}, timeout=10).json()

    def worker_pids(self, expect: int, attempts: int = 400) -> set[int]:
        """The pids that answer, asking until ``expect`` distinct ones did (bounded)."""
        seen: set[int] = set()
        for _ in range(attempts):
            seen.add(int(self.health()["pid"]))  # type: ignore[call-overload]
            if len(seen) >= expect:
                break
        return seen


@pytest.fixture
def cluster(tmp_path: Path, tools: object) -> Iterator[Callable[[int], Cluster]]:
    started: list[Cluster] = []

    def make(workers: int = 2) -> Cluster:
        started.append(Cluster(tmp_path / f"data-{len(started)}", workers))
        return started[-1]

    yield make
    for c in started:
        c.stop()


class Load:
    """Client threads sending GETs, each on a new connection, until stopped; they count what failed."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.ok = 0
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self) -> None:
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=20) as client:
            while not self._stop.is_set():
                try:
                    response = client.get(self.url)
                    good = response.status_code == 200
                    detail = f"{response.status_code} {response.text[:80]}"
                except httpx.HTTPError as exc:
                    good, detail = False, f"{type(exc).__name__}: {exc}"
                with self._lock:
                    if good:
                        self.ok += 1
                    else:
                        self.failed.append(detail)

    def finish(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)


def wait_until(check: Callable[[], bool], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.05)


def publish(cluster: Cluster, bundle: Bundle) -> None:
    with PublishClient(cluster.url, cluster.token) as client:
        client.publish(bundle)


def test_a_killed_worker_is_restarted_and_requests_keep_succeeding(
        cluster: Callable[[int], Cluster], release: Callable[..., Bundle]) -> None:
    c = cluster(2)
    publish(c, release("hello", "1.0.0"))
    pids = c.worker_pids(2)
    assert len(pids) == 2, pids
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    restarted = c.lines.get(timeout=30)
    assert f"pid {victim}" in restarted and "restarting" in restarted, restarted
    after = c.worker_pids(2)
    assert victim not in after and len(after) == 2, after
    assert httpx.get(f"{c.url}/hello/", timeout=10).json()["version"] == "1.0.0"


def test_a_worker_draining_under_load_drops_no_request(
        cluster: Callable[[int], Cluster], release: Callable[..., Bundle]) -> None:
    c = cluster(2)
    publish(c, release("hello", "1.0.0"))
    pids = c.worker_pids(2)
    load = Load(f"{c.url}/hello/")
    try:
        wait_until(lambda: load.ok > 50, 30)
        os.kill(min(pids), signal.SIGTERM)
        seen = load.ok
        wait_until(lambda: load.ok > seen + 200, 60)
    finally:
        load.finish()
    assert load.failed == [], load.failed[:5]


def test_sighup_replaces_every_worker_one_at_a_time_without_dropping_a_request(
        cluster: Callable[[int], Cluster], release: Callable[..., Bundle]) -> None:
    c = cluster(2)
    publish(c, release("hello", "1.0.0"))
    before = c.worker_pids(2)
    load = Load(f"{c.url}/hello/")
    try:
        wait_until(lambda: load.ok > 50, 30)
        c.proc.send_signal(signal.SIGHUP)
        line = ""
        while "restarted 2 worker(s)" not in line:
            line = c.lines.get(timeout=90)
        seen = load.ok
        wait_until(lambda: load.ok > seen + 50, 30)
    finally:
        load.finish()
    assert load.failed == [], load.failed[:5]
    after = c.worker_pids(2)
    assert len(after) == 2 and not after & before, (before, after)


def test_crons_run_in_exactly_one_worker(cluster: Callable[[int], Cluster], release: Callable[..., Bundle]) -> None:
    c = cluster(2)
    publish(c, release("ticker", "1.0.0", extra='\n[triggers]\ncrons = ["*/5 * * * *"]\n'))
    crons: dict[int, int] = {}
    deadline = time.monotonic() + 30
    while (len(crons) < 2 or sum(crons.values()) != 1) and time.monotonic() < deadline:
        health = c.health()
        crons[int(health["pid"])] = int(health["crons"])  # type: ignore[call-overload]
    assert len(crons) == 2 and sorted(crons.values()) == [0, 1], crons


def test_the_supervisor_stops_cleanly_and_its_workers_never_outlive_it(
        cluster: Callable[[int], Cluster], release: Callable[..., Bundle]) -> None:
    graceful = cluster(2)
    pids = graceful.worker_pids(2)
    assert graceful.stop() == 0
    for pid in pids:
        wait_until(lambda: not _alive(pid), 10)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{graceful.url}/api/health", timeout=5)

    killed = cluster(2)
    pids = killed.worker_pids(2)
    killed.proc.kill()  # kill -9: no chance to stop its workers; they notice the closed life pipe
    killed.proc.wait(10)
    for pid in pids:
        wait_until(lambda: not _alive(pid), 15)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not reaped by its dead parent yet) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
