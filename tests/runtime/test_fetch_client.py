"""The fetch op's client (aiohttp) at the wire: what it sends, what it hands back, where it connects.

The op is called directly with a small host context; the far end is an asyncio server on
127.0.0.1 that records each request head as received and answers a canned response."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from runtime import hostops
from runtime.hostops import HostOpError


def _fetch_module() -> Any:
    """runtime.fetch, imported after the built-in ops are registered (see test_fetch._fetch_module)."""
    hostops._load_builtin_ops()
    import runtime.fetch

    return runtime.fetch


@dataclass
class Wire:
    """A server on 127.0.0.1 that records request heads and answers ``response`` (raw bytes)."""

    port: int = 0
    response: bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
    heads: list[bytes] = field(default_factory=list)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            for _ in range(20):  # a bounded number of requests per connection
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if length:
                    await reader.readexactly(length)
                writer.write(self.response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed its connection: this handler is done
        finally:
            writer.close()

    def header_lines(self, index: int = -1) -> list[tuple[str, str]]:
        """The header lines of a recorded request, as sent (names in their case, in order)."""
        lines = self.heads[index].decode("latin-1").split("\r\n")[1:]
        return [(k, v.strip()) for k, v in (line.split(":", 1) for line in lines if line)]


@pytest.fixture
async def wire_factory() -> AsyncIterator[Callable[..., Any]]:
    servers: list[asyncio.Server] = []

    async def make(response: bytes | None = None, ssl_context: ssl.SSLContext | None = None) -> Wire:
        wire = Wire() if response is None else Wire(response=response)
        server = await asyncio.start_server(wire.handle, "127.0.0.1", 0, ssl=ssl_context)
        servers.append(server)
        wire.port = server.sockets[0].getsockname()[1]
        return wire

    yield make
    for server in servers:
        server.close()
        await server.wait_closed()


class Host:
    """The part of a script host the fetch op uses."""

    script_name = "t"

    def __init__(self, client: Any, allow: tuple[str, ...] = ("*",)) -> None:
        self.client = client
        self.fetch_allow = allow

    def http(self) -> Any:
        return self.client


async def _fetch(client: Any, url: str, **args: Any) -> dict[str, Any]:
    request = {"url": url, "method": "GET", "headers": [], "redirect": "follow", **args}
    result: dict[str, Any] = await _fetch_module().fetch(Host(client), request)
    return result


# ---- what goes out -----------------------------------------------------------------------------
async def test_script_headers_go_out_as_given_with_repeats_and_no_user_agent(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory()
    async with fetch.FetchClient() as client:
        await _fetch(client, f"http://127.0.0.1:{wire.port}/p?q=%7Bx%7D&r=a%2Fb", method="POST",
                     headers=[["X-Trace", "1"], ["x-trace", "2"], ["Accept", "text/html"], ["X-Case", "Kept"],
                              ["X-Trace", "3"]], body={"b64": "AAEC"})
    request_line = wire.heads[0].split(b"\r\n", 1)[0]
    assert request_line == b"POST /p?q=%7Bx%7D&r=a%2Fb HTTP/1.1"  # the serialised URL, not re-encoded
    lines = wire.header_lines()
    names = [k.lower() for k, _ in lines]
    assert [(k, v) for k, v in lines if k.lower().startswith("x-")] == [  # a repeat keeps the first spelling
        ("X-Trace", "1"), ("X-Trace", "2"), ("X-Case", "Kept"), ("X-Trace", "3")]
    assert dict((k.lower(), v) for k, v in lines)["accept"] == "text/html"  # the script's, not */*
    assert names.count("accept") == 1
    assert "user-agent" not in names and "content-type" not in names  # a Workers fetch adds neither
    assert dict((k.lower(), v) for k, v in lines)["content-length"] == "3"
    assert dict((k.lower(), v) for k, v in lines)["host"] == f"127.0.0.1:{wire.port}"


async def test_defaults_where_the_script_set_none(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory()
    async with fetch.FetchClient() as client:
        await _fetch(client, f"http://127.0.0.1:{wire.port}/")
    sent = {k.lower(): v for k, v in wire.header_lines()}
    assert sent == {"host": f"127.0.0.1:{wire.port}", "accept": "*/*", "accept-encoding": "gzip, deflate"}


async def test_cookies_are_not_kept_between_fetches(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory(b"HTTP/1.1 200 OK\r\nset-cookie: s=1; Path=/\r\ncontent-length: 0\r\n\r\n")
    async with fetch.FetchClient() as client:
        first = await _fetch(client, f"http://127.0.0.1:{wire.port}/a")
        await _fetch(client, f"http://127.0.0.1:{wire.port}/b")
    assert ["set-cookie", "s=1; Path=/"] in first["headers"]
    assert all(k.lower() != "cookie" for k, _ in wire.header_lines(1))


async def test_connections_are_reused(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory()
    async with fetch.FetchClient() as client:
        for _ in range(3):
            await _fetch(client, f"http://127.0.0.1:{wire.port}/")
    assert (len(wire.heads), wire.connections) == (3, 1)


# ---- what comes back ---------------------------------------------------------------------------
async def test_a_gzip_answer_is_decoded_and_its_encoding_headers_dropped(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    packed = gzip.compress("hé, decoded".encode() * 50)
    wire = await wire_factory(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-type: text/plain\r\n"
                              b"content-length: " + str(len(packed)).encode() + b"\r\n\r\n" + packed)
    async with fetch.FetchClient() as client:
        result = await _fetch(client, f"http://127.0.0.1:{wire.port}/")
    assert result["body"] == {"text": "hé, decoded" * 50}
    assert result["headers"] == [["content-type", "text/plain"]]


async def test_repeated_answer_headers_keep_their_order_and_reason(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory(b"HTTP/1.1 418 I'm a teapot\r\nSet-Cookie: a=1\r\nX-Multi: one\r\nSet-Cookie: b=2\r\n"
                              b"X-Multi: two\r\nX-Latin: caf\xe9\r\ncontent-length: 3\r\n\r\n\xff\x00A")
    async with fetch.FetchClient() as client:
        result = await _fetch(client, f"http://127.0.0.1:{wire.port}/x")
    assert result["headers"] == [["Set-Cookie", "a=1"], ["X-Multi", "one"], ["Set-Cookie", "b=2"],
                                 ["X-Multi", "two"], ["X-Latin", "café"]]
    assert (result["status"], result["statusText"], result["redirected"]) == (418, "I'm a teapot", False)
    assert result["body"] == {"b64": "/wBB"} and result["url"] == f"http://127.0.0.1:{wire.port}/x"


async def test_a_larger_answer_than_the_limit_is_refused(wire_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    monkeypatch.setattr(fetch, "MAX_RESPONSE_BYTES", 1024 * 1024)
    body = b"x" * (1024 * 1024 + 1)
    wire = await wire_factory(b"HTTP/1.1 200 OK\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    async with fetch.FetchClient() as client:
        with pytest.raises(HostOpError, match=r"the response body is larger than 1 MiB"):
            await _fetch(client, f"http://127.0.0.1:{wire.port}/big")


async def test_a_silent_server_times_out_with_the_timeout_named(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory(b"")  # reads the request, never answers
    url = f"http://127.0.0.1:{wire.port}/slow"
    async with fetch.FetchClient() as client:
        with pytest.raises(HostOpError, match=rf"^fetch to {url} timed out after 0.2 s$"):
            await _fetch(client, url, timeoutMs=200)


async def test_a_refused_connection_is_a_type_error(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fetch.FetchClient() as client:
        with pytest.raises(HostOpError, match=rf"^fetch to http://127.0.0.1:{port}/ failed: .*{port}") as caught:
            await _fetch(client, f"http://127.0.0.1:{port}/")
    assert caught.value.js_name == "TypeError"


# ---- the guard: the address checked is the address connected to --------------------------------
class _OnlyOne:
    """An EgressPolicy where 127.0.0.1 stands in for a public host; every other rule holds."""

    @staticmethod
    def make() -> Any:
        fetch = _fetch_module()

        class OnlyOne(fetch.EgressPolicy):  # type: ignore[misc,name-defined]
            def refusal(self, address: str) -> str | None:
                return None if address == "127.0.0.1" else super().refusal(address)

        return OnlyOne()


def _answers(monkeypatch: pytest.MonkeyPatch, *rounds: list[str]) -> list[str]:
    """DNS for ``rebind.example`` answers each round in turn (the last one repeats); returns the names asked."""
    loop = asyncio.get_running_loop()
    asked: list[str] = []
    real = loop.getaddrinfo

    async def getaddrinfo(host, port, **kwargs):  # type: ignore[no-untyped-def]  # the network edge: DNS
        if host != "rebind.example":
            return await real(host, port, **kwargs)
        addresses = rounds[min(len(asked), len(rounds) - 1)]
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return asked


def _certificate() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context for ``rebind.example`` (self-signed) and a client context trusting only it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rebind.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("rebind.example")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "c.pem").write_bytes(cert_pem)
        (Path(folder) / "k.pem").write_bytes(key_pem)
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(Path(folder) / "c.pem", Path(folder) / "k.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return server, client


async def test_the_guarded_client_connects_to_the_checked_address_with_the_name_for_host_and_sni(
        wire_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    server_ssl, client_ssl = _certificate()
    names: list[str | None] = []
    server_ssl.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc,return-value]
    wire = await wire_factory(ssl_context=server_ssl)
    asked = _answers(monkeypatch, ["127.0.0.2", "127.0.0.1"])  # a refused address first, then the allowed one
    async with fetch.guarded_client(_OnlyOne.make(), ssl_context=client_ssl) as client:
        result = await _fetch(client, f"https://rebind.example:{wire.port}/")
    assert result["status"] == 200 and result["body"] == {"text": "ok"}
    assert asked == ["rebind.example"]  # resolved once: what was checked is what was connected to
    assert names == ["rebind.example"]  # SNI is the name, and the certificate was checked against it
    assert dict((k.lower(), v) for k, v in wire.header_lines())["host"] == f"rebind.example:{wire.port}"


async def test_every_new_connection_is_checked_again(wire_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No DNS cache: a name that rebinds to a refused address between connections is refused."""
    fetch = _fetch_module()
    wire = await wire_factory()
    asked = _answers(monkeypatch, ["127.0.0.1"], ["127.0.0.2"])
    url = f"http://rebind.example:{wire.port}/"
    async with fetch.guarded_client(_OnlyOne.make(), keepalive=False) as client:
        assert (await _fetch(client, url))["status"] == 200
        with pytest.raises(HostOpError, match=r"^fetch to rebind.example:\d+ is not allowed: rebind.example resolves "
                                              r"to 127.0.0.2, a loopback \(127.0.0.0/8\) address, and scripts on this "
                                              r"server may not connect to loopback addresses$"):
            await _fetch(client, url)
    assert asked == ["rebind.example", "rebind.example"] and len(wire.heads) == 1


