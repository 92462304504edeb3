"""What the simulator's tabs hold, and pure conversions from those forms to runtime triggers.

Everything here is pure (no Qt, no disk): the controller calls it and the tests
drive it directly. Invalid input raises ``SimulatorInputError`` (a UserError)
with a message for the user.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from runtime.cron import validate_cron
from runtime.errors import CronSyntaxError, UserError
from runtime.invocation import EventTrigger, HttpRequest, RunTrigger, ScheduledTrigger

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CONTENT_TYPES = ("", "application/json", "text/plain", "application/x-www-form-urlencoded", "text/html")
"""Body content types offered by the body editor ('' = none)."""
LOCAL_ORIGIN = "http://localhost"
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class SimulatorInputError(UserError):
    """The simulator form holds something that cannot be sent."""

    code = "simulator_input"


@dataclass(frozen=True)
class HttpForm:
    """The HTTP tab's fields."""

    method: str = "GET"
    """Request method."""
    url: str = "/"
    """Path and query (``/items?id=1``), or an absolute URL."""
    headers: tuple[tuple[str, str], ...] = ()
    """Header rows (name, value), in order; the content type is kept apart."""
    body: str = ""
    """Body text."""
    content_type: str = ""
    """Content-Type sent with a body ('' for none)."""
    name: str = ""
    """Name under which the request is saved ('' if unsaved)."""
    cf: str = ""
    """JSON object of ``request.cf`` fields over the local defaults ('' for none)."""

    def title(self) -> str:
        """``METHOD url`` for history lists."""
        return f"{self.method} {self.url}"

    def to_json(self) -> dict[str, Any]:
        """The shape stored in ``.isoplay/requests.json``."""
        data = {"name": self.name, "method": self.method, "url": self.url,
                "headers": [list(h) for h in self.headers], "body": self.body, "content_type": self.content_type}
        if self.cf:
            data["cf"] = self.cf
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HttpForm:
        """Read one stored request (missing fields take defaults)."""
        headers = tuple((str(h[0]), str(h[1])) for h in data.get("headers", []) if len(h) == 2)
        return cls(method=str(data.get("method", "GET")).upper(), url=str(data.get("url", "/")), headers=headers,
                   body=str(data.get("body", "")), content_type=str(data.get("content_type", "")),
                   name=str(data.get("name", "")), cf=str(data.get("cf", "")))


@dataclass(frozen=True)
class CronForm:
    """The Cron tab's fields."""

    cron: str = "* * * * *"
    """The cron expression."""
    scheduled_time: float = 0.0
    """Epoch seconds the handler sees as ``event.scheduledTime``."""


@dataclass(frozen=True)
class EventForm:
    """The Event tab's fields."""

    name: str = ""
    """Event name."""
    payload: str = "null"
    """JSON text of the payload."""


@dataclass(frozen=True)
class RunForm:
    """The One-off tab's field."""

    input: str = "null"
    """JSON text of the input."""


SimulatorForm = HttpForm | CronForm | EventForm | RunForm


@dataclass(frozen=True)
class SavedRequests:
    """The saved requests of a project (``.isoplay/requests.json``)."""

    requests: tuple[HttpForm, ...] = field(default_factory=tuple)
    """Saved requests in the order they were saved."""

    def with_saved(self, form: HttpForm) -> SavedRequests:
        """A copy with ``form`` added (replacing one with the same name)."""
        kept = tuple(r for r in self.requests if r.name != form.name)
        return SavedRequests(kept + (form,))

    def without(self, name: str) -> SavedRequests:
        """A copy without the request called ``name``."""
        return SavedRequests(tuple(r for r in self.requests if r.name != name))

    def to_json(self) -> dict[str, Any]:
        """File content."""
        return {"version": 1, "requests": [r.to_json() for r in self.requests]}

    @classmethod
    def from_json(cls, data: Any) -> SavedRequests:
        """Parse file content (tolerating a bare list)."""
        items = data.get("requests", []) if isinstance(data, dict) else data if isinstance(data, list) else []
        return cls(tuple(HttpForm.from_json(item) for item in items if isinstance(item, dict)))


