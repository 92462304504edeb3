"""Every API route without a valid token is 401 and changes nothing, on a real ``isoplay serve``.

The routes are enumerated from the app (``runtime.server.api.api_routes``), so a route added later is
covered without editing this file; the only routes without a token are the three public ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runtime.server.api import PUBLIC_PATHS, api_routes
from sec_harness import ServeProcess, create_token_offline, release, upload

PARAMS = {"name": "hello", "version": "1.0.0", "token": "root", "rec_id": "r0", "database": "DB"}


def _routes() -> list[tuple[str, str]]:
    found = []
    for route in api_routes(None):  # type: ignore[arg-type]
        if route.path in PUBLIC_PATHS:
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS[m.group(1)], route.path)
            found.append((method, path))
    return found


ROUTES = _routes()
AUTH = {
    "none": None,
    "empty": "",
    "wrong-token": "Bearer isoplay_wrong",
    "basic": "Basic cm9vdDpyb290",
    "bearer-only": "Bearer",
    "lowercase-scheme-wrong": "bearer isoplay_x",
    "revoked": "REVOKED",
    "long": "Bearer " + "A" * 8000,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("serve-unauth")
    admin = create_token_offline(data, "root")
    revoked = create_token_offline(data, "gone", "--all-apps")
    proc = ServeProcess(data).start()
    with proc.client(admin) as client:
        assert upload(client, release(tmp_path_factory.mktemp("b"), "hello", "1.0.0")).status_code == 201
        assert client.delete("/api/tokens/gone").status_code == 200
    yield {"server": proc, "admin": admin, "revoked": revoked}
    proc.stop()


def test_the_public_routes_are_exactly_these() -> None:
    assert PUBLIC_PATHS == frozenset({"/api/health", "/api/health/live", "/api/health/ready",
                                     "/api/openapi.json"})  # /metrics needs a token (issue 13)
    assert len(ROUTES) >= 10  # apps, versions, rollback, logs, deletes, tokens


def _state(world: dict[str, Any]) -> Any:
    with world["server"].client(world["admin"]) as client:
        return client.get("/api/apps/hello").json(), [t["name"] for t in client.get("/api/tokens").json()["tokens"]]


@pytest.mark.parametrize("auth", list(AUTH))
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_without_a_valid_token_is_401(server: dict[str, Any], method: str, path: str, auth: str) -> None:
    header = AUTH[auth]
    if header == "REVOKED":
        header = f"Bearer {server['revoked']}"
    before = _state(server)
    headers = {} if header is None else {"authorization": header}
    body = b'{"version": "1.0.0", "name": "evil", "role": "admin", "apps": ["*"]}' if method == "POST" else None
    answer = httpx.request(method, server["server"].url + path, headers=headers, content=body, timeout=30)
    assert answer.status_code == 401, (answer.status_code, answer.text)
    assert answer.json()["error"]["code"] == "unauthorized"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert _state(server) == before


def test_an_unknown_api_path_is_401_not_404(server: dict[str, Any]) -> None:
    answer = httpx.get(server["server"].url + "/api/nothing-here", timeout=10)
    assert answer.status_code == 401
