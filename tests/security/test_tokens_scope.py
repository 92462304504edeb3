"""Scoped tokens against a real ``isoplay serve``: roles and app scopes, 403 with the reason outside them.

Three tokens (admin; deploy on ``hello``; deploy on every app) try every kind of call on an app in and
out of their scope. Calls that a role may not make are refused before anything is read or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sec_harness import ServeProcess, create_token_offline, release, upload

TOKENS = {"admin": ("--role", "admin"), "hello-only": ("--app", "hello"), "every-app": ("--all-apps",)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("serve-tokens")
    builds = tmp_path_factory.mktemp("builds")
    tokens = {name: create_token_offline(data, name, *scope) for name, scope in TOKENS.items()}
    server = ServeProcess(data).start()
    bundles = {app: release(builds, app, "1.0.0") for app in ("hello", "other")}
    with server.client(tokens["admin"]) as admin:
        for bundle in bundles.values():
            assert upload(admin, bundle).status_code == 201
    yield {"server": server, "tokens": tokens, "bundles": bundles}
    server.stop()


def call(world: dict[str, Any], token: str, kind: str, app: str) -> httpx.Response:
    server: ServeProcess = world["server"]
    with server.client(world["tokens"][token]) as client:
        if kind == "get":
            return client.get(f"/api/apps/{app}")
        if kind == "logs":
            with client.stream("GET", f"/api/apps/{app}/logs") as response:
                response.read() if response.status_code != 200 else None
                return response
        if kind == "dry-run":
            return upload(client, world["bundles"][app], dry_run="true")
        if kind == "rollback":
            return client.post(f"/api/apps/{app}/rollback", json={"version": "1.0.0"})
        if kind == "delete-version":
            return client.delete(f"/api/apps/{app}/versions/9.9.9")
        if kind == "delete-app":
            return client.delete("/api/apps/ghost")
        if kind == "tokens-list":
            return client.get("/api/tokens")
        if kind == "tokens-create":
            return client.post("/api/tokens", json={"name": "sneaky", "role": "admin", "apps": ["*"]})
        if kind == "tokens-revoke":
            return client.delete("/api/tokens/nobody")
    raise AssertionError(kind)


# (token, call, app) -> status; 403s must name the token and why
MATRIX = {
    ("admin", "get", "hello"): 200, ("admin", "get", "other"): 200,
    ("hello-only", "get", "hello"): 200, ("hello-only", "get", "other"): 403,
    ("every-app", "get", "hello"): 200, ("every-app", "get", "other"): 200,
    ("admin", "logs", "other"): 200, ("hello-only", "logs", "hello"): 200, ("hello-only", "logs", "other"): 403,
    ("admin", "dry-run", "other"): 200, ("hello-only", "dry-run", "hello"): 200,
    ("hello-only", "dry-run", "other"): 403, ("every-app", "dry-run", "other"): 200,
    ("admin", "rollback", "hello"): 200, ("hello-only", "rollback", "hello"): 200,
    ("hello-only", "rollback", "other"): 403, ("every-app", "rollback", "other"): 200,
    ("admin", "delete-version", "hello"): 404, ("hello-only", "delete-version", "hello"): 403,
    ("every-app", "delete-version", "hello"): 403,
    ("admin", "delete-app", "-"): 404, ("hello-only", "delete-app", "-"): 403, ("every-app", "delete-app", "-"): 403,
    ("admin", "tokens-list", "-"): 200, ("hello-only", "tokens-list", "-"): 403,
    ("every-app", "tokens-list", "-"): 403,
    ("hello-only", "tokens-create", "-"): 403, ("every-app", "tokens-create", "-"): 403,
    ("admin", "tokens-revoke", "-"): 404, ("hello-only", "tokens-revoke", "-"): 403,
    ("every-app", "tokens-revoke", "-"): 403,
}


@pytest.mark.parametrize(("token", "kind", "app"), list(MATRIX), ids=["-".join(k) for k in MATRIX])
def test_role_and_scope_matrix(world: dict[str, Any], token: str, kind: str, app: str) -> None:
    response = call(world, token, kind, app)
    expected = MATRIX[(token, kind, app)]
    assert response.status_code == expected, (response.status_code, response.text)
    if expected == 403:
        error = response.json()["error"]
        assert error["code"] in ("forbidden_app", "forbidden_role"), error
        assert repr(token) in error["message"], error
        if error["code"] == "forbidden_app":
            assert f"may not act on app {app!r}" in error["message"]
        else:
            assert "needs an admin token" in error["message"]


@pytest.mark.parametrize(("token", "visible"), [("admin", ["hello", "other"]), ("hello-only", ["hello"]),
                                                ("every-app", ["hello", "other"])])
def test_listing_shows_only_apps_in_scope(world: dict[str, Any], token: str, visible: list[str]) -> None:
    with world["server"].client(world["tokens"][token]) as client:
        assert [a["name"] for a in client.get("/api/apps").json()["apps"]] == visible


def test_a_refused_publish_stores_nothing_and_reads_no_body(world: dict[str, Any], tmp_path: Path) -> None:
    bundle = release(tmp_path, "other", "2.0.0")
    with world["server"].client(world["tokens"]["hello-only"]) as client:
        refused = upload(client, bundle)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_app"
    with world["server"].client(world["tokens"]["admin"]) as admin:
        versions = [v["version"] for v in admin.get("/api/apps/other").json()["versions"]]
    assert versions == ["1.0.0"]
    assert httpx.get(f"{world['server'].url}/other/", timeout=10).text == "v=1"


def test_a_deploy_token_publishes_to_its_app(world: dict[str, Any], tmp_path: Path) -> None:
    bundle = release(tmp_path, "hello", "1.1.0", var="deployed-by-hello-only")
    with world["server"].client(world["tokens"]["hello-only"]) as client:
        assert upload(client, bundle).status_code == 201
    assert httpx.get(f"{world['server'].url}/hello/", timeout=10).text == "v=deployed-by-hello-only"