async def test_an_ip_literal_is_checked_at_connect(wire_factory) -> None:  # type: ignore[no-untyped-def]
    fetch = _fetch_module()
    wire = await wire_factory()
    async with fetch.guarded_client(fetch.EgressPolicy()) as client:
        with pytest.raises(HostOpError, match=r"^fetch to \[::ffff:7f00:1\]:\d+ is not allowed: \[::ffff:7f00:1\] is a "
                                              r"loopback \(127.0.0.0/8\) address"):
            await _fetch(client, f"http://[::ffff:7f00:1]:{wire.port}/")
    assert wire.heads == []


async def test_a_client_closes_and_opens_again() -> None:
    fetch = _fetch_module()
    client = fetch.FetchClient()
    first = client.session()
    await client.aclose()
    assert first.closed
    second = client.session()
    assert second is not first and not second.closed
    await client.aclose()


async def test_the_guarded_resolver_is_an_aiohttp_resolver_once_a_session_exists() -> None:
    fetch = _fetch_module()
    from aiohttp.abc import AbstractResolver

    async with fetch.guarded_client(fetch.EgressPolicy()) as client:
        client.session()
        assert isinstance(fetch.GuardedResolver(fetch.EgressPolicy()), AbstractResolver)


def test_loading_the_ops_does_not_import_aiohttp() -> None:
    """aiohttp costs ~120 ms to import: a script that never fetches does not pay it."""
    import subprocess
    import sys

    code = ("import sys; from runtime import hostops; hostops._load_builtin_ops(); import runtime.fetch; "
            "print('aiohttp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_a_client_whose_loop_closed_opens_a_session_on_the_next_loop() -> None:
    fetch = _fetch_module()
    client = fetch.FetchClient()

    async def session_of() -> Any:
        return client.session()

    first = asyncio.run(session_of())
    second = asyncio.run(session_of())
    assert second is not first and first.closed and not second.closed
    asyncio.run(client.aclose())
