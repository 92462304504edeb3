"""Invocation log events and their fan-out to ``GET /api/apps/{name}/logs`` subscribers.

Each finished invocation of an app becomes one :class:`LogEvent`. Subscribers
get their own bounded queue; a slow reader loses the oldest events (the next
event it receives says how many were dropped) and never slows the app down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.invocation import HttpRequest, InvocationResult, SocketTrigger, Trigger


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
    def of(cls, app: str, version: str, trigger: Trigger, result: InvocationResult, node: str = "") -> LogEvent:
        """The event for one finished invocation."""
        err = result.error
        return cls(time=time.time(), app=app, version=version, trigger=trigger.kind, route=str(trigger.route),
                   method=trigger.method if isinstance(trigger, HttpRequest) else
                   trigger.type if isinstance(trigger, SocketTrigger) else "", status=result.status,
                   outcome=result.outcome, duration_ms=round(result.duration_ms, 3),
                   logs=tuple((e.level, e.message, e.time) for e in result.logs),
                   error=err.summary() if err else None, stack=err.stack if err and err.frames else None, node=node)

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

    def publish_lazy(self, app: str, make: Callable[[], LogEvent]) -> None:
        """``publish(make())``, making the event only if someone subscribes to ``app`` (the
        request path: most requests have no log reader)."""
        if app in self._subs:
            self.publish(make())
        else:
            self._published += 1

    def publish(self, event: LogEvent) -> None:
        """Hand an event to every subscriber of its app."""
        self._published += 1
        for sub in self._subs.get(event.app, ()):
            sub.put(event)

    def statistics(self) -> LogHubStatistics:
        """Subscriber and event counts."""
        return LogHubStatistics(sum(len(s) for s in self._subs.values()), self._published)

    def __repr__(self) -> str:
        return f"<LogHub subscribers={self.statistics().subscribers}>"
