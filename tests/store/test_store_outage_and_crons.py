"""PostgreSQL going away and coming back; cron ticks claimed once across nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pgserver import PgServer, find_bin_dir
from runtime.invocation import ScheduledTrigger
from runtime.publish_client import build_release
from runtime.server.config import ServerConfig
from runtime.server.core import ServerCore
from runtime.store.postgres import PostgresDeploymentStorage
from test_cluster_postgres import APP, Node, eventually, release


@pytest.fixture
def own_pg() -> Iterator[PgServer]:
    """A PostgreSQL server of this test's own, so it can be stopped and started."""
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    server = PgServer(bin_dir).start()
    yield server
    server.destroy()


def test_an_outage_answers_503_with_the_reason_and_the_node_recovers_by_itself(
        own_pg: PgServer, tmp_path: Path, tools: Any) -> None:
    url = own_pg.database()
    storage = PostgresDeploymentStorage.open(url, migrate=True)
    storage.deploy("app", release(tmp_path, "1.0.0"), promote=True, now=1.0)
    storage.deploy("other", _named(tmp_path, "other"), promote=True, now=1.0)
    storage.close()
    node = Node("n1", url, tmp_path / "node")
    try:
        eventually(lambda: node.get("/api/health/ready").status_code == 200, 30)  # both live versions loaded
        assert node.get("/app/").json() == {"version": "1.0.0"}
        own_pg.stop()
        for path in ("/app/", "/other/"):
            warm = node.get(path)
            assert warm.status_code == 200, warm.text  # an app already loaded keeps serving what needs no store
        cold = node.get("/other@1.0.0/")  # resolving a version range reads the store
        assert cold.status_code == 503 and "PostgreSQL store is unreachable" in cold.text, cold.text
        kv = node.get("/app/count")  # KV lives in the store
        assert kv.status_code == 503 and "PostgreSQL store is unreachable" in kv.text, kv.text
        health = node.get("/api/health")
        assert health.status_code == 503 and health.json()["ready"] is False
        assert "unreachable" in health.json()["checks"]["storage"]
        ready = node.get("/api/health/ready")
        assert ready.status_code == 503 and "unreachable" in ready.json()["checks"]["storage"]
        assert node.get("/api/health/live").status_code == 200  # alive: no reason to restart it
        own_pg.start()
        eventually(lambda: node.get("/api/health").status_code == 200, 30)
        assert node.get("/other@1.0.0/").status_code == 200
        assert node.get("/app/count").json() == {"n": 1}
    finally:
        node.stop()


def _named(tmp_path: Path, name: str) -> Any:
    root = tmp_path / f"named-{name}"
    (root / "src").mkdir(parents=True)
    (root / "isoplay.toml").write_text(f'name = "{name}"\nversion = "1.0.0"\nmain = "src/index.ts"\n\n[vars]\n'
                                       f'VERSION = "1.0.0"\n\n[[kv_namespaces]]\nbinding = "KV"\n', encoding="utf-8")
    (root / "src" / "index.ts").write_text(APP, encoding="utf-8")
    return build_release(root)


async def test_each_cron_tick_fires_once_across_three_nodes_also_after_one_dies(
        pg_url: str, tmp_path: Path, tools: Any) -> None:
    cores = []
    for i in range(3):
        core = ServerCore(ServerConfig(data_dir=tmp_path / f"n{i}", store=pg_url, node=f"n{i}"),
                          storage=PostgresDeploymentStorage.open(pg_url))
        await core.start()
        cores.append(core)
    try:
        await asyncio.to_thread(cores[0].storage.deploy, "ticker", _named(tmp_path, "ticker"), promote=True, now=1.0)
        tick = ScheduledTrigger("*/5 * * * *", 1_800_000_000.0)
        fired = await asyncio.gather(*(c.runtimes._fire_cron("ticker", tick) for c in cores))  # noqa: SLF001
        assert sum(r is not None for r in fired) == 1
        await cores[0].stop()  # the node that may have claimed the last tick is gone
        later = ScheduledTrigger("*/5 * * * *", 1_800_000_300.0)
        fired = await asyncio.gather(*(c.runtimes._fire_cron("ticker", later) for c in cores[1:]))  # noqa: SLF001
        assert sum(r is not None for r in fired) == 1
        again = await cores[1].runtimes._fire_cron("ticker", later)  # noqa: SLF001
        assert again is None
    finally:
        for core in cores:
            await core.stop()
