"""Save a recording as a test of the project (``isoplay test``, the vitest + ``cloudflare:test`` API).

The generated file seeds KV with the values the recording read (``env.KV.put``),
answers every outbound fetch with its recorded response (``fetchMock``, network
off, every intercept must be used), sends the recorded trigger through ``SELF``
and expects the recorded outcome: the status, the headers and the body (or the
thrown error's message). Values that came from the clock or from randomness
(numbers, ISO dates, UUIDs the recording's tape produced) cannot be pinned in a
test that runs live, so where they appear in the expected text it is matched by
a pattern that leaves them open. Placeholders of secrets and vars are filled with
the project's own values.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from typing import Any
from urllib.parse import urlsplit

from runtime.replay.format import Recording, body_bytes
from runtime.replay.redact import Redactor

_SKIP_HEADERS = {"content-length", "date", "server", "transfer-encoding", "connection"}


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _volatile(rec: Recording) -> list[str]:
    """Texts the tape put into the invocation: clock readings (ms and ISO), Math.random values, UUIDs."""
    out: set[str] = set()
    for step in rec.steps:
        for kind, value in step.get("tape") or ():
            if kind in ("c", "p", "m"):
                out.add(json.dumps(value))
                if kind == "c" and isinstance(value, (int, float)):
                    when = datetime.datetime.fromtimestamp(value / 1000, datetime.UTC)
                    out.add(when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(value) % 1000:03d}Z")
            elif kind == "r" and isinstance(value, str):
                raw = bytearray(base64.b64decode(value))
                out.add(raw.hex())
                if len(raw) == 16:  # randomUUID's shape (version 4, variant bits)
                    raw[6] = (raw[6] & 0x0F) | 0x40
                    raw[8] = (raw[8] & 0x3F) | 0x80
                    h = raw.hex()
                    out.add(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return sorted((v for v in out if v), key=len, reverse=True)


def _expect_text(expr: str, text: str, volatile: list[str]) -> str:
    """``expect(expr)`` to be ``text``, or to match it with the volatile parts left open."""
    # a number counts only as a whole number (not the "5" inside "1.5"); other values anywhere
    alternatives = [rf"(?<![0-9.]){re.escape(v)}(?![0-9.])" if re.fullmatch(r"-?[0-9.e+-]+", v) else re.escape(v)
                    for v in volatile]
    parts = re.split("(" + "|".join(alternatives) + ")", text) if alternatives else [text]
    if len(parts) == 1:
        return f"expect({expr}).toBe({_js(text)});"
    pattern = "".join("[^]*?" if i % 2 else _re_js(part) for i, part in enumerate(parts))
    return (f"// clock and random values of the recording are left open (they differ on every run)\n"
            f"  expect({expr}).toMatch(/^{pattern}$/);")


def _re_js(text: str) -> str:
    """``text`` escaped for a JavaScript regular expression literal."""
    return re.sub(r"[.*+?^${}()|[\]\\/]", lambda m: "\\" + m.group(0), text).replace("\n", "\\n")


def test_source(rec: Recording, redactor: Redactor, *, kv_bindings: tuple[str, ...] = ()) -> str:
    """The TypeScript of a test reproducing ``rec`` (a ``fetch`` recording)."""
    rec_steps = redactor.fill(rec.steps)
    trigger = redactor.fill(rec.trigger)
    result = redactor.fill(rec.result)
    if trigger.get("kind") != "fetch":
        raise ValueError(f"only fetch recordings can be saved as tests (this one is {trigger.get('kind')})")
    settles: dict[int, Any] = {}
    ops: list[tuple[int, str, Any]] = []
    for step in rec_steps:
        for n, ok, value in step.get("settle") or ():
            settles[int(n)] = (ok, value)
        for n, name, args in step.get("ops") or ():
            ops.append((int(n), name, args))
    seeds: list[str] = []
    mocks: list[str] = []
    seen: set[tuple[str, str]] = set()
    for n, name, args in ops:
        ok, value = settles.get(n, (False, None))
        if name in ("kv.get", "kv.getWithMetadata") and ok and isinstance(args, dict):
            binding, key = str(args.get("binding")), str(args.get("key"))
            data = value.get("value") if name == "kv.getWithMetadata" and isinstance(value, dict) else value
            if (binding, key) in seen or data is None:
                seen.add((binding, key))
                continue
            seen.add((binding, key))
            if "text" in data:
                seeds.append(f"  await env.{binding}.put({_js(key)}, {_js(data['text'])});")
            else:
                seeds.append(f"  await env.{binding}.put({_js(key)}, Uint8Array.from(atob({_js(data.get('b64', ''))}), "
                             "(c) => c.charCodeAt(0)));")
        elif name == "fetch" and isinstance(args, dict):
            url = urlsplit(str(args.get("url", "")))
            origin = f"{url.scheme}://{url.netloc}"
            path = url.path + (f"?{url.query}" if url.query else "")
            if ok and isinstance(value, dict):
                headers = {k: v for k, v in value.get("headers", []) if k.lower() not in _SKIP_HEADERS}
                body = body_bytes(value.get("body")).decode("utf-8", "replace")
                mocks.append(f"  fetchMock.get({_js(origin)}).intercept({{ path: {_js(path)}, method: "
                             f"{_js(args.get('method', 'GET'))} }}).reply({int(value.get('status', 200))}, "
                             f"{_js(body)}, {{ headers: {_js(headers)} }});")
            else:
                message = value.get("message") if isinstance(value, dict) else str(value)
                mocks.append(f"  fetchMock.get({_js(origin)}).intercept({{ path: {_js(path)}, method: "
                             f"{_js(args.get('method', 'GET'))} }}).replyWithError(new TypeError({_js(message)}));")
    volatile = _volatile(rec)
    req_init: dict[str, Any] = {"method": trigger.get("method", "GET"), "headers": trigger.get("headers") or []}
    body = body_bytes(trigger.get("body"))
    what = f"{trigger.get('method', 'GET')} {trigger.get('url')}"
    lines = [
        f"// Recorded by isoplay: {what} ({rec.outcome}{', ' + str(rec.status) if rec.status else ''}), "
        f"recording {rec.id}.",
        "// KV holds what the invocation read, fetches answer what they answered then (docs/replay.md).",
        'import { env, SELF, fetchMock } from "cloudflare:test";',
        'import { afterEach, beforeAll, expect, it } from "vitest";',
        "",
        "beforeAll(async () => {",
        "  fetchMock.activate();",
        "  fetchMock.disableNetConnect();",
        *seeds,
        "});",
        "",
        "afterEach(() => fetchMock.assertNoPendingInterceptors());",
        "",
        f"it({_js('replays ' + what + ' as recorded')}, async () => {{",
        *mocks,
    ]
    init = _js(req_init)[:-1] + (f", body: {_js(body.decode('utf-8', 'replace'))}}}" if body else "}")
    call = f"SELF.fetch({_js(trigger.get('url'))}, {init})"
    error = result.get("error")
    if rec.outcome == "error" and error:
        lines += [f"  const failure = await {call}.then(() => null, (e: Error) => e);",
                  "  expect(failure).toBeInstanceOf(Error);",
                  "  " + _expect_text("failure!.message", str(error.get("message", "")), volatile)]
    else:
        lines += [f"  const response = await {call};",
                  f"  expect(response.status).toBe({int(result.get('status') or 200)});"]
        for name, value in result.get("headers") or ():
            if name.lower() not in _SKIP_HEADERS:
                lines.append("  " + _expect_text(f"response.headers.get({_js(name)})", str(value), volatile))
        lines.append("  " + _expect_text("await response.text()",
                                         body_bytes(result.get("body")).decode("utf-8", "replace"), volatile))
    lines += ["});", ""]
    return "\n".join(lines)
