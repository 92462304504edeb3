"""fetch() end to end: a script in a real isolate, the httpx host op, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runtime import hostops
from runtime.invocation import HttpRequest, InvocationResult
from runtime.runner import run_once

BINARY = bytes(range(256))


class _Handler(BaseHTTPRequestHandler):
    """Routes: /echo, /bin, /redirect, /redirect-out, /see-other, /slow, /status/N."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- keep test output quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        if path == "/echo":
            info = {"method": self.command, "path": self.path, "body": body.decode("utf-8", "replace"),
                    "headers": {k.lower(): v for k, v in self.headers.items()}}
            self._send(200, json.dumps(info).encode(), {"Content-Type": "application/json", "X-Multi": "a",
                                                          "Set-Cookie": "s=1"})
        elif path == "/bin":
            self._send(200, BINARY, {"Content-Type": "application/octet-stream"})
        elif path == "/redirect":
            self._send(302, b"", {"Location": "/echo?from=redirect"})
        elif path == "/see-other":
            self._send(303, b"", {"Location": "/echo"})
        elif path == "/redirect-out":
            self._send(307, b"", {"Location": "http://localhost:9/elsewhere"})
        elif path == "/slow":
            time.sleep(1.0)
            self._send(200, b"late")
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"status body", {"Content-Type": "text/plain"})
        else:
            self._send(404, b"no route")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _route


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 for the module; yields its "host:port"."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def run_script(make_project: Callable[..., Path], server: str) -> Callable[..., Any]:
    """Run a fetch handler whose body is `source`; ORIGIN is the test server's origin."""

    async def run(source: str, allow: tuple[str, ...] | None = None) -> InvocationResult:
        allowed = json.dumps(list(allow if allow is not None else (server,)))
        files = {"src/index.ts": f'const ORIGIN = "http://{server}";\nexport default {{\n  async fetch(request: Request) {{\n{source}\n  }},\n}};\n'}
        manifest = f'name = "t"\nmain = "src/index.ts"\n[limits]\ntimeout_ms = 5000\n[fetch]\nallow = {allowed}\n'
        return await run_once(make_project(files, manifest), HttpRequest())

    return run


def value(result: InvocationResult) -> Any:
    """The JSON body a test script answered with."""
    assert result.outcome == "ok", result.error
    return json.loads(result.body)


async def test_get_and_post_round_trip(run_script: Callable[..., Any]) -> None:
    result = await run_script("""
    const r = await fetch(ORIGIN + "/echo?x=1", { method: "POST", body: "hé 😀", headers: { "X-Test": "yes" } });
    const got = await r.json();
    return Response.json({ status: r.status, ok: r.ok, statusText: r.statusText, url: r.url, redirected: r.redirected,
      type: r.headers.get("content-type"), cookies: r.headers.getSetCookie(), got });
    """)
    out = value(result)
    assert out["status"] == 200 and out["ok"] and out["statusText"] == "OK" and not out["redirected"]
    assert out["url"].endswith("/echo?x=1") and out["type"] == "application/json" and out["cookies"] == ["s=1"]
    got = out["got"]
    assert (got["method"], got["path"], got["body"]) == ("POST", "/echo?x=1", "hé 😀")
    assert got["headers"]["x-test"] == "yes"
    assert got["headers"]["content-type"] == "text/plain;charset=UTF-8"


async def test_binary_bodies_both_ways(run_script: Callable[..., Any]) -> None:
    result = await run_script("""
    const bin = new Uint8Array(await (await fetch(ORIGIN + "/bin")).arrayBuffer());
    const echoed = await (await fetch(ORIGIN + "/echo", { method: "PUT", body: new Uint8Array([0xff, 0x00, 0x41]) })).json();
    return Response.json({ n: bin.length, first: bin[0], last: bin[255], sum: bin.reduce((a, b) => a + b, 0),
      echoedLength: echoed.headers["content-length"] });
    """)
    assert value(result) == {"n": 256, "first": 0, "last": 255, "sum": sum(BINARY), "echoedLength": "3"}


async def test_host_not_on_allow_list_is_refused_with_how_to_allow(run_script: Callable[..., Any], server: str) -> None:
    result = await run_script("""
    const out = [];
    for (const url of ["http://example.com/x", "https://api.example.org:8443/", ORIGIN.replace(/:\\d+$/, ":1") + "/"]) {
      try { await fetch(url); out.push("fetched " + url); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    return Response.json(out);
    """)
    assert value(result) == [
        'TypeError: fetch to example.com is not allowed: add "example.com" to [fetch] allow in isoplay.toml',
        'TypeError: fetch to api.example.org:8443 is not allowed: add "api.example.org:8443" to [fetch] allow in isoplay.toml',
        'TypeError: fetch to 127.0.0.1:1 is not allowed: add "127.0.0.1:1" to [fetch] allow in isoplay.toml',
    ]


async def test_an_uncaught_refusal_fails_the_invocation_clearly(run_script: Callable[..., Any]) -> None:
    result = await run_script('return await fetch("http://blocked.test/");', allow=())
    assert result.outcome == "error"
    assert 'fetch to blocked.test is not allowed: add "blocked.test" to [fetch] allow in isoplay.toml' in result.error.message


