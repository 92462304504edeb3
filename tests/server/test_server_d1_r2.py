"""D1 and R2 on a real server: each app has its own databases and buckets under the data folder, and they
survive a restart; on a PostgreSQL store the binding refuses, saying why (node-local files would split the data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient, build_release
from runtime.server.tokens import create_token
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


def test_sql_and_migrations_reach_the_live_version_database_with_a_deploy_token(
        real_server: Callable[..., RealServer], release: Callable[..., Bundle], tmp_path: Path) -> None:
    from runtime.publish_client import PublishError
    from runtime.project import new_project

    server = real_server()
    token = server.create_token()
    with PublishClient(server.url, token) as client:
        client.publish(release("alpha", "1.0.0", source=D1_APP, extra=D1_BINDING))
        migrations = [("0002_more.sql", "ALTER TABLE items ADD COLUMN qty INTEGER DEFAULT 1;"),
                      ("0001_items.sql", "CREATE TABLE IF NOT EXISTS items (name TEXT);")]
        assert client.d1_migrate("alpha", "DB", migrations) == ["0001_items.sql", "0002_more.sql"]  # in name order
        assert client.d1_migrate("alpha", "items", migrations) == []  # by database_name; recorded by name
        results = client.d1_query("alpha", "DB", "INSERT INTO items (name) VALUES ('x'); SELECT name, qty FROM items")
        assert results[0]["meta"]["changes"] == 1 and results[1]["rows"] == [["x", 1]]
        with pytest.raises(PublishError) as info:
            client.d1_query("alpha", "DB", "INSERT INTO items (name) VALUES ('y'); SELECT nope FROM items")
        assert info.value.status == 400 and "no such column: nope" in str(info.value) and "nothing was changed" in str(info.value)
        with pytest.raises(PublishError) as info:
            client.d1_query("alpha", "DB", f"ATTACH '{tmp_path / 'x.db'}' AS x")
        assert "SQLITE_AUTH" in str(info.value) and not (tmp_path / "x.db").exists()
        with pytest.raises(PublishError) as info:
            client.d1_query("alpha", "NOPE", "SELECT 1")
        assert info.value.status == 404 and "has no D1 database 'NOPE' (bindings: DB)" in str(info.value)
    assert httpx.get(f"{server.url}/alpha/list", timeout=10).text == "x"  # the app reads what the API wrote
    scoped = create_token(server.core.storage, "beta-only", role="deploy", apps=["beta"])  # another app's token
    with PublishClient(server.url, scoped) as client, pytest.raises(PublishError) as info:
        client.d1_query("alpha", "DB", "SELECT 1")
    assert info.value.status == 403

    # the CLI: isoplay d1 migrations apply / execute --remote, from the project folder
    project = new_project(tmp_path / "notes", "d1")
    cli = [sys.executable, "-m", "app", "d1"]
    env = {**os.environ, "ISOPLAY_TOKEN": token}
    with PublishClient(server.url, token) as client:
        client.publish(build_release(project.root))
    applied = subprocess.run([*cli, "migrations", "apply", "DB", "--remote", "--server", server.url, "--dir",
                              str(project.root)], capture_output=True, text=True, env=env, timeout=120)
    assert applied.stdout.splitlines() == ["✓ applied 0001_create_notes.sql on notes"], applied.stderr
    posted = httpx.post(f"{server.url}/notes/notes", content="from the server", timeout=10)
    assert posted.status_code == 201
    shown = subprocess.run([*cli, "execute", "DB", "--remote", "--server", server.url, "--dir", str(project.root),
                            "--json", "--command", "SELECT text FROM notes"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert json.loads(shown.stdout)[0]["results"] == [{"text": "from the server"}], shown.stderr
    local = subprocess.run([*cli, "execute", "DB", "--dir", str(project.root), "--command", "SELECT 1 FROM notes"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "no such table: notes" in local.stderr  # without --remote: the local database, which has no table yet



R2_APP = """
export default {
  async fetch(request: Request, env: { FILES: R2Bucket }): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "PUT") {
        const obj = await env.FILES.put(url.pathname.slice(url.pathname.lastIndexOf("/") + 1), request.body,
                                        { httpMetadata: request.headers });
        return new Response(obj!.etag, { status: 201 });
      }
      const got = await env.FILES.get(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
      if (got === null) return new Response("not found", { status: 404 });
      const headers = new Headers({ etag: got.httpEtag });
      got.writeHttpMetadata(headers);
      return new Response(got.body, { headers });
    } catch (e) {
      return new Response(String(e), { status: 500 });
    }
  },
};
"""
R2_BINDING = '[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "uploads"\n'


def test_r2_objects_per_app_survive_a_restart(real_server: Callable[..., RealServer],
                                              release: Callable[..., Bundle]) -> None:
    server = real_server()
    with PublishClient(server.url, server.create_token()) as client:
        client.publish(release("files", "1.0.0", source=R2_APP, extra=R2_BINDING))
        client.publish(release("other", "1.0.0", source=R2_APP, extra=R2_BINDING))
    put = httpx.put(f"{server.url}/files/a.png", content=b"\x89PNG\r\n", headers={"content-type": "image/png"},
                    timeout=10)
    assert put.status_code == 201 and put.text == "8eece9cc616084e69299f7f1a53a6404"  # the MD5 of the body
    assert httpx.get(f"{server.url}/other/a.png", timeout=10).status_code == 404  # the same bucket name, another app
    server.stop()
    again = real_server()
    got = httpx.get(f"{again.url}/files/a.png", timeout=10)
    assert got.content == b"\x89PNG\r\n" and got.headers["content-type"] == "image/png"
    assert got.headers["etag"] == f'"{put.text}"'
