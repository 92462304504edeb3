"""Tokens created, listed and revoked while a real ``isoplay serve`` runs: effective on the next request.

Through the CLI on the data folder (``isoplay tokens ... --data``), the admin API (``/api/tokens``) and
the CLI against the API (``--server``). Only hashes are stored; tokens from before roles keep working
as admin on every app, and the server says so.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sec_harness import ServeProcess, create_token_offline, isoplay, one_line_error, release, upload


def status(server: ServeProcess, token: str, path: str = "/api/apps") -> int:
    with server.client(token) as client:
        return client.get(path).status_code


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_on_the_data_folder_takes_effect_at_once(serve: Any, tmp_path: Path, workers: str) -> None:
    server = serve("--workers", workers)
    admin = create_token_offline(server.data_dir, "root")
    assert status(server, admin) == 200  # created after the server started: no restart
    deploy = create_token_offline(server.data_dir, "ci", "--app", "hello")
    with server.client(deploy) as client:
        assert upload(client, release(tmp_path, "hello", "1.0.0")).status_code == 201
    listed = isoplay("tokens", "list", "--data", str(server.data_dir))
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t")[:3] for line in listed.stdout.splitlines()]
    assert rows == [["ci", "deploy", "hello"], ["root", "admin", "*"]]
    assert deploy not in listed.stdout and admin not in listed.stdout
    revoked = isoplay("tokens", "revoke", "ci", "--data", str(server.data_dir))
    assert revoked.returncode == 0 and "revoked 'ci'" in revoked.stderr, revoked.stderr
    for _ in range(4):  # with two workers, each of them refuses it on its next request
        assert status(server, deploy) == 401
    assert status(server, admin) == 200


def test_admin_api_creates_lists_and_revokes(serve: Any) -> None:
    server = serve()
    admin = create_token_offline(server.data_dir, "root")
    with server.client(admin) as client:
        created = client.post("/api/tokens", json={"name": "ci", "role": "deploy", "apps": ["b", "a", "a"]})
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["name"], body["role"], body["apps"]) == ("ci", "deploy", ["a", "b"])
        token = body["token"]
        assert status(server, token, "/api/apps") == 200
        assert status(server, token, "/api/tokens") == 403
        listing = client.get("/api/tokens").json()["tokens"]
        assert [(t["name"], t["role"], t["apps"]) for t in listing] == [("ci", "deploy", ["a", "b"]),
                                                                         ("root", "admin", ["*"])]
        assert token not in client.get("/api/tokens").text
        assert client.post("/api/tokens", json={"name": "ci", "apps": ["a"]}).status_code == 409
        assert client.delete("/api/tokens/ci").json() == {"revoked": "ci"}
        assert status(server, token) == 401
        assert client.delete("/api/tokens/ci").status_code == 404


def test_cli_against_the_server_api(serve: Any) -> None:
    server = serve()
    admin = create_token_offline(server.data_dir, "root")
    created = isoplay("tokens", "create", "ci", "--app", "hello", "--server", server.url, "--token", admin, "--json")
    assert created.returncode == 0, created.stderr
    import json

    data = json.loads(created.stdout)
    assert (data["name"], data["role"], data["apps"]) == ("ci", "deploy", ["hello"])
    assert status(server, data["token"]) == 200
    listed = isoplay("tokens", "list", "--server", server.url, "--token", admin)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["ci", "root"], listed.stderr
    refused = one_line_error(isoplay("tokens", "list", "--server", server.url, "--token", data["token"]))
    assert "403 forbidden_role" in refused and "managing tokens needs an admin token" in refused
    assert isoplay("tokens", "revoke", "ci", "--server", server.url, "--token", admin).returncode == 0
    assert status(server, data["token"]) == 401


def test_only_hashes_are_stored(serve: Any) -> None:
    server = serve()
    tokens = [create_token_offline(server.data_dir, f"t{i}", "--all-apps") for i in range(3)]
    for token in tokens:
        assert status(server, token) == 200
    stored = b"".join(p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file())
    for token in tokens:
        assert token.encode() not in stored
        assert token.split("_", 1)[1].encode() not in stored
        assert hashlib.sha256(token.encode()).hexdigest().encode() in stored


SCHEMA_1 = """
CREATE TABLE apps (name TEXT PRIMARY KEY, live_version TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE versions (app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE, version TEXT NOT NULL,
    content_hash TEXT NOT NULL, size_bytes INTEGER NOT NULL, minified INTEGER NOT NULL, crons TEXT NOT NULL,
    deployed_at REAL NOT NULL, PRIMARY KEY (app, version));
CREATE TABLE tokens (name TEXT PRIMARY KEY, token_hash TEXT NOT NULL, created_at REAL NOT NULL);
PRAGMA user_version=1;
"""


def test_tokens_from_before_roles_become_admin_and_the_server_says_so(serve: Any, tmp_path: Path) -> None:
    data = tmp_path / "old-data"
    data.mkdir()
    old = "isoplay_old-token-from-schema-1-aaaaaaaaaaaaaaaaaaaaaaa"
    with sqlite3.connect(data / "registry.sqlite3") as db:
        db.executescript(SCHEMA_1)
        db.execute("INSERT INTO tokens VALUES (?, ?, ?)", ("legacy", hashlib.sha256(old.encode()).hexdigest(), 1.0))
    db.close()
    server = serve(data_dir=data)
    notice = "".join(server.stderr)
    assert "1 token(s) from before scoped tokens ('legacy') now have role admin on all apps" in notice, notice
    with server.client(old) as client:
        assert client.get("/api/tokens").json()["tokens"] == [
            {"name": "legacy", "role": "admin", "apps": ["*"], "created_at": 1.0, "expires_at": None}]
        assert client.delete("/api/apps/ghost").status_code == 404  # admin: reaches the lookup
    server.stop()
    again = serve(data_dir=data)  # migrated once: nothing more to say
    assert "from before scoped tokens" not in "".join(again.stderr)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, str]]:
    data = tmp_path_factory.mktemp("serve-token-requests")
    token = create_token_offline(data, "root")
    server = ServeProcess(data).start()
    yield server, token
    server.stop()


@pytest.mark.parametrize(("body", "expected"), [
    ({"name": "x", "role": "root", "apps": ["*"]}, "role must be one of metrics, deploy, admin"),
    ({"name": "x", "role": "deploy", "apps": []}, "needs at least one app"),
    ({"name": "x", "role": "deploy", "apps": "hello"}, "apps must be a list"),
    ({"name": "x", "role": "deploy", "apps": ["Hello World"]}, "must match [a-z0-9-]{1,63}"),
    ({"name": "x", "role": "deploy", "apps": ["*", "hello"]}, '"*" already covers every app'),
    ({"name": "x", "role": "admin", "apps": ["hello"]}, "an admin token acts on every app"),
    ({"name": "bad name", "role": "deploy", "apps": ["a"]}, "token name 'bad name' must match"),
    ({"name": "x" * 65, "role": "deploy", "apps": ["a"]}, "must match [A-Za-z0-9_.-]{1,64}"),
    ({"name": "x\n", "role": "deploy", "apps": ["a"]}, "must match [A-Za-z0-9_.-]{1,64}"),
    ({"name": 5, "role": "deploy", "apps": ["a"]}, "token name int must match"),
    ({"name": "x", "role": "deploy", "apps": [f"a{i}" for i in range(300)]}, "at most 256 apps"),
    (["x"], 'the body must be {"name"'),
], ids=["role", "no-apps", "apps-string", "bad-app", "star-and-name", "admin-narrow", "name-space", "name-long",
        "name-newline", "name-int", "too-many-apps", "not-object"])
def test_bad_token_requests_are_400(admin_server: tuple[ServeProcess, str], body: Any, expected: str) -> None:
    server, admin = admin_server
    with server.client(admin) as client:
        answer = client.post("/api/tokens", json=body)
        assert answer.status_code == 400, answer.text
        assert expected in answer.json()["error"]["message"], answer.json()
        assert [t["name"] for t in client.get("/api/tokens").json()["tokens"]] == ["root"]


@pytest.mark.parametrize(("args", "expected"), [
    (["create", "ci"], "name the apps the token may deploy with --app APP"),
    (["create", "ci", "--role", "admin", "--app", "x"], "an admin token acts on every app"),
    (["create", "ci", "--app", "Bad_App"], "must match [a-z0-9-]{1,63}"),
    (["create", "ci", "--all-apps", "--app", "x"], "--all-apps already covers every app"),
    (["revoke", "nobody"], "no token named 'nobody'"),
], ids=["no-scope", "admin-narrow", "bad-app", "all-and-app", "revoke-unknown"])
def test_bad_token_commands_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    assert expected in one_line_error(isoplay("tokens", *args, "--data", str(tmp_path / "d")))


def test_the_live_app_keeps_serving_with_no_token_at_all(serve: Any, tmp_path: Path) -> None:
    server = serve()
    admin = create_token_offline(server.data_dir, "root")
    with server.client(admin) as client:
        assert upload(client, release(tmp_path, "hello", "1.0.0")).status_code == 201
        client.delete("/api/tokens/root")
    assert httpx.get(f"{server.url}/hello/", timeout=10).text == "v=1"
    assert status(server, admin) == 401