async def test_redirects_followed_within_the_allow_list(run_script: Callable[..., Any]) -> None:
    result = await run_script("""
    const a = await fetch(ORIGIN + "/redirect");
    const b = await fetch(ORIGIN + "/see-other", { method: "POST", body: "dropped" });
    const c = await fetch(ORIGIN + "/redirect", { redirect: "manual" });
    const d = await fetch(ORIGIN + "/redirect", { redirect: "error" }).then(() => "no error", (e) => e.name);
    const e = await fetch(ORIGIN + "/redirect-out").then(() => "escaped", (err) => err.message);
    const bGot = await b.json();
    return Response.json({ aUrl: a.url, aRedirected: a.redirected, aPath: (await a.json()).path,
      bMethod: bGot.method, bBody: bGot.body, cStatus: c.status, cLocation: c.headers.get("location"), d, e });
    """)
    out = value(result)
    assert out["aUrl"].endswith("/echo?from=redirect") and out["aRedirected"] and out["aPath"] == "/echo?from=redirect"
    assert (out["bMethod"], out["bBody"]) == ("GET", "")
    assert (out["cStatus"], out["cLocation"]) == (302, "/echo?from=redirect")
    assert out["d"] == "TypeError"
    assert out["e"].startswith("fetch to localhost:9 is not allowed")


async def test_status_codes_and_head(run_script: Callable[..., Any]) -> None:
    result = await run_script("""
    const nf = await fetch(ORIGIN + "/status/404");
    const head = await fetch(ORIGIN + "/echo", { method: "HEAD" });
    return Response.json({ status: nf.status, ok: nf.ok, text: await nf.text(), headStatus: head.status, headBody: await head.text() });
    """)
    assert value(result) == {"status": 404, "ok": False, "text": "status body", "headStatus": 200, "headBody": ""}


async def test_abort_signal_rejects_the_fetch(run_script: Callable[..., Any]) -> None:
    started = time.perf_counter()
    result = await run_script("""
    const pre = await fetch(ORIGIN + "/echo", { signal: AbortSignal.abort() }).then(() => "sent", (e) => e.name);
    const t = await fetch(ORIGIN + "/slow", { signal: AbortSignal.timeout(50) }).then(() => "finished", (e) => e.name);
    const c = new AbortController();
    const p = fetch(ORIGIN + "/slow", { signal: c.signal });
    c.abort(new Error("stop"));
    const m = await p.then(() => "finished", (e) => e.message);
    return Response.json([pre, t, m]);
    """)
    assert value(result) == ["AbortError", "TimeoutError", "stop"]
    assert time.perf_counter() - started < 4.5


async def test_the_incoming_request_is_a_request(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": """
export default {
  async fetch(request: Request) {
    let immutable = "";
    try { request.headers.set("x", "y"); } catch (e) { immutable = (e as Error).name; }
    const u = new URL(request.url);
    return Response.json({ method: request.method, path: u.pathname, q: u.searchParams.get("q"),
      ct: request.headers.get("content-type"), body: await request.text(), immutable });
  },
};"""})
    result = await run_once(root, HttpRequest("POST", "http://localhost/p/a?q=%C3%BC", (("content-type", "text/x"),), "bödy".encode()))
    assert value(result) == {"method": "POST", "path": "/p/a", "q": "ü", "ct": "text/x", "body": "bödy", "immutable": "TypeError"}


async def test_binary_response_bodies_reach_the_host(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": """
export default { fetch() { return new Response(new Uint8Array([0, 0xff, 0xfe, 65])); } };"""})
    result = await run_once(root, HttpRequest())
    assert result.outcome == "ok" and result.body == b"\x00\xff\xfeA"


ALLOW_CASES = [
    ("http://api.example.com/x", ("api.example.com",), True),
    ("https://API.Example.com:8443/x", ("api.example.com",), True),
    ("http://api.example.com/x", ("api.example.com:80",), True),
    ("http://api.example.com:8080/x", ("api.example.com:80",), False),
    ("http://127.0.0.1:8080/", ("127.0.0.1:8080",), True),
    ("http://127.0.0.1:8081/", ("127.0.0.1:8080",), False),
    ("http://[::1]:8080/", ("[::1]:8080",), True),
    ("http://[::1]:8080/", ("[::1]",), True),
    ("http://a.example.com/", ("*.example.com",), True),
    ("http://example.com/", ("*.example.com",), False),
    ("http://evil-example.com/", ("*.example.com",), False),
    ("http://example.com.evil.org/", ("example.com",), False),
    ("http://example.com/", (), False),
]


def _fetch_module() -> Any:
    """runtime.fetch, imported after the built-in ops are registered.

    hostops.dispatch loads the built-in op modules only while its registry is
    empty, so importing runtime.fetch first would hide the KV ops from later tests.
    """
    hostops._load_builtin_ops()
    import runtime.fetch

    return runtime.fetch


@pytest.mark.parametrize(("url", "allow", "expected"), ALLOW_CASES)
def test_allow_list_matching(url: str, allow: tuple[str, ...], expected: bool) -> None:
    assert _fetch_module().host_allowed(url, allow) is expected


def test_refusal_names_host_and_port() -> None:
    refusal = _fetch_module().refusal
    assert refusal("http://[::1]:81/").message == 'fetch to [::1]:81 is not allowed: add "[::1]:81" to [fetch] allow in isoplay.toml'
    assert refusal("https://x.org:443/").js_name == "TypeError"
    assert "fetch to x.org is not allowed" in refusal("https://x.org:443/").message
