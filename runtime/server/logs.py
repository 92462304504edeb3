"""Invocation log events and their fan-out to ``GET /api/apps/{name}/logs`` subscribers.

Each finished invocation of an app becomes one :class:`LogEvent`. Subscribers
get their own bounded queue; a slow reader loses the oldest events (the next
event it receives says how many were dropped) and never slows the app down.

With a log store (``runtime.server.logstore``: SQLite beside the registry, or
PostgreSQL), a :class:`LogShipper` writes this process's events to it in
batches and hands subscribers here the events other processes stored, so a
stream opened on any worker or node shows every invocation, and the history
(``GET /api/apps/{name}/logs/history``) outlives restarts.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from runtime.invocation import ErrorInfo, HttpRequest, InvocationResult, LogEntry, SocketTrigger, Trigger, url_route

log = logging.getLogger(__name__)

SHIP_SECONDS = 0.25
"""How often a process writes its new events to the log store and reads other processes' ones."""
SHIP_SECONDS_BUSY = 1.0
"""The wait after a round in which an app had more new events than its history holds (``LogHub.buffer``).

Such a round replaces that app's whole stored history, so writing again a quarter of a second later
only replaces it again: at 4,000 events a second that was ~11 us of CPU per stored event, 2.5 us of
every request of a hello handler and ~4 % of a CPU-bound one. A busy app's history is then at most a
second old, and streams on other processes see its events each second (the newest ``buffer`` of them,
as before). The interval goes back to ``SHIP_SECONDS`` after the first round that did not overflow."""


@dataclass(frozen=True)
class LogEvent:
    """One invocation of one app version, as streamed to log subscribers."""

    time: float
    """Epoch seconds when it finished."""
    app: str
    version: str
    trigger: str
    route: str
    """Path for fetch (as the script saw it), cron for scheduled."""
    method: str
    """The HTTP method; for a WebSocket event its type (message, close, error)."""
    status: int | None
    outcome: str
    duration_ms: float
    logs: tuple[tuple[str, str, float], ...]
    """(level, message, epoch seconds) of each console line."""
    error: str | None
    """The error summary (``file:line:col: Name: message``), if any."""
    stack: str | None
    node: str = ""
    """Which server process served it (``ServerConfig.node``)."""

    @classmethod
    def of(cls, app: str, version: str, trigger: Trigger, result: InvocationResult, node: str = "",
           at: float | None = None) -> LogEvent:
        """The event for one finished invocation (``at``: when it finished, default now)."""
        err = result.error
        return cls(time=time.time() if at is None else at, app=app, version=version, trigger=trigger.kind,
                   route=str(trigger.route),
                   method=trigger.method if isinstance(trigger, HttpRequest) else
                   trigger.type if isinstance(trigger, SocketTrigger) else "", status=result.status,
                   outcome=result.outcome, duration_ms=round(result.duration_ms, 3),
                   logs=tuple((e.level, e.message, e.time) for e in result.logs),
                   error=err.summary() if err else None, stack=err.stack if err and err.frames else None, node=node)

    @classmethod
    def of_parts(cls, at: float, app: str, version: str, kind: str, where: str, method: str, status: int | None,
                 outcome: str, duration_ms: float, logs: tuple[LogEntry, ...], err: ErrorInfo | None, node: str,
                 url: bool) -> LogEvent:
        """The event ``of`` makes, from what ``LogHub.publish_result`` kept (``where``: the request's URL if
        ``url``, else the trigger's route)."""
        return cls(time=at, app=app, version=version, trigger=kind, route=url_route(where) if url else str(where),
                   method=method, status=status, outcome=outcome, duration_ms=round(duration_ms, 3),
                   logs=tuple((e.level, e.message, e.time) for e in logs),
                   error=err.summary() if err else None, stack=err.stack if err and err.frames else None, node=node)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogEvent:
        """The event ``to_json`` described (as read back from the log store)."""
        return cls(time=float(data["time"]), app=str(data["app"]), version=str(data["version"]),
                   trigger=str(data["trigger"]), route=str(data["route"]), method=str(data.get("method", "")),
                   status=data.get("status"), outcome=str(data["outcome"]),
                   duration_ms=float(data.get("duration_ms", 0.0)),
                   logs=tuple((str(e["level"]), str(e["message"]), float(e["time"])) for e in data.get("logs", ())),
                   error=data.get("error"), stack=data.get("stack"), node=str(data.get("node", "")))

    def to_json(self, dropped: int = 0) -> dict[str, Any]:
        """The event's JSON (``dropped``: events lost before it by a slow reader)."""
        data: dict[str, Any] = {
            "time": self.time, "app": self.app, "version": self.version, "trigger": self.trigger,
            "route": self.route, "method": self.method, "status": self.status, "outcome": self.outcome,
            "duration_ms": self.duration_ms, "error": self.error, "stack": self.stack,
            "logs": [{"level": lvl, "message": msg, "time": t} for lvl, msg, t in self.logs], "node": self.node,
        }
        if dropped:
            data["dropped"] = dropped
        return data


