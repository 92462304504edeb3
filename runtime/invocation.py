"""What goes into an invocation (a trigger) and what comes out (a result)."""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.errors import Location
from runtime.sourcemap import StackFrame

Outcome = Literal["ok", "error", "timeout", "memory", "rejected"]
TriggerKind = Literal["fetch", "scheduled", "event", "run", "socket"]


@dataclass(frozen=True, init=False)
class HttpRequest:
    """An HTTP request for a script's ``fetch`` handler."""

    method: str = "GET"
    url: str = "http://localhost/"
    """Absolute URL the script sees as ``request.url``."""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    cf: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    """Fields of ``request.cf`` to set over the local defaults (colo, country, asn, ...)."""
    body_stream: Any = field(default=None, compare=False, repr=False)
    """A ``runtime.webapi.request_body.RequestBody`` still arriving (the HTTP front's streamed
    upload): the script reads it as ``request.body`` while it arrives; ``body`` is then empty."""
    stream_response: bool = field(default=False, compare=False)
    """The caller reads a streamed response body as it is written (``InvocationResult.body_stream``,
    delivered before the invocation ends); otherwise the whole body arrives in ``body``."""

    kind: TriggerKind = field(default="fetch", init=False)

    def __init__(self, method: str = "GET", url: str = "http://localhost/", headers: tuple[tuple[str, str], ...] = (),
                 body: bytes = b"", cf: dict[str, Any] | None = None, body_stream: Any = None,
                 stream_response: bool = False) -> None:
        # The generated __init__ of a frozen dataclass sets each field through object.__setattr__:
        # 1.2 us of every request the server takes; setting the instance dict at once takes 0.7.
        object.__setattr__(self, "__dict__", {"method": method, "url": url, "headers": headers, "body": body, "cf": cf,
                                              "body_stream": body_stream, "stream_response": stream_response,
                                              "kind": "fetch"})

    def streamed_body(self) -> Any:
        """The body to stream into the isolate (``body_stream``, or a ``body`` too large to travel
        inline), else None. Each call over an inline ``body``, or a recorded streamed body
        (``runtime.webapi.request_body.ReplayedBody``), makes a new reader of it."""
        stream = self.body_stream
        if stream is not None:
            reader = getattr(stream, "reader", None)  # a replay: each run reads the recording from its start
            return stream if reader is None else reader()
        from runtime.webapi.request_body import INLINE_BODY_BYTES, RequestBody

        if len(self.body) > INLINE_BODY_BYTES:
            return RequestBody.whole(self.body)
        return None

    def spec(self, stream: Any = None) -> dict[str, Any]:
        """The JSON the prelude's ``invoke`` takes (``stream``: a registered ``streamed_body()``)."""
        body: dict[str, Any] | None = None
        if stream is not None:
            body = {"stream": stream.id, "length": stream.length}
        elif self.body:
            try:
                body = {"text": self.body.decode("utf-8")}
            except UnicodeDecodeError:
                body = {"b64": base64.b64encode(self.body).decode("ascii")}
        request: dict[str, Any] = {"method": self.method.upper(), "url": self.url, "headers": list(self.headers),
                                   "body": body}
        if self.cf:
            request["cf"] = self.cf
        return {"kind": "fetch", "request": request}

    @functools.cached_property
    def route(self) -> str:
        """The path part of the URL (for metrics and the terminal log, so computed once)."""
        return url_route(self.url)


def url_route(url: str) -> str:
    """The path of an absolute (or path-only) URL, without query or fragment; ``/`` if it has none
    (string slicing: urlsplit cost a microsecond per record)."""
    scheme = url.find("://")
    start = url.find("/", scheme + 3) if scheme >= 0 else (0 if url.startswith("/") else -1)
    if start < 0:
        return "/"
    end = len(url)
    for mark in "?#":
        at = url.find(mark, start)
        if 0 <= at < end:
            end = at
    return url[start:end] or "/"


@dataclass(frozen=True)
class ScheduledTrigger:
    """A cron firing for a script's ``scheduled`` handler."""

    cron: str
    scheduled_time: float
    """Epoch seconds."""

    kind: TriggerKind = field(default="scheduled", init=False)

    def spec(self) -> dict[str, Any]:
        """The JSON the prelude's ``invoke`` takes."""
        return {"kind": "scheduled", "cron": self.cron, "scheduledTime": int(self.scheduled_time * 1000)}

    route = property(lambda self: self.cron)


@dataclass(frozen=True)
class EventTrigger:
    """A named event with a JSON payload for a script's ``event`` handler."""

    name: str
    payload: Any = None

    kind: TriggerKind = field(default="event", init=False)

    def spec(self) -> dict[str, Any]:
        """The JSON the prelude's ``invoke`` takes."""
        return {"kind": "event", "name": self.name, "payload": self.payload}

    route = property(lambda self: self.name)


@dataclass(frozen=True)
class RunTrigger:
    """A one-off run with a JSON input for a script's ``run`` handler."""

    input: Any = None

    kind: TriggerKind = field(default="run", init=False)

    def spec(self) -> dict[str, Any]:
        """The JSON the prelude's ``invoke`` takes."""
        return {"kind": "run", "input": self.input}

    route = property(lambda self: "run")


