"""The Cache API on a real server: each app has its own cache, and it survives a restart."""

from __future__ import annotations

from collections.abc import Callable

import httpx

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


def test_apps_have_separate_caches_that_survive_a_restart(real_server: Callable[..., RealServer],
                                                          release: Callable[..., Bundle]) -> None:
    server = real_server()
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

    again = real_server()
    assert httpx.get(f"{again.url}/alpha/get", timeout=10).text == "from-alpha"
    assert httpx.get(f"{again.url}/beta/get", timeout=10).text == "from-beta"
