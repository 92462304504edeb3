"""KV on a real ``isoplay serve``: an app cannot reach another app's data; kill -9 loses no acknowledged write."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sec_harness import ServeProcess, create_token_offline, release, upload

KV_SOURCE = """
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    const url = new URL(request.url);
    const kv = env[url.searchParams.get("binding") ?? "KV"];
    const key = url.searchParams.get("k") ?? "";
    if (url.pathname === "/put") {
      await kv.put(key, await request.text());
      return new Response("stored");
    }
    if (url.pathname === "/get") return Response.json({ value: await kv.get(key) });
    if (url.pathname === "/list") {
      const listed = await kv.list({ prefix: url.searchParams.get("prefix") ?? undefined });
      return Response.json({ keys: listed.keys.map((k: any) => k.name) });
    }
    if (url.pathname === "/globals") {
      return Response.json({ names: Object.getOwnPropertyNames(globalThis).filter((n) => /kv|store|sqlite|host/i.test(n)) });
    }
    return new Response("?", { status: 404 });
  },
};
"""
KV_MANIFEST = '[[kv_namespaces]]\nbinding = "KV"\n\n[[kv_namespaces]]\nbinding = "STORE"\n'


def publish(server: ServeProcess, token: str, tmp: Path, name: str, version: str = "1.0.0") -> None:
    with server.client(token) as client:
        answer = upload(client, release(tmp, name, version, source=KV_SOURCE, extra=KV_MANIFEST))
        assert answer.status_code in (200, 201), answer.text


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("serve-kv")
    token = create_token_offline(data, "root")
    server = ServeProcess(data).start()
    builds = tmp_path_factory.mktemp("b")
    for app in ("alpha", "beta"):
        publish(server, token, builds, app)
    for key in ("secret", "../beta/secret", "alpha:secret", "shared/prefix-1"):
        assert httpx.put(f"{server.url}/alpha/put", params={"k": key}, content=f"alpha-{key}", timeout=10).text == "stored"
    yield {"server": server, "token": token, "builds": builds}
    server.stop()


@pytest.mark.parametrize(("binding", "key"), [
    ("KV", "secret"), ("STORE", "secret"), ("KV", "../alpha/secret"), ("KV", "alpha/secret"),
    ("KV", "alpha:secret"), ("KV", "/alpha/secret"), ("KV", "..%2Falpha%2Fsecret"), ("KV", "secret\u0000"),
    ("KV", "SECRET"), ("KV", "shared/prefix-1"),
], ids=["same-key", "other-binding", "dotdot", "slash", "colon", "absolute", "encoded", "nul", "case", "prefix"])
def test_another_apps_keys_are_unreachable(two_apps: dict[str, Any], binding: str, key: str) -> None:
    url = two_apps["server"].url
    answer = httpx.get(f"{url}/beta/get", params={"k": key, "binding": binding}, timeout=10)
    assert answer.status_code in (200, 500), answer.text  # a key KV refuses (NUL) is an error, not a leak
    if answer.status_code == 200:
        assert answer.json() == {"value": None}
    assert "alpha-" not in answer.text
    assert httpx.get(f"{url}/alpha/get", params={"k": "secret"}, timeout=10).json() == {"value": "alpha-secret"}


@pytest.mark.parametrize("prefix", ["", "shared", "../", "alpha"])
def test_listing_shows_only_the_apps_own_keys(two_apps: dict[str, Any], prefix: str) -> None:
    url = two_apps["server"].url
    assert httpx.get(f"{url}/beta/list", params={"prefix": prefix}, timeout=10).json() == {"keys": []}


def test_no_global_reaches_the_store(two_apps: dict[str, Any]) -> None:
    names = httpx.get(f"{two_apps['server'].url}/beta/globals", timeout=10).json()["names"]
    assert names == [], names


def test_a_deleted_apps_kv_is_gone_for_a_new_app_of_that_name(two_apps: dict[str, Any]) -> None:
    server, token = two_apps["server"], two_apps["token"]
    httpx.put(f"{server.url}/beta/put", params={"k": "mine"}, content="beta-data", timeout=10)
    with server.client(token) as client:
        assert client.delete("/api/apps/beta").status_code == 200
    publish(server, token, two_apps["builds"], "beta", "9.0.0")
    assert httpx.get(f"{server.url}/beta/get", params={"k": "mine"}, timeout=10).json() == {"value": None}


# ---- kill -9 during writes -------------------------------------------------------------------------
def _writer(url: str, prefix: str, size: int, acked: dict[str, str], stop: threading.Event) -> None:
    with httpx.Client(timeout=5) as client:
        n = 0
        while not stop.is_set():
            key, value = f"{prefix}-{n}", f"{prefix}-{n}-" + "x" * size
            try:
                answer = client.put(f"{url}/put", params={"k": key}, content=value)
            except httpx.HTTPError:
                return  # the server died: this write was never acknowledged
            if answer.status_code == 200 and answer.text == "stored":
                acked[key] = value
            n += 1


@pytest.mark.parametrize(("writers", "size"), [(1, 10), (4, 10), (2, 100_000)],
                         ids=["one-writer", "four-writers", "100kB-values"])
def test_kill9_during_kv_writes_loses_no_acknowledged_write(serve: Any, tmp_path: Path, writers: int,
                                                           size: int) -> None:
    server = serve()
    token = create_token_offline(server.data_dir, "root")
    publish(server, token, tmp_path, "kv")
    acked: dict[str, str] = {}
    stop = threading.Event()
    threads = [threading.Thread(target=_writer, args=(f"{server.url}/kv", f"w{i}", size, acked, stop))
               for i in range(writers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acked) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acked) >= 30, len(acked)

    again = serve(data_dir=server.data_dir)
    with httpx.Client(timeout=10) as client:
        lost = [k for k, v in acked.items()
                if client.get(f"{again.url}/kv/get", params={"k": k}).json()["value"] != v]
    assert lost == [], f"{len(lost)} of {len(acked)} acknowledged writes lost: {lost[:5]}"
