"""The server's own surface against a real ``isoplay serve`` (issue 13): ``/metrics`` needs a metrics or
admin token unless the operator makes it public, app names that collide with the server's routes are
refused with the reason, and tokens can expire (CLI ``--expires``, admin API ``expires_in``), after
which they get 401 saying so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sec_harness import ServeProcess, create_token_offline, isoplay, release, upload


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("serve-surface")
    tokens = {
        "admin": create_token_offline(data, "root"),
        "deploy": create_token_offline(data, "ci", "--app", "hello"),
        "metrics": create_token_offline(data, "prom", "--role", "metrics"),
    }
    proc = ServeProcess(data).start()
    with proc.client(tokens["admin"]) as client:
        assert upload(client, release(tmp_path_factory.mktemp("b"), "hello", "1.0.0")).status_code == 201
        assert client.get("/hello/").status_code == 200
    yield {"server": proc, "data": data, **tokens}
    proc.stop()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("deploy", 403), ("metrics", 200), ("admin", 200)])
def test_metrics_needs_a_metrics_or_admin_token(world: dict[str, Any], who: str, status: int) -> None:
    with world["server"].client(None if who == "anonymous" else world[who]) as client:
        answer = client.get("/metrics")
    assert answer.status_code == status, answer.text
    if status == 200:
        assert 'script="hello"' in answer.text
    else:
        assert "isoplay_" not in answer.text  # no figure, no app's series
        message = answer.json()["error"]["message"]
        assert ("metrics or admin token" in message) if status == 403 else ("Bearer" in message)


def test_a_metrics_token_reads_metrics_and_nothing_else(world: dict[str, Any]) -> None:
    with world["server"].client(world["metrics"]) as client:
        assert client.get("/api/apps").status_code == 403
        assert client.get("/api/tokens").status_code == 403
        assert client.delete("/api/apps/hello").status_code == 403
        assert client.post("/api/apps/hello/rollback", json={"version": "1.0.0"}).status_code == 403
    with world["server"].client(world["admin"]) as client:
        assert client.get("/api/apps/hello").status_code == 200


def test_public_metrics_is_the_operators_choice(tmp_path: Path) -> None:
    proc = ServeProcess(tmp_path / "data", "--public-metrics").start()
    try:
        with proc.client() as client:
            answer = client.get("/metrics")
            assert answer.status_code == 200 and "isoplay_" in answer.text
            assert client.get("/api/apps").status_code == 401  # nothing else became public
    finally:
        proc.stop()


@pytest.mark.parametrize("name", ["api", "metrics", "health", "cdn-cgi", "isoplay"])
def test_reserved_app_names_are_refused_with_the_reason(world: dict[str, Any], tmp_path: Path, name: str) -> None:
    with world["server"].client(world["admin"]) as client:
        answer = upload(client, release(tmp_path, "hello", "1.0.1"), app=name)
        assert answer.status_code == 400, answer.text
        message = answer.json()["error"]["message"]
        assert f"app name {name!r} is reserved" in message
        created = client.post("/api/tokens", json={"name": f"t-{name}", "role": "deploy", "apps": [name]})
        assert created.status_code == 400 and "is reserved" in created.json()["error"]["message"]
    cli = isoplay("tokens", "create", f"c-{name}", "--app", name, "--data", str(world["data"]))
    assert cli.returncode == 1 and "is reserved" in cli.stderr and "Traceback" not in cli.stderr


def test_a_token_made_with_expires_works_until_then_and_is_401_after(world: dict[str, Any]) -> None:
    made = isoplay("tokens", "create", "shortlived", "--all-apps", "--expires", "8s", "--data", str(world["data"]))
    created = time.time()
    assert made.returncode == 0, made.stderr
    assert "expires" in made.stderr
    token = made.stdout.strip()
    with world["server"].client(token) as client:
        assert client.get("/api/apps").status_code == 200
    listing = isoplay("tokens", "list", "--data", str(world["data"]))
    line = next(row for row in listing.stdout.splitlines() if row.startswith("shortlived"))
    assert re.search(r"\texpire[sd] 20\d\d-", line), line  # the CLI may be slow on a loaded machine
    never = next(row for row in listing.stdout.splitlines() if row.startswith("ci"))
    assert never.endswith("never expires")
    time.sleep(max(0.0, created + 8.5 - time.time()))
    with world["server"].client(token) as client:
        answer = client.get("/api/apps")
    assert answer.status_code == 401
    assert "'shortlived' expired at" in answer.json()["error"]["message"]
    after = isoplay("tokens", "list", "--data", str(world["data"]))
    assert "\texpired " in next(row for row in after.stdout.splitlines() if row.startswith("shortlived"))


def test_the_admin_api_sets_and_shows_expiry_and_refuses_junk(world: dict[str, Any]) -> None:
    with world["server"].client(world["admin"]) as client:
        made = client.post("/api/tokens", json={"name": "api-made", "role": "deploy", "apps": ["hello"],
                                                "expires_in": 3600})
        assert made.status_code == 201, made.text
        body = made.json()
        assert abs(body["expires_at"] - (body["created_at"] + 3600)) < 1
        listed = {t["name"]: t for t in client.get("/api/tokens").json()["tokens"]}
        assert listed["api-made"]["expires_at"] == body["expires_at"] and listed["root"]["expires_at"] is None
        for junk in (-1, 0, "30d", True, 10**12, [1], {"d": 1}):
            answer = client.post("/api/tokens", json={"name": "junk", "role": "deploy", "apps": ["hello"],
                                                      "expires_in": junk})
            assert answer.status_code == 400, (junk, answer.text)
            assert answer.json()["error"]["code"] == "bad_token_expiry"


@pytest.mark.parametrize("value", ["30", "5x", "-3d", "99999999999d", ""])
def test_a_bad_expires_value_is_one_clear_line(world: dict[str, Any], value: str) -> None:
    result = isoplay("tokens", "create", "badexp", "--all-apps", f"--expires={value}", "--data", str(world["data"]))
    assert result.returncode == 1
    assert "--expires" in result.stderr and "Traceback" not in result.stderr
