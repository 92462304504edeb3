"""Which recorded invocations the server keeps, and keeping them off the event loop.

Isolates of an app whose ``[recordings]`` policy is active record every
invocation (cheaply: see ``runtime.replay.tape``); when the result is
delivered, ``ServerRecorder.keep`` decides: a failure (error, timeout, limit
hit, 5xx) is kept when ``failures`` is on, any other invocation with
probability ``sample``. A kept one is redacted (the manifest's vars; server
apps have no secrets), encoded and stored by a single writer thread, which also
applies the app's ring bound and retention (``runtime.store.recordings``).
Everything else is dropped at once.

The request path only files the raw tape (``keep``: about a microsecond): per
app, into a list that is cut back to the newest ``max_count`` by start time
whenever it holds twice that (a sort of a nearly sorted list: cheaper per
recording than a heap push), so a newer one pushes the oldest out (the count
bound would have pruned it in the transaction that wrote it: the store ends the
same, unless the byte bound bites, where the store would skip a large recording
and keep an older one). Every ``WINDOW_S`` (or
``BUSY_WINDOW_S`` after a window in which a ring overflowed) the writer takes the lists (cut to ``max_count``), encodes what they
hold and keeps it in one transaction; with ``sample = 1`` a store write per invocation cost more than
the invocation. What waits is bounded by twice the ring bounds, so a store
that cannot keep up costs no memory beyond them. ``flush`` (the API does it before
listing) and ``close`` write at once.
"""

from __future__ import annotations

from collections import deque
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from runtime.invocation import HttpRequest, InvocationResult
from runtime import isolate as isolate_module
from runtime.manifest import RecordPolicy
from runtime.replay.redact import Redactor
from runtime.store.recordings import RecordingStore, Retention

log = logging.getLogger(__name__)
MB = 1024 * 1024
WINDOW_S = 0.25
"""How long the writer gathers recordings before a transaction."""
NOT_KEPT_SHOWN = 20
"""Invocations per app the recordings list shows as wanted but not recordable (with the reason)."""
BUSY_WINDOW_S = 1.0
"""How long it gathers after a window in which a ring overflowed (an app kept more than ``max_count``
recordings in one window: a newer one pushed an older one out). Each write of such an app stores a whole
ring, ``max_count`` recordings, however long the window, so a longer window costs the same crash loss
(the newest ``max_count`` of the app) and a quarter of the writer's work: at 12,000 hello req/s with
``sample = 1`` the writer's encoding and SQLite work went from ~1 us to ~0.25 us a request."""


def is_failure(result: InvocationResult) -> bool:
    """An error, a limit hit or a 5xx answer."""
    return result.outcome != "ok" or (result.status or 0) >= 500


def _size(n: int) -> str:
    return f"{n // MB} MiB" if n % MB == 0 else f"{n} bytes"