class LogSubscription:
    """A bounded queue of one subscriber's events."""

    def __init__(self, hub: LogHub, app: str, size: int) -> None:
        self.app = app
        self._hub = hub
        self._queue: asyncio.Queue[LogEvent | None] = asyncio.Queue(maxsize=size + 1)
        self._size = size
        self.since = time.time()
        """When the subscription started (events other processes finished before it are history, not news)."""
        self.closed = False
        """Set when the hub closed (the server is stopping): the stream should end."""
        self.dropped = 0
        """Events dropped since the last ``get``."""

    def put(self, event: LogEvent) -> None:
        """Queue an event, dropping the oldest when full."""
        if self.closed:
            return
        if self._queue.qsize() >= self._size:
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def end(self) -> None:
        """Wake the reader with the end-of-stream marker (once)."""
        if self.closed:
            return
        self.closed = True
        self._queue.put_nowait(None)

    async def get(self, timeout: float) -> tuple[LogEvent, int] | None:
        """The next event and how many were dropped before it; None after ``timeout`` seconds.

        Raises:
            EOFError: the hub closed (check ``closed`` to end a stream early).
        """
        try:
            event = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if event is None:
            raise EOFError("the log hub closed")
        dropped, self.dropped = self.dropped, 0
        return event, dropped

    def close(self) -> None:
        """Stop receiving events."""
        self._hub.unsubscribe(self)


Pending = LogEvent | tuple[float, str, Callable[[float], LogEvent]] | tuple[Any, ...]
"""An event waiting for the shipper: made; (finish time, app, maker taking that time); or the parts of
one finished invocation (``LogHub.publish_result``: finish time, app, version, trigger kind, URL or
route, method, status, outcome, duration, logs, error, node), made into an event only if it is stored."""


class Outbox:
    """Events waiting for the shipper, per app: only the newest ``keep`` of each, as a round stores no
    more of an app than that (its history holds ``keep``).

    An older one falls out as a newer one comes, and is freed then: a server answering thousands of
    requests between two rounds used to hold every one of them (their triggers and results) until the
    round, which kept the cyclic GC walking tens of thousands of objects and cost every request.
    """

    def __init__(self, keep: int) -> None:
        self.keep = max(1, keep)
        self._apps: dict[str, list[Any]] = {}
        """app -> [deque of the newest pending events, events added since the last take]."""

    def add(self, app: str, item: Pending) -> None:
        """Queue one event of ``app`` (on the loop thread)."""
        entry = self._apps.get(app)
        if entry is None:
            entry = self._apps[app] = [collections.deque(maxlen=self.keep), 0]
        entry[0].append(item)
        entry[1] += 1

    def take(self) -> dict[str, tuple[list[Pending], int]]:
        """Everything waiting, by app: (the newest ``keep`` events, oldest first; how many were added)."""
        apps, self._apps = self._apps, {}
        return {app: (list(entry[0]), entry[1]) for app, entry in apps.items()}

    def __len__(self) -> int:
        return sum(len(entry[0]) for entry in self._apps.values())


@dataclass(frozen=True)
class LogHubStatistics:
    """Live subscriber counts."""

    subscribers: int
    published: int


