"""The recording file: version 1, JSON lines (described for users in docs/replay.md).

Line 1 is the header (``format``, ``version``, the trigger, the bundle's content
hash, the outcome); one line per crossing into the isolate follows (``step``);
the last line is the recorded result. Bodies and bytes travel as
``{"text": ...}`` when they are UTF-8 and ``{"b64": ...}`` otherwise.
"""

from __future__ import annotations

import base64
import json

import orjson
import secrets as _secrets
import time
from dataclasses import dataclass, field
from typing import Any

from runtime.invocation import EventTrigger, HttpRequest, RunTrigger, ScheduledTrigger, Trigger
from runtime.webapi.request_body import ReplayedBody

FORMAT = "isoplay-recording"
VERSION = 1
SUFFIX = ".isorec"
"""How recording files are named (``isoplay replay FILE``, the IDE's "save into project")."""


class RecordingFormatError(ValueError):
    """A recording file that is not one, or of a version this isoplay does not read; says which line."""


def body_json(data: bytes) -> dict[str, str] | None:
    """Bytes as ``{"text"}`` (UTF-8) or ``{"b64"}``; None for no bytes."""
    if not data:
        return None
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(data).decode("ascii")}


def body_bytes(body: dict[str, str] | None) -> bytes:
    """The bytes of a ``body_json`` value."""
    if not body:
        return b""
    if "text" in body:
        return body["text"].encode("utf-8")
    return base64.b64decode(body.get("b64", ""))


def trigger_json(trigger: Trigger) -> dict[str, Any]:
    """A trigger as recorded: the same shape the prelude's ``invoke`` takes, bytes kept exact."""
    if isinstance(trigger, HttpRequest):
        out: dict[str, Any] = {"kind": "fetch", "method": trigger.method, "url": trigger.url,
                               "headers": [list(h) for h in trigger.headers], "body": body_json(trigger.body)}
        if trigger.cf:
            out["cf"] = trigger.cf
        stream = trigger.body_stream
        if stream is not None:  # an upload streamed into the isolate: what it read, read by read
            if isinstance(stream, ReplayedBody):
                data, reads = stream.data, stream.reads
            elif getattr(stream, "tape", None) is not None:
                data, reads = stream.taped()
            else:
                raise ValueError("its request body was streamed in and not taped (or past the tape's cap)")
            out["body"] = body_json(data)
            out["stream"] = {"id": stream.id, "length": stream.length, "reads": reads}
        return out
    if isinstance(trigger, ScheduledTrigger):
        return {"kind": "scheduled", "cron": trigger.cron, "scheduledTime": trigger.scheduled_time}
    if isinstance(trigger, EventTrigger):
        return {"kind": "event", "name": trigger.name, "payload": trigger.payload}
    if isinstance(trigger, RunTrigger):
        return {"kind": "run", "input": trigger.input}
    raise ValueError(f"a {trigger.kind} trigger cannot be recorded")


def trigger_from_json(data: dict[str, Any]) -> Trigger:
    """The trigger a recording's header names."""
    kind = data.get("kind")
    if kind == "fetch":
        method, url = str(data.get("method", "GET")), str(data.get("url", "http://localhost/"))
        headers = tuple((str(k), str(v)) for k, v in data.get("headers") or ())
        stream = data.get("stream")
        if isinstance(stream, dict):
            length = stream.get("length")
            reads = stream.get("reads")
            if not isinstance(reads, list) or not (length is None or isinstance(length, int)):
                raise RecordingFormatError("line 1: the trigger's body stream has no reads or a bad length")
            body = ReplayedBody(str(stream.get("id", "")), length, body_bytes(data.get("body")), reads)
            return HttpRequest(method, url, headers, b"", cf=data.get("cf"), body_stream=body)
        return HttpRequest(method, url, headers, body_bytes(data.get("body")), cf=data.get("cf"))
    if kind == "scheduled":
        return ScheduledTrigger(str(data.get("cron", "")), float(data.get("scheduledTime", 0)))
    if kind == "event":
        return EventTrigger(str(data.get("name", "")), data.get("payload"))
    if kind == "run":
        return RunTrigger(data.get("input"))
    raise RecordingFormatError(f"line 1: unknown trigger kind {kind!r}")


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson refuses integers past 64 bits (a run() result may hold one)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_id() -> str:
    """A recording id: sortable by time, unguessable (``r`` + ms since epoch in hex + 8 random hex digits)."""
    return f"r{int(time.time() * 1000):x}{_secrets.token_hex(4)}"


