"""The Cache API on a real server: each app has its own cache, and it survives a restart (on both stores)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient
from server_harness import RealServer

CACHE_APP = """
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const key = "https://cache.test/shared-key";
    if (url.pathname === "/put") {
      await caches.default.put(key, new Response(url.searchParams.get("v"), { headers: { "cache-control": "max-age=600" } }));
      return new Response("stored");
    }
    const hit = await caches.default.match(key);
    return new Response(hit ? await hit.text() : "miss");
  },
};
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_apps_have_separate_caches_that_survive_a_restart(real_server: Callable[..., RealServer],
                                                          release: Callable[..., Bundle], backend: str,
                                                          request: pytest.FixtureRequest) -> None:
    store = "" if backend == "sqlite" else request.getfixturevalue("pg_url")
    server = real_server(store=store)
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("alpha", "1.0.0", source=CACHE_APP))
        client.publish(release("beta", "1.0.0", source=CACHE_APP))
    get = lambda url: httpx.get(url, timeout=10).text  # noqa: E731
    assert get(f"{server.url}/alpha/put?v=from-alpha") == "stored"
    assert get(f"{server.url}/alpha/get") == "from-alpha"
    assert get(f"{server.url}/beta/get") == "miss"  # the same key in another app's cache
    assert get(f"{server.url}/beta/put?v=from-beta") == "stored"
    assert get(f"{server.url}/alpha/get") == "from-alpha"
    server.stop()

    again = real_server(store=store)
    assert httpx.get(f"{again.url}/alpha/get", timeout=10).text == "from-alpha"
    assert httpx.get(f"{again.url}/beta/get", timeout=10).text == "from-beta"