class LogHub:
    """Per-app fan-out of log events (used on the server's loop only)."""

    def __init__(self, buffer: int = 1000) -> None:
        self.buffer = buffer
        self._subs: dict[str, list[LogSubscription]] = {}
        self._published = 0
        self._closed = False
        self.outbox: Outbox | None = None
        """Events waiting for the shipper (None without a log store)."""

    def subscribe(self, app: str) -> LogSubscription:
        """A new subscription to ``app``'s events (ended at once if the hub is closed)."""
        sub = LogSubscription(self, app, self.buffer)
        if self._closed:
            sub.end()
        else:
            self._subs.setdefault(app, []).append(sub)
        return sub

    def close(self) -> None:
        """End every subscription (the server is stopping; streams must finish)."""
        self._closed = True
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.end()
        self._subs.clear()

    def end_app(self, app: str) -> None:
        """End the subscriptions of one app (it was deleted)."""
        for sub in self._subs.pop(app, []):
            sub.end()

    def unsubscribe(self, sub: LogSubscription) -> None:
        """Remove a subscription (idempotent)."""
        subs = self._subs.get(sub.app, [])
        if sub in subs:
            subs.remove(sub)
        if not subs:
            self._subs.pop(sub.app, None)

    def publish_lazy(self, app: str, make: Callable[[float], LogEvent]) -> None:
        """``publish(make(now))``, making the event only if someone subscribes to ``app`` (the
        request path: most requests have no log reader). ``make`` takes the finish time."""
        if app in self._subs:
            self.publish(make(time.time()))
        else:
            self._published += 1
            if self.outbox is not None:  # for the shared history: made by the shipper, off the request path,
                self.outbox.add(app, (time.time(), app, make))  # and only if it is among the ones it keeps

    def publish_result(self, app: str, version: str, trigger: Trigger, result: InvocationResult, node: str) -> None:
        """``publish(LogEvent.of(...))`` for the request path: with no subscriber to ``app``, the outbox
        keeps only the parts the event is made of, so the request's trigger and result are freed when it
        is answered. (Kept until a newer event pushed them out, up to ``buffer`` requests later, they
        were freed cache-cold then: ~1 us of every request under load.)"""
        if app in self._subs:
            self.publish(LogEvent.of(app, version, trigger, result, node))
            return
        self._published += 1
        if self.outbox is not None:
            http = type(trigger) is HttpRequest
            self.outbox.add(app, (time.time(), app, version, trigger.kind, trigger.url if http else trigger.route,
                                  trigger.method if http else trigger.type if isinstance(trigger, SocketTrigger) else "",
                                  result.status, result.outcome, result.duration_ms, result.logs, result.error, node,
                                  http))

    def publish(self, event: LogEvent) -> None:
        """Hand an event to every subscriber of its app (and to the shipper, for other processes)."""
        self._published += 1
        if self.outbox is not None:
            self.outbox.add(event.app, event)
        self.deliver(event)

    def deliver(self, event: LogEvent, *, remote: bool = False) -> None:
        """Hand an event to this process's subscribers only (``remote``: another process served it, and
        a subscriber gets it only if it finished after the subscription started)."""
        for sub in self._subs.get(event.app, ()):
            if not remote or event.time >= sub.since:
                sub.put(event)

    def subscribed_apps(self) -> list[str]:
        """Apps with at least one subscriber here."""
        return [app for app, subs in self._subs.items() if subs]

    def statistics(self) -> LogHubStatistics:
        """Subscriber and event counts."""
        return LogHubStatistics(sum(len(s) for s in self._subs.values()), self._published)

    def __repr__(self) -> str:
        return f"<LogHub subscribers={self.statistics().subscribers}>"


def _json_text(data: dict[str, Any]) -> str:
    """An event's stored JSON: orjson (several times faster; the shipper writes thousands a second under
    load), json for what orjson refuses (a lone surrogate in a console line)."""
    try:
        return orjson.dumps(data).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(data, separators=(",", ":"))