def unrecordable(result: InvocationResult, tape: Any) -> str | None:
    """Why an invocation cannot be recorded so that it replays exactly, or None if it can."""
    if result.trigger == "socket":
        return "WebSocket events are not recorded"
    if tape.body_cut:
        cap = _size(isolate_module.RECORD_STREAMED_BODY_MAX)
        return f"its response body was streamed past {cap} (a recording keeps up to {cap} of it)"
    stream = getattr(tape.trigger, "body_stream", None)
    if stream is not None and getattr(stream, "tape", None) is None:
        if getattr(stream, "tape_cut", False):
            cap = _size(stream.tape_max)
            return (f"its request body was streamed in and read past {cap} "
                    f"(a recording keeps up to {cap} of an upload)")
        return "its request body was streamed in without being recorded"
    return None


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
        self.busy_window = BUSY_WINDOW_S
        """The window after one in which a ring overflowed (``BUSY_WINDOW_S``; never shorter than ``window``)."""
        self.writer_cpu_s = 0.0
        """CPU time the writer thread spent encoding and storing recordings."""
        self._lock = threading.Lock()
        self._rings: dict[str, list[tuple[float, int, tuple[Any, ...]]]] = {}
        """app -> (started, sequence, job) of the recordings waiting for the writer: the newest max_count once cut
        back (``_trim``), at most twice that."""
        self._waiters: list[threading.Event] = []
        self._not_kept: dict[str, deque[dict[str, Any]]] = {}
        """app -> the newest invocations the policy wanted that could not be recorded (``not_kept``)."""
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
        """Keep ``result``'s recording if the policy wants it; returns whether it went to the writer.

        On the request path of every recorded invocation (about a microsecond: bench/replay_bench.py)."""
        tape = result.recording
        if tape is None:
            return False
        result.recording = None
        policy: RecordPolicy = bundle.manifest.recordings
        sample = policy.sample
        if not (sample >= 1.0 or (policy.failures and is_failure(result)) or (sample > 0 and self.rng() < sample)):
            self.dropped += 1
            return False
        if result.trigger == "socket" or tape.body_cut or getattr(tape.trigger, "body_stream", None) is not None:
            reason = unrecordable(result, tape)
            if reason is not None:
                self._refuse(app, version, tape, result, reason)
                return False
        per_bundle = self._per_bundle.get(bundle.content_hash)
        if per_bundle is None:
            per_bundle = self._per_bundle[bundle.content_hash] = (Redactor({}, dict(bundle.manifest.vars)),
                                                                  retention(policy))
        bound = per_bundle[1].max_count
        entry = (tape.started, next(self._seq), (app, version, bundle.content_hash, tape, result, *per_bundle))
        with self._lock:
            self.kept += 1
            ring = self._rings.get(app)
            if ring is None:
                ring = self._rings[app] = []
            ring.append(entry)
            if len(ring) >= 2 * bound:  # the newest max_count stay: a sort of a nearly sorted list, per max_count
                self._trim(ring, bound)
        if not self._wake.is_set():  # set() takes the Event's lock and notifies: once per window is enough
            self._wake.set()
        return True

    def _trim(self, ring: list[tuple[float, int, tuple[Any, ...]]], bound: int) -> None:
        """Keep the newest ``bound`` entries of ``ring`` by start (under the lock)."""
        if len(ring) <= bound:
            return
        ring.sort()
        gone = len(ring) - bound
        del ring[:gone]
        self.superseded += gone

    def _trim_all(self) -> None:
        for ring in self._rings.values():
            if ring:
                self._trim(ring, ring[-1][2][6].max_count)

    def _refuse(self, app: str, version: str, tape: Any, result: InvocationResult, reason: str) -> None:
        """Note an invocation the policy wanted and that cannot be recorded, with the reason."""
        self.unrecordable += 1
        trigger = tape.trigger
        what = (f"{trigger.method} {trigger.url}" if isinstance(trigger, HttpRequest)
                else "a WebSocket event" if result.trigger == "socket" else result.trigger)
        entry = {"app": app, "version": version, "trigger": result.trigger, "what": what,
                 "outcome": result.outcome, "status": result.status, "duration_ms": round(result.duration_ms, 3),
                 "started": tape.started, "reason": reason}
        with self._lock:
            self._not_kept.setdefault(app, deque(maxlen=NOT_KEPT_SHOWN)).appendleft(entry)

    def not_kept(self, app: str) -> list[dict[str, Any]]:
        """The newest invocations of ``app`` (at most ``NOT_KEPT_SHOWN``, since the server started) that the policy
        wanted and that could not be recorded, newest first, each with its ``reason``."""
        with self._lock:
            return list(self._not_kept.get(app, ()))

    def forget(self, app: str) -> None:
        """Drop what is noted about ``app`` (it was deleted)."""
        with self._lock:
            self._not_kept.pop(app, None)

    def _write(self) -> None:
        """The writer thread: every ``window``, what the rings hold goes to the store in one transaction."""
        busy = False
        superseded = 0
        while True:
            self._wake.wait()
            # flush() and close() cut the wait short
            self._hurry.wait(max(self.window, self.busy_window) if busy else self.window)
            with self._lock:
                self._trim_all()
                rings, self._rings = self._rings, {}
                waiters, self._waiters = self._waiters, []
                stop = self._stop
                self._wake.clear()
                self._hurry.clear()
                busy, superseded = self.superseded != superseded, self.superseded
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
            self._trim_all()
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
