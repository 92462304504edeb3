"""Which recorded invocations the server keeps, and keeping them off the event loop.

Isolates of an app whose ``[recordings]`` policy is active record every
invocation (cheaply: see ``runtime.replay.tape``); when the result is
delivered, ``ServerRecorder.keep`` decides: a failure (error, timeout, limit
hit, 5xx) is kept when ``failures`` is on, any other invocation with
probability ``sample``. A kept one is redacted (the manifest's vars; server
apps have no secrets), encoded and stored by a single writer thread, which also
applies the app's ring bound and retention (``runtime.store.recordings``).
Everything else is dropped at once.
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
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._redactors: dict[str, Redactor] = {}
        self._writer = threading.Thread(target=self._write, name="isoplay-recordings", daemon=True)
        self._writer.start()

    def keep(self, app: str, version: str, bundle: Any, result: InvocationResult) -> bool:
        """Keep ``result``'s recording if the policy wants it; returns whether it will be stored."""
        tape = result.recording
        if tape is None:
            return False
        result.recording = None
        policy: RecordPolicy = bundle.manifest.recordings
        if result.trigger == "socket" or result.body_stream is not None:
            return False  # socket events and streamed bodies are not recordable
        if not ((policy.failures and is_failure(result)) or (policy.sample > 0 and self.rng() < policy.sample)):
            self.dropped += 1
            return False
        redactor = self._redactors.get(bundle.content_hash)
        if redactor is None:
            redactor = self._redactors[bundle.content_hash] = Redactor({}, dict(bundle.manifest.vars))
        self.kept += 1
        self._queue.put((app, version, bundle.content_hash, tape, result, redactor, retention(policy)))
        return True

    def _write(self) -> None:
        """The writer thread: everything queued so far goes to the store in one transaction."""
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = []
            waiters: list[threading.Event] = []
            stop = False
            for job in batch:
                if job is None:
                    stop = True
                elif isinstance(job, threading.Event):
                    waiters.append(job)
                else:
                    item = self._encode(*job)
                    if item is not None:
                        items.append(item)
            if items:
                try:
                    self.store.add_many(items, now=self.clock())
                except Exception:  # a store outage loses these recordings, never the invocations
                    log.exception("could not keep %d recording(s)", len(items))
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

    def flush(self) -> None:
        """Wait until every recording handed over so far is stored."""
        if not self._writer.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait()

    def close(self) -> None:
        """Store what is pending, then stop the writer and close the store."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()
        self.store.close()
