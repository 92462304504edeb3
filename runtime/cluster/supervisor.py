"""The supervisor of ``isoplay serve --workers N``: spawns, restarts and drains worker processes.

The supervisor owns the listening socket and passes it to each worker (POSIX
``pass_fds``), with two pipes: the read end of a *life* pipe (EOF there means
the supervisor is gone, so the worker stops) and the write end of a *ready*
pipe (the worker writes its index there once it accepts connections).

Why one inherited socket rather than one ``SO_REUSEPORT`` socket per worker:
when a ``SO_REUSEPORT`` listener closes, the connections still queued in its
own accept backlog are reset, so every worker restart would drop requests. With
one shared socket, a draining worker closes only its copy and the queue stays
with the others. The kernel wakes every worker for a new connection and the
first awake takes it, which left keep-alive bursts unevenly spread; the workers
balance their accepts through a shared table of open connections that the
supervisor creates and hands down (``runtime/cluster/balance.py``).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from runtime.cluster.balance import ENV as BALANCE_ENV, create_table, mark_absent

WorkerCommand = Callable[[int, int, int, int], list[str]]
"""``(index, listen_fd, life_fd, ready_fd) -> argv`` of one worker process."""

RESTART_DELAYS_S = (0.0, 0.5, 1.0, 2.0, 5.0)
"""Delay before restarting a worker, by how many times it died within 10 s of its start."""


@dataclass
class Worker:
    """One running worker process."""

    index: int
    proc: subprocess.Popen[bytes]
    started: float
    ready: bool = False
    quick_deaths: int = 0
    """How many times in a row this slot died soon after starting."""
    slot: int = -1
    """Its slot in the accept-balance table (runtime/cluster/balance.py), -1 without one."""


@dataclass(frozen=True)
class SupervisorStatistics:
    """What the supervisor has done so far."""

    workers: int
    ready: int
    restarts: int
    pids: tuple[int, ...]


@dataclass
class _Signals:
    stop: bool = False
    reload: bool = False
    received: list[int] = field(default_factory=list)


class Supervisor:
    """Run ``count`` workers on ``sock`` until SIGTERM/SIGINT; restart the ones that die.

    Args:
        sock: The bound, listening socket every worker accepts on.
        count: How many workers.
        command: Builds a worker's argv from its index and inherited fds.
        grace_s: How long a draining worker may take before it is killed.
        log: Where progress lines go (stderr by default).
    """

    def __init__(self, sock: socket.socket, count: int, command: WorkerCommand, *, grace_s: float = 10.0,
                 ready_timeout_s: float = 60.0, log: Callable[[str], None] | None = None) -> None:
        if count < 1:
            raise ValueError("a supervisor needs at least one worker")
        self.sock = sock
        self.count = count
        self.command = command
        self.grace_s = grace_s
        self.ready_timeout_s = ready_timeout_s
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.workers: dict[int, Worker] = {}
        self.restarts = 0
        self._signals = _Signals()
        self._life_r, self._life_w = os.pipe()
        self._ready_r, self._ready_w = os.pipe()
        os.set_blocking(self._ready_r, False)
        self._ready_buf = b""
        self._slots = 2 * count  # a replacement takes another slot than the worker it replaces while both run
        self._balance_fd = create_table(self._slots) if count > 1 else None
        """The shared table of open connections per worker (None where memfd is missing)."""

    # ---- spawning ------------------------------------------------------------
    def _spawn(self, index: int, quick_deaths: int = 0) -> Worker:
        fds = (self.sock.fileno(), self._life_r, self._ready_w)
        argv = self.command(index, *fds)
        slot, env = -1, None
        if self._balance_fd is not None:
            current = self.workers.get(index)
            slot = index + self.count if current is not None and current.slot == index and \
                current.proc.poll() is None else index
            env = {**os.environ, BALANCE_ENV: f"{self._balance_fd}:{slot}:{self._slots}"}
        proc = subprocess.Popen(argv, pass_fds=fds if self._balance_fd is None else (*fds, self._balance_fd), env=env)
        worker = Worker(index, proc, time.monotonic(), quick_deaths=quick_deaths, slot=slot)
        return worker

    def _gone(self, worker: Worker) -> None:
        """A worker exited: its slot in the balance table no longer counts."""
        if self._balance_fd is not None and worker.slot >= 0:
            mark_absent(self._balance_fd, worker.slot, self._slots)

    def _read_ready(self, timeout: float) -> list[int]:
        """Indexes of workers that reported ready (waits up to ``timeout``)."""
        readable, _, _ = select.select([self._ready_r], [], [], max(0.0, timeout))
        if not readable:
            return []
        try:
            self._ready_buf += os.read(self._ready_r, 4096)
        except BlockingIOError:
            return []
        *lines, self._ready_buf = self._ready_buf.split(b"\n")
        return [int(line) for line in lines if line.strip().isdigit()]

    def _mark_ready(self, indexes: Sequence[int], pending: dict[int, Worker] | None = None) -> None:
        for index in indexes:
            for pool in (self.workers, pending or {}):
                worker = pool.get(index)
                if worker is not None and not worker.ready and worker.proc.poll() is None:
                    worker.ready = True
                    break

    def start(self) -> None:
        """Spawn every worker and wait until all accept connections.

        Raises:
            RuntimeError: a worker exited before it was ready, or none got ready in time.
        """
        for index in range(self.count):
            self.workers[index] = self._spawn(index)
        deadline = time.monotonic() + self.ready_timeout_s
        while not all(w.ready for w in self.workers.values()):
            dead = [w for w in self.workers.values() if w.proc.poll() is not None]
            if dead:
                self._terminate_all()
                raise RuntimeError(f"worker {dead[0].index} exited with code {dead[0].proc.returncode} "
                                   "before it was ready")
            if time.monotonic() > deadline:
                self._terminate_all()
                raise RuntimeError(f"the workers were not ready within {self.ready_timeout_s:g} s")
            self._mark_ready(self._read_ready(0.1))

    # ---- running ---------------------------------------------------------------
    def _install_signals(self) -> None:
        def on_stop(signum: int, _frame: object) -> None:
            self._signals.stop = True
            self._signals.received.append(signum)

        def on_reload(_signum: int, _frame: object) -> None:
            self._signals.reload = True

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, on_reload)

    def run(self) -> int:
        """Supervise until asked to stop, then drain every worker. Returns the exit code."""
        self._install_signals()
        while not self._signals.stop:
            self._mark_ready(self._read_ready(0.2))
            self._reap_and_restart()
            if self._signals.reload:
                self._signals.reload = False
                self.rolling_restart()
        self.log(f"isoplay serve: draining {len(self.workers)} worker(s)")
        self._terminate_all()
        os.close(self._life_w)
        return 0

    def _reap_and_restart(self) -> None:
        for index, worker in list(self.workers.items()):
            code = worker.proc.poll()
            if code is None or self._signals.stop:
                continue
            quick = time.monotonic() - worker.started < 10.0
            deaths = worker.quick_deaths + 1 if quick else 0
            delay = RESTART_DELAYS_S[min(deaths, len(RESTART_DELAYS_S) - 1)]
            self._gone(worker)
            self.log(f"isoplay serve: worker {index} (pid {worker.proc.pid}) exited with code {code}; "
                     f"restarting it{f' in {delay:g} s' if delay else ''}")
            if delay:
                time.sleep(delay)
            self.workers[index] = self._spawn(index, deaths)
            self.restarts += 1

    def rolling_restart(self) -> None:
        """Replace every worker, one at a time: the new one is ready before the old one drains."""
        for index in sorted(self.workers):
            old = self.workers[index]
            new = self._spawn(index)
            deadline = time.monotonic() + self.ready_timeout_s
            pending = {index: new}
            while not new.ready and new.proc.poll() is None and time.monotonic() < deadline:
                self._mark_ready(self._read_ready(0.1), pending)
            if not new.ready:
                self.log(f"isoplay serve: the replacement of worker {index} did not get ready; keeping the old one")
                self._stop_one(new)
                continue
            self.workers[index] = new
            self._stop_one(old)
            self.restarts += 1
        self.log(f"isoplay serve: restarted {len(self.workers)} worker(s)")

    def _stop_one(self, worker: Worker) -> None:
        if worker.proc.poll() is None:
            worker.proc.send_signal(signal.SIGTERM)
        try:
            worker.proc.wait(self.grace_s)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()
        self._gone(worker)

    def _terminate_all(self) -> None:
        for worker in self.workers.values():
            if worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for worker in self.workers.values():
            try:
                worker.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()

    def statistics(self) -> SupervisorStatistics:
        """Worker count, how many are ready, restarts so far, and the pids."""
        return SupervisorStatistics(len(self.workers), sum(w.ready for w in self.workers.values()), self.restarts,
                                    tuple(w.proc.pid for w in self.workers.values()))

    def __repr__(self) -> str:
        stats = self.statistics()
        return f"<Supervisor workers={stats.workers} ready={stats.ready} restarts={stats.restarts}>"


def watch_parent(life_fd: int, on_gone: Callable[[], None]) -> None:
    """In a worker: call ``on_gone`` (from the running asyncio loop) when the supervisor's life pipe closes."""
    import asyncio

    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(life_fd, 1)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(life_fd)
            on_gone()

    loop.add_reader(life_fd, readable)


def report_ready(ready_fd: int, index: int) -> None:
    """In a worker: tell the supervisor this worker accepts connections."""
    os.write(ready_fd, f"{index}\n".encode())
    os.close(ready_fd)
