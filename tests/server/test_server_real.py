"""A real server on 127.0.0.1 (the HTTP front, port 0): publish, pin, roll back, restart, refusals, SSE logs."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient, PublishError
from runtime.server.upload import encode_upload

from server_harness import RealServer


def get_json(url: str) -> dict:  # type: ignore[type-arg]
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code, response.text)
    return response.json()  # type: ignore[no-any-return]


def test_publish_pin_roll_back_and_restart_keeps_everything(real_server: Callable[..., RealServer],
                                                            release: Callable[..., Bundle]) -> None:
    server = real_server()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        first = client.publish(release("hello", "1.0.0"))
        assert first.created and first.live and first.live_url == f"{server.url}/hello/"
        assert get_json(f"{server.url}/hello/count") == {"n": 1, "version": "1.0.0"}
        second = client.publish(release("hello", "1.1.0"))
        assert second.previous_live == "1.0.0"
        assert get_json(f"{server.url}/hello/count") == {"n": 2, "version": "1.1.0"}
        assert get_json(f"{server.url}/hello@1.0.0/count") == {"n": 3, "version": "1.0.0"}
        assert client.rollback("hello", "1.0.0") == "1.1.0"
        assert get_json(f"{server.url}/hello/")["version"] == "1.0.0"
    server.stop()

    again = real_server()
    assert again.url != "" and get_json(f"{again.url}/hello/")["version"] == "1.0.0"
    assert get_json(f"{again.url}/hello@1.1/")["version"] == "1.1.0"
    assert get_json(f"{again.url}/hello/count") == {"n": 4, "version": "1.0.0"}
    with PublishClient(again.url, token) as client:  # the token survived the restart too
        info = client.app("hello")
    assert info.live_version == "1.0.0"
    assert [(v.version, v.live) for v in info.versions] == [("1.1.0", False), ("1.0.0", True)]


def test_refusals_over_http_are_one_clear_line(real_server: Callable[..., RealServer],
                                               release: Callable[..., Bundle]) -> None:
    server = real_server(max_bundle_bytes=64 * 1024)
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("hello", "1.0.0"))
        other = release("hello", "1.0.0", source="export default { fetch() { return new Response('x'); } };")
        big = release("hello", "3.0.0", source="const pad = " + json.dumps("x" * 200_000)
                      + ";\nexport default { fetch() { return new Response(pad.slice(0, 1)); } };")
        refusals = {
            409: lambda: client.publish(other),
            413: lambda: client.publish(big),
            400: lambda: client.rollback("hello", "not-semver"),
            404: lambda: client.rollback("hello", "9.9.9"),
        }
        for status, call in refusals.items():
            with pytest.raises(PublishError) as caught:
                call()
            assert caught.value.status == status, str(caught.value)
            assert "\n" not in str(caught.value) and str(caught.value).startswith(f"server refused ({status} ")
        with pytest.raises(PublishError, match="version_live"):
            client.delete_version("hello", "1.0.0")
        with pytest.raises(PublishError, match="bad_name"):
            client.app("Not_A_Name")
    with PublishClient(server.url, "isoplay_forged") as intruder:
        with pytest.raises(PublishError, match=r"\(401 unauthorized\)"):
            intruder.publish(release("hello", "2.0.0"))
        with pytest.raises(PublishError, match=r"\(401 unauthorized\)"):
            intruder.delete_app("hello")
    assert get_json(f"{server.url}/hello/")["version"] == "1.0.0"
    with PublishClient(server.url, token) as client:
        assert [v.version for v in client.app("hello").versions] == ["1.0.0"]


def test_a_half_received_upload_never_becomes_visible(real_server: Callable[..., RealServer],
                                                      release: Callable[..., Bundle]) -> None:
    server = real_server()
    token = server.create_token()
    content_type, body = encode_upload(release("hello", "1.0.0"))
    host, port = server.url.removeprefix("http://").split(":")
    head = (f"POST /api/apps/hello/versions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    with PublishClient(server.url, token) as client:
        while time.monotonic() < deadline and server.http.statistics().connections:
            time.sleep(0.02)
        assert client.apps() == []
        assert client.publish(release("hello", "1.0.0")).created  # and the full upload still works
    assert not list((server.data_dir / "staging").iterdir())


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_logs_stream_as_server_sent_events(real_server: Callable[..., RealServer], release: Callable[..., Bundle],
                                           backend: str, request: pytest.FixtureRequest) -> None:
    server = real_server(store="" if backend == "sqlite" else request.getfixturevalue("pg_url"))
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("hello", "1.0.0"))
    events: list[dict] = []  # type: ignore[type-arg]
    connected = threading.Event()

    def listen() -> None:
        headers = {"authorization": f"Bearer {token}"}
        with httpx.stream("GET", f"{server.url}/api/apps/hello/logs", headers=headers, timeout=10) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    connected.set()
                elif line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if len(events) == 2:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(10)
    httpx.get(f"{server.url}/hello/some/where", timeout=10)
    httpx.get(f"{server.url}/hello/boom", timeout=10)
    listener.join(10)
    assert not listener.is_alive()
    ok, failed = events
    assert (ok["route"], ok["status"], ok["version"]) == ("/some/where", 200, "1.0.0")
    assert [entry["message"] for entry in ok["logs"]] == ["hit /some/where"]
    assert failed["outcome"] == "error" and "boom" in failed["error"]
    assert failed["logs"][0]["level"] == "error"
    anonymous = httpx.get(f"{server.url}/api/apps/hello/logs", timeout=10)
    assert anonymous.status_code == 401


def test_open_log_streams_do_not_block_a_graceful_stop(real_server: Callable[..., RealServer],
                                                       release: Callable[..., Bundle]) -> None:
    server = real_server(sse_keepalive_seconds=0.2)
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("hello", "1.0.0"))
    lines: list[str] = []

    def listen() -> None:
        with httpx.stream("GET", f"{server.url}/api/apps/hello/logs", timeout=10,
                          headers={"authorization": f"Bearer {token}"}) as response:
            lines.extend(response.iter_lines())

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    deadline = time.monotonic() + 5
    while ": keepalive" not in lines and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ": keepalive" in lines
    started = time.monotonic()
    server.stop()
    listener.join(5)
    assert not listener.is_alive() and time.monotonic() - started < 4


def test_data_dir_layout(real_server: Callable[..., RealServer], release: Callable[..., Bundle]) -> None:
    server = real_server()
    with PublishClient(server.url, server.create_token()) as client:
        published = client.publish(release("hello", "1.0.0"))
    httpx.get(f"{server.url}/hello/count", timeout=10)
    data: Path = server.data_dir
    folder = data / "bundles" / published.content_hash[:2] / published.content_hash
    assert sorted(p.suffix for p in folder.iterdir()) == [".js", ".json", ".map"]
    assert (data / "registry.sqlite3").is_file() and (data / "apps" / "hello" / "kv.sqlite3").is_file()


def test_concurrent_requests_on_a_warm_app_take_the_fast_path(real_server: Callable[..., RealServer],
                                                              release: Callable[..., Bundle]) -> None:
    server = real_server()
    with PublishClient(server.url, server.create_token()) as client:
        client.publish(release("hello", "1.0.0", extra="max_body_bytes = 100\n"))
    first = get_json(f"{server.url}/hello/p/q?x=1")  # loads the pool (the async path)
    assert first == {"version": "1.0.0", "url": f"{server.url}/p/q?x=1", "prefix": "/hello"}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            return await asyncio.gather(*(http.get(f"/hello@1/n/{i}", headers={"x-forwarded-prefix": "/spoof"})
                                          for i in range(60)))

    answers = asyncio.run(burst())
    assert [a.status_code for a in answers] == [200] * 60
    assert [a.json()["url"] for a in answers] == [f"{server.url}/n/{i}" for i in range(60)]
    assert {a.json()["prefix"] for a in answers} == {"/hello@1"}  # the client's header is replaced
    too_big = httpx.post(f"{server.url}/hello/upload", content=b"x" * 500, timeout=10)
    assert too_big.status_code == 413 and "max_body_bytes (100 bytes)" in too_big.text
    missing = httpx.get(f"{server.url}/nope/", timeout=10)
    assert missing.status_code == 404
    assert server.http.statistics().total_requests >= 63
