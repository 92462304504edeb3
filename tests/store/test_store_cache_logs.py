"""The Cache API and the log history on both stores: SQLite files (shared by ``--workers``) and PostgreSQL.

The same tests run on each: the stores' own contract, then two server processes' worth of
``ServerCore`` sharing one store (the same data folder, as ``--workers`` siblings; or the same
database, as cluster nodes): the Cache API semantics script, a cache entry put through one and
matched through the other, a log stream on one showing what the other served, the history on
either, and everything still there after a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cache_semantics import SEMANTICS_FETCH, check_semantics
from runtime.publish_client import build_release
from runtime.server.config import ServerConfig
from runtime.server.core import ServerCore
from runtime.server.tokens import create_token
from runtime.store import open_store
from runtime.webapi import cache as cache_mod

SHARED = """
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const key = "https://cache.test/shared";
    if (url.pathname === "/put") {
      await caches.default.put(new Request(key, { headers: request.headers }), new Response(url.searchParams.get("v"), {
        headers: { "cache-control": "max-age=600", vary: "accept-language" } }));
      return new Response("stored");
    }
    if (url.pathname === "/put-short") {
      await caches.default.put(key, new Response("short", { headers: { "cache-control": "max-age=1" } }));
      return new Response("stored");
    }
    console.log("serving", url.pathname);
    const hit = await caches.default.match(new Request(key, { headers: request.headers }));
    return new Response(hit ? await hit.text() : "miss");
  },
};
"""


@pytest.fixture(params=["sqlite", "postgres"])
def store_spec(request: pytest.FixtureRequest) -> str:
    """``--store`` for each store under test: empty (SQLite in the data folder) or a fresh database."""
    return "" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
def opened(store_spec: str, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Factory: open the deployment storage under test (all closed at the end)."""
    stores: list[Any] = []

    def make() -> Any:
        stores.append(open_store(store_spec, tmp_path / "data"))
        return stores[-1]

    yield make
    for storage in stores:
        storage.close()


# ---- the stores' own contract -------------------------------------------------------------------


def test_cache_store_contract(opened: Callable[[], Any]) -> None:
    storage = opened()
    a, b = storage.open_cache("alpha"), storage.open_cache("beta")
    now = time.time()
    url = "https://u.test/page"
    en = cache_mod.CachedResponse(200, [("content-type", "text/plain")], b"\x00en", now + 60, (("accept", "en"),))
    fr = cache_mod.CachedResponse(200, [], b"fr", now + 60, (("accept", "fr"),))
    a.put("c", url, en)
    a.put("c", url, fr)
    a.put("c", url, cache_mod.CachedResponse(200, [], b"fr again", now + 90, (("accept", "fr"),)))  # same variant
    a.put("c", "https://u.test/old", cache_mod.CachedResponse(200, [], b"old", now - 1, ()))
    got = a.variants("c", url, now)
    assert sorted(v.body for v in got) == [b"\x00en", b"fr again"]
    assert cache_mod.select(got, [("Accept", "en")]) == en
    assert cache_mod.select(got, [("Accept", "de")]) is None
    assert a.variants("c", "https://u.test/old", now) == []  # expired: never returned
    assert a.count(now) == 2
    assert b.variants("c", url, now) == [] and a.variants("other-cache", url, now) == []  # apps and caches apart
    long_url = "https://u.test/" + "x" * 12_000  # longer than a PostgreSQL index entry may be
    a.put("c", long_url, cache_mod.CachedResponse(200, [], b"long", now + 60, ()))
    assert [v.body for v in a.variants("c", long_url, now)] == [b"long"]
    assert a.delete("c", url, now) is True and a.delete("c", url, now) is False
    assert a.variants("c", url, now) == []
    storage.close()
    again = opened().open_cache("alpha")
    assert [v.body for v in again.variants("c", long_url, time.time())] == [b"long"]  # it survives a reopen


def test_log_store_contract(opened: Callable[[], Any]) -> None:
    logs = opened().open_logs()
    assert logs.last_id() == 0 and logs.recent("a", 10) == []
    logs.append([("a", 1.0, "p1", '{"n":1}'), ("b", 2.0, "p1", '{"n":2}'), ("a", 3.0, "p2", '{"n":3}')])
    first = logs.last_id()
    assert [row[3] for row in logs.recent("a", 10)] == ['{"n":1}', '{"n":3}']
    assert [row[3] for row in logs.recent("a", 1)] == ['{"n":3}']  # the newest, oldest first
    rows = logs.after(["a", "b"], 0, 10)
    assert [(r[1], r[2]) for r in rows] == [("a", "p1"), ("b", "p1"), ("a", "p2")]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows) and rows[-1][0] == first
    assert logs.after(["b"], rows[1][0], 10) == [] and logs.after([], 0, 10) == []
    logs.append([("a", 4.0 + i, "p1", f'{{"n":{4 + i}}}') for i in range(10)])
    assert logs.prune("a", 5) == 7
    assert [row[3] for row in logs.recent("a", 100)] == [f'{{"n":{n}}}' for n in range(9, 14)]
    logs.forget("a")
    assert logs.recent("a", 100) == [] and len(logs.recent("b", 100)) == 1


