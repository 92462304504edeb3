"""Three real ``isoplay serve`` nodes on 127.0.0.1 sharing one real PostgreSQL server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.publish_client import PublishClient, build_release
from runtime.server.tokens import create_token
from runtime.store.postgres import PostgresDeploymentStorage
from serve_process import ServeProcess

APP = """
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/count") {
      const n = Number((await env.KV.get("n")) ?? "0") + 1;
      await env.KV.put("n", String(n));
      return Response.json({ n });
    }
    if (url.pathname === "/read") return new Response((await env.KV.get("n")) ?? "none");
    if (url.pathname === "/cache-put") {
      await caches.default.put("https://c.test/k", new Response("cached", { headers: { "cache-control": "max-age=600" } }));
      return new Response("stored");
    }
    if (url.pathname === "/cache-get") {
      const hit = await caches.default.match("https://c.test/k");
      return new Response(hit ? await hit.text() : "miss");
    }
    return Response.json({ version: env.VERSION });
  },
};
"""


class Node(ServeProcess):
    """One ``isoplay serve --store URL`` process named ``name``."""

    def __init__(self, name: str, url: str, data: Path) -> None:
        self.name = name
        super().__init__(["--store", url, "--data", str(data), "--port", "0", "--workers", "1"],
                         env={"ISOPLAY_NODE": name})

    def get(self, path: str) -> httpx.Response:
        # 30 s: while the store is down a request waits up to CONNECT_TIMEOUT_S for the pool, longer on a busy machine
        return httpx.get(f"{self.url}{path}", timeout=30)


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path, tools: Any) -> Iterator[tuple[list[Node], str]]:
    storage = PostgresDeploymentStorage.open(pg_url)
    token = create_token(storage, "tests")
    storage.close()
    nodes: list[Node] = []
    try:
        for i in range(3):
            nodes.append(Node(f"n{i + 1}", pg_url, tmp_path / f"node{i + 1}"))
        yield nodes, token
    finally:
        for node in nodes:
            node.stop()


def release(tmp_path: Path, version: str) -> Any:
    root = tmp_path / f"app-{version}"
    (root / "src").mkdir(parents=True)
    (root / "isoplay.toml").write_text(f'name = "app"\nversion = "{version}"\nmain = "src/index.ts"\n\n[vars]\n'
                                       f'VERSION = "{version}"\n\n[[kv_namespaces]]\nbinding = "KV"\n',
                                       encoding="utf-8")
    (root / "src" / "index.ts").write_text(APP, encoding="utf-8")
    return build_release(root)


def eventually(check: Callable[[], bool], within_s: float = 10.0) -> None:
    """Poll ``check`` until it holds (the bound is for busy CI machines; the bench measures the delay)."""
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.05)


def version_of(node: Node) -> str | None:
    response = node.get("/app/")
    return response.json()["version"] if response.status_code == 200 else None


def test_publish_rollback_and_kv_reach_every_node(cluster: tuple[list[Node], str], tmp_path: Path) -> None:
    (n1, n2, n3), token = cluster
    with PublishClient(n1.url, token) as client:
        client.publish(release(tmp_path, "1.0.0"))
        client.publish(release(tmp_path, "1.1.0"))
    for node in (n1, n2, n3):
        eventually(lambda node=node: version_of(node) == "1.1.0")
    with PublishClient(n3.url, token) as client:
        client.rollback("app", "1.0.0")
    for node in (n1, n2, n3):
        eventually(lambda node=node: version_of(node) == "1.0.0")
    assert n2.get("/app/count").json() == {"n": 1}
    assert n2.get("/app/count").json() == {"n": 2}
    assert n1.get("/app/read").text == "2" and n3.get("/app/read").text == "2"
    health = n2.get("/api/health").json()
    assert health["ready"] is True and health["node"] == "n2"
    metrics = httpx.get(f"{n3.url}/metrics", headers={"authorization": f"Bearer {token}"}, timeout=30)
    assert 'isoplay_node_info{node="n3"} 1.0' in metrics.text


def test_a_node_killed_under_load_costs_a_retrying_client_nothing(cluster: tuple[list[Node], str],
                                                                 tmp_path: Path) -> None:
    nodes, token = cluster
    with PublishClient(nodes[0].url, token) as client:
        client.publish(release(tmp_path, "1.0.0"))
    for node in nodes:
        eventually(lambda node=node: version_of(node) == "1.0.0")
    ok, failed = 0, []
    turn = 0
    with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for i in range(300):
            if i == 100:
                nodes[1].proc.kill()  # kill -9, in the middle of the load
            for attempt in range(len(nodes)):  # as a load balancer: on a refused or dropped connection, the next node
                node = nodes[(turn + attempt) % len(nodes)]
                try:
                    response = client.get(f"{node.url}/app/")
                except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
                    continue
                if response.status_code == 200:
                    ok += 1
                else:
                    failed.append(f"{node.name}: {response.status_code} {response.text[:80]}")
                break
            else:
                failed.append("no node answered")
            turn += 1
    assert failed == [] and ok == 300, failed[:5]


def test_restarting_every_node_loses_nothing(cluster: tuple[list[Node], str], tmp_path: Path, pg_url: str) -> None:
    nodes, token = cluster
    with PublishClient(nodes[0].url, token) as client:
        client.publish(release(tmp_path, "1.0.0"))
        client.publish(release(tmp_path, "1.1.0"))
    eventually(lambda: version_of(nodes[2]) == "1.1.0")
    assert nodes[2].get("/app/count").json() == {"n": 1}
    assert nodes[1].get("/app/cache-put").text == "stored"
    assert nodes[0].get("/app/cache-get").text == "cached"  # the Cache API is the cluster's, not the node's
    for node in nodes:
        node.stop()
    fresh = Node("n9", pg_url, tmp_path / "node9")
    try:
        assert version_of(fresh) == "1.1.0" and fresh.get("/app/read").text == "1"
        assert fresh.get("/app/cache-get").text == "cached"
        with PublishClient(fresh.url, token) as client:
            assert [v.version for v in client.app("app").versions] == ["1.1.0", "1.0.0"]
        history = httpx.get(f"{fresh.url}/api/apps/app/logs/history", timeout=30,
                            headers={"authorization": f"Bearer {token}"}).json()["events"]
        served = {(e["node"], e["route"]) for e in history}
        assert {("n3", "/count"), ("n2", "/cache-put"), ("n1", "/cache-get")} <= served  # the logs too
    finally:
        fresh.stop()
