"""A streamed response through ``isoplay dev`` (a real process), read chunk by chunk from a raw socket."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rawhttp import STREAMING_SOURCE, RawClient, check_streamed


@pytest.fixture
def dev_port(make_project, tmp_path: Path) -> Iterator[int]:
    root = make_project({"src/index.ts": STREAMING_SOURCE}, 'name = "stream"\nmain = "src/index.ts"\n', name="stream")
    log = tmp_path / "dev.log"
    with log.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-cron"],
                                stdout=subprocess.DEVNULL, stderr=handle)
        try:
            deadline = time.monotonic() + 30
            port = 0
            while time.monotonic() < deadline and proc.poll() is None:
                match = re.search(r"at http://127\.0\.0\.1:(\d+)/", log.read_text())
                if match and "built" in log.read_text():
                    port = int(match.group(1))
                    break
                time.sleep(0.05)
            assert port, log.read_text()
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def test_isoplay_dev_streams_a_response_chunk_by_chunk(dev_port: int) -> None:
    client = RawClient("127.0.0.1", dev_port)
    try:
        deadline = time.monotonic() + 15
        while True:  # the first build may still be loading into the pool
            plain = client.get("/plain")
            if plain.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert plain.body == b"plain"
        streamed = client.get("/stream")
        check_streamed(streamed)
        assert streamed.headers["content-type"] == "text/plain; charset=utf-8"
        assert client.get("/plain").body == b"plain"  # the connection stays usable after a streamed body
    finally:
        client.close()
