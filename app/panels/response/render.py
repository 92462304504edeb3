"""Pure rendering of invocation results for the response view: status, body, headers, errors.

The body is shown as highlighted JSON, plain text or a hex dump; errors and
build failures become HTML with ``source:`` links (``source:src/index.ts:12:5``)
that the widget turns back into ``SourceLocation`` with ``parse_source_link``.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from app.services.types import SourceLocation
from runtime.errors import BundleError, Diagnostic, UserError
from runtime.invocation import InvocationResult, Trigger

BodyKind = Literal["json", "text", "hex", "empty"]
Tone = Literal["ok", "redirect", "client", "server", "error", "idle"]
MAX_HEX_BYTES = 64 * 1024
MAX_TEXT_CHARS = 512 * 1024
LINK_SCHEME = "source"
_FRAME_RE = re.compile(r"(?<![\w:/.@-])(?P<file>[\w./@-]+\.(?:ts|tsx|js|mjs|cts|mts)):(?P<line>\d+):(?P<col>\d+)")

JSON_COLORS: dict[str, dict[str, str]] = {
    "light": {"key": "#0451a5", "string": "#a31515", "number": "#098658", "literal": "#0000ff", "punct": "#444444"},
    "dark": {"key": "#9cdcfe", "string": "#ce9178", "number": "#b5cea8", "literal": "#569cd6", "punct": "#cccccc"},
}
_JSON_TOKEN = re.compile(r'(?P<string>"(?:\\.|[^"\\])*")(?P<colon>\s*:)?|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
                         r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)|(?P<punct>[{}\[\],])")


@dataclass(frozen=True)
class RenderedBody:
    """A body ready for display."""

    kind: BodyKind
    """How it was rendered."""
    html: str
    """HTML for a QTextBrowser (preformatted)."""
    size: int
    """Body size in bytes."""


@dataclass(frozen=True)
class ResponseModel:
    """Everything the response view shows for one run (payload of its ``show`` method)."""

    headline: str
    """e.g. ``200 OK``, ``✓ scheduled``, ``✗ TypeError``."""
    tone: Tone
    """Colour of the headline badge."""
    meta: str
    """Duration, heap and size, e.g. ``12.3 ms · heap 1.2 / 4.0 MB · 18 B``."""
    headers: tuple[tuple[str, str], ...]
    """Response headers."""
    body: RenderedBody
    """The body (or the handler's return value)."""
    error_html: str = ""
    """The error with ``source:`` links ('' if none)."""
    location: SourceLocation | None = None
    """Where the error points, if anywhere (for jumping from the headline)."""


def tone_for_status(status: int | None) -> Tone:
    """Badge colour for an HTTP status."""
    if status is None:
        return "error"
    return "ok" if status < 300 else "redirect" if status < 400 else "client" if status < 500 else "server"


def header_value(headers: tuple[tuple[str, str], ...], name: str) -> str:
    """The first header called ``name`` (case-insensitive), or ''."""
    return next((v for n, v in headers if n.lower() == name.lower()), "")


def highlight_json(value: Any, theme: str = "light") -> str:
    """Pretty-printed JSON as HTML spans coloured by token kind."""
    colors = JSON_COLORS.get(theme, JSON_COLORS["light"])
    text = json.dumps(value, indent=2, ensure_ascii=False)
    out: list[str] = []
    last = 0
    for match in _JSON_TOKEN.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        kind = "key" if match["colon"] else next(k for k in ("string", "number", "literal", "punct") if match[k])
        token = match["string"] if match["string"] else match[0]
        out.append(f'<span style="color:{colors[kind]}">{html.escape(token)}</span>')
        if match["colon"]:
            out.append(f'<span style="color:{colors["punct"]}">{html.escape(match["colon"])}</span>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def hexdump(data: bytes, limit: int = MAX_HEX_BYTES) -> str:
    """Classic 16-bytes-per-line dump: offset, hex bytes, printable ASCII."""
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset:offset + 16]
        hexed = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexed:<47}  {text}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes")
    return "\n".join(lines)


