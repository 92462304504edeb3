"""The Cache API through a real ``isoplay dev``: entries survive a restart of the dev server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from test_websocket_dev import Dev

SOURCE = """
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const key = "https://cache.test/page";
    if (url.pathname === "/put") {
      await caches.default.put(key, new Response("cached at " + url.searchParams.get("t"), {
        headers: { "cache-control": "public, max-age=3600" } }));
      return new Response("stored");
    }
    const hit = await caches.default.match(key);
    return hit ?? new Response("miss", { status: 404 });
  },
};
"""


def test_cache_survives_a_dev_restart(make_project: Callable[..., Path], tmp_path: Path) -> None:
    root = make_project({"src/index.ts": SOURCE}, 'name = "cachedev"\nmain = "src/index.ts"\n', name="cachedev")
    first = Dev(root, tmp_path / "dev1.log")
    try:
        base = f"http://127.0.0.1:{first.port}"
        assert httpx.get(f"{base}/get", timeout=10).status_code == 404
        assert httpx.get(f"{base}/put?t=1", timeout=10).text == "stored"
        hit = httpx.get(f"{base}/get", timeout=10)
        assert hit.text == "cached at 1" and hit.headers["cf-cache-status"] == "HIT"
    finally:
        first.stop()
    second = Dev(root, tmp_path / "dev2.log")
    try:
        again = httpx.get(f"http://127.0.0.1:{second.port}/get", timeout=10)
        assert again.status_code == 200 and again.text == "cached at 1"
    finally:
        second.stop()
