"""kill -9 in the middle of a large upload: the old version keeps serving, no partial version appears.

A real ``isoplay serve`` process receives a >= 5 MB publish over a raw socket that stops part-way (or
sends everything); the server is then killed with SIGKILL, restarted on the same data folder, and must
serve the old version, list only complete versions, and hold no staging or orphan bundle files.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.server.upload import encode_upload
from sec_harness import create_token_offline, release, upload

PAD_BYTES = 3 * 1024 * 1024  # in the script and again in the source map's sourcesContent: > 6 MB in all
BIG_SOURCE = ('const PAD = "%s";\n'
              'export default { async fetch() { return new Response("v=2 " + PAD.length); } };\n') % ("a" * PAD_BYTES)


def _files(data: Path, folder: str) -> list[Path]:
    return sorted(p for p in (data / folder).rglob("*") if p.is_file()) if (data / folder).exists() else []


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.99, 1.0], ids=["5%", "half", "99%", "all-sent"])
def test_kill9_during_a_large_upload(serve: Any, tmp_path: Path, fraction: float) -> None:
    server = serve("--max-bundle-mb", "32")
    data = server.data_dir
    token = create_token_offline(data, "root")
    with server.client(token) as client:
        assert upload(client, release(tmp_path, "hello", "1.0.0")).status_code == 201
    assert httpx.get(f"{server.url}/hello/", timeout=10).text == "v=1"
    bundles_before = _files(data, "bundles")

    big = release(tmp_path, "hello", "2.0.0", source=BIG_SOURCE)
    ctype, body = encode_upload(big)
    assert len(body) >= 5 * 1024 * 1024
    cut = int(len(body) * fraction)
    head = (f"POST /api/apps/hello/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        sock.sendall(head + body[:cut])
        time.sleep(0.5)  # let the server take in what was sent (and, when all of it, start storing it)
        server.kill9()
    finally:
        sock.close()

    again = serve("--max-bundle-mb", "32", data_dir=data)
    assert httpx.get(f"{again.url}/hello/", timeout=10).text.startswith("v=")
    with again.client(token) as client:
        versions = [v["version"] for v in client.get("/api/apps/hello").json()["versions"]]
    if fraction < 1.0:
        assert versions == ["1.0.0"]
        assert httpx.get(f"{again.url}/hello/", timeout=10).text == "v=1"
        assert _files(data, "bundles") == bundles_before
    else:  # the whole body arrived: the deploy either committed completely or not at all
        assert versions in (["1.0.0"], ["2.0.0", "1.0.0"])
        expected = f"v=2 {PAD_BYTES}" if versions[0] == "2.0.0" else "v=1"
        assert httpx.get(f"{again.url}/hello/", timeout=10).text == expected
        assert httpx.get(f"{again.url}/hello@1.0.0/", timeout=10).text == "v=1"
    assert _files(data, "staging") == []
    assert httpx.get(f"{again.url}/api/health", timeout=10).json()["ready"] is True