def absolute_url(url: str) -> str:
    """The URL the script sees: a path is put under ``http://localhost``."""
    url = url.strip() or "/"
    if url.startswith(("http://", "https://")):
        return url
    if not url.startswith("/"):
        url = "/" + url
    return LOCAL_ORIGIN + url


def to_http_request(form: HttpForm) -> HttpRequest:
    """Validate the HTTP tab and build the request.

    Raises:
        SimulatorInputError: bad method, URL or header name.
    """
    method = form.method.strip().upper()
    if not _TOKEN.match(method):
        raise SimulatorInputError(f"{form.method!r} is not an HTTP method")
    url = absolute_url(form.url)
    if any(c.isspace() for c in url):
        raise SimulatorInputError(f"the URL must not contain spaces: {form.url!r} (encode them as %20)")
    headers = [(n.strip(), v.strip()) for n, v in form.headers if n.strip() or v.strip()]
    for name, _value in headers:
        if not _TOKEN.match(name):
            raise SimulatorInputError(f"{name!r} is not a valid header name")
    cf = parse_json_text(form.cf, "request.cf") if form.cf.strip() else None
    if cf is not None and not isinstance(cf, dict):
        raise SimulatorInputError("request.cf must be a JSON object of fields ({\"country\": \"NL\"})")
    if body_note(form):  # a body left over from another method: sent without it (the form says so)
        return HttpRequest(method=method, url=url, headers=tuple(headers), body=b"", cf=cf or None)
    if form.content_type and form.body and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("content-type", form.content_type))
    return HttpRequest(method=method, url=url, headers=tuple(headers), body=form.body.encode("utf-8"), cf=cf or None)


def body_note(form: object) -> str:
    """What the form shows when its body is not sent: a GET or HEAD with a body left in the editor ('' otherwise)."""
    if not isinstance(form, HttpForm) or not form.body:
        return ""
    method = form.method.strip().upper()
    if method not in ("GET", "HEAD"):
        return ""
    return f"Sent without the body: a {method} request has none (the body editor keeps it for another method)."


def parse_json_text(text: str, what: str) -> Any:
    """Parse JSON typed into a form; empty text means ``null``.

    Raises:
        SimulatorInputError: with the line and column of the mistake.
    """
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SimulatorInputError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def to_scheduled_trigger(form: CronForm) -> ScheduledTrigger:
    """Validate the cron expression and build the trigger."""
    try:
        validate_cron(form.cron.strip(), source="cron")
    except CronSyntaxError as exc:
        raise SimulatorInputError(str(exc)) from None
    return ScheduledTrigger(form.cron.strip(), form.scheduled_time)


def to_event_trigger(form: EventForm) -> EventTrigger:
    """Validate the event name and JSON payload and build the trigger."""
    name = form.name.strip()
    if not name:
        raise SimulatorInputError("the event needs a name")
    return EventTrigger(name, parse_json_text(form.payload, "the payload"))


def to_run_trigger(form: RunForm) -> RunTrigger:
    """Validate the JSON input and build the trigger."""
    return RunTrigger(parse_json_text(form.input, "the input"))


def to_trigger(form: SimulatorForm) -> HttpRequest | ScheduledTrigger | EventTrigger | RunTrigger:
    """The trigger for whichever tab's form this is."""
    if isinstance(form, HttpForm):
        return to_http_request(form)
    if isinstance(form, CronForm):
        return to_scheduled_trigger(form)
    if isinstance(form, EventForm):
        return to_event_trigger(form)
    return to_run_trigger(form)


def pretty_json(text: str) -> str:
    """Re-indent JSON text (unchanged when it does not parse)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (json.JSONDecodeError, ValueError):
        return text


def describe_time(epoch: float) -> str:
    """Local ISO-like time for labels."""
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def renamed(form: HttpForm, name: str) -> HttpForm:
    """``form`` with another saved name."""
    return replace(form, name=name)