class LogShipper:
    """Moves log events between this process and the shared log store, off the request path.

    Every :data:`SHIP_SECONDS` it writes the events this process published since
    the last round (at most ``hub.buffer`` per app: older ones would be pruned
    anyway), keeps each app's history at ``hub.buffer`` events, and, while this
    process has subscribers, reads the events other processes stored and
    delivers them here. A store that does not answer costs log lines (counted in
    ``lost``), never requests.

    Args:
        hub: This process's log hub.
        store: The shared ``LogStore``.
        source: This process's name in the store (unique per process).
    """

    def __init__(self, hub: LogHub, store: Any, *, source: str = "", interval: float = SHIP_SECONDS,
                 busy_interval: float = SHIP_SECONDS_BUSY) -> None:
        self.hub = hub
        self.store = store
        self.source = source or f"{os.getpid()}-{secrets.token_hex(4)}"
        self.interval = interval
        self.busy_interval = max(interval, busy_interval)
        """The wait after a round that overflowed (see SHIP_SECONDS_BUSY)."""
        self.overflowed = False
        """Whether the last round had more new events of an app than its history holds."""
        self.shipped = 0
        self.received = 0
        self.lost = 0
        """Events not stored: the store was unreachable, or newer ones of the same app pushed them out of
        the outbox before a round (more than ``hub.buffer`` in one round)."""
        self._cursor: int | None = None
        self._seen: collections.deque[int] = collections.deque(maxlen=8192)
        self._seen_set: set[int] = set()
        self._since_prune: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        hub.outbox = Outbox(hub.buffer)

    def start(self) -> None:
        """Start the rounds on the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="isoplay-log-shipper")

    async def stop(self) -> None:
        """Stop, after writing what is still waiting."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self.ship_once(receive=False)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.busy_interval if self.overflowed else self.interval)
            await self.ship_once()

    async def ship_once(self, *, receive: bool = True) -> None:
        """One round: write this process's events, then read other processes' ones."""
        outbox = self.hub.outbox
        by_app = outbox.take() if outbox is not None else {}
        keep = self.hub.buffer
        self.overflowed = any(added > keep for _items, added in by_app.values())
        try:
            if by_app:
                await asyncio.to_thread(self._write, by_app)
            if receive:
                await self._receive()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an unreachable store: the events are lost, requests are not
            self.lost += sum(added for _items, added in by_app.values())
            log.warning("log store: %s", exc)

    def _write(self, by_app: dict[str, tuple[list[Pending], int]]) -> None:
        # Only the newest ``keep`` of an app's events in a round are stored (the history holds no more), and
        # the outbox kept no more; only those are made: under load a round holds thousands.
        keep = self.hub.buffer
        rows: list[tuple[str, float, str, str]] = []
        for items, _added in by_app.values():
            for item in items:
                e = item if isinstance(item, LogEvent) else item[2](item[0]) if len(item) == 3 \
                    else LogEvent.of_parts(*item)
                rows.append((e.app, e.time, self.source, _json_text(e.to_json())))
        rows.sort(key=lambda r: r[1])
        self.store.append(rows)
        self.shipped += len(rows)
        self.lost += sum(added - len(items) for items, added in by_app.values())
        for app, (_items, added) in by_app.items():
            count = self._since_prune.get(app, 0) + added
            if count >= max(1, keep // 4):
                self.store.prune(app, keep)
                count = 0
            self._since_prune[app] = count

    async def _receive(self) -> None:
        apps = self.hub.subscribed_apps()
        if self._cursor is None:
            self._cursor = await asyncio.to_thread(self.store.last_id)
            return
        if not apps:  # keep up, so a stream that starts later reads only what is stored from then on
            self._cursor = await asyncio.to_thread(self.store.last_id)
            return
        low = max(0, self._cursor - self.store.reorder_window)
        rows = await asyncio.to_thread(self.store.after, apps, low, self.hub.buffer * 4)
        for row_id, _app, source, data in rows:
            self._cursor = max(self._cursor, row_id)
            if row_id in self._seen_set:
                continue
            if len(self._seen) == self._seen.maxlen:
                self._seen_set.discard(self._seen[0])
            self._seen.append(row_id)
            self._seen_set.add(row_id)
            if source == self.source:
                continue
            try:
                event = LogEvent.from_json(json.loads(data))
            except (ValueError, KeyError, TypeError):
                continue
            self.received += 1
            self.hub.deliver(event, remote=True)

    def history(self, app: str, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` stored events of ``app``, oldest first (blocking: call it in a thread)."""
        out = []
        for _id, _app, _source, data in self.store.recent(app, limit):
            try:
                out.append(json.loads(data))
            except ValueError:
                continue
        return out

    def forget(self, app: str) -> None:
        """Delete an app's history (blocking)."""
        self.store.forget(app)
        self._since_prune.pop(app, None)

    def __repr__(self) -> str:
        return f"<LogShipper shipped={self.shipped} received={self.received} lost={self.lost}>"
