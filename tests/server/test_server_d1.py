"""D1 on a real server: each app has its own databases under the data folder, and they survive a restart;
on a PostgreSQL store the binding refuses, saying why (node-local files would split the data)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient
from server_harness import RealServer

D1_APP = """
export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const url = new URL(request.url);
    try {
      await env.DB.exec("CREATE TABLE IF NOT EXISTS items (name TEXT)");
      if (url.pathname.endsWith("/add")) {
        await env.DB.prepare("INSERT INTO items VALUES (?)").bind(url.searchParams.get("name")).run();
      }
      const { results } = await env.DB.prepare("SELECT name FROM items ORDER BY rowid").all<{ name: string }>();
      return new Response(results.map((r) => r.name).join(","));
    } catch (e) {
      return new Response(String(e), { status: 500 });
    }
  },
};
"""
D1_BINDING = '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "items"\ndatabase_id = "../../escape"\n'


def test_apps_have_their_own_databases_that_survive_a_restart(real_server: Callable[..., RealServer],
                                                              release: Callable[..., Bundle]) -> None:
    server = real_server()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("alpha", "1.0.0", source=D1_APP, extra=D1_BINDING))
        client.publish(release("beta", "1.0.0", source=D1_APP, extra=D1_BINDING))
    get = lambda url: httpx.get(url, timeout=10).text  # noqa: E731
    assert get(f"{server.url}/alpha/add?name=a1") == "a1"
    assert get(f"{server.url}/alpha/add?name=a2") == "a1,a2"
    assert get(f"{server.url}/beta/add?name=b1") == "b1"  # the same database id in another app: its own file
    data = server.data_dir
    server.stop()
    files = sorted(p.relative_to(data).as_posix() for p in data.rglob("*.sqlite3") if "/d1/" in p.as_posix())
    assert files == ["apps/alpha/d1/escape.sqlite3", "apps/beta/d1/escape.sqlite3"]  # the id cannot leave the folder

    again = real_server()
    assert httpx.get(f"{again.url}/alpha/list", timeout=10).text == "a1,a2"
    assert httpx.get(f"{again.url}/beta/list", timeout=10).text == "b1"


def test_a_postgresql_store_refuses_d1_and_says_why(real_server: Callable[..., RealServer],
                                                    release: Callable[..., Bundle], pg_url: str) -> None:
    server = real_server(store=pg_url)
    with PublishClient(server.url, server.create_token()) as client:
        client.publish(release("gamma", "1.0.0", source=D1_APP, extra=D1_BINDING))
    answer = httpx.get(f"{server.url}/gamma/list", timeout=10)
    assert answer.status_code == 500
    assert "D1 binding DB: D1 is not available on an isoplay server with a PostgreSQL store yet" in answer.text
