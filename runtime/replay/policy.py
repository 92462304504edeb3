"""Which recorded invocations the server keeps, and keeping them off the event loop.

Isolates of an app whose ``[recordings]`` policy is active record every
invocation (cheaply: see ``runtime.replay.tape``); when the result is
delivered, ``ServerRecorder.keep`` decides: a failure (error, timeout, limit
hit, 5xx) is kept when ``failures`` is on, any other invocation with
probability ``sample``. A kept one is redacted (the manifest's vars; server
apps have no secrets), encoded and stored by a single writer thread, which also
applies the app's ring bound and retention (``runtime.store.recordings``).
Everything else is dropped at once.

The request path only files the raw tape (``keep``: a few microseconds): per
app, into a heap that holds the newest ``max_count`` by start time, so a newer
one pushes the oldest out at once (the count bound would have pruned it in
the transaction that wrote it: the store ends the same, unless the byte bound
bites, where the store would skip a large recording and keep an older one). Every ``WINDOW_S`` the
writer takes the heaps, encodes what they hold and keeps it in one
transaction; with ``sample = 1`` a store write per invocation cost more than
the invocation. What waits is bounded by the ring bounds, so a store that
cannot keep up costs no memory beyond them. ``flush`` (the API does it before
listing) and ``close`` write at once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from runtime.invocation import InvocationResult
from runtime.manifest import RecordPolicy
from runtime.replay.redact import Redactor
from runtime.store.recordings import RecordingStore, Retention

log = logging.getLogger(__name__)
MB = 1024 * 1024
WINDOW_S = 0.25
"""How long the writer gathers recordings before a transaction."""


def is_failure(result: InvocationResult) -> bool:
    """An error, a limit hit or a 5xx answer."""
    return result.outcome != "ok" or (result.status or 0) >= 500


def retention(policy: RecordPolicy) -> Retention:
    """The store's bound for a policy."""
    return Retention(policy.max_count, policy.max_mb * MB, policy.retention_hours * 3600.0)


class ServerRecorder:
    """Keeps the recordings a policy wants, in a store, from one writer thread."""

    def __init__(self, store: RecordingStore, *, clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.kept = 0
        """Recordings handed to the writer (``superseded`` of them were pushed out before it wrote)."""
        self.dropped = 0
        self.unrecordable = 0
        """Recordings the policy wanted that cannot be replayed (see ``keep``), so were not kept."""
        self.superseded = 0
        """Recordings a newer one of the same app pushed out of its ring before the writer took them."""
        self.window = WINDOW_S
        self.writer_cpu_s = 0.0
        """CPU time the writer thread spent encoding and storing recordings."""
        self._lock = threading.Lock()
        self._rings: dict[str, list[tuple[float, int, tuple[Any, ...]]]] = {}
        """app -> heap of (started, sequence, job): the newest max_count recordings waiting for the writer."""
        self._waiters: list[threading.Event] = []
        self._stop = False
        self._seq = itertools.count()
        self._wake = threading.Event()
        """Something waits: a recording, a flush, the end."""
        self._hurry = threading.Event()
        """Write without waiting for the window (flush, close)."""
        self._per_bundle: dict[str, tuple[Redactor, Retention]] = {}
        """The redactor and the store bound of each bundle (by content hash: its manifest is fixed)."""
        self._writer = threading.Thread(target=self._write, name="isoplay-recordings", daemon=True)
        self._writer.start()

    def keep(self, app: str, version: str, bundle: Any, result: InvocationResult) -> bool:
        """Keep ``result``'s recording if the policy wants it; returns whether it went to the writer."""
        tape = result.recording
        if tape is None:
            return False
        result.recording = None
        policy: RecordPolicy = bundle.manifest.recordings
        if not ((policy.failures and is_failure(result)) or (policy.sample > 0 and self.rng() < policy.sample)):
            self.dropped += 1
            return False
        if result.trigger == "socket" or tape.body_cut or getattr(tape.trigger, "body_stream", None) is not None:
            # not recordable: socket events, a response body streamed past RECORD_STREAMED_BODY_MAX, and a
            # request body streamed into the isolate (an upload over 64 KiB or chunked): the trigger has
            # no body, so its replay would run without one
            self.unrecordable += 1
            return False
        per_bundle = self._per_bundle.get(bundle.content_hash)
        if per_bundle is None:
            per_bundle = self._per_bundle[bundle.content_hash] = (Redactor({}, dict(bundle.manifest.vars)),
                                                                  retention(policy))
        bound = per_bundle[1].max_count
        entry = (tape.started, next(self._seq), (app, version, bundle.content_hash, tape, result, *per_bundle))
        with self._lock:
            self.kept += 1
            ring = self._rings.setdefault(app, [])
            if len(ring) < bound:
                heapq.heappush(ring, entry)
            else:  # the oldest (by start) of this ring and the new one: one of them goes
                self.superseded += 1
                if bound > 0:
                    heapq.heappushpop(ring, entry)
        if not self._wake.is_set():  # set() takes the Event's lock and notifies: once per window is enough
            self._wake.set()
        return True

    def _write(self) -> None:
        """The writer thread: every ``window``, what the rings hold goes to the store in one transaction."""
        while True:
            self._wake.wait()
            self._hurry.wait(self.window)  # flush() and close() cut the wait short
            with self._lock:
                rings, self._rings = self._rings, {}
                waiters, self._waiters = self._waiters, []
                stop = self._stop
                self._wake.clear()
                self._hurry.clear()
            cpu_started = time.thread_time()
            items = []
            for ring in rings.values():
                for _, _, job in ring:
                    item = self._encode(*job)
                    if item is not None:
                        items.append(item)
            if items:
                try:
                    self.store.add_many(items, now=self.clock())
                except Exception:  # a store outage loses these recordings, never the invocations
                    log.exception("could not keep %d recording(s)", len(items))
            self.writer_cpu_s += time.thread_time() - cpu_started
            for event in waiters:
                event.set()
            if stop:
                return

    @staticmethod
    def _encode(app: str, version: str, bundle_hash: str, tape: Any, result: InvocationResult,
                redactor: Redactor, bound: Retention) -> Any:
        try:
            rec = tape.to_recording(result, bundle_hash=bundle_hash, app=app, version=version, redactor=redactor)
            return (app, rec.id, rec.started, rec.summary(), rec.to_bytes(), bound)
        except Exception:  # an isoplay bug: lose the recording, keep serving
            log.exception("could not encode a recording of %s", app)
            return None

    def pending(self) -> int:
        """Recordings waiting for the writer."""
        with self._lock:
            return sum(len(ring) for ring in self._rings.values())

    def flush(self) -> None:
        """Wait until every recording handed over so far is stored."""
        done = threading.Event()
        with self._lock:
            if self._stop or not self._writer.is_alive():
                return
            self._waiters.append(done)
        self._hurry.set()
        self._wake.set()
        done.wait()

    def close(self) -> None:
        """Store what is pending, then stop the writer and close the store."""
        if self._writer.is_alive():
            with self._lock:
                self._stop = True
            self._hurry.set()
            self._wake.set()
            self._writer.join()
        self.store.close()
