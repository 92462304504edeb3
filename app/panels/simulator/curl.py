"""Copy as curl / Import from curl: pure conversions between ``HttpForm`` and a curl command.

Parsing uses ``shlex`` (POSIX shell quoting, backslash-newline continuations) and
understands the options browsers' "Copy as cURL" and API docs use: ``-X``,
``-H``, ``-d``/``--data*``, ``--json``, ``-G``, ``-I``, ``-u``, ``-A``, ``-e``,
``-b``, ``--url``; output/transport flags (``-s``, ``-L``, ``-k``,
``--compressed``, ...) are accepted and ignored.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.panels.simulator.forms import LOCAL_ORIGIN, HttpForm, SimulatorInputError

DEFAULT_ORIGIN = "http://localhost:8787"
"""Origin used by "Copy as curl" for path-only URLs (``isoplay dev``'s default port)."""

_DATA_FLAGS = {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode"}
_VALUE_FLAGS_IGNORED = {"-o", "--output", "-m", "--max-time", "--connect-timeout", "-w", "--write-out",
                        "--retry", "-x", "--proxy", "--cacert", "--cert", "--key", "-c", "--cookie-jar",
                        "--resolve", "--limit-rate", "-r", "--range", "-T", "--upload-file", "-F", "--form"}
_FLAGS_IGNORED = {"-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-k", "--insecure", "-L",
                  "--location", "-i", "--include", "--compressed", "-f", "--fail", "-N", "--no-buffer",
                  "-g", "--globoff", "--http1.1", "--http2", "-#", "--progress-bar", "-sS", "-Ss", "-sL", "-fsSL"}


class CurlParseError(SimulatorInputError):
    """The pasted text is not a curl command this importer understands."""

    code = "curl_parse"


@dataclass
class _Parsed:
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    get: bool = False
    head: bool = False
    json: bool = False


def to_curl(form: HttpForm, origin: str = DEFAULT_ORIGIN) -> str:
    """A curl command that sends ``form`` to the local dev server (or its absolute URL)."""
    url = form.url.strip() or "/"
    if not url.startswith(("http://", "https://")):
        url = origin.rstrip("/") + (url if url.startswith("/") else "/" + url)
    parts = ["curl"]
    if form.method.upper() != "GET" or (form.body and form.method.upper() == "GET"):
        parts += ["-X", form.method.upper()]
    parts.append(shlex.quote(url))
    headers = list(form.headers)
    if form.body and form.content_type and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", form.content_type))
    for name, value in headers:
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if form.body:
        parts += ["--data-raw", shlex.quote(form.body)]
    return " ".join(parts)


def parse_curl(text: str) -> HttpForm:
    """Parse a pasted curl command into an ``HttpForm``.

    Raises:
        CurlParseError: not a curl command, unbalanced quotes, an option without
            its value, or no URL.
    """
    tokens = _tokenize(text)
    parsed = _Parsed()
    _consume(tokens[1:], parsed)
    if parsed.url is None:
        raise CurlParseError("the curl command has no URL")
    return _to_form(parsed)


def _tokenize(text: str) -> list[str]:
    cleaned = text.strip().replace("\\\r\n", " ").replace("\\\n", " ")
    if cleaned.startswith("$ "):
        cleaned = cleaned[2:]
    try:
        tokens = shlex.split(cleaned, posix=True)
    except ValueError as exc:
        raise CurlParseError(f"cannot read the curl command: {exc}") from None
    if not tokens or tokens[0] not in ("curl", "curl.exe"):
        raise CurlParseError("paste a command that starts with `curl`")
    return tokens


def _consume(tokens: list[str], parsed: _Parsed) -> None:
    index = 0
    while index < len(tokens):
        flag, value, inline = _split_flag(tokens[index])
        if flag is None:
            parsed.url = parsed.url or tokens[index]
            index += 1
            continue
        if _takes_value(flag) and not inline:
            if index + 1 >= len(tokens):
                raise CurlParseError(f"{flag} needs a value")
            value = tokens[index + 1]
            index += 1
        _apply(flag, value, parsed)
        index += 1


def _split_flag(token: str) -> tuple[str | None, str, bool]:
    if token.startswith("--") and "=" in token:
        flag, _, value = token.partition("=")
        return flag, value, True
    if token.startswith("--") or token in _FLAGS_IGNORED:
        return token, "", False
    if token.startswith("-") and len(token) > 2 and token[:2] in ("-X", "-H", "-d", "-u", "-A", "-e", "-b"):
        return token[:2], token[2:], True
    if token.startswith("-") and len(token) > 1:
        return token, "", False
    return None, "", False


def _takes_value(flag: str) -> bool:
    return flag in _DATA_FLAGS or flag in _VALUE_FLAGS_IGNORED or flag in {
        "-X", "--request", "-H", "--header", "--json", "-u", "--user", "-A", "--user-agent", "-e", "--referer",
        "-b", "--cookie", "--url"}


def _apply(flag: str, value: str, parsed: _Parsed) -> None:
    if flag in ("-X", "--request"):
        parsed.method = value.upper()
    elif flag in ("-H", "--header"):
        _add_header(value, parsed)
    elif flag in _DATA_FLAGS:
        parsed.data.append(value)
    elif flag == "--json":
        parsed.data.append(value)
        parsed.json = True
    elif flag in ("-G", "--get"):
        parsed.get = True
    elif flag in ("-I", "--head"):
        parsed.head = True
    elif flag == "--url":
        parsed.url = value
    else:
        _apply_header_shortcut(flag, value, parsed)


def _apply_header_shortcut(flag: str, value: str, parsed: _Parsed) -> None:
    if flag in ("-u", "--user"):
        token = base64.b64encode(value.encode("utf-8")).decode("ascii")
        parsed.headers.append(("Authorization", f"Basic {token}"))
    elif flag in ("-A", "--user-agent"):
        parsed.headers.append(("User-Agent", value))
    elif flag in ("-e", "--referer"):
        parsed.headers.append(("Referer", value))
    elif flag in ("-b", "--cookie"):
        parsed.headers.append(("Cookie", value))
    elif flag not in _FLAGS_IGNORED and flag not in _VALUE_FLAGS_IGNORED:
        raise CurlParseError(f"unsupported curl option {flag}")


def _add_header(value: str, parsed: _Parsed) -> None:
    name, sep, rest = value.partition(":")
    if not sep or not name.strip():
        raise CurlParseError(f"-H expects 'Name: value', got {value!r}")
    parsed.headers.append((name.strip(), rest.strip()))


def _to_form(parsed: _Parsed) -> HttpForm:
    url = _local_url(parsed.url or "/")
    body = "&".join(parsed.data)
    if parsed.get and body:
        url += ("&" if "?" in url else "?") + body
        body = ""
    method = parsed.method or ("HEAD" if parsed.head else "POST" if body else "GET")
    headers = [h for h in parsed.headers if h[0].lower() != "content-type"]
    given = next((v for n, v in parsed.headers if n.lower() == "content-type"), "")
    content_type = given or ("application/json" if parsed.json else "application/x-www-form-urlencoded" if body else "")
    if parsed.json and not any(n.lower() == "accept" for n, _ in headers):
        headers.append(("Accept", "application/json"))
    return HttpForm(method=method, url=url, headers=tuple(headers), body=body, content_type=content_type)


def _local_url(url: str) -> str:
    """Keep localhost URLs as path+query (what the simulator edits); others stay absolute."""
    if url.startswith("/"):
        return url
    if "://" not in url:
        url = "http://" + url  # like curl: a bare host[:port]/path
    parts = urlsplit(url)
    if parts.hostname in ("localhost", "127.0.0.1", "::1") or LOCAL_ORIGIN.endswith(parts.netloc):
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return url