@dataclass
class Recording:
    """One recorded invocation: what came in, every value that entered the isolate, what came out."""

    trigger: dict[str, Any]
    """``trigger_json`` of the trigger (redacted)."""
    bundle_hash: str
    steps: list[dict[str, Any]]
    """One per crossing, in order: ``{"cross": "invoke"|"resume"|"cancel", "settle": [[n, ok, value]],
    "tape": [[kind, value]], "ops": [[n, name, args]]}`` (keys absent when empty)."""
    result: dict[str, Any]
    """outcome, status, headers, body, value, logs, error, limit (redacted)."""
    app: str = ""
    version: str = ""
    id: str = field(default_factory=new_id)
    started: float = field(default_factory=time.time)
    """Epoch seconds when the invocation began."""
    duration_ms: float = 0.0
    redacted: list[str] = field(default_factory=list)
    """Placeholders the recording contains (``isoplay.redact.placeholder``), one per redacted secret or var."""
    partial: bool = False
    """A limit stopped the invocation mid-crossing: the tape ends early (replay continues on live values)."""

    @property
    def outcome(self) -> str:
        """ok, error, timeout, memory (the recorded result's)."""
        return str(self.result.get("outcome", ""))

    @property
    def status(self) -> int | None:
        """The recorded HTTP status, if any."""
        status = self.result.get("status")
        return int(status) if isinstance(status, int) else None

    @property
    def failed(self) -> bool:
        """An error, a limit hit or a 5xx: what the server always keeps."""
        return self.outcome != "ok" or (self.status or 0) >= 500

    def summary(self) -> dict[str, Any]:
        """The listing fields (``GET /api/apps/{app}/recordings``, the IDE's Recordings panel)."""
        trig = self.trigger
        what = (f"{trig.get('method', 'GET')} {trig.get('url', '')}" if trig.get("kind") == "fetch"
                else str(trig.get("cron") or trig.get("name") or trig.get("kind")))
        error = self.result.get("error") or {}
        return {"id": self.id, "app": self.app, "version": self.version, "trigger": trig.get("kind"),
                "what": what, "outcome": self.outcome, "status": self.status,
                "duration_ms": round(self.duration_ms, 3), "started": self.started,
                "bundle_hash": self.bundle_hash, "error": error.get("message")}

    def header(self) -> dict[str, Any]:
        """Line 1 of the file."""
        return {"format": FORMAT, "version": VERSION, "id": self.id, "app": self.app, "app_version": self.version,
                "bundle_hash": self.bundle_hash, "started": self.started, "duration_ms": self.duration_ms,
                "redacted": self.redacted, "partial": self.partial, "trigger": self.trigger}

    def to_jsonl(self) -> str:
        """The file's text."""
        return self.to_bytes().decode("utf-8")

    def to_bytes(self) -> bytes:
        """The file's bytes (UTF-8 JSON lines; orjson, as a kept recording is encoded on the server's
        writer thread for every kept invocation)."""
        lines = [_dumps(self.header())]
        lines += [_dumps({"step": step}) for step in self.steps]
        lines.append(_dumps({"result": self.result}))
        return b"\n".join(lines) + b"\n"

    @classmethod
    def from_jsonl(cls, text: str | bytes) -> Recording:
        """Read a recording file.

        Raises:
            RecordingFormatError: not a recording, a newer version, or a bad line (named).
        """
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RecordingFormatError(f"not a recording: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise RecordingFormatError("not a recording: the file is empty")
        parsed: list[Any] = []
        for number, line in enumerate(lines, 1):
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise RecordingFormatError(f"line {number}:{exc.colno}: not JSON ({exc.msg})") from None
            if not isinstance(parsed[-1], dict):
                raise RecordingFormatError(f"line {number}: expected a JSON object")
        head = parsed[0]
        if head.get("format") != FORMAT:
            raise RecordingFormatError(f"line 1: not an isoplay recording (format {head.get('format')!r}, "
                                       f"expected {FORMAT!r})")
        version = head.get("version")
        if not isinstance(version, int) or version > VERSION or version < 1:
            raise RecordingFormatError(f"line 1: recording format version {version!r}; this isoplay reads "
                                       f"version {VERSION} (upgrade isoplay to read newer recordings)")
        if not isinstance(head.get("trigger"), dict) or not isinstance(head.get("bundle_hash"), str):
            raise RecordingFormatError("line 1: the header has no trigger or bundle_hash")
        trigger_from_json(head["trigger"])  # validates the kind
        steps: list[dict[str, Any]] = []
        result: dict[str, Any] | None = None
        for number, item in enumerate(parsed[1:], 2):
            if "step" in item and isinstance(item["step"], dict) and result is None:
                steps.append(item["step"])
            elif "result" in item and isinstance(item["result"], dict) and result is None:
                result = item["result"]
            else:
                raise RecordingFormatError(f"line {number}: expected a step or, last, the result")
        if result is None:
            raise RecordingFormatError(f"line {len(parsed)}: the recording has no result line (truncated?)")
        if not steps:
            raise RecordingFormatError("line 2: the recording has no steps")
        return cls(trigger=head["trigger"], bundle_hash=head["bundle_hash"], steps=steps, result=result,
                   app=str(head.get("app", "")), version=str(head.get("app_version", "")),
                   id=str(head.get("id") or new_id()), started=float(head.get("started", 0.0)),
                   duration_ms=float(head.get("duration_ms", 0.0)), redacted=list(head.get("redacted") or []),
                   partial=bool(head.get("partial", False)))
