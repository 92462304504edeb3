"""Factories for server tests: app projects, release bundles, in-process and real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import build_release
from runtime.server.config import ServerConfig
from runtime.server.core import ServerCore
from runtime.server.tokens import create_token
from server_harness import RealServer

APP_SOURCE = """
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/count") {
      const n = Number((await env.KV.get("n")) ?? "0") + 1;
      await env.KV.put("n", String(n));
      return Response.json({ n, version: env.VERSION });
    }
    if (url.pathname === "/env") {
      return Response.json({ keys: Object.keys(env).sort(), process: typeof (globalThis as any).process,
                             require: typeof (globalThis as any).require });
    }
    if (url.pathname === "/cron") return new Response((await env.KV.get("cron")) ?? "0");
    if (url.pathname === "/boom") { console.error("about to fail"); throw new Error("boom"); }
    console.log("hit", url.pathname);
    return Response.json({ version: env.VERSION, url: request.url, prefix: request.headers.get("x-forwarded-prefix") });
  },
  async scheduled(event: any, env: any): Promise<void> {
    const n = Number((await env.KV.get("cron")) ?? "0") + 1;
    await env.KV.put("cron", String(n));
  },
};
"""


def manifest_text(name: str, version: str, extra: str = "") -> str:
    """An isoplay.toml with a KV binding and a VERSION var."""
    return (f'name = "{name}"\nversion = "{version}"\nmain = "src/index.ts"\n\n[vars]\nVERSION = "{version}"\n\n'
            f'[[kv_namespaces]]\nbinding = "KV"\n\n[limits]\ntimeout_ms = 5000\nmin_idle = 0\n{extra}')


@pytest.fixture
def release(tmp_path: Path, tools: Any) -> Callable[..., Bundle]:
    """Factory: build a release bundle of the test app as ``name`` at ``version``."""
    cache: dict[tuple[str, str, str, str], Bundle] = {}

    def make(name: str = "hello", version: str = "1.0.0", *, source: str = APP_SOURCE, extra: str = "") -> Bundle:
        key = (name, version, source, extra)
        if key not in cache:
            root = tmp_path / "projects" / f"{name}-{version}-{len(cache)}"
            (root / "src").mkdir(parents=True)
            (root / "isoplay.toml").write_text(manifest_text(name, version, extra), encoding="utf-8")
            (root / "src" / "index.ts").write_text(source, encoding="utf-8")
            cache[key] = build_release(root)
        return cache[key]

    return make


@pytest.fixture
def project_dir(tmp_path: Path, tools: Any) -> Callable[..., Path]:
    """Factory: write the test app as a project folder and return it."""

    def make(name: str = "hello", version: str = "1.0.0") -> Path:
        root = tmp_path / "cli-projects" / f"{name}-{version}"
        (root / "src").mkdir(parents=True)
        (root / "isoplay.toml").write_text(manifest_text(name, version), encoding="utf-8")
        (root / "src" / "index.ts").write_text(APP_SOURCE, encoding="utf-8")
        return root

    return make


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty server data folder."""
    return tmp_path / "server-data"


@pytest.fixture
async def core_factory(data_dir: Path) -> AsyncIterator[Callable[..., ServerCore]]:
    """Factory: a started in-process ServerCore on ``data_dir`` (stopped at teardown)."""
    cores: list[ServerCore] = []

    def make(*, clock: Callable[[], float] | None = None, **overrides: Any) -> ServerCore:
        config = ServerConfig(data_dir=overrides.pop("data_dir", data_dir), **overrides)
        core = ServerCore(config, clock=clock) if clock else ServerCore(config)
        cores.append(core)
        return core

    yield make
    for core in cores:
        await core.stop()


@pytest.fixture
async def api(core_factory: Callable[..., ServerCore]) -> AsyncIterator[tuple[ServerCore, httpx.AsyncClient, str]]:
    """(core, an authenticated in-process client, the token)."""
    core = core_factory(max_bundle_bytes=256 * 1024)
    await core.start()
    token = create_token(core.storage, "tests")
    transport = httpx.ASGITransport(app=core.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 headers={"authorization": f"Bearer {token}"}) as client:
        yield core, client, token


@pytest.fixture
def real_server(data_dir: Path) -> Iterator[Callable[..., RealServer]]:
    """Factory: start a real server on ``data_dir`` (all are stopped at teardown)."""
    servers: list[RealServer] = []

    def make(**config: Any) -> RealServer:
        server = RealServer(config.pop("data_dir", data_dir), **config).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
