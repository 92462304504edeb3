"""Spreading the connections of a shared listening socket evenly over the worker processes.

Every worker of ``--workers N`` accepts on the same inherited socket (see
``runtime.cluster.supervisor``), and the kernel wakes all of them for a new
connection: whichever runs first takes it, and a worker that is already awake
takes a whole burst. Keep-alive clients open their connections in a burst and
keep them, so a load generator's (or a load balancer's) 32 connections were
spread 31/1 or 28/4 over two workers (measured with ``ss`` under wrk): one
worker saturated, the other idle, and two workers served barely more than one.

So the workers share a small table in memory (a ``memfd`` the supervisor makes
and hands down): each worker's count of open connections, in its own slot,
written only by that worker. A worker that holds more than ``MARGIN`` more
connections than the least loaded live worker waits ``WAIT_S`` before it
accepts, so the other one takes the connection; if nobody did in that time
(the other worker is busy or stuck), it accepts anyway. A connection is thus
never refused and waits at most ``WAIT_S``; short-lived connections keep
counts near zero and are accepted at once.

Slots of workers that are not running hold ``ABSENT`` (the supervisor writes it
when a worker exits); a rolling restart gives the replacement another slot
than the draining worker's, so their counts do not mix.
"""

from __future__ import annotations

import mmap
import os
import sys

ENV = "ISOPLAY_ACCEPT_BALANCE"
"""``fd:slot:slots`` for a worker: the shared table's descriptor, its slot, the table's size."""
ABSENT = 1 << 62
"""A slot no running worker owns."""
MARGIN = 1
"""Connections a worker may hold beyond the least loaded live worker before it defers."""
WAIT_S = 0.01
"""How long a worker ahead of the others defers a pending connection before taking it anyway."""


class AcceptBalance:
    """One worker's view of the shared connection-count table."""

    def __init__(self, fd: int, slot: int, slots: int) -> None:
        if not 0 <= slot < slots:
            raise ValueError(f"slot {slot} is outside a table of {slots}")
        self._map = mmap.mmap(fd, slots * 8)
        self.counts = memoryview(self._map).cast("q")
        self.slot = slot
        self._left = False

    @classmethod
    def from_env(cls) -> AcceptBalance | None:
        """The table the supervisor handed down, or None (a lone server, or a platform without memfd)."""
        spec = os.environ.get(ENV, "")
        if not spec:
            return None
        try:
            fd, slot, slots = (int(part) for part in spec.split(":"))
            return cls(fd, slot, slots)
        except (ValueError, OSError) as exc:
            print(f"isoplay: ignoring {ENV}={spec!r} ({exc}); connections are not balanced", file=sys.stderr)
            return None

    def start(self) -> None:
        """This worker accepts from now on, with no connection yet."""
        self.counts[self.slot] = 0

    def opened(self) -> None:
        """This worker accepted a connection."""
        if not self._left:
            self.counts[self.slot] += 1

    def closed(self) -> None:
        """One of this worker's connections closed."""
        if not self._left:
            self.counts[self.slot] -= 1

    def ahead(self) -> bool:
        """Whether another live worker holds more than MARGIN fewer connections than this one."""
        counts = self.counts
        mine = counts[self.slot]
        least = min(counts)
        return least < ABSENT and mine - least > MARGIN

    def close(self) -> None:
        """Leave the table (the worker stops accepting; its open connections no longer count)."""
        self._left = True
        self.counts[self.slot] = ABSENT


def create_table(slots: int) -> int | None:
    """A shared table of ``slots`` counts, all ABSENT: its file descriptor (inheritable), or None where
    memfd is missing (the workers then accept unbalanced, as before)."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is None:
        return None
    try:
        fd = memfd_create("isoplay-accept-balance", 0)  # not close-on-exec: pass_fds hands it down
    except OSError:
        return None
    os.ftruncate(fd, slots * 8)
    with mmap.mmap(fd, slots * 8) as table:
        view = memoryview(table).cast("q")
        for i in range(slots):
            view[i] = ABSENT
        view.release()
    return fd


def mark_absent(fd: int, slot: int, slots: int) -> None:
    """The worker of ``slot`` is gone (the supervisor calls this when it exits)."""
    with mmap.mmap(fd, slots * 8) as table:
        view = memoryview(table).cast("q")
        view[slot] = ABSENT
        view.release()
