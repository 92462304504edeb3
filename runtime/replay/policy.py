"""Which recorded invocations the server keeps, and keeping them off the event loop.

Isolates of an app whose ``[recordings]`` policy is active record every
invocation (cheaply: see ``runtime.replay.tape``); when the result is
delivered, ``ServerRecorder.keep`` decides: a failure (error, timeout, limit
hit, 5xx) is kept when ``failures`` is on, any other invocation with
probability ``sample``. A kept one is redacted (the manifest's vars; server
apps have no secrets), encoded and stored by a single writer thread, which also
applies the app's ring bound and retention (``runtime.store.recordings``).
Everything else is dropped at once.

The request path only queues the raw tape (``keep``: a few microseconds). The
writer gathers what arrives within ``WINDOW_S`` and keeps it in one transaction
(with ``sample = 1`` a store write per invocation cost more than the invocation).
Of one batch it encodes and stores, per app, only the newest ``max_count``
recordings: the older ones would be pruned by the same transaction that wrote
them, so the store ends the same either way. ``flush`` (the API does it before
listing) writes at once. More than ``MAX_PENDING`` recordings waiting for the
writer (a store that cannot keep up) are dropped and counted (``overflowed``),
so memory stays bounded.
"""

from __future__ import annotations

import logging
import queue
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
MAX_PENDING = 20_000
"""Recordings waiting for the writer past which new ones are dropped."""


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
        self.dropped = 0
        self.overflowed = 0
        """Recordings the policy wanted but the writer was too far behind to take (``MAX_PENDING``)."""
        self.superseded = 0
        """Recordings the ring bound dropped inside one batch, before they were encoded."""
        self.window = WINDOW_S
        self.writer_cpu_s = 0.0
        """CPU time the writer thread spent choosing, encoding and storing recordings."""
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._hurry = threading.Event()
        self._per_bundle: dict[str, tuple[Redactor, Retention]] = {}
        """The redactor and the store bound of each bundle (by content hash: its manifest is fixed)."""
        self._writer = threading.Thread(target=self._write, name="isoplay-recordings", daemon=True)
        self._writer.start()

    def keep(self, app: str, version: str, bundle: Any, result: InvocationResult) -> bool:
        """Keep ``result``'s recording if the policy wants it; returns whether it will be stored."""
        tape = result.recording
        if tape is None:
            return False
        result.recording = None
        policy: RecordPolicy = bundle.manifest.recordings
        if not ((policy.failures and (result.outcome != "ok" or (result.status or 0) >= 500))  # is_failure
                or (policy.sample > 0 and self.rng() < policy.sample)):
            self.dropped += 1
            return False
        if result.trigger == "socket" or tape.body_cut:
            return False  # socket events and bodies streamed past RECORD_STREAMED_BODY_MAX are not recordable
        if self._queue.qsize() >= MAX_PENDING:
            self.overflowed += 1
            return False
        per_bundle = self._per_bundle.get(bundle.content_hash)
        if per_bundle is None:
            per_bundle = self._per_bundle[bundle.content_hash] = (Redactor({}, dict(bundle.manifest.vars)),
                                                                  retention(policy))
        self.kept += 1
        self._queue.put((app, version, bundle.content_hash, tape, result, *per_bundle))
        return True

    def _write(self) -> None:
        """The writer thread: what arrives within ``window`` goes to the store in one transaction."""
        while True:
            batch = [self._queue.get()]
            if isinstance(batch[0], tuple):
                self._hurry.wait(self.window)  # flush() and close() cut the wait short
            self._hurry.clear()
            cpu_started = time.thread_time()
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            waiters: list[threading.Event] = []
            stop = False
            jobs = []
            for job in batch:
                if job is None:
                    stop = True
                elif isinstance(job, threading.Event):
                    waiters.append(job)
                else:
                    jobs.append(job)
            items = []
            for job in self._survivors(jobs):
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

    def _survivors(self, jobs: list[Any]) -> list[Any]:
        """The jobs the ring bound lets live: per app, the newest ``max_count`` of this batch."""
        per_app: dict[str, list[Any]] = {}
        for job in jobs:
            per_app.setdefault(job[0], []).append(job)
        out = []
        for app_jobs in per_app.values():
            bound = app_jobs[-1][6].max_count  # the newest policy of the app, as add_many applies
            if len(app_jobs) > bound:
                app_jobs.sort(key=lambda job: job[3].started)
                self.superseded += len(app_jobs) - bound
                app_jobs = app_jobs[len(app_jobs) - bound:] if bound > 0 else []
            out.extend(app_jobs)
        return out

    @staticmethod
    def _encode(app: str, version: str, bundle_hash: str, tape: Any, result: InvocationResult,
                redactor: Redactor, bound: Retention) -> Any:
        try:
            rec = tape.to_recording(result, bundle_hash=bundle_hash, app=app, version=version, redactor=redactor)
            return (app, rec.id, rec.started, rec.summary(), rec.to_bytes(), bound)
        except Exception:  # an isoplay bug: lose the recording, keep serving
            log.exception("could not encode a recording of %s", app)
            return None

    def flush(self) -> None:
        """Wait until every recording handed over so far is stored."""
        if not self._writer.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        self._hurry.set()
        done.wait()

    def close(self) -> None:
        """Store what is pending, then stop the writer and close the store."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._hurry.set()
            self._writer.join()
        self.store.close()