# ---- two processes' worth of server on one store ------------------------------------------------------


class Side:
    """One ServerCore on the shared store, with an API client speaking to it in-process."""

    def __init__(self, core: ServerCore, token: str) -> None:
        self.core = core
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=core.asgi), base_url="http://testserver",
                                      headers={"authorization": f"Bearer {token}"}, timeout=30)

    async def text(self, path: str, **headers: str) -> str:
        response = await self.http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.text


@pytest.fixture
async def sides(store_spec: str, tmp_path: Path, tools: Any) -> AsyncIterator[Callable[[str], Any]]:
    """Factory: start a ServerCore named ``node`` on the store under test (stopped at the end)."""
    made: list[Side] = []
    token: list[str] = []

    async def make(node: str) -> Side:
        # SQLite: one data folder, as --workers siblings share; PostgreSQL: each node its own folder
        data = tmp_path / ("data" if not store_spec else f"data-{node}")
        core = ServerCore(ServerConfig(data_dir=data, store=store_spec, node=node, log_buffer=50))
        await core.start()
        if not token:
            token.append(create_token(core.storage, "tests"))
        made.append(Side(core, token[0]))
        return made[-1]

    yield make
    for side in made:
        await side.http.aclose()
        await side.core.stop()


def _release(tmp_path: Path, name: str, source: str) -> Any:
    root = tmp_path / f"project-{name}"
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text(f'name = "{name}"\nversion = "1.0.0"\nmain = "src/index.ts"\n',
                                       encoding="utf-8")
    (root / "src" / "index.ts").write_text(source, encoding="utf-8")
    return build_release(root)


async def _eventually(check: Callable[[], Any], within_s: float = 15.0) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, "did not happen in time"
        await asyncio.sleep(0.05)


async def test_cache_semantics_on_a_served_app(sides: Callable[[str], Any], tmp_path: Path) -> None:
    a = await sides("a")
    await a.core.deploys.publish("semantics", _release(tmp_path, "semantics", SEMANTICS_FETCH))
    response = await a.http.get("/semantics/")
    assert response.status_code == 200, response.text
    check_semantics(response.json())


async def test_cache_and_logs_are_shared_and_survive_a_restart(sides: Callable[[str], Any], tmp_path: Path) -> None:
    a, b = await sides("a"), await sides("b")
    await a.core.deploys.publish("shared", _release(tmp_path, "shared", SHARED))
    assert await a.text("/shared/put?v=bonjour", **{"accept-language": "fr"}) == "stored"
    assert await b.text("/shared/get", **{"accept-language": "fr"}) == "bonjour"  # put on a, matched on b
    assert await b.text("/shared/get", **{"accept-language": "de"}) == "miss"  # Vary holds across processes
    assert await b.text("/shared/put-short") == "stored"
    await asyncio.sleep(1.1)
    assert await a.text("/shared/get") == "miss"  # expired through either

    stream = b.core.logs.subscribe("shared")  # a log stream opened on b ...
    try:
        assert await a.text("/shared/served-by-a") == "miss"  # ... shows what a served
        got = await stream.get(15)
        while got is not None and got[0].route != "/served-by-a":
            got = await stream.get(15)
        assert got is not None, "a's invocation never reached b's stream"
        event = got[0]
        assert event.node == "a" and [m for _, m, _ in event.logs] == ["serving /served-by-a"]
    finally:
        stream.close()

    async def in_history(side: Side) -> bool:
        response = await side.http.get("/api/apps/shared/logs/history?limit=50")
        assert response.status_code == 200, response.text
        return any(e["route"] == "/served-by-a" and e["node"] == "a" for e in response.json()["events"])

    await _eventually(lambda: in_history(b))
    assert (await b.http.get("/api/apps/shared/logs/history?limit=0")).status_code == 400
    assert (await b.http.get("/api/apps/nope/logs/history")).status_code == 404
    for side in (a, b):
        await side.core.stop()

    c = await sides("c")  # every process restarted: the cache and the history are still there
    assert await in_history(c)
    assert await c.text("/shared/get", **{"accept-language": "fr"}) == "bonjour"
    for _ in range(60):  # more than the history keeps (log_buffer = 50)
        await c.text("/shared/again")
    await c.core.log_shipper.ship_once()  # type: ignore[union-attr]
    history = (await c.http.get("/api/apps/shared/logs/history?limit=50")).json()["events"]
    assert len(history) == 50 and all(e["route"] == "/again" for e in history)

    assert (await c.http.delete("/api/apps/shared")).status_code == 200  # deleting an app deletes its cache and logs
    assert (await c.http.get("/api/apps/shared/logs/history")).status_code == 404
    await c.core.deploys.publish("shared", _release(tmp_path, "shared", SHARED))
    assert (await c.http.get("/api/apps/shared/logs/history")).json()["events"] == []
    assert await c.text("/shared/get", **{"accept-language": "fr"}) == "miss"