@dataclass(frozen=True)
class SocketTrigger:
    """One network event for a WebSocket the script holds (runtime/webapi/websocket.py)."""

    socket: int
    """The socket's host id in its isolate."""
    type: str
    """message, close or error."""
    data: str | bytes | None = None
    code: int = 1005
    reason: str = ""
    path: str = ""
    """The path of the request that opened the socket (for logs)."""

    kind: TriggerKind = field(default="socket", init=False)

    def spec(self) -> dict[str, Any]:
        """The JSON the prelude's ``invoke`` takes."""
        event: dict[str, Any] = {"socket": self.socket, "type": self.type, "code": self.code, "reason": self.reason}
        if isinstance(self.data, str):
            event["data"] = {"text": self.data}
        elif self.data is not None:
            event["data"] = {"b64": base64.b64encode(self.data).decode("ascii")}
        return {"kind": "socket", "socket": event}

    route = property(lambda self: self.path or "websocket")


Trigger = HttpRequest | ScheduledTrigger | EventTrigger | RunTrigger | SocketTrigger


@dataclass(frozen=True)
class LogEntry:
    """One console line written by a script."""

    level: str
    """log, info, warn, error or debug."""
    message: str
    time: float
    """Epoch seconds."""


@dataclass(frozen=True)
class ErrorInfo:
    """A script error with its stack mapped to TypeScript."""

    name: str
    message: str
    stack: str
    """The stack as text, frames at TypeScript ``file:line:col``."""
    frames: tuple[StackFrame, ...] = ()
    kind: str = "exception"
    """exception, load (top level threw), contract (bad handler shape), limit."""

    @property
    def location(self) -> Location | None:
        """The innermost frame in the user's sources, if any."""
        for frame in self.frames:
            if not frame.file.startswith("isoplay://"):
                return Location(frame.file, frame.line, frame.column)
        return None

    def summary(self) -> str:
        """``file:line:col: Name: message`` (or without a location)."""
        text = f"{self.name}: {self.message}" if self.name else self.message
        return f"{self.location}: {text}" if self.location else text


@dataclass(slots=True, eq=False)
class InvocationResult:
    """Everything one invocation produced (read-only by convention: not frozen, because a
    frozen dataclass's __init__ cost ~2 us of every request under load)."""

    trigger: TriggerKind
    outcome: Outcome
    status: int | None = None
    status_text: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    value: Any = None
    """What a scheduled/event/run handler returned (JSON data)."""
    logs: tuple[LogEntry, ...] = ()
    error: ErrorInfo | None = None
    limit: str | None = None
    """The limit that was hit (timeout_ms, memory_mb, queue), if any."""
    duration_ms: float = 0.0
    queue_ms: float = 0.0
    heap_used: int = 0
    heap_total: int = 0
    isolate_id: int = -1
    retry_after: int | None = None
    body_stream: Any = None
    """A ``runtime.webapi.streaming.ResponseStream`` when the body is streamed to a caller that asked for
    it (``HttpRequest.stream_response``): a ``head_only`` result then arrives when the head does (to
    start the answer), and the invocation's one complete result -- every log line, the duration up to
    the body's end, the final outcome -- follows when the body ends, with the same stream."""
    head_only: bool = False
    """This result only carries a streamed response's head (and the logs so far) to the HTTP answer;
    the complete result follows. Records, log events and consoles take the complete one only."""
    socket: int | None = None
    """A 101 response's WebSocket (its host id in the isolate ``isolate_id``)."""
    lease: Any = None
    """For a 101 from a pool: the runtime.pool.HeldIsolate kept for the socket (the front attaches or releases it)."""
    recording: Any = None
    """A runtime.replay.Tape when the isolate recorded this invocation (``ScriptIsolate.record``)."""
    paused_ms: float = 0.0
    """Time spent paused in the debugger (a debug session's run only; ``duration_ms`` is then running time)."""

    @property
    def ok(self) -> bool:
        """Whether the handler completed."""
        return self.outcome == "ok"

    def body_text(self) -> str:
        """The body decoded as UTF-8 (replacing bad bytes)."""
        return self.body.decode("utf-8", "replace")

    def to_json(self) -> dict[str, Any]:
        """The shape ``isoplay run --json`` prints."""
        error = None
        if self.error is not None:
            error = {"message": self.error.summary(), "stack": self.error.stack, "name": self.error.name,
                     "kind": self.error.kind, "limit": self.limit}
        body: Any = self.body_text() if self.trigger == "fetch" else json.dumps(self.value)
        out = {
            "status": self.status,
            "headers": {k: v for k, v in self.headers},
            "body": body if self.outcome == "ok" else (body if self.status else None),
            "logs": [{"level": e.level, "message": e.message, "time": e.time} for e in self.logs],
            "error": error,
            "outcome": self.outcome,
            "duration_ms": round(self.duration_ms, 3),
            "heap": {"used": self.heap_used, "total": self.heap_total},
        }
        if self.paused_ms:
            out["paused_ms"] = round(self.paused_ms, 3)
        return out