def is_probably_text(data: bytes) -> bool:
    """UTF-8 without control characters other than whitespace."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\n\r\t\f" for c in text[:4096])


def render_body(body: bytes, content_type: str, theme: str = "light") -> RenderedBody:
    """Choose JSON, text or hex for a response body."""
    if not body:
        return RenderedBody("empty", "", 0)
    if "json" in content_type.lower() or body.lstrip()[:1] in (b"{", b"["):
        try:
            return RenderedBody("json", _pre(highlight_json(json.loads(body), theme)), len(body))
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass  # not JSON after all: fall through to text or hex
    if is_probably_text(body):
        return RenderedBody("text", _pre(html.escape(body.decode("utf-8")[:MAX_TEXT_CHARS])), len(body))
    return RenderedBody("hex", _pre(html.escape(hexdump(body))), len(body))


def render_value(value: Any, theme: str = "light") -> RenderedBody:
    """What a scheduled/event/run handler returned."""
    if value is None:
        return RenderedBody("empty", "", 0)
    return RenderedBody("json", _pre(highlight_json(value, theme)), len(json.dumps(value)))


def source_link(file: str, line: int, column: int, label: str | None = None) -> str:
    """An HTML link the response view opens in the editor."""
    href = f"{LINK_SCHEME}:{quote(file)}:{line}:{column}"
    return f'<a href="{href}">{html.escape(label or f"{file}:{line}:{column}")}</a>'


def parse_source_link(href: str, root: Path) -> SourceLocation | None:
    """The location a ``source:`` link points at (None for other links)."""
    if not href.startswith(LINK_SCHEME + ":"):
        return None
    rest, _, column = href[len(LINK_SCHEME) + 1:].rpartition(":")
    file, _, line = rest.rpartition(":")
    if not (file and line.isdigit() and column.isdigit()):
        return None
    path = Path(unquote(file))
    return SourceLocation(path if path.is_absolute() else root / path, int(line), int(column))


def linkify(text: str) -> str:
    """Escape ``text`` and turn ``file.ts:line:col`` references into source links."""
    out, last = [], 0
    for match in _FRAME_RE.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        out.append(source_link(match["file"], int(match["line"]), int(match["col"])))
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _pre(inner: str) -> str:
    return f'<pre style="margin:0">{inner}</pre>'


def _meta(result: InvocationResult, size: int | None = None) -> str:
    parts = [f"{result.duration_ms:.1f} ms"]
    if result.paused_ms:
        parts = [f"{result.duration_ms:.1f} ms running", f"{paused_text(result.paused_ms)} paused in the debugger"]
    if result.heap_total:
        parts.append(f"heap {result.heap_used / 1e6:.1f} / {result.heap_total / 1e6:.1f} MB")
    if size is not None:
        parts.append(_size(size))
    return " · ".join(parts)


def paused_text(ms: float) -> str:
    """``850 ms``, ``61.9 s`` or ``3 min 2 s``: time spent paused, as a person reads it."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds} s"


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def _error_html(result: InvocationResult) -> str:
    error = result.error
    assert error is not None
    title = f"{error.name}: {error.message}" if error.name else error.message
    kind = {"limit": f"Limit exceeded ({result.limit})" if result.limit else "Limit exceeded",
            "load": "The script threw while loading", "contract": "The handler broke the contract"}.get(error.kind, "Uncaught exception")
    where = ""
    if error.location is not None:
        loc = error.location
        where = f"<p>at {source_link(loc.file, loc.line, loc.column)}</p>"
    stack = f"<pre>{linkify(error.stack)}</pre>" if error.stack else ""
    return f"<h3 style='margin:0'>{html.escape(kind)}</h3><p><b>{html.escape(title)}</b></p>{where}{stack}"


def model_for_result(result: InvocationResult, root: Path, theme: str = "light") -> ResponseModel:
    """The response view's model for a finished invocation."""
    location = _location(result, root)
    if result.trigger == "fetch" and result.status is not None:
        body = render_body(result.body, header_value(result.headers, "content-type"), theme)
        headline = f"{result.status} {result.status_text}".rstrip()
        error = _error_html(result) if result.error is not None else ""
        return ResponseModel(headline, tone_for_status(result.status), _meta(result, body.size), result.headers,
                             body, error, location)
    if result.error is not None:
        name = result.error.name or result.outcome
        headline = f"✗ {result.limit or name}" if result.outcome in ("timeout", "memory") else f"✗ {name}"
        return ResponseModel(headline, "error", _meta(result), result.headers, RenderedBody("empty", "", 0),
                             _error_html(result), location)
    return ResponseModel(f"✓ {result.trigger}", "ok", _meta(result), (), render_value(result.value, theme))


def _location(result: InvocationResult, root: Path) -> SourceLocation | None:
    if result.error is None or result.error.location is None:
        return None
    loc = result.error.location
    return SourceLocation(root / loc.file, loc.line, loc.column)


def model_for_refusal(error: UserError, root: Path) -> ResponseModel:
    """The response view's model when a run could not start (the build failed)."""
    diagnostics: list[Diagnostic] = list(error.diagnostics) if isinstance(error, BundleError) else []
    if not diagnostics:
        diagnostics = [Diagnostic(error.message, error.location)]
    items = []
    for diag in diagnostics:
        loc = diag.location
        where = source_link(loc.file, loc.line, loc.column) + ": " if loc is not None else ""
        items.append(f"<li>{where}{html.escape(diag.message)}</li>")
    first = diagnostics[0].location
    location = SourceLocation(root / first.file, first.line, first.column) if first is not None else None
    body = f"<h3 style='margin:0'>Build failed</h3><ul>{''.join(items)}</ul>"
    return ResponseModel("✗ Build failed", "error", "", (), RenderedBody("empty", "", 0), body, location)


def describe_trigger(trigger: Trigger) -> str:
    """One line naming what ran, e.g. ``GET /json?name=x`` or ``cron */5 * * * *``."""
    from urllib.parse import urlsplit

    kind = trigger.kind
    if kind == "fetch":
        parts = urlsplit(trigger.url)  # type: ignore[union-attr]
        return f"{trigger.method} {parts.path or '/'}{'?' + parts.query if parts.query else ''}"  # type: ignore[union-attr]
    if kind == "scheduled":
        return f"cron {trigger.cron}"  # type: ignore[union-attr]
    if kind == "event":
        return f"event {trigger.name}"  # type: ignore[union-attr]
    if kind == "socket":
        return f"websocket {trigger.type} {trigger.route}"  # type: ignore[union-attr]
    return "run"
