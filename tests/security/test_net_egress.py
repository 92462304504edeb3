"""Egress on the server: every address a script's fetch connects to is checked after resolution.

Real sockets on 127.0.0.1 (a private service the attacks try to reach) and a real ``isoplay serve``;
the address rules themselves are checked directly, spelling by spelling."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest

from runtime.fetch import EgressPolicy, EgressRefused, FetchClient, GuardedResolver, guarded_client

POLICY = EgressPolicy()


# ---- the rules, spelling by spelling ---------------------------------------------------------
@pytest.mark.parametrize(("address", "rule"), [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:7f00:1", "loopback"), ("::127.0.0.1", "loopback"),
    ("2002:7f00:1::", "loopback"), ("64:ff9b::7f00:1", "loopback"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("::", "unspecified"), ("::ffff:0.0.0.0", "unspecified"),
    ("169.254.169.254", "link-local"), ("169.254.0.1", "link-local"), ("fe80::1", "link-local"),
    ("febf::1", "link-local"), ("::ffff:169.254.169.254", "link-local"), ("::ffff:a9fe:a9fe", "link-local"),
    ("64:ff9b::a9fe:a9fe", "link-local"), ("fe80::1%eth0", "link-local"),
    ("10.0.0.1", "private"), ("10.255.255.255", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"),
    ("192.168.1.1", "private"), ("100.64.0.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:192.168.0.1", "private"), ("2002:c0a8:101::1", "private"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
])
def test_refused_addresses_name_their_rule(address: str, rule: str) -> None:
    found = POLICY.refusal(address)
    assert found is not None and found.startswith(rule + " ("), found


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "192.169.0.1",
                                     "2606:4700:4700::1111", "2001:db9::1", "::ffff:8.8.8.8", "100.128.0.1"])
def test_public_addresses_pass(address: str) -> None:
    assert POLICY.refusal(address) is None


@pytest.mark.parametrize("address", ["10.1.2.3", "172.20.0.5", "192.168.10.10", "fd00::5", "::ffff:10.0.0.7"])
def test_the_operator_may_allow_private_ranges_only(address: str) -> None:
    allowing = EgressPolicy(allow_private=True)
    assert allowing.refusal(address) is None
    for other in ("127.0.0.1", "::1", "169.254.169.254", "0.0.0.0", "::ffff:127.0.0.1", "fe80::1"):
        assert allowing.refusal(other) is not None


def test_unparsable_addresses_are_refused() -> None:
    assert POLICY.refusal("not-an-ip") == "unparsable address"


# ---- the guarded client, against a real service on 127.0.0.1 ---------------------------------
class _Service(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Service.hits.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("location", self.path.split("to=", 1)[1])
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = b"secret from the private service"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[int]:
    """A private HTTP service on 127.0.0.1 (what the attacks try to reach)."""
    _Service.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "vm", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
                                  "0x7f000001", "0x7f.1", "0.0.0.0"])
async def test_the_guarded_client_never_reaches_loopback(service: int, host: str) -> None:
    try:
        socket.getaddrinfo(host.strip("[]"), service)
    except socket.gaierror:
        pytest.skip(f"{host} does not resolve here")
    async with guarded_client(POLICY) as client:
        with pytest.raises(EgressRefused, match="(loopback|unspecified) .* may not connect"):
            await client.session().get(f"http://{host}:{service}/secret")
    assert _Service.hits == []


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0177.0.0.1"])
async def test_the_guarded_client_refuses_legacy_numeric_ipv4_before_any_lookup(service: int, host: str) -> None:
    """aiohttp refuses these spellings outright (the prelude's URL parser never sends them: a
    forged op could); nothing is resolved or connected to."""
    async with guarded_client(POLICY) as client:
        with pytest.raises(aiohttp.InvalidURL, match="not a canonical IPv4 address"):
            await client.session().get(f"http://{host}:{service}/secret")
    assert _Service.hits == []


async def test_a_name_with_one_refused_and_one_allowed_address_connects_to_the_allowed_one(monkeypatch) -> None:
    """The address connected to is the one that was checked (the name is never resolved again)."""
    backend = GuardedResolver(POLICY)
    loop = asyncio.get_running_loop()

    async def answers(host, port, **kwargs):  # type: ignore[no-untyped-def]  # the network edge: DNS
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(loop, "getaddrinfo", answers)
    assert await backend.checked_address("rebind.example", 80) == "93.184.216.34"


async def test_a_name_resolving_only_to_refused_addresses_is_refused(monkeypatch) -> None:
    backend = GuardedResolver(POLICY)
    loop = asyncio.get_running_loop()

    async def answers(host, port, **kwargs):  # type: ignore[no-untyped-def]
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:169.254.169.254", port, 0, 0)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.8", port))]

    monkeypatch.setattr(loop, "getaddrinfo", answers)
    with pytest.raises(EgressRefused, match=r"metadata.example resolves to ::ffff:169.254.169.254, a link-local"):
        await backend.checked_address("metadata.example", 80)


class _AllowOnlyService(EgressPolicy):
    """127.0.0.1 stands in for a public host (the only one tests may use); every other rule holds."""

    def refusal(self, address: str) -> str | None:
        return None if address == "127.0.0.1" else super().refusal(address)


@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/secret", "http://[::1]:{port}/secret",
                                    "http://[::ffff:127.0.0.3]:{port}/secret", "http://169.254.169.254/latest/meta-data",
                                    "http://0.0.0.0:{port}/secret", "http://vm6.invalid.localhost:{port}/secret"])
async def test_every_redirect_hop_is_checked(service: int, target: str) -> None:
    from runtime.fetch import fetch

    class Host:
        script_name = "t"
        fetch_allow = ("*",)

        def __init__(self) -> None:
            self.client = guarded_client(_AllowOnlyService())

        def http(self) -> FetchClient:
            return self.client

    host = Host()
    import runtime.fetch as fetch_module

    original = fetch_module.host_allowed
    fetch_module.host_allowed = lambda url, allow: True  # the names all pass: only addresses are judged
    try:
        url = f"http://127.0.0.1:{service}/redirect?to=" + target.format(port=service)
        with pytest.raises(Exception) as caught:
            await fetch(host, {"url": url, "method": "GET", "headers": [], "redirect": "follow"})
    finally:
        fetch_module.host_allowed = original
        await host.client.aclose()
    message = str(caught.value)
    assert "is not allowed" in message or "cannot resolve" in message, message
    assert [h for h in _Service.hits if h.startswith("/secret")] == []


# ---- a real isoplay serve ---------------------------------------------------------------------
PROBE = """
export default {
  async fetch(request: Request) {
    const target = new URL(request.url).searchParams.get("u")!;
    try {
      const r = await fetch(target);
      return new Response("REACHED " + r.status + " " + (await r.text()));
    } catch (e) {
      return new Response("REFUSED " + String((e as Error).message), { status: 502 });
    }
  },
};
"""


@pytest.fixture(scope="module")
def egress_server(tmp_path_factory, tools):  # type: ignore[no-untyped-def]
    from net_serve import ServeProcess, write_project

    base = tmp_path_factory.mktemp("egress")
    _Service.hits = []
    service = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    port = service.server_address[1]
    server = ServeProcess(base / "data")
    allow = ["localhost", "vm", "127.0.0.1", f"127.0.0.1:{port}", "[::1]", "[::ffff:7f00:1]", "[::ffff:127.0.0.1]",
             "0.0.0.0", "169.254.169.254", "127.1", "0x7f000001", "[::]", "*.localhost"]
    try:
        server.publish(write_project(base / "probe", "probe", PROBE, f"[fetch]\nallow = {json.dumps(allow)}\n"))
        yield server, port
    finally:
        server.stop()
        service.shutdown()
        service.server_close()


@pytest.mark.parametrize("url", [
    "http://localhost:{port}/secret", "http://vm:{port}/secret", "http://127.0.0.1:{port}/secret",
    "http://[::ffff:7f00:1]:{port}/secret", "http://[::ffff:127.0.0.1]:{port}/secret", "http://0.0.0.0:{port}/secret",
    "http://2130706433:{port}/secret", "http://0x7f000001:{port}/secret", "http://127.1:{port}/secret",
    "http://0177.0.0.1:{port}/secret", "http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/secret",
    "http://localhost:{port}/redirect?to=http://127.0.0.1:{port}/secret",
])
def test_isoplay_serve_refuses_this_machine_with_the_rule_named(egress_server, url: str) -> None:
    server, port = egress_server
    target = url.format(port=port)
    answer = server.get("/probe/", params={"u": target})
    assert answer.status_code == 502, answer.text
    assert answer.text.startswith("REFUSED ")
    assert "REACHED" not in answer.text and "secret from" not in answer.text
    assert ("may not connect to loopback addresses" in answer.text or "unspecified" in answer.text
            or "link-local" in answer.text or "is not allowed" in answer.text), answer.text


def test_isoplay_serve_refuses_its_own_metrics(egress_server) -> None:
    server, _ = egress_server
    own = server.url.rsplit(":", 1)[1]
    answer = server.get("/probe/", params={"u": f"http://vm:{own}/metrics"})
    assert answer.status_code == 502 and "vm resolves to 127.0.0.1, a loopback (127.0.0.0/8) address" in answer.text
    assert "isoplay" not in answer.text.split("REFUSED", 1)[1].split("address")[0]


# ---- outbound WebSockets take the same check ----------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "vm", "[::ffff:127.0.0.1]"])
async def test_an_outbound_websocket_on_the_server_is_refused_by_address(service: int, host: str) -> None:
    from runtime.hostops import HostOpError
    from runtime.webapi.websocket import SocketHub, ws_connect

    class Host:
        script_name = "t"
        fetch_allow = (host.strip("[]"), host, f"{host}:{service}")

        def __init__(self) -> None:
            self.client = guarded_client(POLICY)
            self.sockets = SocketHub()

        def http(self) -> FetchClient:
            return self.client

    ctx = Host()
    try:
        with pytest.raises(HostOpError, match="loopback .* may not connect"):
            await ws_connect(ctx, {"url": f"ws://{host}:{service}/socket", "headers": []})
    finally:
        await ctx.client.aclose()
    assert _Service.hits == []
